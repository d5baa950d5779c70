package emit

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// queue returns a stand-in analysisd's socket, its path and a Queue
// connected to it, sending as fast as it can.
func queue(t *testing.T) (*net.UnixConn, string, *Queue) {
	t.Helper()
	srv, path := listen(t)
	q, err := NewQueue(path, "command_x", 100000)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return srv, path, q
}

// events returns n event lines numbered from 0.
func events(n int) []byte {
	var b []byte
	for i := range n {
		b = fmt.Appendf(b, "{\"n\":%d}\n", i)
	}
	return b
}

// readAll reads the datagrams queued at srv until it stays quiet,
// skipping the empty ones as analysisd does.
func readAll(t *testing.T, srv *net.UnixConn) []string {
	t.Helper()
	var got []string
	buf := make([]byte, 70000)
	for {
		_ = srv.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		n, err := srv.Read(buf)
		if err != nil {
			return got
		}
		if n > 0 {
			got = append(got, string(buf[:n]))
		}
	}
}

// restart closes the stand-in analysisd's socket (what is queued is
// discarded) and binds a new one at path, whose datagrams come on the
// channel once it stays quiet.
func restart(t *testing.T, srv *net.UnixConn, path string) <-chan []string {
	t.Helper()
	srv.Close()
	_ = os.Remove(path)
	srv2, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv2.Close() })
	got := make(chan []string, 1)
	go func() { got <- readAll(t, srv2) }()
	return got
}

// returnsWithin runs f and fails the test if it has not returned after
// limit (a send that blocks forever must not hang the suite).
func returnsWithin(t *testing.T, limit time.Duration, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(limit):
		t.Fatalf("still blocked after %v", limit)
		return nil
	}
}

// An analysisd that keeps its socket open but reads nothing: the socket
// takes net.unix.max_dgram_qlen datagrams (10 by default), then send()
// blocks. The deadline or a cancellation must end Write and Settle.
func TestQueueBlockedReceiver(t *testing.T) {
	tests := []struct {
		name   string
		lines  int
		settle bool
		ctx    func() (context.Context, context.CancelFunc)
	}{
		{"send past the deadline", 200, false, func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 200*time.Millisecond)
		}},
		{"send cancelled", 200, false, func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(200*time.Millisecond, cancel)
			return ctx, cancel
		}},
		{"drain past the deadline", 3, true, func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 200*time.Millisecond)
		}},
		{"drain cancelled", 3, true, func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(200*time.Millisecond, cancel)
			return ctx, cancel
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, q := queue(t)
			ctx, cancel := tc.ctx()
			defer cancel()
			err := returnsWithin(t, 60*time.Second, func() error {
				if err := q.Write(ctx, events(tc.lines)); err != nil || !tc.settle {
					return err
				}
				return q.Settle(ctx)
			})
			if !errors.Is(err, ErrBlocked) || !strings.Contains(err.Error(), "analysisd") {
				t.Fatalf("err = %v, want ErrBlocked naming analysisd", err)
			}
		})
	}
}

// Settle returns once analysisd read everything, and sends the pages
// again to a new analysisd when the one that had them went away.
func TestQueueSettle(t *testing.T) {
	t.Run("read", func(t *testing.T) {
		srv, _, q := queue(t)
		if err := q.Write(context.Background(), events(5)); err != nil {
			t.Fatal(err)
		}
		got := make(chan []string, 1)
		go func() { got <- readAll(t, srv) }()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if err := q.Settle(ctx); err != nil {
			t.Fatal(err)
		}
		if n := len(<-got); n != 5 {
			t.Errorf("%d datagrams, want 5", n)
		}
		if len(q.unsettled) != 0 {
			t.Errorf("%d pages still unsettled after Settle", len(q.unsettled))
		}
	})
	// analysisd closes with the page unread (discarded: the counter falls
	// to zero too), or after reading it but before the probe: either way
	// the page goes to the new analysisd, once more at most.
	for _, readFirst := range []bool{false, true} {
		t.Run(fmt.Sprintf("restart, page read first: %v", readFirst), func(t *testing.T) {
			srv, path, q := queue(t)
			if err := q.Write(context.Background(), events(2)); err != nil {
				t.Fatal(err)
			}
			if err := q.Write(context.Background(), events(4)); err != nil {
				t.Fatal(err)
			}
			if readFirst {
				if n := len(readAll(t, srv)); n != 6 {
					t.Fatalf("old analysisd read %d datagrams, want 6", n)
				}
			}
			got := restart(t, srv, path)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			if err := q.Settle(ctx); err != nil {
				t.Fatal(err)
			}
			if msgs := <-got; len(msgs) != 6 || msgs[0] != `1:command_x:{"n":0}` || msgs[5] != `1:command_x:{"n":3}` {
				t.Errorf("new analysisd got %q, want both pages again", msgs)
			}
		})
	}
	// analysisd stops while Write waits on its full socket: the blocked
	// send fails with ECONNREFUSED, and Write sends the whole page to the
	// new analysisd.
	t.Run("restart during Write", func(t *testing.T) {
		srv, path, q := queue(t)
		wrote := make(chan error, 1)
		go func() { wrote <- q.Write(context.Background(), events(50)) }()
		// 50 datagrams do not fit in the socket (max_dgram_qlen).
		time.Sleep(100 * time.Millisecond)
		select {
		case err := <-wrote:
			t.Skipf("this host's socket took 50 datagrams unread (%v): nothing blocked", err)
		default:
		}
		got := restart(t, srv, path)
		if err := returnsWithin(t, 60*time.Second, func() error { return <-wrote }); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if err := q.Settle(ctx); err != nil {
			t.Fatal(err)
		}
		if msgs := <-got; len(msgs) != 50 || msgs[0] != `1:command_x:{"n":0}` || msgs[49] != `1:command_x:{"n":49}` {
			t.Errorf("new analysisd got %d datagrams, want the whole page of 50", len(msgs))
		}
	})
	t.Run("gone for good", func(t *testing.T) {
		srv, _, q := queue(t)
		q.reconnectFor = 100 * time.Millisecond
		if err := q.Write(context.Background(), events(3)); err != nil {
			t.Fatal(err)
		}
		srv.Close()
		err := returnsWithin(t, 60*time.Second, func() error { return q.Settle(context.Background()) })
		if err == nil || !strings.Contains(err.Error(), "did not come back") || !strings.Contains(err.Error(), "wazuh-manager") {
			t.Errorf("err = %v, want analysisd gone, naming wazuh-manager", err)
		}
	})
}

// BenchmarkQueueSettle measures what confirming a page costs on top of
// sending it: a page of 1,000 events to a receiver that reads at full
// speed, with and without Settle.
func BenchmarkQueueSettle(b *testing.B) {
	for _, settle := range []bool{false, true} {
		b.Run(fmt.Sprintf("settle=%v", settle), func(b *testing.B) {
			srv, path := listen(b)
			go func() {
				buf := make([]byte, 70000)
				for {
					if _, err := srv.Read(buf); err != nil {
						return
					}
				}
			}()
			q, err := NewQueue(path, "command_x", 1<<30)
			if err != nil {
				b.Fatal(err)
			}
			defer q.Close()
			page := events(1000)
			var settling time.Duration
			cpu0 := cpuTime(b)
			for b.Loop() {
				if err := q.Write(context.Background(), page); err != nil {
					b.Fatal(err)
				}
				if settle {
					start := time.Now()
					if err := q.Settle(context.Background()); err != nil {
						b.Fatal(err)
					}
					settling += time.Since(start)
				}
			}
			b.ReportMetric(float64(settling.Microseconds())/float64(b.N), "settle-µs/page")
			b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/float64(b.N), "cpu-µs/page")
		})
	}
}

// cpuTime is the CPU time the process used so far (sender and receiver).
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
