package httpx

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// oktaPolicy reads Okta's X-Rate-Limit-Reset (UTC epoch seconds).
var oktaPolicy = policyFunc(func(resp *http.Response, _ []byte, now time.Time) (time.Duration, bool) {
	v := resp.Header.Get("X-Rate-Limit-Reset")
	if v == "" {
		return 0, false
	}
	secs, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, false
	}
	return time.Unix(secs, 0).Sub(now), true
})

func TestRateLimitWaits(t *testing.T) {
	now := newFakeClock().Now()
	tests := []struct {
		name     string
		header   map[string]string
		policy   RateLimitPolicy
		floor    time.Duration
		min, max time.Duration
	}{
		{"retry-after seconds", map[string]string{"Retry-After": "7"}, nil, 0, 7 * time.Second, 7700 * time.Millisecond},
		{"retry-after http date", map[string]string{"Retry-After": now.Add(90 * time.Second).Format(http.TimeFormat)}, nil, 0, 90 * time.Second, 95 * time.Second},
		{"retry-after zero does not spin", map[string]string{"Retry-After": "0"}, nil, 0, time.Second, 1100 * time.Millisecond},
		{"no header waits the floor", nil, nil, 20 * time.Second, 20 * time.Second, 22 * time.Second},
		{"no header default floor", nil, nil, 0, 30 * time.Second, 33 * time.Second},
		{"okta reset header via policy", map[string]string{"X-Rate-Limit-Reset": strconv.FormatInt(now.Add(45*time.Second).Unix(), 10)}, oktaPolicy, 0, 45 * time.Second, 49500 * time.Millisecond},
		{"retry-after beats policy", map[string]string{"Retry-After": "3", "X-Rate-Limit-Reset": strconv.FormatInt(now.Add(45*time.Second).Unix(), 10)}, oktaPolicy, 0, 3 * time.Second, 3300 * time.Millisecond},
		{"policy without opinion falls to floor", nil, oktaPolicy, 10 * time.Second, 10 * time.Second, 11 * time.Second},
		{"duo body, no headers", nil, nil, 60 * time.Second, 60 * time.Second, 65 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newScript(status(429, tt.header, `{"code": 42901, "message": "Too Many Requests", "stat": "FAIL"}`), ok(`{"ok":true}`))
			srv := serve(t, s)
			c, fc := newTestClient(t, srv.URL, func(o *Options) { o.Policy = tt.policy; o.RetryFloor = tt.floor })
			var got string
			var st Stats
			if err := c.Do(WithStats(context.Background(), &st), Request{URL: "/logs"}, readAll(&got)); err != nil {
				t.Fatalf("Do: %v", err)
			}
			if got != `{"ok":true}` {
				t.Errorf("body = %q", got)
			}
			sl := fc.Sleeps()
			if len(sl) != 1 || sl[0] < tt.min || sl[0] > tt.max {
				t.Fatalf("sleeps = %v, want one in [%v, %v]", sl, tt.min, tt.max)
			}
			if s.Hits() != 2 || st.RateLimited.Load() != 1 || st.WaitNanos.Load() != int64(sl[0]) {
				t.Errorf("hits=%d rateLimited=%d wait=%v", s.Hits(), st.RateLimited.Load(), time.Duration(st.WaitNanos.Load()))
			}
		})
	}
}

func TestServerErrorsRetried(t *testing.T) {
	tests := []struct {
		name     string
		first    http.HandlerFunc
		min, max time.Duration
	}{
		{"500", status(500, nil, "boom"), 100 * time.Millisecond, time.Second},
		{"502", status(502, nil, ""), 100 * time.Millisecond, time.Second},
		{"408", status(408, nil, ""), 100 * time.Millisecond, time.Second},
		{"503 retry-after honoured", status(503, map[string]string{"Retry-After": "12"}, ""), 12 * time.Second, 13200 * time.Millisecond},
		{"503 policy honoured", status(503, map[string]string{"X-Rate-Limit-Reset": strconv.FormatInt(newFakeClock().Now().Add(8*time.Second).Unix(), 10)}, ""), 8 * time.Second, 8800 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newScript(tt.first, ok(`[]`))
			srv := serve(t, s)
			c, fc := newTestClient(t, srv.URL, func(o *Options) { o.Policy = oktaPolicy })
			var st Stats
			if err := c.Do(WithStats(context.Background(), &st), Request{URL: "/x"}, nil); err != nil {
				t.Fatalf("Do: %v", err)
			}
			sl := fc.Sleeps()
			if len(sl) != 1 || sl[0] < tt.min || sl[0] > tt.max {
				t.Fatalf("sleeps = %v, want one in [%v, %v]", sl, tt.min, tt.max)
			}
			if s.Hits() != 2 || st.Retries.Load() != 1 || st.RateLimited.Load() != 0 {
				t.Errorf("hits=%d retries=%d rateLimited=%d", s.Hits(), st.Retries.Load(), st.RateLimited.Load())
			}
		})
	}
}

func TestBackoffGrowsAndCaps(t *testing.T) {
	s := newScript(status(500, nil, "down"))
	srv := serve(t, s)
	c, fc := newTestClient(t, srv.URL, func(o *Options) {
		o.MaxAttempts = 8
		o.BackoffBase = time.Second
		o.BackoffMax = 4 * time.Second
	})
	err := c.Do(context.Background(), Request{URL: "/x"}, nil)
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 500 {
		t.Fatalf("err = %v, want a StatusError 500", err)
	}
	if !strings.HasPrefix(err.Error(), "after 8 attempts: GET /x: HTTP 500 Internal Server Error: down") {
		t.Errorf("err = %q", err)
	}
	ceil := []time.Duration{1, 2, 4, 4, 4, 4, 4}
	sl := fc.Sleeps()
	if len(sl) != 7 || s.Hits() != 8 {
		t.Fatalf("sleeps=%v hits=%d", sl, s.Hits())
	}
	for i, d := range sl {
		if d < 100*time.Millisecond || d > ceil[i]*time.Second {
			t.Errorf("sleep %d = %v, want within [100ms, %vs]", i, d, ceil[i])
		}
	}
}

func TestConnectionDroppedThenSuccess(t *testing.T) {
	hijack := func(rst bool) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				panic(err)
			}
			if tc, ok := conn.(*net.TCPConn); ok && rst {
				_ = tc.SetLinger(0) // close with RST: "connection reset by peer"
			}
			_ = conn.Close()
		}
	}
	for _, tt := range []struct {
		name string
		rst  bool
	}{{"close without answer", false}, {"reset", true}} {
		t.Run(tt.name, func(t *testing.T) {
			s := newScript(hijack(tt.rst), ok(`{"n":1}`))
			srv := serve(t, s)
			c, fc := newTestClient(t, srv.URL, nil)
			var got string
			if err := c.Do(context.Background(), Request{Method: "POST", URL: "/api/v2/auditevents", Body: []byte(`{"limit":10}`)}, readAll(&got)); err != nil {
				t.Fatalf("Do: %v", err)
			}
			if got != `{"n":1}` || s.Hits() != 2 || len(fc.Sleeps()) != 1 {
				t.Errorf("got=%q hits=%d sleeps=%v", got, s.Hits(), fc.Sleeps())
			}
			if s.bodies[1] != `{"limit":10}` {
				t.Errorf("body not resent: %q", s.bodies[1])
			}
		})
	}
}

func TestTruncatedBodyRetried(t *testing.T) {
	truncated := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(200)
		_, _ = io.WriteString(w, `{"items":[`)
		// Returning short of Content-Length makes the server drop the connection.
	}
	s := newScript(truncated, ok(`{"items":[]}`))
	srv := serve(t, s)
	c, _ := newTestClient(t, srv.URL, nil)
	var seen []error
	h := func(_ *http.Response, body io.Reader) error {
		_, err := io.ReadAll(body)
		seen = append(seen, err)
		return err
	}
	if err := c.Do(context.Background(), Request{URL: "/items"}, h); err != nil {
		t.Fatalf("Do: %v", err)
	}
	if len(seen) != 2 || !errors.Is(seen[0], io.ErrUnexpectedEOF) || !IsRetryable(seen[0]) || seen[1] != nil {
		t.Fatalf("handler saw %v", seen)
	}
}

func TestHandlerErrorNotRetried(t *testing.T) {
	s := newScript(ok(`not json`))
	srv := serve(t, s)
	c, _ := newTestClient(t, srv.URL, nil)
	bad := errors.New("decode page: invalid character")
	err := c.Do(context.Background(), Request{URL: "/p?cursor=abc"}, func(*http.Response, io.Reader) error { return bad })
	if !errors.Is(err, bad) || s.Hits() != 1 {
		t.Fatalf("err=%v hits=%d", err, s.Hits())
	}
	if strings.Contains(err.Error(), "cursor") {
		t.Errorf("query leaked into error: %v", err)
	}
}

func TestResponseHeaderTimeoutRetriedThenFails(t *testing.T) {
	slow := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}
	s := newScript(slow)
	srv := serve(t, s)
	c, fc := newTestClient(t, srv.URL, func(o *Options) {
		o.ResponseHeaderTimeout = 50 * time.Millisecond
		o.MaxAttempts = 3
	})
	err := c.Do(context.Background(), Request{URL: "/slow"}, nil)
	if err == nil || !IsRetryable(err) || !strings.Contains(err.Error(), "after 3 attempts") ||
		!strings.Contains(err.Error(), "timeout awaiting response headers") {
		t.Fatalf("err = %v", err)
	}
	if s.Hits() != 3 || len(fc.Sleeps()) != 2 {
		t.Errorf("hits=%d sleeps=%v", s.Hits(), fc.Sleeps())
	}
}

func TestRequestTimeoutCoversBody(t *testing.T) {
	stall := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(200)
		_, _ = io.WriteString(w, "[")
		http.NewResponseController(w).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}
	s := newScript(stall, ok(`[]`))
	srv := serve(t, s)
	c, _ := newTestClient(t, srv.URL, func(o *Options) { o.RequestTimeout = 100 * time.Millisecond })
	var got string
	if err := c.Do(context.Background(), Request{URL: "/stall"}, readAll(&got)); err != nil {
		t.Fatalf("Do: %v", err)
	}
	if got != "[]" || s.Hits() != 2 {
		t.Errorf("got=%q hits=%d", got, s.Hits())
	}
}

func TestClientErrorsNotRetried(t *testing.T) {
	tests := []struct {
		name   string
		code   int
		ctype  string
		body   string
		method string
		want   string
	}{
		{"1password 401", 401, "application/json", `{"Error":{"Message":"Unauthorized"}}`, "POST",
			"POST /api/v2/auditevents: HTTP 401 Unauthorized: Unauthorized"},
		{"okta 403", 403, "application/json", `{"errorCode":"E0000006","errorSummary":"You do not have permission to perform the requested action","errorLink":"E0000006","errorId":"x","errorCauses":[]}`, "GET",
			"GET /api/v2/auditevents: HTTP 403 Forbidden: E0000006: You do not have permission to perform the requested action"},
		{"duo 400", 400, "application/json", `{"stat":"FAIL","code":40002,"message":"Invalid request parameters","message_detail":"mintime must be within the past 180 days"}`, "GET",
			"GET /api/v2/auditevents: HTTP 400 Bad Request: 40002: Invalid request parameters (mintime must be within the past 180 days)"},
		{"oauth 401", 401, "application/json", `{"error":"invalid_client","error_description":"Client authentication failed"}`, "POST",
			"POST /api/v2/auditevents: HTTP 401 Unauthorized: invalid_client: Client authentication failed"},
		{"tap plain text 404", 404, "text/plain", "Not Found\n\tno such\x00 endpoint", "GET",
			"GET /api/v2/auditevents: HTTP 404 Not Found: Not Found no such endpoint"},
		{"empty body", 401, "", "", "GET", "GET /api/v2/auditevents: HTTP 401 Unauthorized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newScript(status(tt.code, map[string]string{"Content-Type": tt.ctype}, tt.body))
			srv := serve(t, s)
			c, fc := newTestClient(t, srv.URL, nil)
			err := c.Do(context.Background(), Request{Method: tt.method, URL: "/api/v2/auditevents?cursor=SECRETCURSOR"}, nil)
			var se *StatusError
			if !errors.As(err, &se) || se.Code != tt.code {
				t.Fatalf("err = %v", err)
			}
			if err.Error() != tt.want {
				t.Errorf("err = %q\nwant %q", err, tt.want)
			}
			if IsRetryable(err) || s.Hits() != 1 || len(fc.Sleeps()) != 0 {
				t.Errorf("retryable=%v hits=%d sleeps=%v", IsRetryable(err), s.Hits(), fc.Sleeps())
			}
		})
	}
}

func TestHTMLErrorPage(t *testing.T) {
	page := "<!DOCTYPE html>\n<html><head><TITLE>502 Bad Gateway</TITLE></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
	s := newScript(status(502, map[string]string{"Content-Type": "text/html"}, page))
	srv := serve(t, s)
	c, _ := newTestClient(t, srv.URL, func(o *Options) { o.MaxAttempts = 2 })
	err := c.Do(context.Background(), Request{URL: "/v2/siem/all"}, nil)
	want := "after 2 attempts: GET /v2/siem/all: HTTP 502 Bad Gateway: HTML error page: 502 Bad Gateway"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
	if s.Hits() != 2 {
		t.Errorf("hits = %d", s.Hits())
	}
}

func TestWaitBeyondDeadline(t *testing.T) {
	tests := []struct {
		name  string
		first http.HandlerFunc
		pace  bool
		want  []string
	}{
		{"retry-after too long", status(429, map[string]string{"Retry-After": "120"}, ""), false,
			[]string{"GET /logs: rate limited (HTTP 429): need to wait 2m0s (server asked for 2m0s) but only", "of run time remains", "HTTP 429 Too Many Requests"}},
		{"503 retry-after too long", status(503, map[string]string{"Retry-After": "600"}, ""), false,
			[]string{"HTTP 503 with a retry hint: need to wait 10m0s (server asked for 10m0s)", "HTTP 503 Service Unavailable"}},
		{"floor too long", status(429, nil, ""), false,
			[]string{"no hint; floor): need to wait 30s but only"}},
		{"pacing too long", ok(`[]`), true,
			[]string{`client-side pacing (bucket "", 1 per 1h0m0s)`, "need to wait 1h0m0s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newScript(tt.first)
			srv := serve(t, s)
			c, fc := newTestClient(t, srv.URL, nil)
			hits := 1
			if tt.pace {
				c.Pace("", Limit{N: 1, Window: time.Hour})
				hits = 1
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			start := time.Now()
			var err error
			for i := 0; i < 2 && err == nil; i++ {
				err = c.Do(ctx, Request{URL: "/logs"}, nil)
			}
			if !errors.Is(err, ErrDeadline) {
				t.Fatalf("err = %v, want ErrDeadline", err)
			}
			if el := time.Since(start); el > 2*time.Second {
				t.Errorf("took %v: should fail at once", el)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %q\nmissing %q", err, w)
				}
			}
			if len(fc.Sleeps()) != 0 || s.Hits() != hits {
				t.Errorf("sleeps=%v hits=%d", fc.Sleeps(), s.Hits())
			}
			if IsRetryable(err) {
				t.Error("ErrDeadline must not be retryable")
			}
		})
	}
}

func TestCancelStopsWait(t *testing.T) {
	s := newScript(status(429, nil, ""))
	srv := serve(t, s)
	// Cancel once the hour-long wait after the 429 has begun: a timer
	// could fire while the first attempt is still in flight on a busy
	// machine, and then there is no answer to keep.
	waiting := make(chan struct{})
	c, err := New(Options{BaseURL: srv.URL, RetryFloor: time.Hour, Sleep: func(ctx context.Context, d time.Duration) error {
		close(waiting)
		return sleepCtx(ctx, d)
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-waiting
		cancel()
	}()
	start := time.Now()
	err = c.Do(ctx, Request{URL: "/logs"}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 429 {
		t.Errorf("last answer not kept: %v", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("cancel took %v", el)
	}
}

func TestAuthenticateEveryAttempt(t *testing.T) {
	s := newScript(status(500, nil, ""), status(503, nil, ""), ok(`{}`))
	srv := serve(t, s)
	calls := 0
	auth := authFunc(func(_ context.Context, r *http.Request, body []byte) error {
		calls++
		r.Header.Set("Authorization", "Basic attempt-"+strconv.Itoa(calls))
		r.Header.Set("X-Duo-Date", "date-"+strconv.Itoa(calls))
		if string(body) != `{"a":1}` {
			return errors.New("signer did not get the body")
		}
		return nil
	})
	c, _ := newTestClient(t, srv.URL, nil)
	if err := c.WithAuth(auth).Do(context.Background(), Request{Method: "POST", URL: "/admin/v2/logs/authentication", Body: []byte(`{"a":1}`)}, nil); err != nil {
		t.Fatalf("Do: %v", err)
	}
	if calls != 3 || s.Hits() != 3 {
		t.Fatalf("auth calls=%d hits=%d", calls, s.Hits())
	}
	for i := range 3 {
		h := s.Header(i)
		if h.Get("Authorization") != "Basic attempt-"+strconv.Itoa(i+1) || h.Get("X-Duo-Date") != "date-"+strconv.Itoa(i+1) {
			t.Errorf("attempt %d headers: %v", i+1, h)
		}
	}
}

func TestAuthenticateErrorNotRetried(t *testing.T) {
	s := newScript(ok(`{}`))
	srv := serve(t, s)
	c, _ := newTestClient(t, srv.URL, nil)
	bad := errors.New("token expired")
	err := c.WithAuth(authFunc(func(context.Context, *http.Request, []byte) error { return bad })).Do(context.Background(), Request{URL: "/x"}, nil)
	if !errors.Is(err, bad) || s.Hits() != 0 || !strings.Contains(err.Error(), "GET /x: authenticate: token expired") {
		t.Fatalf("err=%v hits=%d", err, s.Hits())
	}
}

func TestStatsCounts(t *testing.T) {
	s := newScript(status(429, map[string]string{"Retry-After": "2"}, ""), status(500, nil, ""), ok(`{}`))
	srv := serve(t, s)
	c, fc := newTestClient(t, srv.URL, nil)
	var mod Stats
	ctx := WithStats(context.Background(), &mod)
	if err := c.WithAuth(nil).Do(ctx, Request{URL: "/x"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(context.Background(), Request{URL: "/y"}, nil); err != nil {
		t.Fatal(err)
	}
	var total time.Duration
	for _, d := range fc.Sleeps() {
		total += d
	}
	if mod.Requests.Load() != 3 || mod.Retries.Load() != 2 || mod.RateLimited.Load() != 1 || mod.WaitNanos.Load() != int64(total) {
		t.Errorf("module stats: req=%d retries=%d rl=%d wait=%v (slept %v)", mod.Requests.Load(), mod.Retries.Load(), mod.RateLimited.Load(), time.Duration(mod.WaitNanos.Load()), total)
	}
	cs := c.Stats()
	if cs.Requests.Load() != 4 || cs.Retries.Load() != 2 || cs.RateLimited.Load() != 1 || cs.WaitNanos.Load() != int64(total) {
		t.Errorf("client stats: req=%d retries=%d rl=%d", cs.Requests.Load(), cs.Retries.Load(), cs.RateLimited.Load())
	}
	if c.WithAuth(nil).Stats() != cs {
		t.Error("WithAuth copy does not share stats")
	}
	// A module reads its own count back from its context.
	if StatsFrom(ctx) != &mod || RequestsFrom(ctx) != 3 {
		t.Errorf("StatsFrom = %p (want %p), RequestsFrom = %d, want 3", StatsFrom(ctx), &mod, RequestsFrom(ctx))
	}
	if StatsFrom(context.Background()) != nil || RequestsFrom(context.Background()) != 0 {
		t.Error("a context without Stats must give nil and 0")
	}
}

func TestRetryAfterParse(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"5", 5 * time.Second, true},
		{" 5 ", 5 * time.Second, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{now.Add(time.Minute).Format(http.TimeFormat), time.Minute, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{"99999999999999", 7 * 24 * time.Hour, true},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.v != "" {
			h.Set("Retry-After", tt.v)
		}
		got, ok := retryAfter(h, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tt.v, got, ok, tt.want, tt.ok)
		}
	}
}

func TestFullJitterBounds(t *testing.T) {
	for n := 1; n <= 12; n++ {
		ceil := min(time.Second<<(n-1), time.Minute)
		for range 200 {
			d := fullJitter(time.Second, time.Minute, n)
			if d < 100*time.Millisecond || d > ceil {
				t.Fatalf("attempt %d: %v outside [100ms, %v]", n, d, ceil)
			}
		}
	}
}
