package httpx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
)

// arrivals is a fake vendor that counts as vendors do: it notes when each
// request arrived, per path, on the test's clock.
type arrivals struct {
	clock *fakeClock
	mu    sync.Mutex
	at    map[string][]time.Time
}

func (a *arrivals) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	a.mu.Lock()
	a.at[r.URL.Path] = append(a.at[r.URL.Path], a.clock.Now())
	a.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `[]`)
}

// inWindow counts the times in (end-w, end]; times are sorted.
func inWindow(times []time.Time, end time.Time, w time.Duration) int {
	n := 0
	for _, t := range times {
		if t.After(end.Add(-w)) && !t.After(end) {
			n++
		}
	}
	return n
}

// checkBudget fails when any sliding window holds more than a limit
// allows, and when a request waited although the budget was not spent:
// just before it went, no limit was full.
func checkBudget(t *testing.T, path string, times []time.Time, limits []Limit) {
	t.Helper()
	for _, l := range limits {
		lo := 0
		for hi := range times {
			for !times[lo].After(times[hi].Add(-l.Window)) {
				lo++
			}
			if hi-lo+1 > l.N {
				t.Fatalf("%s: %d requests in the %v up to request %d, budget %v", path, hi-lo+1, l.Window, hi, l)
			}
		}
	}
	for j := 1; j < len(times); j++ {
		if !times[j].After(times[j-1]) {
			continue
		}
		before := times[j].Add(-time.Nanosecond)
		full := false
		for _, l := range limits {
			if inWindow(times[:j], before, l.Window) >= l.N {
				full = true
			}
		}
		if !full {
			t.Fatalf("%s: request %d waited %v with budget left", path, j, times[j].Sub(times[j-1]))
		}
	}
}

// TestPacingSpendsTheVendorBudget drives each vendor's default budget
// past its limits on a fake clock: the fake vendor never sees more than a
// window allows, and no request waits while the budget is unspent.
func TestPacingSpendsTheVendorBudget(t *testing.T) {
	tests := []struct {
		name      string
		limits    []Limit
		endpoints []string
		requests  int // per endpoint
	}{
		// Reference: 600 requests a minute and 30,000 an hour; the hour
		// binds only after 50 minutes at full speed.
		{"1Password", []Limit{{600, time.Minute}, {30000, time.Hour}}, []string{""}, 31300},
		{"Okta", []Limit{{60, time.Minute}}, []string{""}, 250},
		// One request a minute to each log endpoint.
		{"Duo", []Limit{{1, time.Minute}}, []string{"/auth", "/admin", "/telephony", "/activity"}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fc := newFakeClock()
			fake := &arrivals{clock: fc, at: map[string][]time.Time{}}
			srv := serve(t, fake)
			c, _ := newTestClient(t, srv.URL, func(o *Options) { o.Now, o.Sleep = fc.Now, fc.Sleep })
			for _, ep := range tt.endpoints {
				c.Pace(ep, tt.limits...)
			}
			start := fc.Now()
			for range tt.requests {
				for _, ep := range tt.endpoints {
					path := "/logs" + ep
					if err := c.Do(context.Background(), Request{URL: path, Endpoint: ep}, nil); err != nil {
						t.Fatal(err)
					}
				}
			}
			for _, ep := range tt.endpoints {
				times := fake.at["/logs"+ep]
				if len(times) != tt.requests {
					t.Fatalf("%d requests reached %s, want %d", len(times), ep, tt.requests)
				}
				checkBudget(t, "/logs"+ep, times, tt.limits)
			}
			t.Logf("%d requests per endpoint in %v of fake time", tt.requests, fc.Now().Sub(start))
		})
	}
}

// TestPacingConcurrentModules shares one budget between modules fetching
// at the same time, as a run's modules and prefetches do: the check and
// the record are one step, so they can never pass the budget together.
func TestPacingConcurrentModules(t *testing.T) {
	fc := newFakeClock()
	fake := &arrivals{clock: fc, at: map[string][]time.Time{}}
	srv := serve(t, fake)
	c, _ := newTestClient(t, srv.URL, func(o *Options) { o.Now, o.Sleep = fc.Now, fc.Sleep })
	limits := []Limit{{20, time.Minute}}
	c.Pace("", limits...)
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for m := range 6 {
		wg.Go(func() {
			for range 25 {
				if err := c.Do(context.Background(), Request{URL: "/logs"}, nil); err != nil {
					errs <- fmt.Errorf("module %d: %w", m, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	times := fake.at["/logs"]
	if len(times) != 150 {
		t.Fatalf("%d requests arrived, want 150", len(times))
	}
	// Only the budget is checked here: concurrent sleeps each advance the
	// fake clock, so waits are longer than the budget needs.
	for lo, hi := 0, 0; hi < len(times); hi++ {
		for !times[lo].After(times[hi].Add(-time.Minute)) {
			lo++
		}
		if hi-lo+1 > 20 {
			t.Fatalf("%d requests in a minute, budget 20", hi-lo+1)
		}
	}
}

// TestPacingCountsFromTheEnd: a slow answer counts from when it ended, so
// the vendor, which counted it somewhere in between, never sees the next
// window's first request inside its own window.
func TestPacingCountsFromTheEnd(t *testing.T) {
	fc := newFakeClock()
	slow := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		// The answer takes 10 s of the test's clock.
		_ = fc.Sleep(context.Background(), 10*time.Second)
		_, _ = io.WriteString(w, `[]`)
	})
	srv := serve(t, slow)
	c, _ := newTestClient(t, srv.URL, func(o *Options) { o.Now, o.Sleep = fc.Now, fc.Sleep })
	c.Pace("", Limit{N: 1, Window: time.Minute})
	for range 2 {
		if err := c.Do(context.Background(), Request{URL: "/"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	// Sleeps: 10 s answer, then a minute from its end (not 50 s from its
	// start), then the second answer.
	want := "[10s 1m0s 10s]"
	if got := fmt.Sprint(fc.Sleeps()); got != want {
		t.Errorf("sleeps = %s, want %s", got, want)
	}
}

// TestPacingWaitBoundedBySignal: a cancelled context (a signal) ends a
// pacing wait at once.
func TestPacingWaitBoundedBySignal(t *testing.T) {
	srv := serve(t, newScript(ok(`[]`)))
	c, err := New(Options{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	c.Pace("", Limit{N: 1, Window: time.Hour})
	if err := c.Do(context.Background(), Request{URL: "/"}, nil); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(20 * time.Millisecond)
		cancel()
	}()
	err = c.Do(ctx, Request{URL: "/"}, nil)
	if err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want the cancellation", err)
	}
}
