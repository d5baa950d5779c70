package httpx

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Limit is a request budget as a vendor counts it: at most N requests in
// any Window (1Password: 600 a minute and 30,000 an hour).
type Limit struct {
	N      int
	Window time.Duration
}

func (l Limit) String() string { return fmt.Sprintf("%d per %v", l.N, l.Window) }

// window paces one endpoint by sliding windows: a request may go when
// fewer than N requests were sent in the Window before it, for every
// Limit. A run thus spends its budget as fast as the API answers and
// waits only once the budget is really spent, where a token bucket would
// space every request by Window/N.
//
// The vendor counts a request when it arrives, somewhere between the
// moment we send it and the moment its answer ends, so each request is
// counted where the vendor could count it latest: ended requests at their
// end (sent holds those times, on the client's clock, as offsets from
// base, sorted), and requests still in flight (flying) as if they arrived
// now, since one may still reach the vendor at any moment. Counting an
// in-flight request at the time it was sent would let a request held up
// longer than the window (a slow answer, or another module's long wait)
// land in the same vendor window as the ones sent after it. The check and
// the record are one step under the lock, so concurrent modules sharing a
// budget can never pass it together.
type window struct {
	limits  []Limit
	longest time.Duration

	mu     sync.Mutex
	base   time.Time
	sent   []time.Duration
	flying int
}

func newWindow(limits []Limit) *window {
	w := &window{limits: limits}
	for _, l := range limits {
		w.longest = max(w.longest, l.Window)
	}
	return w
}

// take records a request going at now when every limit allows it and
// returns its time; otherwise it records nothing and returns how long to
// wait before asking again.
func (w *window) take(now time.Time) (at, wait time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.base.IsZero() {
		w.base = now
	}
	t := now.Sub(w.base)
	// Requests that ended longer ago than the longest window constrain
	// nothing any more.
	drop := 0
	for drop < len(w.sent) && w.sent[drop] <= t-w.longest {
		drop++
	}
	w.sent = slices.Delete(w.sent, 0, drop)
	next := t
	for _, l := range w.limits {
		// The window (next-Window, next] must hold at most N-1 requests,
		// so the k oldest must leave it first; in-flight requests are the
		// newest of all.
		k := len(w.sent) + w.flying - (l.N - 1)
		switch {
		case k <= 0:
		case k <= len(w.sent):
			next = max(next, w.sent[k-1]+l.Window)
		default:
			// Only the end of a request still in flight frees the budget,
			// and that end is not known yet: look again shortly.
			next = max(next, t+inflightPoll(l))
		}
	}
	if next > t {
		return 0, next - t
	}
	w.flying++
	return t, 0
}

// inflightPoll is how long to wait before looking again when only a
// request still in flight can free the budget: the budget's own spacing,
// between 10 ms and a second.
func inflightPoll(l Limit) time.Duration {
	return min(max(l.Window/time.Duration(l.N), 10*time.Millisecond), time.Second)
}

// done records the end of a request taken at at, or forgets it when it
// was never sent.
func (w *window) done(at time.Duration, end time.Time, sent bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.flying--
	if !sent {
		return
	}
	e := max(end.Sub(w.base), at)
	j, _ := slices.BinarySearch(w.sent, e)
	w.sent = slices.Insert(w.sent, j, e)
}

// pacers is shared by all copies of a Client so that WithAuth does not
// double a vendor's budget.
type pacers struct {
	mu sync.Mutex
	m  map[string]*window
}

// Pace sets the budget of one endpoint: at most N requests in any Window,
// for each limit given; "" sets the default budget, which also paces
// endpoints that have no budget of their own. No limits (or any with N or
// Window below 1) removes the endpoint's budget.
func (c *Client) Pace(endpoint string, limits ...Limit) {
	c.pacers.mu.Lock()
	defer c.pacers.mu.Unlock()
	valid := len(limits) > 0
	for _, l := range limits {
		if l.N < 1 || l.Window <= 0 {
			valid = false
		}
	}
	if !valid {
		delete(c.pacers.m, endpoint)
		return
	}
	c.pacers.m[endpoint] = newWindow(slices.Clone(limits))
}

func (c *Client) pacer(endpoint string) *window {
	c.pacers.mu.Lock()
	defer c.pacers.mu.Unlock()
	if w, ok := c.pacers.m[endpoint]; ok {
		return w
	}
	return c.pacers.m[""]
}

// pace waits until the endpoint's budget allows one more request, on the
// client's clock so that tests can drive it, and returns the function that
// records the attempt's end. A wait that cannot end before the deadline is
// refused at once, and a signal (ctx cancelled) ends it.
func (c *Client) pace(ctx context.Context, endpoint, method, path string, st statsSet) (done func(sent bool), err error) {
	w := c.pacer(endpoint)
	if w == nil {
		return func(bool) {}, nil
	}
	for {
		at, d := w.take(c.o.Now())
		if d <= 0 {
			return func(sent bool) { w.done(at, c.o.Now(), sent) }, nil
		}
		what := fmt.Sprintf("client-side pacing (bucket %q, %s)", endpoint, describeLimits(w.limits))
		if dl, ok := ctx.Deadline(); ok {
			if remaining := time.Until(dl); d >= remaining {
				return nil, fmtDeadline(method, path, what, 0, d, remaining, nil)
			}
		}
		if err := c.o.Sleep(ctx, d); err != nil {
			return nil, fmt.Errorf("%s %s: waiting %v for %s: %w", method, path, d.Round(time.Millisecond), what, err)
		}
		st.waited(d)
	}
}

func describeLimits(limits []Limit) string {
	parts := make([]string, len(limits))
	for i, l := range limits {
		parts[i] = l.String()
	}
	return strings.Join(parts, " and ")
}
