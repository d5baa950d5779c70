// Package fakeapi is a deterministic fake of the Duo Admin API log
// endpoints for tests and the demo. It checks what the real API checks and
// a little more: every request's HMAC signature recomputed from what was
// received, a fresh Date, the query sent exactly as signed, maxtime at
// least two minutes old, mintime within 180 days, mintime/maxtime unchanged
// while following next_offset, and per-endpoint rate limits answered with
// Duo's header-less 429 {"code":42901}.
package fakeapi

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wodlekit/wodlekit/runtime/auth"
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

// Request is what the fake recorded of one request.
type Request struct {
	Path, Query, Date, Authorization string
	Status                           int
	// At is when the fake received it, on its clock.
	At time.Time
}

type event struct {
	ms  int64
	id  string
	raw []byte
}

// API is the fake; it is an http.Handler, safe for concurrent use.
type API struct {
	o    Options
	mu   sync.Mutex
	g    *gen
	logs map[string][]event
	// offsets remembers the window each next_offset was issued for.
	offsets  map[string][2]int64
	hits     map[string][]time.Time
	requests []Request
}

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
	a := &API{o: o, g: newGen(o.Seed), logs: map[string][]event{}, offsets: map[string][2]int64{}, hits: map[string][]time.Time{}}
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
		id = fmt.Sprintf("raw-%d", len(a.logs[log]))
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
	e := event{ms: ms, id: id, raw: raw}
	evs := a.logs[log]
	i, _ := slices.BinarySearchFunc(evs, e, cmpEvent)
	a.logs[log] = slices.Insert(evs, i, e)
}

func cmpEvent(x, y event) int {
	if x.ms != y.ms {
		if x.ms < y.ms {
			return -1
		}
		return 1
	}
	return strings.Compare(x.id, y.id)
}

// Append adds n new events to a log, stamped two minutes before now: the
// newest a Duo query may already return.
func (a *API) Append(log string, n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	ms := a.o.Now().Add(-2 * time.Minute).UnixMilli()
	for range n {
		a.add(log, ms, nil)
	}
}

// AppendRaw adds one record, as given, to a log, stamped like Append.
func (a *API) AppendRaw(log string, raw []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.add(log, a.o.Now().Add(-2*time.Minute).UnixMilli(), raw)
}

// Requests returns what the fake saw, in order.
func (a *API) Requests() []Request {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.requests)
}

// Len returns the backlog size of a log.
func (a *API) Len(log string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.logs[log])
}

// duoError writes Duo's error envelope.
func duoError(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(mustMarshal(map[string]any{"code": code, "message": msg, "stat": "FAIL"}))
}

// ServeHTTP implements http.Handler.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	rec := Request{Path: r.URL.Path, Query: r.URL.RawQuery, Date: r.Header.Get("Date"), Authorization: r.Header.Get("Authorization"), At: a.o.Now()}
	status := a.serve(w, r)
	rec.Status = status
	a.requests = append(a.requests, rec)
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
	if n := a.o.RequestsPerMinute; n > 0 {
		recent := a.hits[r.URL.Path][:0]
		for _, t := range a.hits[r.URL.Path] {
			if now.Sub(t) < time.Minute {
				recent = append(recent, t)
			}
		}
		a.hits[r.URL.Path] = recent
		if len(recent) >= n {
			// Duo's 429 has no Retry-After and no rate-limit headers.
			duoError(w, http.StatusTooManyRequests, 42901, "Too Many Requests")
			return http.StatusTooManyRequests
		}
		a.hits[r.URL.Path] = append(recent, now)
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
	user, sig, ok := basicAuth(r.Header.Get("Authorization"))
	if !ok || user != a.o.IKey {
		return http.StatusUnauthorized, 40101, "Missing or invalid integration key"
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return http.StatusBadRequest, 40002, "Invalid query string"
	}
	canonParams := auth.DuoCanonParams(q)
	if r.URL.RawQuery != canonParams {
		// Stricter than Duo, which re-canonicalises: the wodle promises to
		// send exactly the canonical form it signed.
		return http.StatusUnauthorized, 40103, "Invalid signature in request credentials (query not in canonical form)"
	}
	canon := auth.DuoCanonical(date, r.Method, r.Host, r.URL.EscapedPath(), canonParams)
	digest := auth.DuoSHA512
	if len(sig) == 40 {
		digest = auth.DuoSHA1
	}
	want, err := auth.DuoSign(a.o.SKey, digest, canon)
	if err != nil || want != sig {
		return http.StatusUnauthorized, 40103, "Invalid signature in request credentials"
	}
	return 0, 0, ""
}

func basicAuth(h string) (user, pass string, ok bool) {
	b64, found := strings.CutPrefix(h, "Basic ")
	if !found {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return "", "", false
	}
	return strings.Cut(string(raw), ":")
}

func (a *API) serveV1(w http.ResponseWriter, r *http.Request) int {
	minTime, err := strconv.ParseInt(r.URL.Query().Get("mintime"), 10, 64)
	if err != nil || minTime < 0 || minTime > 1e11 {
		duoError(w, http.StatusBadRequest, 40003, "Invalid request parameters: mintime (epoch seconds)")
		return http.StatusBadRequest
	}
	out := make([]json.RawMessage, 0)
	for _, e := range a.logs[Administrator] {
		if e.ms/1000 >= minTime && len(out) < a.o.AdminLimit {
			out = append(out, e.raw)
		}
	}
	writeOK(w, map[string]any{"stat": "OK", "response": out})
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
	after := event{ms: minT - 1}
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
		ms, _ := strconv.ParseInt(ts, 10, 64)
		after = event{ms: ms, id: id}
	}
	var page []event
	more := false
	for _, e := range a.logs[log] {
		if e.ms > maxT {
			break
		}
		if cmpEvent(e, after) <= 0 || e.ms < minT {
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
		raws[i] = e.raw
	}
	var next any
	if more {
		last := page[len(page)-1]
		ts := strconv.FormatInt(last.ms, 10)
		a.offsets[log+" "+ts+","+last.id] = [2]int64{minT, maxT}
		if log == Authentication {
			next = []string{ts, last.id} // authentication: an array
		} else {
			next = ts + "," + last.id // telephony and activity: one string
		}
	}
	total := 0
	for _, e := range a.logs[log] {
		if e.ms >= minT && e.ms <= maxT {
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
	writeOK(w, map[string]any{"stat": "OK", "response": resp})
	return http.StatusOK
}

func writeOK(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(mustMarshal(v))
}
