package okta

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/wodlekit/wodlekit/runtime/httpx"
	"github.com/wodlekit/wodlekit/runtime/runner"
)

// renewBefore is how long before expiry a cached access token is renewed,
// so that a token never expires between the check and the request.
const renewBefore = 60 * time.Second

// clientAssertionType is the RFC 7523 assertion type of private_key_jwt.
const clientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// oauth authenticates as an Okta OAuth 2.0 service app: client credentials
// with a private_key_jwt client assertion, optionally DPoP-bound. It
// implements httpx.Authenticator and httpx.Challenger.
type oauth struct {
	tokens   *httpx.Client // the run's client without auth, plus tokenProof
	tokenURL *url.URL
	clientID string
	scopes   string
	key      *signingKey
	dpop     *dpopKey // nil when DPoP is turned off
	proof    *tokenProof
	now      func() time.Time

	mu        sync.Mutex
	token     string
	tokenType string
	expires   time.Time
	// nonce is the last DPoP nonce a resource server asked for.
	nonce string
	// forced records that the current token replaced one the server
	// refused early: a second refusal is then final.
	forced bool
	// fetched counts tokens obtained in this run (tests, check output).
	fetched int
}

func newOAuth(env *runner.Env, clientID, scopes string, key *signingKey, useDPoP bool) (*oauth, error) {
	base := env.HTTP.BaseURL()
	tokenURL := base.JoinPath("/oauth2/v1/token")
	o := &oauth{tokenURL: tokenURL, clientID: clientID, scopes: scopes, key: key, now: env.Now}
	if o.now == nil {
		o.now = time.Now
	}
	if useDPoP {
		k, err := newDPoPKey()
		if err != nil {
			return nil, err
		}
		o.dpop = k
	}
	o.proof = &tokenProof{o: o}
	// env.HTTP has no auth yet when Vendor.Auth runs: the token request
	// carries only the client assertion and the DPoP proof.
	o.tokens = env.HTTP.WithAuth(o.proof)
	return o, nil
}

// Authenticate implements httpx.Authenticator: a cached (or new) access
// token, and a fresh DPoP proof for this very request.
func (o *oauth) Authenticate(ctx context.Context, r *http.Request, _ []byte) error {
	tok, typ, err := o.accessToken(ctx)
	if err != nil {
		return err
	}
	if !strings.EqualFold(typ, "DPoP") || o.dpop == nil {
		r.Header.Set("Authorization", "Bearer "+tok)
		return nil
	}
	o.mu.Lock()
	nonce := o.nonce
	o.mu.Unlock()
	p, err := o.dpop.proof(r.Method, r.URL, nonce, tok, o.now())
	if err != nil {
		return err
	}
	r.Header.Set("Authorization", "DPoP "+tok)
	r.Header.Set("DPoP", p)
	return nil
}

// Challenge implements httpx.Challenger for resource requests: a DPoP
// nonce demand is answered once per new nonce; a token refused before its
// expiry (revoked, or the org's clock ahead of ours) is renewed once.
func (o *oauth) Challenge(resp *http.Response, _ []byte) bool {
	if resp.StatusCode != http.StatusUnauthorized {
		return false
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	www := strings.ToLower(strings.Join(resp.Header.Values("WWW-Authenticate"), ", "))
	switch {
	case strings.Contains(www, "use_dpop_nonce"):
		n := resp.Header.Get("DPoP-Nonce")
		if n == "" || n == o.nonce {
			return false
		}
		o.nonce = n
		return true
	case strings.Contains(www, "invalid_token") && o.token != "" && !o.forced:
		o.token, o.forced = "", true
		return true
	}
	return false
}

// accessToken returns the cached token, or gets a new one when there is
// none or it expires within renewBefore.
func (o *oauth) accessToken(ctx context.Context) (string, string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.token != "" && o.now().Before(o.expires.Add(-renewBefore)) {
		return o.token, o.tokenType, nil
	}
	forced := o.forced && o.token == ""
	tr, err := o.requestToken(ctx)
	if err != nil {
		return "", "", err
	}
	ttl := time.Duration(tr.ExpiresIn) * time.Second
	if ttl <= 0 {
		ttl = time.Hour // Okta's documented default
	}
	o.token, o.tokenType, o.expires = tr.AccessToken, tr.TokenType, o.now().Add(ttl)
	o.forced = forced
	o.fetched++
	return o.token, o.tokenType, nil
}

// tokenResponse is the token endpoint's answer.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope"`
}

// requestToken runs the client-credentials grant. A first DPoP request is
// usually refused with use_dpop_nonce; it is sent once more with the nonce
// and a new client assertion (Okta refuses a reused assertion jti).
func (o *oauth) requestToken(ctx context.Context) (*tokenResponse, error) {
	for attempt := 1; ; attempt++ {
		tr, err := o.tokenOnce(ctx)
		if err == nil {
			return tr, nil
		}
		if attempt == 1 && o.proof.takeLearned() {
			continue
		}
		return nil, fmt.Errorf("OAuth token request for client %s: %w%s", o.clientID, err, tokenHint(err))
	}
}

func (o *oauth) tokenOnce(ctx context.Context) (*tokenResponse, error) {
	assertion, err := o.clientAssertion()
	if err != nil {
		return nil, err
	}
	form := url.Values{
		"grant_type":            {"client_credentials"},
		"scope":                 {o.scopes},
		"client_assertion_type": {clientAssertionType},
		"client_assertion":      {assertion},
	}
	var tr tokenResponse
	err = o.tokens.Do(ctx, httpx.Request{
		Method:   http.MethodPost,
		URL:      o.tokenURL.String(),
		Header:   http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Accept": {"application/json"}},
		Body:     []byte(form.Encode()),
		Endpoint: "token",
	}, func(_ *http.Response, body io.Reader) error {
		if err := json.NewDecoder(io.LimitReader(body, 1<<20)).Decode(&tr); err != nil {
			return runner.DecodeError(fmt.Errorf("token response: %w", err))
		}
		if tr.AccessToken == "" {
			return runner.DecodeError(errors.New("token response has no access_token"))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &tr, nil
}

// clientAssertion signs the private_key_jwt assertion: issuer and subject
// the client ID, audience the token endpoint, valid five minutes (Okta
// allows at most an hour).
func (o *oauth) clientAssertion() (string, error) {
	opts := (&jose.SignerOptions{}).WithType("JWT")
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: o.key.alg, Key: jose.JSONWebKey{Key: o.key.key, KeyID: o.key.kid}}, opts)
	if err != nil {
		return "", fmt.Errorf("client assertion signer: %w", err)
	}
	now := o.now()
	claims := jwt.Claims{
		Issuer:   o.clientID,
		Subject:  o.clientID,
		Audience: jwt.Audience{o.tokenURL.String()},
		IssuedAt: jwt.NewNumericDate(now),
		Expiry:   jwt.NewNumericDate(now.Add(5 * time.Minute)),
		ID:       randomID(),
	}
	s, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		return "", fmt.Errorf("sign client assertion: %w", err)
	}
	return s, nil
}

// tokenHint adds the likely fix to a token endpoint refusal.
func tokenHint(err error) string {
	var se *httpx.StatusError
	if !errors.As(err, &se) {
		return ""
	}
	m := strings.ToLower(se.Message)
	switch {
	case strings.Contains(m, "invalid_client"):
		return " (check OKTA_CLIENT_ID, that the app uses public key / private key authentication, and that the app's public keys hold this private key's public half and key ID)"
	case strings.Contains(m, "invalid_scope"):
		return " (grant the scopes in OKTA_SCOPES to the app: Okta API Scopes tab, okta.logs.read)"
	case strings.Contains(m, "dpop"):
		return " (the app requires DPoP proofs: keep OKTA_DPOP=true; if it persists, check the host clock)"
	}
	return ""
}

// tokenProof authenticates token requests with a DPoP proof and learns
// the token endpoint's nonce from its use_dpop_nonce refusal.
type tokenProof struct {
	o       *oauth
	mu      sync.Mutex
	nonce   string
	learned bool
}

// Authenticate implements httpx.Authenticator for the token endpoint.
func (p *tokenProof) Authenticate(_ context.Context, r *http.Request, _ []byte) error {
	if p.o.dpop == nil {
		return nil
	}
	p.mu.Lock()
	nonce := p.nonce
	p.mu.Unlock()
	proof, err := p.o.dpop.proof(r.Method, r.URL, nonce, "", p.o.now())
	if err != nil {
		return err
	}
	r.Header.Set("DPoP", proof)
	return nil
}

// Challenge implements httpx.Challenger: it records a new nonce and
// returns false, because the resend needs a new client assertion, which
// requestToken builds.
func (p *tokenProof) Challenge(resp *http.Response, body []byte) bool {
	n := resp.Header.Get("DPoP-Nonce")
	if resp.StatusCode != http.StatusBadRequest || n == "" || !bytes.Contains(body, []byte("use_dpop_nonce")) {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if n != p.nonce {
		p.nonce, p.learned = n, true
	}
	return false
}

// takeLearned reports (once) that a new nonce arrived since the last call.
func (p *tokenProof) takeLearned() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.learned
	p.learned = false
	return l
}
