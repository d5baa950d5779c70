package googleworkspace_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wodlekit/wodlekit/runtime/wodletest"
	"github.com/wodlekit/wodlekit/vendors/google_workspace"
	"github.com/wodlekit/wodlekit/vendors/google_workspace/fakeapi"
)

// testbed is one fake behind a fault injector and the settings that point
// a run at it, sharing one state directory across runs; now moves only
// when a test moves it.
type testbed struct {
	api *fakeapi.API
	inj *wodletest.FaultInjector
	env wodletest.Env
	dir string
	now time.Time
}

func newTestbed(t *testing.T, o fakeapi.Options, extra ...string) *testbed {
	t.Helper()
	tb := &testbed{now: time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)}
	o.Seed, o.Now = 3, func() time.Time { return tb.now }
	if o.Start.IsZero() {
		o.Start, o.Span = tb.now.Add(-10*time.Hour), 8*time.Hour
	}
	tb.api = newAPI(o)
	tb.inj = wodletest.NewFaultInjector(tb.api)
	srv := httptest.NewServer(tb.inj)
	t.Cleanup(srv.Close)
	tb.dir = t.TempDir()
	tb.env = baseEnv(srv.URL, tb.dir).With("GWS_PAGE_SIZE", "10", "GWS_LOOKBACK_HOURS", "24",
		"GWS_REQUESTS_PER_MINUTE", "-1", "GWS_RETRY_BACKOFF", "1ms").With(extra...)
	return tb
}

func (tb *testbed) run(t *testing.T, args ...string) ([]map[string]any, wodletest.Result) {
	t.Helper()
	res := wodletest.RunAt(t, googleworkspace.New(), tb.env, func() time.Time { return tb.now }, args...)
	return wodletest.ParseLines(t, "google_workspace", res.Stdout), res
}

// check runs the check command; its output is lines for people.
func (tb *testbed) check(t *testing.T) wodletest.Result {
	t.Helper()
	return wodletest.RunAt(t, googleworkspace.New(), tb.env, func() time.Time { return tb.now }, "check")
}

// keys are the records' de-duplication keys.
func keys(t *testing.T, events []map[string]any) []string {
	t.Helper()
	var out []string
	for _, r := range wodletest.Records(events) {
		out = append(out, fmt.Sprint(wodletest.Field(r, "id.time"), "/", wodletest.Field(r, "id.uniqueQualifier"), "/", wodletest.Field(r, "id.applicationName")))
	}
	return out
}

func onceEach(t *testing.T, got []string, want int) {
	t.Helper()
	seen := map[string]int{}
	for _, k := range got {
		seen[k]++
		if seen[k] == 2 {
			t.Errorf("%s delivered twice", k)
		}
	}
	if len(seen) != want {
		t.Errorf("%d distinct activities, want %d", len(seen), want)
	}
}

// queries are the activities requests of one application, parsed.
func (tb *testbed) queries(app string) []url.Values {
	var out []url.Values
	for _, r := range tb.api.Requests() {
		if r.Path == fakeapi.PathPrefix+app {
			q, _ := url.ParseQuery(r.Query)
			out = append(out, q)
		}
	}
	return out
}

// Every page of a window repeats its bounds, and the window ends the
// application's lag before now: drive's default is longer than login's.
func TestWindowBoundsAndLag(t *testing.T) {
	tb := newTestbed(t, fakeapi.Options{Events: 25}, "GWS_SOURCES", "login,drive")
	ev, res := tb.run(t)
	if res.Code != 0 || len(wodletest.Errors(ev)) > 0 {
		t.Fatalf("exit %d, errors %v", res.Code, wodletest.Errors(ev))
	}
	for app, lag := range map[string]time.Duration{"login": 10 * time.Minute, "drive": 30 * time.Minute} {
		qs := tb.queries(app)
		if len(qs) < 3 {
			t.Fatalf("%s: %d requests, want a window of several pages", app, len(qs))
		}
		wantEnd := tb.now.Add(-lag).Format("2006-01-02T15:04:05.000Z")
		for i, q := range qs {
			if q.Get("startTime") != qs[0].Get("startTime") || q.Get("endTime") != wantEnd {
				t.Errorf("%s page %d: startTime %s endTime %s, want the window's bounds ending %s", app, i+1, q.Get("startTime"), q.Get("endTime"), wantEnd)
			}
			if (i == 0) != (q.Get("pageToken") == "") {
				t.Errorf("%s page %d: pageToken %q", app, i+1, q.Get("pageToken"))
			}
			if q.Get("maxResults") != "10" || q.Has("customerId") {
				t.Errorf("%s page %d: query %v", app, i+1, q)
			}
		}
	}
	onceEach(t, keys(t, ev), 50)
}

// A window stopped after its first page (Google serves it newest first)
// resumes from its page token, not from a new window: the older pages are
// read, new activities wait for the next window, and nothing is lost.
func TestInterruptedWindowResumesItsPageToken(t *testing.T) {
	tb := newTestbed(t, fakeapi.Options{Events: 35}, "GWS_SOURCES", "login", "GWS_LAG", "0s")
	a, _ := tb.run(t, "--source", "login")
	_ = a
	capped := tb.env
	tb.env = capped.With("GWS_STATE_DIR", t.TempDir(), "GWS_MAX_EVENTS_PER_RUN", "10")
	r1, _ := tb.run(t)
	if n := len(wodletest.Records(r1)); n != 10 {
		t.Fatalf("capped run delivered %d, want one page of 10", n)
	}
	w := cursorOf(t, tb.env["GWS_STATE_DIR"], "login").Window
	if w == nil || w.PageToken == "" || w.Low == nil {
		t.Fatalf("cursor after one page: %+v, want the window with its page token and low mark", w)
	}
	// New activities arrive, newer than the window.
	tb.now = tb.now.Add(time.Minute)
	tb.api.Append(4)
	tb.env = tb.env.With("GWS_MAX_EVENTS_PER_RUN", "0")
	r2, _ := tb.run(t)
	queries := tb.queries("login")
	if last := queries[len(queries)-1]; last.Get("endTime") != stamp(w.End) {
		t.Errorf("the resumed window ends %s, want the interrupted one's %s", last.Get("endTime"), stamp(w.End))
	}
	if n := len(wodletest.Records(r2)); n != 25 {
		t.Errorf("the resumed run delivered %d, want the window's other 25 only", n)
	}
	r3, _ := tb.run(t)
	if n := len(wodletest.Records(r3)); n != 4 {
		t.Errorf("the next window delivered %d, want the 4 new ones", n)
	}
	onceEach(t, append(append(keys(t, r1), keys(t, r2)...), keys(t, r3)...), 39)
}

// cursorOf reads one module's committed cursor from the state file.
func cursorOf(t *testing.T, dir, module string) googleworkspace.Cursor {
	t.Helper()
	var st struct {
		Modules map[string]struct {
			Cursor json.RawMessage `json:"cursor"`
		} `json:"modules"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "default.state.json"))
	if err != nil || json.Unmarshal(b, &st) != nil {
		t.Fatalf("state: %v %s", err, b)
	}
	c, err := googleworkspace.ParseCursor(st.Modules[module].Cursor)
	if err != nil {
		t.Fatalf("cursor of %s: %v", module, err)
	}
	return c
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// An activity Google makes available later than the lag, but within the
// overlap, is read by the next window; what the overlap reads again is
// not delivered twice.
func TestLateActivityWithinTheOverlap(t *testing.T) {
	tb := newTestbed(t, fakeapi.Options{Events: 12}, "GWS_SOURCES", "admin", "GWS_LAG", "5m", "GWS_OVERLAP", "15m")
	ev1, _ := tb.run(t)
	// Happened 8 minutes ago, before the last window's end (now - 5m),
	// but Google serves it only now.
	tb.api.AppendActivity("admin", tb.now.Add(-8*time.Minute), "USER_SETTINGS", "GRANT_ADMIN_PRIVILEGE")
	tb.now = tb.now.Add(5 * time.Minute)
	ev2, _ := tb.run(t)
	got := wodletest.Records(ev2)
	if len(got) != 1 || got[0]["event_type"] != "GRANT_ADMIN_PRIVILEGE" {
		t.Fatalf("second run delivered %v, want the late activity alone", keys(t, ev2))
	}
	if s := wodletest.Summaries(ev2)["admin"]; s["duplicates"] == nil || fmt.Sprint(s["duplicates"]) == "0" {
		// The overlap did read activities of the first window again.
		t.Logf("summary %v", s)
	}
	onceEach(t, append(keys(t, ev1), keys(t, ev2)...), 13)
}

// A saved page token Google no longer takes restarts the window at its
// oldest delivered activity: nothing skipped, the edge dropped as a
// duplicate.
func TestRefusedPageTokenRestartsFromLow(t *testing.T) {
	tb := newTestbed(t, fakeapi.Options{Events: 30}, "GWS_SOURCES", "token", "GWS_LAG", "0s", "GWS_MAX_EVENTS_PER_RUN", "10")
	r1, _ := tb.run(t)
	tb.inj.Push(wodletest.Fault{Path: fakeapi.PathPrefix + "token", Status: 400, Body: `{"error":{"code":400,"message":"Invalid value for: pageToken is not valid","errors":[{"reason":"invalid"}],"status":"INVALID_ARGUMENT"}}`})
	tb.env = tb.env.With("GWS_MAX_EVENTS_PER_RUN", "0")
	r2, res := tb.run(t)
	if res.Code != 0 || len(wodletest.Errors(r2)) > 0 {
		t.Fatalf("exit %d errors %v", res.Code, wodletest.Errors(r2))
	}
	if msg := fmt.Sprint(wodletest.Summaries(r2)["token"]["message"]); !strings.Contains(msg, "refused the saved page token") {
		t.Errorf("summary message %q does not say the window restarted", msg)
	}
	if d := fmt.Sprint(wodletest.Summaries(r2)["token"]["duplicates"]); d == "0" {
		t.Errorf("no duplicate dropped: the restart did not read the low edge again")
	}
	onceEach(t, append(keys(t, r1), keys(t, r2)...), 30)
}

// Google's known fault: an empty page that repeats the token it was sent.
// The window ends instead of looping; a token repeated with activities is
// refused.
func TestRepeatedPageToken(t *testing.T) {
	tb := newTestbed(t, fakeapi.Options{Events: 15}, "GWS_SOURCES", "saml", "GWS_LAG", "0s", "GWS_MAX_EVENTS_PER_RUN", "10")
	r1, _ := tb.run(t)
	st, _ := os.ReadFile(filepath.Join(tb.dir, "default.state.json"))
	var f struct {
		Modules map[string]struct {
			Cursor googleworkspace.Cursor `json:"cursor"`
		} `json:"modules"`
	}
	_ = json.Unmarshal(st, &f)
	tok := f.Modules["saml"].Cursor.Window.PageToken
	tb.inj.Push(wodletest.Fault{Path: fakeapi.PathPrefix + "saml", Status: 200, Body: `{"kind":"admin#reports#activities","nextPageToken":"` + tok + `"}`})
	r2, _ := tb.run(t)
	if len(wodletest.Errors(r2)) > 0 || !strings.Contains(fmt.Sprint(wodletest.Summaries(r2)["saml"]["message"]), "repeated the page token") {
		t.Fatalf("errors %v summary %v", wodletest.Errors(r2), wodletest.Summaries(r2)["saml"])
	}
	_ = r1
	tb2 := newTestbed(t, fakeapi.Options{Events: 15}, "GWS_SOURCES", "saml", "GWS_LAG", "0s", "GWS_MAX_EVENTS_PER_RUN", "10")
	tb2.run(t)
	st, _ = os.ReadFile(filepath.Join(tb2.dir, "default.state.json"))
	_ = json.Unmarshal(st, &f)
	tok = f.Modules["saml"].Cursor.Window.PageToken
	tb2.inj.Push(wodletest.Fault{Path: fakeapi.PathPrefix + "saml", Status: 200, Body: `{"kind":"admin#reports#activities","items":[{"id":{"time":"2026-03-02T11:00:00.000Z","uniqueQualifier":"1","applicationName":"saml"}}],"nextPageToken":"` + tok + `"}`})
	r3, _ := tb2.run(t)
	errs := wodletest.Errors(r3)
	if len(errs) != 1 || errs[0]["error_kind"] != "decode" || !strings.Contains(fmt.Sprint(errs[0]["error_message"]), "refusing to loop") {
		t.Fatalf("want one decode error refusing to loop, got %v", errs)
	}
}

// check tells apart the four ways a setup fails, each with its fix.
func TestCheckTellsSetupFailuresApart(t *testing.T) {
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		refuse string
		env    []string
		key    func(url string) string
		want   []string
	}{
		{"key not JSON", "", nil, func(string) string { return `{"type": "service_account",` }, []string{"GWS_SERVICE_ACCOUNT_KEY", "invalid JSON", "one line"}},
		{"key missing fields", "", nil, func(string) string { return `{"type":"service_account","client_email":"x@y"}` }, []string{"client_id is missing", "private_key is missing"}},
		{"key of another kind", "", nil, func(string) string { return `{"type":"authorized_user","client_id":"1"}` }, []string{`"authorized_user"`}},
		{"key with a foreign token_uri", "", nil, func(u string) string {
			return strings.Replace(string(testKey(u).JSON), u+"/token", "https://token.example.net/token", 1)
		}, []string{"token_uri host token.example.net"}},
		{"key Google does not know", "", nil, func(u string) string { return string(fakeapi.KeyFor(other, u).JSON) }, []string{"invalid_grant", "Invalid JWT Signature", "create a new JSON key"}},
		{"delegation not granted", fakeapi.RefuseDelegation, nil, nil, []string{"unauthorized_client", "domain-wide delegation is not granted", "100000000000000000042", googleworkspace.Scope}},
		{"admin unknown", fakeapi.RefuseUnknownAdmin, nil, nil, []string{"invalid_grant", "GWS_DELEGATED_ADMIN", "not a user"}},
		{"admin not an admin", fakeapi.RefuseNotAdmin, nil, nil, []string{"HTTP 403", "Not Authorized", "Reports privilege"}},
		{"API not enabled", fakeapi.RefuseAPIDisabled, nil, nil, []string{"HTTP 403", "Admin SDK API", "not enabled"}},
		{"delegated admin not set", "", []string{"GWS_DELEGATED_ADMIN", ""}, nil, []string{"GWS_DELEGATED_ADMIN is required"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tb := newTestbed(t, fakeapi.Options{Events: 1, Refuse: tc.refuse}, tc.env...)
			if tc.key != nil {
				tb.env = tb.env.With("GWS_SERVICE_ACCOUNT_KEY", tc.key(tb.env["GWS_BASE_URL"]))
			}
			res := tb.check(t)
			out := string(res.Stdout) + string(res.Stderr)
			if res.Code == 0 {
				t.Fatalf("check passed: %s", out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("check output does not say %q:\n%s", w, out)
				}
			}
			if strings.Contains(out, "PRIVATE KEY") || strings.Contains(out, testAccessToken) {
				t.Errorf("check output shows the key or the token:\n%s", out)
			}
		})
	}
	tb := newTestbed(t, fakeapi.Options{Events: 1})
	res := tb.check(t)
	if res.Code != 0 || !strings.Contains(string(res.Stdout)+string(res.Stderr), "token granted for "+testAdmin) {
		t.Fatalf("a good setup: exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
	if n := tb.api.TokenRequests(); n != 1 {
		t.Errorf("%d token requests for seven modules, want one shared token", n)
	}
}

// A refusal during a run is one auth error event per module, the cursor
// kept; the token is asked once and reused by every module.
func TestRefusalsDuringARun(t *testing.T) {
	tb := newTestbed(t, fakeapi.Options{Events: 5, Refuse: fakeapi.RefuseAPIDisabled}, "GWS_SOURCES", "login,admin")
	ev, res := tb.run(t)
	errs := wodletest.Errors(ev)
	if res.Code != 0 || len(errs) != 2 {
		t.Fatalf("exit %d, errors %v", res.Code, errs)
	}
	for _, e := range errs {
		if e["error_kind"] != "auth" || fmt.Sprint(e["http_status"]) != "403" || !strings.Contains(fmt.Sprint(e["error_message"]), "Admin SDK API is not enabled") {
			t.Errorf("error event %v", e)
		}
	}
	tb = newTestbed(t, fakeapi.Options{Events: 5, Refuse: fakeapi.RefuseDelegation}, "GWS_SOURCES", "login")
	ev, _ = tb.run(t)
	errs = wodletest.Errors(ev)
	if len(errs) != 1 || errs[0]["error_kind"] != "auth" || !strings.Contains(fmt.Sprint(errs[0]["error_message"]), "unauthorized_client") {
		t.Fatalf("errors %v", errs)
	}
}

// Neither the private key, nor the access token, nor the assertion shows
// in stdout, logs or state, at the most verbose level.
func TestNoKeyOrTokenAnywhere(t *testing.T) {
	tb := newTestbed(t, fakeapi.Options{Events: 5}, "GWS_DEBUG", "3")
	_, res := tb.run(t)
	logs, _ := os.ReadFile(filepath.Join(tb.dir, "log"))
	st, _ := os.ReadFile(filepath.Join(tb.dir, "default.state.json"))
	if len(logs) == 0 {
		t.Fatal("no log at debug 3: the test would prove nothing")
	}
	der := testKey("").JSON
	var k struct {
		PrivateKey string `json:"private_key"`
	}
	_ = json.Unmarshal(der, &k)
	body := strings.Split(k.PrivateKey, "\n")[5] // a line of the key's base64
	for name, b := range map[string][]byte{"stdout": res.Stdout, "stderr": res.Stderr, "log": logs, "state": st} {
		for what, s := range map[string]string{"private key": body, "access token": testAccessToken, "assertion": "eyJhbGciOiJSUzI1NiIs"} {
			if strings.Contains(string(b), s) {
				t.Errorf("%s shows the %s", name, what)
			}
		}
	}
}

// GWS_LAG takes a duration for every application and app=duration pairs.
func TestParseLags(t *testing.T) {
	got, err := googleworkspace.ParseLags(" 15m, drive=1h ")
	if err != nil || got["*"] != 15*time.Minute || got["drive"] != time.Hour {
		t.Fatalf("%v %v", got, err)
	}
	for _, bad := range []string{"calendar=1h", "login=soon", "-1m", "login=1m,login=2m", "72h"} {
		if _, err := googleworkspace.ParseLags(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// The key file as Google issues it (indented, several lines) is read from
// the credentials directory, and on one line from the secrets file.
func TestKeyFromCredentialsDirectoryAndSecretsFile(t *testing.T) {
	tb := newTestbed(t, fakeapi.Options{Events: 3}, "GWS_SOURCES", "login")
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, []byte(tb.env["GWS_SERVICE_ACCOUNT_KEY"]), "", "  "); err != nil {
		t.Fatal(err)
	}
	creds := t.TempDir()
	if err := os.WriteFile(filepath.Join(creds, "GWS_SERVICE_ACCOUNT_KEY"), append(pretty.Bytes(), '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	secrets := filepath.Join(t.TempDir(), "secrets.env")
	if err := os.WriteFile(secrets, []byte("# the key, compacted\nGWS_SERVICE_ACCOUNT_KEY="+tb.env["GWS_SERVICE_ACCOUNT_KEY"]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, env := range map[string]wodletest.Env{
		"credentials directory": tb.env.With("GWS_SERVICE_ACCOUNT_KEY", "", "GWS_CREDENTIALS_DIR", creds),
		"secrets file":          tb.env.With("GWS_SERVICE_ACCOUNT_KEY", "", "GWS_SECRETS_FILE", secrets),
	} {
		res := wodletest.RunAt(t, googleworkspace.New(), env.With("GWS_STATE_DIR", t.TempDir()), func() time.Time { return tb.now })
		ev := wodletest.ParseLines(t, "google_workspace", res.Stdout)
		if res.Code != 0 || len(wodletest.Errors(ev)) > 0 || len(wodletest.Records(ev)) != 3 {
			t.Errorf("%s: exit %d, errors %v, %d records", name, res.Code, wodletest.Errors(ev), len(wodletest.Records(ev)))
		}
	}
}
