package proofpointtap

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/wodlekit/wodlekit/runtime/httpx"
)

// day is TAP's budget period: a rolling 24 hours per credential.
const day = 24 * time.Hour

// ledger counts the requests of the last 24 hours in one-minute buckets,
// [[unix seconds of the minute, requests], ...], oldest first. Minute
// buckets keep the cursor small (at most 1440 pairs) and err on the safe
// side: a request is forgotten at most a minute late.
type ledger [][2]int64

// prune drops buckets that left the rolling day.
func (l ledger) prune(now time.Time) ledger {
	cut := now.Add(-day).Unix()
	i := 0
	for i < len(l) && l[i][0]+60 <= cut {
		i++
	}
	return slices.Clone(l[i:])
}

// add records n requests made at now.
func (l ledger) add(now time.Time, n int64) ledger {
	if n <= 0 {
		return l
	}
	m := now.Unix() - now.Unix()%60
	if k := len(l); k > 0 && l[k-1][0] >= m {
		l[k-1][1] += n
		return l
	}
	return append(l, [2]int64{m, n})
}

// used counts the requests of the rolling day ending at now.
func (l ledger) used(now time.Time) int {
	cut := now.Add(-day).Unix()
	n := int64(0)
	for _, b := range l {
		if b[0]+60 > cut {
			n += b[1]
		}
	}
	return int(n)
}

// freeAt is when at least one more request fits under limit.
func (l ledger) freeAt(now time.Time, limit int) time.Time {
	over := l.used(now) - limit + 1
	for _, b := range l {
		if over <= 0 {
			break
		}
		over -= int(b[1])
		if over <= 0 {
			return time.Unix(b[0]+60, 0).Add(day).UTC()
		}
	}
	return now
}

// UnmarshalJSON accepts only well-formed buckets: a hand-edited or
// corrupt ledger must fail loudly, not grant an unlimited budget.
func (l *ledger) UnmarshalJSON(b []byte) error {
	var raw [][]int64
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("request ledger: %w", err)
	}
	out := make(ledger, 0, len(raw))
	for _, p := range raw {
		if len(p) != 2 || p[1] < 0 || p[0] < 0 {
			return fmt.Errorf("request ledger: bucket %v is not [unix_minute, count]", p)
		}
		if len(out) > 0 && p[0] < out[len(out)-1][0] {
			return fmt.Errorf("request ledger: buckets out of order at %d", p[0])
		}
		out = append(out, [2]int64{p[0], p[1]})
	}
	*l = out
	return nil
}

// budget is one module's view of its daily request budget.
type budget struct {
	name      string // "SIEM" or "People"
	limit     int    // the credential's daily budget
	usable    int    // limit less the margin
	marginPct int
	ledger    ledger
}

// record moves the module's attempts since the last call into the ledger:
// TAP counts retries against the budget too, and httpx counts every
// attempt in the module's Stats.
func (b *budget) record(ctx context.Context, now time.Time, counted *int64) {
	n := httpx.RequestsFrom(ctx)
	b.ledger = b.ledger.add(now, n-*counted)
	*counted = n
}

// exhausted says whether no request may be sent now.
func (b *budget) exhausted(now time.Time) bool { return b.ledger.used(now) >= b.usable }

// note is the run summary's budget sentence.
func (b *budget) note(now time.Time) string {
	used := b.ledger.used(now)
	s := fmt.Sprintf("%s budget: %d of %d requests used in the last 24h, %d left (%d%% margin kept)",
		b.name, used, b.limit, max(0, b.usable-used), b.marginPct)
	if used >= b.usable {
		s += fmt.Sprintf("; exhausted until %s", b.ledger.freeAt(now, b.usable).Format(time.RFC3339))
	}
	return s
}
