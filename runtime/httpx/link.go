package httpx

import (
	"net/http"
	"strings"
)

// NextLink returns the URL of the rel="next" link (RFC 8288) among every
// Link header value of h, unresolved (see ResolveNext). APIs send either
// several Link headers (self, next) or one with comma-separated values
// (Okta sends both); both are read.
func NextLink(h http.Header) (string, bool) {
	for _, v := range h.Values("Link") {
		for _, l := range ParseLinks(v) {
			for _, rel := range strings.Fields(l.Rel) {
				if strings.EqualFold(rel, "next") {
					return l.URL, true
				}
			}
		}
	}
	return "", false
}

// Link is one link-value of an RFC 8288 Link header.
type Link struct {
	// URL is the target as written between < and >.
	URL string
	// Rel is the rel parameter, a space-separated list of relation types.
	Rel string
}

// ParseLinks reads one Link header value. URLs are delimited by <>, so a
// comma inside a URL (Okta's filter expressions can hold one) does not
// split a link; parameters are name=token or name="quoted string".
// Malformed parts are skipped: a broken self link must not hide next.
func ParseLinks(v string) []Link {
	var out []Link
	for {
		start := strings.IndexByte(v, '<')
		if start < 0 {
			return out
		}
		end := strings.IndexByte(v[start+1:], '>')
		if end < 0 {
			return out
		}
		l := Link{URL: strings.TrimSpace(v[start+1 : start+1+end])}
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
			if name == "rel" && l.Rel == "" {
				l.Rel = val
			}
		}
		if l.URL != "" {
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
