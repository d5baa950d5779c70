package okta

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/wodlekit/wodlekit/runtime/httpx"
	"github.com/wodlekit/wodlekit/runtime/runner"
	"github.com/wodlekit/wodlekit/vendors/okta/fakeapi"
)

// clock is shared by the collector and the fake, so expiry is exact.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestOAuthTokenRenewalAndNonces(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	api := fakeapi.New(fakeapi.Options{ClientID: "0oaUnit", PublicKey: &key.PublicKey, RequireDPoP: true, ResourceNonce: true,
		TokenTTL: 10 * time.Minute, Events: 5, Start: clk.now.Add(-time.Hour), Span: time.Minute, Now: clk.Now})
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	hc, err := httpx.New(httpx.Options{BaseURL: srv.URL, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	sk, err := newSigningKey(key, "kid-1")
	if err != nil {
		t.Fatal(err)
	}
	o, err := newOAuth(&runner.Env{HTTP: hc, Now: clk.Now}, "0oaUnit", "okta.logs.read", sk, true)
	if err != nil {
		t.Fatal(err)
	}
	client := hc.WithAuth(o)
	get := func() {
		t.Helper()
		if err := client.Do(context.Background(), httpx.Request{URL: "/api/v1/logs?limit=1&sortOrder=ASCENDING"}, nil); err != nil {
			t.Fatalf("GET: %v", err)
		}
	}
	steps := []struct {
		name                       string
		advance                    time.Duration
		rotate                     bool
		wantTokens, wantTokenCalls int
		wantLogCalls               int
	}{
		// Token: nonce demanded, then issued. API: nonce demanded, then served.
		{"first call learns both nonces", 0, false, 1, 2, 2},
		{"cached token reused", time.Minute, false, 1, 2, 3},
		{"still cached 61s before expiry", 7*time.Minute + 58*time.Second, false, 1, 2, 4},
		{"renewed within 60s of expiry", 2 * time.Second, false, 2, 3, 5},
		{"a rotated nonce is learned again", 0, true, 2, 3, 7},
		// The fake rotated its one nonce for both ends: the token call learns it again.
		{"expired token renewed", 11 * time.Minute, false, 3, 5, 8},
	}
	for _, s := range steps {
		clk.Add(s.advance)
		if s.rotate {
			api.RotateNonce()
		}
		get()
		if got := api.TokensIssued(); got != s.wantTokens {
			t.Errorf("%s: %d tokens, want %d", s.name, got, s.wantTokens)
		}
		if got := api.Count("/oauth2/v1/token"); got != s.wantTokenCalls {
			t.Errorf("%s: %d token calls, want %d", s.name, got, s.wantTokenCalls)
		}
		if got := api.Count("/api/v1/logs"); got != s.wantLogCalls {
			t.Errorf("%s: %d API calls, want %d", s.name, got, s.wantLogCalls)
		}
	}
}

func TestParsePrivateKey(t *testing.T) {
	tests := []struct {
		name, raw, want string
	}{
		{"public JWK", `{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}`, "public JWK"},
		{"broken JWK", `{"kty":"EC"`, "does not parse"},
		{"not a key PEM", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "is not a private key"},
		{"garbage", "hunter2", "neither a PEM private key nor a JWK"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parsePrivateKey(tc.raw, "")
			if err == nil || !contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
			if contains(err.Error(), tc.raw) && len(tc.raw) > 8 {
				t.Fatal("the error quotes the key")
			}
		})
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
