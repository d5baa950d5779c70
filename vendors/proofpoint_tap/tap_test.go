package proofpointtap_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wodlekit/wodlekit/runtime/runner"
	"github.com/wodlekit/wodlekit/runtime/wodletest"
	proofpointtap "github.com/wodlekit/wodlekit/vendors/proofpoint_tap"
	"github.com/wodlekit/wodlekit/vendors/proofpoint_tap/fakeapi"
)

// t0 is the tests' "now": a fixed instant, not on an hour boundary.
var t0 = time.Date(2026, 3, 10, 12, 17, 23, 0, time.UTC)

// clock is a settable time shared by the fake and the wodle.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// bench is one wodle instance with its fake, state and two clocks: the
// wodle's and the fake's (they differ only when a test wants skew).
type bench struct {
	t         *testing.T
	api       *fakeapi.API
	wodle     *clock
	server    *clock
	dir       string
	env       wodletest.Env
	lastLines []byte
}

func newBench(t *testing.T, o fakeapi.Options, env ...string) *bench {
	t.Helper()
	b := &bench{t: t, wodle: &clock{t: t0}, server: &clock{t: t0}, dir: t.TempDir()}
	o.Principal, o.Secret, o.Clock = testPrincipal, testSecret, b.server.Now
	b.api = fakeapi.New(o)
	srv := httptest.NewServer(b.api)
	t.Cleanup(srv.Close)
	b.env = wodletest.Env{
		"TAP_BASE_URL": srv.URL, "TAP_STATE_DIR": b.dir, "TAP_LOG_FILE": filepath.Join(b.dir, "wodle.log"),
		"TAP_DEBUG": "1", "TAP_LOOKBACK_HOURS": "8", "TAP_RETRY_BACKOFF": "1ms", "TAP_REQUEST_TIMEOUT": "5s",
		proofpointtap.PrincipalKey: testPrincipal, proofpointtap.SecretKey: testSecret,
	}.With(env...)
	return b
}

// at moves both clocks.
func (b *bench) at(t time.Time) *bench { b.wodle.Set(t); b.server.Set(t); return b }

// run runs the wodle once; extra holds pairs: "--flag", "value" go to
// the command line, "NAME", "value" to the environment.
func (b *bench) run(extra ...string) []map[string]any {
	b.t.Helper()
	args, env := []string{}, []string{}
	for i := 0; i+1 < len(extra); i += 2 {
		if strings.HasPrefix(extra[i], "--") {
			args = append(args, extra[i], extra[i+1])
		} else {
			env = append(env, extra[i], extra[i+1])
		}
	}
	v := proofpointtap.New()
	v.RetryFloor = 5 * time.Millisecond
	res := wodletest.RunAt(b.t, v, b.env.With(env...), b.wodle.Now, args...)
	if res.Code != 0 {
		b.t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	b.lastLines = res.Stdout
	return wodletest.ParseLines(b.t, proofpointtap.Name, b.lastLines)
}

func byType(events []map[string]any, typ string) []map[string]any {
	var out []map[string]any
	for _, e := range events {
		if e["event_type"] == typ {
			out = append(out, e)
		}
	}
	return out
}

func summary(t *testing.T, events []map[string]any, module string) map[string]any {
	t.Helper()
	s := wodletest.Summaries(events)[module]
	if s == nil {
		t.Fatalf("no %s run_summary in %v", module, events)
	}
	return s
}

func num(v any) int {
	var n int
	_, _ = fmt.Sscan(fmt.Sprint(v), &n)
	return n
}

func TestBacklogWalkedInOneHourSlices(t *testing.T) {
	b := newBench(t, fakeapi.Options{Seed: 3, SIEM: 50, PerHour: 10})
	ev := b.run("--source", "siem")
	if n := len(wodletest.Records(ev)); n != 50 {
		t.Fatalf("%d records, want the 50 of the backlog", n)
	}
	if errs := wodletest.Errors(ev); len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	ivs := b.api.Intervals()
	// 8 hours of lookback, ending at the 2-minute safety lag: 8 slices.
	if len(ivs) != 8 {
		t.Fatalf("%d requests, want 8 one-hour slices: %v", len(ivs), ivs)
	}
	want := t0.Add(-8 * time.Hour)
	limit := t0.Add(-2 * time.Minute)
	for i, iv := range ivs {
		start, end, err := fakeapi.ParseInterval(iv)
		if err != nil {
			t.Fatal(err)
		}
		if !start.Equal(want) {
			t.Fatalf("slice %d starts %s, want %s (contiguous)", i, start, want)
		}
		if d := end.Sub(start); d > time.Hour || d < 30*time.Second || (d != time.Hour && i != len(ivs)-1) {
			t.Fatalf("slice %d is %s long", i, d)
		}
		want = end
	}
	if !want.Equal(limit) {
		t.Fatalf("walk ended at %s, want now minus the safety lag %s", want, limit)
	}
	s := summary(t, ev, "siem")
	if s["stopped_by"] != "caught_up" || num(s["pages"]) < 5 {
		t.Fatalf("summary %v: want caught_up after one page per hour with records", s)
	}
	if msg, _ := s["message"].(string); !strings.Contains(msg, "SIEM budget: 8 of 1800 requests used") {
		t.Fatalf("summary message %q does not report the budget", msg)
	}
}

func TestOverlapLateEventsAndReclassification(t *testing.T) {
	b := newBench(t, fakeapi.Options{Seed: 4})
	guid := "reclass0000000000000000000001"
	phish := fakeapi.Message("messagesDelivered", "m-1", guid, "ceo@example.com", "Wire transfer request",
		[]fakeapi.Threat{{ID: strings.Repeat("a", 64), Classification: "phish", Status: "active", Time: t0.Add(-40 * time.Minute)}}, t0.Add(-40*time.Minute), 1)
	b.api.Add("messagesDelivered", phish, t0.Add(-40*time.Minute), t0.Add(-40*time.Minute))
	// Filed in run 1's window, indexed only 25 minutes later.
	late := fakeapi.Click("late-click-1", "lateguid00000000000000000000001", "j.doe@example.com", "phish", t0.Add(-15*time.Minute), t0.Add(-15*time.Minute), 7)
	b.api.Add("clicksPermitted", late, t0.Add(-15*time.Minute), t0.Add(10*time.Minute))

	steps := []struct {
		name  string
		at    time.Duration
		setup func()
		want  []string // ids of the records this run must emit
		dups  int      // at least this many duplicates dropped
	}{
		{"first run", 0, nil, []string{"m-1"}, 0},
		{"late click not yet indexed", 5 * time.Minute, nil, nil, 0},
		{"late click indexed, inside the overlap", 15 * time.Minute, func() {
			// TAP re-issues the message: once unchanged, once re-classified
			// as malware with a new threat.
			b.api.Add("messagesDelivered", phish, t0.Add(5*time.Minute), t0.Add(5*time.Minute))
			mal := fakeapi.Message("messagesDelivered", "m-1", guid, "ceo@example.com", "Wire transfer request",
				[]fakeapi.Threat{{ID: strings.Repeat("b", 64), Classification: "malware", Status: "active", Time: t0.Add(6 * time.Minute)}}, t0.Add(-40*time.Minute), 1)
			b.api.Add("messagesDelivered", mal, t0.Add(6*time.Minute), t0.Add(6*time.Minute))
		}, []string{"late-click-1", "m-1"}, 1},
		{"the overlap again: nothing twice", 16 * time.Minute, nil, nil, 3},
	}
	for _, st := range steps {
		if st.setup != nil {
			st.setup()
		}
		ev := b.at(t0.Add(st.at)).run()
		var got []string
		for _, r := range wodletest.Records(ev) {
			got = append(got, fmt.Sprint(r["id"]))
		}
		if fmt.Sprint(got) != fmt.Sprint(st.want) {
			t.Fatalf("%s: emitted %v, want %v", st.name, got, st.want)
		}
		if d := num(summary(t, ev, "siem")["duplicates"]); d < st.dups {
			t.Fatalf("%s: %d duplicates dropped, want at least %d", st.name, d, st.dups)
		}
		if st.name == "late click indexed, inside the overlap" {
			m := byType(ev, proofpointtap.MessageDelivered)
			if len(m) != 1 || !strings.Contains(fmt.Sprint(m[0]["threatsInfoMap"]), "malware") {
				t.Fatalf("the re-classified message did not come through: %v", m)
			}
		}
	}
}

func TestBudgetStopsRunAndNextRunContinues(t *testing.T) {
	b := newBench(t, fakeapi.Options{Seed: 5, SIEM: 150, PerHour: 10, SIEMBudget: 10},
		"TAP_SIEM_DAILY_BUDGET", "10", "TAP_BUDGET_MARGIN_PERCENT", "0", "TAP_LOOKBACK_HOURS", "17")
	ev1 := b.run("--source", "siem")
	s := summary(t, ev1, "siem")
	if got := len(b.api.Intervals()); got != 10 {
		t.Fatalf("run 1 made %d requests, want the 10 of the budget", got)
	}
	if msg, _ := s["message"].(string); !strings.Contains(msg, "exhausted until") {
		t.Fatalf("summary message %q does not say the budget is exhausted", msg)
	}
	if s["stopped_by"] != "caught_up" || s["status"] != "ok" {
		t.Fatalf("summary %v", s)
	}
	n1 := len(wodletest.Records(ev1))
	if n1 == 0 || n1 >= 150 {
		t.Fatalf("run 1 emitted %d records, want part of the 150", n1)
	}
	// An hour later the budget is still spent: no request at all.
	ev2 := b.at(t0.Add(time.Hour)).run("--source", "siem")
	if len(b.api.Intervals()) != 10 || len(wodletest.Records(ev2)) != 0 {
		t.Fatalf("run 2 sent %d requests in total and emitted %d records, want none", len(b.api.Intervals()), len(wodletest.Records(ev2)))
	}
	// A day later the budget is free again; the walk continues where it
	// stopped and, 10 slices at a time, delivers the rest exactly once.
	seen := map[any]int{}
	for _, r := range append(wodletest.Records(ev1), wodletest.Records(ev2)...) {
		seen[r["id"]]++
	}
	for day := 1; day <= 3; day++ {
		ev := b.at(t0.Add(time.Duration(day)*24*time.Hour+time.Minute)).run("--source", "siem")
		for _, r := range wodletest.Records(ev) {
			seen[r["id"]]++
		}
	}
	if len(seen) != 150 {
		t.Fatalf("%d distinct records after the budget freed up, want 150", len(seen))
	}
	for id, n := range seen {
		if n > 1 {
			t.Fatalf("record %v emitted %d times", id, n)
		}
	}
	if r := b.api.Rejected(); r != 0 {
		t.Fatalf("the fake answered %d requests with 429: the wodle went over the budget", r)
	}
}

// TestRetriesCountAgainstTheBudget: TAP counts every attempt, so retried
// 500s spend the budget as the module's httpx stats count them.
func TestRetriesCountAgainstTheBudget(t *testing.T) {
	b := newBench(t, fakeapi.Options{Seed: 5, SIEM: 150, PerHour: 10, SIEMBudget: 10},
		"TAP_SIEM_DAILY_BUDGET", "10", "TAP_BUDGET_MARGIN_PERCENT", "0", "TAP_LOOKBACK_HOURS", "17")
	faults := wodletest.NewFaultInjector(b.api)
	srv := httptest.NewServer(faults)
	t.Cleanup(srv.Close)
	b.env = b.env.With("TAP_BASE_URL", srv.URL)
	for range 3 {
		faults.Push(wodletest.Fault{Path: "/v2/siem/all", Status: http.StatusInternalServerError, Body: "busy"})
	}
	s := summary(t, b.run("--source", "siem"), "siem")
	if got := len(b.api.Intervals()); got != 7 {
		t.Fatalf("the fake served %d SIEM requests, want 7: 10 of budget less the 3 retried 500s", got)
	}
	if msg, _ := s["message"].(string); !strings.Contains(msg, "10 of 10 requests used") {
		t.Fatalf("summary message %q does not count the retries", msg)
	}
}

func TestTooFarInThePast(t *testing.T) {
	cases := []struct {
		name     string
		skew     time.Duration // the fake's clock ahead of the wodle's
		requests int
		errors   int
	}{
		{"small skew: clamped once, then collected", 8 * time.Minute, 2 + 167, 0},
		{"large skew: one clamp, then an error, no loop", 2 * time.Hour, 2, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := newBench(t, fakeapi.Options{Seed: 6}, "TAP_LOOKBACK_HOURS", "168")
			b.server.Set(t0.Add(tc.skew))
			ev := b.run("--source", "siem")
			if got := len(b.api.Intervals()) + 0; tc.errors == 0 && got > tc.requests {
				t.Fatalf("%d successful requests, want at most %d", got, tc.requests)
			}
			errs := wodletest.Errors(ev)
			if len(errs) != tc.errors {
				t.Fatalf("errors %v, want %d", errs, tc.errors)
			}
			s := summary(t, ev, "siem")
			if tc.errors == 1 {
				if num(s["requests"]) != tc.requests || !strings.Contains(fmt.Sprint(errs[0]["error_message"]), "too far into the past") {
					t.Fatalf("summary %v error %v: want exactly %d requests and TAP's text", s, errs[0], tc.requests)
				}
				return
			}
			if msg, _ := s["message"].(string); !strings.Contains(msg, "TAP refused") || !strings.Contains(msg, "start clamped") {
				t.Fatalf("summary message %q does not report the clamps", msg)
			}
			if s["stopped_by"] != "caught_up" {
				t.Fatalf("summary %v", s)
			}
		})
	}
}

func TestMixedCasingPassesThroughUntouched(t *testing.T) {
	b := newBench(t, fakeapi.Options{Seed: 7})
	at := t0.Add(-30 * time.Minute)
	th := []fakeapi.Threat{{ID: strings.Repeat("c", 64), Classification: "malware", Status: "active", Time: at}}
	recs := map[string][]byte{
		"messagesDelivered": fakeapi.Message("messagesDelivered", "d-1", "caseguid000000000000000000001", "ceo@example.com", "s", th, at, 1),
		"messagesBlocked":   fakeapi.Message("messagesBlocked", "b-1", "caseguid000000000000000000002", "ceo@example.com", "s", th, at, 2),
		"clicksBlocked":     fakeapi.Click("c-1", "caseguid000000000000000000003", "ceo@example.com", "phish", at, at, 3),
	}
	for arr, raw := range recs {
		b.api.Add(arr, raw, at, at)
	}
	b.run("--source", "siem")
	out := string(b.lastLines)
	for arr, raw := range recs {
		// The record's bytes, then only the event_type the runtime adds.
		prefix := string(raw[:len(raw)-1]) + `,"event_type":"`
		if !strings.Contains(out, prefix) {
			t.Errorf("%s record not passed through byte for byte", arr)
		}
	}
	for _, want := range []string{`"threatId":`, `"campaignId":`, `"completelyRewritten":"true"`, `"threatID":`, `"campaignID":`, `"completelyRewritten":true`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lost %s", want)
		}
	}
}

func TestPeopleReportPeriodFloatsAndDedup(t *testing.T) {
	b := newBench(t, fakeapi.Options{Seed: 8, People: 23}, "TAP_PAGE_SIZE", "10")
	ev := b.run("--source", "people")
	users := byType(ev, proofpointtap.VAPUser)
	if len(users) != 23 || num(summary(t, ev, "people")["pages"]) != 3 {
		t.Fatalf("%d users in %v pages, want 23 in 3", len(users), summary(t, ev, "people")["pages"])
	}
	if !bytes.Contains(b.lastLines, []byte(`"averageAttackIndex":`)) || !bytes.Contains(b.lastLines, []byte(`.25,"vapAttackIndexThreshold":960.5,"window":30,"id":"vap:`)) {
		t.Fatalf("report values not copied as written: %.400s", b.lastLines)
	}
	// Within the period: no request.
	ev = b.at(t0.Add(6*time.Hour)).run("--source", "people")
	if n := len(wodletest.Records(ev)); n != 0 || num(summary(t, ev, "people")["requests"]) != 0 {
		t.Fatalf("within the period: %d records, %v requests", n, summary(t, ev, "people")["requests"])
	}
	if msg := fmt.Sprint(summary(t, ev, "people")["message"]); !strings.Contains(msg, "next due after") || !strings.Contains(msg, "People budget: 3 of 50") {
		t.Fatalf("summary message %q", msg)
	}
	// A day later TAP has a new report interval: every user again.
	ev = b.at(t0.Add(25*time.Hour)).run("--source", "people")
	if n := len(byType(ev, proofpointtap.VAPUser)); n != 23 {
		t.Fatalf("new report: %d users, want 23", n)
	}
	// The same report read again (period 0) is all duplicates.
	ev = b.at(t0.Add(26*time.Hour)).run("--source", "people", "TAP_PEOPLE_PERIOD", "0s")
	if n, d := len(wodletest.Records(ev)), num(summary(t, ev, "people")["duplicates"]); n != 0 || d != 23 {
		t.Fatalf("same report again: %d records, %d duplicates; want 0 and 23", n, d)
	}
}

func TestLookbackBeyondSevenDaysIsClamped(t *testing.T) {
	b := newBench(t, fakeapi.Options{Seed: 9}, "TAP_LOOKBACK_HOURS", "400")
	ev := b.run("--source", "siem")
	if errs := wodletest.Errors(ev); len(errs) != 0 {
		t.Fatalf("errors %v", errs)
	}
	msg := fmt.Sprint(summary(t, ev, "siem")["message"])
	if !strings.Contains(msg, "start clamped from the lookback") || !strings.Contains(msg, "7 days") {
		t.Fatalf("summary message %q does not explain the clamp", msg)
	}
	first, _, err := fakeapi.ParseInterval(b.api.Intervals()[0])
	if err != nil || !first.Equal(t0.Add(-7*24*time.Hour+5*time.Minute)) {
		t.Fatalf("first slice starts %s (%v), want now-7d+5m", first, err)
	}
}

func TestSettingsValidation(t *testing.T) {
	cases := []struct {
		env  []string
		want string
	}{
		{[]string{"TAP_PEOPLE_WINDOW_DAYS", "7"}, "14, 30 or 90"},
		{[]string{"TAP_OVERLAP", "-1m"}, "TAP_OVERLAP"},
		{[]string{"TAP_SIEM_DAILY_BUDGET", "0"}, "TAP_SIEM_DAILY_BUDGET"},
		{[]string{"TAP_BUDGET_MARGIN_PERCENT", "95"}, "TAP_BUDGET_MARGIN_PERCENT"},
	}
	for _, tc := range cases {
		b := newBench(t, fakeapi.Options{})
		res := wodletest.RunAt(t, proofpointtap.New(), b.env.With(tc.env...), b.wodle.Now)
		if res.Code != runner.ExitUsage || !strings.Contains(string(res.Stdout), tc.want) {
			t.Errorf("%v: exit %d, output %q; want exit 2 naming %s", tc.env, res.Code, res.Stdout, tc.want)
		}
	}
}
