package fakeapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The fake behaves as the collector's tests assume: tokens expire on its
// clock, file URLs refuse a second credential, a forged signature and
// their own expiry, and a caught-up page still carries a @nextPage.
func TestFakeAPI(t *testing.T) {
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	api := New(Options{ClientID: "id", ClientSecret: "secret", Events: 30, Seed: 1, Start: now.Add(-time.Hour), Span: 30 * time.Minute,
		TokenTTL: time.Minute, URLTTL: 10 * time.Minute, Now: func() time.Time { return now }})
	srv := httptest.NewServer(api)
	defer srv.Close()
	do := func(method, u, auth string, form url.Values) (*http.Response, map[string]any) {
		t.Helper()
		var body *strings.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		} else {
			body = strings.NewReader("")
		}
		req, _ := http.NewRequest(method, u, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		var v map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&v)
		return resp, v
	}
	if resp, _ := do("POST", srv.URL+TokenPath, "", url.Values{"grant_type": {"client_credentials"}, "client_id": {"id"}, "client_secret": {"nope"}}); resp.StatusCode != 401 {
		t.Fatalf("wrong secret: %d", resp.StatusCode)
	}
	_, tok := do("POST", srv.URL+TokenPath, "", url.Values{"grant_type": {"client_credentials"}, "client_id": {"id"}, "client_secret": {"secret"}})
	bearer := "Bearer " + tok["access_token"].(string)
	resp, page := do("GET", srv.URL+BatchPath+"?type=receipt&pageSize=100&dateRangeStartsAt=2026-03-02", bearer, nil)
	if resp.StatusCode != 200 || page["isCaughtUp"] != true || page["@nextPage"] == "" || resp.Header.Get("X-RateLimit-Limit") == "" {
		t.Fatalf("listing: %d %v %v", resp.StatusCode, page, resp.Header)
	}
	files := page["value"].([]any)
	if len(files) == 0 {
		t.Fatal("no receipt files in the backlog")
	}
	file := files[0].(map[string]any)["url"].(string)
	if resp, _ := do("GET", file, bearer, nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("file with Authorization: %d, want 400", resp.StatusCode)
	}
	if resp, _ := do("GET", strings.Replace(file, "X-Amz-Signature=", "X-Amz-Signature=0", 1), "", nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("forged signature: %d, want 403", resp.StatusCode)
	}
	if resp, _ := do("GET", file, "", nil); resp.StatusCode != 200 {
		t.Errorf("file: %d", resp.StatusCode)
	}
	now = now.Add(11 * time.Minute)
	if resp, _ := do("GET", file, "", nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("expired URL: %d, want 403", resp.StatusCode)
	}
	if resp, _ := do("GET", srv.URL+BatchPath+"?type=receipt&dateRangeStartsAt=2026-03-02", bearer, nil); resp.StatusCode != 401 {
		t.Errorf("expired token: %d, want 401", resp.StatusCode)
	}
}
