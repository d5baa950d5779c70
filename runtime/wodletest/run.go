package wodletest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wodlekit/wodlekit/runtime/runner"
)

// Result is what one run of a vendor binary produced.
type Result struct {
	Code   int
	Stdout []byte
	Stderr []byte
}

// Events returns the decoded namespace objects of every stdout line, in
// order; a line that is not valid JSON fails the test.
func (r Result) Events(t testing.TB, vendor string) []map[string]any {
	t.Helper()
	return ParseLines(t, vendor, r.Stdout)
}

// ParseLines decodes event lines and checks the line contract: compact
// JSON, `integration` first with the vendor's name, the namespace second
// and nothing else.
func ParseLines(t testing.TB, vendor string, out []byte) []map[string]any {
	t.Helper()
	var events []map[string]any
	prefix := `{"integration":"` + vendor + `","` + vendor + `":{`
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		if !bytes.HasPrefix(line, []byte(prefix)) {
			t.Fatalf("line %d does not start with %s: %.200s", n, prefix, line)
		}
		var top map[string]json.RawMessage
		if err := json.Unmarshal(line, &top); err != nil {
			t.Fatalf("line %d is not valid JSON: %v: %.200s", n, err, line)
		}
		if len(top) != 2 {
			t.Fatalf("line %d has %d top-level keys, want integration and %s only", n, len(top), vendor)
		}
		var ns map[string]any
		dec := json.NewDecoder(bytes.NewReader(top[vendor]))
		dec.UseNumber()
		if err := dec.Decode(&ns); err != nil {
			t.Fatalf("line %d namespace: %v", n, err)
		}
		events = append(events, ns)
	}
	return events
}

// Env is a fake process environment.
type Env map[string]string

// Lookup implements the environment lookup of runner.IO.
func (e Env) Lookup(k string) (string, bool) { v, ok := e[k]; return v, ok }

// With returns a copy with more variables.
func (e Env) With(kv ...string) Env {
	out := Env{}
	for k, v := range e {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// Run runs the vendor in-process, as its binary would run, with env as
// the whole environment.
func Run(t testing.TB, v runner.Vendor, env Env, args ...string) Result {
	t.Helper()
	return RunAt(t, v, env, nil, args...)
}

// RunAt is Run with the run's clock given (nil: the real one), so golden
// files do not depend on the day the test runs.
func RunAt(t testing.TB, v runner.Vendor, env Env, now func() time.Time, args ...string) Result {
	t.Helper()
	var stdout, stderr lockedBuffer
	// Released page bodies are poisoned: a record still pointing into one
	// would show as an invalid line and fail the test.
	code := runner.Run(v, runner.IO{Args: args, Stdout: &stdout, Stderr: &stderr, Lookup: env.Lookup, Now: now, PoisonPages: true})
	return Result{Code: code, Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}
}

// lockedBuffer is a bytes.Buffer safe for the concurrent writes of
// several modules and the logger.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.b.Bytes())
}

// ExecEnv is the variable that turns a test binary into the vendor binary
// (the helper-process pattern): real processes for kill -9 and signals.
const ExecEnv = "WODLETEST_EXEC_VENDOR"

// ExecArgsEnv holds the vendor command line of such a process.
const ExecArgsEnv = "WODLETEST_EXEC_ARGS"

// Main is called from a vendor test package's TestMain: when the test
// binary was started as a vendor process it runs the vendor and exits.
func Main(m interface{ Run() int }, newVendor func() runner.Vendor) {
	if os.Getenv(ExecEnv) == "1" {
		// The test binary's own flags are not the vendor's: the command line
		// comes from ExecArgsEnv.
		os.Exit(runner.Run(newVendor(), runner.IO{
			Args: strings.Fields(os.Getenv(ExecArgsEnv)), Stdout: os.Stdout, Stderr: os.Stderr, Lookup: os.LookupEnv,
			PoisonPages: true,
		}))
	}
	os.Exit(m.Run())
}

// Summaries returns the run_summary events by module.
func Summaries(events []map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, e := range events {
		if e["event_type"] == "run_summary" {
			out[e["module"].(string)] = e
		}
	}
	return out
}

// Errors returns the error events.
func Errors(events []map[string]any) []map[string]any {
	var out []map[string]any
	for _, e := range events {
		if e["event_type"] == "error" {
			out = append(out, e)
		}
	}
	return out
}

// Records returns the vendor events (neither errors nor summaries).
func Records(events []map[string]any) []map[string]any {
	var out []map[string]any
	for _, e := range events {
		if e["event_type"] != "error" && e["event_type"] != "run_summary" {
			out = append(out, e)
		}
	}
	return out
}

// Field reads a dotted path from an event.
func Field(e map[string]any, path string) any {
	var cur any = e
	for _, p := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}
