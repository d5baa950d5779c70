package wodletest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wodlekit/wodlekit/runtime/runner"
	"github.com/wodlekit/wodlekit/runtime/state"
	"github.com/wodlekit/wodlekit/runtime/wodletest/fakekit"
)

// Harness tells the conformance suite how to run one vendor.
type Harness struct {
	// Vendor builds the vendor under test.
	Vendor func() runner.Vendor
	// NewFake starts an empty-or-filled fake: perModule events in each
	// module's backlog.
	NewFake func(t testing.TB, perModule int) Fake
	// Secrets are credentials the fake accepts, by secret key.
	Secrets map[string]string
	// Env holds extra variables the vendor needs against the fake. In
	// Secrets and Env, FakeURL stands for the fake's base URL (a
	// credential that names an endpoint: Google's key names its token
	// endpoint).
	Env Env
	// PageSize is the page size the suite configures, small so a backlog
	// spans many pages.
	PageSize int
	// IDField is the dotted field of the namespace that identifies a record
	// ("uuid"), used to prove exactly-once delivery.
	IDField string
	// RecordID, when set, replaces IDField for vendors whose modules have
	// different identifying fields; "" fails the test like a missing IDField.
	RecordID func(record map[string]any) string
	// Module is one module the fault tests aim at; FaultPath its request path.
	Module    string
	FaultPath string
	// KillBacklog is the backlog per module of the kill -9 test (default
	// 200). Its nine kills each deliver a page or more, and on a busy
	// machine a killed run can deliver far more than the lines read before
	// its kill (its modules fill the 1 MiB stdout pipe ahead of the
	// reader); the backlog must outlast them all for the later kills to
	// still land mid-backlog. At 60, google_workspace's seven modules
	// used it up in about half the runs under two busy loops.
	KillBacklog int
	// EmptyPages is how many pages an empty backlog may take (default 2):
	// a windowed API walks and saves one window per page even when empty.
	EmptyPages int
	// Answers declare, from the vendor's documentation, where its answers
	// keep their record arrays, required members and cursors: the page
	// contract case rewrites them into every shape off the contract. Every
	// module needs one.
	Answers []Answer
	// Exec, when set, is the command that runs the vendor as a real process
	// (the test binary itself with ExecEnv=1, see Main); the kill -9 and
	// SIGTERM tests need it.
	Exec []string
}

// FakeURL, in Harness.Secrets and Harness.Env, is replaced by the fake's
// base URL once it listens.
const FakeURL = "{{fake_url}}"

// instance is one vendor under test with its fake and its files.
type instance struct {
	t      *testing.T
	h      Harness
	v      runner.Vendor
	fake   Fake
	faults *FaultInjector
	srv    *httptest.Server
	dir    string
	env    Env
}

func (h Harness) start(t *testing.T, perModule int) *instance {
	t.Helper()
	fake := h.NewFake(t, perModule)
	faults := NewFaultInjector(fake)
	srv := httptest.NewServer(faults)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	v := h.Vendor()
	p := v.EnvPrefix
	env := Env{
		p + "BASE_URL":            srv.URL,
		p + "STATE_DIR":           dir,
		p + "LOG_FILE":            filepath.Join(dir, "wodle.log"),
		p + "DEBUG":               "2",
		p + "PAGE_SIZE":           fmt.Sprint(h.PageSize),
		p + "MAX_EVENTS_PER_RUN":  "0",
		p + "MAX_BYTES_PER_RUN":   "60000000",
		p + "REQUEST_TIMEOUT":     "1s",
		p + "RETRY_BACKOFF":       "10ms",
		p + "REQUESTS_PER_MINUTE": "-1",
		p + "LOOKBACK_HOURS":      fmt.Sprint(v.MaxLookback.Hours()),
		p + "MAX_RUNTIME":         "60s",
	}
	for k, val := range h.Env {
		env[k] = strings.ReplaceAll(val, FakeURL, srv.URL)
	}
	for k, val := range h.Secrets {
		env[k] = strings.ReplaceAll(val, FakeURL, srv.URL)
	}
	// The hintless-429 floor of real vendors is tens of seconds; the
	// suite proves the floor is applied, not its size.
	v.RetryFloor = 50 * time.Millisecond
	return &instance{t: t, h: h, v: v, fake: fake, faults: faults, srv: srv, dir: dir, env: env}
}

func (in *instance) run(extra ...string) ([]map[string]any, Result) {
	in.t.Helper()
	res := Run(in.t, in.v, in.env.With(extra...))
	return ParseLines(in.t, in.v.Name, res.Stdout), res
}

func (in *instance) stateFile() string { return filepath.Join(in.dir, "default.state.json") }

func (in *instance) ids(events []map[string]any) []string {
	var out []string
	for _, e := range Records(events) {
		id, _ := Field(e, in.h.IDField).(string)
		if in.h.RecordID != nil {
			id = in.h.RecordID(e)
		}
		if id == "" {
			in.t.Fatalf("record without %s: %v", in.h.IDField, e)
		}
		out = append(out, id)
	}
	return out
}

// exactlyOnce checks every backlog record arrived once across runs.
func (in *instance) exactlyOnce(ids []string, want int) {
	in.t.Helper()
	seen := map[string]int{}
	for _, id := range ids {
		seen[id]++
	}
	for id, n := range seen {
		if n > 1 {
			in.t.Errorf("record %s delivered %d times", id, n)
		}
	}
	if len(seen) != want {
		in.t.Errorf("delivered %d distinct records, want %d", len(seen), want)
	}
}

// Conformance runs the contract every vendor binary keeps (DESIGN.md
// section 5) against the vendor's fake API.
func Conformance(t *testing.T, h Harness) {
	const perModule = 25

	t.Run("README documents every setting and secret", func(t *testing.T) {
		res := Run(t, h.Vendor(), Env{}, "metadata")
		var meta struct {
			Settings []struct{ Env string } `json:"settings"`
			Secrets  []struct{ Key string } `json:"secrets"`
		}
		if err := json.Unmarshal(res.Stdout, &meta); err != nil || len(meta.Settings) == 0 {
			t.Fatalf("metadata: %v (exit %d): %s", err, res.Code, res.Stdout)
		}
		readme := string(readFile(t, "README.md"))
		for _, s := range meta.Settings {
			if !strings.Contains(readme, "`"+s.Env+"`") {
				t.Errorf("README.md does not document the setting `%s`", s.Env)
			}
		}
		for _, s := range meta.Secrets {
			if !strings.Contains(readme, "`"+s.Key+"`") {
				t.Errorf("README.md does not document the secret `%s`", s.Key)
			}
		}
	})

	t.Run("backlog once then nothing new then only new", func(t *testing.T) {
		in := h.start(t, perModule)
		ev1, res := in.run()
		if res.Code != 0 {
			t.Fatalf("exit %d: %s", res.Code, res.Stderr)
		}
		sums := Summaries(ev1)
		if len(sums) == 0 {
			t.Fatal("no run_summary events")
		}
		total := perModule * len(sums)
		in.exactlyOnce(in.ids(ev1), total)
		for m, s := range sums {
			if s["status"] != "ok" || s["stopped_by"] != "caught_up" || s["cursor_saved"] != true {
				t.Errorf("module %s summary: %v", m, s)
			}
			if pages := asInt(s["pages"]); pages < 2 {
				t.Errorf("module %s: %d pages, want several (page size %d)", m, pages, h.PageSize)
			}
		}
		if errs := Errors(ev1); len(errs) > 0 {
			t.Fatalf("error events: %v", errs)
		}
		ev2, _ := in.run()
		if got := Records(ev2); len(got) != 0 {
			t.Fatalf("second run emitted %d records, want 0", len(got))
		}
		in.fake.Append(3)
		ev3, _ := in.run()
		in.exactlyOnce(append(in.ids(ev1), in.ids(ev3)...), total+3*len(sums))
		if n := len(Records(ev3)); n != 3*len(sums) {
			t.Fatalf("third run emitted %d records, want %d new ones", n, 3*len(sums))
		}
	})

	t.Run("empty backlog ends at once", func(t *testing.T) {
		in := h.start(t, 0)
		ev, res := in.run()
		if res.Code != 0 || len(Records(ev)) != 0 || len(Errors(ev)) != 0 {
			t.Fatalf("exit %d, %d records, errors %v", res.Code, len(Records(ev)), Errors(ev))
		}
		for m, s := range Summaries(ev) {
			maxPages := 2
			if h.EmptyPages > 0 {
				maxPages = h.EmptyPages
			}
			if s["stopped_by"] != "caught_up" || asInt(s["pages"]) > maxPages {
				t.Errorf("module %s: %v", m, s)
			}
		}
	})

	transient := []struct {
		name  string
		fault Fault
		check func(t *testing.T, s map[string]any)
	}{
		{"429 with Retry-After", Fault{Status: 429, Header: http.Header{"Retry-After": {"1"}}, Body: `{"error":"rate limited"}`},
			func(t *testing.T, s map[string]any) {
				if asInt(s["rate_limited"]) < 1 {
					t.Errorf("rate_limited not counted: %v", s)
				}
			}},
		{"429 without Retry-After", Fault{Status: 429, Body: `Too Many Requests`},
			func(t *testing.T, s map[string]any) {
				if asInt(s["rate_limited"]) < 1 {
					t.Errorf("rate_limited not counted: %v", s)
				}
			}},
		{"500 then success", Fault{Status: 500, Body: `{"error":"internal"}`}, nil},
		{"connection reset", Fault{Reset: true}, nil},
		{"timeout", Fault{Delay: 1500 * time.Millisecond}, nil},
		{"truncated body", Fault{Truncate: true}, nil},
	}
	for _, tc := range transient {
		t.Run("transient "+tc.name, func(t *testing.T) {
			in := h.start(t, perModule)
			in.faults.Push(withPath(tc.fault, h.FaultPath))
			ev, res := in.run()
			if res.Code != 0 {
				t.Fatalf("exit %d", res.Code)
			}
			if errs := Errors(ev); len(errs) > 0 {
				t.Fatalf("a transient fault became an error: %v", errs)
			}
			if in.faults.Pending() != 0 {
				t.Fatal("the fault was never served")
			}
			s := Summaries(ev)[h.Module]
			// Go's transport itself resends an idempotent request whose
			// reused connection was closed before any answer, so a reset
			// may never reach httpx's counter; the events must arrive anyway.
			if asInt(s["retries"]) < 1 && !tc.fault.Reset {
				t.Errorf("retry not counted: %v", s)
			}
			if tc.check != nil {
				tc.check(t, s)
			}
			in.exactlyOnce(in.ids(ev), perModule*len(Summaries(ev)))
		})
	}

	persistent := []struct {
		name   string
		fault  Fault
		times  int
		kind   string
		status int
		text   string
	}{
		{"401", Fault{Status: 401, Body: `{"Error":{"Message":"Unauthorized"}}`}, 1, "auth", 401, "401"},
		{"403", Fault{Status: 403, Body: `{"error":"forbidden for this token"}`}, 1, "auth", 403, "403"},
		{"400", Fault{Status: 400, Body: `{"message":"bad request from the test"}`}, 1, "http_status", 400, "bad request from the test"},
		{"HTML 502 page", Fault{Status: 502, Header: http.Header{"Content-Type": {"text/html"}}, Body: "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"}, 5, "http_status", 502, "502 Bad Gateway"},
		{"invalid JSON", Fault{Status: 200, Body: `{"items":[{"uuid":"x",]`}, 1, "decode", 0, "invalid JSON"},
		{"HTML page with 200", Fault{Status: 200, Header: http.Header{"Content-Type": {"text/html"}}, Body: "<html>maintenance</html>"}, 1, "decode", 0, "invalid JSON"},
		{"truncated every time", Fault{Truncate: true}, 5, "", 0, ""},
	}
	for _, tc := range persistent {
		t.Run("persistent "+tc.name, func(t *testing.T) {
			in := h.start(t, perModule)
			// A first full run gives a saved cursor to protect.
			_, _ = in.run()
			in.fake.Append(2)
			before := readFile(t, in.stateFile())
			for range tc.times {
				in.faults.Push(withPath(tc.fault, h.FaultPath))
			}
			ev, res := in.run()
			if res.Code != 0 {
				t.Fatalf("exit %d: module failures must not fail the run", res.Code)
			}
			errs := Errors(ev)
			if len(errs) != 1 {
				t.Fatalf("want one error event, got %v", errs)
			}
			e := errs[0]
			if e["module"] != h.Module || (tc.kind != "" && e["error_kind"] != tc.kind) {
				t.Errorf("error event %v, want module %s kind %s", e, h.Module, tc.kind)
			}
			if tc.status != 0 && asInt(e["http_status"]) != tc.status {
				t.Errorf("http_status %v, want %d", e["http_status"], tc.status)
			}
			if msg, _ := e["error_message"].(string); !strings.Contains(msg, tc.text) {
				t.Errorf("error_message %q does not say %q", msg, tc.text)
			}
			s := Summaries(ev)[h.Module]
			if s["status"] != "failed" || s["stopped_by"] != "error" {
				t.Errorf("summary %v, want failed/error", s)
			}
			after := readFile(t, in.stateFile())
			if cursorOf(t, before, h.Module) != cursorOf(t, after, h.Module) {
				t.Errorf("cursor of %s moved after a failure", h.Module)
			}
			// And the next run, without the fault, delivers the new events.
			ev2, _ := in.run()
			if n := asInt(Summaries(ev2)[h.Module]["events"]); n < 2 {
				t.Errorf("after the failure the next run delivered %d new records of %s, want 2", n, h.Module)
			}
		})
	}

	t.Run("oversized and over-wide events stay within budget", func(t *testing.T) {
		in := h.start(t, 0)
		in.fake.AppendRaw(h.Module, in.fake.BigRecord(100_000))
		in.fake.AppendRaw(h.Module, in.fake.WideRecord(400))
		ev, res := in.run()
		if res.Code != 0 {
			t.Fatalf("exit %d", res.Code)
		}
		for i, line := range bytes.Split(bytes.TrimSpace(res.Stdout), []byte("\n")) {
			if len(line)+1 > 60000 {
				t.Errorf("line %d is %d bytes, over the 60000 budget", i+1, len(line)+1)
			}
			if n := fakekit.CountLeaves(line); n > 256 {
				t.Errorf("line %d has %d leaf fields, over 256", i+1, n)
			}
		}
		recs := Records(ev)
		if len(recs) != 2 {
			t.Fatalf("want the 2 records, got %d", len(recs))
		}
		marks := 0
		for _, r := range recs {
			if r["_wodlekit"] != nil {
				marks++
			}
		}
		if marks != 2 {
			t.Errorf("%d of 2 records carry the _wodlekit marker", marks)
		}
		s := Summaries(ev)[h.Module]
		if asInt(s["truncated"]) < 1 || asInt(s["folded"]) < 1 {
			t.Errorf("summary does not count truncation and folding: %v", s)
		}
	})

	t.Run("per-run event cap stops at a page boundary and resumes", func(t *testing.T) {
		in := h.start(t, perModule)
		ev1, _ := in.run(in.v.EnvPrefix+"MAX_EVENTS_PER_RUN", fmt.Sprint(h.PageSize))
		// The cap counts the whole run, but every module gets its first
		// page (no module is starved by a busier sibling), and no module
		// starts another page once the cap is reached.
		sums := Summaries(ev1)
		total, capped := 0, 0
		for _, s := range sums {
			total += asInt(s["events"])
			if asInt(s["pages"]) < 1 {
				t.Errorf("module %s fetched no page: a shared cap must not starve a module", s["module"])
			}
			if s["stopped_by"] == "max_events" {
				capped++
			}
			if asInt(s["events"]) > h.PageSize {
				t.Errorf("module %s delivered %v events, more than one page after the cap", s["module"], s["events"])
			}
		}
		if capped == 0 || total < h.PageSize || total > h.PageSize*len(sums) {
			t.Fatalf("summaries %v: want the run stopped by max_events after about one page per module", sums)
		}
		ev2, _ := in.run()
		in.exactlyOnce(append(in.ids(ev1), in.ids(ev2)...), perModule*len(Summaries(ev2)))
	})

	t.Run("dry run resumes from the saved cursors and saves nothing", func(t *testing.T) {
		in := h.start(t, perModule)
		ev1, _ := in.run(in.v.EnvPrefix+"MAX_EVENTS_PER_RUN", fmt.Sprint(h.PageSize))
		before := readFile(t, in.stateFile())
		res := Run(t, in.v, in.env, "--dry-run")
		dry := ParseLines(t, in.v.Name, res.Stdout)
		if res.Code != 0 {
			t.Fatalf("dry run: exit %d: %s", res.Code, res.Stderr)
		}
		if after := readFile(t, in.stateFile()); !bytes.Equal(before, after) {
			t.Fatalf("the dry run changed the state file:\nbefore %s\nafter  %s", before, after)
		}
		for _, s := range Summaries(dry) {
			if s["mode"] != "dry_run" || s["cursor_saved"] != false {
				t.Errorf("dry-run summary of %s: %v", s["module"], s)
			}
		}
		// It resumed where run 1 stopped: nothing of run 1 again, and the
		// whole backlog between them.
		total := perModule * len(Summaries(dry))
		in.exactlyOnce(append(in.ids(ev1), in.ids(dry)...), total)
		// The real run that follows brings the same events again.
		ev3, _ := in.run()
		got, want := in.ids(ev3), in.ids(dry)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("the run after the dry run delivered %d records, the dry run %d; want the same", len(got), len(want))
		}
	})

	t.Run("corrupt state is kept aside and reported", func(t *testing.T) {
		in := h.start(t, perModule)
		if err := os.WriteFile(in.stateFile(), []byte(`{"version":1,"modules":{`), 0o640); err != nil {
			t.Fatal(err)
		}
		ev, res := in.run()
		if res.Code != 0 {
			t.Fatalf("exit %d", res.Code)
		}
		errs := Errors(ev)
		if len(errs) == 0 || errs[0]["error_kind"] != "state" {
			t.Fatalf("want a state error event first, got %v", errs)
		}
		aside, _ := filepath.Glob(in.stateFile() + ".corrupt-*")
		if len(aside) != 1 {
			t.Fatalf("corrupt file not kept aside: %v", aside)
		}
		in.exactlyOnce(in.ids(ev), perModule*len(Summaries(ev)))
	})

	t.Run("overlapping run refused by the lock", func(t *testing.T) {
		in := h.start(t, 1)
		release, err := state.Lock(in.stateFile())
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = release() }()
		ev, res := in.run()
		if res.Code != runner.ExitFailed {
			t.Fatalf("exit %d, want %d", res.Code, runner.ExitFailed)
		}
		errs := Errors(ev)
		if len(errs) != 1 || !strings.Contains(fmt.Sprint(errs[0]["error_message"]), "in progress") {
			t.Fatalf("want one 'in progress' error event, got %v", errs)
		}
	})

	t.Run("no secret in stdout, log, state or request URLs at debug 3", func(t *testing.T) {
		in := h.start(t, perModule)
		in.faults.Push(withPath(Fault{Status: 401, Body: `{"message":"bad token"}`}, h.FaultPath))
		_, res1 := in.run(in.v.EnvPrefix+"DEBUG", "3")
		_, res2 := in.run(in.v.EnvPrefix+"DEBUG", "3", in.v.EnvPrefix+"LOG_FILE", "")
		logs := readFile(t, filepath.Join(in.dir, "wodle.log"))
		if len(logs) == 0 || len(res2.Stderr) == 0 {
			t.Fatal("debug 3 wrote no logs: the test would prove nothing")
		}
		st := readFile(t, in.stateFile())
		// Request lines reach proxy and server logs: a secret belongs in a
		// header or a body, never in a path or a query.
		var urls []byte
		for _, r := range in.fake.Requests() {
			urls = append(urls, r.Path+"?"+r.Query+"\n"...)
		}
		if len(urls) == 0 {
			t.Fatal("the fake recorded no request: the test would prove nothing")
		}
		for key, val := range h.Secrets {
			val = strings.ReplaceAll(val, FakeURL, in.srv.URL)
			for name, b := range map[string][]byte{"stdout": res1.Stdout, "stdout 2": res2.Stdout, "stderr": res2.Stderr, "log": logs, "state": st, "request URLs": urls} {
				if bytes.Contains(b, []byte(val)) {
					t.Errorf("secret %s appears in %s", key, name)
				}
			}
		}
	})

	t.Run("an answer off the page contract is an error, never an empty page", func(t *testing.T) { pageContract(t, h) })

	if len(h.Exec) > 0 {
		t.Run("kill -9 at many points loses nothing", func(t *testing.T) { killNine(t, h) })
		t.Run("SIGTERM finishes the page, saves and exits", func(t *testing.T) { sigterm(t, h) })
	}
}

func withPath(f Fault, path string) Fault {
	if f.Path == "" {
		f.Path = path
	}
	return f
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return b
}

func cursorOf(t testing.TB, stateJSON []byte, module string) string {
	t.Helper()
	var f state.File
	if len(stateJSON) == 0 {
		return ""
	}
	if err := jsonUnmarshal(stateJSON, &f); err != nil {
		t.Fatalf("state file: %v", err)
	}
	return string(f.Modules[module].Cursor)
}

func asInt(v any) int {
	var n int
	_, _ = fmt.Sscan(fmt.Sprint(v), &n)
	return n
}

// processRun starts the vendor as a real process and returns it with a
// reader of its stdout lines.
func processRun(t *testing.T, h Harness, env Env) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(h.Exec[0], h.Exec[1:]...)
	cmd.Env = []string{ExecEnv + "=1"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	return cmd, sc
}

// killNine kills the real process after k lines, for many k, then lets a
// final run finish: the union must hold every record, and replays must
// stay within the page in flight.
func killNine(t *testing.T, h Harness) {
	perModule := 200
	if h.KillBacklog > 0 {
		perModule = h.KillBacklog
	}
	in := h.start(t, perModule)
	env := in.env
	var all []string
	kills := 0
	midRun := 0
	for k := 1; k <= 60; k += 7 {
		// Every request is slowed a little so that kills land mid-backlog
		// rather than after a run that finished in a millisecond.
		in.faults.Clear()
		for range 200 {
			in.faults.Push(Fault{Delay: 5 * time.Millisecond})
		}
		cmd, sc := processRun(t, h, env)
		var got bytes.Buffer
		lines := 0
		for lines < k && sc.Scan() {
			got.Write(sc.Bytes())
			got.WriteByte('\n')
			lines++
		}
		_ = cmd.Process.Signal(syscall.SIGKILL)
		finished := false
		for sc.Scan() {
			if bytes.Contains(sc.Bytes(), []byte(`"run_summary"`)) {
				finished = true
			}
			// Lines already in the pipe were written by the process: they
			// reached Wazuh's reader too, so they count as delivered.
			got.Write(sc.Bytes())
			got.WriteByte('\n')
		}
		_ = cmd.Wait()
		if !finished {
			midRun++
		}
		kills++
		before := len(all)
		all = append(all, in.ids(ParseLines(t, in.v.Name, got.Bytes()))...)
		if len(all) == before && k > 1 {
			t.Fatalf("kill after %d lines: the process delivered nothing; stderr of a run would tell why", k)
		}
	}
	in.faults.Clear()
	ev, res := in.run()
	if res.Code != 0 {
		t.Fatalf("final run exit %d", res.Code)
	}
	if midRun < kills/2 {
		t.Fatalf("only %d of %d kills landed mid-run: the test would prove little", midRun, kills)
	}
	if len(Records(ev)) == 0 {
		t.Fatal("the killed runs delivered the whole backlog, so the last kills tested nothing; raise Harness.KillBacklog")
	}
	all = append(all, in.ids(ev)...)
	modules := len(Summaries(ev))
	seen := map[string]int{}
	for _, id := range all {
		seen[id]++
	}
	if len(seen) != perModule*modules {
		t.Fatalf("after %d kills: %d distinct records, want %d: records were lost", kills, len(seen), perModule*modules)
	}
	dups := len(all) - len(seen)
	if limit := kills * h.PageSize * modules; dups > limit {
		t.Fatalf("%d replays after %d kills, more than the pages in flight allow (%d)", dups, kills, limit)
	}
	t.Logf("%d kills (%d mid-run), %d records, %d replayed", kills, midRun, len(seen), dups)
}

// sigterm stops a real run with SIGTERM: it must exit 0, with summaries
// saying so, and the next run must deliver the rest with no duplicate.
func sigterm(t *testing.T, h Harness) {
	const perModule = 200
	in := h.start(t, perModule)
	// A budget of ten requests a minute is spent long before the backlog
	// is: the run then waits for the window, and the signal lands
	// mid-backlog however fast the machine. The run deadline must leave
	// room for that wait: with the suite's 60 s, a wait for a 60 s window
	// does not fit, the modules stop at once with stopped_by "deadline",
	// and on a loaded machine the run ended before the signal came.
	env := in.env.With(in.v.EnvPrefix+"REQUESTS_PER_MINUTE", "10").With(in.v.EnvPrefix+"MAX_RUNTIME", "10m")
	cmd, sc := processRun(t, h, env)
	var got bytes.Buffer
	for lines := 0; lines < h.PageSize && sc.Scan(); lines++ {
		got.Write(sc.Bytes())
		got.WriteByte('\n')
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for sc.Scan() {
		got.Write(sc.Bytes())
		got.WriteByte('\n')
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("after SIGTERM: %v (want exit 0)", err)
	}
	ev1 := ParseLines(t, in.v.Name, got.Bytes())
	stopped := 0
	for _, s := range Summaries(ev1) {
		if s["stopped_by"] == "signal" {
			stopped++
		}
	}
	if stopped == 0 {
		t.Fatalf("no summary says stopped_by signal: %v", Summaries(ev1))
	}
	ev2, _ := in.run()
	in.exactlyOnce(append(in.ids(ev1), in.ids(ev2)...), perModule*len(Summaries(ev2)))
}
