package httpx

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Reset values at or above these are moments, not waits: a wait of 10^9
// milliseconds would be eleven days, and epoch seconds passed 10^9 in 2001.
const (
	epochSecondsFloor = 1_000_000_000
	epochMillisFloor  = 1_000_000_000_000
	// maxReset caps a reset hint: a longer one means a clock or header
	// problem, and the run deadline bounds the wait anyway.
	maxReset = 24 * time.Hour
)

// RateLimitHeaders reads the X-RateLimit-Limit, -Remaining and -Reset
// family of headers (Mimecast, and many others). APIs disagree on what the
// reset value is: a wait in Unit (Mimecast documents milliseconds), or a
// moment (epoch seconds, or epoch milliseconds as some clients of the same
// API read it). Both readings are accepted: a value of at least 10^12 is
// epoch milliseconds, at least 10^9 epoch seconds, anything smaller a
// wait in Unit. It implements RateLimitPolicy: after a 429, wait for the
// reset.
type RateLimitHeaders struct {
	// Prefix of the three headers; "" is "X-RateLimit-".
	Prefix string
	// Unit of a relative reset value; 0 is a millisecond.
	Unit time.Duration
}

// RateLimit is one answer's statement of the budget.
type RateLimit struct {
	// Limit and Remaining are the quota and what is left of it.
	Limit, Remaining int
	// Reset is how long from the answer until a request is given back.
	Reset time.Duration
}

// Read parses the three headers; ok is false unless Limit and Remaining
// are non-negative integers. A missing or unreadable reset is zero.
func (p RateLimitHeaders) Read(h http.Header, now time.Time) (RateLimit, bool) {
	pre := p.prefix()
	limit, err1 := strconv.Atoi(strings.TrimSpace(h.Get(pre + "Limit")))
	remaining, err2 := strconv.Atoi(strings.TrimSpace(h.Get(pre + "Remaining")))
	if err1 != nil || err2 != nil || limit < 0 || remaining < 0 {
		return RateLimit{}, false
	}
	reset, _ := p.reset(h, now)
	return RateLimit{Limit: limit, Remaining: remaining, Reset: reset}, true
}

// RetryDelay implements RateLimitPolicy: the reset header, read both ways.
func (p RateLimitHeaders) RetryDelay(resp *http.Response, _ []byte, now time.Time) (time.Duration, bool) {
	return p.reset(resp.Header, now)
}

func (p RateLimitHeaders) prefix() string {
	if p.Prefix == "" {
		return "X-RateLimit-"
	}
	return p.Prefix
}

// reset reads the reset header as a wait from now.
func (p RateLimitHeaders) reset(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get(p.prefix() + "Reset"))
	n, err := strconv.ParseFloat(v, 64)
	if v == "" || err != nil || n < 0 || n != n {
		return 0, false
	}
	var d time.Duration
	switch {
	case n >= epochMillisFloor:
		d = time.UnixMilli(int64(n)).Sub(now)
	case n >= epochSecondsFloor:
		d = time.Unix(int64(n), 0).Sub(now)
	default:
		unit := p.Unit
		if unit <= 0 {
			unit = time.Millisecond
		}
		d = time.Duration(min(n*float64(unit), float64(maxReset)))
	}
	return min(max(d, 0), maxReset), true
}

// Pause is how long to wait before the next request so that the quota is
// not run dry: when no more than reserve requests are left, until the
// reset. A quota shared with other integrations (Mimecast's is per user,
// across its keys) should not be emptied by one of them.
func (r RateLimit) Pause(reserve int) time.Duration {
	if r.Limit == 0 || r.Remaining > reserve {
		return 0
	}
	return r.Reset
}
