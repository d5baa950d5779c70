// Package fakeapi is a deterministic fake of the Duo Admin API log
// endpoints for tests and the demo. It checks what the real API checks and
// a little more: every request's HMAC signature recomputed from what was
// received, a fresh Date, the query sent exactly as signed, maxtime at
// least two minutes old, mintime within 180 days, mintime/maxtime unchanged
// while following next_offset, and per-endpoint rate limits answered with
// Duo's header-less 429 {"code":42901}.
package fakeapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wodlekit/wodlekit/runtime/wodletest/fakekit"
	"github.com/wodlekit/wodlekit/vendors/duo"
)

// Log names, as the wodle's modules are named.
const (
	Authentication = "authentication"
	Administrator  = "administrator"
	Telephony      = "telephony"
	Activity       = "activity"
)

// Logs lists every log the fake serves.
func Logs() []string { return []string{Authentication, Administrator, Telephony, Activity} }

// Paths maps each log to its endpoint.
var paths = map[string]string{
	Authentication: "/admin/v2/logs/authentication",
	Administrator:  "/admin/v1/logs/administrator",
	Telephony:      "/admin/v2/logs/telephony",
	Activity:       "/admin/v2/logs/activity",
}

// Path returns the endpoint of a log.
func Path(log string) string { return paths[log] }

// Options configures a fake.
type Options struct {
	// IKey and SKey are the Admin API credentials the fake accepts.
	IKey, SKey string
	// Events is the initial backlog per log.
	Events map[string]int
	// Seed makes the generated events deterministic.
	Seed int64
	// Start and Span place the backlog: evenly from Start to Start+Span.
	Start time.Time
	Span  time.Duration
	// AdminLimit is how many events one v1 administrator answer holds
	// (Duo: 1000); tests make it small so a backlog spans several answers.
	AdminLimit int
	// RequestsPerMinute is the per-endpoint limit (Duo: about 2); 0 is none.
	RequestsPerMinute int
	// MaxSkew is how far the Date header may be from now (default 5m).
	MaxSkew time.Duration
	// Now is the fake's clock; nil uses time.Now.
	Now func() time.Time
}

// API is the fake; it is an http.Handler, safe for concurrent use.
type API struct {
	fakekit.RequestLog
	o  Options
	mu sync.Mutex
	g  *gen
	// logs are the backlogs by log, ordered by (time, ID) as Duo pages.
	logs map[string]*fakekit.Backlog
	// offsets remembers the window each next_offset was issued for.
	offsets map[string][2]int64
	budget  fakekit.Budget // per endpoint, a minute
}

var _ fakekit.Fake = (*API)(nil)

// ms is an entry's time in Duo's epoch milliseconds.
func ms(e fakekit.Entry) int64 { return e.At.UnixMilli() }

// New builds a fake with its initial backlog.
func New(o Options) *API {
	if o.AdminLimit <= 0 {
		o.AdminLimit = 1000
	}
	if o.MaxSkew <= 0 {
		o.MaxSkew = 5 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	a := &API{o: o, g: newGen(o.Seed), logs: map[string]*fakekit.Backlog{}, offsets: map[string][2]int64{}, budget: fakekit.Budget{Window: time.Minute}}
	for _, log := range Logs() {
		a.logs[log] = &fakekit.Backlog{}
	}
	for _, log := range Logs() {
		n := o.Events[log]
		for i := range n {
			ms := o.Start.UnixMilli()
			if n > 0 {
				ms += o.Span.Milliseconds() * int64(i) / int64(n)
			}
			ms += int64(a.g.r.IntN(1000))
			a.add(log, ms, nil)
		}
	}
	return a
}

// add generates (raw nil) or stores one event, keeping the log sorted.
func (a *API) add(log string, ms int64, raw []byte) {
	var id string
	if raw == nil {
		switch log {
		case Authentication:
			id, raw = a.g.authEvent(ms)
		case Administrator:
			id, raw = a.g.adminEvent(ms)
		case Telephony:
			id, raw = a.g.telephonyEvent(ms)
		case Activity:
			id, raw = a.g.activityEvent(ms)
		}
	} else {
		id = fmt.Sprintf("raw-%d", a.logs[log].Len())
		var f struct {
			Txid        string `json:"txid"`
			TelephonyID string `json:"telephony_id"`
			ActivityID  string `json:"activity_id"`
		}
		if json.Unmarshal(raw, &f) == nil {
			for _, s := range []string{f.Txid, f.TelephonyID, f.ActivityID} {
				if s != "" {
					id = s
					break
				}
			}
		}
	}
	a.logs[log].Add(fakekit.Entry{At: time.UnixMilli(ms), Key: id, Raw: raw})
}

// backlog returns a log's backlog; an unknown log panics.
func (a *API) backlog(log string) *fakekit.Backlog {
	b, ok := a.logs[log]
	if !ok {
		panic("fakeapi: unknown log " + log)
	}
	return b
}

// Append adds n new events to every log.
func (a *API) Append(n int) {
	for _, l := range Logs() {
		a.AppendTo(l, n)
	}
}

// AppendTo adds n new events to a log, stamped two minutes before now:
// the newest a Duo query may already return.
func (a *API) AppendTo(log string, n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.backlog(log)
	ms := a.o.Now().Add(-2 * time.Minute).UnixMilli()
	for range n {
		a.add(log, ms, nil)
	}
}

// AppendRaw adds one record, as given, to a log, stamped like Append.
func (a *API) AppendRaw(log string, raw []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.backlog(log)
	a.add(log, a.o.Now().Add(-2*time.Minute).UnixMilli(), bytes.Clone(raw))
}

// Len returns the backlog size of a log.
func (a *API) Len(log string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.backlog(log).Len()
}

// sample is one fixed authentication record, the base of BigRecord and
// WideRecord; the seed keeps their txids apart.
func sample(seed int64) []byte {
	_, raw := newGen(seed).authEvent(1_700_000_000_000 + seed)
	return raw
}

// BigRecord is a valid authentication record whose alias makes it about
// size bytes (a pasted stack trace in a device name, say).
func (a *API) BigRecord(size int) []byte { return fakekit.BigRecord(sample(99), "alias", size) }

// WideRecord is a valid authentication record with about n leaf fields,
// the extra ones in ood_software.
func (a *API) WideRecord(n int) []byte { return fakekit.WideRecord(sample(98), "ood_software", n) }

// duoError writes Duo's error envelope.
func duoError(w http.ResponseWriter, status, code int, msg string) {
	fakekit.WriteJSON(w, status, map[string]any{"code": code, "message": msg, "stat": "FAIL"})
}

// ServeHTTP implements http.Handler.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.Record(w, r, a.o.Now(), func(w http.ResponseWriter, r *http.Request) { a.serve(w, r) })
}

func (a *API) serve(w http.ResponseWriter, r *http.Request) int {
	log := ""
	for l, p := range paths {
		if p == r.URL.Path {
			log = l
		}
	}
	if r.Method != http.MethodGet || log == "" {
		duoError(w, http.StatusNotFound, 40400, "Resource not found")
		return http.StatusNotFound
	}
	if status, code, msg := a.verify(r); status != 0 {
		duoError(w, status, code, msg)
		return status
	}
	now := a.o.Now()
	if !a.budget.Take(r.URL.Path, a.o.RequestsPerMinute, now) {
		// Duo's 429 has no Retry-After and no rate-limit headers.
		duoError(w, http.StatusTooManyRequests, 42901, "Too Many Requests")
		return http.StatusTooManyRequests
	}
	if log == Administrator {
		return a.serveV1(w, r)
	}
	return a.serveV2(w, r, log, now)
}

// verify recomputes the signature from the request as received.
func (a *API) verify(r *http.Request) (status, code int, msg string) {
	date := r.Header.Get("Date")
	t, err := time.Parse(time.RFC1123Z, date)
	if err != nil {
		return http.StatusUnauthorized, 40105, "Missing or invalid Date header"
	}
	if d := a.o.Now().Sub(t); d > a.o.MaxSkew || d < -a.o.MaxSkew {
		return http.StatusUnauthorized, 40105, "Request date is too far from the current time"
	}
	user, sig, ok := r.BasicAuth()
	if !ok || user != a.o.IKey {
		return http.StatusUnauthorized, 40101, "Missing or invalid integration key"
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return http.StatusBadRequest, 40002, "Invalid query string"
	}
	canonParams := duo.CanonParams(q)
	if r.URL.RawQuery != canonParams {
		// Stricter than Duo, which re-canonicalises: the wodle promises to
		// send exactly the canonical form it signed.
		return http.StatusUnauthorized, 40103, "Invalid signature in request credentials (query not in canonical form)"
	}
	canon := duo.Canonical(date, r.Method, r.Host, r.URL.EscapedPath(), canonParams)
	digest := duo.SHA512
	if len(sig) == 40 {
		digest = duo.SHA1
	}
	want, err := duo.Sign(a.o.SKey, digest, canon)
	if err != nil || want != sig {
		return http.StatusUnauthorized, 40103, "Invalid signature in request credentials"
	}
	return 0, 0, ""
}

func (a *API) serveV1(w http.ResponseWriter, r *http.Request) int {
	minTime, err := strconv.ParseInt(r.URL.Query().Get("mintime"), 10, 64)
	if err != nil || minTime < 0 || minTime > 1e11 {
		duoError(w, http.StatusBadRequest, 40003, "Invalid request parameters: mintime (epoch seconds)")
		return http.StatusBadRequest
	}
	out := make([]json.RawMessage, 0)
	for _, e := range a.logs[Administrator].Entries(0, a.logs[Administrator].Len()) {
		if ms(e)/1000 >= minTime && len(out) < a.o.AdminLimit {
			out = append(out, e.Raw)
		}
	}
	fakekit.WriteJSON(w, http.StatusOK, map[string]any{"stat": "OK", "response": out})
	return http.StatusOK
}

func (a *API) serveV2(w http.ResponseWriter, r *http.Request, log string, now time.Time) int {
	q := r.URL.Query()
	bad := func(msg string) int {
		duoError(w, http.StatusBadRequest, 40003, msg)
		return http.StatusBadRequest
	}
	minT, err1 := strconv.ParseInt(q.Get("mintime"), 10, 64)
	maxT, err2 := strconv.ParseInt(q.Get("maxtime"), 10, 64)
	switch {
	case err1 != nil || err2 != nil || len(q.Get("mintime")) != 13 || len(q.Get("maxtime")) != 13:
		return bad("Invalid request parameters: mintime and maxtime (13-digit epoch milliseconds) are required")
	case minT >= maxT:
		return bad("Invalid request parameters: mintime must be less than maxtime")
	case maxT > now.Add(-2*time.Minute).UnixMilli():
		return bad("Invalid request parameters: maxtime must be at least two minutes in the past (fake API check)")
	case minT < now.Add(-180*24*time.Hour).UnixMilli():
		return bad("Invalid request parameters: mintime must be within the past 180 days")
	}
	limit := 100
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return bad("Invalid request parameters: limit must be between 1 and 1000")
		}
		limit = n
	}
	if s := q.Get("sort"); s != "" && s != "ts:asc" {
		return bad("Invalid request parameters: this fake serves sort=ts:asc only")
	}
	after := fakekit.Entry{At: time.UnixMilli(minT - 1)}
	if offs := q["next_offset"]; len(offs) > 0 {
		off := strings.Join(offs, ",")
		win, ok := a.offsets[log+" "+off]
		if !ok {
			return bad("Invalid request parameters: unknown next_offset")
		}
		if win != [2]int64{minT, maxT} {
			return bad("Invalid request parameters: mintime and maxtime must not change while following next_offset")
		}
		ts, id, _ := strings.Cut(off, ",")
		at, _ := strconv.ParseInt(ts, 10, 64)
		after = fakekit.Entry{At: time.UnixMilli(at), Key: id}
	}
	var page []fakekit.Entry
	more := false
	b := a.logs[log]
	for _, e := range b.Entries(0, b.Len()) {
		if ms(e) > maxT {
			break
		}
		if ms(e) < ms(after) || (ms(e) == ms(after) && e.Key <= after.Key) || ms(e) < minT {
			continue
		}
		if len(page) == limit {
			more = true
			break
		}
		page = append(page, e)
	}
	raws := make([]json.RawMessage, len(page))
	for i, e := range page {
		raws[i] = e.Raw
	}
	var next any
	if more {
		last := page[len(page)-1]
		ts := strconv.FormatInt(ms(last), 10)
		a.offsets[log+" "+ts+","+last.Key] = [2]int64{minT, maxT}
		if log == Authentication {
			next = []string{ts, last.Key} // authentication: an array
		} else {
			next = ts + "," + last.Key // telephony and activity: one string
		}
	}
	total := 0
	for _, e := range b.Entries(0, b.Len()) {
		if ms(e) >= minT && ms(e) <= maxT {
			total++
		}
	}
	meta := map[string]any{"next_offset": next, "total_objects": total}
	if log == Activity {
		meta["total_objects"] = map[string]any{"relation": "eq", "value": total}
	}
	resp := map[string]any{"metadata": meta}
	if log == Authentication {
		resp["authlogs"] = raws
	} else {
		resp["items"] = raws
	}
	fakekit.WriteJSON(w, http.StatusOK, map[string]any{"stat": "OK", "response": resp})
	return http.StatusOK
}

// demoMaxPerLog keeps each log of the demo within one full page: Duo's
// log endpoints allow about one request a minute, so a larger backlog is
// collected over several runs (proven in vendors/duo's tests), which the
// demo's "second run emits nothing new" check would read as a replay.
const demoMaxPerLog = 900

// Demo is the fake tools/fakeapi serves: the token as the secret key and
// Duo's observed limit of two requests a minute per log endpoint.
func Demo(c fakekit.DemoConfig) fakekit.Demo {
	const ikey = "DIWODLEKITDEMOIKEY01"
	n := min(c.Events, demoMaxPerLog)
	events := map[string]int{}
	for _, l := range Logs() {
		events[l] = n
	}
	// Duo serves only events older than two minutes: a backlog reaching up
	// to now would let events cross that line between two demo runs, and a
	// second run would rightly collect them. End it five minutes ago.
	const settled = 5 * time.Minute
	api := New(Options{
		IKey: ikey, SKey: c.Token, Events: events, Seed: c.Seed, Start: c.Start.Add(-settled), Span: c.Span,
		RequestsPerMinute: 2,
	})
	return fakekit.Demo{Fake: api, Secrets: map[string]string{"DUO_IKEY": ikey, "DUO_SKEY": c.Token}}
}
