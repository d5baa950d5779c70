package httpx

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// fakeClock stands in for Options.Now and Options.Sleep: sleeping only
// advances the clock and is recorded, so no test really waits.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sleeps = append(f.sleeps, d)
	f.now = f.now.Add(d)
	return nil
}

func (f *fakeClock) Sleeps() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.sleeps...)
}

// script answers the n-th request with steps[n]; the last step repeats.
type script struct {
	mu      sync.Mutex
	steps   []http.HandlerFunc
	hits    int
	headers []http.Header
	bodies  []string
	urls    []string
}

func newScript(steps ...http.HandlerFunc) *script { return &script{steps: steps} }

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	i := s.hits
	s.hits++
	s.headers = append(s.headers, r.Header.Clone())
	s.bodies = append(s.bodies, string(b))
	s.urls = append(s.urls, r.URL.String())
	step := s.steps[min(i, len(s.steps)-1)]
	s.mu.Unlock()
	step(w, r)
}

func (s *script) Hits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits
}

func (s *script) Header(i int) http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.headers[i]
}

// serve starts a loopback server for the script and closes it at cleanup.
func serve(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func status(code int, header map[string]string, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
	}
}

func ok(body string) http.HandlerFunc {
	return status(200, map[string]string{"Content-Type": "application/json"}, body)
}

// newTestClient builds a client on a fake clock with quick defaults.
func newTestClient(t testing.TB, base string, mod func(*Options)) (*Client, *fakeClock) {
	t.Helper()
	fc := newFakeClock()
	o := Options{
		BaseURL:   base,
		UserAgent: "wodlekit/test (unit)",
		Now:       fc.Now,
		Sleep:     fc.Sleep,
	}
	if mod != nil {
		mod(&o)
	}
	c, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { c.hc.CloseIdleConnections() })
	return c, fc
}

// readAll is a Handler that keeps the body.
func readAll(dst *string) Handler {
	return func(_ *http.Response, body io.Reader) error {
		b, err := io.ReadAll(body)
		*dst = string(b)
		return err
	}
}

// authFunc adapts a function to Authenticator.
type authFunc func(ctx context.Context, r *http.Request, body []byte) error

func (f authFunc) Authenticate(ctx context.Context, r *http.Request, body []byte) error {
	return f(ctx, r, body)
}

// policyFunc adapts a function to RateLimitPolicy.
type policyFunc func(resp *http.Response, body []byte, now time.Time) (time.Duration, bool)

func (f policyFunc) RetryDelay(resp *http.Response, body []byte, now time.Time) (time.Duration, bool) {
	return f(resp, body, now)
}
