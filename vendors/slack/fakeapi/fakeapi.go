// Package fakeapi is a deterministic fake of Slack's Audit Logs API
// (GET /audit/v1/logs) for tests and the demo. It serves what Slack
// documents and what other collectors learnt: entries newest first; oldest
// and latest inclusive, in Unix seconds; a next_cursor that does not carry
// the time range (a page asked without oldest pages back to the start of
// the log); {"ok":false,"error":...} answers, with HTTP 401 for a wrong
// token and HTTP 200 for a token Slack knows but refuses; 429 with
// Retry-After past a per-minute budget.
package fakeapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wodlekit/wodlekit/runtime/wodletest/fakekit"
)

// Path is the one endpoint the fake serves.
const Path = "/audit/v1/logs"

// Module is the collector's one module, for AppendRaw.
const Module = "logs"

// Options configures a fake.
type Options struct {
	// Token is the bearer token the fake accepts.
	Token string
	// Refuse, when set, is the error code every authenticated request is
	// answered with, as HTTP 200 {"ok":false} (missing_scope,
	// feature_not_enabled, ...).
	Refuse string
	// Events is the initial backlog.
	Events int
	// Seed makes the generated entries deterministic.
	Seed int64
	// Start and Span place the backlog: evenly from Start to Start+Span.
	Start time.Time
	Span  time.Duration
	// SameSecond puts this many entries on each generated second (default
	// 1): Slack dates entries to the second, and busy organizations share
	// seconds across pages.
	SameSecond int
	// RequestsPerMinute is the budget past which the fake answers 429
	// (Slack Tier 3: about 50); 0 is none.
	RequestsPerMinute int
	// Now is the fake's clock; nil uses time.Now.
	Now func() time.Time
}

// API is the fake; it is an http.Handler, safe for concurrent use.
type API struct {
	fakekit.RequestLog
	o       Options
	mu      sync.Mutex
	g       *gen
	entries fakekit.Backlog // oldest first: (date_create, id)
	budget  fakekit.Budget
}

var _ fakekit.Fake = (*API)(nil)

// New builds a fake with its initial backlog.
func New(o Options) *API {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SameSecond <= 0 {
		o.SameSecond = 1
	}
	a := &API{o: o, g: newGen(o.Seed), budget: fakekit.Budget{Window: time.Minute}}
	for i := range o.Events {
		slot := int64(i / o.SameSecond)
		slots := int64((o.Events + o.SameSecond - 1) / o.SameSecond)
		sec := o.Start.Unix() + int64(o.Span.Seconds())*slot/max(slots, 1)
		id, raw := a.g.entry(sec)
		a.insert(sec, id, raw)
	}
	return a
}

func (a *API) insert(sec int64, id string, raw []byte) {
	a.entries.Add(fakekit.Entry{At: time.Unix(sec, 0), Key: id, Raw: raw})
}

// Append adds n new entries dated now, as if they had just happened.
func (a *API) Append(n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	sec := a.o.Now().Unix()
	for range n {
		id, raw := a.g.entry(sec)
		a.insert(sec, id, raw)
	}
}

// AppendRaw adds one entry as raw JSON, stamped like Append: its
// date_create becomes now, so the next sweep reaches it.
func (a *API) AppendRaw(module string, raw []byte) {
	if module != Module {
		panic(fmt.Sprintf("fakeapi: Slack has one module, %q, not %q", Module, module))
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var rec map[string]any
	if err := dec.Decode(&rec); err != nil {
		panic(fmt.Sprintf("fakeapi: AppendRaw: %v", err))
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	sec := a.o.Now().Unix()
	rec["date_create"] = sec
	id, _ := rec["id"].(string)
	if id == "" {
		id = a.g.UUID()
		rec["id"] = id
	}
	b, err := json.Marshal(rec)
	if err != nil {
		panic(fmt.Sprintf("fakeapi: AppendRaw: %v", err))
	}
	a.insert(sec, id, b)
}

// AppendAction adds one entry of the given action and entity type dated
// sec, for tests that need a particular event.
func (a *API) AppendAction(sec int64, action, entityType string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	id, raw := a.g.entryFor(sec, action, entityType)
	a.insert(sec, id, raw)
	return id
}

// Len is the number of entries the fake holds.
func (a *API) Len() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.entries.Len()
}

// ServeHTTP implements http.Handler.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.o.Now()
	a.Record(w, r, now, func(w http.ResponseWriter, r *http.Request) { a.serve(w, r, now) })
}

func refuse(w http.ResponseWriter, status int, code string) {
	fakekit.WriteJSON(w, status, fakekit.Object("ok", false, "error", code))
}

func (a *API) serve(w http.ResponseWriter, r *http.Request, now time.Time) {
	if r.URL.Path != Path {
		refuse(w, http.StatusNotFound, "unknown_method")
		return
	}
	if r.Method != http.MethodGet {
		refuse(w, http.StatusMethodNotAllowed, "method_not_supported_for_channel_type")
		return
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	switch {
	case !ok || tok == "":
		refuse(w, http.StatusUnauthorized, "not_authed")
		return
	case tok != a.o.Token:
		refuse(w, http.StatusUnauthorized, "invalid_auth")
		return
	case strings.HasPrefix(tok, "xoxb-"):
		refuse(w, http.StatusOK, "not_allowed_token_type")
		return
	case a.o.Refuse != "":
		refuse(w, http.StatusOK, a.o.Refuse)
		return
	}
	if !a.budget.Take(Path, a.o.RequestsPerMinute, now) {
		// Slack sends the wait; a slot of the minute frees within it.
		w.Header().Set("Retry-After", strconv.Itoa(max(1, 60/a.o.RequestsPerMinute)))
		refuse(w, http.StatusTooManyRequests, "ratelimited")
		return
	}
	q := r.URL.Query()
	oldest, err1 := optInt(q.Get("oldest"), 0)
	latest, err2 := optInt(q.Get("latest"), now.Unix())
	limit, err3 := optInt(q.Get("limit"), 100)
	if err1 != nil || err2 != nil || err3 != nil || limit < 1 || limit > 9999 || latest < oldest {
		refuse(w, http.StatusOK, "invalid_arguments")
		return
	}
	// Newest first: start below the cursor's entry when there is one.
	end := a.entries.Len()
	if c := q.Get("cursor"); c != "" {
		sec, id, ok := decodeCursor(c)
		if !ok {
			refuse(w, http.StatusOK, "invalid_cursor")
			return
		}
		end = a.entries.Search(time.Unix(sec, 0))
		for end < a.entries.Len() && a.entries.Entry(end).At.Unix() == sec && a.entries.Entry(end).Key < id {
			end++
		}
	}
	var page []json.RawMessage
	i := end - 1
	for ; i >= 0 && len(page) < int(limit); i-- {
		e := a.entries.Entry(i)
		if e.At.Unix() > latest {
			continue
		}
		if e.At.Unix() < oldest {
			i = -1
			break
		}
		page = append(page, e.Raw)
	}
	next := ""
	if i >= 0 && a.entries.Entry(i).At.Unix() >= oldest && len(page) > 0 {
		next = encodeCursor(a.entries.Entry(i + 1))
	}
	if page == nil {
		page = []json.RawMessage{}
	}
	fakekit.WriteJSON(w, http.StatusOK, fakekit.Object("entries", page, "response_metadata", fakekit.Object("next_cursor", next)))
}

func optInt(s string, def int64) (int64, error) {
	if s == "" {
		return def, nil
	}
	return strconv.ParseInt(s, 10, 64)
}

// Cursors name the last entry served, opaquely: the next page starts
// below it, whatever was added since.
func encodeCursor(e fakekit.Entry) string {
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("%d:%s", e.At.Unix(), e.Key)))
}

func decodeCursor(c string) (sec int64, id string, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, "", false
	}
	s, id, ok := strings.Cut(string(b), ":")
	n, err := strconv.ParseInt(s, 10, 64)
	if !ok || err != nil {
		return 0, "", false
	}
	return n, id, true
}

// BigRecord is a valid audit entry whose user agent makes it about size
// bytes (a pasted header, say).
func (a *API) BigRecord(size int) []byte {
	_, raw := newGen(99).entryFor(1_700_000_000, "user_login", "user")
	return fakekit.BigRecord(raw, "context.ua", size)
}

// WideRecord is a valid audit entry with about n leaf fields in details.
func (a *API) WideRecord(n int) []byte {
	_, raw := newGen(98).entryFor(1_700_000_001, "user_login", "user")
	return fakekit.WideRecord(raw, "details", n)
}

// Demo is the fake tools/fakeapi serves: the token as the org owner's user
// token, three entries a second (busy seconds straddle pages) and Slack's
// Tier 3 budget of about 50 requests a minute.
func Demo(c fakekit.DemoConfig) fakekit.Demo {
	api := New(Options{Token: c.Token, Events: c.Events, Seed: c.Seed, Start: c.Start, Span: c.Span,
		SameSecond: 3, RequestsPerMinute: 50})
	return fakekit.Demo{Fake: api, Secrets: map[string]string{"SLACK_TOKEN": c.Token}}
}
