package mimecast

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/wodlekit/wodlekit/runtime/httpx"
	"github.com/wodlekit/wodlekit/runtime/runner"
)

// TokenPath is API 2.0's token endpoint.
const TokenPath = "/oauth/token"

// Token lifetimes: Mimecast's tokens live 30 minutes (expires_in 1799);
// one is renewed a minute before it expires, so that it never expires
// between the check and the request or during a retry.
const (
	renewBefore = time.Minute
	defaultTTL  = 30 * time.Minute
)

// tokens authenticates every API call with a bearer token from the
// client-credentials grant (golang.org/x/oauth2/clientcredentials), cached
// for the run and renewed before it expires. The token requests go through
// the run's HTTP client (oauth2.HTTPClient), so they are retried, paced,
// bounded by the run and counted like any other. A token Mimecast refuses
// before its expiry is not renewed on the spot: the refusal is an auth
// error event, and the next run starts with a new token.
type tokens struct {
	conf *clientcredentials.Config
	hc   *http.Client
	now  func() time.Time

	mu      sync.Mutex
	token   string
	expires time.Time
	// fetched counts tokens obtained in this run (tests, check output).
	fetched int
}

func newTokens(env *runner.Env) (*tokens, error) {
	id, _ := env.Secrets.Get(ClientIDKey)
	secret, _ := env.Secrets.Get(ClientSecretKey)
	if id.Reveal() == "" || secret.Reveal() == "" {
		return nil, errors.New("MIMECAST_CLIENT_ID and MIMECAST_CLIENT_SECRET must both be set")
	}
	now := env.Now
	if now == nil {
		now = time.Now
	}
	return &tokens{
		conf: &clientcredentials.Config{
			ClientID:     id.Reveal(),
			ClientSecret: secret.Reveal(),
			TokenURL:     env.HTTP.BaseURL().JoinPath(TokenPath).String(),
			// Mimecast reads the credentials from the form body.
			AuthStyle: oauth2.AuthStyleInParams,
		},
		// env.HTTP has no authenticator yet when Vendor.Auth runs: the
		// token request carries only the client's credentials.
		hc:  env.HTTP.HTTPClient("token"),
		now: now,
	}, nil
}

// Authenticate implements httpx.Authenticator.
func (t *tokens) Authenticate(ctx context.Context, r *http.Request, _ []byte) error {
	tok, err := t.access(ctx)
	if err != nil {
		return err
	}
	r.Header.Set("Authorization", "Bearer "+tok)
	return nil
}

// access returns the cached token, or a new one when there is none or it
// expires within renewBefore.
func (t *tokens) access(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token != "" && t.now().Before(t.expires.Add(-renewBefore)) {
		return t.token, nil
	}
	asked := t.now()
	tok, err := t.conf.Token(context.WithValue(ctx, oauth2.HTTPClient, t.hc))
	if err != nil {
		return "", tokenError(err)
	}
	if tok.AccessToken == "" || !tok.Valid() {
		return "", runner.AuthError(fmt.Errorf("POST %s: Mimecast answered without an access token", TokenPath))
	}
	// expires_in is read against the run's clock (oauth2 stamps Expiry
	// with the wall clock, which tests cannot drive).
	ttl := defaultTTL
	if v, ok := tok.Extra("expires_in").(float64); ok && v > 0 {
		ttl = time.Duration(v) * time.Second
	}
	t.token, t.expires = tok.AccessToken, asked.Add(ttl)
	t.fetched++
	return t.token, nil
}

// tokenError explains a failed token request. A refusal keeps its status
// (an auth error event); a token endpoint that stays down after the
// client's retries is reported as such, not retried again by the request
// that needed the token.
func tokenError(err error) error {
	var se *httpx.StatusError
	if errors.As(err, &se) {
		switch se.Code {
		case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden:
			return fmt.Errorf("the client credentials were refused (check %s and %s, and that the API 2.0 application is enabled): %w", ClientIDKey, ClientSecretKey, se)
		}
	}
	return &tokenUnavailable{msg: err.Error()}
}

// tokenUnavailable is a token request that failed for good after its own
// retries; it is not retryable, so the API call that needed it stops.
type tokenUnavailable struct{ msg string }

func (e *tokenUnavailable) Error() string { return "no access token: " + e.msg }

var _ httpx.Authenticator = (*tokens)(nil)
