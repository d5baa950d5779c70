package fakeapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const testToken = "test-token-ok"

var testStart = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func newServer(t *testing.T, o Options) (*API, *httptest.Server) {
	t.Helper()
	if o.Token == "" {
		o.Token = testToken
	}
	if o.Features == nil {
		o.Features = Features()
	}
	if o.Start.IsZero() {
		o.Start = testStart
		o.Span = 24 * time.Hour
	}
	a := New(o)
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	return a, srv
}

type page struct {
	Cursor  string            `json:"cursor"`
	HasMore bool              `json:"has_more"`
	Items   []json.RawMessage `json:"items"`
}

type apiError struct {
	Error struct{ Message string }
}

// call sends one request and returns status and body.
func call(t *testing.T, srv *httptest.Server, method, path, token, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

func getPage(t *testing.T, srv *httptest.Server, feature, body string) page {
	t.Helper()
	status, b := call(t, srv, http.MethodPost, "/api/v2/"+feature, testToken, body)
	if status != http.StatusOK {
		t.Fatalf("POST %s %s: status %d: %s", feature, body, status, b)
	}
	var p page
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("decode page: %v", err)
	}
	return p
}

func cursorBody(c string) string {
	b, _ := json.Marshal(map[string]string{"cursor": c})
	return string(b)
}

// drain follows cursors from a first page until has_more is false and
// returns every uuid seen plus the last cursor.
func drain(t *testing.T, srv *httptest.Server, feature, first string) ([]string, string, int) {
	t.Helper()
	var uuids []string
	body := first
	pages := 0
	for {
		p := getPage(t, srv, feature, body)
		pages++
		for _, it := range p.Items {
			var v struct{ UUID, Timestamp string }
			if err := json.Unmarshal(it, &v); err != nil {
				t.Fatal(err)
			}
			uuids = append(uuids, v.UUID)
		}
		if !p.HasMore {
			return uuids, p.Cursor, pages
		}
		if pages > 10000 {
			t.Fatal("pagination does not end")
		}
		body = cursorBody(p.Cursor)
	}
}

func TestPaginationCoversBacklogOnce(t *testing.T) {
	tests := []struct {
		name    string
		feature string
		events  int
		limit   int
		pages   int
	}{
		{"exact multiple", FeatureSignInAttempts, 300, 100, 3},
		{"remainder", FeatureItemUsages, 250, 100, 3},
		{"one big page", FeatureAuditEvents, 999, 1000, 1},
		{"limit one", FeatureAuditEvents, 5, 1, 5},
		{"empty backlog", FeatureSignInAttempts, 0, 100, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, srv := newServer(t, Options{Seed: 3, Events: map[string]int{tt.feature: tt.events}})
			first := `{"limit":` + itoa(tt.limit) + `,"start_time":"2026-02-01T00:00:00Z"}`
			uuids, _, pages := drain(t, srv, tt.feature, first)
			if len(uuids) != tt.events {
				t.Fatalf("got %d events, want %d", len(uuids), tt.events)
			}
			if pages != tt.pages {
				t.Errorf("got %d pages, want %d", pages, tt.pages)
			}
			seen := map[string]bool{}
			for i, u := range uuids {
				if seen[u] {
					t.Fatalf("duplicate uuid %s", u)
				}
				seen[u] = true
				var want struct{ UUID string }
				_ = json.Unmarshal(a.Event(tt.feature, i), &want)
				if want.UUID != u {
					t.Fatalf("event %d out of order", i)
				}
			}
			if got := a.Count("/api/v2/" + tt.feature); got != pages {
				t.Errorf("Requests = %d, want %d", got, pages)
			}
		})
	}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func TestItemsInTimeOrderAndStartTime(t *testing.T) {
	a, srv := newServer(t, Options{Seed: 9, Events: map[string]int{FeatureAuditEvents: 400}})
	// Events are spread over 24 h; asking from the 12th hour must return the
	// second half only, first event at or after start_time.
	start := testStart.Add(12 * time.Hour)
	p := getPage(t, srv, FeatureAuditEvents, `{"limit":1000,"start_time":"`+start.Format(time.RFC3339)+`"}`)
	if len(p.Items) < 150 || len(p.Items) > 250 {
		t.Fatalf("got %d items from the middle, want about 200", len(p.Items))
	}
	prev := start
	for _, it := range p.Items {
		var v struct{ Timestamp string }
		_ = json.Unmarshal(it, &v)
		ts, err := time.Parse(time.RFC3339Nano, v.Timestamp)
		if err != nil {
			t.Fatalf("timestamp %q: %v", v.Timestamp, err)
		}
		if ts.Before(prev) {
			t.Fatalf("timestamp %s before %s", ts, prev)
		}
		prev = ts
	}
	if n := a.Len(FeatureAuditEvents); n != 400 {
		t.Fatalf("Len = %d", n)
	}
}

func TestEndTimeBoundsTheCursor(t *testing.T) {
	_, srv := newServer(t, Options{Seed: 5, Events: map[string]int{FeatureSignInAttempts: 100}})
	end := testStart.Add(12 * time.Hour).Format(time.RFC3339)
	uuids, _, _ := drain(t, srv, FeatureSignInAttempts, `{"limit":10,"start_time":"2026-03-01T00:00:00Z","end_time":"`+end+`"}`)
	if len(uuids) < 40 || len(uuids) > 60 {
		t.Fatalf("got %d events before end_time, want about 50", len(uuids))
	}
}

func TestDefaultStartTimeIsOneHourBeforeNow(t *testing.T) {
	now := testStart.Add(24 * time.Hour)
	_, srv := newServer(t, Options{Seed: 5, Events: map[string]int{FeatureSignInAttempts: 240}, Now: func() time.Time { return now }})
	p := getPage(t, srv, FeatureSignInAttempts, `{"limit":1000}`)
	// 240 events over 24 h: about 10 in the last hour.
	if len(p.Items) < 8 || len(p.Items) > 12 {
		t.Fatalf("got %d items in the default window, want about 10", len(p.Items))
	}
}

func TestEmptyLastPageAppendAndResume(t *testing.T) {
	a, srv := newServer(t, Options{Seed: 4, Events: map[string]int{FeatureItemUsages: 120}})
	uuids, cursor, _ := drain(t, srv, FeatureItemUsages, `{"limit":50,"start_time":"2026-02-01T00:00:00Z"}`)
	if len(uuids) != 120 {
		t.Fatalf("first run got %d", len(uuids))
	}
	// Caught up: the saved cursor yields an empty page and a cursor that
	// still resumes at the same place.
	empty := getPage(t, srv, FeatureItemUsages, cursorBody(cursor))
	if len(empty.Items) != 0 || empty.HasMore || empty.Cursor == "" {
		t.Fatalf("caught-up page = %d items, has_more %v, cursor %q", len(empty.Items), empty.HasMore, empty.Cursor)
	}
	a.AppendTo(FeatureItemUsages, 7)
	got, _, _ := drain(t, srv, FeatureItemUsages, cursorBody(empty.Cursor))
	if len(got) != 7 {
		t.Fatalf("after Append got %d events, want 7", len(got))
	}
	for i, u := range got {
		var want struct{ UUID string }
		_ = json.Unmarshal(a.Event(FeatureItemUsages, 120+i), &want)
		if u != want.UUID {
			t.Fatalf("resumed event %d is %s, want %s", i, u, want.UUID)
		}
	}
}

func TestDeterministic(t *testing.T) {
	o := Options{Seed: 42, Start: testStart, Span: time.Hour, Events: map[string]int{FeatureSignInAttempts: 50, FeatureItemUsages: 50, FeatureAuditEvents: 50}}
	a, b := New(o), New(o)
	o.Seed = 43
	c := New(o)
	for _, f := range Features() {
		for i := range 50 {
			if !bytes.Equal(a.Event(f, i), b.Event(f, i)) {
				t.Fatalf("%s %d differs for the same seed", f, i)
			}
		}
		if bytes.Equal(a.Event(f, 0), c.Event(f, 0)) {
			t.Fatalf("%s: another seed gives the same event", f)
		}
	}
}

func TestErrors(t *testing.T) {
	_, srv := newServer(t, Options{Seed: 1, Features: []string{FeatureSignInAttempts}, Events: map[string]int{FeatureSignInAttempts: 10, FeatureItemUsages: 10}})
	otherCursor := Cursor{Feature: FeatureItemUsages, Limit: 10}.Encode()
	tests := []struct {
		name    string
		method  string
		path    string
		token   string
		body    string
		status  int
		message string
	}{
		{"no token", "POST", "/api/v2/signinattempts", "", `{}`, 401, "Unauthorized"},
		{"bad token", "POST", "/api/v2/signinattempts", "nope", `{}`, 401, "Unauthorized"},
		{"bad token introspect", "GET", "/api/v2/auth/introspect", "nope", ``, 401, "Unauthorized"},
		{"missing feature", "POST", "/api/v2/itemusages", testToken, `{}`, 401, "itemusages"},
		{"missing feature audit", "POST", "/api/v2/auditevents", testToken, `{}`, 401, "auditevents"},
		{"limit zero", "POST", "/api/v2/signinattempts", testToken, `{"limit":0}`, 400, "limit"},
		{"limit too big", "POST", "/api/v2/signinattempts", testToken, `{"limit":1001}`, 400, "limit"},
		{"limit not a number", "POST", "/api/v2/signinattempts", testToken, `{"limit":"10"}`, 400, "invalid request body"},
		{"both forms", "POST", "/api/v2/signinattempts", testToken, `{"cursor":"abc","limit":10}`, 400, "not both"},
		{"bad start_time", "POST", "/api/v2/signinattempts", testToken, `{"start_time":"yesterday"}`, 400, "start_time"},
		{"end before start", "POST", "/api/v2/signinattempts", testToken, `{"start_time":"2026-03-02T00:00:00Z","end_time":"2026-03-01T00:00:00Z"}`, 400, "end_time"},
		{"garbage cursor", "POST", "/api/v2/signinattempts", testToken, `{"cursor":"!!!"}`, 400, "invalid cursor"},
		{"empty cursor", "POST", "/api/v2/signinattempts", testToken, `{"cursor":""}`, 400, "invalid cursor"},
		{"cursor of another feature", "POST", "/api/v2/signinattempts", testToken, cursorBody(otherCursor), 400, "another endpoint"},
		{"not json", "POST", "/api/v2/signinattempts", testToken, `limit=10`, 400, "invalid request body"},
		{"empty body", "POST", "/api/v2/signinattempts", testToken, ``, 400, "invalid request body"},
		{"unknown key", "POST", "/api/v2/signinattempts", testToken, `{"start-time":"2026-03-01T00:00:00Z"}`, 400, "invalid request body"},
		{"trailing data", "POST", "/api/v2/signinattempts", testToken, `{"limit":5} {"limit":6}`, 400, "trailing"},
		{"wrong method", "GET", "/api/v2/signinattempts", testToken, ``, 405, "method"},
		{"v1 path", "POST", "/api/v1/signinattempts", testToken, `{}`, 404, "not found"},
		{"unknown path", "POST", "/api/v2/everything", testToken, `{}`, 404, "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := call(t, srv, tt.method, tt.path, tt.token, tt.body)
			if status != tt.status {
				t.Fatalf("status %d, want %d (%s)", status, tt.status, body)
			}
			var e apiError
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("error body %q: %v", body, err)
			}
			if !strings.Contains(e.Error.Message, tt.message) {
				t.Fatalf("message %q does not mention %q", e.Error.Message, tt.message)
			}
		})
	}
}

func TestMissingFeatureStatus(t *testing.T) {
	_, srv := newServer(t, Options{Features: []string{FeatureAuditEvents}, MissingFeatureStatus: http.StatusForbidden})
	if status, body := call(t, srv, "POST", "/api/v2/signinattempts", testToken, `{}`); status != http.StatusForbidden {
		t.Fatalf("status %d (%s)", status, body)
	}
}

func TestIntrospect(t *testing.T) {
	tests := []struct {
		name     string
		features []string
	}{
		{"all", Features()},
		{"one", []string{FeatureAuditEvents}},
		{"none", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := newServer(t, Options{Seed: 2, Features: tt.features})
			status, body := call(t, srv, http.MethodGet, "/api/v2/auth/introspect", testToken, "")
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, body)
			}
			var v struct {
				UUID        string   `json:"uuid"`
				IssuedAt    string   `json:"issued_at"`
				Features    []string `json:"features"`
				AccountUUID string   `json:"account_uuid"`
			}
			if err := json.Unmarshal(body, &v); err != nil {
				t.Fatal(err)
			}
			if len(v.UUID) != 26 || v.AccountUUID != accountUUID {
				t.Errorf("uuid %q account %q", v.UUID, v.AccountUUID)
			}
			if _, err := time.Parse(time.RFC3339, v.IssuedAt); err != nil {
				t.Errorf("issued_at %q: %v", v.IssuedAt, err)
			}
			if strings.Join(v.Features, ",") != strings.Join(tt.features, ",") {
				t.Errorf("features %v, want %v", v.Features, tt.features)
			}
			if !bytes.Contains(body, []byte(`"features":[`)) {
				t.Errorf("features must be an array, even empty: %s", body)
			}
		})
	}
}

func TestCursorRoundTrip(t *testing.T) {
	tests := []Cursor{
		{Feature: FeatureAuditEvents, Offset: 0, Limit: 1},
		{Feature: FeatureItemUsages, Offset: 12345, Limit: 1000, End: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC).UnixNano()},
	}
	for _, c := range tests {
		got, err := DecodeCursor(c.Encode())
		if err != nil || got != c {
			t.Errorf("round trip of %+v = %+v, %v", c, got, err)
		}
	}
}
