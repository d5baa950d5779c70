// Package fakeapi is a stateful fake of the 1Password Events API v2 for
// tests, the demo and the benchmark: bearer-token auth with per-token
// features, ResetCursor and cursor requests, opaque cursors, has_more
// pagination, introspection, and a backlog of realistic generated events
// that can grow while the fake runs.
package fakeapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wodlekit/wodlekit/runtime/wodletest/fakekit"
)

// Limits of the ResetCursor "limit" field, as documented.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// maxBody bounds what the fake reads of a request body; real requests are
// a few hundred bytes.
const maxBody = 64 << 10

// Options configures a fake.
type Options struct {
	// Token is the accepted bearer token; any other gets 401.
	Token string
	// Features are the features the token holds; an endpoint outside them is
	// refused with MissingFeatureStatus, and introspect lists them.
	Features []string
	// Events is the initial backlog size per feature.
	Events map[string]int
	// Seed makes the generated events deterministic.
	Seed int64
	// Start is the timestamp of the first generated event.
	Start time.Time
	// Span is the time from the first to the last initial event; events are
	// spaced evenly across it.
	Span time.Duration
	// MissingFeatureStatus is the status for an endpoint the token lacks;
	// 0 means 401, the status the API specification lists.
	MissingFeatureStatus int
	// Now is the clock behind the default start_time (one hour before
	// end_time or now, as the API documents); nil means time.Now.
	Now func() time.Time
}

// API is the fake; it is safe for concurrent use.
type API struct {
	fakekit.RequestLog
	opts      Options
	tokenUUID string
	issuedAt  time.Time

	mu      sync.Mutex
	streams map[string]*stream
}

var _ fakekit.Fake = (*API)(nil)

// stream is one feature's events, kept in time order.
type stream struct {
	gen     *fakekit.Gen
	backlog fakekit.Backlog
	step    time.Duration
}

// New builds a fake with its whole initial backlog generated.
func New(o Options) *API {
	if o.Start.IsZero() {
		o.Start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if o.MissingFeatureStatus == 0 {
		o.MissingFeatureStatus = http.StatusUnauthorized
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.Features = slices.Clone(o.Features)
	a := &API{
		opts:      o,
		tokenUUID: opUUID(fakekit.NewGen(uint64(o.Seed), 0)),
		issuedAt:  o.Start.Add(-72 * time.Hour).UTC(),
		streams:   make(map[string]*stream),
	}
	for fi, f := range Features() {
		n := o.Events[f]
		s := &stream{gen: fakekit.NewGen(uint64(o.Seed), uint64(fi)+1)}
		s.step = time.Millisecond
		if n > 1 && o.Span > 0 {
			s.step = max(o.Span/time.Duration(n-1), time.Nanosecond)
		}
		a.streams[f] = s
		for i := range n {
			var ts time.Time
			if n > 1 {
				ts = o.Start.Add(time.Duration(int64(o.Span) / int64(n-1) * int64(i)))
			} else {
				ts = o.Start
			}
			s.add(f, ts)
		}
	}
	return a
}

// add generates the next event of feature f at about ts.
func (s *stream) add(f string, ts time.Time) {
	i := s.backlog.Len()
	// Vary precision the way the API does (seconds, milli, micro, nano)
	// without breaking time order.
	ts = ts.Add(time.Duration(s.gen.IntN(1_000_000_000)))
	switch i % 4 {
	case 0:
		ts = ts.Truncate(time.Second)
	case 1:
		ts = ts.Truncate(time.Millisecond)
	case 2:
		ts = ts.Truncate(time.Microsecond)
	}
	if last := s.backlog.Last(); i > 0 && ts.Before(last) {
		ts = last
	}
	s.backlog.Add(fakekit.Entry{At: ts, Raw: GenerateEvent(f, i, s.gen, ts)})
}

// next is the time of a feature's next appended event, one step after
// the newest.
func (a *API) next(s *stream) time.Time {
	if s.backlog.Len() == 0 {
		return a.opts.Start
	}
	return s.backlog.Last().Add(s.step)
}

// stream returns a feature's stream; an unknown feature panics.
func (a *API) stream(feature string) *stream {
	s, ok := a.streams[feature]
	if !ok {
		panic("fakeapi: unknown feature " + feature)
	}
	return s
}

// Append adds n new events to every feature's stream.
func (a *API) Append(n int) {
	for _, f := range Features() {
		a.AppendTo(f, n)
	}
}

// AppendTo adds n new events to a feature's stream, after the existing
// ones, as if they had just happened.
func (a *API) AppendTo(feature string, n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.stream(feature)
	for range n {
		s.add(feature, a.next(s))
	}
}

// AppendRaw adds a record as given (a big or wide event, a polymorphic
// field) after a feature's existing events, for tests that need an exact
// shape in the stream.
func (a *API) AppendRaw(feature string, raw []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.stream(feature)
	s.backlog.Add(fakekit.Entry{At: a.next(s), Raw: bytes.Clone(raw)})
}

// Len reports how many events a feature's stream holds.
func (a *API) Len(feature string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	if s, ok := a.streams[feature]; ok {
		return s.backlog.Len()
	}
	return 0
}

// Event returns a copy of a feature's i-th event, for tests that compare
// what a collector emitted with what the fake served.
func (a *API) Event(feature string, i int) []byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	return bytes.Clone(a.streams[feature].backlog.Entry(i).Raw)
}

// ServeHTTP implements http.Handler.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.Record(w, r, a.opts.Now(), a.serve)
}

func (a *API) serve(w http.ResponseWriter, r *http.Request) {
	const prefix = "/api/v2/"
	path := r.URL.Path
	switch {
	case path == prefix+"auth/introspect":
		if r.Method != http.MethodGet {
			writeError(w, http.StatusMethodNotAllowed, "method not allowed")
			return
		}
		if !a.authorized(r) {
			writeError(w, http.StatusUnauthorized, "Unauthorized")
			return
		}
		a.introspect(w)
	case strings.HasPrefix(path, prefix) && slices.Contains(Features(), path[len(prefix):]):
		feature := path[len(prefix):]
		if r.Method != http.MethodPost {
			writeError(w, http.StatusMethodNotAllowed, "method not allowed")
			return
		}
		if !a.authorized(r) {
			writeError(w, http.StatusUnauthorized, "Unauthorized")
			return
		}
		if !slices.Contains(a.opts.Features, feature) {
			writeError(w, a.opts.MissingFeatureStatus, "token is not authorized for the "+feature+" feature")
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil {
			writeError(w, http.StatusBadRequest, "cannot read request body")
			return
		}
		if len(body) > maxBody {
			writeError(w, http.StatusRequestEntityTooLarge, "request body too large")
			return
		}
		req, err := ParseRequest(body)
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		a.page(w, feature, req)
	default:
		writeError(w, http.StatusNotFound, "not found")
	}
}

// authorized checks the bearer token. The scheme is matched without regard
// to case, as HTTP auth schemes are case-insensitive.
func (a *API) authorized(r *http.Request) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	return ok && strings.EqualFold(scheme, "Bearer") && a.opts.Token != "" && token == a.opts.Token
}

func (a *API) introspect(w http.ResponseWriter) {
	body, _ := json.Marshal(struct {
		UUID        string   `json:"uuid"`
		IssuedAt    string   `json:"issued_at"`
		Features    []string `json:"features"`
		AccountUUID string   `json:"account_uuid"`
	}{a.tokenUUID, a.issuedAt.Format(time.RFC3339), nonNil(a.opts.Features), accountUUID})
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Request is a parsed request body: exactly one of a ResetCursor or a cursor.
type Request struct {
	// Cursor is set for a cursor request.
	Cursor *Cursor
	// Limit, StartTime and EndTime are the ResetCursor fields, defaults
	// applied except for StartTime, which depends on the clock (zero = unset).
	Limit     int
	StartTime time.Time
	EndTime   time.Time
}

// Cursor is what the fake's opaque cursor encodes.
type Cursor struct {
	Feature string `json:"f"`
	Offset  int    `json:"o"`
	Limit   int    `json:"l"`
	// End is the ResetCursor's end_time in Unix nanoseconds; 0 for none.
	End int64 `json:"e,omitempty"`
}

// Encode returns the cursor's opaque wire form.
func (c Cursor) Encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor parses an opaque cursor; it fails on anything Encode did not
// produce.
func DecodeCursor(s string) (Cursor, error) {
	var c Cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return c, errors.New("invalid cursor")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || c.Feature == "" || c.Offset < 0 || c.Limit < 1 || c.Limit > MaxLimit {
		return Cursor{}, errors.New("invalid cursor")
	}
	return c, nil
}

// ParseRequest validates a request body the way the API does: a JSON object
// holding either {"cursor"} or any of {"limit","start_time","end_time"},
// never both. The fake is stricter than the API on unknown keys, which it
// rejects, so a misspelt field in a collector fails loudly in tests.
func ParseRequest(body []byte) (Request, error) {
	var in struct {
		Cursor    *string `json:"cursor"`
		Limit     *int    `json:"limit"`
		StartTime *string `json:"start_time"`
		EndTime   *string `json:"end_time"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return Request{}, fmt.Errorf("invalid request body: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Request{}, errors.New("invalid request body: trailing data")
	}
	reset := in.Limit != nil || in.StartTime != nil || in.EndTime != nil
	if in.Cursor != nil {
		if reset {
			return Request{}, errors.New("request must hold either a cursor or a reset cursor, not both")
		}
		c, err := DecodeCursor(*in.Cursor)
		if err != nil {
			return Request{}, err
		}
		return Request{Cursor: &c}, nil
	}
	req := Request{Limit: DefaultLimit}
	if in.Limit != nil {
		if *in.Limit < 1 || *in.Limit > MaxLimit {
			return Request{}, fmt.Errorf("limit must be between 1 and %d", MaxLimit)
		}
		req.Limit = *in.Limit
	}
	var err error
	if in.StartTime != nil {
		if req.StartTime, err = time.Parse(time.RFC3339Nano, *in.StartTime); err != nil {
			return Request{}, errors.New("start_time must be an RFC 3339 date-time")
		}
	}
	if in.EndTime != nil {
		if req.EndTime, err = time.Parse(time.RFC3339Nano, *in.EndTime); err != nil {
			return Request{}, errors.New("end_time must be an RFC 3339 date-time")
		}
	}
	if !req.StartTime.IsZero() && !req.EndTime.IsZero() && req.EndTime.Before(req.StartTime) {
		return Request{}, errors.New("end_time must not be before start_time")
	}
	return req, nil
}

// page answers one request for a feature's events.
func (a *API) page(w http.ResponseWriter, feature string, req Request) {
	a.mu.Lock()
	s := a.streams[feature]
	var c Cursor
	if req.Cursor != nil {
		c = *req.Cursor
		if c.Feature != feature {
			a.mu.Unlock()
			writeError(w, http.StatusBadRequest, "cursor belongs to another endpoint")
			return
		}
	} else {
		start := req.StartTime
		if start.IsZero() {
			ref := req.EndTime
			if ref.IsZero() {
				ref = a.opts.Now()
			}
			start = ref.Add(-time.Hour)
		}
		c = Cursor{Feature: feature, Limit: req.Limit}
		c.Offset = s.backlog.Search(start)
		if !req.EndTime.IsZero() {
			c.End = req.EndTime.UnixNano()
		}
	}
	// end is one past the last event the cursor may return.
	end := s.backlog.Len()
	if c.End != 0 {
		end = s.backlog.Search(time.Unix(0, c.End))
	}
	from := min(c.Offset, end)
	to := min(from+c.Limit, end)
	var body bytes.Buffer
	// One allocation per page: pages are up to a megabyte, and the
	// benchmark measures the collector, not this buffer's growth.
	size := 64
	items := s.backlog.Entries(from, to)
	for _, e := range items {
		size += len(e.Raw) + 1
	}
	body.Grow(size)
	next := c
	next.Offset = max(to, c.Offset)
	body.WriteString(`{"cursor":`)
	body.Write(fakekit.Marshal(next.Encode()))
	fmt.Fprintf(&body, `,"has_more":%t,"items":[`, to < end)
	for i, e := range items {
		if i > 0 {
			body.WriteByte(',')
		}
		body.Write(e.Raw)
	}
	body.WriteString("]}")
	a.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body.Bytes())
}

// writeError answers with the API's error shape {"Error":{"Message":"..."}}.
func writeError(w http.ResponseWriter, status int, msg string) {
	fakekit.WriteJSON(w, status, map[string]map[string]string{"Error": {"Message": msg}})
}

// Demo is the fake tools/fakeapi serves: a token holding all three
// features and the same backlog on each stream.
func Demo(c fakekit.DemoConfig) fakekit.Demo {
	events := map[string]int{}
	for _, f := range Features() {
		events[f] = c.Events
	}
	api := New(Options{Token: c.Token, Features: Features(), Events: events, Seed: c.Seed, Start: c.Start, Span: c.Span})
	return fakekit.Demo{Fake: api, Secrets: map[string]string{"OP_EVENTS_TOKEN": c.Token}}
}
