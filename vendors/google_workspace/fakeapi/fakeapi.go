// Package fakeapi is a deterministic fake of the Admin SDK Reports API
// (activities.list) and of Google's OAuth token endpoint, for tests and the
// demo, on runtime/wodletest/fakekit. It serves what Google documents and
// what other collectors learnt: activities newest first within a query and
// across its pages; startTime and endTime inclusive; a nextPageToken that
// only means something with the query it came from; "items" left out of a
// page with no activities; id.uniqueQualifier and profileId as strings
// (and, for some records, numbers, as older clients saw them); Google's
// error bodies. The token endpoint takes the service account's signed
// assertion (RS256) and checks it with the key's public half: issuer,
// subject, scope, audience and expiry, so a broken assertion fails.
package fakeapi

import (
	"bytes"
	"crypto/rsa"
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

// PathPrefix is the activities endpoint without its application.
const PathPrefix = "/admin/reports/v1/activity/users/all/applications/"

// TokenPath is the token endpoint the test keys name (as token_uri).
const TokenPath = "/token"

// Scope is the one scope the fake grants.
const Scope = "https://www.googleapis.com/auth/admin.reports.audit.readonly"

// Apps are the applications the fake serves, in the collector's order.
func Apps() []string {
	return []string{"login", "admin", "token", "saml", "drive", "user_accounts", "groups"}
}

// Refusals a fake can be set to answer, as Google does.
const (
	// RefuseDelegation: the client ID is not granted the scope
	// (unauthorized_client from the token endpoint).
	RefuseDelegation = "delegation"
	// RefuseUnknownAdmin: the subject is no user of the domain.
	RefuseUnknownAdmin = "unknown_admin"
	// RefuseNotAdmin: the subject is a user without the Reports privilege
	// (403 forbidden from the Reports API).
	RefuseNotAdmin = "not_admin"
	// RefuseAPIDisabled: the Admin SDK API is not enabled in the key's
	// project (403 accessNotConfigured, SERVICE_DISABLED).
	RefuseAPIDisabled = "api_disabled"
	// RefuseDailyLimit: the project's daily quota is spent (403
	// dailyLimitExceeded, usageLimits): it lasts until the quota resets.
	RefuseDailyLimit = "daily_limit"
)

// ThrottleRateLimit and ThrottleUserRateLimit are the reasons of Google's
// per-minute throttles (403, usageLimits) a fake answers (Throttles).
const (
	ThrottleRateLimit     = "rateLimitExceeded"
	ThrottleUserRateLimit = "userRateLimitExceeded"
)

// Options configures a fake.
type Options struct {
	// ClientEmail and PublicKey are the service account's: the token
	// endpoint verifies assertions with the key's public half.
	ClientEmail string
	PublicKey   *rsa.PublicKey
	// Admin is the delegated admin (the assertion's subject) it accepts.
	Admin string
	// AccessToken is the token it issues and accepts.
	AccessToken string
	// Refuse, when set, is one of the Refuse* answers.
	Refuse string
	// Throttles, when above zero, answers that many Reports API requests
	// with Google's per-minute throttle (403, ThrottleReason) before it
	// serves them again, as a spent per-minute quota clears.
	Throttles int
	// ThrottleReason is the throttles' reason; "" is ThrottleRateLimit.
	ThrottleReason string
	// Events is the initial backlog per application; Start and Span
	// place it in time.
	Events int
	Start  time.Time
	Span   time.Duration
	// Late, when set, makes each event visible this long after its time
	// (Google's lag).
	Late time.Duration
	// Seed makes the generated activities deterministic.
	Seed int64
	// Now is the fake's clock; nil uses time.Now.
	Now func() time.Time
}

// API is the fake; it is an http.Handler, safe for concurrent use.
type API struct {
	fakekit.RequestLog
	o       Options
	mu      sync.Mutex
	gen     *fakekit.Gen
	backlog map[string]*fakekit.Backlog
	tokens  int
	// throttled counts the throttles answered (Options.Throttles).
	throttled int
}

var _ fakekit.Fake = (*API)(nil)

// New builds a fake with its initial backlog.
func New(o Options) *API {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Start.IsZero() {
		o.Start = o.Now().Add(-time.Hour)
	}
	a := &API{o: o, gen: fakekit.NewGen(uint64(o.Seed), 0x67777), backlog: map[string]*fakekit.Backlog{}}
	for _, app := range Apps() {
		a.backlog[app] = &fakekit.Backlog{}
		for i := range o.Events {
			ts := o.Start.Add(o.Span * time.Duration(i) / time.Duration(max(o.Events, 1))).Truncate(time.Millisecond)
			a.add(app, ts, a.activity(app, ts))
		}
	}
	return a
}

func (a *API) add(app string, ts time.Time, raw []byte) {
	var vis time.Time
	if a.o.Late > 0 {
		vis = ts.Add(a.o.Late)
	}
	// Key orders activities of one millisecond: the uniqueQualifier.
	var id struct {
		ID struct {
			UQ json.RawMessage `json:"uniqueQualifier"`
		} `json:"id"`
	}
	_ = json.Unmarshal(raw, &id)
	a.backlog[app].Add(fakekit.Entry{At: ts, Key: string(id.ID.UQ), Raw: raw, Visible: vis})
}

// Append adds n new activities to every application, as if they had just
// happened.
func (a *API) Append(n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	// Google's id.time has milliseconds.
	now := a.o.Now().Truncate(time.Millisecond)
	for _, app := range Apps() {
		for range n {
			a.add(app, now, a.activity(app, now))
		}
	}
}

// AppendRaw adds one activity as raw JSON to an application, stamped
// now: its id.time becomes now and its id.applicationName the app.
func (a *API) AppendRaw(module string, raw []byte) {
	if _, ok := a.backlog[module]; !ok {
		panic(fmt.Sprintf("fakeapi: unknown application %q", module))
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var rec map[string]any
	if err := dec.Decode(&rec); err != nil {
		panic(fmt.Sprintf("fakeapi: AppendRaw: %v", err))
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.o.Now().Truncate(time.Millisecond)
	id, _ := rec["id"].(map[string]any)
	if id == nil {
		id = map[string]any{}
	}
	id["time"] = stamp(now)
	id["applicationName"] = module
	if id["uniqueQualifier"] == nil {
		id["uniqueQualifier"] = strconv.FormatInt(a.gen.Int64(), 10)
	}
	rec["id"] = id
	a.add(module, now, fakekit.Marshal(rec))
}

// AppendActivity adds one activity of app with one event of the given
// type and name, dated at, for tests that need a particular event.
func (a *API) AppendActivity(app string, at time.Time, eventType, name string, params ...Param) {
	a.mu.Lock()
	defer a.mu.Unlock()
	at = at.Truncate(time.Millisecond)
	a.add(app, at, a.build(app, at, "user", eventType, name, params))
}

// TokenRequests is how many access tokens the fake issued.
func (a *API) TokenRequests() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.tokens
}

func (a *API) sample(seed uint64) []byte {
	g := fakekit.NewGen(seed, seed)
	ts := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	return fakekit.Object("kind", "admin#reports#activity", "id", fakekit.Object("time", stamp(ts), "uniqueQualifier", strconv.FormatInt(g.Int64(), 10), "applicationName", "login", "customerId", "C03az79cb"),
		"actor", fakekit.Object("email", "alice@example.com", "profileId", "100000000000000000001"), "ipAddress", "203.0.113.10",
		"events", []any{fakekit.Object("type", "login", "name", "login_success")})
}

// BigRecord is a valid login activity whose actor.note makes it about
// size bytes.
func (a *API) BigRecord(size int) []byte { return fakekit.BigRecord(a.sample(1), "actor.note", size) }

// WideRecord is a valid login activity with about n leaf fields under
// actor.details.
func (a *API) WideRecord(n int) []byte { return fakekit.WideRecord(a.sample(2), "actor.details", n) }

// ServeHTTP implements http.Handler.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.o.Now()
	a.Record(w, r, now, func(w http.ResponseWriter, r *http.Request) { a.serve(w, r, now) })
}

func (a *API) serve(w http.ResponseWriter, r *http.Request, now time.Time) {
	if r.URL.Path == TokenPath {
		a.token(w, r)
		return
	}
	app, ok := strings.CutPrefix(r.URL.Path, PathPrefix)
	if !ok || a.backlog[app] == nil {
		apiError(w, http.StatusNotFound, "notFound", "Not Found", "NOT_FOUND")
		return
	}
	if r.Method != http.MethodGet {
		apiError(w, http.StatusMethodNotAllowed, "httpMethodNotAllowed", "Method not allowed", "INVALID_ARGUMENT")
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+a.o.AccessToken || a.o.AccessToken == "" {
		apiError(w, http.StatusUnauthorized, "authError", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.", "UNAUTHENTICATED")
		return
	}
	switch a.o.Refuse {
	case RefuseNotAdmin:
		apiError(w, http.StatusForbidden, "forbidden", "Not Authorized to access this resource/api", "PERMISSION_DENIED")
		return
	case RefuseAPIDisabled:
		serviceDisabled(w)
		return
	case RefuseDailyLimit:
		usageLimits(w, "dailyLimitExceeded", "Daily Limit Exceeded")
		return
	}
	if a.throttled < a.o.Throttles {
		a.throttled++
		reason, msg := ThrottleRateLimit, "Rate Limit Exceeded"
		if a.o.ThrottleReason == ThrottleUserRateLimit {
			reason, msg = ThrottleUserRateLimit, "User Rate Limit Exceeded"
		}
		usageLimits(w, reason, msg)
		return
	}
	q := r.URL.Query()
	start, err1 := parseTime(q.Get("startTime"), time.Time{})
	end, err2 := parseTime(q.Get("endTime"), now)
	limit, err3 := strconv.Atoi(q.Get("maxResults"))
	if q.Get("maxResults") == "" {
		limit, err3 = 1000, nil
	}
	switch {
	case err1 != nil || err2 != nil:
		apiError(w, http.StatusBadRequest, "invalid", "Invalid value for: startTime or endTime is not a valid RFC 3339 time", "INVALID_ARGUMENT")
		return
	case err3 != nil || limit < 1 || limit > 1000:
		apiError(w, http.StatusBadRequest, "invalid", "Invalid value for: maxResults must be between 1 and 1000", "INVALID_ARGUMENT")
		return
	case end.Before(start):
		apiError(w, http.StatusBadRequest, "invalid", "Start time must be less than or equal to the end time.", "INVALID_ARGUMENT")
		return
	case end.After(now):
		apiError(w, http.StatusBadRequest, "invalid", "End time cannot be in the future.", "INVALID_ARGUMENT")
		return
	}
	b := a.backlog[app]
	// Newest first: from the end of the window, or below the entry the
	// page token names.
	top := b.Search(end.Add(time.Millisecond)) // first index after end (ms precision)
	if tok := q.Get("pageToken"); tok != "" {
		at, key, ok := decodeToken(tok, start, end)
		if !ok {
			apiError(w, http.StatusBadRequest, "invalid", "Invalid value for: pageToken is not valid", "INVALID_ARGUMENT")
			return
		}
		top = b.Search(at)
		for top < b.Len() && b.Entry(top).At.Equal(at) && b.Entry(top).Key < key {
			top++
		}
	}
	var items []json.RawMessage
	i := top - 1
	for ; i >= 0 && len(items) < limit; i-- {
		e := b.Entry(i)
		if e.At.Before(start) {
			i = -1
			break
		}
		if e.At.After(end) || !e.VisibleAt(now) {
			continue
		}
		items = append(items, e.Raw)
	}
	// A next page only when one more visible entry of the window waits.
	next := ""
	for j := i; j >= 0; j-- {
		e := b.Entry(j)
		if e.At.Before(start) {
			break
		}
		if e.VisibleAt(now) && !e.At.After(end) {
			next = encodeToken(b.Entry(i+1), start, end)
			break
		}
	}
	kv := []any{"kind", "admin#reports#activities", "etag", `"` + a.gen.Chars("", fakekit.AlphaNum, 27) + `"`}
	// Google leaves "items" out of a page with no activities.
	if len(items) > 0 {
		kv = append(kv, "items", items)
	}
	if next != "" {
		kv = append(kv, "nextPageToken", next)
	}
	fakekit.WriteJSON(w, http.StatusOK, fakekit.Object(kv...))
}

// A page token names the last entry served and the query's bounds:
// Google's are opaque and tied to the query they came from.
func encodeToken(e fakekit.Entry, start, end time.Time) string {
	s := fmt.Sprintf("%d|%s|%d|%d", e.At.UnixNano(), e.Key, start.UnixMilli(), end.UnixMilli())
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

func decodeToken(tok string, start, end time.Time) (time.Time, string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return time.Time{}, "", false
	}
	parts := strings.Split(string(b), "|")
	if len(parts) != 4 {
		return time.Time{}, "", false
	}
	ns, err1 := strconv.ParseInt(parts[0], 10, 64)
	s, err2 := strconv.ParseInt(parts[2], 10, 64)
	e, err3 := strconv.ParseInt(parts[3], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || s != start.UnixMilli() || e != end.UnixMilli() {
		return time.Time{}, "", false
	}
	return time.Unix(0, ns), parts[1], true
}

func parseTime(s string, def time.Time) (time.Time, error) {
	if s == "" {
		return def, nil
	}
	return time.Parse(time.RFC3339Nano, s)
}

// stamp formats id.time as Google does: UTC, milliseconds.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// apiError answers Google's error model.
func apiError(w http.ResponseWriter, status int, reason, msg, st string) {
	fakekit.WriteJSON(w, status, fakekit.Object("error", fakekit.Object("code", status, "message", msg,
		"errors", []any{fakekit.Object("message", msg, "domain", "global", "reason", reason)}, "status", st)))
}

// usageLimits is Google's 403 for a spent quota: the legacy usageLimits
// domain and reason, the status of a refused permission.
func usageLimits(w http.ResponseWriter, reason, msg string) {
	fakekit.WriteJSON(w, http.StatusForbidden, fakekit.Object("error", fakekit.Object("code", 403, "message", msg,
		"errors", []any{fakekit.Object("message", msg, "domain", "usageLimits", "reason", reason)}, "status", "PERMISSION_DENIED")))
}

// serviceDisabled is Google's answer when the API is off in the project.
func serviceDisabled(w http.ResponseWriter) {
	msg := "Admin SDK API has not been used in project 123456789012 before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/admin.googleapis.com/overview?project=123456789012 then retry."
	fakekit.WriteJSON(w, http.StatusForbidden, fakekit.Object("error", fakekit.Object("code", 403, "message", msg,
		"errors", []any{fakekit.Object("message", msg, "domain", "usageLimits", "reason", "accessNotConfigured", "extendedHelp", "https://console.developers.google.com")},
		"status", "PERMISSION_DENIED",
		"details", []any{fakekit.Object("@type", "type.googleapis.com/google.rpc.ErrorInfo", "reason", "SERVICE_DISABLED", "domain", "googleapis.com",
			"metadata", fakekit.Object("service", "admin.googleapis.com", "consumer", "projects/123456789012"))})))
}

// token is the OAuth token endpoint of a service account key: the JWT
// bearer grant, the assertion verified with the key's public half.
func (a *API) token(w http.ResponseWriter, r *http.Request) {
	oauthError := func(status int, code, desc string) {
		fakekit.WriteJSON(w, status, fakekit.Object("error", code, "error_description", desc))
	}
	if r.Method != http.MethodPost {
		oauthError(http.StatusMethodNotAllowed, "invalid_request", "Method not allowed")
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthError(http.StatusBadRequest, "invalid_request", "Bad request body")
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		oauthError(http.StatusBadRequest, "unsupported_grant_type", "Invalid grant_type: "+gt)
		return
	}
	// The audience is this endpoint as the client reached it.
	aud := "http://" + r.Host + TokenPath
	// The assertion's times come from the client's real clock, whatever
	// the fake's clock says about events.
	c, refused := verifyAssertion(r.PostForm.Get("assertion"), a.o.PublicKey, aud, time.Now())
	if refused != "" {
		oauthError(http.StatusBadRequest, "invalid_grant", refused)
		return
	}
	switch {
	case c.Iss != a.o.ClientEmail:
		oauthError(http.StatusUnauthorized, "invalid_client", "The OAuth client was not found.")
		return
	case c.Sub == "" || c.Sub != a.o.Admin || a.o.Refuse == RefuseUnknownAdmin:
		oauthError(http.StatusBadRequest, "invalid_grant", "Invalid email or User ID")
		return
	case c.Scope != Scope || a.o.Refuse == RefuseDelegation:
		oauthError(http.StatusUnauthorized, "unauthorized_client", "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.")
		return
	}
	a.tokens++
	fakekit.WriteJSON(w, http.StatusOK, fakekit.Object("access_token", a.o.AccessToken, "expires_in", 3599, "token_type", "Bearer"))
}

// Demo is the fake tools/fakeapi serves: the demo's token is the access
// token, and a fresh service account key (test-only) is handed out.
func Demo(c fakekit.DemoConfig) fakekit.Demo {
	key := NewKey(c.URL)
	api := New(Options{ClientEmail: key.ClientEmail, PublicKey: &key.Private.PublicKey, Admin: DemoAdmin, AccessToken: c.Token,
		Events: c.Events, Seed: c.Seed, Start: c.Start, Span: c.Span})
	// The fake serves every activity at once: no lag to wait out.
	return fakekit.Demo{Fake: api, Secrets: map[string]string{"GWS_SERVICE_ACCOUNT_KEY": string(key.JSON)},
		Settings: map[string]string{"GWS_DELEGATED_ADMIN": DemoAdmin, "GWS_LAG": "0s"}}
}

// DemoAdmin is the delegated admin the demo fake accepts.
const DemoAdmin = "admin@example.com"
