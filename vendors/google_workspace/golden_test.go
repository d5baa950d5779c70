package googleworkspace_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/wodlekit/wodlekit/runtime/wodletest"
	"github.com/wodlekit/wodlekit/vendors/google_workspace"
	"github.com/wodlekit/wodlekit/vendors/google_workspace/fakeapi"
)

// TestGolden pins the emitted lines; rules/google_workspace/tests are built
// from testdata/golden/events.jsonl (write it with go test -run Golden -update).
func TestGolden(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	now := func() time.Time { return start.Add(12 * time.Hour) }
	api := newAPI(fakeapi.Options{Events: 6, Seed: 7, Start: start, Span: 6 * time.Hour, Now: now})
	// The events the rules single out, so that every rule has a line.
	at := start.Add(7 * time.Hour)
	for i := range 5 {
		api.AppendActivity("login", at.Add(time.Duration(i)*time.Second), "login", "login_failure",
			fakeapi.Param{Name: "login_type", Value: "google_password"}, fakeapi.Param{Name: "login_failure_type", Value: "login_failure_invalid_password"})
	}
	api.AppendActivity("login", at.Add(time.Minute), "account_warning", "suspicious_login", fakeapi.Param{Name: "affected_email_address", Value: "bob@example.com"})
	api.AppendActivity("login", at.Add(2*time.Minute), "attack_warning", "gov_attack_warning", fakeapi.Param{Name: "affected_email_address", Value: "carol@example.com"})
	api.AppendActivity("login", at.Add(3*time.Minute), "login", "login_success", fakeapi.BoolParam("is_suspicious", true), fakeapi.Param{Name: "login_type", Value: "google_password"})
	api.AppendActivity("admin", at.Add(4*time.Minute), "USER_SETTINGS", "GRANT_ADMIN_PRIVILEGE", fakeapi.Param{Name: "USER_EMAIL", Value: "dave@example.com"})
	api.AppendActivity("admin", at.Add(5*time.Minute), "DELEGATED_ADMIN_SETTINGS", "ASSIGN_ROLE", fakeapi.Param{Name: "USER_EMAIL", Value: "erin@example.com"}, fakeapi.Param{Name: "ROLE_NAME", Value: "_SEED_ADMIN_ROLE"})
	api.AppendActivity("admin", at.Add(6*time.Minute), "SECURITY_SETTINGS", "AUTHORIZE_API_CLIENT_ACCESS", fakeapi.Param{Name: "API_CLIENT_NAME", Value: "100000000000000000099"}, fakeapi.Param{Name: "API_SCOPES", Multi: []string{"https://mail.google.com/"}})
	api.AppendActivity("admin", at.Add(7*time.Minute), "USER_SETTINGS", "DELETE_USER", fakeapi.Param{Name: "USER_EMAIL", Value: "bob@example.com"})
	api.AppendActivity("token", at.Add(8*time.Minute), "auth", "authorize", fakeapi.Param{Name: "app_name", Value: "Unknown Mail Sync"}, fakeapi.Param{Name: "scope", Multi: []string{"https://mail.google.com/"}})
	api.AppendActivity("drive", at.Add(9*time.Minute), "acl_change", "change_document_visibility", fakeapi.Param{Name: "doc_title", Value: "Payroll 2026.xlsx"}, fakeapi.Param{Name: "new_visibility", Value: "public_on_the_web"}, fakeapi.Param{Name: "visibility", Value: "public_on_the_web"})
	for i := range 3 {
		api.AppendActivity("drive", at.Add(10*time.Minute+time.Duration(i)*time.Second), "access", "download", fakeapi.Param{Name: "doc_title", Value: "Customer list"})
	}
	api.AppendActivity("user_accounts", at.Add(11*time.Minute), "2sv_change", "2sv_disable")
	api.AppendActivity("saml", at.Add(12*time.Minute), "login", "login_failure", fakeapi.Param{Name: "application_name", Value: "Acme HR"}, fakeapi.Param{Name: "failure_type", Value: "failure_app_not_configured_for_user"})
	api.AppendActivity("groups", at.Add(13*time.Minute), "acl_change", "change_acl_permission", fakeapi.Param{Name: "group_email", Value: "all@example.com"})
	// One of every other event a rule or its test names.
	more := []struct {
		app, typ, name string
		params         []fakeapi.Param
	}{
		{"login", "login", "login_challenge", []fakeapi.Param{{Name: "login_challenge_method", Multi: []string{"idv_any_phone"}}, {Name: "login_challenge_status", Value: "Challenge Failed"}}},
		{"login", "login", "login_success", []fakeapi.Param{{Name: "login_type", Value: "google_password"}, fakeapi.BoolParam("is_suspicious", false)}},
		{"admin", "DELEGATED_ADMIN_SETTINGS", "ASSIGN_ROLE", []fakeapi.Param{{Name: "USER_EMAIL", Value: "carol@example.com"}, {Name: "ROLE_NAME", Value: "Help Desk Admin"}}},
		{"admin", "USER_SETTINGS", "CREATE_USER", []fakeapi.Param{{Name: "USER_EMAIL", Value: "frank@example.com"}}},
		{"admin", "USER_SETTINGS", "SUSPEND_USER", []fakeapi.Param{{Name: "USER_EMAIL", Value: "erin@example.com"}}},
		{"admin", "USER_SETTINGS", "CHANGE_PASSWORD", []fakeapi.Param{{Name: "USER_EMAIL", Value: "alice@example.com"}}},
		{"token", "auth", "authorize", []fakeapi.Param{{Name: "app_name", Value: "Acme CRM"}, {Name: "client_id", Value: "1234567890-abc.apps.googleusercontent.com"}, {Name: "scope", Multi: []string{"https://www.googleapis.com/auth/calendar.readonly", "openid"}}}},
		{"token", "auth", "revoke", []fakeapi.Param{{Name: "app_name", Value: "Acme CRM"}}},
		{"saml", "login", "login_success", []fakeapi.Param{{Name: "application_name", Value: "Expense Portal"}}},
		{"drive", "acl_change", "change_document_visibility", []fakeapi.Param{{Name: "doc_title", Value: "Roadmap"}, {Name: "new_visibility", Value: "people_with_link"}}},
		{"drive", "acl_change", "change_user_access", []fakeapi.Param{{Name: "doc_title", Value: "Roadmap"}, {Name: "target_user", Value: "partner@external.example"}}},
		{"drive", "access", "view", []fakeapi.Param{{Name: "doc_title", Value: "Roadmap"}}},
		{"drive", "access", "edit", []fakeapi.Param{{Name: "doc_title", Value: "Roadmap"}}},
		{"user_accounts", "2sv_change", "2sv_enroll", nil},
		{"user_accounts", "password_change", "password_edit", nil},
		{"groups", "user_change", "add_user", []fakeapi.Param{{Name: "group_email", Value: "sales@example.com"}, {Name: "user_email", Value: "bob@example.com"}}},
	}
	for i, m := range more {
		api.AppendActivity(m.app, at.Add(20*time.Minute+time.Duration(i)*time.Second), m.typ, m.name, m.params...)
	}
	srv := httptest.NewServer(api)
	defer srv.Close()
	env := baseEnv(srv.URL, t.TempDir()).With("GWS_LOOKBACK_HOURS", "24")
	// One run per module: modules run concurrently, and their lines
	// would interleave differently from run to run.
	var out []byte
	for _, app := range fakeapi.Apps() {
		res := wodletest.RunAt(t, googleworkspace.New(), env, now, "--source", app)
		if res.Code != 0 {
			t.Fatalf("exit %d: %s", res.Code, res.Stderr)
		}
		if errs := wodletest.Errors(wodletest.ParseLines(t, "google_workspace", res.Stdout)); len(errs) != 0 {
			t.Fatalf("error events: %v", errs)
		}
		out = append(out, res.Stdout...)
	}
	wodletest.Golden(t, "events.jsonl", out, wodletest.Durations, wodletest.Version, wodletest.Since)
}

// TestGoldenErrors pins the error events and summaries the rules single
// out: a delegation refused at the token endpoint, the API not enabled
// (403), Google's quota spent (429 past the retries), a daily quota spent
// (403, not retried), a page off the contract.
func TestGoldenErrors(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	now := func() time.Time { return start.Add(12 * time.Hour) }
	var out []byte
	for _, tc := range []struct {
		refuse, source string
		fault          *wodletest.Fault
	}{
		{fakeapi.RefuseDelegation, "login", nil},
		{fakeapi.RefuseAPIDisabled, "admin", nil},
		{"", "token", &wodletest.Fault{Path: fakeapi.PathPrefix + "token", Status: 429, Body: `{"error":{"code":429,"message":"Quota exceeded for quota metric 'Queries' and limit 'Queries per minute' of service 'admin.googleapis.com'.","errors":[{"reason":"rateLimitExceeded"}],"status":"RESOURCE_EXHAUSTED"}}`}},
		{fakeapi.RefuseDailyLimit, "saml", nil},
		{"", "drive", &wodletest.Fault{Path: fakeapi.PathPrefix + "drive", Status: 200, Body: `{"error":{"code":503,"message":"The service is currently unavailable."}}`}},
	} {
		api := newAPI(fakeapi.Options{Events: 3, Seed: 7, Start: start, Span: 6 * time.Hour, Now: now, Refuse: tc.refuse})
		inj := wodletest.NewFaultInjector(api)
		if tc.fault != nil {
			inj.Push(*tc.fault)
		}
		srv := httptest.NewServer(inj)
		env := baseEnv(srv.URL, t.TempDir()).With("GWS_LOOKBACK_HOURS", "24", "GWS_SOURCES", tc.source, "GWS_RETRY_ATTEMPTS", "1")
		res := wodletest.RunAt(t, googleworkspace.New(), env, now)
		srv.Close()
		if res.Code != 0 || len(wodletest.Errors(wodletest.ParseLines(t, "google_workspace", res.Stdout))) != 1 {
			t.Fatalf("%s: exit %d, want one error event: %s", tc.source, res.Code, res.Stdout)
		}
		out = append(out, res.Stdout...)
	}
	wodletest.Golden(t, "errors.jsonl", out, wodletest.Durations, wodletest.Version, wodletest.Since)
}
