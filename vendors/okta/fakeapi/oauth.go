package fakeapi

import (
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// algs are the JWS algorithms the fake accepts, as Okta does.
var algs = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.ES256, jose.ES384, jose.ES512}

// proofClaims are the claims of a DPoP proof.
type proofClaims struct {
	JTI   string `json:"jti"`
	HTM   string `json:"htm"`
	HTU   string `json:"htu"`
	IAT   int64  `json:"iat"`
	Nonce string `json:"nonce"`
	ATH   string `json:"ath"`
}

// verifyProof checks a DPoP proof (RFC 9449 section 4.3) and returns its
// claims and the SHA-256 thumbprint of its key.
func (a *API) verifyProof(proof, method, htu, accessToken string) (*proofClaims, string, error) {
	jws, err := jose.ParseSignedCompact(proof, algs)
	if err != nil {
		return nil, "", fmt.Errorf("DPoP proof is not a JWS: %w", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, "", errors.New("DPoP proof must have one signature")
	}
	h := jws.Signatures[0].Protected
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != "dpop+jwt" {
		return nil, "", fmt.Errorf("DPoP proof typ is %q, not dpop+jwt", typ)
	}
	if h.JSONWebKey == nil || !h.JSONWebKey.IsPublic() {
		return nil, "", errors.New("DPoP proof has no public jwk header")
	}
	payload, err := jws.Verify(h.JSONWebKey)
	if err != nil {
		return nil, "", fmt.Errorf("DPoP proof signature: %w", err)
	}
	var c proofClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, "", fmt.Errorf("DPoP proof claims: %w", err)
	}
	now := a.o.Now()
	switch {
	case c.HTM != method:
		return nil, "", fmt.Errorf("DPoP proof htm %q, want %q", c.HTM, method)
	case c.HTU != htu:
		return nil, "", fmt.Errorf("DPoP proof htu %q, want %q", c.HTU, htu)
	case c.JTI == "" || a.jtis["dpop:"+c.JTI]:
		return nil, "", errors.New("DPoP proof jti missing or reused")
	case now.Sub(time.Unix(c.IAT, 0)).Abs() > 5*time.Minute:
		return nil, "", errors.New("DPoP proof iat too far from now")
	case accessToken != "" && c.ATH != tokenHash(accessToken):
		return nil, "", errors.New("DPoP proof ath does not match the access token")
	}
	a.jtis["dpop:"+c.JTI] = true
	thumb, err := h.JSONWebKey.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, "", fmt.Errorf("DPoP key thumbprint: %w", err)
	}
	return &c, base64.RawURLEncoding.EncodeToString(thumb), nil
}

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// token serves POST /oauth2/v1/token: client credentials with a
// private_key_jwt assertion, DPoP-bound when a proof comes with it.
func (a *API) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		oauthError(w, http.StatusMethodNotAllowed, "invalid_request", "POST only")
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the body is not a form")
		return
	}
	tokenURL := "http://" + r.Host + r.URL.Path
	f := r.PostForm
	if f.Get("grant_type") != "client_credentials" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "The authorization grant type is not supported by the authorization server.")
		return
	}
	if a.o.PublicKey == nil || f.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed.")
		return
	}
	if err := a.verifyAssertion(f.Get("client_assertion"), tokenURL); err != nil {
		oauthError(w, http.StatusUnauthorized, "invalid_client", err.Error())
		return
	}
	for _, s := range strings.Fields(f.Get("scope")) {
		if s != "okta.logs.read" {
			oauthError(w, http.StatusBadRequest, "invalid_scope", "The requested scope is invalid, unknown, or malformed.")
			return
		}
	}
	if f.Get("scope") == "" {
		oauthError(w, http.StatusBadRequest, "invalid_scope", "The requested scope is invalid, unknown, or malformed.")
		return
	}
	proof := r.Header.Get("DPoP")
	jkt := ""
	if proof == "" && a.o.RequireDPoP {
		oauthError(w, http.StatusBadRequest, "invalid_dpop_proof", "The DPoP proof JWT header is missing.")
		return
	}
	if proof != "" {
		c, thumb, err := a.verifyProof(proof, http.MethodPost, tokenURL, "")
		if err != nil {
			oauthError(w, http.StatusBadRequest, "invalid_dpop_proof", err.Error())
			return
		}
		if c.Nonce != a.nonce {
			w.Header().Set("DPoP-Nonce", a.nonce)
			oauthError(w, http.StatusBadRequest, "use_dpop_nonce", "Authorization server requires nonce in DPoP proof.")
			return
		}
		jkt = thumb
	}
	access := "fake-at-" + randomHex(16)
	a.tokens[access] = issued{expires: a.o.Now().Add(a.o.TokenTTL), jkt: jkt}
	a.issuedN++
	typ := "Bearer"
	if jkt != "" {
		typ = "DPoP"
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"token_type": typ, "expires_in": int(a.o.TokenTTL / time.Second), "access_token": access, "scope": f.Get("scope"),
	})
}

// verifyAssertion checks the client assertion: signed by the app's key,
// iss and sub the client ID, aud the token endpoint, unexpired, at most an
// hour long, and a jti never seen before.
func (a *API) verifyAssertion(assertion, tokenURL string) error {
	tok, err := jwt.ParseSigned(assertion, algs)
	if err != nil {
		return errors.New("the client_assertion is not a signed JWT")
	}
	var c jwt.Claims
	if err := tok.Claims(a.o.PublicKey, &c); err != nil {
		return errors.New("the client_assertion signature is invalid")
	}
	now := a.o.Now()
	if err := c.ValidateWithLeeway(jwt.Expected{Issuer: a.o.ClientID, Subject: a.o.ClientID, AnyAudience: jwt.Audience{tokenURL}, Time: now}, 30*time.Second); err != nil {
		return fmt.Errorf("the client_assertion is not valid: %v", err)
	}
	if c.Expiry == nil || c.Expiry.Time().Sub(now) > time.Hour {
		return errors.New("the client_assertion exp must be at most an hour ahead")
	}
	if c.ID == "" || a.jtis["assertion:"+c.ID] {
		return errors.New("the client_assertion token has already been used")
	}
	a.jtis["assertion:"+c.ID] = true
	return nil
}

// authorized checks an API call's credentials and writes the refusal.
func (a *API) authorized(w http.ResponseWriter, r *http.Request) bool {
	scheme, cred, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	invalid := func() bool {
		oktaError(w, http.StatusUnauthorized, "E0000011", "Invalid token provided")
		return false
	}
	switch strings.ToLower(scheme) {
	case "ssws":
		if a.o.Token == "" || cred != a.o.Token {
			return invalid()
		}
		return true
	case "bearer", "dpop":
	default:
		return invalid()
	}
	it, ok := a.tokens[cred]
	if !ok || !a.o.Now().Before(it.expires) {
		w.Header().Set("WWW-Authenticate", scheme+` error="invalid_token", error_description="The access token is invalid."`)
		return invalid()
	}
	if it.jkt == "" {
		return strings.EqualFold(scheme, "bearer") || invalid()
	}
	if !strings.EqualFold(scheme, "dpop") {
		w.Header().Set("WWW-Authenticate", `DPoP error="invalid_token", error_description="The DPoP-bound access token was sent as a Bearer token."`)
		return invalid()
	}
	c, thumb, err := a.verifyProof(r.Header.Get("DPoP"), r.Method, "http://"+r.Host+r.URL.Path, cred)
	if err != nil || thumb != it.jkt {
		w.Header().Set("WWW-Authenticate", `DPoP error="invalid_dpop_proof", error_description="The DPoP proof is invalid."`)
		return invalid()
	}
	if a.o.ResourceNonce && c.Nonce != a.nonce {
		w.Header().Set("WWW-Authenticate", `DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof."`)
		w.Header().Set("DPoP-Nonce", a.nonce)
		return invalid()
	}
	return true
}
