package slack_test

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/wodlekit/wodlekit/runtime/wodletest"
	"github.com/wodlekit/wodlekit/vendors/slack"
	"github.com/wodlekit/wodlekit/vendors/slack/fakeapi"
)

// The golden files are the binary's real output: the rules checker reads
// them to prove every field a rule names is really emitted, and the .ini
// rule tests are built from them.
var goldenNorms = []wodletest.Normaliser{wodletest.Durations, wodletest.Version,
	wodletest.NewNormaliser("local address", `127\.0\.0\.1:[0-9]+`, "127.0.0.1:PORT")}

var goldenStart = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// goldenActions are the actions the rules raise, one entry each, so the
// golden file holds a real line for every rule test.
var goldenActions = []struct{ action, entity string }{
	{"user_login_failed", "user"},
	{"role_change_to_admin", "user"},
	{"role_change_to_owner", "user"},
	{"owner_transferred", "user"},
	{"user_session_invalidated", "user"},
	{"user_session_reset_by_admin", "user"},
	{"manual_export_started", "workspace"},
	{"manual_export_downloaded", "workspace"},
	{"corporate_exports_enabled", "workspace"},
	{"app_installed", "app"},
	{"app_scopes_expanded", "app"},
	{"pref.sso_setting_changed", "enterprise"},
	{"pref.two_factor_auth_changed", "enterprise"},
	{"pref.session_duration_changed", "enterprise"},
	{"anomaly", "user"},
	{"file_public_link_created", "file"},
	{"file_downloaded", "file"},
	{"user_created", "user"},
	{"user_deactivated", "user"},
}

func goldenRun(t *testing.T, o fakeapi.Options, faults ...wodletest.Fault) []byte {
	t.Helper()
	o.Token, o.Seed, o.Start, o.Span = testToken, 7, goldenStart, 6*time.Hour
	api := fakeapi.New(o)
	if o.Refuse == "" {
		for i, a := range goldenActions {
			api.AppendAction(goldenStart.Add(7*time.Hour+time.Duration(i)*time.Minute).Unix(), a.action, a.entity)
		}
	}
	inj := wodletest.NewFaultInjector(api)
	inj.Push(faults...)
	srv := httptest.NewServer(inj)
	defer srv.Close()
	dir := t.TempDir()
	env := wodletest.Env{
		"SLACK_BASE_URL": srv.URL, "SLACK_STATE_DIR": dir, "SLACK_LOG_FILE": filepath.Join(dir, "log"),
		"SLACK_TOKEN": testToken, "SLACK_PAGE_SIZE": "10", "SLACK_LOOKBACK_HOURS": "24",
		"SLACK_REQUESTS_PER_MINUTE": "-1", "SLACK_RETRY_BACKOFF": "1ms",
	}
	res := wodletest.RunAt(t, slack.New(), env, func() time.Time { return goldenStart.Add(12 * time.Hour) })
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	return res.Stdout
}

func TestGoldenEvents(t *testing.T) {
	out := goldenRun(t, fakeapi.Options{Events: 12})
	events := wodletest.ParseLines(t, "slack", out)
	if n := len(wodletest.Records(events)); n != 12+len(goldenActions) {
		t.Fatalf("%d records, want %d", n, 12+len(goldenActions))
	}
	wodletest.Golden(t, "events.jsonl", out, goldenNorms...)
}

func TestGoldenErrors(t *testing.T) {
	// A token without the scope (Slack's HTTP 200 refusal), then a token
	// Slack does not know (HTTP 401): the error events users will see.
	out := goldenRun(t, fakeapi.Options{Refuse: "missing_scope"})
	out = append(out, goldenRun(t, fakeapi.Options{}, wodletest.Fault{Path: fakeapi.Path, Status: http.StatusUnauthorized, Body: `{"ok":false,"error":"invalid_auth"}`})...)
	out = append(out, goldenRun(t, fakeapi.Options{Refuse: "feature_not_enabled"})...)
	events := wodletest.ParseLines(t, "slack", out)
	errs := wodletest.Errors(events)
	if len(errs) != 3 {
		t.Fatalf("want three error events, got %v", errs)
	}
	for _, e := range errs {
		if e["error_kind"] != "auth" {
			t.Fatalf("error kind %v, want auth: %v", e["error_kind"], e)
		}
	}
	wodletest.Golden(t, "errors.jsonl", out, goldenNorms...)
}
