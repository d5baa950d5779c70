package httpx

import (
	"context"
	"sync/atomic"
	"time"
)

// Stats counts what Do did, for a module's run summary; safe for concurrent use.
type Stats struct {
	// Requests counts attempts sent, retries included.
	Requests atomic.Int64
	// Retries counts attempts after the first of each Do.
	Retries atomic.Int64
	// RateLimited counts 429 answers.
	RateLimited atomic.Int64
	// WaitNanos sums time spent waiting: retry backoff, 429 waits and pacing.
	WaitNanos atomic.Int64
}

type statsKey struct{}

// WithStats returns a context whose Do calls also add their counts to s,
// so each module gets its own numbers from one shared client.
func WithStats(ctx context.Context, s *Stats) context.Context {
	return context.WithValue(ctx, statsKey{}, s)
}

// statsSet is the client-wide Stats plus the module's, if any.
type statsSet struct{ client, module *Stats }

func statsFrom(ctx context.Context, client *Stats) statsSet {
	s, _ := ctx.Value(statsKey{}).(*Stats)
	return statsSet{client: client, module: s}
}

func (s statsSet) add(f func(*Stats)) {
	if s.client != nil {
		f(s.client)
	}
	if s.module != nil && s.module != s.client {
		f(s.module)
	}
}

func (s statsSet) request()     { s.add(func(st *Stats) { st.Requests.Add(1) }) }
func (s statsSet) retry()       { s.add(func(st *Stats) { st.Retries.Add(1) }) }
func (s statsSet) rateLimited() { s.add(func(st *Stats) { st.RateLimited.Add(1) }) }
func (s statsSet) waited(d time.Duration) {
	if d > 0 {
		s.add(func(st *Stats) { st.WaitNanos.Add(int64(d)) })
	}
}

// StatsFrom returns the module's Stats its context carries (WithStats),
// or nil: a module reads its own request count from it (Duo's and TAP's
// request budgets) instead of counting again.
func StatsFrom(ctx context.Context) *Stats {
	s, _ := ctx.Value(statsKey{}).(*Stats)
	return s
}

// RequestsFrom is StatsFrom(ctx).Requests, or 0 without Stats.
func RequestsFrom(ctx context.Context) int64 {
	if s := StatsFrom(ctx); s != nil {
		return s.Requests.Load()
	}
	return 0
}
