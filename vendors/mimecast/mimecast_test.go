package mimecast_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wodlekit/wodlekit/runtime/wodletest"
	"github.com/wodlekit/wodlekit/vendors/mimecast"
	"github.com/wodlekit/wodlekit/vendors/mimecast/fakeapi"
)

// clock is a fake clock shared by the fake API and the run; step, when
// set, moves it on at every request the fake answers.
type clock struct {
	mu   sync.Mutex
	now  time.Time
	step time.Duration
	// real makes Now the wall clock.
	real bool
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.real {
		return time.Now()
	}
	return c.now
}

func (c *clock) tick() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(c.step)
	return c.now
}

// testbed is one fake behind a fault injector and the settings that point
// a run at it, sharing one state directory across runs.
type testbed struct {
	api   *fakeapi.API
	inj   *wodletest.FaultInjector
	env   wodletest.Env
	clock *clock
	dir   string
}

func newTestbed(t *testing.T, o fakeapi.Options, extra ...string) *testbed {
	t.Helper()
	c := &clock{now: time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)}
	if o.ClientID == "" {
		o.ClientID, o.ClientSecret = testClientID, testClientSecret
	}
	o.Seed = 3
	if o.Now == nil {
		o.Now = c.tick
	} else {
		// The fake runs on another clock (the real one): so does the run.
		c.now, c.real = time.Time{}, true
	}
	if o.Start.IsZero() {
		o.Start, o.Span = c.now.Add(-10*time.Hour), 8*time.Hour
	}
	tb := &testbed{api: fakeapi.New(o), clock: c, dir: t.TempDir()}
	tb.inj = wodletest.NewFaultInjector(tb.api)
	srv := httptest.NewServer(tb.inj)
	t.Cleanup(srv.Close)
	tb.env = wodletest.Env{
		"MIMECAST_BASE_URL": srv.URL, "MIMECAST_STATE_DIR": tb.dir, "MIMECAST_LOG_FILE": filepath.Join(tb.dir, "log"),
		mimecast.ClientIDKey: testClientID, mimecast.ClientSecretKey: testClientSecret,
		"MIMECAST_PAGE_SIZE": "10", "MIMECAST_LOOKBACK_HOURS": "24",
		"MIMECAST_REQUESTS_PER_MINUTE": "-1", "MIMECAST_RETRY_BACKOFF": "1ms",
	}.With(extra...)
	return tb
}

func (tb *testbed) run(t *testing.T, args ...string) ([]map[string]any, wodletest.Result) {
	t.Helper()
	res := wodletest.RunAt(t, mimecast.New(), tb.env, tb.clock.Now, args...)
	return wodletest.ParseLines(t, "mimecast", res.Stdout), res
}

func (tb *testbed) cursor(t *testing.T, module string) json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(tb.dir, "default.state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Modules map[string]struct {
			Cursor json.RawMessage `json:"cursor"`
		} `json:"modules"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	return st.Modules[module].Cursor
}

func ids(t *testing.T, events []map[string]any) []string {
	t.Helper()
	var out []string
	for _, r := range wodletest.Records(events) {
		id := recordID(r)
		if id == "" {
			t.Fatalf("record without an identity: %v", r)
		}
		out = append(out, id)
	}
	return out
}

func exactlyOnce(t *testing.T, got []string, want int) {
	t.Helper()
	seen := map[string]int{}
	for _, id := range got {
		seen[id]++
		if seen[id] == 2 {
			t.Errorf("record %s delivered twice", id)
		}
	}
	if len(seen) != want {
		t.Fatalf("%d distinct records delivered, want %d", len(seen), want)
	}
}

func noErrors(t *testing.T, ev []map[string]any, res wodletest.Result) {
	t.Helper()
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	if errs := wodletest.Errors(ev); len(errs) > 0 {
		t.Fatalf("error events: %v", errs)
	}
}

// A run longer than a token's life renews the token before it expires:
// the fake refuses an expired token, and no API call was refused.
func TestTokenRenewedBeforeExpiry(t *testing.T) {
	tb := newTestbed(t, fakeapi.Options{Events: 200, FileEvents: 3, TokenTTL: 10 * time.Minute}, "MIMECAST_DEBUG", "3")
	tb.clock.step = 30 * time.Second // every request the fake answers
	ev, res := tb.run(t)
	noErrors(t, ev, res)
	// No access token in the output or the log, even at debug 3.
	log, _ := os.ReadFile(filepath.Join(tb.dir, "log"))
	if len(log) == 0 {
		t.Fatal("debug 3 wrote no log: the check below would prove nothing")
	}
	for _, tok := range tb.api.Tokens() {
		for name, b := range map[string][]byte{"stdout": res.Stdout, "stderr": res.Stderr, "log": log} {
			if strings.Contains(string(b), tok) {
				t.Fatalf("an access token appears in %s", name)
			}
		}
	}
	exactlyOnce(t, ids(t, ev), 400)
	if n := tb.api.TokensIssued(); n < 3 {
		t.Fatalf("%d tokens over a run of %d requests and 30 s each: the token was not renewed", n, len(tb.api.Requests()))
	}
	for _, r := range tb.api.Requests() {
		if r.Status == http.StatusUnauthorized {
			t.Fatalf("an API call was refused (%s): a token expired in use", r.Path)
		}
	}
}

func TestBadCredentialsAreAuthErrors(t *testing.T) {
	tb := newTestbed(t, fakeapi.Options{Events: 5}, mimecast.ClientSecretKey, "wrong-secret-value")
	ev, res := tb.run(t)
	if res.Code != 0 {
		t.Fatalf("exit %d", res.Code)
	}
	errs := wodletest.Errors(ev)
	if len(errs) != 2 {
		t.Fatalf("want one error event per module, got %v", errs)
	}
	for _, e := range errs {
		msg, _ := e["error_message"].(string)
		if e["error_kind"] != "auth" || !strings.Contains(msg, "InvalidClientIdentifier") || !strings.Contains(msg, mimecast.ClientSecretKey) {
			t.Errorf("error event %v: want an auth error naming Mimecast's code and the secret to check", e)
		}
	}
	for _, s := range []string{"wrong-secret-value", testClientSecret} {
		if strings.Contains(string(res.Stdout), s) || strings.Contains(string(res.Stderr), s) {
			t.Fatalf("a client secret appears in the output")
		}
	}
}

// Pre-signed file URLs are fetched without the Authorization header (the
// store refuses a second credential, and the token must not leave for
// it); API calls carry the bearer token.
func TestFilesFetchedWithoutAuthorization(t *testing.T) {
	tb := newTestbed(t, fakeapi.Options{Events: 30, FileEvents: 4})
	ev, res := tb.run(t)
	noErrors(t, ev, res)
	files, api := 0, 0
	for _, r := range tb.api.Requests() {
		auth := r.Header.Get("Authorization")
		switch {
		case strings.HasPrefix(r.Path, fakeapi.FilePrefix):
			files++
			if auth != "" {
				t.Fatalf("file %s fetched with an Authorization header", r.Path)
			}
		case r.Path == fakeapi.BatchPath || r.Path == fakeapi.AuditPath:
			api++
			if !strings.HasPrefix(auth, "Bearer ") {
				t.Fatalf("API call %s without the bearer token", r.Path)
			}
		}
	}
	if files == 0 || api == 0 {
		t.Fatalf("%d file and %d API requests: the test proved nothing", files, api)
	}
}

// An expired file URL is never skipped: the page is listed again and read
// whole; the events arrive once.
func TestExpiredFileURLListsThePageAgain(t *testing.T) {
	tb := newTestbed(t, fakeapi.Options{Events: 40, FileEvents: 2}, "MIMECAST_SOURCES", "siem")
	tb.api.ExpireFiles(1)
	ev, res := tb.run(t)
	noErrors(t, ev, res)
	exactlyOnce(t, ids(t, ev), 40)
	// The refused file was the first type's first: that page was listed
	// twice, with the same query, and read whole the second time.
	var listings []string
	refused := 0
	for _, r := range tb.api.Requests() {
		switch {
		case r.Path == fakeapi.BatchPath && strings.Contains(r.Query, "type=receipt"):
			listings = append(listings, r.Query)
		case r.Status == http.StatusForbidden:
			refused++
		}
	}
	if refused != 1 || len(listings) != 2 || listings[0] != listings[1] {
		t.Fatalf("%d refused downloads, receipt listed as %q: want the same page listed twice", refused, listings)
	}
}

// A URL that keeps expiring fails the page: one error event, the cursor
// stays, and the next run delivers everything.
func TestExpiringFileURLFailsThePage(t *testing.T) {
	tb := newTestbed(t, fakeapi.Options{Events: 40, FileEvents: 2}, "MIMECAST_SOURCES", "siem")
	tb.api.ExpireFiles(1000)
	ev, res := tb.run(t)
	if res.Code != 0 {
		t.Fatalf("exit %d", res.Code)
	}
	errs := wodletest.Errors(ev)
	if len(errs) != 1 || errs[0]["module"] != "siem" || !strings.Contains(errs[0]["error_message"].(string), "3 listings") {
		t.Fatalf("want one siem error about the listings, got %v", errs)
	}
	if n := len(wodletest.Records(ev)); n != 0 {
		t.Fatalf("%d records delivered from a page that failed", n)
	}
	if c := tb.cursor(t, "siem"); c != nil {
		t.Fatalf("cursor saved after a failed first page: %s", c)
	}
	tb.api.ExpireFiles(0)
	ev, res = tb.run(t)
	noErrors(t, ev, res)
	exactlyOnce(t, ids(t, ev), 40)
}

// The last @nextPage is kept when Mimecast says isCaughtUp, and the next
// run lists from it: new files only.
func TestCaughtUpPageTokenKept(t *testing.T) {
	tb := newTestbed(t, fakeapi.Options{Events: 30}, "MIMECAST_SOURCES", "siem", "MIMECAST_SIEM_TYPES", "url protect")
	tb.api.AppendSIEM("url protect", tb.clock.Now().Add(-time.Hour))
	ev, res := tb.run(t)
	noErrors(t, ev, res)
	var cur mimecast.SIEMCursor
	if err := json.Unmarshal(tb.cursor(t, "siem"), &cur); err != nil {
		t.Fatal(err)
	}
	tc := cur.Types["url protect"]
	if tc == nil || tc.NextPage == "" {
		t.Fatalf("no @nextPage kept after the caught-up page: %s", tb.cursor(t, "siem"))
	}
	var last string
	for _, r := range tb.api.Requests() {
		if r.Path == fakeapi.BatchPath {
			last = r.Query
		}
	}
	tb.api.AppendSIEM("url protect", tb.clock.Now())
	ev, res = tb.run(t)
	noErrors(t, ev, res)
	if n := len(wodletest.Records(ev)); n != 1 {
		t.Fatalf("second run delivered %d events, want the 1 new one", n)
	}
	var asked string
	for _, r := range tb.api.Requests() {
		if r.Path == fakeapi.BatchPath {
			asked = r.Query
		}
	}
	if !strings.Contains(asked, "nextPage="+tc.NextPage) || strings.Contains(asked, "dateRangeStartsAt") || asked == last {
		t.Fatalf("second run asked %q, want the saved nextPage %q", asked, tc.NextPage)
	}
}

// Lines that are not events reach Wazuh as records of their own, with the
// file and line; the events around them are delivered.
func TestBadLinesBecomeRecords(t *testing.T) {
	tb := newTestbed(t, fakeapi.Options{Events: 0, FileEvents: 5}, "MIMECAST_SOURCES", "siem")
	tb.api.AppendSIEM("receipt", tb.clock.Now())
	tb.api.AppendSIEMLine("receipt", []byte(`{"type":"receipt","processingId":"p1","aggregateId":"a1","timestamp":`))
	tb.api.AppendSIEMLine("receipt", []byte(`["not","an","object"]`))
	tb.api.AppendSIEM("receipt", tb.clock.Now())
	ev, res := tb.run(t)
	noErrors(t, ev, res)
	kinds := map[string]int{}
	for _, r := range wodletest.Records(ev) {
		kinds[r["event_type"].(string)]++
		if r["event_type"] == mimecast.InvalidLine && (r["line"] == nil || !strings.HasPrefix(r["file"].(string), fakeapi.FilePrefix)) {
			t.Errorf("invalid line record without its file and line: %v", r)
		}
	}
	if kinds["receipt"] != 2 || kinds[mimecast.InvalidLine] != 2 {
		t.Fatalf("records by kind %v, want 2 receipt and 2 invalid_line", kinds)
	}
}

// Audit pages end on empty data even though the last page still carries
// a next, and the window's overlap is de-duplicated.
func TestAuditStopsOnEmptyData(t *testing.T) {
	tb := newTestbed(t, fakeapi.Options{Events: 23}, "MIMECAST_SOURCES", "audit")
	ev, res := tb.run(t)
	noErrors(t, ev, res)
	exactlyOnce(t, ids(t, ev), 23)
	// 23 events in pages of 10: 10, 10, 3, then the empty page with a next.
	if n := tb.api.Count(fakeapi.AuditPath); n != 4 {
		t.Fatalf("%d audit requests, want 4 (three pages and the empty last one)", n)
	}
	tb.api.AppendAudit(tb.clock.Now(), 2)
	ev, res = tb.run(t)
	noErrors(t, ev, res)
	if n := len(wodletest.Records(ev)); n != 1 {
		t.Fatalf("second run delivered %d audit events, want the new one", n)
	}
}

// X-RateLimit-Reset is read both ways: the milliseconds to wait Mimecast
// documents, and the epoch milliseconds some clients read; the fake
// answers either, and both mean the same wait.
func TestRateLimitResetBothReadings(t *testing.T) {
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	for _, epoch := range []bool{false, true} {
		api := fakeapi.New(fakeapi.Options{ClientID: testClientID, ClientSecret: testClientSecret, RequestsPerMinute: 2, ResetEpoch: epoch, Now: func() time.Time { return now }})
		srv := httptest.NewServer(api)
		tok := token(t, srv.URL)
		var last *http.Response
		for range 3 {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+fakeapi.BatchPath+"?type=receipt&dateRangeStartsAt=2026-03-02", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			last = resp
		}
		srv.Close()
		if last.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("epoch=%v: third request answered %d, want 429", epoch, last.StatusCode)
		}
		wait, ok := mimecast.New().RateLimit.RetryDelay(last, nil, now)
		if !ok || wait != time.Minute {
			t.Fatalf("epoch=%v: reset %q read as %v (%v), want 1m (the oldest request leaves the window a minute after it came)", epoch, last.Header.Get("X-RateLimit-Reset"), wait, ok)
		}
	}
}

// When X-RateLimit-Remaining reaches 0 the module pauses until the reset
// before its next request, instead of running into a 429.
func TestPausesWhenTheQuotaIsSpent(t *testing.T) {
	for _, epoch := range []bool{false, true} {
		tb := newTestbed(t, fakeapi.Options{Events: 0, RequestsPerMinute: 3, RateWindow: 300 * time.Millisecond, ResetEpoch: epoch, Now: time.Now},
			"MIMECAST_SOURCES", "siem", "MIMECAST_SIEM_TYPES", "receipt", "MIMECAST_PAGE_SIZE", "1")
		// Five pages of one file: the quota of three is spent after the third.
		for range 5 {
			tb.api.AppendSIEM("receipt", tb.clock.Now().Add(-time.Hour))
		}
		ev, res := tb.run(t)
		noErrors(t, ev, res)
		if n := len(wodletest.Records(ev)); n != 5 {
			t.Fatalf("epoch=%v: %d events, want 5", epoch, n)
		}
		for _, r := range tb.api.Requests() {
			if r.Status == http.StatusTooManyRequests {
				t.Fatalf("epoch=%v: a request ran into a 429: the module did not pause when the quota was spent", epoch)
			}
		}
	}
}

func token(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.PostForm(base+fakeapi.TokenPath, map[string][]string{"grant_type": {"client_credentials"}, "client_id": {testClientID}, "client_secret": {testClientSecret}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var v struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || v.AccessToken == "" {
		t.Fatalf("token: %v", err)
	}
	return v.AccessToken
}

func TestCheck(t *testing.T) {
	tb := newTestbed(t, fakeapi.Options{Events: 5})
	res := wodletest.RunAt(t, mimecast.New(), tb.env, tb.clock.Now, "check")
	if res.Code != 0 || !strings.Contains(string(res.Stdout)+string(res.Stderr), "SIEM batch readable") {
		t.Fatalf("check: exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
}

func TestSIEMTypesSetting(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		err  string
	}{
		{"all", strings.Join(mimecast.Types, ","), ""},
		{"", strings.Join(mimecast.Types, ","), ""},
		{"url_protect, Attachment Protect,url protect", "url protect,attachment protect", ""},
		{"receipt,phishing", "", `unknown SIEM event type "phishing"`},
		{" , ", "", "no SIEM event type"},
	} {
		got, err := mimecast.ParseTypes(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || strings.Join(got, ",") != tc.want {
			t.Errorf("%q: %v, %v; want %s", tc.in, got, err, tc.want)
		}
	}
}

// --all reads the whole lookback again, page after page, and leaves the
// saved cursors as they were.
func TestAllModeReadsEverythingAndSavesNothing(t *testing.T) {
	tb := newTestbed(t, fakeapi.Options{Events: 40, FileEvents: 2})
	ev, res := tb.run(t)
	noErrors(t, ev, res)
	before := [2]string{string(tb.cursor(t, "siem")), string(tb.cursor(t, "audit"))}
	ev, res = tb.run(t, "--all")
	noErrors(t, ev, res)
	exactlyOnce(t, ids(t, ev), 80)
	if after := [2]string{string(tb.cursor(t, "siem")), string(tb.cursor(t, "audit"))}; after != before {
		t.Fatalf("--all moved the cursors: %v then %v", before, after)
	}
}

// A page that hands back the page token it was sent does not loop: the
// type stops for the run, and the next run goes on from that token with
// nothing lost or repeated.
func TestRepeatedPageTokenDoesNotLoop(t *testing.T) {
	tb := newTestbed(t, fakeapi.Options{Events: 0}, "MIMECAST_SOURCES", "siem", "MIMECAST_SIEM_TYPES", "av", "MIMECAST_PAGE_SIZE", "1")
	for range 4 {
		tb.api.AppendSIEM("av", tb.clock.Now().Add(-time.Hour))
	}
	var first string
	capture := wodletest.Fault{Path: fakeapi.BatchPath, Rewrite: func(b []byte) []byte {
		var v map[string]any
		_ = json.Unmarshal(b, &v)
		first, _ = v["@nextPage"].(string)
		return b
	}}
	repeat := wodletest.Fault{Path: fakeapi.BatchPath, Rewrite: func(b []byte) []byte {
		var v map[string]any
		_ = json.Unmarshal(b, &v)
		v["@nextPage"] = first
		out, _ := json.Marshal(v)
		return out
	}}
	tb.inj.Push(capture, repeat)
	ev1, res := tb.run(t)
	noErrors(t, ev1, res)
	if n := len(wodletest.Records(ev1)); n != 2 {
		t.Fatalf("first run delivered %d events, want the 2 pages read before the repeated token", n)
	}
	if msg := wodletest.Summaries(ev1)["siem"]["message"].(string); !strings.Contains(msg, "returned the page token it was sent") {
		t.Errorf("summary does not say why the type stopped: %q", msg)
	}
	ev2, res := tb.run(t)
	noErrors(t, ev2, res)
	exactlyOnce(t, append(ids(t, ev1), ids(t, ev2)...), 4)
}
