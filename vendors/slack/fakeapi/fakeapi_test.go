package fakeapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"
)

var testNow = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

func newTestAPI(o Options) *API {
	o.Token, o.Seed, o.Now = "xoxp-test", 1, func() time.Time { return testNow }
	if o.Start.IsZero() {
		o.Start, o.Span = testNow.Add(-2*time.Hour), time.Hour
	}
	return New(o)
}

type answer struct {
	status  int
	header  http.Header
	OK      *bool             `json:"ok"`
	Error   string            `json:"error"`
	Entries []json.RawMessage `json:"entries"`
	Meta    struct {
		Next string `json:"next_cursor"`
	} `json:"response_metadata"`
}

func get(t *testing.T, a *API, token string, q url.Values) answer {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, Path+"?"+q.Encode(), nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	a.ServeHTTP(w, r)
	var out answer
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatalf("answer %q: %v", w.Body.Bytes(), err)
	}
	out.status, out.header = w.Code, w.Header()
	return out
}

type head struct {
	ID   string `json:"id"`
	Date int64  `json:"date_create"`
}

// Newest first, every entry once across the pages of a cursor, each page
// asked with the same bounds.
func TestPagesNewestFirst(t *testing.T) {
	a := newTestAPI(Options{Events: 25, SameSecond: 3})
	q := url.Values{"oldest": {"0"}, "latest": {"9999999999"}, "limit": {"4"}}
	seen := map[string]bool{}
	var last head
	for page := 0; ; page++ {
		ans := get(t, a, "xoxp-test", q)
		if ans.status != http.StatusOK || len(ans.Entries) == 0 {
			t.Fatalf("page %d: status %d, %d entries", page, ans.status, len(ans.Entries))
		}
		for _, raw := range ans.Entries {
			var h head
			if err := json.Unmarshal(raw, &h); err != nil {
				t.Fatal(err)
			}
			if seen[h.ID] {
				t.Fatalf("entry %s served twice", h.ID)
			}
			if last.ID != "" && (h.Date > last.Date || h.Date == last.Date && h.ID > last.ID) {
				t.Fatalf("entry %+v after %+v: not newest first", h, last)
			}
			seen[h.ID], last = true, h
		}
		if ans.Meta.Next == "" {
			break
		}
		q.Set("cursor", ans.Meta.Next)
	}
	if len(seen) != 25 {
		t.Fatalf("%d entries served, want 25", len(seen))
	}
}

// Slack's cursor does not carry the range: a next page asked without
// oldest goes on past it, which is why the collector repeats it.
func TestCursorForgetsOldest(t *testing.T) {
	a := newTestAPI(Options{Events: 20})
	mid := a.entries.Entry(10).At.Unix()
	q := url.Values{"oldest": {itoa(mid)}, "limit": {"5"}}
	first := get(t, a, "xoxp-test", q)
	withOldest := get(t, a, "xoxp-test", url.Values{"oldest": {itoa(mid)}, "limit": {"5"}, "cursor": {first.Meta.Next}})
	without := get(t, a, "xoxp-test", url.Values{"limit": {"50"}, "cursor": {first.Meta.Next}})
	if len(withOldest.Entries) != 5 || withOldest.Meta.Next != "" {
		t.Fatalf("with oldest: %d entries, next %q; want the last 5 of the range", len(withOldest.Entries), withOldest.Meta.Next)
	}
	if len(without.Entries) != 15 {
		t.Fatalf("without oldest: %d entries, want every older entry (15)", len(without.Entries))
	}
}

func TestRefusals(t *testing.T) {
	a := newTestAPI(Options{Events: 1})
	for _, tt := range []struct {
		token  string
		status int
		code   string
	}{{"", 401, "not_authed"}, {"xoxp-other", 401, "invalid_auth"}} {
		ans := get(t, a, tt.token, url.Values{})
		if ans.status != tt.status || ans.OK == nil || *ans.OK || ans.Error != tt.code {
			t.Errorf("token %q: %d %+v, want %d %s", tt.token, ans.status, ans, tt.status, tt.code)
		}
	}
	b := newTestAPI(Options{Events: 1, Refuse: "missing_scope"})
	if ans := get(t, b, "xoxp-test", url.Values{}); ans.status != 200 || ans.Error != "missing_scope" {
		t.Errorf("refusing fake: %d %+v", ans.status, ans)
	}
	if ans := get(t, a, "xoxp-test", url.Values{"cursor": {"%%%"}}); ans.Error != "invalid_cursor" {
		t.Errorf("bad cursor: %+v", ans)
	}
}

func TestRateLimit(t *testing.T) {
	a := newTestAPI(Options{Events: 1, RequestsPerMinute: 2})
	for i := range 2 {
		if ans := get(t, a, "xoxp-test", url.Values{}); ans.status != 200 {
			t.Fatalf("request %d: %d", i+1, ans.status)
		}
	}
	ans := get(t, a, "xoxp-test", url.Values{})
	if ans.status != http.StatusTooManyRequests || ans.Error != "ratelimited" || ans.header.Get("Retry-After") != "30" {
		t.Fatalf("third request: %d %s Retry-After %q", ans.status, ans.Error, ans.header.Get("Retry-After"))
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
