package onepassword_test

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/wodlekit/wodlekit/runtime/wodletest"
	"github.com/wodlekit/wodlekit/vendors/onepassword"
	"github.com/wodlekit/wodlekit/vendors/onepassword/fakeapi"
)

// The golden files are the binary's real output: the rules checker reads
// them to prove every field a rule names is really emitted, and the .ini
// rule tests are built from them.
var goldenNorms = []wodletest.Normaliser{wodletest.Durations, wodletest.Version,
	wodletest.NewNormaliser("local address", `127\.0\.0\.1:[0-9]+`, "127.0.0.1:PORT")}

func goldenRun(t *testing.T, features []string, faults ...wodletest.Fault) []byte {
	t.Helper()
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	events := map[string]int{}
	for _, f := range fakeapi.Features() {
		events[f] = 12
	}
	api := fakeapi.New(fakeapi.Options{Token: testToken, Features: features, Events: events, Seed: 7, Start: start, Span: 6 * time.Hour})
	inj := wodletest.NewFaultInjector(api)
	inj.Push(faults...)
	srv := httptest.NewServer(inj)
	defer srv.Close()
	dir := t.TempDir()
	env := wodletest.Env{
		"OP_BASE_URL": srv.URL, "OP_STATE_DIR": dir, "OP_LOG_FILE": filepath.Join(dir, "log"),
		"OP_EVENTS_TOKEN": testToken, "OP_PAGE_SIZE": "5", "OP_LOOKBACK_HOURS": "24",
		"OP_REQUESTS_PER_MINUTE": "-1", "OP_RETRY_BACKOFF": "1ms",
	}
	now := func() time.Time { return start.Add(12 * time.Hour) }
	// One module at a time keeps the line order stable.
	var out []byte
	for _, m := range []string{"signinattempts", "itemusages", "auditevents"} {
		res := wodletest.RunAt(t, onepassword.New(), env, now, "--source", m)
		if res.Code != 0 {
			t.Fatalf("exit %d: %s", res.Code, res.Stderr)
		}
		out = append(out, res.Stdout...)
	}
	return out
}

func TestGoldenEvents(t *testing.T) {
	out := goldenRun(t, fakeapi.Features())
	events := wodletest.ParseLines(t, "onepassword", out)
	if n := len(wodletest.Records(events)); n != 36 {
		t.Fatalf("%d records, want 36", n)
	}
	wodletest.Golden(t, "events.jsonl", out, goldenNorms...)
}

func TestGoldenErrors(t *testing.T) {
	// A token without item usages, and an audit call refused: the skipped
	// summary and the auth error event as users will see them.
	out := goldenRun(t, []string{"signinattempts", "auditevents"},
		wodletest.Fault{Path: "/api/v2/auditevents", Status: http.StatusUnauthorized, Body: `{"Error":{"Message":"Unauthorized"}}`})
	events := wodletest.ParseLines(t, "onepassword", out)
	if errs := wodletest.Errors(events); len(errs) != 1 || errs[0]["error_kind"] != "auth" {
		t.Fatalf("want one auth error, got %v", errs)
	}
	if s := wodletest.Summaries(events)["itemusages"]; s["status"] != "skipped" {
		t.Fatalf("itemusages summary %v, want skipped", s)
	}
	wodletest.Golden(t, "errors.jsonl", out, goldenNorms...)
}
