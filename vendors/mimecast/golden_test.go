package mimecast_test

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/wodlekit/wodlekit/runtime/wodletest"
	"github.com/wodlekit/wodlekit/vendors/mimecast"
	"github.com/wodlekit/wodlekit/vendors/mimecast/fakeapi"
)

// The golden files are the binary's real output: the rules checker reads
// them to prove every field a rule names is really emitted, and the .ini
// rule tests are built from them.
var goldenNorms = []wodletest.Normaliser{wodletest.Durations, wodletest.Version,
	wodletest.NewNormaliser("local address", `127\.0\.0\.1:[0-9]+`, "127.0.0.1:PORT"),
	wodletest.NewNormaliser("URL signature", `X-Amz-Signature=[0-9a-f]+`, "X-Amz-Signature=SIG")}

var goldenStart = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// goldenSIEM are the events the rules raise, one each, so that the golden
// file holds a real line for every rule test.
var goldenSIEM = []struct {
	typ string
	kv  []any
}{
	{"receipt", []any{"action", "Rej", "subtype", "Rej", "rejectionType", "Sender Blocked", "rejectionCode", "550"}},
	{"process", []any{"action", "Hld", "subtype", "Hld", "holdReason", "Att"}},
	{"delivery", []any{"delivered", "false", "subtype", "Failed", "rejectionCode", "451", "rejectionInfo", "4.7.1 Try again later"}},
	{"av", nil},
	{"spam", nil},
	{"internal email protect", []any{"scanResults", "malicious", "urlCategory", "Phishing & Fraud"}},
	{"impersonation protect", []any{"action", "Hold", "taggedMalicious", "true", "similarInternalDomain", "true", "customNameMatch", "true", "senderEnvelope", "ceo@examp1e.com"}},
	{"url protect", []any{"scanResult", "malicious", "action", "Block", "url", "https://login-example.top/verify"}},
	{"url protect", []any{"scanResult", "malicious", "action", "Allow", "userOverride", "Continue", "url", "https://login-example.top/verify"}},
	{"attachment protect", []any{"result", "malicious", "action", "Quarantine", "fileName", "invoice.xlsm", "fileExtension", "xlsm"}},
	{"journal", nil},
	// And the ordinary verdicts, which the rules leave at level 3.
	{"receipt", []any{"action", "Acc", "subtype", "Acc"}},
	{"process", []any{"action", "Acc", "subtype", "Acc"}},
	{"delivery", []any{"delivered", "true", "subtype", "Delivery"}},
	{"url protect", []any{"scanResult", "clean", "action", "Allow", "url", "https://docs.example.com/q3"}},
	{"internal email protect", []any{"scanResults", "clean", "urlCategory", "Business"}},
}

func goldenRun(t *testing.T, o fakeapi.Options, extra []string, faults ...wodletest.Fault) []byte {
	t.Helper()
	now := goldenStart.Add(12 * time.Hour)
	o.Seed, o.Start, o.Span, o.FileEvents, o.Now = 7, goldenStart, 6*time.Hour, 4, func() time.Time { return now }
	if o.ClientID == "" {
		o.ClientID, o.ClientSecret = testClientID, testClientSecret
	}
	api := fakeapi.New(o)
	for i, g := range goldenSIEM {
		api.AppendSIEMWith(g.typ, goldenStart.Add(7*time.Hour+time.Duration(i)*time.Minute), g.kv...)
	}
	// A line of a SIEM file that is not an event.
	api.AppendSIEMLine("receipt", []byte(`{"type":"receipt","processingId":"cut-short`))
	for i := range 7 {
		api.AppendAudit(goldenStart.Add(8*time.Hour+time.Duration(i)*time.Minute), i)
	}
	inj := wodletest.NewFaultInjector(api)
	inj.Push(faults...)
	srv := httptest.NewServer(inj)
	defer srv.Close()
	dir := t.TempDir()
	env := wodletest.Env{
		"MIMECAST_BASE_URL": srv.URL, "MIMECAST_STATE_DIR": dir, "MIMECAST_LOG_FILE": filepath.Join(dir, "log"),
		mimecast.ClientIDKey: testClientID, mimecast.ClientSecretKey: testClientSecret,
		"MIMECAST_PAGE_SIZE": "10", "MIMECAST_LOOKBACK_HOURS": "24",
		"MIMECAST_REQUESTS_PER_MINUTE": "-1", "MIMECAST_RETRY_BACKOFF": "1ms",
	}.With(extra...)
	res := wodletest.RunAt(t, mimecast.New(), env, func() time.Time { return now })
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	return res.Stdout
}

func TestGoldenEvents(t *testing.T) {
	// One module per run: the modules of a run write concurrently.
	out := goldenRun(t, fakeapi.Options{Events: 12}, []string{"MIMECAST_SOURCES", "siem"})
	out = append(out, goldenRun(t, fakeapi.Options{Events: 12}, []string{"MIMECAST_SOURCES", "audit"})...)
	events := wodletest.ParseLines(t, "mimecast", out)
	if errs := wodletest.Errors(events); len(errs) != 0 {
		t.Fatalf("error events: %v", errs)
	}
	if n := len(wodletest.Records(events)); n != 2*12+len(goldenSIEM)+8 {
		t.Fatalf("%d records, want %d", n, 2*12+len(goldenSIEM)+8)
	}
	wodletest.Golden(t, "events.jsonl", out, goldenNorms...)
}

func TestGoldenErrors(t *testing.T) {
	// Wrong client credentials (both modules), an application without the
	// SIEM product (HTTP 403 app_forbidden), and a fail array in a 200.
	out := goldenRun(t, fakeapi.Options{ClientID: testClientID, ClientSecret: "another-secret"}, []string{"MIMECAST_SOURCES", "siem"})
	out = append(out, goldenRun(t, fakeapi.Options{ClientID: testClientID, ClientSecret: "another-secret"}, []string{"MIMECAST_SOURCES", "audit"})...)
	out = append(out, goldenRun(t, fakeapi.Options{}, []string{"MIMECAST_SOURCES", "siem"},
		wodletest.Fault{Path: fakeapi.BatchPath, Status: http.StatusForbidden, Header: http.Header{"Content-Type": {"application/json"}},
			Body: `{"fail":[{"code":"app_forbidden","message":"Forbidden to perform the requested operation"}]}`})...)
	out = append(out, goldenRun(t, fakeapi.Options{}, []string{"MIMECAST_SOURCES", "audit"},
		wodletest.Fault{Path: fakeapi.AuditPath, Status: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
			Body: `{"meta":{"status":200},"data":[],"fail":[{"errors":[{"code":"err_xdk_client_update_required","message":"Client update required","retryable":false}]}]}`})...)
	// A file URL that keeps expiring: three listings, then the page fails.
	expired := wodletest.Fault{Path: fakeapi.FilePrefix + "receipt/0.json.gz", Status: http.StatusForbidden, Header: http.Header{"Content-Type": {"application/xml"}},
		Body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>`}
	out = append(out, goldenRun(t, fakeapi.Options{Events: 12}, []string{"MIMECAST_SOURCES", "siem"}, expired, expired, expired)...)
	events := wodletest.ParseLines(t, "mimecast", out)
	if errs := wodletest.Errors(events); len(errs) != 5 {
		t.Fatalf("want five error events, got %v", errs)
	}
	wodletest.Golden(t, "errors.jsonl", out, goldenNorms...)
}
