package httpx

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"
)

// ErrDeadline reports that a wait the server or the pacer asked for does
// not fit before the context's deadline; Do returns it at once instead of
// sleeping into a run that must stop anyway.
var ErrDeadline = errors.New("httpx: wait does not fit before the run deadline")

// maxErrorBody caps how much of an error answer is read: enough for any
// vendor's JSON error, not enough for a misrouted download to hurt.
const maxErrorBody = 64 << 10

// maxMessage caps StatusError.Message so one error event stays readable.
const maxMessage = 300

// StatusError is a non-2xx answer that Do did not (or no longer) retry.
type StatusError struct {
	Code   int
	Method string
	// Path has no query string: cursors are long and may hold tokens.
	Path string
	// Message is the vendor's own explanation, sanitised and truncated.
	Message string
	// RetryAfter is the wait the server asked for (Retry-After or the
	// vendor policy), zero when it asked for none.
	RetryAfter time.Duration
	// Body is the raw error answer (at most 64 KiB), for a vendor that
	// tells its refusals apart by a field Message does not keep (Google's
	// error reasons). Error never prints it.
	Body []byte
	// Throttled is set when Do handled the answer as a throttle: a 429,
	// or another status the Policy's Throttler marked (Google's 403
	// rateLimitExceeded). Such an error is retryable, as a 429 is.
	Throttled bool
}

// Error reads "POST /api/v2/auditevents: HTTP 401 Unauthorized: <vendor message>".
func (e *StatusError) Error() string {
	var b strings.Builder
	b.WriteString(e.Method)
	b.WriteByte(' ')
	b.WriteString(e.Path)
	b.WriteString(": HTTP ")
	b.WriteString(strconv.Itoa(e.Code))
	if t := http.StatusText(e.Code); t != "" {
		b.WriteByte(' ')
		b.WriteString(t)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// retryableStatus is the set Do retries: throttling, timeouts, server faults.
func retryableStatus(code int) bool {
	return code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500 && code <= 599
}

// IsRetryable reports whether err is transient: network errors, resets,
// an unexpected EOF mid-body, timeouts, and StatusErrors for 408, 429, 5xx
// and the throttles a Throttler marked.
// TLS verification failures, ErrDeadline and cancellation are not.
func IsRetryable(err error) bool {
	if err == nil || errors.Is(err, ErrDeadline) || errors.Is(err, context.Canceled) {
		return false
	}
	var se *StatusError
	if errors.As(err, &se) {
		return se.Throttled || retryableStatus(se.Code)
	}
	// A certificate or protocol problem does not heal by retrying; saying
	// so at once points the admin at the CA file or the proxy.
	var (
		cve  *tls.CertificateVerificationError
		uae  x509.UnknownAuthorityError
		hne  x509.HostnameError
		cie  x509.CertificateInvalidError
		rhe  tls.RecordHeaderError
		alrt tls.AlertError
	)
	if errors.As(err, &cve) || errors.As(err, &uae) || errors.As(err, &hne) ||
		errors.As(err, &cie) || errors.As(err, &rhe) || errors.As(err, &alrt) {
		return false
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "remote error" {
		// A TLS alert from the server (protocol version, handshake failure).
		return false
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return !dns.IsNotFound
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNABORTED) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.ETIMEDOUT) || errors.Is(err, net.ErrClosed) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	if op != nil {
		return true
	}
	var ue *url.Error
	if errors.As(err, &ue) && errors.Is(ue.Err, io.EOF) {
		// The server closed the connection before answering.
		return true
	}
	var te *transportError
	if errors.As(err, &te) {
		return errors.Is(te.err, io.EOF) || isHTTP2Transient(te.err)
	}
	return false
}

// isHTTP2Transient matches HTTP/2 failures by text: the bundled http2
// package keeps its error types unexported.
func isHTTP2Transient(err error) bool {
	s := err.Error()
	for _, m := range []string{"http2: server sent GOAWAY", "stream error", "http2: client connection lost", "server closed idle connection"} {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

// transportError replaces the *url.Error of http.Client.Do, whose text
// carries the full URL and so the cursor and any token in the query.
type transportError struct {
	method, path string
	err          error
}

func (e *transportError) Error() string { return e.method + " " + e.path + ": " + e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

// stripURLError unwraps *url.Error so that no query string reaches an
// error message, keeping the cause chain for IsRetryable.
func stripURLError(method, path string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &transportError{method: method, path: path, err: err}
}

// vendorMessage extracts the vendor's explanation from an error body.
func vendorMessage(contentType string, body []byte) string {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return ""
	}
	if body[0] == '{' {
		if m, ok := jsonMessage(body); ok {
			return sanitize(m)
		}
	}
	if m, ok := xmlError(body); ok {
		return sanitize(m)
	}
	ct := strings.ToLower(contentType)
	if strings.Contains(ct, "html") || looksHTML(body) {
		if t := htmlTitle(body); t != "" {
			return sanitize("HTML error page: " + t)
		}
		return "HTML error page"
	}
	return sanitize(string(body))
}

// xmlError reads the <Error><Code>..</Code><Message>..</Message></Error>
// answer of object stores (S3 and its kin: a pre-signed download that
// expired says AccessDenied: Request has expired).
func xmlError(b []byte) (string, bool) {
	var e struct {
		XMLName xml.Name `xml:"Error"`
		Code    string   `xml:"Code"`
		Message string   `xml:"Message"`
	}
	if !bytes.HasPrefix(b, []byte("<")) || xml.Unmarshal(b, &e) != nil || e.Code == "" {
		return "", false
	}
	if e.Message == "" {
		return e.Code, true
	}
	return e.Code + ": " + e.Message, true
}

func looksHTML(b []byte) bool {
	head := bytes.ToLower(b[:min(len(b), 512)])
	return bytes.HasPrefix(head, []byte("<!doctype html")) || bytes.Contains(head, []byte("<html"))
}

func htmlTitle(b []byte) string {
	lower := bytes.ToLower(b)
	i := bytes.Index(lower, []byte("<title"))
	if i < 0 {
		return ""
	}
	j := bytes.IndexByte(lower[i:], '>')
	if j < 0 {
		return ""
	}
	start := i + j + 1
	end := bytes.Index(lower[start:], []byte("</title"))
	if end < 0 {
		return ""
	}
	return strings.TrimSpace(string(b[start : start+end]))
}

// jsonMessage knows the error shapes of the vendors we talk to:
// 1Password {"Error":{"Message"}}, Okta {"errorCode","errorSummary"},
// Duo {"code","message","message_detail"}, OAuth2 {"error","error_description"},
// RFC 7807 {"title","detail"}, Mimecast {"fail":[{"code","message"}]} (and
// its older {"fail":[{"errors":[{"code","message"}]}]}) and the common
// {"message"} / {"error":"..."}.
func jsonMessage(body []byte) (string, bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return "", false
	}
	str := func(obj map[string]json.RawMessage, key string) string {
		for k, v := range obj {
			if !strings.EqualFold(k, key) {
				continue
			}
			var s string
			if json.Unmarshal(v, &s) == nil {
				return strings.TrimSpace(s)
			}
			var n json.Number
			if json.Unmarshal(v, &n) == nil {
				return n.String()
			}
		}
		return ""
	}
	obj := func(key string) map[string]json.RawMessage {
		for k, v := range m {
			if strings.EqualFold(k, key) {
				var o map[string]json.RawMessage
				if json.Unmarshal(v, &o) == nil {
					return o
				}
			}
		}
		return nil
	}
	join := func(parts ...string) string {
		var out []string
		for _, p := range parts {
			if p != "" {
				out = append(out, p)
			}
		}
		return strings.Join(out, ": ")
	}
	if s := str(m, "errorSummary"); s != "" {
		return join(str(m, "errorCode"), s), true
	}
	if s := failMessage(m["fail"]); s != "" {
		return s, true
	}
	if e := obj("error"); e != nil {
		if s := str(e, "message"); s != "" {
			return join(str(e, "code"), s), true
		}
	}
	if s := str(m, "error_description"); s != "" {
		return join(str(m, "error"), s), true
	}
	if s := str(m, "message"); s != "" {
		msg := join(str(m, "code"), s)
		if d := str(m, "message_detail"); d != "" {
			msg += " (" + d + ")"
		}
		return msg, true
	}
	if s := str(m, "detail"); s != "" {
		return join(str(m, "title"), s), true
	}
	if s := str(m, "error"); s != "" {
		return s, true
	}
	if s := str(m, "title"); s != "" {
		return s, true
	}
	return "", false
}

// failMessage reads Mimecast's fail array: "code: message" of the first
// entry, or of the first of its nested errors; "" for anything else.
func failMessage(raw json.RawMessage) string {
	type entry struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Errors  []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	var fails []entry
	if len(raw) == 0 || json.Unmarshal(raw, &fails) != nil || len(fails) == 0 {
		return ""
	}
	code, msg := fails[0].Code, fails[0].Message
	if msg == "" && len(fails[0].Errors) > 0 {
		code, msg = fails[0].Errors[0].Code, fails[0].Errors[0].Message
	}
	if code != "" && msg != "" {
		return code + ": " + msg
	}
	return code + msg
}

// sanitize removes control characters (a message lands in one log line
// and one JSON event), collapses blanks, and truncates on a rune boundary.
func sanitize(s string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	out := b.String()
	if len(out) <= maxMessage {
		return out
	}
	const ellipsis = "…"
	cut := maxMessage - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(out[cut]) {
		cut--
	}
	return out[:cut] + ellipsis
}

// fmtDeadline builds the ErrDeadline message: what we waited for, what the
// server asked, how much run time was left, and the answer that caused it.
func fmtDeadline(method, path, what string, asked, need, remaining time.Duration, last error) error {
	msg := fmt.Sprintf("%s %s: %s: need to wait %v", method, path, what, need.Round(time.Millisecond))
	if asked > 0 {
		msg += fmt.Sprintf(" (server asked for %v)", asked.Round(time.Millisecond))
	}
	msg += fmt.Sprintf(" but only %v of run time remains", max(remaining, 0).Round(time.Millisecond))
	if last != nil {
		return fmt.Errorf("%s: %w; last answer: %w", msg, ErrDeadline, last)
	}
	return fmt.Errorf("%s: %w", msg, ErrDeadline)
}
