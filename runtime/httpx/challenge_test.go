package httpx

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
)

// nonceAuth stamps the last nonce it learned, like a DPoP authenticator.
type nonceAuth struct {
	mu     sync.Mutex
	nonce  string
	called int
}

func (a *nonceAuth) Authenticate(_ context.Context, r *http.Request, _ []byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	r.Header.Set("X-Nonce", a.nonce)
	return nil
}

func (a *nonceAuth) Challenge(resp *http.Response, _ []byte) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.called++
	n := resp.Header.Get("Nonce")
	if n == "" || n == a.nonce {
		return false
	}
	a.nonce = n
	return true
}

func TestChallengeResendsOnceWithWhatWasLearned(t *testing.T) {
	tests := []struct {
		name      string
		steps     []http.HandlerFunc
		wantHits  int
		wantErr   int // 0: success
		wantNonce string
	}{
		{"401 with a new nonce is resent at once", []http.HandlerFunc{
			status(401, map[string]string{"Nonce": "n1"}, `{"error":"use_dpop_nonce"}`), ok(`{}`)}, 2, 0, "n1"},
		{"400 with a new nonce is resent", []http.HandlerFunc{
			status(400, map[string]string{"Nonce": "n1"}, `{"error":"use_dpop_nonce"}`), ok(`{}`)}, 2, 0, "n1"},
		{"the same nonce twice is not resent again", []http.HandlerFunc{
			status(401, map[string]string{"Nonce": "n1"}, ``)}, 2, 401, "n1"},
		{"a plain 401 is final", []http.HandlerFunc{status(401, nil, `{"message":"bad token"}`)}, 1, 401, ""},
		{"a 403 without news is final", []http.HandlerFunc{status(403, nil, ``)}, 1, 403, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newScript(tc.steps...)
			srv := serve(t, s)
			c, fc := newTestClient(t, srv.URL, nil)
			a := &nonceAuth{}
			err := c.WithAuth(a).Do(context.Background(), Request{URL: "/x"}, nil)
			var se *StatusError
			switch {
			case tc.wantErr == 0 && err != nil:
				t.Fatalf("Do: %v", err)
			case tc.wantErr != 0 && (!errors.As(err, &se) || se.Code != tc.wantErr):
				t.Fatalf("Do: %v, want HTTP %d", err, tc.wantErr)
			}
			if s.Hits() != tc.wantHits {
				t.Errorf("%d requests, want %d", s.Hits(), tc.wantHits)
			}
			if got := s.Header(s.Hits() - 1).Get("X-Nonce"); got != tc.wantNonce {
				t.Errorf("last request carried nonce %q, want %q", got, tc.wantNonce)
			}
			for _, d := range fc.Sleeps() {
				if d != 0 {
					t.Errorf("a challenge waited %v; it should resend at once", d)
				}
			}
		})
	}
}

func TestChallengeIgnoredWithoutChallenger(t *testing.T) {
	s := newScript(status(401, map[string]string{"Nonce": "n1"}, ``), ok(`{}`))
	srv := serve(t, s)
	c, _ := newTestClient(t, srv.URL, nil)
	plain := authFunc(func(context.Context, *http.Request, []byte) error { return nil })
	if err := c.WithAuth(plain).Do(context.Background(), Request{URL: "/x"}, nil); err == nil {
		t.Fatal("a 401 succeeded without a Challenger")
	}
	if s.Hits() != 1 {
		t.Fatalf("%d requests, want 1", s.Hits())
	}
}
