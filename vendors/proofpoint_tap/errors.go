package proofpointtap

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/wodlekit/wodlekit/runtime/httpx"
)

// maxAgeText finds TAP's limit in its 400 answer: "The requested start
// time is too far into the past. Requests for information up to 7.00d
// are accepted".
var maxAgeText = regexp.MustCompile(`up to ([0-9]+(?:\.[0-9]+)?)\s*([dhms])`)

// tooFarInPast recognises TAP's "start too far into the past" answer and
// returns the age TAP accepts (7 days when the text does not say).
func tooFarInPast(err error) (time.Duration, bool) {
	var se *httpx.StatusError
	if !errors.As(err, &se) || se.Code != 400 || !strings.Contains(strings.ToLower(se.Message), "too far into the past") {
		return 0, false
	}
	return parseMaxAge(se.Message), true
}

// parseMaxAge reads "up to 7.00d" (or h, m, s) from a TAP message; an
// unreadable or implausible value gives the documented 7 days.
func parseMaxAge(msg string) time.Duration {
	m := maxAgeText.FindStringSubmatch(msg)
	if m == nil {
		return maxAge
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return maxAge
	}
	unit := map[string]time.Duration{"d": 24 * time.Hour, "h": time.Hour, "m": time.Minute, "s": time.Second}[m[2]]
	d := time.Duration(n * float64(unit))
	// Anything outside (1 hour, 30 days] is a misread, not a policy.
	if d <= time.Hour || d > 30*24*time.Hour {
		return maxAge
	}
	return d
}
