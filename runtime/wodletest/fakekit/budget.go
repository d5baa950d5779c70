package fakekit

import "time"

// Budget is a vendor's sliding-window request limit as a fake enforces
// it: at most limit requests per key (an endpoint, a credential's pool)
// in any Window. A refused request is not counted, as the vendors'
// counters behave. Not safe for concurrent use: the fake's lock guards it.
type Budget struct {
	// Window is the limit's length (Duo: a minute; TAP: 24 hours).
	Window time.Duration
	seen   map[string][]time.Time
}

// Take counts one request for key at now and reports true, or reports
// false when limit requests of the last Window are already counted; a
// limit of 0 or less takes every request without counting it.
func (b *Budget) Take(key string, limit int, now time.Time) bool {
	if limit <= 0 {
		return true
	}
	if b.Used(key, now) >= limit {
		return false
	}
	b.seen[key] = append(b.seen[key], now)
	return true
}

// Used is how many requests for key the Window ending at now counts.
func (b *Budget) Used(key string, now time.Time) int {
	if b.seen == nil {
		b.seen = map[string][]time.Time{}
	}
	s := b.seen[key]
	i := 0
	for i < len(s) && now.Sub(s[i]) >= b.Window {
		i++
	}
	b.seen[key] = s[i:]
	return len(s) - i
}
