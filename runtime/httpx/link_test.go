package httpx

import (
	"net/http"
	"strings"
	"testing"
)

func TestNextLink(t *testing.T) {
	const next = "https://acme.okta.com/api/v1/logs?after=1700000000000_1&limit=1000"
	tests := []struct {
		name   string
		values []string
		want   string
	}{
		{"separate headers", []string{`<https://acme.okta.com/api/v1/logs?since=x>; rel="self"`, `<` + next + `>; rel="next"`}, next},
		{"one header, comma separated", []string{`<https://acme.okta.com/api/v1/logs?since=x>; rel="self", <` + next + `>; rel="next"`}, next},
		{"next first", []string{`<` + next + `>; rel="next", <https://acme.okta.com/self>; rel="self"`}, next},
		{"unquoted rel, odd spacing and case", []string{`<` + next + `>;REL=Next`}, next},
		{"rel list", []string{`<` + next + `>; rel="prev next"`}, next},
		{"comma inside the URL", []string{`<https://acme.okta.com/self?filter=a,b>; rel="self", <` + next + `>; rel="next"`}, next},
		{"other parameters first", []string{`<` + next + `>; title="a, b; c"; rel="next"`}, next},
		{"broken self does not hide next", []string{`<https://acme.okta.com/self; rel="self"`, `<` + next + `>; rel="next"`}, next},
		{"only self", []string{`<https://acme.okta.com/self>; rel="self"`}, ""},
		{"no header", nil, ""},
		{"garbage", []string{`rel="next"`, `<>; rel="next"`}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tc.values {
				h.Add("Link", v)
			}
			got, ok := NextLink(h)
			if got != tc.want || ok != (tc.want != "") {
				t.Fatalf("NextLink = %q, %v; want %q", got, ok, tc.want)
			}
		})
	}
}

// FuzzParseLinks checks that no header value crashes the parser or makes
// it loop, and that every link it returns came from between < and >.
func FuzzParseLinks(f *testing.F) {
	for _, s := range []string{
		``, `<a>; rel="next"`, `<a>; rel="self", <b>; rel="next"`, `<a>;rel=next,<b>`, `<a`, `>`, `<a>; rel="x\"y"`,
		`<a>; rel="unterminated`, `<a>;;;, ,<b>; rel`, `<a>; title="<b>; rel=next"`, `<<a>>; rel=next`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		for _, l := range ParseLinks(v) {
			if l.URL == "" || strings.Contains(l.URL, ">") {
				t.Fatalf("link %q is empty or runs past its closing angle bracket in %q", l.URL, v)
			}
			if !strings.Contains(v, l.URL) {
				t.Fatalf("link %q is not in %q", l.URL, v)
			}
		}
	})
}
