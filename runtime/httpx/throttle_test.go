package httpx

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// reasonPolicy is a RateLimitPolicy and a Throttler: an answer whose body
// names one of reasons is a throttle, like Google's 403 rateLimitExceeded.
type reasonPolicy struct{ reasons []string }

func (reasonPolicy) RetryDelay(*http.Response, []byte, time.Time) (time.Duration, bool) {
	return 0, false
}

func (p reasonPolicy) Throttled(_ *http.Response, body []byte) bool {
	for _, r := range p.reasons {
		if strings.Contains(string(body), `"reason":"`+r+`"`) {
			return true
		}
	}
	return false
}

// challengeCounter is an Authenticator and Challenger that learns nothing
// and counts what it was asked about.
type challengeCounter struct{ asked int }

func (*challengeCounter) Authenticate(context.Context, *http.Request, []byte) error { return nil }
func (c *challengeCounter) Challenge(*http.Response, []byte) bool                   { c.asked++; return false }

const (
	bodyRateLimit = `{"error":{"code":403,"message":"Rate Limit Exceeded","errors":[{"domain":"usageLimits","reason":"rateLimitExceeded"}],"status":"PERMISSION_DENIED"}}`
	bodyDaily     = `{"error":{"code":403,"message":"Daily Limit Exceeded","errors":[{"domain":"usageLimits","reason":"dailyLimitExceeded"}],"status":"PERMISSION_DENIED"}}`
	bodyForbidden = `{"error":{"code":403,"message":"Not Authorized to access this resource/api","errors":[{"domain":"global","reason":"forbidden"}],"status":"PERMISSION_DENIED"}}`
)

// A Policy that is also a Throttler turns a non-429 answer into a 429:
// counted as rate limited, waiting for Retry-After, then the floor; the
// answers it does not mark, and every answer without such a policy, are
// handled as before (one attempt for a 403).
func TestThrottlerMarksNon429AsThrottle(t *testing.T) {
	google := reasonPolicy{reasons: []string{"rateLimitExceeded", "userRateLimitExceeded"}}
	tests := []struct {
		name      string
		policy    RateLimitPolicy
		first     http.HandlerFunc
		hits      int           // requests sent
		limited   int64         // counted as rate limited
		min, max  time.Duration // the one wait, when hits is 2
		challenge int           // times the Challenger was asked
	}{
		{"marked 403 waits the floor", google, status(403, nil, bodyRateLimit), 2, 1, 5 * time.Second, 5500 * time.Millisecond, 0},
		{"marked 403 honours Retry-After", google, status(403, map[string]string{"Retry-After": "12"}, bodyRateLimit), 2, 1, 12 * time.Second, 13200 * time.Millisecond, 0},
		{"marked 503 waits the floor, not the backoff", google, status(503, nil, strings.ReplaceAll(bodyRateLimit, "403", "503")), 2, 1, 5 * time.Second, 5500 * time.Millisecond, 0},
		{"429 still a throttle with a Throttler", google, status(429, nil, ``), 2, 1, 5 * time.Second, 5500 * time.Millisecond, 0},
		{"unmarked 403 is final", google, status(403, nil, bodyDaily), 1, 0, 0, 0, 1},
		{"forbidden 403 is final", google, status(403, nil, bodyForbidden), 1, 0, 0, 0, 1},
		{"no policy: 403 is final", nil, status(403, nil, bodyRateLimit), 1, 0, 0, 0, 1},
		{"policy without Throttled: 403 is final", oktaPolicy, status(403, nil, bodyRateLimit), 1, 0, 0, 0, 1},
		{"unmarked 500 backs off as before", google, status(500, nil, `boom`), 2, 0, 100 * time.Millisecond, time.Second, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newScript(tt.first, ok(`{"ok":true}`))
			srv := serve(t, s)
			c, fc := newTestClient(t, srv.URL, func(o *Options) { o.Policy = tt.policy; o.RetryFloor = 5 * time.Second })
			auth := &challengeCounter{}
			var st Stats
			err := c.WithAuth(auth).Do(WithStats(context.Background(), &st), Request{URL: "/activity"}, nil)
			if s.Hits() != tt.hits || st.RateLimited.Load() != tt.limited || auth.asked != tt.challenge {
				t.Fatalf("hits=%d (want %d) rateLimited=%d (want %d) challenged=%d (want %d); err=%v",
					s.Hits(), tt.hits, st.RateLimited.Load(), tt.limited, auth.asked, tt.challenge, err)
			}
			sl := fc.Sleeps()
			if tt.hits == 1 {
				var se *StatusError
				if !errors.As(err, &se) || se.Code != 403 || se.Throttled || IsRetryable(err) || len(sl) != 0 {
					t.Fatalf("err=%v sleeps=%v: want a final, unretryable 403 at once", err, sl)
				}
				return
			}
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if len(sl) != 1 || sl[0] < tt.min || sl[0] > tt.max {
				t.Fatalf("sleeps = %v, want one in [%v, %v]", sl, tt.min, tt.max)
			}
		})
	}
}

// A throttle that outlasts the attempts or the deadline ends as a 429
// does: the last answer kept, marked Throttled and retryable, the wait
// named with the answer's real status.
func TestThrottleRunsOut(t *testing.T) {
	google := reasonPolicy{reasons: []string{"rateLimitExceeded"}}
	s := newScript(status(403, nil, bodyRateLimit))
	srv := serve(t, s)
	c, fc := newTestClient(t, srv.URL, func(o *Options) { o.Policy = google; o.RetryFloor = 5 * time.Second; o.MaxAttempts = 3 })
	err := c.Do(context.Background(), Request{URL: "/activity"}, nil)
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 403 || !se.Throttled || !IsRetryable(err) {
		t.Fatalf("err = %v, want the throttled 403, retryable", err)
	}
	if !strings.HasPrefix(err.Error(), "after 3 attempts: GET /activity: HTTP 403 Forbidden: ") || s.Hits() != 3 || len(fc.Sleeps()) != 2 {
		t.Fatalf("err=%q hits=%d sleeps=%v", err, s.Hits(), fc.Sleeps())
	}

	s = newScript(status(403, nil, bodyRateLimit))
	srv = serve(t, s)
	c, fc = newTestClient(t, srv.URL, func(o *Options) { o.Policy = google; o.RetryFloor = time.Minute })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = c.Do(ctx, Request{URL: "/activity"}, nil)
	if !errors.Is(err, ErrDeadline) || !errors.As(err, &se) || se.Code != 403 ||
		!strings.Contains(err.Error(), "rate limited (HTTP 403, no hint; floor): need to wait 1m0s but only") {
		t.Fatalf("err = %v", err)
	}
	if s.Hits() != 1 || len(fc.Sleeps()) != 0 {
		t.Errorf("hits=%d sleeps=%v", s.Hits(), fc.Sleeps())
	}
}

// RetryFloorMax makes the hintless throttle wait double from the floor
// (Google: 5 s, then 10 s, ...), capped; without it every wait is the
// floor, as before. A server's hint is still taken as it is.
func TestRetryFloorGrows(t *testing.T) {
	google := reasonPolicy{reasons: []string{"rateLimitExceeded"}}
	tests := []struct {
		name     string
		floorMax time.Duration
		first    http.HandlerFunc
		want     []time.Duration // each wait's least; jitter adds up to a tenth
	}{
		{"constant floor by default", 0, status(429, nil, ``), []time.Duration{5, 5, 5, 5}},
		{"429 doubles up to the cap", 30 * time.Second, status(429, nil, ``), []time.Duration{5, 10, 20, 30}},
		{"marked 403 doubles too", time.Minute, status(403, nil, bodyRateLimit), []time.Duration{5, 10, 20, 40}},
		{"a cap below the floor keeps the floor", time.Second, status(429, nil, ``), []time.Duration{5, 5, 5, 5}},
		{"Retry-After is not doubled", time.Minute, status(429, map[string]string{"Retry-After": "3"}, ``), []time.Duration{3, 3, 3, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newScript(tt.first, tt.first, tt.first, tt.first, ok(`{}`))
			srv := serve(t, s)
			c, fc := newTestClient(t, srv.URL, func(o *Options) {
				o.Policy, o.RetryFloor, o.RetryFloorMax, o.MaxAttempts = google, 5*time.Second, tt.floorMax, 5
			})
			if err := c.Do(context.Background(), Request{URL: "/x"}, nil); err != nil {
				t.Fatalf("Do: %v", err)
			}
			sl := fc.Sleeps()
			if len(sl) != len(tt.want) {
				t.Fatalf("sleeps = %v, want %d", sl, len(tt.want))
			}
			for i, w := range tt.want {
				w *= time.Second
				if sl[i] < w || sl[i] > w+w/10 {
					t.Errorf("wait %d = %v, want within [%v, %v]", i+1, sl[i], w, w+w/10)
				}
			}
		})
	}
}

func TestRetryFloorMaxValidated(t *testing.T) {
	if _, err := New(Options{BaseURL: "https://example.com", RetryFloorMax: -time.Second}); err == nil || !strings.Contains(err.Error(), "RetryFloorMax") {
		t.Fatalf("negative RetryFloorMax: err = %v", err)
	}
}
