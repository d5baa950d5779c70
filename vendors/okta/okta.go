// Package okta collects the Okta System Log (module "system") with an API
// token or an OAuth 2.0 service app (private_key_jwt, DPoP), following
// Okta's polling model: the next link, not a timestamp, is the cursor.
package okta

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wodlekit/wodlekit/runtime/auth"
	"github.com/wodlekit/wodlekit/runtime/httpx"
	"github.com/wodlekit/wodlekit/runtime/runner"
)

// Secret keys.
const (
	// TokenKey is the secret key of an Okta API token (SSWS).
	TokenKey = "OKTA_API_TOKEN"
	// PrivateKeyKey is the secret key of the OAuth service app's private key.
	PrivateKeyKey = "OKTA_PRIVATE_KEY"
)

// Authentication kinds of the OKTA_AUTH setting.
const (
	AuthAuto  = "auto"
	AuthToken = "token"
	AuthOAuth = "oauth"
)

// Retention is how long Okta keeps System Log events.
const Retention = 90 * 24 * time.Hour

// Settings are Okta's own settings, read under the OKTA_ prefix.
type Settings struct {
	Auth     string `env:"AUTH, default=auto" help:"Authentication: auto (whichever credentials are configured), token (OKTA_API_TOKEN) or oauth (OKTA_CLIENT_ID and OKTA_PRIVATE_KEY)."`
	ClientID string `env:"CLIENT_ID" help:"Client ID of the OAuth 2.0 API Services app (oauth authentication)."`
	KeyID    string `env:"KEY_ID" help:"Key ID (kid) of the app's public key; default: the JWK's kid, else none (fine while the app has one key)."`
	Scopes   string `env:"SCOPES, default=okta.logs.read" help:"OAuth scopes to request, space separated."`
	DPoP     bool   `env:"DPOP, default=true" help:"Send DPoP proofs with OAuth (Okta requires them for apps with Require DPoP, the default for new apps)."`
}

// Validate implements the runner's settings validation.
func (s *Settings) Validate() error {
	var errs []error
	switch s.Auth {
	case AuthAuto, AuthToken, AuthOAuth:
	default:
		errs = append(errs, fmt.Errorf("OKTA_AUTH: %q is not auto, token or oauth", s.Auth))
	}
	if strings.TrimSpace(s.Scopes) == "" {
		errs = append(errs, errors.New("OKTA_SCOPES: empty; okta.logs.read is needed to read the System Log"))
	}
	if s.ClientID != "" && strings.ContainsAny(s.ClientID, " \t/") {
		errs = append(errs, fmt.Errorf("OKTA_CLIENT_ID: %q does not look like an Okta client ID (0oa...)", s.ClientID))
	}
	return errors.Join(errs...)
}

// New describes the Okta vendor to the runtime.
func New() runner.Vendor {
	settings := &Settings{}
	return runner.Vendor{
		Name:        "okta",
		Title:       "Okta",
		Description: "sign-ins, MFA, admin and policy changes, threats and every other System Log event from Okta",
		EnvPrefix:   "OKTA_",
		// No default and no host list: every org has its own host, custom
		// domains included.
		MaxLookback: Retention,
		MaxPageSize: 1000,
		// A replay is at most the page in flight, or the page at a next
		// link re-read when Okta gave none.
		DedupWindow: 3000,
		Settings:    settings,
		Secrets: []runner.SecretSpec{
			{Key: TokenKey, Optional: true, Help: "Okta API token (Security > API > Tokens), sent as SSWS; its admin needs a role that reads the System Log (Read-only Administrator)."},
			{Key: PrivateKeyKey, Optional: true, Help: "Private key of the OAuth 2.0 service app, PEM or JWK; its public half is in the app's public keys."},
		},
		// One request a second at most; the X-Rate-Limit headers slow us
		// further when the org's bucket runs low.
		RequestsPerMinute: 60,
		RateLimit:         retryPolicy{},
		RetryFloor:        30 * time.Second,
		Auth: func(env *runner.Env) (httpx.Authenticator, error) {
			a, _, err := newAuth(env)
			return a, err
		},
		Modules: func(env *runner.Env) ([]runner.Module, error) {
			return []runner.Module{&system{env: env}}, nil
		},
	}
}

// chooseAuth decides the authentication kind: exactly one kind must be
// configured (or the one OKTA_AUTH names), and a half-configured one says
// what is missing. It makes no network call and builds nothing.
func chooseAuth(env *runner.Env) (string, *Settings, error) {
	s, err := runner.SettingsOf[Settings](env)
	if err != nil {
		return "", nil, err
	}
	tok, hasToken := env.Secrets.Get(TokenKey)
	hasToken = hasToken && !tok.IsZero()
	pk, hasKey := env.Secrets.Get(PrivateKeyKey)
	hasKey = hasKey && !pk.IsZero()
	hasClient := s.ClientID != ""
	kind := s.Auth
	if kind == AuthAuto {
		switch {
		case hasToken && (hasKey || hasClient):
			return "", s, errors.New("both an API token (OKTA_API_TOKEN) and OAuth settings (OKTA_CLIENT_ID/OKTA_PRIVATE_KEY) are configured: remove one, or choose with OKTA_AUTH=token or OKTA_AUTH=oauth")
		case hasToken:
			kind = AuthToken
		case hasKey || hasClient:
			kind = AuthOAuth
		default:
			return "", s, errors.New("no Okta credentials: set the secret OKTA_API_TOKEN (API token), or OKTA_CLIENT_ID and the secret OKTA_PRIVATE_KEY (OAuth service app)")
		}
	}
	if kind == AuthToken {
		if !hasToken {
			return "", s, errors.New("OKTA_AUTH=token but the secret OKTA_API_TOKEN is not set")
		}
		return kind, s, nil
	}
	var missing []string
	if !hasClient {
		missing = append(missing, "the setting OKTA_CLIENT_ID")
	}
	if !hasKey {
		missing = append(missing, "the secret OKTA_PRIVATE_KEY")
	}
	if len(missing) > 0 {
		return "", s, fmt.Errorf("OAuth service app authentication needs %s", strings.Join(missing, " and "))
	}
	return kind, s, nil
}

// describeAuth names the authentication in use, for `check`.
func describeAuth(env *runner.Env) string {
	kind, s, err := chooseAuth(env)
	switch {
	case err != nil:
		return "no valid authentication"
	case kind == AuthToken:
		return "API token (SSWS)"
	}
	d := "OAuth 2.0 service app " + s.ClientID + " (private_key_jwt"
	if s.DPoP {
		d += ", DPoP"
	}
	return d + ", scopes " + strings.Join(strings.Fields(s.Scopes), " ") + ")"
}

// newAuth builds the chosen authenticator.
func newAuth(env *runner.Env) (httpx.Authenticator, string, error) {
	kind, s, err := chooseAuth(env)
	if err != nil {
		return nil, "", err
	}
	if kind == AuthToken {
		tok, _ := env.Secrets.Get(TokenKey)
		return auth.Header{Name: "Authorization", Prefix: "SSWS ", Value: tok}, AuthToken, nil
	}
	pk, _ := env.Secrets.Get(PrivateKeyKey)
	key, err := parsePrivateKey(pk.Reveal(), s.KeyID)
	if err != nil {
		return nil, "", err
	}
	o, err := newOAuth(env, s.ClientID, strings.Join(strings.Fields(s.Scopes), " "), key, s.DPoP)
	if err != nil {
		return nil, "", err
	}
	return o, AuthOAuth, nil
}
