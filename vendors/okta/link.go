package okta

import (
	"net/http"
	"strings"
)

// nextLink returns the URL of the rel="next" link among every Link header
// value of h. Okta sends either several Link headers (self, next) or one
// with comma-separated values; both must be read.
func nextLink(h http.Header) (string, bool) {
	for _, v := range h.Values("Link") {
		for _, l := range parseLinks(v) {
			for _, rel := range strings.Fields(l.rel) {
				if strings.EqualFold(rel, "next") {
					return l.url, true
				}
			}
		}
	}
	return "", false
}

// link is one link-value of an RFC 8288 Link header: its target and its
// rel parameter (a space-separated list).
type link struct {
	url string
	rel string
}

// parseLinks reads one Link header value. URLs are delimited by <>, so a
// comma inside a URL (Okta's filter expressions can hold one) does not
// split a link; parameters are name=token or name="quoted string".
// Malformed parts are skipped: a broken self link must not hide next.
func parseLinks(v string) []link {
	var out []link
	for {
		start := strings.IndexByte(v, '<')
		if start < 0 {
			return out
		}
		end := strings.IndexByte(v[start+1:], '>')
		if end < 0 {
			return out
		}
		l := link{url: strings.TrimSpace(v[start+1 : start+1+end])}
		v = v[start+1+end+1:]
		// Parameters run until the comma that ends this link-value, which
		// may not be inside a quoted string.
		for {
			v = strings.TrimLeft(v, " \t")
			if !strings.HasPrefix(v, ";") {
				break
			}
			v = strings.TrimLeft(v[1:], " \t")
			name, rest, _ := strings.Cut(v, "=")
			name = strings.ToLower(strings.TrimSpace(name))
			if strings.ContainsAny(name, ",<;") {
				// "; , <next>" or a parameter without a value.
				break
			}
			rest = strings.TrimLeft(rest, " \t")
			var val string
			if strings.HasPrefix(rest, `"`) {
				val, v = quoted(rest[1:])
			} else {
				i := strings.IndexAny(rest, ";,")
				if i < 0 {
					i = len(rest)
				}
				val, v = strings.TrimSpace(rest[:i]), rest[i:]
			}
			if name == "rel" && l.rel == "" {
				l.rel = val
			}
		}
		if l.url != "" {
			out = append(out, l)
		}
		if i := strings.IndexByte(v, ','); i >= 0 && !strings.Contains(v[:i], "<") {
			v = v[i+1:]
		}
	}
}

// quoted reads a quoted-string body (after the opening quote) with
// backslash escapes and returns it and the rest after the closing quote.
func quoted(s string) (string, string) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '"':
			return b.String(), s[i+1:]
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), ""
}
