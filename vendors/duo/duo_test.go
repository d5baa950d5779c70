package duo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wodlekit/wodlekit/runtime/httpx"
	"github.com/wodlekit/wodlekit/runtime/runner"
	"github.com/wodlekit/wodlekit/runtime/state"
	"github.com/wodlekit/wodlekit/runtime/wodletest"
	"github.com/wodlekit/wodlekit/runtime/wodletest/fakekit"
	"github.com/wodlekit/wodlekit/vendors/duo"
	"github.com/wodlekit/wodlekit/vendors/duo/fakeapi"
)

// setup is one Duo wodle against one fake on loopback.
type setup struct {
	t    *testing.T
	api  *fakeapi.API
	srv  *httptest.Server
	dir  string
	env  wodletest.Env
	v    runner.Vendor
	wrap func(http.Handler) http.Handler
}

func newSetup(t *testing.T, o fakeapi.Options, extra ...string) *setup {
	t.Helper()
	s := &setup{t: t, api: fakeapi.New(o), dir: t.TempDir(), v: duo.New()}
	// Tests prove the 42901 policy is applied, not its one-minute size.
	s.v.RateLimit = duo.RateLimit{Min: 30 * time.Millisecond}
	s.v.RetryFloor = 10 * time.Second
	var h http.Handler = s.api
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.wrap != nil {
			s.wrap(h).ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(s.srv.Close)
	s.env = wodletest.Env{
		"DUO_BASE_URL": s.srv.URL, "DUO_STATE_DIR": s.dir, "DUO_LOG_FILE": filepath.Join(s.dir, "wodle.log"),
		"DUO_IKEY": testIKey, "DUO_SKEY": testSKey, "DUO_PAGE_SIZE": "10", "DUO_LOOKBACK_HOURS": "72",
		"DUO_RETRY_BACKOFF": "10ms", "DUO_REQUEST_TIMEOUT": "2s", "DUO_MAX_RUNTIME": "20s",
		"DUO_REQUESTS_PER_MINUTE_PER_ENDPOINT": "0",
	}.With(extra...)
	return s
}

func (s *setup) run(args ...string) ([]map[string]any, wodletest.Result) {
	s.t.Helper()
	res := wodletest.Run(s.t, s.v, s.env, args...)
	if res.Code != 0 {
		s.t.Fatalf("exit %d: %s", res.Code, res.Stdout)
	}
	return wodletest.ParseLines(s.t, "duo", res.Stdout), res
}

func (s *setup) cursor(module string) map[string]any {
	s.t.Helper()
	var f state.File
	b := readFile(s.t, filepath.Join(s.dir, "default.state.json"))
	if err := json.Unmarshal(b, &f); err != nil {
		s.t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(f.Modules[module].Cursor, &c); err != nil {
		s.t.Fatalf("cursor of %s: %v", module, err)
	}
	return c
}

func (s *setup) requests(log string) []fakekit.Request {
	var out []fakekit.Request
	for _, r := range s.api.Requests() {
		if r.Path == fakeapi.Path(log) {
			out = append(out, r)
		}
	}
	return out
}

func only(log string, n int) fakeapi.Options {
	o := fakeOptions(0)
	o.Events = map[string]int{log: n}
	return o
}

func ids(t *testing.T, events []map[string]any) []string {
	var out []string
	for _, e := range wodletest.Records(events) {
		id := recordID(e)
		if id == "" {
			t.Fatalf("record without an ID: %v", e)
		}
		out = append(out, id)
	}
	return out
}

func query(t *testing.T, raw string) url.Values {
	q, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// TestBacklogPagesWithWindowHeld: a multi-page authentication backlog is
// read with next_offset while mintime/maxtime stay the same, also across a
// run that stopped mid-window.
func TestBacklogPagesWithWindowHeld(t *testing.T) {
	s := newSetup(t, only(fakeapi.Authentication, 35))
	ev1, _ := s.run("--source", "authentication")
	reqs := s.requests(fakeapi.Authentication)
	if len(reqs) != 4 {
		t.Fatalf("%d requests for 35 events in pages of 10, want 4", len(reqs))
	}
	first := query(t, reqs[0].Query)
	for i, r := range reqs {
		q := query(t, r.Query)
		if q.Get("mintime") != first.Get("mintime") || q.Get("maxtime") != first.Get("maxtime") {
			t.Errorf("request %d moved the window: %v vs %v", i+1, q, first)
		}
		if (i == 0) != (q.Get("next_offset") == "") {
			t.Errorf("request %d next_offset %q", i+1, q.Get("next_offset"))
		}
		if i > 0 && !strings.Contains(q.Get("next_offset"), ",") {
			t.Errorf("authentication next_offset not sent comma-joined: %q", q.Get("next_offset"))
		}
	}
	if n := len(wodletest.Records(ev1)); n != 35 {
		t.Fatalf("%d records, want 35", n)
	}
	if c := s.cursor("authentication"); c["next_offset"] != nil {
		t.Errorf("completed window keeps an offset: %v", c)
	}
}

func TestWindowHeldAcrossRuns(t *testing.T) {
	s := newSetup(t, only(fakeapi.Authentication, 25), "DUO_MAX_EVENTS_PER_RUN", "10")
	ev1, _ := s.run("--source", "authentication")
	c := s.cursor("authentication")
	off, ok := c["next_offset"].([]any)
	if !ok || len(off) != 2 {
		t.Fatalf("cursor after a capped run holds no array next_offset: %v", c)
	}
	s.env = s.env.With("DUO_MAX_EVENTS_PER_RUN", "0")
	ev2, _ := s.run("--source", "authentication")
	reqs := s.requests(fakeapi.Authentication)
	q := query(t, reqs[1].Query)
	if q.Get("next_offset") != fmt.Sprintf("%v,%v", off[0], off[1]) {
		t.Errorf("second run sent next_offset %q, saved %v", q.Get("next_offset"), off)
	}
	if fmt.Sprintf("%.0f", c["mintime"]) != q.Get("mintime") || fmt.Sprintf("%.0f", c["maxtime"]) != q.Get("maxtime") {
		t.Errorf("second run changed the window: saved %v, sent %v", c, q)
	}
	exactlyOnce(t, append(ids(t, ev1), ids(t, ev2)...), 25)
}

func exactlyOnce(t *testing.T, got []string, want int) {
	t.Helper()
	seen := map[string]int{}
	for _, id := range got {
		seen[id]++
		if seen[id] == 2 {
			t.Errorf("%s delivered twice", id)
		}
	}
	if len(seen) != want {
		t.Errorf("%d distinct records, want %d", len(seen), want)
	}
}

// TestNextOffsetShapes: authentication sends an array, telephony and
// activity a string; each is sent back in the form Duo documents.
func TestNextOffsetShapes(t *testing.T) {
	for _, log := range []string{fakeapi.Authentication, fakeapi.Telephony, fakeapi.Activity} {
		t.Run(log, func(t *testing.T) {
			s := newSetup(t, only(log, 15), "DUO_MAX_EVENTS_PER_RUN", "10")
			s.run("--source", log)
			c := s.cursor(log)
			switch c["next_offset"].(type) {
			case []any:
				if log != fakeapi.Authentication {
					t.Errorf("%s saved an array offset", log)
				}
			case string:
				if log == fakeapi.Authentication {
					t.Errorf("authentication saved a string offset")
				}
			default:
				t.Fatalf("no offset saved: %v", c)
			}
			s.env = s.env.With("DUO_MAX_EVENTS_PER_RUN", "0")
			ev, _ := s.run("--source", log)
			if n := len(wodletest.Records(ev)); n != 5 {
				t.Errorf("second run delivered %d, want the other 5", n)
			}
		})
	}
}

func TestParseNextOffset(t *testing.T) {
	tests := []struct {
		raw     string
		want    string
		ok, err bool
	}{
		{``, "", false, false},
		{`null`, "", false, false},
		{`""`, "", false, true},
		{`[]`, "", false, true},
		{`["1547486297000","5bea1c1e-612c-4f1d-b310-75fd31385b15"]`, "1547486297000,5bea1c1e-612c-4f1d-b310-75fd31385b15", true, false},
		{`[1547486297000,"5bea"]`, "1547486297000,5bea", true, false},
		{`"1666714065304,5bf1a860-fe39-49e3-be29-217659663a74"`, "1666714065304,5bf1a860-fe39-49e3-be29-217659663a74", true, false},
		{`["a,b","c"]`, "", false, true},
		{`[""]`, "", false, true},
		{`[{"x":1}]`, "", false, true},
		{`{"ts":1}`, "", false, true},
		{`12`, "", false, true},
		{`"unterminated`, "", false, true},
	}
	for _, tc := range tests {
		got, ok, err := duo.ParseNextOffset([]byte(tc.raw))
		if got != tc.want || ok != tc.ok || (err != nil) != tc.err {
			t.Errorf("ParseNextOffset(%s) = %q, %v, %v; want %q, %v, err %v", tc.raw, got, ok, err, tc.want, tc.ok, tc.err)
		}
	}
}

func FuzzParseNextOffset(f *testing.F) {
	for _, s := range []string{`null`, `["1547486297000","5bea"]`, `"1666714065304,5bf1"`, `[1,2]`, `[]`, `{}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		param, ok, err := duo.ParseNextOffset(raw)
		if err != nil && ok {
			t.Fatal("ok with an error")
		}
		if !ok && param != "" {
			t.Fatalf("param %q without ok", param)
		}
		if ok && param == "" {
			t.Fatal("ok with an empty param")
		}
	})
}

// TestNothingNewerThanTwoMinutes: with a lookback inside Duo's delay no
// request is sent at all; every request of a normal run ends its window
// at least two minutes before it was sent (the fake answers 400 otherwise).
func TestNothingNewerThanTwoMinutes(t *testing.T) {
	s := newSetup(t, fakeOptions(5), "DUO_LOOKBACK_HOURS", "0.02") // 72 s
	ev, _ := s.run()
	if n := len(s.api.Requests()); n != 0 {
		t.Fatalf("%d requests for a window inside Duo's two-minute delay", n)
	}
	if len(wodletest.Errors(ev)) != 0 {
		t.Fatalf("errors: %v", wodletest.Errors(ev))
	}
	s2 := newSetup(t, fakeOptions(15))
	ev2, _ := s2.run()
	if len(wodletest.Errors(ev2)) != 0 {
		t.Fatalf("errors: %v", wodletest.Errors(ev2))
	}
	for _, r := range s2.api.Requests() {
		q := query(t, r.Query)
		if mt := q.Get("maxtime"); mt != "" {
			var ms int64
			fmt.Sscan(mt, &ms)
			if ms > r.At.Add(-duo.Delay).UnixMilli() {
				t.Errorf("%s asked up to %s, inside the two-minute delay", r.Path, mt)
			}
		}
		if r.Status != 200 {
			t.Errorf("%s answered %d", r.Path, r.Status)
		}
	}
}

// Test42901ThenSuccess: Duo's header-less 429 is retried after the
// policy's wait and the backlog still arrives whole.
func Test42901ThenSuccess(t *testing.T) {
	s := newSetup(t, only(fakeapi.Authentication, 15))
	faults := wodletest.NewFaultInjector(s.api)
	faults.Push(wodletest.Fault{Path: fakeapi.Path(fakeapi.Authentication), Status: 429, Body: `{"code":42901,"message":"Too Many Requests","stat":"FAIL"}`})
	s.wrap = func(http.Handler) http.Handler { return faults }
	start := time.Now()
	ev, _ := s.run("--source", "authentication")
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %v: the 10 s floor was used instead of the 42901 policy", time.Since(start))
	}
	sum := wodletest.Summaries(ev)["authentication"]
	if fmt.Sprint(sum["rate_limited"]) != "1" || fmt.Sprint(sum["retries"]) != "1" || len(wodletest.Errors(ev)) != 0 {
		t.Fatalf("summary %v, errors %v", sum, wodletest.Errors(ev))
	}
	exactlyOnce(t, ids(t, ev), 15)
}

func TestRateLimitPolicy(t *testing.T) {
	p := duo.New().RateLimit
	tests := []struct {
		status int
		body   string
		want   time.Duration
		ok     bool
	}{
		{429, `{"code":42901,"message":"Too Many Requests","stat":"FAIL"}`, time.Minute, true},
		{429, `Too Many Requests`, 0, false},
		{429, `{"code":40103}`, 0, false},
		{503, `{"code":42901}`, 0, false},
	}
	for _, tc := range tests {
		got, ok := p.RetryDelay(&http.Response{StatusCode: tc.status}, []byte(tc.body), time.Now())
		if got != tc.want || ok != tc.ok {
			t.Errorf("%d %s: %v %v, want %v %v", tc.status, tc.body, got, ok, tc.want, tc.ok)
		}
	}
	if duo.New().RetryFloor < time.Minute {
		t.Error("the hintless 429 floor is under a minute")
	}
	// Through the HTTP client: the wait asked of the clock is a minute or more.
	srv := httptest.NewServer(fakeapi.New(fakeapi.Options{IKey: testIKey, SKey: testSKey, RequestsPerMinute: 1}))
	defer srv.Close()
	var waits []time.Duration
	c, err := httpx.New(httpx.Options{BaseURL: srv.URL, Policy: p, RetryFloor: time.Second, MaxAttempts: 2,
		Sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	c = c.WithAuth(duo.Signer{IKey: secretOf(testIKey), SKey: secretOf(testSKey)})
	for range 2 {
		_ = c.Do(context.Background(), httpx.Request{URL: "/admin/v1/logs/administrator?mintime=1"}, nil)
	}
	if len(waits) == 0 || waits[0] < time.Minute {
		t.Fatalf("waits after a 42901: %v, want at least a minute", waits)
	}
}

// TestRetryIsResigned: a retried request carries a new Date and a
// signature valid for it.
func TestRetryIsResigned(t *testing.T) {
	s := newSetup(t, only(fakeapi.Administrator, 3))
	var mu sync.Mutex
	var seen []fakekit.Request
	first := true
	s.wrap = func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen = append(seen, fakekit.Request{Query: r.URL.RawQuery, Header: r.Header.Clone(), Path: r.URL.Path})
			fail := first
			first = false
			mu.Unlock()
			if fail {
				// A hint of one second puts the retry in another second.
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	ev, _ := s.run("--source", "administrator")
	if len(wodletest.Errors(ev)) != 0 || len(wodletest.Records(ev)) != 3 {
		t.Fatalf("errors %v, %d records", wodletest.Errors(ev), len(wodletest.Records(ev)))
	}
	if len(seen) < 2 || seen[0].Header.Get("Date") == seen[1].Header.Get("Date") || seen[0].Header.Get("Authorization") == seen[1].Header.Get("Authorization") {
		t.Fatalf("retry not re-signed: %+v", seen)
	}
	host := strings.TrimPrefix(s.srv.URL, "http://")
	for _, r := range seen[:2] {
		sig, _ := duo.Sign(testSKey, duo.SHA512, duo.Canonical(r.Header.Get("Date"), "GET", host, r.Path, r.Query))
		if r.Header.Get("Authorization") != duo.Authorization(testIKey, sig) {
			t.Errorf("attempt with Date %s carries a signature for another date", r.Header.Get("Date"))
		}
	}
}

// TestBacklogConvergesOverRuns: a backlog larger than one run's request
// budget is collected over several runs, each stopping at the deadline
// with its cursor saved, nothing lost or repeated.
func TestBacklogConvergesOverRuns(t *testing.T) {
	s := newSetup(t, only(fakeapi.Authentication, 65),
		"DUO_REQUESTS_PER_MINUTE_PER_ENDPOINT", "150", // one request per 400 ms
		"DUO_MAX_RUNTIME", "1s")
	var all []string
	runs := 0
	for ; runs < 8; runs++ {
		ev, _ := s.run("--source", "authentication")
		all = append(all, ids(t, ev)...)
		sum := wodletest.Summaries(ev)["authentication"]
		if msg, _ := sum["message"].(string); !strings.Contains(msg, "budget 150 request(s)/min") {
			t.Errorf("run summary does not report the budget: %v", sum)
		}
		if len(wodletest.Errors(ev)) != 0 {
			t.Fatalf("run %d: errors %v", runs+1, wodletest.Errors(ev))
		}
		if sum["stopped_by"] == "caught_up" {
			runs++
			break
		}
		if sum["stopped_by"] != "deadline" || sum["cursor_saved"] != true {
			t.Fatalf("run %d summary %v", runs+1, sum)
		}
	}
	if runs < 2 {
		t.Fatalf("caught up in %d run(s): the budget did not bind", runs)
	}
	exactlyOnce(t, all, 65)
}

// TestPolymorphicFieldsUntouched: "unknown" where a boolean is usual and
// every security_agents shape reach Wazuh byte for byte.
func TestPolymorphicFieldsUntouched(t *testing.T) {
	s := newSetup(t, only(fakeapi.Authentication, 0))
	shapes := []string{`null`, `[]`, `"unknown"`, `[{"security_agent":"Cisco Secure Endpoint","version":"8.2.3"}]`}
	for i, sa := range shapes {
		raw := fmt.Sprintf(`{"access_device":{"ip":"[2001:db8::1]:1234","is_encryption_enabled":"unknown","is_firewall_enabled":false,"is_password_set":true,"security_agents":%s},"event_type":"authentication","factor":"duo_push","reason":"user_approved","result":"success","timestamp":1700000000,"txid":"poly-%d"}`, sa, i)
		s.api.AppendRaw(fakeapi.Authentication, []byte(raw))
	}
	_, res := s.run("--source", "authentication")
	for i, sa := range shapes {
		want := fmt.Sprintf(`"is_encryption_enabled":"unknown","is_firewall_enabled":false,"is_password_set":true,"security_agents":%s},"event_type":"authentication","factor":"duo_push","reason":"user_approved","result":"success","timestamp":1700000000,"txid":"poly-%d"}}`, sa, i)
		if !bytes.Contains(res.Stdout, []byte(want)) {
			t.Errorf("shape %s not passed through untouched", sa)
		}
	}
}

// TestAdminWholeAnswerInOneSecond: a full v1 answer within one second
// steps past that second instead of asking for it forever.
func TestAdminWholeAnswerInOneSecond(t *testing.T) {
	s := newSetup(t, only(fakeapi.Administrator, 0))
	s.api.AppendTo(fakeapi.Administrator, 12)
	ev, _ := s.run("--source", "administrator")
	if n := len(s.requests(fakeapi.Administrator)); n > 3 {
		t.Fatalf("%d requests: looping on one second", n)
	}
	if n := len(wodletest.Records(ev)); n != 10 {
		t.Errorf("%d records, want the 10 Duo's v1 answer can hold", n)
	}
}

// TestAdminAdvancesByLastTimestamp: the next v1 request starts at the
// last timestamp delivered; the repeated events are dropped as duplicates.
func TestAdminAdvancesByLastTimestamp(t *testing.T) {
	s := newSetup(t, only(fakeapi.Administrator, 25))
	ev, _ := s.run("--source", "administrator")
	exactlyOnce(t, ids(t, ev), 25)
	sum := wodletest.Summaries(ev)["administrator"]
	if fmt.Sprint(sum["duplicates"]) == "0" {
		t.Errorf("no duplicate dropped: the inclusive mintime was not used (%v)", sum)
	}
	reqs := s.requests(fakeapi.Administrator)
	for i := 1; i < len(reqs); i++ {
		if query(t, reqs[i].Query).Get("mintime") <= query(t, reqs[i-1].Query).Get("mintime") {
			t.Errorf("request %d did not advance mintime", i+1)
		}
	}
}

func TestSettings(t *testing.T) {
	tests := []struct {
		name    string
		env     []string
		code    int
		wantOut string
	}{
		{"api host gives the base URL", []string{"DUO_API_HOST", "api-1a2b3c4d.duosecurity.com"}, 0, "ok   config: base URL https://api-1a2b3c4d.duosecurity.com"},
		{"loopback host", []string{"DUO_API_HOST", "127.0.0.1:8443"}, 0, "ok   config: base URL https://127.0.0.1:8443"},
		{"not a Duo host", []string{"DUO_API_HOST", "evil.example.com"}, 2, "DUO_API_HOST"},
		{"URL instead of host", []string{"DUO_API_HOST", "https://api-1a2b3c4d.duosecurity.com"}, 2, "without https://"},
		{"neither host nor URL", nil, 2, "DUO_BASE_URL: required"},
		{"bad digest", []string{"DUO_API_HOST", "api-1a2b3c4d.duosecurity.com", "DUO_SIGNATURE", "md5"}, 2, "DUO_SIGNATURE"},
		{"sha1", []string{"DUO_API_HOST", "api-1a2b3c4d.duosecurity.com", "DUO_SIGNATURE", "sha1"}, 0, "ok   config"},
		{"negative budget", []string{"DUO_API_HOST", "api-1a2b3c4d.duosecurity.com", "DUO_REQUESTS_PER_MINUTE_PER_ENDPOINT", "-1"}, 2, "REQUESTS_PER_MINUTE_PER_ENDPOINT"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := wodletest.Env{"DUO_STATE_DIR": t.TempDir(), "DUO_IKEY": testIKey, "DUO_SKEY": testSKey}.With(tc.env...)
			// An unknown --source stops `check` after the configuration
			// verdict and before any request.
			res := wodletest.Run(t, duo.New(), env, "check", "--source", "nonexistent")
			out := string(res.Stdout) + string(res.Stderr)
			valid := !strings.Contains(out, "FAIL config")
			if valid != (tc.code == 0) || !strings.Contains(out, tc.wantOut) {
				t.Fatalf("exit %d (want %d), output:\n%s\nwant %q", res.Code, tc.code, out, tc.wantOut)
			}
		})
	}
}

// TestCheck proves every module's cheap call against the fake.
func TestCheck(t *testing.T) {
	s := newSetup(t, fakeOptions(3))
	res := wodletest.Run(t, s.v, s.env, "check")
	if res.Code != 0 || strings.Count(string(res.Stdout), "signature accepted") != 4 {
		t.Fatalf("exit %d:\n%s", res.Code, res.Stdout)
	}
	bad := s.env.With("DUO_SKEY", "wrongSecretKey0123456789abcdefABCDEFGHIJ")
	res = wodletest.Run(t, s.v, bad, "check", "--source", "telephony")
	if res.Code == 0 || !strings.Contains(string(res.Stdout), "Invalid signature") {
		t.Fatalf("wrong secret key passed check: %s", res.Stdout)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := readAll(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
