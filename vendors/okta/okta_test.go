package okta_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wodlekit/wodlekit/runtime/state"
	"github.com/wodlekit/wodlekit/runtime/wodletest"
	"github.com/wodlekit/wodlekit/vendors/okta"
	"github.com/wodlekit/wodlekit/vendors/okta/fakeapi"
)

// recorder keeps the URL of every request that reached the fake.
type recorder struct {
	next http.Handler
	mu   sync.Mutex
	urls []string
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.urls = append(r.urls, req.URL.String())
	r.mu.Unlock()
	r.next.ServeHTTP(w, req)
}

func (r *recorder) logURLs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, u := range r.urls {
		if strings.HasPrefix(u, "/api/v1/logs") {
			out = append(out, u)
		}
	}
	return out
}

// rig is one Okta fake behind a fault injector, with the run environment.
type rig struct {
	api    *fakeapi.API
	faults *wodletest.FaultInjector
	rec    *recorder
	srv    *httptest.Server
	env    wodletest.Env
	dir    string
}

func newRig(t *testing.T, o fakeapi.Options, env ...string) *rig {
	t.Helper()
	if o.Start.IsZero() {
		o.Start = time.Now().Add(-2 * time.Hour)
		o.Span = time.Hour
	}
	api := fakeapi.New(o)
	rec := &recorder{next: api}
	faults := wodletest.NewFaultInjector(rec)
	srv := httptest.NewServer(faults)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	e := wodletest.Env{
		"OKTA_BASE_URL": srv.URL, "OKTA_STATE_DIR": dir, "OKTA_LOG_FILE": filepath.Join(dir, "log"),
		"OKTA_PAGE_SIZE": "10", "OKTA_LOOKBACK_HOURS": "24", "OKTA_REQUESTS_PER_MINUTE": "-1",
		"OKTA_RETRY_BACKOFF": "1ms", "OKTA_MAX_RUNTIME": "20s", "OKTA_DEBUG": "2",
	}
	if o.Token != "" {
		e[okta.TokenKey] = o.Token
	}
	return &rig{api: api, faults: faults, rec: rec, srv: srv, env: e.With(env...), dir: dir}
}

func (r *rig) run(t *testing.T, args ...string) ([]map[string]any, wodletest.Result) {
	t.Helper()
	res := wodletest.Run(t, okta.New(), r.env, args...)
	return wodletest.ParseLines(t, "okta", res.Stdout), res
}

func (r *rig) cursor(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(r.dir, "default.state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f state.File
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	var s string
	_ = json.Unmarshal(f.Modules["system"].Cursor, &s)
	return s
}

func ids(events []map[string]any) []string {
	var out []string
	for _, e := range wodletest.Records(events) {
		out = append(out, e["uuid"].(string))
	}
	return out
}

func TestThreePageBacklog(t *testing.T) {
	r := newRig(t, fakeapi.Options{Token: testToken, Events: 20, Seed: 3})
	ev, res := r.run(t)
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	recs := wodletest.Records(ev)
	if len(recs) != 20 || len(wodletest.Errors(ev)) != 0 {
		t.Fatalf("%d records, errors %v", len(recs), wodletest.Errors(ev))
	}
	// Page 1 is served in persistence order, which is not published order:
	// the collector must keep it as is and not sort or drop.
	var published []string
	for _, e := range recs[:10] {
		published = append(published, e["published"].(string))
	}
	if slices.IsSorted(published) {
		t.Fatalf("page 1 is in published order; the fixture proves nothing: %v", published)
	}
	s := wodletest.Summaries(ev)["system"]
	if s["pages"] != json.Number("3") || s["stopped_by"] != "caught_up" || s["cursor_saved"] != true {
		t.Fatalf("summary %v, want 3 pages (the empty tail included) and the cursor saved", s)
	}
	urls := r.rec.logURLs()
	if len(urls) != 3 || !strings.Contains(urls[0], "since=") || strings.Contains(urls[0], "until=") || !strings.Contains(urls[0], "limit=10") {
		t.Fatalf("requests %v: want a since-based polling request, then two next links", urls)
	}
	// The tail page was empty but had a next link: that link is the cursor.
	if c := r.cursor(t); !strings.Contains(c, "after=") || !strings.HasPrefix(c, r.srv.URL) {
		t.Fatalf("cursor %q, want the tail page's next URL", c)
	}
	for _, e := range recs {
		if e["event_type"] != e["eventType"] {
			t.Fatalf("event_type %v differs from eventType %v", e["event_type"], e["eventType"])
		}
	}
}

func TestResumesFromTheSavedNextURL(t *testing.T) {
	r := newRig(t, fakeapi.Options{Token: testToken, Events: 25, Seed: 4})
	ev1, _ := r.run(t, "--source", "system")
	saved := r.cursor(t)
	r.api.Append(7)
	before := len(r.rec.logURLs())
	ev2, _ := r.run(t)
	urls := r.rec.logURLs()[before:]
	if want := strings.TrimPrefix(saved, r.srv.URL); urls[0] != want {
		t.Fatalf("second run asked %q first, want the saved next URL %q verbatim", urls[0], want)
	}
	if strings.Contains(urls[0], "since=") {
		t.Fatal("a restart went back to since")
	}
	all := append(ids(ev1), ids(ev2)...)
	if len(ids(ev2)) != 7 || len(all) != 32 {
		t.Fatalf("runs delivered %d then %d records, want 25 then 7", len(ids(ev1)), len(ids(ev2)))
	}
	seen := map[string]bool{}
	for _, id := range all {
		if seen[id] {
			t.Fatalf("%s delivered twice", id)
		}
		seen[id] = true
	}
}

func TestRateLimit429WaitsForReset(t *testing.T) {
	tests := []struct {
		name       string
		resetIn    time.Duration
		maxRuntime string
		wantErr    string
	}{
		{"reset within the deadline", 2 * time.Second, "20s", ""},
		{"reset past the deadline", 90 * time.Second, "5s", "rate_limit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, fakeapi.Options{Token: testToken, Events: 15, Seed: 5}, "OKTA_MAX_RUNTIME", tc.maxRuntime)
			reset := strconv.FormatInt(time.Now().Add(tc.resetIn).Unix(), 10)
			r.faults.Push(wodletest.Fault{Path: "/api/v1/logs", Status: 429, Body: `{"errorCode":"E0000047","errorSummary":"API call exceeded rate limit due to too many requests."}`,
				Header: http.Header{"X-Rate-Limit-Limit": {"20"}, "X-Rate-Limit-Remaining": {"0"}, "X-Rate-Limit-Reset": {reset}}})
			start := time.Now()
			ev, res := r.run(t)
			if res.Code != 0 {
				t.Fatalf("exit %d", res.Code)
			}
			s := wodletest.Summaries(ev)["system"]
			errs := wodletest.Errors(ev)
			if tc.wantErr == "" {
				if len(errs) != 0 || len(wodletest.Records(ev)) != 15 {
					t.Fatalf("errors %v, %d records", errs, len(wodletest.Records(ev)))
				}
				if waited := time.Since(start); waited < tc.resetIn-time.Second {
					t.Fatalf("the run took %v: it did not wait for X-Rate-Limit-Reset", waited)
				}
				if s["rate_limited"] != json.Number("1") {
					t.Fatalf("summary %v", s)
				}
				return
			}
			if len(errs) != 1 {
				t.Fatalf("want one error, got %v", errs)
			}
			msg, _ := errs[0]["error_message"].(string)
			if errs[0]["error_kind"] != tc.wantErr || !strings.Contains(msg, "deadline") || time.Since(start) > 3*time.Second {
				t.Fatalf("want one %s error at once, got %v after %v", tc.wantErr, errs, time.Since(start))
			}
		})
	}
}

func TestPacesBeforeTheBucketIsEmpty(t *testing.T) {
	// 12 requests a minute: after the first page only one is left
	// (below a tenth, at least one), so the runner pauses until the reset.
	r := newRig(t, fakeapi.Options{Token: testToken, Events: 25, Seed: 6, RateLimit: 2}, "OKTA_MAX_RUNTIME", "4s")
	ev, _ := r.run(t)
	s := wodletest.Summaries(ev)["system"]
	if msg, _ := s["message"].(string); !strings.Contains(msg, "paced") {
		t.Fatalf("summary %v: no pacing reported", s)
	}
	if s["rate_limited"] != json.Number("0") {
		t.Fatalf("a 429 happened although the collector paced: %v", s)
	}
}

func TestOffHostNextLinkRefused(t *testing.T) {
	r := newRig(t, fakeapi.Options{Token: testToken, Events: 15, Seed: 7, LinkHost: "evil.example.com"})
	ev, res := r.run(t)
	if res.Code != 0 {
		t.Fatalf("exit %d", res.Code)
	}
	errs := wodletest.Errors(ev)
	if len(errs) != 1 || !strings.Contains(errs[0]["error_message"].(string), "refusing") {
		t.Fatalf("want one refusal error, got %v", errs)
	}
	if n := len(wodletest.Records(ev)); n != 0 {
		t.Fatalf("%d records emitted from a page whose next link was refused", n)
	}
	if got := len(r.rec.logURLs()); got != 1 {
		t.Fatalf("%d requests: the off-host link was followed", got)
	}
	if _, err := os.Stat(filepath.Join(r.dir, "default.state.json")); err == nil && r.cursor(t) != "" {
		t.Fatal("a cursor was saved")
	}
}

func TestLiteralNullStringsKept(t *testing.T) {
	r := newRig(t, fakeapi.Options{Token: testToken, Seed: 8})
	raw := `{"uuid":"0f0e0d0c-0b0a-1909-8807-060504030201","published":"2026-03-01T00:00:00.000Z","eventType":"security.threat.detected","client":{"zone":"null","ipAddress":"null","device":"null"},"target":null,"outcome":{"result":"DENY","reason":"null"}}`
	r.api.AppendRaw(fakeapi.Module, []byte(raw))
	_, res := r.run(t)
	out := string(res.Stdout)
	for _, want := range []string{`"zone":"null"`, `"ipAddress":"null"`, `"target":null`, `"reason":"null"`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lost %s: %s", want, out)
		}
	}
}

func rsaPEM(t *testing.T) (string, *rsa.PrivateKey) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), k
}

func ecPEM(t *testing.T) (string, *ecdsa.PrivateKey) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})), k
}

func TestOAuthServiceApp(t *testing.T) {
	rsaKey, rk := rsaPEM(t)
	ecKey, ek := ecPEM(t)
	tests := []struct {
		name          string
		key           string
		pub           any
		opts          fakeapi.Options
		env           []string
		wantTokens    int
		wantTokenReqs int
	}{
		{"RS256, DPoP required, token nonce round trip", rsaKey, &rk.PublicKey, fakeapi.Options{RequireDPoP: true}, nil, 1, 2},
		{"ES256, DPoP nonce demanded by the API too", ecKey, &ek.PublicKey, fakeapi.Options{RequireDPoP: true, ResourceNonce: true}, nil, 1, 2},
		{"Bearer token without DPoP", rsaKey, &rk.PublicKey, fakeapi.Options{}, []string{"OKTA_DPOP", "false"}, 1, 1},
		{"token expiring within the renewal margin is renewed for every request", ecKey, &ek.PublicKey, fakeapi.Options{RequireDPoP: true, TokenTTL: 30 * time.Second}, nil, 3, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opts
			o.ClientID, o.PublicKey, o.Events, o.Seed = "0oaTestServiceApp", tc.pub, 20, 9
			env := append([]string{"OKTA_CLIENT_ID", "0oaTestServiceApp", okta.PrivateKeyKey, tc.key}, tc.env...)
			r := newRig(t, o, env...)
			ev, res := r.run(t)
			if res.Code != 0 || len(wodletest.Errors(ev)) != 0 {
				t.Fatalf("exit %d, errors %v", res.Code, wodletest.Errors(ev))
			}
			if n := len(wodletest.Records(ev)); n != 20 {
				t.Fatalf("%d records, want 20", n)
			}
			if got := r.api.TokensIssued(); got != tc.wantTokens {
				t.Errorf("%d tokens issued, want %d", got, tc.wantTokens)
			}
			if got := r.api.Count("/oauth2/v1/token"); got != tc.wantTokenReqs {
				t.Errorf("%d token requests, want %d", got, tc.wantTokenReqs)
			}
			if strings.Contains(string(res.Stdout), "BEGIN") {
				t.Error("the private key reached stdout")
			}
		})
	}
}

func TestAuthConfiguration(t *testing.T) {
	pemKey, _ := ecPEM(t)
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"nothing", nil, "no Okta credentials"},
		{"both kinds", []string{okta.TokenKey, "t0k3n-value", "OKTA_CLIENT_ID", "0oa1"}, "both an API token"},
		{"client id without key", []string{"OKTA_CLIENT_ID", "0oa1"}, "the secret OKTA_PRIVATE_KEY"},
		{"key without client id", []string{okta.PrivateKeyKey, pemKey}, "the setting OKTA_CLIENT_ID"},
		{"token kind without token", []string{"OKTA_AUTH", "token", "OKTA_CLIENT_ID", "0oa1"}, "OKTA_API_TOKEN is not set"},
		{"bad auth value", []string{"OKTA_AUTH", "saml", okta.TokenKey, "t0k3n-value"}, "OKTA_AUTH"},
		{"garbage key", []string{"OKTA_CLIENT_ID", "0oa1", okta.PrivateKeyKey, "not-a-key"}, "neither a PEM private key nor a JWK"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := wodletest.Env{"OKTA_BASE_URL": "https://acme.okta.com", "OKTA_STATE_DIR": t.TempDir()}.With(tc.env...)
			res := wodletest.Run(t, okta.New(), env, "check")
			if res.Code != 2 || !strings.Contains(string(res.Stdout), tc.want) {
				t.Fatalf("exit %d, output %s; want exit 2 saying %q", res.Code, res.Stdout, tc.want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	ecKey, ek := ecPEM(t)
	tests := []struct {
		name   string
		opts   fakeapi.Options
		env    []string
		fault  *wodletest.Fault
		code   int
		output []string
	}{
		{"API token", fakeapi.Options{Token: testToken}, nil, nil, 0, []string{"API token (SSWS)", "System Log readable"}},
		{"OAuth app", fakeapi.Options{ClientID: "0oaCheck", PublicKey: &ek.PublicKey, RequireDPoP: true},
			[]string{"OKTA_CLIENT_ID", "0oaCheck", okta.PrivateKeyKey, ecKey}, nil, 0, []string{"OAuth 2.0 service app 0oaCheck", "DPoP"}},
		{"token lacking a role", fakeapi.Options{Token: testToken}, nil,
			&wodletest.Fault{Path: "/api/v1/logs", Status: 403, Body: `{"errorCode":"E0000006","errorSummary":"You do not have permission to perform the requested action"}`},
			1, []string{"403", "Read-only Administrator"}},
		{"app lacking the scope", fakeapi.Options{ClientID: "0oaCheck", PublicKey: &ek.PublicKey},
			[]string{"OKTA_CLIENT_ID", "0oaCheck", okta.PrivateKeyKey, ecKey},
			&wodletest.Fault{Path: "/api/v1/logs", Status: 403, Body: `{"errorCode":"E0000006","errorSummary":"You do not have permission to perform the requested action"}`},
			1, []string{"403", "okta.logs.read"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Events = 3
			r := newRig(t, tc.opts, tc.env...)
			if tc.fault != nil {
				r.faults.Push(*tc.fault)
			}
			res := wodletest.Run(t, okta.New(), r.env, "check")
			out := string(res.Stdout)
			if res.Code != tc.code {
				t.Fatalf("exit %d, want %d: %s", res.Code, tc.code, out)
			}
			for _, w := range tc.output {
				if !strings.Contains(out, w) {
					t.Errorf("check output does not say %q: %s", w, out)
				}
			}
		})
	}
}

func TestLookbackClampedToRetention(t *testing.T) {
	r := newRig(t, fakeapi.Options{Token: testToken, Events: 1, Seed: 10}, "OKTA_LOOKBACK_HOURS", fmt.Sprint(200*24))
	_, res := r.run(t)
	logs, _ := os.ReadFile(filepath.Join(r.dir, "log"))
	if res.Code != 0 || !strings.Contains(string(logs), "clamped to 2160 hours") {
		t.Fatalf("exit %d; log does not report the clamp: %s", res.Code, logs)
	}
	if u := r.rec.logURLs()[0]; strings.Contains(u, "E0000053") {
		t.Fatal(u)
	}
}
