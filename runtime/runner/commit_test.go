package runner

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/wodlekit/wodlekit/runtime/config"
	"github.com/wodlekit/wodlekit/runtime/emit"
	"github.com/wodlekit/wodlekit/runtime/jsonrec"
	"github.com/wodlekit/wodlekit/runtime/state"
)

// fakeProcess is one entry of a fake /proc.
type fakeProcess struct {
	pid, ppid int
	comm      string
	start     uint64
}

// fakeProc writes a /proc tree with the given processes and boot ID.
func fakeProc(t *testing.T, boot string, procs ...fakeProcess) string {
	t.Helper()
	root := t.TempDir()
	for _, p := range procs {
		dir := filepath.Join(root, strconv.Itoa(p.pid))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		// The stat line as the kernel writes it: the command name in
		// parentheses (truncated to 15 bytes), then fields 3 to 52.
		name := p.comm
		if len(name) > 15 {
			name = name[:15]
		}
		fields := make([]string, 50)
		for i := range fields {
			fields[i] = "0"
		}
		fields[0] = "S"
		fields[4-3] = strconv.Itoa(p.ppid)
		fields[5-3] = strconv.Itoa(p.pid)
		fields[22-3] = strconv.FormatUint(p.start, 10)
		stat := fmt.Sprintf("%d (%s) %s\n", p.pid, name, strings.Join(fields, " "))
		write(t, filepath.Join(dir, "stat"), stat)
		write(t, filepath.Join(dir, "comm"), name+"\n")
	}
	if boot != "" {
		write(t, filepath.Join(root, "sys", "kernel", "random", "boot_id"), boot+"\n")
	}
	return root
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

const boot1 = "0d1e6a52-7f4b-4c9e-9a57-3f0c2b8d1e01"

// Processes of a manager: systemd (1), wazuh-modulesd (812), the command
// wodle's `timeout` wrapper (900), run.sh's bash (901), the binary (902).
var managerTree = []fakeProcess{
	{1, 0, "systemd", 1},
	{812, 1, "wazuh-modulesd", 4711},
	{900, 812, "timeout", 9000},
	{901, 900, "run.sh", 9001},
	{902, 901, "onepassword-wod", 9002},
}

func TestFindModulesd(t *testing.T) {
	cases := []struct {
		name  string
		procs []fakeProcess
		pid   int
		want  *state.Owner
		err   string
	}{
		{"through timeout and run.sh", managerTree, 902, &state.Owner{PID: 812, StartTime: 4711, BootID: boot1}, ""},
		{"direct child", []fakeProcess{{1, 0, "systemd", 1}, {40, 1, "wazuh-modulesd", 77}, {41, 40, "duo-wodle", 78}}, 41,
			&state.Owner{PID: 40, StartTime: 77, BootID: boot1}, ""},
		{"nearest of two", []fakeProcess{{1, 0, "systemd", 1}, {10, 1, "wazuh-modulesd", 5}, {20, 10, "wazuh-modulesd", 6}, {30, 20, "okta-wodle", 7}}, 30,
			&state.Owner{PID: 20, StartTime: 6, BootID: boot1}, ""},
		{"a shell", []fakeProcess{{1, 0, "systemd", 1}, {300, 1, "sshd", 2}, {301, 300, "bash", 3}, {302, 301, "okta-wodle", 4}}, 302, nil, ""},
		{"itself is not an ancestor", []fakeProcess{{1, 0, "systemd", 1}, {5, 1, "wazuh-modulesd", 2}}, 5, nil, ""},
		{"orphan given to init", []fakeProcess{{1, 0, "systemd", 1}, {902, 1, "onepassword-wod", 9002}}, 902, nil, ""},
		{"parent gone mid-walk", []fakeProcess{{902, 901, "onepassword-wod", 9002}}, 902, nil, ""},
		{"a name with spaces and parentheses", []fakeProcess{{1, 0, "systemd", 1}, {60, 1, "wazuh-modulesd", 61}, {70, 60, "a) (b c", 3}, {71, 70, "x", 4}}, 71,
			&state.Owner{PID: 60, StartTime: 61, BootID: boot1}, ""},
		{"not by a longer name", []fakeProcess{{1, 0, "systemd", 1}, {60, 1, "wazuh-modulesd2", 61}, {71, 60, "x", 4}}, 71, nil, ""},
		{"a loop", []fakeProcess{{7, 8, "a", 1}, {8, 7, "b", 2}}, 7, nil, "ancestors"},
		{"own entry missing", []fakeProcess{{1, 0, "systemd", 1}}, 902, nil, "reading process 902"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := fakeProc(t, boot1, tc.procs...)
			got, err := findModulesd(root, tc.pid)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil) != (tc.want == nil) || got != nil && *got != *tc.want {
				t.Fatalf("owner %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFindModulesdWithoutBootID(t *testing.T) {
	root := fakeProc(t, "", managerTree...)
	got, err := findModulesd(root, 902)
	if err != nil || got == nil || got.BootID != "" || got.PID != 812 {
		t.Fatalf("%v %v", got, err)
	}
}

func TestFindModulesdInThisProcess(t *testing.T) {
	// The real /proc: the test runs under go test, not under wazuh-modulesd.
	got, err := findModulesd("/proc", os.Getpid())
	if err != nil || got != nil {
		t.Fatalf("%v %v", got, err)
	}
	p, err := readProc("/proc", os.Getpid())
	if err != nil || p.ppid != os.Getppid() || p.startTime == 0 {
		t.Fatalf("own process %+v %v", p, err)
	}
}

func TestOwnerRunning(t *testing.T) {
	root := fakeProc(t, boot1, managerTree...)
	cases := []struct {
		o    state.Owner
		want bool
	}{
		{state.Owner{PID: 812, StartTime: 4711, BootID: boot1}, true},
		{state.Owner{PID: 812, StartTime: 4712, BootID: boot1}, false},
		{state.Owner{PID: 812, StartTime: 4711, BootID: "other"}, false},
		{state.Owner{PID: 900, StartTime: 9000, BootID: boot1}, false},
		{state.Owner{PID: 5, StartTime: 1, BootID: boot1}, false},
	}
	for _, tc := range cases {
		if got := ownerRunning(root, tc.o); got != tc.want {
			t.Errorf("ownerRunning(%v) = %v", tc.o, got)
		}
	}
}

func TestPlanCommit(t *testing.T) {
	underModulesd := fakeProc(t, boot1, managerTree...)
	inShell := fakeProc(t, boot1, fakeProcess{1, 0, "systemd", 1}, fakeProcess{301, 1, "bash", 3}, fakeProcess{902, 301, "okta-wodle", 4})
	broken := t.TempDir()
	cases := []struct {
		name, commit, sink, root string
		pending                  bool
		err                      string
	}{
		{"auto under modulesd", "auto", "stdout", underModulesd, true, ""},
		{"auto in a shell", "auto", "stdout", inShell, false, ""},
		{"auto without /proc", "auto", "stdout", broken, false, ""},
		{"auto with the queue sink", "auto", "wazuh-queue", underModulesd, false, ""},
		{"immediate under modulesd", "immediate", "stdout", underModulesd, false, ""},
		{"next-run under modulesd", "next-run", "stdout", underModulesd, true, ""},
		{"next-run in a shell", "next-run", "stdout", inShell, false, "no wazuh-modulesd among the ancestors"},
		{"next-run without /proc", "next-run", "stdout", broken, false, "cannot find the wazuh-modulesd"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := planCommit(&config.Common{Commit: tc.commit, Sink: tc.sink}, "OKTA_", tc.root, 902)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "OKTA_COMMIT") {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (p.owner != nil) != tc.pending {
				t.Fatalf("owner %v (%s), want pending=%v", p.owner, p.why, tc.pending)
			}
		})
	}
}

// memModule serves a fixed backlog of n events ("<name>-1" ...) in pages of
// size; the cursor is the index of the next event.
type memModule struct {
	name  string
	n     int
	size  int
	big   int // bytes of padding per record
	delay time.Duration
	// before runs at the start of each Fetch (page number given).
	before func(page int)
}

func (m *memModule) Name() string { return m.name }

func (m *memModule) Fetch(ctx context.Context, req PageRequest) (*Page, error) {
	if m.before != nil {
		m.before(req.Page)
	}
	if m.delay > 0 {
		select {
		case <-time.After(m.delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	from := 0
	if req.Cursor != nil {
		if err := json.Unmarshal(req.Cursor, &from); err != nil {
			return nil, err
		}
	}
	to := min(from+m.size, m.n)
	pg := &Page{Next: json.RawMessage(strconv.Itoa(to)), More: to < m.n}
	pad := strings.Repeat("x", m.big)
	for i := from; i < to; i++ {
		id := fmt.Sprintf("%s-%d", m.name, i+1)
		pg.Records = append(pg.Records, Record{ID: id, EventType: "test", Raw: []byte(fmt.Sprintf(`{"id":%q,"pad":%q}`, id, pad))})
	}
	return pg, nil
}

func memVendor(modules ...*memModule) Vendor {
	return Vendor{
		Name: "acme", Title: "Acme", Description: "A vendor served from memory.", EnvPrefix: "ACME_",
		DefaultBaseURL: "http://127.0.0.1:9", MaxLookback: 24 * time.Hour, MaxPageSize: 1000,
		Modules: func(*Env) ([]Module, error) {
			out := make([]Module, len(modules))
			for i, m := range modules {
				out[i] = m
			}
			return out, nil
		},
	}
}

// memRun runs v in-process with the state in dir and process tree root.
type memRun struct {
	t    *testing.T
	v    Vendor
	dir  string
	env  map[string]string
	root string
	pid  int
	// full makes every state write fail from now on, as a full disk does.
	full atomic.Bool
}

func newMemRun(t *testing.T, v Vendor, kv ...string) *memRun {
	dir := t.TempDir()
	env := map[string]string{
		"ACME_STATE_DIR": dir, "ACME_LOG_FILE": filepath.Join(dir, "wodle.log"), "ACME_DEBUG": "2",
		"ACME_REQUESTS_PER_MINUTE": "-1", "ACME_MAX_RUNTIME": "60s",
	}
	for i := 0; i+1 < len(kv); i += 2 {
		env[kv[i]] = kv[i+1]
	}
	return &memRun{t: t, v: v, dir: dir, env: env, pid: 902}
}

// under sets the process tree the next runs see.
func (r *memRun) under(root string) *memRun { r.root = root; return r }

type memResult struct {
	code    int
	records []string
	lines   []map[string]any
	stderr  string
}

func (r *memRun) run(args ...string) memResult {
	r.t.Helper()
	return r.runIO(IO{}, args...)
}

func (r *memRun) runIO(io IO, args ...string) memResult {
	r.t.Helper()
	var own, errb safeBuffer
	out := &own
	if b, ok := io.Stdout.(*safeBuffer); ok {
		out = b
	}
	io.Args, io.Stdout, io.Stderr = args, out, &errb
	io.Lookup = func(k string) (string, bool) { v, ok := r.env[k]; return v, ok }
	io.ProcRoot, io.PID = r.root, r.pid
	observe := io.stateHook
	io.stateHook = func(step string, f *os.File) error {
		// A full disk fails a snapshot's write and a journal append.
		if (step == "written" || step == "journal") && r.full.Load() {
			return syscall.ENOSPC
		}
		if observe != nil {
			return observe(step, f)
		}
		return nil
	}
	code := Run(r.v, io)
	res := memResult{code: code, stderr: errb.String()}
	sc := bufio.NewScanner(bytes.NewReader(out.Bytes()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line struct {
			Acme map[string]any `json:"acme"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			r.t.Fatalf("line %q: %v", sc.Text(), err)
		}
		res.lines = append(res.lines, line.Acme)
		if id, ok := line.Acme["id"].(string); ok {
			res.records = append(res.records, id)
		}
	}
	return res
}

func (r *memRun) state() state.File {
	r.t.Helper()
	s, _, err := state.Open(filepath.Join(r.dir, "default.state.json"), state.Options{Vendor: "acme", Instance: "default"})
	if err != nil {
		r.t.Fatal(err)
	}
	defer s.Close()
	return s.Snapshot()
}

func (r *memRun) log() string {
	b, _ := os.ReadFile(filepath.Join(r.dir, "wodle.log"))
	return string(b)
}

type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}

func (s *safeBuffer) String() string { return string(s.Bytes()) }

func ids(name string, from, to int) string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf("%s-%d", name, i))
	}
	return strings.Join(out, ",")
}

func TestCommitFollowsTheModulesdProcess(t *testing.T) {
	a := fakeProc(t, boot1, managerTree...)
	// The manager restarted: a new wazuh-modulesd (pid 1500) runs the wodle.
	b := fakeProc(t, boot1, fakeProcess{1, 0, "systemd", 1}, fakeProcess{1500, 1, "wazuh-modulesd", 8800},
		fakeProcess{1501, 1500, "timeout", 8801}, fakeProcess{1502, 1501, "run.sh", 8802}, fakeProcess{902, 1502, "onepassword-wod", 8803})
	shell := fakeProc(t, boot1, fakeProcess{1, 0, "systemd", 1}, fakeProcess{301, 1, "bash", 3}, fakeProcess{902, 301, "acme-wodle", 4})
	r := newMemRun(t, memVendor(&memModule{name: "m", n: 40, size: 5}), "ACME_MAX_EVENTS_PER_RUN", "10")
	steps := []struct {
		name, root string
		want       string
		committed  string // committed cursor after the run
		pending    string // pending cursor after the run, "" for none
	}{
		{"first run under modulesd A", a, ids("m", 1, 10), "", "10"},
		{"A's next run: the first run's output was forwarded", a, ids("m", 11, 20), "10", "20"},
		{"manager restarted: B replays A's last run", b, ids("m", 11, 20), "10", "20"},
		{"B's next run", b, ids("m", 21, 30), "20", "30"},
		{"a run from a shell replays B's last run and commits at once", shell, ids("m", 21, 30), "30", ""},
		{"B again: nothing pending to promote", b, ids("m", 31, 40), "30", "40"},
		{"B: caught up, promotes", b, "", "40", "40"},
	}
	for _, st := range steps {
		res := r.under(st.root).run()
		if res.code != 0 {
			t.Fatalf("%s: exit %d: %s\n%s", st.name, res.code, res.stderr, r.log())
		}
		if got := strings.Join(res.records, ","); got != st.want {
			t.Fatalf("%s: records %s, want %s", st.name, got, st.want)
		}
		snap := r.state()
		ms := snap.Modules["m"]
		if got := string(ms.Cursor); got != st.committed {
			t.Fatalf("%s: committed cursor %q, want %q", st.name, got, st.committed)
		}
		gotPending := ""
		if ms.Pending != nil {
			gotPending = string(ms.Pending.Cursor)
		}
		if gotPending != st.pending {
			t.Fatalf("%s: pending cursor %q, want %q", st.name, gotPending, st.pending)
		}
		if st.pending != "" && (snap.PendingOwner == nil || snap.PendingOwner.BootID != boot1) {
			t.Fatalf("%s: pending owner %v", st.name, snap.PendingOwner)
		}
	}
	if !strings.Contains(r.log(), "its cursors are dropped") {
		t.Error("the log does not say the pending cursors were dropped")
	}
}

func TestCommitSettingOverridesDetection(t *testing.T) {
	a := fakeProc(t, boot1, managerTree...)
	shell := fakeProc(t, boot1, fakeProcess{1, 0, "systemd", 1}, fakeProcess{301, 1, "bash", 3}, fakeProcess{902, 301, "acme-wodle", 4})

	r := newMemRun(t, memVendor(&memModule{name: "m", n: 6, size: 3}), "ACME_COMMIT", "immediate").under(a)
	if res := r.run(); res.code != 0 || len(res.records) != 6 {
		t.Fatalf("exit %d records %v", res.code, res.records)
	}
	if ms := r.state().Modules["m"]; string(ms.Cursor) != "6" || ms.Pending != nil {
		t.Fatalf("COMMIT=immediate under modulesd left %+v", ms)
	}

	r = newMemRun(t, memVendor(&memModule{name: "m", n: 6, size: 3}), "ACME_COMMIT", "next-run").under(shell)
	res := r.run()
	if res.code != ExitUsage || len(res.records) != 0 || len(res.lines) != 1 || res.lines[0]["error_kind"] != "config" ||
		!strings.Contains(fmt.Sprint(res.lines[0]["error_message"]), "ACME_COMMIT=next-run: no wazuh-modulesd") {
		t.Fatalf("COMMIT=next-run in a shell: exit %d lines %v", res.code, res.lines)
	}
	// A dry run saves nothing: the setting does not stop a look from a shell.
	if res := r.run("--dry-run"); res.code != 0 || len(res.records) != 6 {
		t.Fatalf("--dry-run with COMMIT=next-run in a shell: exit %d records %v", res.code, res.records)
	}
}

func TestDryRunAndAllSaveNothingUnderModulesd(t *testing.T) {
	a := fakeProc(t, boot1, managerTree...)
	r := newMemRun(t, memVendor(&memModule{name: "m", n: 6, size: 3})).under(a)
	if res := r.run(); len(res.records) != 6 {
		t.Fatalf("records %v", res.records)
	}
	before, _ := os.ReadFile(filepath.Join(r.dir, "default.state.json"))
	for _, args := range [][]string{{"--dry-run"}, {"--all"}} {
		if res := r.run(args...); res.code != 0 {
			t.Fatalf("%v: exit %d", args, res.code)
		}
		if after, _ := os.ReadFile(filepath.Join(r.dir, "default.state.json")); !bytes.Equal(before, after) {
			t.Fatalf("%v wrote the state", args)
		}
	}
}

func TestForeignStateIsAConfigError(t *testing.T) {
	r := newMemRun(t, memVendor(&memModule{name: "m", n: 3, size: 3}))
	write(t, filepath.Join(r.dir, "default.state.json"), `{"version":2,"vendor":"acme","instance":"eu","updated_at":"2026-01-01T00:00:00Z","modules":{}}`)
	res := r.run()
	if res.code != ExitUsage || len(res.records) != 0 || len(res.lines) != 1 || res.lines[0]["error_kind"] != "config" ||
		!strings.Contains(fmt.Sprint(res.lines[0]["error_message"]), `instance "eu"`) {
		t.Fatalf("exit %d lines %v", res.code, res.lines)
	}
	if matches, _ := filepath.Glob(filepath.Join(r.dir, "*.corrupt-*")); len(matches) != 0 {
		t.Fatalf("foreign state moved aside as corrupt: %v", matches)
	}
}

// Pages are written unsynced between syncs (state.durableEvery); the run's
// end syncs whatever it wrote last, so only a power cut during a run can
// take back any of its commits. The clock stands still: no periodic sync.
func TestRunEndsWithTheStateSynced(t *testing.T) {
	for _, mode := range []string{"immediate", "next-run"} {
		t.Run(mode, func(t *testing.T) {
			r := newMemRun(t, memVendor(&memModule{name: "a", n: 40, size: 5}, &memModule{name: "b", n: 40, size: 5}),
				"ACME_COMMIT", mode).under(fakeProc(t, boot1, managerTree...))
			var mu sync.Mutex
			var steps []string
			io := IO{Now: func() time.Time { return time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC) }}
			io.stateHook = func(step string, _ *os.File) error {
				mu.Lock()
				defer mu.Unlock()
				steps = append(steps, step)
				return nil
			}
			res := r.runIO(io)
			if res.code != 0 || len(res.records) != 80 {
				t.Fatalf("exit %d, %d records: %s %v", res.code, len(res.records), res.stderr, res.lines)
			}
			mu.Lock()
			defer mu.Unlock()
			// Pages go to the journal unsynced; the run ends with a new
			// snapshot, synced, after the last of them.
			appends, lastAppend, lastSync := 0, -1, -1
			for i, s := range steps {
				switch s {
				case "journal":
					appends++
					lastAppend = i
				case "synced", "current synced":
					lastSync = i
				}
			}
			if lastSync < lastAppend {
				t.Fatalf("the last page's write (step %d) is not synced after it (last sync step %d): %v", lastAppend, lastSync, steps)
			}
			if appends < 10 {
				t.Fatalf("only %d writes for 16 pages: %v", appends, steps)
			}
		})
	}
}

// A run whose last writes cannot be synced says so and fails: its events
// were delivered and its cursors written, but a power cut could take them
// back, which the admin must know.
func TestUnsyncedEndIsAnError(t *testing.T) {
	r := newMemRun(t, memVendor(&memModule{name: "a", n: 40, size: 5}))
	io := IO{Now: func() time.Time { return time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC) }}
	// The clock stands still: the only sync after the pages' writes is
	// the run's last.
	var paged atomic.Bool
	io.stateHook = func(step string, _ *os.File) error {
		switch {
		case step == "journal":
			paged.Store(true)
		case (step == "synced" || step == "current synced") && paged.Load():
			return syscall.EIO
		}
		return nil
	}
	res := r.runIO(io)
	var errs []string
	for _, l := range res.lines {
		if l["event_type"] == "error" {
			errs = append(errs, fmt.Sprint(l["error_kind"], ": ", l["error_message"]))
		}
	}
	if res.code != ExitFailed || len(res.records) != 40 || len(errs) != 1 ||
		!strings.HasPrefix(errs[0], "state: ") || !strings.Contains(errs[0], "may not be on disk") {
		t.Fatalf("exit %d, %d records, errors %q", res.code, len(res.records), errs)
	}
	if c := string(r.state().Modules["a"].Cursor); c != "40" {
		t.Fatalf("cursor %s, want 40 (written, only not synced)", c)
	}
}

func TestFullDiskDeliversNothingRunAfterRun(t *testing.T) {
	r := newMemRun(t, memVendor(&memModule{name: "a", n: 30, size: 5}, &memModule{name: "b", n: 30, size: 5}))
	if res := r.run(); res.code != 0 || len(res.records) != 60 {
		t.Fatalf("exit %d records %d", res.code, len(res.records))
	}
	r.v = memVendor(&memModule{name: "a", n: 60, size: 5}, &memModule{name: "b", n: 60, size: 5})
	r.full.Store(true)
	for run := 1; run <= 3; run++ {
		res := r.run()
		if len(res.records) != 0 {
			t.Fatalf("run %d on a full disk delivered %d events (each such run would repeat them)", run, len(res.records))
		}
		if res.code != ExitFailed || len(res.lines) != 1 || res.lines[0]["error_kind"] != "state" {
			t.Fatalf("run %d: exit %d lines %v", run, res.code, res.lines)
		}
	}
	r.full.Store(false)
	if res := r.run(); res.code != 0 || strings.Join(res.records, ",") != ids("a", 31, 60)+","+ids("b", 31, 60) &&
		strings.Join(res.records, ",") != ids("b", 31, 60)+","+ids("a", 31, 60) && len(res.records) != 60 {
		t.Fatalf("after the disk is freed: exit %d records %v", res.code, res.records)
	}
}

func TestStateFailureStopsEveryModule(t *testing.T) {
	var once sync.Once
	var r *memRun
	// Module a fills the disk while its second page is fetched (its first
	// was delivered, so the state's first write was done); b's pages are
	// slower, so b has more to deliver when a's save fails.
	a := &memModule{name: "a", n: 100, size: 5, before: func(page int) {
		if page == 2 {
			once.Do(func() { r.full.Store(true) })
		}
	}}
	b := &memModule{name: "b", n: 100, size: 5, delay: 20 * time.Millisecond}
	r = newMemRun(t, memVendor(a, b), "ACME_MAX_EVENTS_PER_RUN", "0")
	res := r.run()
	perModule := map[string]int{}
	for _, id := range res.records {
		perModule[id[:1]]++
	}
	// Each module may have delivered the page in hand when the failure
	// came (its own page 1 and, at most, the one fetched meanwhile).
	for m, n := range perModule {
		if n > 10 {
			t.Errorf("module %s delivered %d events after the state could no longer be saved", m, n)
		}
	}
	sums := 0
	for _, l := range res.lines {
		if l["event_type"] == "run_summary" {
			sums++
			if l["stopped_by"] != "error" {
				t.Errorf("summary %v", l)
			}
		}
	}
	if sums != 2 {
		t.Fatalf("%d summaries: %v", sums, res.lines)
	}
}

func TestOutputLimitStopsAtAPageBoundary(t *testing.T) {
	// Records of about 1,000 bytes, 10 per page: a page is ~10 KB. The
	// limit lets a few pages through, not all ten.
	const limit = 35000
	r := newMemRun(t, memVendor(&memModule{name: "m", n: 100, size: 10, big: 950}), "ACME_MAX_EVENTS_PER_RUN", "0")
	var out safeBuffer
	res := r.runIO(IO{pageLimit: limit, Stdout: &out})
	n := len(res.records)
	if res.code != 0 || n == 0 || n%10 != 0 || n == 100 || strings.Join(res.records, ",") != ids("m", 1, n) {
		t.Fatalf("exit %d records %v: want whole pages, not all of them", res.code, res.records)
	}
	pageBytes := 0
	for _, line := range bytes.SplitAfter(out.Bytes(), []byte("\n")) {
		if bytes.Contains(line, []byte(`"event_type":"test"`)) {
			pageBytes += len(line)
		}
	}
	// Pages never pass the limit, and the stop is not far before it: the
	// next page's bound (at most twice its size plus the envelope) did not fit.
	if pageBytes > limit || pageBytes < limit/2 {
		t.Fatalf("pages took %d bytes of a %d-byte limit", pageBytes, limit)
	}
	var sum map[string]any
	for _, l := range res.lines {
		if l["event_type"] == "run_summary" {
			sum = l
		}
	}
	if sum == nil || sum["stopped_by"] != "max_bytes" || sum["status"] != "ok" {
		t.Fatalf("summary %v", sum)
	}
	if c := string(r.state().Modules["m"].Cursor); c != strconv.Itoa(n) {
		t.Fatalf("cursor %s, want %d (the refused page comes next run)", c, n)
	}
	next := r.runIO(IO{pageLimit: limit})
	if len(next.records) == 0 || next.records[0] != fmt.Sprintf("m-%d", n+1) {
		t.Fatalf("next run: %v", next.records)
	}
}

func TestReserveNeverPassesTheLimit(t *testing.T) {
	c := &collection{pageLimit: 1000, eventLimit: 1200}
	steps := []struct {
		n    int64
		page bool
		ok   bool
	}{
		{600, true, true}, {400, true, true}, {1, true, false}, {150, false, true}, {50, false, true}, {1, false, false},
	}
	for i, st := range steps {
		if got := c.reserve(st.n, st.page); got != st.ok {
			t.Fatalf("step %d: reserve(%d, page=%v) = %v", i, st.n, st.page, got)
		}
	}
	if c.out.Load() != 1200 {
		t.Fatalf("counted %d", c.out.Load())
	}
	// Concurrent modules: the sum of what was granted never passes the limit.
	c = &collection{pageLimit: config.StdoutPageLimit, eventLimit: config.WazuhOutputMax}
	var wg sync.WaitGroup
	var mu sync.Mutex
	granted := int64(0)
	for range 8 {
		wg.Go(func() {
			for range 2000 {
				if c.reserve(9973, true) {
					mu.Lock()
					granted += 9973
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if granted > config.StdoutPageLimit || granted != c.out.Load() || config.StdoutPageLimit-granted >= 9973 {
		t.Fatalf("granted %d of %d", granted, config.StdoutPageLimit)
	}
	if (&collection{}).reserve(1<<40, true) != true {
		t.Fatal("no limit refused")
	}
}

// helperEnv makes this test binary run memVendor as a real process.
const helperEnv = "RUNNER_TEST_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "sigpipe" {
		v := memVendor(&memModule{name: "m", n: 100000, size: 50, big: 2000})
		os.Exit(Run(v, IO{Args: nil, Stdout: os.Stdout, Stderr: os.Stderr, Lookup: os.LookupEnv}))
	}
	os.Exit(m.Run())
}

func TestBrokenStdoutIsASinkError(t *testing.T) {
	dir := t.TempDir()
	rd, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=sigpipe", "ACME_STATE_DIR="+dir, "ACME_LOG_FILE="+filepath.Join(dir, "wodle.log"),
		"ACME_REQUESTS_PER_MINUTE=-1", "ACME_MAX_EVENTS_PER_RUN=0", "ACME_DEBUG=1")
	cmd.Stdout = wr
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	wr.Close()
	// Read some output, then go away as a crashed wazuh-modulesd does.
	if _, err := rd.Read(make([]byte, 4096)); err != nil {
		t.Fatal(err)
	}
	rd.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("the run did not stop after its stdout closed")
	}
	ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		t.Fatalf("killed by %v: a closed stdout must be a sink error, not a death", ws.Signal())
	}
	if cmd.ProcessState.ExitCode() != ExitFailed {
		t.Fatalf("exit %d, want %d\n%s", cmd.ProcessState.ExitCode(), ExitFailed, stderr.String())
	}
	log, _ := os.ReadFile(filepath.Join(dir, "wodle.log"))
	if !strings.Contains(string(log), "broken pipe") || !strings.Contains(string(log), "the cursor stays before this page") {
		t.Fatalf("log does not report the broken stdout:\n%s", log)
	}
	// The page whose write failed is not committed: the saved cursor is
	// at a page boundary before the end of the backlog.
	s, _, err := state.Open(filepath.Join(dir, "default.state.json"), state.Options{Vendor: "acme", Instance: "default"})
	if err != nil {
		t.Fatal(err)
	}
	var cur int
	if c := s.Cursor("m"); c != nil {
		_ = json.Unmarshal(c, &cur)
	}
	if cur%50 != 0 || cur >= 100000 {
		t.Fatalf("cursor %d", cur)
	}
}

func TestStateShowNamesThePendingOwner(t *testing.T) {
	a := fakeProc(t, boot1, managerTree...)
	r := newMemRun(t, memVendor(&memModule{name: "m", n: 6, size: 3})).under(a)
	if res := r.run(); res.code != 0 {
		t.Fatalf("exit %d", res.code)
	}
	show := func(root string) string {
		var out, errb safeBuffer
		code := Run(r.v, IO{Args: []string{"state", "show"}, Stdout: &out, Stderr: &errb, ProcRoot: root,
			Lookup: func(k string) (string, bool) { v, ok := r.env[k]; return v, ok }})
		if code != 0 {
			t.Fatalf("state show: exit %d: %s", code, errb.String())
		}
		return out.String()
	}
	got := show(a)
	for _, want := range []string{`"pending": {`, `"pending_owner": {`, `"pid": 812`,
		"# module m: committed cursor none (starts from the lookback); pending cursor 6 (6 IDs)",
		"belong to the run started by wazuh-modulesd pid 812 (start time 4711, boot " + boot1 + "), which is running"} {
		if !strings.Contains(got, want) {
			t.Errorf("state show lacks %q:\n%s", want, got)
		}
	}
	// After a manager restart the same file is shown with its owner gone.
	restarted := fakeProc(t, boot1, fakeProcess{1, 0, "systemd", 1}, fakeProcess{812, 1, "wazuh-modulesd", 9999})
	if got := show(restarted); !strings.Contains(got, "which no longer runs") {
		t.Errorf("owner shown as running after a restart:\n%s", got)
	}
}

func TestPageBoundCoversEveryLine(t *testing.T) {
	quotes := strings.Repeat(`\"`, 40)
	var wide, deep strings.Builder
	wide.WriteString("{")
	for i := range 300 {
		if i > 0 {
			wide.WriteString(",")
		}
		fmt.Fprintf(&wide, `"f%d":{"q":"%s","n":12345678901234567890}`, i, quotes)
	}
	wide.WriteString("}")
	deep.WriteString(`{"a":`)
	for range 40 {
		deep.WriteString(`{"b":"` + quotes + `","c":`)
	}
	deep.WriteString(`1` + strings.Repeat("}", 40) + "}")
	records := []Record{
		{Raw: []byte(`{}`), EventType: "a_rather_long_event_type_name"},
		{Raw: []byte(`{"n":123456789012345678901234567890,"m":[98765432109876543210,1]}`)},
		{Raw: []byte(wide.String()), EventType: "wide"},
		{Raw: []byte(deep.String())},
		{Raw: []byte(`{"s":"` + strings.Repeat("x", 100000) + `"}`)},
		{Raw: []byte(`{"s":"` + strings.Repeat(`\u00e9`, 3000) + `"}`)},
	}
	for _, budget := range []struct{ line, fields int }{{60000, 256}, {4096, 32}, {65000, 1024}} {
		c := &collection{vendor: Vendor{Name: "onepassword"}, cfg: &config.Common{MaxLineBytes: budget.line}, pageLimit: 1}
		enc := emit.NewEncoder(emit.Options{Integration: "onepassword", MaxLineBytes: budget.line, MaxFields: budget.fields})
		encoded := 0
		for i, r := range records {
			line, _, err := enc.AppendShaped(nil, r.Raw, r.EventType, jsonrec.Shape{})
			if err != nil {
				continue
			}
			encoded++
			if b := c.pageBound([]Record{r}); int64(len(line)) > b {
				t.Errorf("budget %v, record %d: line of %d bytes, bound %d", budget, i, len(line), b)
			}
		}
		if encoded < len(records)-1 {
			t.Errorf("budget %v: only %d of %d records encoded", budget, encoded, len(records))
		}
	}
}
