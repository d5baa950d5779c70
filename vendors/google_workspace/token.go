package googleworkspace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/jwt"

	"github.com/wodlekit/wodlekit/runtime/httpx"
	"github.com/wodlekit/wodlekit/runtime/runner"
)

// tokenAuth signs the service account's assertion and trades it for an
// access token at the key's token_uri with golang.org/x/oauth2, through
// the run's HTTP client (retries, pacing, timeouts, stats), and puts the
// token on every Reports API request. The token is shared by the modules
// and renewed a minute before it expires.
type tokenAuth struct {
	cfg   *jwt.Config
	http  *httpx.Client // on the token endpoint's origin
	key   *Key
	admin string

	mu  sync.Mutex
	tok *oauth2.Token
	now func() time.Time
}

var _ httpx.Authenticator = (*tokenAuth)(nil)

func newTokenAuth(c *httpx.Client, key *Key, admin string) (*tokenAuth, error) {
	cfg := &jwt.Config{Email: key.ClientEmail, PrivateKey: key.privateKey, PrivateKeyID: key.PrivateKeyID,
		Scopes: []string{Scope}, TokenURL: key.TokenURI, Subject: admin}
	u, err := url.Parse(key.TokenURI)
	if err != nil {
		return nil, fmt.Errorf("%s: token_uri: %v", KeyKey, err)
	}
	tc, err := c.WithBaseURL(u.Scheme + "://" + u.Host)
	if err != nil {
		return nil, fmt.Errorf("%s: token_uri: %w", KeyKey, err)
	}
	return &tokenAuth{cfg: cfg, http: tc, key: key, admin: admin, now: time.Now}, nil
}

// Authenticate implements httpx.Authenticator.
func (a *tokenAuth) Authenticate(ctx context.Context, r *http.Request, _ []byte) error {
	tok, err := a.token(ctx)
	if err != nil {
		return err
	}
	r.Header.Set("Authorization", "Bearer "+tok)
	return nil
}

func (a *tokenAuth) token(ctx context.Context) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.tok != nil && a.tok.AccessToken != "" && (a.tok.Expiry.IsZero() || a.tok.Expiry.After(a.now().Add(time.Minute))) {
		return a.tok.AccessToken, nil
	}
	hc := a.http.HTTPClient("token")
	bt := &boundTransport{ctx: ctx, next: hc.Transport}
	hc.Transport = bt
	tok, err := a.cfg.TokenSource(context.WithValue(ctx, oauth2.HTTPClient, hc)).Token()
	if err != nil {
		return "", a.explain(err, bt.last)
	}
	if tok.AccessToken == "" {
		return "", runner.AuthError(fmt.Errorf("the token endpoint %s answered without an access token", a.key.TokenURI))
	}
	a.tok = tok
	return tok.AccessToken, nil
}

// boundTransport sends x/oauth2's token request with the run's context
// (its jwt flow sends without one, so the run's deadline and signals would
// not reach it) and keeps the request's failure, which x/oauth2 flattens
// into text: the httpx error tells a refusal from a server fault.
type boundTransport struct {
	ctx  context.Context
	next http.RoundTripper
	last error
}

// RoundTrip implements http.RoundTripper.
func (t *boundTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r.WithContext(t.ctx))
	if err != nil {
		t.last = err
	}
	return resp, err
}

// TokenError is the token endpoint's refusal: {"error","error_description"}.
type TokenError struct {
	Status      int
	Code        string
	Description string
	// Fix says what the admin must do.
	Fix string
}

// Error reads "the token endpoint refused the service account (HTTP 401 unauthorized_client: ...): <fix>".
func (e *TokenError) Error() string {
	msg := fmt.Sprintf("the token endpoint refused the service account (HTTP %d %s", e.Status, e.Code)
	if e.Description != "" {
		msg += ": " + e.Description
	}
	msg += ")"
	if e.Fix != "" {
		msg += ": " + e.Fix
	}
	return msg
}

// ParseTokenError reads a token endpoint's error answer.
func ParseTokenError(body []byte) (code, desc string, ok bool) {
	var b struct {
		Error       json.RawMessage `json:"error"`
		Description string          `json:"error_description"`
	}
	if json.Unmarshal(body, &b) != nil {
		return "", "", false
	}
	if json.Unmarshal(b.Error, &code) != nil || code == "" {
		return "", "", false
	}
	return code, strings.TrimSpace(b.Description), true
}

// explain turns a failed token request into the admin's next step: the
// refusals of the grant are auth errors naming the fix; a server or
// network failure keeps its httpx error, so it is retried and classified.
func (a *tokenAuth) explain(err, last error) error {
	var se *httpx.StatusError
	if !errors.As(last, &se) {
		if last != nil {
			return fmt.Errorf("get an access token from %s: %w", a.key.TokenURI, last)
		}
		// Not an HTTP failure: the key or the answer (x/oauth2's text).
		return runner.AuthError(fmt.Errorf("get an access token from %s: %v", a.key.TokenURI, err))
	}
	code, desc, ok := ParseTokenError(se.Body)
	if !ok || se.Code >= 500 || se.Code == http.StatusTooManyRequests {
		return fmt.Errorf("get an access token from %s: %w", a.key.TokenURI, se)
	}
	te := &TokenError{Status: se.Code, Code: code, Description: truncate(desc, 200), Fix: a.fix(code, desc)}
	return runner.AuthError(te)
}

func (a *tokenAuth) fix(code, desc string) string {
	d := strings.ToLower(desc)
	switch {
	case code == "unauthorized_client":
		return fmt.Sprintf("domain-wide delegation is not granted to the service account's client ID %s for the scope %s: in the Admin console, Security > Access and data control > API controls > Manage Domain Wide Delegation, add the client ID with exactly that scope (it can take a few minutes, rarely up to 24 hours, to apply)", a.key.ClientID, Scope)
	case code == "invalid_grant" && strings.Contains(d, "email"):
		return fmt.Sprintf("GWS_DELEGATED_ADMIN (%s) is not a user of the Google Workspace account: set it to an administrator's primary email address", a.admin)
	case code == "invalid_grant" && strings.Contains(d, "signature"):
		return fmt.Sprintf("Google does not know the key %s any more (deleted or disabled): create a new JSON key for %s and replace %s", a.key.PrivateKeyID, a.key.ClientEmail, KeyKey)
	case code == "invalid_grant" && (strings.Contains(d, "iat") || strings.Contains(d, "exp") || strings.Contains(d, "timeframe")):
		return "the assertion's times were refused: check this host's clock (NTP)"
	case code == "invalid_client" || code == "disabled_client":
		return fmt.Sprintf("the service account %s is disabled or deleted, or its project is: enable it in the Cloud console or create a new key", a.key.ClientEmail)
	case code == "invalid_scope":
		return "the scope was refused: use a key of a service account in a Google Cloud project, not another kind of credential"
	}
	return "see Troubleshooting in the collector's README"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
