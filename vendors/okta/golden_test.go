package okta_test

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/wodlekit/wodlekit/runtime/wodletest"
	"github.com/wodlekit/wodlekit/vendors/okta"
	"github.com/wodlekit/wodlekit/vendors/okta/fakeapi"
)

// The golden files are the binary's real output: the rules checker reads
// them to prove every field a rule names is really emitted, and the .ini
// rule tests are built from them.
var goldenNorms = []wodletest.Normaliser{wodletest.Durations, wodletest.Since,
	// Only the runtime's own version: Okta records carry "version":"0" too.
	wodletest.NewNormaliser("version", `"instance":"([^"]*)","version":"[^"]*"`, `"instance":"$1","version":"X"`),
	wodletest.NewNormaliser("local address", `127\.0\.0\.1:[0-9]+`, "127.0.0.1:PORT")}

func goldenRun(t *testing.T, faults ...wodletest.Fault) []byte {
	t.Helper()
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	now := func() time.Time { return start.Add(12 * time.Hour) }
	// Two rounds of every kind of event the generator makes.
	api := fakeapi.New(fakeapi.Options{Token: testToken, Events: 2 * len(fakeapi.EventTypes()), Seed: 11, Start: start, Span: 6 * time.Hour, Now: now})
	inj := wodletest.NewFaultInjector(api)
	inj.Push(faults...)
	srv := httptest.NewServer(inj)
	defer srv.Close()
	dir := t.TempDir()
	env := wodletest.Env{
		"OKTA_BASE_URL": srv.URL, "OKTA_STATE_DIR": dir, "OKTA_LOG_FILE": filepath.Join(dir, "log"),
		okta.TokenKey: testToken, "OKTA_PAGE_SIZE": "20", "OKTA_LOOKBACK_HOURS": "24",
		"OKTA_REQUESTS_PER_MINUTE": "-1", "OKTA_RETRY_BACKOFF": "1ms",
	}
	res := wodletest.RunAt(t, okta.New(), env, now)
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	return res.Stdout
}

func TestGoldenEvents(t *testing.T) {
	out := goldenRun(t)
	events := wodletest.ParseLines(t, "okta", out)
	if n := len(wodletest.Records(events)); n != 2*len(fakeapi.EventTypes()) {
		t.Fatalf("%d records, want %d", n, 2*len(fakeapi.EventTypes()))
	}
	wodletest.Golden(t, "events.jsonl", out, goldenNorms...)
}

func TestGoldenErrors(t *testing.T) {
	// The error events users will see: credentials refused, and a request
	// Okta rejects; each with the run summary that follows it.
	tests := []struct {
		file, kind string
		fault      wodletest.Fault
	}{
		{"errors.jsonl", "auth", wodletest.Fault{Path: "/api/v1/logs", Status: http.StatusUnauthorized,
			Body: `{"errorCode":"E0000011","errorSummary":"Invalid token provided","errorLink":"E0000011","errorId":"oaeGoldenTest","errorCauses":[]}`}},
		{"bad_request.jsonl", "http_status", wodletest.Fault{Path: "/api/v1/logs", Status: http.StatusBadRequest,
			Body: `{"errorCode":"E0000053","errorSummary":"Invalid date. 'Since' must be a valid date no earlier than 180 days ago.","errorLink":"E0000053","errorId":"oaeGoldenTest","errorCauses":[]}`}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			out := goldenRun(t, tc.fault)
			events := wodletest.ParseLines(t, "okta", out)
			if errs := wodletest.Errors(events); len(errs) != 1 || errs[0]["error_kind"] != tc.kind {
				t.Fatalf("want one %s error, got %v", tc.kind, errs)
			}
			wodletest.Golden(t, tc.file, out, goldenNorms...)
		})
	}
}
