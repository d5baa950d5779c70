package slack_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wodlekit/wodlekit/runtime/wodletest"
	"github.com/wodlekit/wodlekit/vendors/slack"
	"github.com/wodlekit/wodlekit/vendors/slack/fakeapi"
)

// testbed is one fake behind a fault injector and the settings that point
// a run at it, sharing one state directory across runs.
type testbed struct {
	api *fakeapi.API
	inj *wodletest.FaultInjector
	env wodletest.Env
	now time.Time
}

func newTestbed(t *testing.T, o fakeapi.Options, extra ...string) *testbed {
	t.Helper()
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	if o.Token == "" {
		o.Token = testToken
	}
	o.Seed, o.Now = 3, func() time.Time { return now }
	if o.Start.IsZero() {
		o.Start, o.Span = now.Add(-10*time.Hour), 8*time.Hour
	}
	tb := &testbed{api: fakeapi.New(o), now: now}
	tb.inj = wodletest.NewFaultInjector(tb.api)
	srv := httptest.NewServer(tb.inj)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	tb.env = wodletest.Env{
		"SLACK_BASE_URL": srv.URL, "SLACK_STATE_DIR": dir, "SLACK_LOG_FILE": filepath.Join(dir, "log"),
		"SLACK_TOKEN": testToken, "SLACK_PAGE_SIZE": "10", "SLACK_LOOKBACK_HOURS": "24",
		"SLACK_REQUESTS_PER_MINUTE": "-1", "SLACK_RETRY_BACKOFF": "1ms",
	}.With(extra...)
	return tb
}

func (tb *testbed) run(t *testing.T, args ...string) ([]map[string]any, wodletest.Result) {
	t.Helper()
	res := wodletest.RunAt(t, slack.New(), tb.env, func() time.Time { return tb.now }, args...)
	return wodletest.ParseLines(t, "slack", res.Stdout), res
}

func ids(t *testing.T, events []map[string]any) []string {
	t.Helper()
	var out []string
	for _, r := range wodletest.Records(events) {
		id, _ := r["id"].(string)
		if id == "" {
			t.Fatalf("record without id: %v", r)
		}
		out = append(out, id)
	}
	return out
}

// exactlyOnce fails unless got holds want IDs, each once.
func exactlyOnce(t *testing.T, got []string, want int) {
	t.Helper()
	seen := map[string]int{}
	for _, id := range got {
		seen[id]++
		if seen[id] == 2 {
			t.Errorf("entry %s delivered twice", id)
		}
	}
	if len(seen) != want {
		t.Fatalf("%d distinct entries delivered, want %d", len(seen), want)
	}
}

// Slack's cursor does not carry the time range: every page of a sweep must
// repeat oldest and latest, or Slack pages back to 2018.
func TestSweepSendsItsBoundsOnEveryPage(t *testing.T) {
	tb := newTestbed(t, fakeapi.Options{Events: 35})
	events, res := tb.run(t)
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	exactlyOnce(t, ids(t, events), 35)
	reqs := tb.api.Requests()
	if len(reqs) != 4 {
		t.Fatalf("%d requests, want 4 pages of 10", len(reqs))
	}
	first, _ := url.ParseQuery(reqs[0].Query)
	for i, r := range reqs {
		q, _ := url.ParseQuery(r.Query)
		if q.Get("oldest") == "" || q.Get("oldest") != first.Get("oldest") || q.Get("latest") != first.Get("latest") {
			t.Errorf("request %d: oldest=%q latest=%q, want the sweep's %q and %q", i+1, q.Get("oldest"), q.Get("latest"), first.Get("oldest"), first.Get("latest"))
		}
		if (q.Get("cursor") != "") != (i > 0) {
			t.Errorf("request %d: cursor %q", i+1, q.Get("cursor"))
		}
	}
	if got, want := first.Get("latest"), "1772452800"; got != want {
		t.Errorf("latest %s, want the run's start %s", got, want)
	}
}

// A run stopped after the first page has the newest entries but not the
// older ones: the next run must finish that sweep, not start from the
// newest entry seen; entries that arrive meanwhile come with the next sweep.
func TestStoppedSweepResumes(t *testing.T) {
	tb := newTestbed(t, fakeapi.Options{Events: 45, SameSecond: 3}, "SLACK_MAX_EVENTS_PER_RUN", "10")
	var all []string
	for run := 1; run <= 8; run++ {
		events, res := tb.run(t)
		if res.Code != 0 {
			t.Fatalf("run %d: exit %d: %s", run, res.Code, res.Stderr)
		}
		got := ids(t, events)
		all = append(all, got...)
		msg, _ := wodletest.Summaries(events)["logs"]["message"].(string)
		switch {
		case run == 1 && (len(got) != 10 || !strings.Contains(msg, "more pages follow")):
			t.Fatalf("run 1: %d entries, message %q; want one page of a sweep in progress", len(got), msg)
		case run == 2:
			// Five entries arrive while the first sweep is still going.
			tb.now = tb.now.Add(time.Minute)
			tb.api.Append(5)
		}
	}
	exactlyOnce(t, all, 50)
}

// The next sweep reads the high-water second again. The entries of that
// second were delivered first in the last sweep, so by its end the runner's
// recent-ID set (2,000) has evicted them: only the IDs the cursor keeps for
// that second stop them coming back.
func TestOverlapSecondIsNotReplayed(t *testing.T) {
	tb := newTestbed(t, fakeapi.Options{Events: 2400, SameSecond: 4}, "SLACK_PAGE_SIZE", "1000")
	events, res := tb.run(t)
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	exactlyOnce(t, ids(t, events), 2400)
	tb.now = tb.now.Add(time.Minute)
	events, _ = tb.run(t)
	if got := ids(t, events); len(got) != 0 {
		t.Fatalf("second run delivered %d entries again: %v", len(got), got)
	}
	msg, _ := wodletest.Summaries(events)["logs"]["message"].(string)
	if !strings.Contains(msg, "4 entr(ies) of the high-water second already delivered") {
		t.Fatalf("summary message %q does not report the overlap", msg)
	}
}

// Slack may stop accepting a saved page cursor; the sweep then goes on
// without it from the oldest second delivered, losing nothing.
func TestRefusedCursorRestartsFromOldestDelivered(t *testing.T) {
	tb := newTestbed(t, fakeapi.Options{Events: 40, SameSecond: 4}, "SLACK_MAX_EVENTS_PER_RUN", "10")
	first, _ := tb.run(t)
	all := ids(t, first)
	tb.inj.Push(wodletest.Fault{Path: fakeapi.Path, Status: http.StatusOK, Body: `{"ok":false,"error":"invalid_cursor"}`})
	tb.env = tb.env.With("SLACK_MAX_EVENTS_PER_RUN", "0")
	events, res := tb.run(t)
	if res.Code != 0 || len(wodletest.Errors(events)) != 0 {
		t.Fatalf("exit %d, errors %v: %s", res.Code, wodletest.Errors(events), res.Stderr)
	}
	msg, _ := wodletest.Summaries(events)["logs"]["message"].(string)
	if !strings.Contains(msg, "Slack refused the saved page cursor") {
		t.Fatalf("summary message %q does not report the restart", msg)
	}
	exactlyOnce(t, append(all, ids(t, events)...), 40)
}

// Slack's {"ok":false} answers, with HTTP 200 or an error status, become
// one error event naming the code and the fix; the cursor stays.
func TestSlackRefusals(t *testing.T) {
	tests := []struct {
		code, status, kind, fix string
	}{
		{"missing_scope", "200", "auth", "User Token Scopes"},
		{"feature_not_enabled", "200", "auth", "Enterprise plan"},
		{"not_allowed_token_type", "200", "auth", "not a bot or admin token"},
		{"team_not_authorized", "200", "auth", "organization level"},
		{"token_revoked", "200", "auth", "reinstall the app"},
		{"invalid_auth", "401", "auth", "copy the User OAuth Token"},
		{"no_permission", "403", "auth", "owner of the Enterprise organization"},
		{"invalid_arguments", "200", "module", "SLACK_PAGE_SIZE"},
		{"something_new", "200", "module", "does not know"},
		{"", "200", "module", "unknown_error"},
	}
	for _, tt := range tests {
		t.Run(tt.code+"_"+tt.status, func(t *testing.T) {
			tb := newTestbed(t, fakeapi.Options{Events: 5})
			body := `{"ok":false,"error":"` + tt.code + `"}`
			if tt.code == "" {
				body = `{"ok":false}`
			}
			status := http.StatusOK
			if tt.status != "200" {
				status = map[string]int{"401": 401, "403": 403}[tt.status]
			}
			tb.inj.Push(wodletest.Fault{Path: fakeapi.Path, Status: status, Body: body})
			events, res := tb.run(t)
			if res.Code != 0 {
				t.Fatalf("exit %d: %s", res.Code, res.Stderr)
			}
			errs := wodletest.Errors(events)
			if len(errs) != 1 {
				t.Fatalf("want one error event, got %v", errs)
			}
			msg, _ := errs[0]["error_message"].(string)
			if errs[0]["error_kind"] != tt.kind || !strings.Contains(msg, tt.fix) || (tt.code != "" && !strings.Contains(msg, tt.code)) {
				t.Fatalf("error %v: want kind %s and a message naming %q and %q", errs[0], tt.kind, tt.code, tt.fix)
			}
			if n := len(wodletest.Records(events)); n != 0 {
				t.Fatalf("%d entries emitted with the refusal", n)
			}
			// The next run recovers from the unchanged cursor.
			events, _ = tb.run(t)
			exactlyOnce(t, ids(t, events), 5)
		})
	}
}

// A page that is not one must not read as an empty page: an empty last
// page ends the sweep and moves the high-water mark past older pages.
func TestBrokenPagesKeepTheCursor(t *testing.T) {
	for _, body := range []string{`{}`, `{"ok":true}`, `{"entries":null,"response_metadata":{"next_cursor":""}}`, `{"entries":{},"response_metadata":{}}`, `{"entries":[],"response_metadata":{"next_cursor":7}}`} {
		t.Run(body, func(t *testing.T) {
			tb := newTestbed(t, fakeapi.Options{Events: 25}, "SLACK_MAX_EVENTS_PER_RUN", "10")
			first, _ := tb.run(t)
			all := ids(t, first)
			tb.inj.Push(wodletest.Fault{Path: fakeapi.Path, Status: http.StatusOK, Body: body})
			tb.env = tb.env.With("SLACK_MAX_EVENTS_PER_RUN", "0")
			events, _ := tb.run(t)
			if errs := wodletest.Errors(events); len(errs) != 1 || errs[0]["error_kind"] != "decode" {
				t.Fatalf("want one decode error, got %v", errs)
			}
			events, _ = tb.run(t)
			exactlyOnce(t, append(all, ids(t, events)...), 25)
		})
	}
}

func TestBotTokenRefusedAtStart(t *testing.T) {
	tb := newTestbed(t, fakeapi.Options{Events: 1}, "SLACK_TOKEN", "xoxb-1111-2222-abcdefabcdef")
	_, res := tb.run(t)
	if res.Code == 0 || !strings.Contains(string(res.Stdout)+string(res.Stderr), "bot token") {
		t.Fatalf("exit %d, stdout %s stderr %s: want a refusal naming the bot token", res.Code, res.Stdout, res.Stderr)
	}
	if strings.Contains(string(res.Stdout)+string(res.Stderr), "abcdefabcdef") {
		t.Fatal("the token leaked into the output")
	}
	if n := len(tb.api.Requests()); n != 0 {
		t.Fatalf("%d requests sent with a bot token", n)
	}
}

func TestCheck(t *testing.T) {
	tb := newTestbed(t, fakeapi.Options{Events: 3})
	res := wodletest.RunAt(t, slack.New(), tb.env, func() time.Time { return tb.now }, "check")
	if res.Code != 0 || !strings.Contains(string(res.Stdout)+string(res.Stderr), "token accepted, audit logs readable (newest entry") {
		t.Fatalf("exit %d: %s%s", res.Code, res.Stdout, res.Stderr)
	}
	tb = newTestbed(t, fakeapi.Options{Events: 3, Refuse: "missing_scope"})
	res = wodletest.RunAt(t, slack.New(), tb.env, func() time.Time { return tb.now }, "check")
	if out := string(res.Stdout) + string(res.Stderr); res.Code == 0 || !strings.Contains(out, "missing_scope") || !strings.Contains(out, "auditlogs:read") {
		t.Fatalf("exit %d: %s: want a failed check naming missing_scope and the scope", res.Code, out)
	}
}

// The Tier 3 budget: a 429 with Retry-After is waited out and retried.
func TestRateLimitedIsRetried(t *testing.T) {
	tb := newTestbed(t, fakeapi.Options{Events: 15})
	tb.inj.Push(wodletest.Fault{Path: fakeapi.Path, Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"1"}}, Body: `{"ok":false,"error":"ratelimited"}`})
	events, _ := tb.run(t)
	exactlyOnce(t, ids(t, events), 15)
	if s := wodletest.Summaries(events)["logs"]; fmt.Sprint(s["rate_limited"]) != "1" {
		t.Fatalf("summary %v: want rate_limited 1", s)
	}
}
