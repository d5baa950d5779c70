package okta

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// rateLimit is Okta's per-endpoint budget as its X-Rate-Limit-* headers
// state it on every answer.
type rateLimit struct {
	limit, remaining int
	reset            time.Time
	ok               bool
}

// readRateLimit parses the three headers; ok is false unless all parse.
func readRateLimit(h http.Header) rateLimit {
	limit, err1 := strconv.Atoi(strings.TrimSpace(h.Get("X-Rate-Limit-Limit")))
	remaining, err2 := strconv.Atoi(strings.TrimSpace(h.Get("X-Rate-Limit-Remaining")))
	reset, ok := resetTime(h)
	if err1 != nil || err2 != nil || !ok || limit <= 0 || remaining < 0 {
		return rateLimit{}
	}
	return rateLimit{limit: limit, remaining: remaining, reset: reset, ok: true}
}

// resetTime reads X-Rate-Limit-Reset, UTC epoch seconds.
func resetTime(h http.Header) (time.Time, bool) {
	secs, err := strconv.ParseInt(strings.TrimSpace(h.Get("X-Rate-Limit-Reset")), 10, 64)
	if err != nil || secs <= 0 {
		return time.Time{}, false
	}
	return time.Unix(secs, 0), true
}

// maxPause bounds a pacing pause: Okta's windows are one minute, so a
// longer wait means a clock problem, not a budget.
const maxPause = 65 * time.Second

// pause is how long to wait before the next request so that the bucket is
// not emptied: when no more than a tenth of it (at least one request) is
// left, wait until it refills. Other integrations share the org's bucket,
// and an empty bucket also blocks them.
func (r rateLimit) pause(now time.Time) time.Duration {
	if !r.ok || r.remaining > max(1, r.limit/10) {
		return 0
	}
	d := r.reset.Sub(now) + time.Second
	return min(max(d, 0), maxPause)
}

// retryPolicy implements httpx.RateLimitPolicy: after a 429, wait until
// X-Rate-Limit-Reset plus a second (Okta sends no Retry-After).
type retryPolicy struct{}

// RetryDelay implements httpx.RateLimitPolicy.
func (retryPolicy) RetryDelay(resp *http.Response, _ []byte, now time.Time) (time.Duration, bool) {
	reset, ok := resetTime(resp.Header)
	if !ok {
		return 0, false
	}
	// A reset in the past (clock skew) still waits the extra second.
	return max(reset.Sub(now), 0) + time.Second, true
}
