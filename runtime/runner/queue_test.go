package runner_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/wodlekit/wodlekit/runtime/runner"
	"github.com/wodlekit/wodlekit/runtime/wodletest"
)

// backlog is a vendor API without HTTP: n events, pages of size, the
// cursor the offset of the next event.
type backlog struct {
	name    string
	base    int // the first event's seq
	n, size int
	// drained is set once a run resumed from the end: every page was
	// committed.
	drained atomic.Bool
	// resumedFrom is where the last run started.
	resumedFrom atomic.Int64
	// err, when set, is what every Fetch returns.
	err error
}

func (b *backlog) Name() string {
	if b.name == "" {
		return "events"
	}
	return b.name
}

func (b *backlog) Fetch(_ context.Context, req runner.PageRequest) (*runner.Page, error) {
	if b.err != nil {
		return nil, b.err
	}
	from := 0
	if req.Cursor != nil {
		if err := json.Unmarshal(req.Cursor, &from); err != nil {
			return nil, fmt.Errorf("cursor %s: %w", req.Cursor, err)
		}
	}
	if req.Page == 1 {
		b.resumedFrom.Store(int64(from))
	}
	if from >= b.n {
		b.drained.Store(true)
	}
	to := min(from+b.size, b.n)
	pg := &runner.Page{Next: json.RawMessage(strconv.Itoa(to)), More: to < b.n}
	for i := from; i < to; i++ {
		pg.Records = append(pg.Records, runner.Record{
			Raw: fmt.Appendf(nil, `{"seq":%d,"page_index":%d}`, b.base+i, i%b.size), ID: strconv.Itoa(i), EventType: "test",
		})
	}
	return pg, nil
}

func backlogVendor(bs ...*backlog) runner.Vendor {
	var modules []runner.Module
	for _, b := range bs {
		modules = append(modules, b)
	}
	return runner.Vendor{
		Name: "queuetest", Title: "Queue test", Description: "a backlog without HTTP", EnvPrefix: "QT_",
		DefaultBaseURL: "http://127.0.0.1:9", MaxPageSize: bs[0].size, DedupWindow: 10 * bs[0].size,
		Modules: func(*runner.Env) ([]runner.Module, error) { return modules, nil },
	}
}

// analysisd is a stand-in for wazuh-analysisd's end of the queue socket:
// it binds the path, reads datagrams (skipping empty ones, as
// ad_input_main does) when told to, and restarts the way analysisd does:
// close (the kernel discards what is still queued), unlink, bind again.
type analysisd struct {
	t    *testing.T
	path string

	mu    sync.Mutex
	conn  *net.UnixConn
	seqs  map[int]int // vendor event seq -> times received
	other int         // runtime events (summaries, errors)
}

func newAnalysisd(t *testing.T, path string) *analysisd {
	a := &analysisd{t: t, path: path, seqs: map[int]int{}}
	a.bind()
	t.Cleanup(func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		if a.conn != nil {
			_ = a.conn.Close()
		}
	})
	return a
}

func (a *analysisd) bind() {
	_ = os.Remove(a.path)
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: a.path, Net: "unixgram"})
	if err != nil {
		a.t.Fatalf("stand-in analysisd: %v", err)
	}
	a.mu.Lock()
	a.conn = c
	a.mu.Unlock()
}

// record files one datagram; it returns the vendor event's position in
// its page, or -1.
func (a *analysisd) record(msg []byte) int {
	if len(msg) == 0 {
		return -1
	}
	const prefix = "1:command_queuetest:"
	if !strings.HasPrefix(string(msg), prefix) {
		a.t.Errorf("datagram not framed as Wazuh's: %.80q", msg)
		return -1
	}
	var ev struct {
		Q struct {
			Seq       *int   `json:"seq"`
			PageIndex int    `json:"page_index"`
			EventType string `json:"event_type"`
		} `json:"queuetest"`
	}
	if err := json.Unmarshal(msg[len(prefix):], &ev); err != nil {
		a.t.Errorf("datagram %.80q: %v", msg, err)
		return -1
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if ev.Q.Seq == nil {
		a.other++
		return -1
	}
	a.seqs[*ev.Q.Seq]++
	return ev.Q.PageIndex
}

// serve reads until stopAt returns true for a page position, then stops
// reading with whatever follows still queued.
func (a *analysisd) serve(stopAt func(pageIndex int) bool) {
	buf := make([]byte, 70000)
	for {
		a.mu.Lock()
		c := a.conn
		a.mu.Unlock()
		_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		n, err := c.Read(buf)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				continue
			}
			return // closed
		}
		if i := a.record(buf[:n]); i >= 0 && stopAt(i) {
			return
		}
	}
}

// queued tells whether a datagram waits unread, without taking it.
func (a *analysisd) queued() bool {
	a.mu.Lock()
	c := a.conn
	a.mu.Unlock()
	raw, err := c.SyscallConn()
	if err != nil {
		return false
	}
	found := false
	_ = raw.Control(func(fd uintptr) {
		var b [1]byte
		_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		found = err == nil
	})
	return found
}

// restart closes the socket with datagrams unread and binds a new one.
func (a *analysisd) restart(down time.Duration) {
	a.mu.Lock()
	_ = a.conn.Close()
	a.mu.Unlock()
	_ = os.Remove(a.path)
	time.Sleep(down)
	a.bind()
}

// stop closes the socket until the stand-in's goroutine has ended (it
// may be binding a new one) and returns what it reported.
func (a *analysisd) stop(ended <-chan error) error {
	for {
		time.Sleep(100 * time.Millisecond) // what is queued is read first
		a.mu.Lock()
		_ = a.conn.Close()
		a.mu.Unlock()
		select {
		case err := <-ended:
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (a *analysisd) counts() (distinct, total int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, n := range a.seqs {
		distinct++
		total += n
	}
	return distinct, total
}

// queueEnv is the environment of a run with the queue sink, state in
// dir, plus kv.
func queueEnv(dir, sock string, kv ...string) wodletest.Env {
	return wodletest.Env{
		"QT_STATE_DIR": dir, "QT_SINK": "wazuh-queue", "QT_QUEUE_SOCKET": sock, "QT_QUEUE_EPS": "100000",
	}.With(kv...)
}

func queueRestarts() int {
	if os.Getenv("WODLEKIT_SOAK") != "" {
		return 20
	}
	return 10
}

// TestQueueSinkSurvivesAnalysisdRestarts restarts the stand-in analysisd
// while the tail of a page is still queued in its socket, unread: a sink
// that commits once send() returned loses that tail with every restart.
// Two modules share the sink, as a vendor's modules do.
func TestQueueSinkSurvivesAnalysisdRestarts(t *testing.T) {
	restarts := queueRestarts()
	const pageSize = 25
	n := pageSize * 2 * (restarts + 2)
	bs := []*backlog{{name: "events", n: n, size: pageSize}, {name: "audit", base: 1 << 20, n: n, size: pageSize}}
	dir := t.TempDir()
	sock := filepath.Join(dir, "queue")
	a := newAnalysisd(t, sock)

	done := make(chan struct{})
	standIn := make(chan error, 1)
	go func() {
		defer close(standIn)
		for r := 0; r < restarts; r++ {
			// Read at least two pages, then stop with 1 to 9 events of
			// the page unread: its tail is queued (the socket holds
			// net.unix.max_dgram_qlen datagrams, 10 by default).
			read, tail := 0, 1+r%9
			a.serve(func(i int) bool {
				read++
				return read > 2*pageSize && i == pageSize-1-tail
			})
			deadline := time.Now().Add(60 * time.Second)
			for !a.queued() {
				select {
				case <-done:
					standIn <- fmt.Errorf("restart %d: the run ended before the page's tail was queued", r+1)
					return
				default:
				}
				if time.Now().After(deadline) {
					standIn <- fmt.Errorf("restart %d: nothing queued after 60s", r+1)
					return
				}
				time.Sleep(time.Millisecond)
			}
			// Let the rest of the tail arrive; the outcome must not
			// depend on how much did.
			time.Sleep(20 * time.Millisecond)
			a.restart(50 * time.Millisecond)
		}
		a.serve(func(int) bool { return false })
	}()

	env := queueEnv(dir, sock, "QT_MAX_EVENTS_PER_RUN", "0", "QT_MAX_BYTES_PER_RUN", "0", "QT_MAX_RUNTIME", "120s")
	runs, failed := 0, 0
	for ; runs < 10*restarts+10; runs++ {
		if res := wodletest.Run(t, backlogVendor(bs...), env); res.Code != runner.ExitOK {
			failed++
			// The next run comes at the next interval; the stand-in
			// may still be down.
			time.Sleep(20 * time.Millisecond)
		}
		if bs[0].drained.Load() && bs[1].drained.Load() {
			break
		}
	}
	close(done)
	standInErr := a.stop(standIn)
	distinct, total := a.counts()
	lost := 2*n - distinct
	t.Logf("%d restarts with a page's tail queued, %d runs (%d failed), %d events: %d lost, %d duplicates",
		restarts, runs+1, failed, 2*n, lost, total-distinct)
	if standInErr != nil {
		t.Error(standInErr)
	}
	if lost != 0 {
		t.Errorf("%d of %d events lost across %d restarts of analysisd", lost, 2*n, restarts)
	}
	// At least once, and no more: a restart replays at most the page in
	// flight of each module.
	if dup := total - distinct; dup > restarts*2*pageSize {
		t.Errorf("%d duplicates, more than one page (%d) per module per restart", dup, pageSize)
	}
}

// runFor runs the vendor in-process with signals from sigs and fails the
// test if the run has not ended after limit: a sink that blocks forever
// must not hang the suite.
func runFor(t *testing.T, v runner.Vendor, env wodletest.Env, sigs <-chan os.Signal, limit time.Duration) (int, []byte) {
	t.Helper()
	var stdout, stderr lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- runner.Run(v, runner.IO{Stdout: &stdout, Stderr: &stderr, Lookup: env.Lookup, Signals: sigs})
	}()
	select {
	case code := <-done:
		return code, stdout.Bytes()
	case <-time.After(limit):
		t.Fatalf("the run is still blocked after %v; log so far:\n%s", limit, stderr.Bytes())
		return 0, nil
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(l.b, p...)
	return len(p), nil
}

func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]byte(nil), l.b...)
}

// TestQueueSinkBlockedAnalysisd: analysisd reads two pages, then stops
// reading with its socket open (busy or hung). The run deadline, or a
// SIGTERM, ends the run with an error event on stdout (the command
// wodle's channel, independent of the blocked socket), exit 1, and the
// cursor after the two pages it read; the next run brings the rest.
func TestQueueSinkBlockedAnalysisd(t *testing.T) {
	for _, stop := range []string{"deadline", "signal"} {
		t.Run(stop, func(t *testing.T) {
			const pageSize = 25
			b := &backlog{n: 10 * pageSize, size: pageSize}
			dir := t.TempDir()
			sock := filepath.Join(dir, "queue")
			a := newAnalysisd(t, sock)
			stalled := make(chan struct{})
			go func() {
				read := 0
				a.serve(func(int) bool { read++; return read == 2*pageSize })
				close(stalled)
			}()
			env := queueEnv(dir, sock, "QT_MAX_RUNTIME", "1h")
			sigs := make(chan os.Signal, 1)
			if stop == "deadline" {
				env["QT_MAX_RUNTIME"] = "1s"
			} else {
				go func() {
					<-stalled
					for !a.queued() {
						time.Sleep(time.Millisecond)
					}
					time.Sleep(100 * time.Millisecond) // the sink is waiting now
					sigs <- syscall.SIGTERM
				}()
			}
			code, stdout := runFor(t, backlogVendor(b), env, sigs, 60*time.Second)
			if code != runner.ExitFailed {
				t.Errorf("exit %d, want %d", code, runner.ExitFailed)
			}
			if !strings.Contains(string(stdout), `"error_kind":"sink"`) || !strings.Contains(string(stdout), "analysisd busy or hung") {
				t.Errorf("no sink error event naming analysisd on stdout:\n%s", stdout)
			}
			// The next run, with analysisd reading again, resumes after
			// the two pages it had read: nothing committed past them.
			go a.serve(func(int) bool { return false })
			if code, out := runFor(t, backlogVendor(b), env, nil, 60*time.Second); code != runner.ExitOK {
				t.Fatalf("second run: exit %d: %s", code, out)
			}
			if got := b.resumedFrom.Load(); got != 2*pageSize {
				t.Errorf("second run resumed from %d, want %d (the events analysisd had read)", got, 2*pageSize)
			}
			time.Sleep(100 * time.Millisecond)
			if distinct, _ := a.counts(); distinct != b.n {
				t.Errorf("%d distinct events reached analysisd, want %d", distinct, b.n)
			}
		})
	}
}

// A signal while the queue sink paces a page (analysisd reading) is an
// ordinary stop: exit 0, the page is sent again next run.
func TestQueueSinkSignalWhilePacing(t *testing.T) {
	const pageSize = 25
	b := &backlog{n: 2 * pageSize, size: pageSize}
	dir := t.TempDir()
	sock := filepath.Join(dir, "queue")
	a := newAnalysisd(t, sock)
	first := make(chan struct{})
	go func() {
		a.serve(func(int) bool { close(first); return true })
		a.serve(func(int) bool { return false })
	}()
	env := queueEnv(dir, sock, "QT_QUEUE_EPS", "1")
	sigs := make(chan os.Signal, 1)
	go func() {
		<-first
		sigs <- syscall.SIGTERM
	}()
	if code, out := runFor(t, backlogVendor(b), env, sigs, 60*time.Second); code != runner.ExitOK || len(out) != 0 {
		t.Fatalf("exit %d, stdout %s; want 0 and nothing on stdout", code, out)
	}
	env["QT_QUEUE_EPS"] = "100000"
	if code, out := runFor(t, backlogVendor(b), env, nil, 60*time.Second); code != runner.ExitOK {
		t.Fatalf("second run: exit %d: %s", code, out)
	}
	if got := b.resumedFrom.Load(); got != 0 {
		t.Errorf("second run resumed from %d, want 0: the cut page was committed", got)
	}
}

// analysisd's socket is full of other senders' datagrams and nothing is
// read, and the run has no page to send, only a module's error event and
// its summary: they must not wait on the socket one after another. The
// first waits its bound, then every runtime event goes to stdout; no page
// failed, so the exit status is the usual one.
func TestQueueSinkRuntimeEventsFallBack(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "queue")
	newAnalysisd(t, sock) // never reads
	other, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	for i := 0; ; i++ {
		_ = other.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		if _, err := other.Write([]byte("1:other:x")); err != nil {
			if i == 0 {
				t.Fatal(err)
			}
			break
		}
	}
	failing := &backlog{size: 25, err: errors.New("the vendor answered nonsense")}
	var stdout, stderr lockedBuffer
	code := runner.Run(backlogVendor(failing), runner.IO{Stdout: &stdout, Stderr: &stderr, Lookup: queueEnv(dir, sock).Lookup})
	if code != runner.ExitOK {
		t.Errorf("exit %d, want 0: no page failed", code)
	}
	out := string(stdout.Bytes())
	if !strings.Contains(out, "the vendor answered nonsense") || !strings.Contains(out, `"event_type":"run_summary"`) {
		t.Errorf("want the error event and the summary on stdout:\n%s", out)
	}
	if n := strings.Count(string(stderr.Bytes()), "runtime events go to stdout"); n != 1 {
		t.Errorf("the sink was tried for %d runtime events, want 1 (then stdout):\n%s", n, stderr.Bytes())
	}
}
