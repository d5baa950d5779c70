package onepassword_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wodlekit/wodlekit/runtime/runner"
	"github.com/wodlekit/wodlekit/runtime/wodletest"
	"github.com/wodlekit/wodlekit/vendors/onepassword"
	"github.com/wodlekit/wodlekit/vendors/onepassword/fakeapi"
)

type rig struct {
	api *fakeapi.API
	srv *httptest.Server
	dir string
	env wodletest.Env
}

func newRig(t *testing.T, token string, features []string, perFeature int) *rig {
	t.Helper()
	events := map[string]int{}
	for _, f := range fakeapi.Features() {
		events[f] = perFeature
	}
	api := fakeapi.New(fakeapi.Options{Token: token, Features: features, Events: events, Seed: 5,
		Start: time.Now().Add(-30 * time.Hour), Span: 20 * time.Hour})
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	return &rig{api: api, srv: srv, dir: dir, env: wodletest.Env{
		"OP_BASE_URL": srv.URL, "OP_STATE_DIR": dir, "OP_LOG_FILE": filepath.Join(dir, "log"),
		"OP_EVENTS_TOKEN": token, "OP_PAGE_SIZE": "7", "OP_LOOKBACK_HOURS": "48",
		"OP_REQUESTS_PER_MINUTE": "-1", "OP_RETRY_BACKOFF": "1ms",
	}}
}

func (r *rig) run(t *testing.T, env wodletest.Env, args ...string) ([]map[string]any, wodletest.Result) {
	t.Helper()
	res := wodletest.Run(t, onepassword.New(), env, args...)
	return wodletest.ParseLines(t, "onepassword", res.Stdout), res
}

// jwtToken builds an unsigned token shaped like 1Password's: the claims
// are all the collector reads.
func jwtToken(aud string, features []string) string {
	enc := base64.RawURLEncoding
	claims, _ := json.Marshal(map[string]any{"aud": []string{aud}, "1password.com/fts": features, "sub": "x"})
	return enc.EncodeToString([]byte(`{"alg":"ES256","kid":"k"}`)) + "." + enc.EncodeToString(claims) + "." + enc.EncodeToString([]byte("sig"))
}

func TestFeatures(t *testing.T) {
	cases := []struct {
		name        string
		token       string
		granted     []string
		skipped     []string
		introspects int
	}{
		{"opaque token, all features, introspect once", testToken, fakeapi.Features(), nil, 1},
		{"opaque token without item usages", testToken, []string{"signinattempts", "auditevents"}, []string{"itemusages"}, 1},
		{"JWT claims, no introspect", jwtToken("events.1password.com", []string{"auditevents"}), []string{"auditevents"}, []string{"signinattempts", "itemusages"}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, tc.token, tc.granted, 9)
			ev, res := r.run(t, r.env)
			if res.Code != 0 {
				t.Fatalf("exit %d", res.Code)
			}
			sums := wodletest.Summaries(ev)
			for _, m := range tc.skipped {
				s := sums[m]
				if s["status"] != "skipped" || !strings.Contains(s["message"].(string), m) {
					t.Errorf("%s: %v, want skipped with a reason naming it", m, s)
				}
			}
			if n := len(wodletest.Records(ev)); n != 9*len(tc.granted) {
				t.Errorf("%d records, want %d", n, 9*len(tc.granted))
			}
			if errs := wodletest.Errors(ev); len(errs) > 0 {
				t.Errorf("errors: %v", errs)
			}
			if n := r.api.Count("/api/v2/auth/introspect"); n != tc.introspects {
				t.Errorf("introspect called %d times, want %d", n, tc.introspects)
			}
		})
	}
}

func TestFirstRunStartsAtLookbackAndAllModeSavesNothing(t *testing.T) {
	r := newRig(t, testToken, fakeapi.Features(), 20)
	// Events span 30h..10h ago; a 15-hour lookback sees only the last part.
	ev, _ := r.run(t, r.env.With("OP_LOOKBACK_HOURS", "15"), "--all")
	recent := len(wodletest.Records(ev))
	if recent == 0 || recent >= 60 {
		t.Fatalf("--all with 15h lookback emitted %d of 60 records, want some but not all", recent)
	}
	if _, err := os.Stat(filepath.Join(r.dir, "default.state.json")); !os.IsNotExist(err) {
		t.Fatalf("--all wrote a state file (err %v)", err)
	}
	for _, s := range wodletest.Summaries(ev) {
		if s["mode"] != "all" || s["cursor_saved"] != false {
			t.Errorf("summary %v, want mode all and no cursor saved", s)
		}
	}
	// The CLI flag overrides the environment: 48h sees everything.
	ev, _ = r.run(t, r.env.With("OP_LOOKBACK_HOURS", "1"), "-l", "48")
	if n := len(wodletest.Records(ev)); n != 60 {
		t.Fatalf("-l 48 emitted %d records, want 60", n)
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		env  wodletest.Env
		want []string
	}{
		{"unknown region host", wodletest.Env{"OP_BASE_URL": "https://events.1password.co.uk", "OP_EVENTS_TOKEN": "x"}, []string{"not a known API host", "events.1password.eu"}},
		{"plain http off loopback", wodletest.Env{"OP_BASE_URL": "http://events.1password.com", "OP_EVENTS_TOKEN": "x"}, []string{"plain http is refused"}},
		{"every problem at once", wodletest.Env{"OP_DEBUG": "7", "OP_MAX_RUNTIME": "soon", "OP_SINK": "kafka", "OP_PAGE_SIZE": "5000", "OP_EVENTS_TOKEN": "x"},
			[]string{"OP_DEBUG", "OP_MAX_RUNTIME", "OP_SINK", "OP_PAGE_SIZE"}},
		{"missing token", wodletest.Env{}, []string{"OP_EVENTS_TOKEN"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			env := tc.env.With("OP_STATE_DIR", dir, "OP_LOG_FILE", filepath.Join(dir, "log"))
			res := wodletest.Run(t, onepassword.New(), env)
			if res.Code != runner.ExitUsage {
				t.Fatalf("exit %d, want %d", res.Code, runner.ExitUsage)
			}
			errs := wodletest.Errors(wodletest.ParseLines(t, "onepassword", res.Stdout))
			if len(errs) != 1 || errs[0]["error_kind"] != "config" {
				t.Fatalf("want one config error event, got %v", errs)
			}
			for _, w := range tc.want {
				if !strings.Contains(errs[0]["error_message"].(string), w) {
					t.Errorf("message %q does not mention %q", errs[0]["error_message"], w)
				}
			}
		})
	}
	for _, host := range []string{"events.1password.com", "events.ent.1password.com", "events.1password.ca", "events.1password.eu"} {
		res := wodletest.Run(t, onepassword.New(), wodletest.Env{"OP_BASE_URL": "https://" + host}, "state", "show")
		if res.Code != 0 {
			t.Errorf("region host %s refused: %s", host, res.Stderr)
		}
	}
}

func TestCheck(t *testing.T) {
	r := newRig(t, testToken, []string{"signinattempts", "auditevents"}, 3)
	res := wodletest.Run(t, onepassword.New(), r.env, "check")
	out := string(res.Stdout)
	if res.Code != 0 || !strings.Contains(out, "ok   module signinattempts") || !strings.Contains(out, "SKIP module itemusages") || !strings.Contains(out, "check passed") {
		t.Fatalf("exit %d:\n%s", res.Code, out)
	}
	if strings.Contains(out, testToken) {
		t.Fatal("check printed the token")
	}
	res = wodletest.Run(t, onepassword.New(), r.env.With("OP_EVENTS_TOKEN", "wrong"), "check")
	if res.Code != runner.ExitFailed || !strings.Contains(string(res.Stdout), "credentials were refused") {
		t.Fatalf("bad token: exit %d:\n%s", res.Code, res.Stdout)
	}
	if _, err := os.Stat(filepath.Join(r.dir, "default.state.json")); !os.IsNotExist(err) {
		t.Fatal("check wrote state")
	}
}

func TestStateShowAndReset(t *testing.T) {
	r := newRig(t, testToken, fakeapi.Features(), 5)
	r.run(t, r.env)
	res := wodletest.Run(t, onepassword.New(), r.env, "state", "show")
	if res.Code != 0 || !bytes.Contains(res.Stdout, []byte(`"auditevents"`)) {
		t.Fatalf("state show: exit %d: %s", res.Code, res.Stdout)
	}
	if res := wodletest.Run(t, onepassword.New(), r.env, "state", "reset", "--source", "auditevents"); res.Code != runner.ExitUsage {
		t.Fatalf("reset without --yes: exit %d", res.Code)
	}
	if res := wodletest.Run(t, onepassword.New(), r.env, "state", "reset", "--source", "auditevents", "--yes"); res.Code != 0 {
		t.Fatalf("reset: exit %d %s", res.Code, res.Stderr)
	}
	ev, _ := r.run(t, r.env)
	if s := wodletest.Summaries(ev); wodletest.Field(s["auditevents"], "events") == json.Number("0") ||
		wodletest.Field(s["signinattempts"], "events") != json.Number("0") {
		t.Fatalf("after resetting auditevents: %v", s)
	}
}

func TestQueueSink(t *testing.T) {
	r := newRig(t, testToken, fakeapi.Features(), 4)
	sock := filepath.Join(r.dir, "queue")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan []string, 1)
	go func() {
		var msgs []string
		buf := make([]byte, 70000)
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		for len(msgs) < 15 {
			n, err := conn.Read(buf)
			if err != nil {
				break
			}
			if n == 0 {
				continue // the sink's delivery probe; analysisd skips it too
			}
			msgs = append(msgs, string(buf[:n]))
		}
		got <- msgs
	}()
	res := wodletest.Run(t, onepassword.New(), r.env.With("OP_SINK", "wazuh-queue", "OP_QUEUE_SOCKET", sock, "OP_INSTANCE", "eu"))
	if res.Code != 0 {
		t.Fatalf("exit %d", res.Code)
	}
	if len(res.Stdout) != 0 {
		t.Fatalf("queue sink wrote to stdout: %s", res.Stdout)
	}
	msgs := <-got
	_ = conn.Close()
	if len(msgs) != 15 { // 12 events and 3 summaries
		t.Fatalf("%d datagrams, want 15", len(msgs))
	}
	for _, m := range msgs {
		if !strings.HasPrefix(m, `1:command_onepassword-eu:{"integration":"onepassword",`) || strings.HasSuffix(m, "\n") {
			t.Fatalf("datagram not framed as Wazuh's: %.80q", m)
		}
	}
	// With the socket gone nothing is delivered and the cursor stays.
	if err := os.Remove(sock); err != nil {
		t.Fatal(err)
	}
	r.api.AppendTo("auditevents", 2)
	res = wodletest.Run(t, onepassword.New(), r.env.With("OP_SINK", "wazuh-queue", "OP_QUEUE_SOCKET", sock, "OP_INSTANCE", "eu"))
	if res.Code != runner.ExitFailed || !strings.Contains(string(res.Stdout), "wazuh-manager running") {
		t.Fatalf("missing socket: exit %d, stdout %s", res.Code, res.Stdout)
	}
}

func TestCheckWarnsAboutReadableSecretsFile(t *testing.T) {
	r := newRig(t, testToken, fakeapi.Features(), 1)
	secrets := filepath.Join(r.dir, "secrets.env")
	if err := os.WriteFile(secrets, []byte("OP_EVENTS_TOKEN="+testToken+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(secrets, 0o644); err != nil {
		t.Fatal(err)
	}
	env := r.env.With("OP_SECRETS_FILE", secrets)
	delete(env, "OP_EVENTS_TOKEN")
	res := wodletest.Run(t, onepassword.New(), env, "check")
	out := string(res.Stdout)
	if res.Code != 0 || !strings.Contains(out, "WARN secrets:") || !strings.Contains(out, "chmod 0640") || !strings.Contains(out, "from the secrets file") {
		t.Fatalf("exit %d:\n%s", res.Code, out)
	}
}

// Prefetching must not spend requests on pages a cap would drop: with the
// cap at one page, each module asks for exactly one page.
func TestPrefetchStopsAtCaps(t *testing.T) {
	r := newRig(t, testToken, fakeapi.Features(), 30)
	_, res := r.run(t, r.env.With("OP_MAX_EVENTS_PER_RUN", "7"))
	if res.Code != 0 {
		t.Fatalf("exit %d", res.Code)
	}
	for _, f := range fakeapi.Features() {
		if n := r.api.Count("/api/v2/" + f); n != 1 {
			t.Errorf("%s: %d requests, want 1 (no prefetch past the cap)", f, n)
		}
	}
	// Without a cap, every page is fetched once: 30 events in pages of 7
	// is 5 pages, and nothing more is requested.
	ev, _ := r.run(t, r.env)
	if n := len(wodletest.Records(ev)); n != 90-21 {
		t.Fatalf("second run: %d records, want %d", n, 90-21)
	}
	for _, f := range fakeapi.Features() {
		if n := r.api.Count("/api/v2/" + f); n != 1+4 {
			t.Errorf("%s: %d requests in all, want 5", f, n)
		}
	}
}

// The cursor of the empty last page is saved and sent next run, and a
// page without a cursor is a precise decode error that moves nothing.
func TestCursorSequence(t *testing.T) {
	rec := func(id string) string {
		return `{"uuid":"` + id + `","timestamp":"2026-11-26T10:00:00Z","action":"fill","user":{"email":"a@example.com"}}`
	}
	s := wodletest.NewScript().On("POST", "/api/v2/itemusages",
		wodletest.Response{Body: `{"cursor":"c1","has_more":true,"items":[` + rec("A") + `,` + rec("B") + `]}`},
		wodletest.Response{Body: `{"cursor":"c2","has_more":false,"items":[]}`},
		wodletest.Response{Body: `{"has_more":false,"items":[` + rec("C") + `]}`},
		wodletest.Response{Body: `{"cursor":"c3","has_more":false,"items":[` + rec("C") + `]}`},
	)
	for range 3 { // one introspection per run
		s.On("GET", "/api/v2/auth/introspect", wodletest.Response{Body: `{"features":["itemusages"]}`})
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	dir := t.TempDir()
	env := wodletest.Env{"OP_BASE_URL": srv.URL, "OP_STATE_DIR": dir, "OP_LOG_FILE": filepath.Join(dir, "log"),
		"OP_EVENTS_TOKEN": "opaque", "OP_REQUESTS_PER_MINUTE": "-1"}
	run := func() []map[string]any {
		res := wodletest.Run(t, onepassword.New(), env, "--source", "itemusages")
		return wodletest.ParseLines(t, "onepassword", res.Stdout)
	}
	if n := len(wodletest.Records(run())); n != 2 {
		t.Fatalf("run 1: %d records, want 2", n)
	}
	ev := run() // the page without a cursor
	errs := wodletest.Errors(ev)
	if len(errs) != 1 || errs[0]["error_kind"] != "decode" || !strings.Contains(errs[0]["error_message"].(string), `"cursor" is absent`) {
		t.Fatalf("want one decode error about the cursor, got %v", errs)
	}
	if n := len(wodletest.Records(run())); n != 1 {
		t.Fatalf("run 3: want the record C once")
	}
	var bodies []string
	for _, r := range s.Requests() {
		if r.Method == "POST" {
			bodies = append(bodies, string(r.Body))
		}
	}
	want := []string{`"start_time"`, `{"cursor":"c1"}`, `{"cursor":"c2"}`, `{"cursor":"c2"}`}
	for i, w := range want {
		if i >= len(bodies) || !strings.Contains(bodies[i], w) {
			t.Fatalf("request bodies %q, want %q in #%d", bodies, w, i)
		}
	}
}

// The modules of a run come from OP_SOURCES (the settings file), and
// --source (the ossec.conf command line) overrides it; an unknown name is
// a configuration error that names where it came from, for run and check.
func TestSourcesSetting(t *testing.T) {
	cases := []struct {
		name    string
		sources string // OP_SOURCES; "" leaves it unset
		args    []string
		want    []string // modules summarised; nil for a config error
		errHas  string
	}{
		{name: "default is every module", want: []string{"auditevents", "itemusages", "signinattempts"}},
		{name: "setting picks modules", sources: "itemusages, signinattempts", want: []string{"itemusages", "signinattempts"}},
		{name: "flag overrides setting", sources: "itemusages", args: []string{"--source", "auditevents"}, want: []string{"auditevents"}},
		{name: "flag all overrides setting", sources: "itemusages", args: []string{"--source", "all"}, want: []string{"auditevents", "itemusages", "signinattempts"}},
		{name: "unknown in setting", sources: "itemusages,auditlog", errHas: `OP_SOURCES: unknown module "auditlog"`},
		{name: "unknown in flag", args: []string{"--source", "signins"}, errHas: `--source: unknown module "signins"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, testToken, fakeapi.Features(), 3)
			env := r.env
			if tc.sources != "" {
				env = env.With("OP_SOURCES", tc.sources)
			}
			ev, res := r.run(t, env, tc.args...)
			if tc.want == nil {
				errs := wodletest.Errors(ev)
				if res.Code != runner.ExitUsage || len(errs) != 1 || !strings.Contains(errs[0]["error_message"].(string), tc.errHas) {
					t.Fatalf("exit %d, errors %v: want exit %d and one error with %q", res.Code, errs, runner.ExitUsage, tc.errHas)
				}
				chk := wodletest.Run(t, onepassword.New(), env, append([]string{"check"}, tc.args...)...)
				if chk.Code != runner.ExitUsage || !strings.Contains(string(chk.Stdout), tc.errHas) {
					t.Fatalf("check: exit %d, output %s: want exit %d naming %q", chk.Code, chk.Stdout, runner.ExitUsage, tc.errHas)
				}
				return
			}
			var got []string
			for m := range wodletest.Summaries(ev) {
				got = append(got, m)
			}
			slices.Sort(got)
			if res.Code != 0 || !slices.Equal(got, tc.want) {
				t.Fatalf("exit %d, modules %v, want %v", res.Code, got, tc.want)
			}
		})
	}
}
