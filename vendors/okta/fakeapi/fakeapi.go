// Package fakeapi is a stateful fake of Okta's System Log API for tests and
// the demo: SSWS API tokens and OAuth 2.0 service apps (client credentials
// with a verified private_key_jwt assertion, DPoP proofs with nonce
// challenges, expiring tokens), since/after/limit polling with next links
// in both Link header forms, X-Rate-Limit headers and 429s, and a backlog
// of generated events that can grow while it runs. It is deterministic
// for a given seed.
package fakeapi

import (
	"bytes"
	"crypto"
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wodlekit/wodlekit/runtime/wodletest/fakekit"
)

// Limits of the limit parameter, as documented.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Options configures a fake.
type Options struct {
	// Token is the accepted SSWS API token; "" accepts none.
	Token string
	// ClientID and PublicKey identify the OAuth service app: its client
	// assertions must be signed by the private half of PublicKey.
	ClientID  string
	PublicKey crypto.PublicKey
	// RequireDPoP refuses token requests without a DPoP proof, as new
	// service apps do; a proof is then also needed on every API call.
	RequireDPoP bool
	// ResourceNonce makes the API demand a DPoP nonce on API calls too.
	ResourceNonce bool
	// TokenTTL is the access tokens' lifetime (default one hour).
	TokenTTL time.Duration
	// Events is the initial backlog size.
	Events int
	// Seed makes the generated events deterministic.
	Seed int64
	// Start and Span place the initial backlog in persistence time.
	Start time.Time
	Span  time.Duration
	// RateLimit is the per-minute budget of /api/v1/logs (default 600).
	RateLimit int
	// LinkHost, when set, is the host put in next links (an off-host test).
	LinkHost string
	// Now is the fake's clock; nil means time.Now.
	Now func() time.Time
}

// API is the fake; it is safe for concurrent use.
type API struct {
	fakekit.RequestLog
	o Options

	mu      sync.Mutex
	gen     *fakekit.Gen
	backlog fakekit.Backlog // by persistence time
	step    time.Duration
	tokens  map[string]issued
	jtis    map[string]bool
	nonce   string
	window  time.Time
	used    int
	issuedN int
	pages   int
}

var _ fakekit.Fake = (*API)(nil)

// Module is the one module of the Okta wodle, the System Log.
const Module = "system"

// issued is one access token.
type issued struct {
	expires time.Time
	jkt     string // DPoP key thumbprint; "" for a Bearer token
}

// New builds a fake with its initial backlog generated.
func New(o Options) *API {
	if o.Start.IsZero() {
		o.Start = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	}
	if o.TokenTTL <= 0 {
		o.TokenTTL = time.Hour
	}
	if o.RateLimit <= 0 {
		o.RateLimit = 600
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	a := &API{
		o: o, gen: fakekit.NewGen(uint64(o.Seed), 7),
		tokens: map[string]issued{}, jtis: map[string]bool{},
		nonce: "nonce-1", step: time.Second,
	}
	if o.Events > 1 && o.Span > 0 {
		a.step = max(o.Span/time.Duration(o.Events-1), time.Millisecond)
	}
	for i := range o.Events {
		a.add(o.Start.Add(a.step * time.Duration(i)))
	}
	return a
}

// add generates one event persisted at ts. Its published time is a little
// earlier, by a random lag: in persistence order, published times are not
// sorted, exactly the polling behaviour Okta documents.
func (a *API) add(ts time.Time) {
	// Up to two steps late (a few seconds at least, five minutes at most),
	// so that neighbours swap places now and then whatever the spacing.
	spread := min(2*a.step, 5*time.Minute) + 3*time.Second
	lag := time.Duration(a.gen.Int64N(int64(spread/time.Millisecond))) * time.Millisecond
	a.backlog.Add(fakekit.Entry{At: ts, Raw: GenerateEvent(a.backlog.Len(), a.gen, ts.Add(-lag))})
}

func (a *API) nextTime() time.Time {
	if a.backlog.Len() > 0 {
		return a.backlog.Last().Add(a.step)
	}
	return a.o.Start
}

// Append adds n new events after the existing ones.
func (a *API) Append(n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for range n {
		a.add(a.nextTime())
	}
}

// AppendRaw adds one record as given to the System Log (module "system").
func (a *API) AppendRaw(module string, raw []byte) {
	if module != Module {
		panic("fakeapi: unknown module " + module)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.backlog.Add(fakekit.Entry{At: a.nextTime(), Raw: bytes.Clone(raw)})
}

// Len reports the backlog size.
func (a *API) Len() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.backlog.Len()
}

// Event returns a copy of the i-th event in persistence order.
func (a *API) Event(i int) []byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	return bytes.Clone(a.backlog.Entry(i).Raw)
}

// TokensIssued reports how many access tokens the fake issued.
func (a *API) TokensIssued() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.issuedN
}

// RotateNonce replaces the DPoP nonce: proofs with the old one are refused.
func (a *API) RotateNonce() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.nonce = "nonce-" + randomHex(6)
}

// ServeHTTP implements http.Handler.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.Record(w, r, a.o.Now(), a.serve)
}

func (a *API) serve(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch r.URL.Path {
	case "/oauth2/v1/token":
		a.token(w, r)
	case "/api/v1/logs":
		a.logs(w, r)
	default:
		oktaError(w, http.StatusNotFound, "E0000022", "The endpoint does not support the provided HTTP method")
	}
}

// oktaError writes Okta's error body.
func oktaError(w http.ResponseWriter, status int, code, summary string) {
	fakekit.WriteJSON(w, status, map[string]any{
		"errorCode": code, "errorSummary": summary, "errorLink": code,
		"errorId": "oae" + randomHex(8), "errorCauses": []any{},
	})
}

// oauthError writes an OAuth 2.0 error body.
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	fakekit.WriteJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = crand.Read(b)
	return hex.EncodeToString(b)
}

// rateHeaders counts one request in the current minute and sets the
// X-Rate-Limit headers; false means the budget is spent.
func (a *API) rateHeaders(w http.ResponseWriter) bool {
	now := a.o.Now()
	if now.Sub(a.window) >= time.Minute {
		a.window, a.used = now.Truncate(time.Second), 0
	}
	a.used++
	remaining := max(a.o.RateLimit-a.used, 0)
	h := w.Header()
	h.Set("X-Rate-Limit-Limit", strconv.Itoa(a.o.RateLimit))
	h.Set("X-Rate-Limit-Remaining", strconv.Itoa(remaining))
	h.Set("X-Rate-Limit-Reset", strconv.FormatInt(a.window.Add(time.Minute).Unix(), 10))
	return a.used <= a.o.RateLimit
}

// logs serves GET /api/v1/logs.
func (a *API) logs(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		oktaError(w, http.StatusMethodNotAllowed, "E0000022", "The endpoint does not support the provided HTTP method")
		return
	}
	if !a.authorized(w, r) {
		return
	}
	if !a.rateHeaders(w) {
		oktaError(w, http.StatusTooManyRequests, "E0000047", "API call exceeded rate limit due to too many requests.")
		return
	}
	q := r.URL.Query()
	limit := DefaultLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > MaxLimit {
			oktaError(w, http.StatusBadRequest, "E0000001", "Api validation failed: limit")
			return
		}
		limit = n
	}
	if s := q.Get("sortOrder"); s != "" && s != "ASCENDING" {
		oktaError(w, http.StatusBadRequest, "E0000001", "Api validation failed: this fake serves ASCENDING polling only")
		return
	}
	if q.Get("until") != "" {
		oktaError(w, http.StatusBadRequest, "E0000001", "Api validation failed: this fake serves polling requests only (no until)")
		return
	}
	start := 0
	switch after, since := q.Get("after"), q.Get("since"); {
	case after != "" && since != "":
		oktaError(w, http.StatusBadRequest, "E0000001", "Api validation failed: since and after are mutually exclusive")
		return
	case after != "":
		off, err := decodeAfter(after)
		if err != nil || off > a.backlog.Len() {
			oktaError(w, http.StatusBadRequest, "E0000001", "Api validation failed: after")
			return
		}
		start = off
	default:
		from := a.o.Now().Add(-7 * 24 * time.Hour)
		if since != "" {
			t, err := time.Parse(time.RFC3339, since)
			if err != nil {
				oktaError(w, http.StatusBadRequest, "E0000001", "Api validation failed: since")
				return
			}
			if a.o.Now().Sub(t) > 180*24*time.Hour {
				oktaError(w, http.StatusBadRequest, "E0000053", "Invalid date. 'Since' must be a valid date no earlier than 180 days ago.")
				return
			}
			from = t
		}
		start = a.backlog.Search(from)
	}
	end := min(start+limit, a.backlog.Len())
	a.pages++
	host := r.Host
	if a.o.LinkHost != "" {
		host = a.o.LinkHost
	}
	self := (&url.URL{Scheme: "http", Host: host, Path: r.URL.Path, RawQuery: r.URL.RawQuery}).String()
	nq := url.Values{"after": {encodeAfter(end)}, "limit": {strconv.Itoa(limit)}, "sortOrder": {"ASCENDING"}}
	next := (&url.URL{Scheme: "http", Host: host, Path: r.URL.Path, RawQuery: nq.Encode()}).String()
	// Okta sends both forms; the fake alternates so that clients must read both.
	if a.pages%2 == 1 {
		w.Header().Add("Link", "<"+self+`>; rel="self"`)
		w.Header().Add("Link", "<"+next+`>; rel="next"`)
	} else {
		w.Header().Set("Link", "<"+self+`>; rel="self", <`+next+`>; rel="next"`)
	}
	w.Header().Set("Content-Type", "application/json")
	var b bytes.Buffer
	b.WriteByte('[')
	for i, e := range a.backlog.Entries(start, end) {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(e.Raw)
	}
	b.WriteByte(']')
	_, _ = w.Write(b.Bytes())
}

// encodeAfter makes the opaque after value for an offset.
func encodeAfter(off int) string { return fmt.Sprintf("%d_%d", 1700000000000+int64(off), off) }

// decodeAfter reads an after value back.
func decodeAfter(s string) (int, error) {
	_, off, ok := strings.Cut(s, "_")
	if !ok {
		return 0, fmt.Errorf("malformed after %q", s)
	}
	n, err := strconv.Atoi(off)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("malformed after %q", s)
	}
	return n, nil
}

// Demo is the fake tools/fakeapi serves: the System Log for an API token
// (SSWS); the OAuth service app flow needs a key pair and is covered by
// the vendor's own tests.
func Demo(c fakekit.DemoConfig) fakekit.Demo {
	api := New(Options{Token: c.Token, Events: c.Events, Seed: c.Seed, Start: c.Start, Span: c.Span})
	return fakekit.Demo{Fake: api, Secrets: map[string]string{"OKTA_API_TOKEN": c.Token}}
}
