package fakeapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

func newTest(o Options) *API {
	o.Token, o.Seed, o.Now = "tok", 1, func() time.Time { return testNow }
	if o.Start.IsZero() {
		o.Start, o.Span = testNow.Add(-time.Hour), 30*time.Minute
	}
	return New(o)
}

func get(a *API, target, auth string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	r.Header.Set("Authorization", auth)
	w := httptest.NewRecorder()
	a.ServeHTTP(w, r)
	return w
}

func TestLogs(t *testing.T) {
	tests := []struct {
		name       string
		opts       Options
		target     string
		auth       string
		status     int
		items      int
		bodyHas    string
		linkValues int
	}{
		{"first page with since", Options{Events: 5}, "/api/v1/logs?since=2026-03-01T00:00:00Z&limit=2", "SSWS tok", 200, 2, "", 2},
		{"after an offset", Options{Events: 5}, "/api/v1/logs?after=1700000000004_4&limit=2", "SSWS tok", 200, 1, "", 2},
		{"empty tail still has next", Options{Events: 5}, "/api/v1/logs?after=1700000000005_5&limit=2", "SSWS tok", 200, 0, "", 2},
		{"since after every event", Options{Events: 5}, "/api/v1/logs?since=2026-03-01T23:59:00Z", "SSWS tok", 200, 0, "", 2},
		{"wrong token", Options{Events: 5}, "/api/v1/logs", "SSWS nope", 401, 0, "E0000011", 0},
		{"since and after", Options{Events: 5}, "/api/v1/logs?since=2026-03-01T00:00:00Z&after=1_1", "SSWS tok", 400, 0, "mutually exclusive", 0},
		{"since beyond 180 days", Options{Events: 5}, "/api/v1/logs?since=2025-01-01T00:00:00Z", "SSWS tok", 400, 0, "E0000053", 0},
		{"limit over 1000", Options{Events: 5}, "/api/v1/logs?limit=1001", "SSWS tok", 400, 0, "limit", 0},
		{"no rate limit given: the default applies", Options{Events: 5, RateLimit: -1}, "/api/v1/logs", "SSWS tok", 200, 5, "", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := newTest(tc.opts)
			w := get(a, tc.target, tc.auth)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if tc.bodyHas != "" && !strings.Contains(w.Body.String(), tc.bodyHas) {
				t.Fatalf("body %s lacks %q", w.Body, tc.bodyHas)
			}
			if tc.status != 200 {
				return
			}
			var items []json.RawMessage
			if err := json.Unmarshal(w.Body.Bytes(), &items); err != nil || len(items) != tc.items {
				t.Fatalf("%d items (%v), want %d", len(items), err, tc.items)
			}
			links := strings.Join(w.Header().Values("Link"), ", ")
			if strings.Count(links, "rel=") != tc.linkValues || !strings.Contains(links, `rel="next"`) {
				t.Fatalf("Link %q", links)
			}
			for _, h := range []string{"X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset"} {
				if w.Header().Get(h) == "" {
					t.Fatalf("no %s", h)
				}
			}
		})
	}
}

func TestBothLinkFormsAndRateLimit(t *testing.T) {
	a := newTest(Options{Events: 3, RateLimit: 2})
	forms := map[int]bool{}
	for i := range 3 {
		w := get(a, "/api/v1/logs?limit=1", "SSWS tok")
		if i == 2 {
			if w.Code != 429 || w.Header().Get("X-Rate-Limit-Remaining") != "0" {
				t.Fatalf("third call in the minute: %d %v", w.Code, w.Header())
			}
			continue
		}
		forms[len(w.Header().Values("Link"))] = true
	}
	if !forms[1] || !forms[2] {
		t.Fatalf("Link forms seen %v, want one header and two headers", forms)
	}
}

func TestDeterministic(t *testing.T) {
	a, b := newTest(Options{Events: 30}), newTest(Options{Events: 30})
	for i := range 30 {
		if !bytes.Equal(a.Event(i), b.Event(i)) {
			t.Fatalf("event %d differs between two fakes of one seed", i)
		}
	}
}
