// Package fakeapi is a deterministic fake of Mimecast's API 2.0 for tests
// and the demo. It serves what Mimecast documents and what other
// collectors learnt: client-credentials tokens at /oauth/token (form
// body, 30-minute tokens that expire on the fake's clock); the Cloud
// Gateway SIEM batch endpoint, whose pages list pre-signed URLs of gzip
// NDJSON files that refuse an Authorization header (as S3 does) and
// expire; a @nextPage on every page, the caught-up one included; audit
// events paged in the body, newest first, whose last page still carries a
// next with empty data; X-RateLimit-* headers on every API answer and
// 429 past the budget; errors as {"fail":[{"code","message"}]}.
package fakeapi

import (
	"bytes"
	"compress/gzip"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wodlekit/wodlekit/runtime/wodletest/fakekit"
)

// The fake's paths.
const (
	TokenPath = "/oauth/token"
	BatchPath = "/siem/v1/batch/events/cg"
	AuditPath = "/api/audit/get-audit-events"
	// FilePrefix starts the path of every pre-signed file.
	FilePrefix = "/files/"
)

// Modules are the collector's modules, for AppendRaw.
const (
	SIEM  = "siem"
	Audit = "audit"
)

const auditTime = "2006-01-02T15:04:05-0700"

// Options configures a fake.
type Options struct {
	// ClientID and ClientSecret are the credentials the token endpoint accepts.
	ClientID, ClientSecret string
	// TokenTTL is an access token's life (default 1799 s, Mimecast's).
	TokenTTL time.Duration
	// URLTTL is a pre-signed file URL's life (default 15 minutes).
	URLTTL time.Duration
	// Events is the initial backlog of each module.
	Events int
	// Seed makes the generated events deterministic.
	Seed int64
	// Start and Span place the backlog: evenly from Start to Start+Span.
	Start time.Time
	Span  time.Duration
	// FileEvents is how many events a SIEM file holds at most (default 1).
	FileEvents int
	// RequestsPerMinute is the API budget past which the fake answers 429;
	// 0 is none (the headers still say a large budget).
	RequestsPerMinute int
	// RateWindow is the budget's window (default a minute): tests shorten it.
	RateWindow time.Duration
	// ResetEpoch makes X-RateLimit-Reset an epoch timestamp in
	// milliseconds, as some of Mimecast's clients read it, instead of the
	// milliseconds to wait that Mimecast documents.
	ResetEpoch bool
	// Now is the fake's clock; nil uses time.Now.
	Now func() time.Time
}

// API is the fake; it is an http.Handler, safe for concurrent use.
type API struct {
	fakekit.RequestLog
	o      Options
	mu     sync.Mutex
	g      *gen
	types  map[string][]*file
	audit  fakekit.Backlog
	tokens map[string]time.Time
	issued int
	budget fakekit.Budget
	// counted are the times of the requests the budget counts, oldest
	// first: the reset header says when the oldest leaves the window.
	counted []time.Time
	// expire is how many file downloads to refuse as expired next.
	expire int
	key    []byte
}

// file is one NDJSON file of one type; it is sealed once listed, so that
// what a client read never changes.
type file struct {
	day    string
	lines  [][]byte
	sealed bool
}

var _ fakekit.Fake = (*API)(nil)

// New builds a fake with its initial backlog.
func New(o Options) *API {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.TokenTTL <= 0 {
		o.TokenTTL = 1799 * time.Second
	}
	if o.URLTTL <= 0 {
		o.URLTTL = 15 * time.Minute
	}
	if o.FileEvents <= 0 {
		o.FileEvents = 1
	}
	if o.RateWindow <= 0 {
		o.RateWindow = time.Minute
	}
	a := &API{o: o, g: newGen(o.Seed), types: map[string][]*file{}, tokens: map[string]time.Time{},
		budget: fakekit.Budget{Window: o.RateWindow}, key: []byte(fmt.Sprintf("fake-signing-key-%d", o.Seed))}
	for i := range o.Events {
		ts := o.Start.Add(o.Span * time.Duration(i) / time.Duration(max(o.Events, 1)))
		typ := fakekit.Pick(a.g.Gen, Types)
		a.addSIEM(typ, ts, a.g.siemEvent(typ, ts))
		id, raw := a.g.auditEvent(ts, -1)
		a.audit.Add(fakekit.Entry{At: ts.Truncate(time.Second), Key: id, Raw: raw})
	}
	return a
}

// addSIEM files one event in its type's open file, or a new one.
func (a *API) addSIEM(typ string, ts time.Time, raw []byte) {
	day := ts.UTC().Format(time.DateOnly)
	fs := a.types[typ]
	if n := len(fs); n > 0 && !fs[n-1].sealed && fs[n-1].day == day && len(fs[n-1].lines) < a.o.FileEvents {
		fs[n-1].lines = append(fs[n-1].lines, raw)
		return
	}
	a.types[typ] = append(fs, &file{day: day, lines: [][]byte{raw}})
}

// Append adds n new events to each module, dated now.
func (a *API) Append(n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.o.Now()
	for range n {
		typ := fakekit.Pick(a.g.Gen, Types)
		a.addSIEM(typ, now, a.g.siemEvent(typ, now))
		id, raw := a.g.auditEvent(now, -1)
		a.audit.Add(fakekit.Entry{At: now.Truncate(time.Second), Key: id, Raw: raw})
	}
}

// AppendSIEM adds one event of type typ dated ts, for tests that need a
// particular event; it returns the event.
func (a *API) AppendSIEM(typ string, ts time.Time) []byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	raw := a.g.siemEvent(typ, ts)
	a.addSIEM(typ, ts, raw)
	return raw
}

// AppendSIEMWith adds one event of type typ dated ts with some fields
// set (alternating names and values), for tests and golden files that
// need a particular verdict.
func (a *API) AppendSIEMWith(typ string, ts time.Time, kv ...any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	dec := json.NewDecoder(bytes.NewReader(a.g.siemEvent(typ, ts)))
	dec.UseNumber()
	var rec map[string]any
	if err := dec.Decode(&rec); err != nil {
		panic(err)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		rec[kv[i].(string)] = kv[i+1]
	}
	a.addSIEM(typ, ts, fakekit.Marshal(rec))
}

// AppendSIEMLine adds one raw NDJSON line (valid or not) to type typ's
// files, dated now: the parser's bad inputs end to end.
func (a *API) AppendSIEMLine(typ string, line []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.addSIEM(typ, a.o.Now(), bytes.Clone(line))
}

// AppendAudit adds one audit event of kind i (see the generator's list,
// -1 for any) dated ts, and returns its id.
func (a *API) AppendAudit(ts time.Time, i int) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	id, raw := a.g.auditEvent(ts, i)
	a.audit.Add(fakekit.Entry{At: ts.Truncate(time.Second), Key: id, Raw: raw})
	return id
}

// AppendRaw adds one record as raw JSON, dated now: a SIEM event goes to
// the type its "type" names (receipt when none).
func (a *API) AppendRaw(module string, raw []byte) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var rec map[string]any
	if err := dec.Decode(&rec); err != nil {
		panic(fmt.Sprintf("fakeapi: AppendRaw: %v", err))
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.o.Now()
	switch module {
	case SIEM:
		rec["timestamp"] = now.UnixMilli()
		typ, _ := rec["type"].(string)
		if !slices.Contains(Types, typ) {
			typ = "receipt"
		}
		a.addSIEM(typ, now, fakekit.Marshal(rec))
	case Audit:
		rec["eventTime"] = now.UTC().Format(auditTime)
		id, _ := rec["id"].(string)
		if id == "" {
			id = a.g.UUID()
			rec["id"] = id
		}
		a.audit.Add(fakekit.Entry{At: now.Truncate(time.Second), Key: id, Raw: fakekit.Marshal(rec)})
	default:
		panic(fmt.Sprintf("fakeapi: Mimecast has modules %q and %q, not %q", SIEM, Audit, module))
	}
}

// ExpireFiles makes the next n file downloads answer as expired URLs.
func (a *API) ExpireFiles(n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.expire = n
}

// TokensIssued is how many access tokens the fake handed out.
func (a *API) TokensIssued() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.issued
}

// Tokens are the access tokens the fake handed out.
func (a *API) Tokens() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]string, 0, len(a.tokens))
	for t := range a.tokens {
		out = append(out, t)
	}
	return out
}

// BigRecord is a valid receipt event whose subject makes it about size bytes.
func (a *API) BigRecord(size int) []byte {
	return fakekit.BigRecord(newGen(99).siemEvent("receipt", time.Unix(1_700_000_000, 0)), "subject", size)
}

// WideRecord is a valid receipt event with about n leaf fields under headers.
func (a *API) WideRecord(n int) []byte {
	return fakekit.WideRecord(newGen(98).siemEvent("receipt", time.Unix(1_700_000_001, 0)), "headers", n)
}

// ServeHTTP implements http.Handler.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.o.Now()
	a.Record(w, r, now, func(w http.ResponseWriter, r *http.Request) { a.serve(w, r, now) })
}

func fail(w http.ResponseWriter, status int, code, msg string) {
	fakekit.WriteJSON(w, status, fakekit.Object("fail", []any{fakekit.Object("code", code, "message", msg)}))
}

func (a *API) serve(w http.ResponseWriter, r *http.Request, now time.Time) {
	switch {
	case strings.HasPrefix(r.URL.Path, FilePrefix):
		a.serveFile(w, r, now)
		return
	case r.URL.Path == TokenPath:
		a.serveToken(w, r, now)
		return
	case r.URL.Path != BatchPath && r.URL.Path != AuditPath:
		fail(w, http.StatusNotFound, "not_found", "The requested resource was not found")
		return
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if exp, known := a.tokens[tok]; !ok || !known {
		fail(w, http.StatusUnauthorized, "Unauthorized", "Invalid or missing access token")
		return
	} else if !now.Before(exp) {
		fail(w, http.StatusUnauthorized, "Unauthorized", "Access token expired")
		return
	}
	if !a.rateLimit(w, now) {
		fail(w, http.StatusTooManyRequests, "rate_limit_exceeded", "Too many requests")
		return
	}
	if r.URL.Path == BatchPath {
		a.serveBatch(w, r, now)
		return
	}
	a.serveAudit(w, r, now)
}

// rateLimit counts one API request and states the budget in headers:
// the reset is when the oldest request counted leaves the window.
func (a *API) rateLimit(w http.ResponseWriter, now time.Time) bool {
	limit := a.o.RequestsPerMinute
	taken := a.budget.Take("api", limit, now)
	for len(a.counted) > 0 && !a.counted[0].After(now.Add(-a.o.RateWindow)) {
		a.counted = a.counted[1:]
	}
	if taken && limit > 0 {
		a.counted = append(a.counted, now)
	}
	shown, left, reset := 10_000, 9_999, time.Duration(0)
	if limit > 0 {
		shown, left = limit, max(limit-a.budget.Used("api", now), 0)
	}
	if len(a.counted) > 0 {
		reset = a.counted[0].Add(a.o.RateWindow).Sub(now)
	}
	resetMS := reset.Milliseconds()
	if a.o.ResetEpoch {
		resetMS += now.UnixMilli()
	}
	w.Header().Set("X-RateLimit-Limit", strconv.Itoa(shown))
	w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(left))
	w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(resetMS, 10))
	return taken
}

func (a *API) serveToken(w http.ResponseWriter, r *http.Request, now time.Time) {
	if r.Method != http.MethodPost {
		fail(w, http.StatusMethodNotAllowed, "method_not_allowed", "Use POST")
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		fail(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be client_credentials")
		return
	}
	if r.PostForm.Get("client_id") == "" || r.PostForm.Get("client_id") != a.o.ClientID || r.PostForm.Get("client_secret") != a.o.ClientSecret {
		fail(w, http.StatusUnauthorized, "InvalidClientIdentifier", "Client credentials are invalid")
		return
	}
	a.issued++
	tok := base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("fake-access-%d-%s", a.issued, a.g.Chars("", fakekit.AlphaNum, 24))))
	a.tokens[tok] = now.Add(a.o.TokenTTL)
	fakekit.WriteJSON(w, http.StatusOK, fakekit.Object("access_token", tok, "token_type", "Bearer", "expires_in", int(a.o.TokenTTL/time.Second), "scope", ""))
}

// pageToken names a position in a type's files, bound to the type.
func pageToken(typ string, pos int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(typ + "\x00" + strconv.Itoa(pos)))
}

func parsePageToken(typ, tok string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	t, p, ok := strings.Cut(string(b), "\x00")
	pos, err := strconv.Atoi(p)
	return pos, ok && err == nil && t == typ && pos >= 0
}

func (a *API) serveBatch(w http.ResponseWriter, r *http.Request, now time.Time) {
	q := r.URL.Query()
	typ := q.Get("type")
	if !slices.Contains(Types, typ) {
		fail(w, http.StatusBadRequest, "validation_invalid_type", "type must be one of: "+strings.Join(Types, ", "))
		return
	}
	size, err := strconv.Atoi(q.Get("pageSize"))
	if q.Get("pageSize") == "" {
		size, err = 100, nil
	}
	if err != nil || size < 1 || size > 100 {
		fail(w, http.StatusBadRequest, "validation_invalid_page_size", "pageSize must be 1 to 100")
		return
	}
	fs := a.types[typ]
	pos := 0
	if tok := q.Get("nextPage"); tok != "" {
		p, ok := parsePageToken(typ, tok)
		if !ok || p > len(fs) {
			fail(w, http.StatusBadRequest, "validation_invalid_next_page", "nextPage is not valid for this type")
			return
		}
		pos = p
	} else {
		start := q.Get("dateRangeStartsAt")
		if _, err := time.Parse(time.DateOnly, start); err != nil {
			fail(w, http.StatusBadRequest, "validation_invalid_date", "dateRangeStartsAt must be YYYY-MM-DD")
			return
		}
		for pos < len(fs) && fs[pos].day < start {
			pos++
		}
	}
	end := min(pos+size, len(fs))
	base := "http://" + r.Host
	if r.TLS != nil {
		base = "https://" + r.Host
	}
	value := []any{}
	for i := pos; i < end; i++ {
		fs[i].sealed = true
		exp := now.Add(a.o.URLTTL)
		value = append(value, fakekit.Object("url", base+a.signedPath(typ, i, exp), "size", a.gzipSize(fs[i]), "expiry", exp.UTC().Format("2006-01-02T15:04:05.000Z")))
	}
	fakekit.WriteJSON(w, http.StatusOK, fakekit.Object("value", value, "@nextPage", pageToken(typ, end), "isCaughtUp", end == len(fs)))
}

// signedPath is a file's path with its expiry and signature in the query.
func (a *API) signedPath(typ string, i int, exp time.Time) string {
	p := FilePrefix + url.PathEscape(strings.ReplaceAll(typ, " ", "-")) + "/" + strconv.Itoa(i) + ".json.gz"
	return p + "?X-Amz-Expires=" + strconv.FormatInt(exp.Unix(), 10) + "&X-Amz-Signature=" + a.sign(p, exp.Unix())
}

func (a *API) sign(path string, exp int64) string {
	m := hmac.New(sha256.New, a.key)
	fmt.Fprintf(m, "%s\n%d", path, exp)
	return hex.EncodeToString(m.Sum(nil))
}

func (a *API) gzipSize(f *file) int { return len(gzipLines(f.lines)) }

func gzipLines(lines [][]byte) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	for _, l := range lines {
		_, _ = zw.Write(l)
		_, _ = zw.Write([]byte("\n"))
	}
	_ = zw.Close()
	return b.Bytes()
}

// s3Error answers the way an object store does.
func s3Error(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message></Error>`, code, msg)
}

func (a *API) serveFile(w http.ResponseWriter, r *http.Request, now time.Time) {
	if r.Header.Get("Authorization") != "" {
		s3Error(w, http.StatusBadRequest, "InvalidArgument", "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified")
		return
	}
	q := r.URL.Query()
	exp, err := strconv.ParseInt(q.Get("X-Amz-Expires"), 10, 64)
	if err != nil || !hmac.Equal([]byte(q.Get("X-Amz-Signature")), []byte(a.sign(r.URL.EscapedPath(), exp))) {
		s3Error(w, http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided")
		return
	}
	if a.expire > 0 || now.Unix() >= exp {
		a.expire = max(a.expire-1, 0)
		s3Error(w, http.StatusForbidden, "AccessDenied", "Request has expired")
		return
	}
	rest := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, FilePrefix), ".json.gz")
	t, idx, _ := strings.Cut(rest, "/")
	typ := strings.ReplaceAll(t, "-", " ")
	i, err := strconv.Atoi(idx)
	if err != nil || i < 0 || i >= len(a.types[typ]) {
		s3Error(w, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write(gzipLines(a.types[typ][i].lines))
}

// auditBody is the request body of the audit endpoint.
type auditBody struct {
	Meta struct {
		Pagination struct {
			PageSize  int    `json:"pageSize"`
			PageToken string `json:"pageToken"`
		} `json:"pagination"`
	} `json:"meta"`
	Data []struct {
		Start string `json:"startDateTime"`
		End   string `json:"endDateTime"`
	} `json:"data"`
}

func (a *API) serveAudit(w http.ResponseWriter, r *http.Request, _ time.Time) {
	if r.Method != http.MethodPost {
		fail(w, http.StatusMethodNotAllowed, "method_not_allowed", "Use POST")
		return
	}
	var body auditBody
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body.Data) != 1 {
		fail(w, http.StatusBadRequest, "validation_error", "The request body is not valid")
		return
	}
	start, err1 := time.Parse(auditTime, body.Data[0].Start)
	end, err2 := time.Parse(auditTime, body.Data[0].End)
	if err1 != nil || err2 != nil || end.Before(start) {
		fail(w, http.StatusBadRequest, "validation_invalid_date", "startDateTime and endDateTime must be dates like 2011-12-03T10:15:30+0000")
		return
	}
	size := body.Meta.Pagination.PageSize
	if size < 1 || size > 500 {
		size = 25
	}
	// Newest first, both bounds inclusive at the second.
	in := a.audit.Window(start, end.Add(time.Second), time.Time{})
	slices.Reverse(in)
	rng := start.Format(auditTime) + "|" + end.Format(auditTime)
	pos := 0
	if tok := body.Meta.Pagination.PageToken; tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		r, p, ok := strings.Cut(string(b), "#")
		n, err2 := strconv.Atoi(p)
		if err != nil || !ok || err2 != nil || r != rng || n < 0 || n > len(in) {
			fail(w, http.StatusBadRequest, "validation_invalid_page_token", "The page token is not valid for this request")
			return
		}
		pos = n
	}
	to := min(pos+size, len(in))
	data := make([]json.RawMessage, 0, to-pos)
	for _, e := range in[pos:to] {
		data = append(data, e.Raw)
	}
	// A page always carries a next, the last (empty) one included.
	next := base64.RawURLEncoding.EncodeToString([]byte(rng + "#" + strconv.Itoa(to)))
	fakekit.WriteJSON(w, http.StatusOK, fakekit.Object(
		"meta", fakekit.Object("status", 200, "pagination", fakekit.Object("pageSize", size, "totalCount", len(in), "next", next)),
		"data", data, "fail", []any{}))
}

// Demo is the fake tools/fakeapi serves: the token as the client secret,
// a fixed client ID, files of up to 20 events and a budget of 300
// requests a minute.
func Demo(c fakekit.DemoConfig) fakekit.Demo {
	const id = "demo-client-id"
	api := New(Options{ClientID: id, ClientSecret: c.Token, Events: c.Events, Seed: c.Seed, Start: c.Start, Span: c.Span,
		FileEvents: 20, RequestsPerMinute: 300})
	return fakekit.Demo{Fake: api, Secrets: map[string]string{"MIMECAST_CLIENT_ID": id, "MIMECAST_CLIENT_SECRET": c.Token}}
}
