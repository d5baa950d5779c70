package wodletest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestScript(t *testing.T) {
	s := NewScript().
		On("GET", "/logs",
			Response{Body: `[1]`, Header: http.Header{"Link": {`<http://x/logs?after=1>; rel="next"`}}},
			Response{Status: 429, Header: http.Header{"Retry-After": {"1"}}},
			Response{Body: `[]`}).
		On("POST", "/token", Response{Status: 400, Body: `{"error":"use_dpop_nonce"}`})
	srv := httptest.NewServer(s)
	defer srv.Close()
	cases := []struct {
		method, path string
		status       int
		body, link   string
	}{
		{"GET", "/logs?since=x", 200, "[1]", `<http://x/logs?after=1>; rel="next"`},
		{"POST", "/token", 400, `{"error":"use_dpop_nonce"}`, ""},
		{"GET", "/logs?after=1", 429, "", ""},
		{"GET", "/logs?after=1", 200, "[]", ""},
		{"GET", "/logs", 599, "no answer left for GET /logs", ""},
	}
	for i, tc := range cases {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.body) || resp.Header.Get("Link") != tc.link {
			t.Errorf("request %d: %d %q link %q, want %d %q link %q", i, resp.StatusCode, body, resp.Header.Get("Link"), tc.status, tc.body, tc.link)
		}
	}
	if s.Left() != 0 || len(s.Requests()) != len(cases) {
		t.Fatalf("left %d, requests %d", s.Left(), len(s.Requests()))
	}
	if q := s.Requests()[0].URL.RawQuery; q != "since=x" {
		t.Fatalf("first request query %q", q)
	}
}
