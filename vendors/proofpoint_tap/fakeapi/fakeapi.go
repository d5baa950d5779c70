// Package fakeapi is a deterministic fake of the Proofpoint TAP SIEM and
// People APIs for tests and the demo: Basic auth, the SIEM API's interval
// rules and 400 texts, late indexing, re-classification, per-credential
// request budgets answered with header-less 429s, and an injectable clock.
package fakeapi

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wodlekit/wodlekit/runtime/wodletest/fakekit"
)

// TAP's documented budgets per credential and rolling 24 hours.
const (
	DefaultSIEMBudget   = 1800
	DefaultPeopleBudget = 50
)

// Record arrays of /v2/siem/all, in the order TAP writes them.
var Arrays = []string{"clicksPermitted", "clicksBlocked", "messagesDelivered", "messagesBlocked"}

// Options configure a fake.
type Options struct {
	// Principal and Secret are the Basic credentials the fake accepts.
	Principal, Secret string
	// Clock is the fake's time; nil is time.Now. Tests move it to walk
	// hours of backlog without waiting.
	Clock func() time.Time
	// Seed makes generated records deterministic.
	Seed uint64
	// SIEM is the initial SIEM backlog (records over the four arrays);
	// People the number of users in the VAP report.
	SIEM, People int
	// PerHour places the SIEM backlog in consecutive whole past hours,
	// this many records each (default 10), each hour's records within a
	// second around its half-hour: every one-hour slice, wherever it
	// starts, then holds one hour's records.
	PerHour int
	// SIEMBudget and PeopleBudget are requests per rolling 24 hours
	// before 429s (default TAP's 1800 and 50).
	SIEMBudget, PeopleBudget int
}

// API is the fake; it implements http.Handler.
type API struct {
	fakekit.RequestLog
	mu  sync.Mutex
	o   Options
	rng *fakekit.Gen
	seq int
	// arrays holds each record array's backlog: TAP files a record under its
	// "creation time" (the later of click/message time and threat time)
	// but shows it only once indexed (Entry.Visible).
	arrays map[string]*fakekit.Backlog
	users  [][]byte
	spent  fakekit.Budget // per pool, a rolling day
}

var _ fakekit.Fake = (*API)(nil)

// New builds a fake with its initial backlog.
func New(o Options) *API {
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.PerHour <= 0 {
		o.PerHour = 10
	}
	if o.SIEMBudget <= 0 {
		o.SIEMBudget = DefaultSIEMBudget
	}
	if o.PeopleBudget <= 0 {
		o.PeopleBudget = DefaultPeopleBudget
	}
	a := &API{o: o, rng: fakekit.NewGen(o.Seed, o.Seed^0x7a9), spent: fakekit.Budget{Window: 24 * time.Hour}, arrays: map[string]*fakekit.Backlog{}}
	for _, arr := range Arrays {
		a.arrays[arr] = &fakekit.Backlog{}
	}
	now := o.Clock().UTC()
	hours := (o.SIEM + o.PerHour - 1) / o.PerHour
	// Whole hours ending an hour before the current one: clear of any
	// safety lag, and never cut by the end of a window.
	base := now.Truncate(time.Hour).Add(-time.Duration(hours+1) * time.Hour)
	for i := range o.SIEM {
		at := base.Add(time.Duration(i/o.PerHour)*time.Hour + 30*time.Minute + time.Duration(i%o.PerHour)*10*time.Millisecond)
		arr := Arrays[i%len(Arrays)]
		a.arrays[arr].Add(fakekit.Entry{At: at, Raw: a.record(arr, at, at)})
	}
	for range o.People {
		a.users = append(a.users, a.user())
	}
	return a
}

// Append adds n SIEM records filed five minutes ago (inside any window
// that ends at a run's safety lag) and n VAP users.
func (a *API) Append(n int) {
	a.AppendSIEM(n)
	a.AppendPeople(n)
}

// AppendSIEM adds n SIEM records filed five minutes ago, visible now.
func (a *API) AppendSIEM(n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	at := a.o.Clock().UTC().Add(-5 * time.Minute)
	for i := range n {
		arr := Arrays[(a.seq+i)%len(Arrays)]
		t := at.Add(time.Duration(i) * time.Millisecond)
		a.arrays[arr].Add(fakekit.Entry{At: t, Raw: a.record(arr, t, t)})
	}
}

// AppendPeople adds n users to the VAP report.
func (a *API) AppendPeople(n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for range n {
		a.users = append(a.users, a.user())
	}
}

// AppendRaw adds a record as given: for "siem" a permitted click filed
// five minutes ago, for "people" a VAP user.
func (a *API) AppendRaw(module string, raw []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch module {
	case "siem":
		at := a.o.Clock().UTC().Add(-5 * time.Minute)
		a.arrays["clicksPermitted"].Add(fakekit.Entry{At: at, Raw: bytes.Clone(raw)})
	case "people":
		a.users = append(a.users, bytes.Clone(raw))
	default:
		panic("fakeapi: unknown module " + module)
	}
}

// Add files a SIEM record in array at filed, hidden until visible: a
// late-indexed event when visible is well after filed.
func (a *API) Add(array string, raw []byte, filed, visible time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.arrays[array].Add(fakekit.Entry{At: filed.UTC(), Visible: visible.UTC(), Raw: bytes.Clone(raw)})
}

// Intervals lists the interval parameters of the SIEM requests served.
func (a *API) Intervals() []string {
	var out []string
	for _, r := range a.Requests() {
		if r.Path == "/v2/siem/all" && r.Status == http.StatusOK {
			q, _ := url.ParseQuery(r.Query)
			out = append(out, q.Get("interval"))
		}
	}
	return out
}

// Rejected counts requests answered 429 for an exhausted budget.
func (a *API) Rejected() int {
	n := 0
	for _, r := range a.Requests() {
		if r.Status == http.StatusTooManyRequests {
			n++
		}
	}
	return n
}

// Spent counts a pool's ("siem", "people") requests of the last 24 hours.
func (a *API) Spent(pool string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.spent.Used(pool, a.o.Clock())
}

func textError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	_, _ = fmt.Fprintln(w, msg)
}

// ServeHTTP implements http.Handler.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.Record(w, r, a.o.Clock(), a.serve)
}

func (a *API) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		textError(w, http.StatusMethodNotAllowed, "only GET is supported")
		return
	}
	if u, p, ok := r.BasicAuth(); !ok || u != a.o.Principal || p != a.o.Secret {
		textError(w, http.StatusUnauthorized, "The credentials you provided are not valid")
		return
	}
	var pool string
	var budget int
	switch r.URL.Path {
	case "/v2/siem/all":
		pool, budget = "siem", a.o.SIEMBudget
	case "/v2/people/vap":
		pool, budget = "people", a.o.PeopleBudget
	default:
		textError(w, http.StatusNotFound, "not found")
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.o.Clock().UTC()
	if !a.spent.Take(pool, budget, now) {
		// TAP: 429 until 24 hours after the oldest request, with no
		// Retry-After and no rate-limit headers.
		textError(w, http.StatusTooManyRequests, "Too Many Requests")
		return
	}
	if pool == "siem" {
		a.siem(w, r, now)
		return
	}
	a.vap(w, r, now)
}

func (a *API) siem(w http.ResponseWriter, r *http.Request, now time.Time) {
	q := r.URL.Query()
	if q.Get("format") != "json" {
		textError(w, http.StatusBadRequest, "This fake serves format=json only (TAP's default is syslog)")
		return
	}
	start, end, err := Window(q, now)
	if err != nil {
		textError(w, http.StatusBadRequest, err.Error())
		return
	}
	var b bytes.Buffer
	b.WriteString(`{"queryEndTime":"` + end.Format("2006-01-02T15:04:05Z") + `"`)
	for _, arr := range Arrays {
		b.WriteString(`,"` + arr + `":[`)
		for i, e := range a.arrays[arr].Window(start, end, now) {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(e.Raw)
		}
		b.WriteByte(']')
	}
	b.WriteString("}")
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b.Bytes())
}

func (a *API) vap(w http.ResponseWriter, r *http.Request, now time.Time) {
	q := r.URL.Query()
	window, err := strconv.Atoi(q.Get("window"))
	if err != nil || (window != 14 && window != 30 && window != 90) {
		textError(w, http.StatusBadRequest, "window must be 14, 30 or 90")
		return
	}
	size, page := 1000, 1
	if s := q.Get("size"); s != "" {
		if size, err = strconv.Atoi(s); err != nil || size < 1 || size > 1000 {
			textError(w, http.StatusBadRequest, "size must be between 1 and 1000")
			return
		}
	}
	if s := q.Get("page"); s != "" {
		if page, err = strconv.Atoi(s); err != nil || page < 1 {
			textError(w, http.StatusBadRequest, "page must be 1 or more")
			return
		}
	}
	end := now.Truncate(24 * time.Hour)
	interval := end.Add(-time.Duration(window)*24*time.Hour).Format(time.RFC3339) + "/" + end.Format(time.RFC3339)
	sum := 0.0
	for i := range a.users {
		sum += float64(attackIndex(i))
	}
	avg := 0.0
	if len(a.users) > 0 {
		avg = sum / float64(len(a.users))
	}
	var b bytes.Buffer
	b.WriteString(`{"users":[`)
	for i := (page - 1) * size; i < len(a.users) && i < page*size; i++ {
		if i > (page-1)*size {
			b.WriteByte(',')
		}
		b.Write(a.users[i])
	}
	// Floats as TAP writes them: always with a fraction.
	fmt.Fprintf(&b, `],"totalVapUsers":%d,"interval":%q,"averageAttackIndex":%s,"vapAttackIndexThreshold":%s}`,
		len(a.users), interval, strconv.FormatFloat(avg+0.25, 'f', 2, 64), strconv.FormatFloat(float64(attackIndex(0))*0.4+0.5, 'f', 1, 64))
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b.Bytes())
}

// apiError is one of TAP's own 400 texts, kept verbatim (capitalised,
// with a full stop) because clients match on them.
type apiError string

func (e apiError) Error() string { return string(e) }

// Window reads the SIEM API's time selector (exactly one of interval,
// sinceSeconds, sinceTime) and applies TAP's limits, with TAP's texts.
func Window(q map[string][]string, now time.Time) (start, end time.Time, err error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	n := 0
	for _, k := range []string{"interval", "sinceSeconds", "sinceTime"} {
		if get(k) != "" {
			n++
		}
	}
	if n != 1 {
		return start, end, fmt.Errorf("exactly one of interval, sinceSeconds or sinceTime is required")
	}
	minute := now.Truncate(time.Minute)
	switch {
	case get("interval") != "":
		start, end, err = ParseInterval(get("interval"))
		if err != nil {
			return start, end, err
		}
	case get("sinceSeconds") != "":
		s, perr := strconv.Atoi(get("sinceSeconds"))
		if perr != nil || s < 1 {
			return start, end, fmt.Errorf("sinceSeconds must be a positive integer")
		}
		start, end = minute.Add(-time.Duration(s)*time.Second), minute
	default:
		start, err = parseTime(get("sinceTime"))
		if err != nil {
			return start, end, err
		}
		end = minute
	}
	switch d := end.Sub(start); {
	case d < 30*time.Second:
		return start, end, apiError("The requested interval is too short. Requests must be for at least 30.00s of data")
	case d > time.Hour:
		return start, end, apiError("The requested interval is too long. Requests must be for at most 1.00h of data")
	case start.Before(now.Add(-7 * 24 * time.Hour)):
		return start, end, apiError("The requested start time is too far into the past. Requests for information up to 7.00d are accepted")
	case end.After(now):
		return start, end, apiError("The requested end time is in the future")
	}
	return start, end, nil
}

// ParseInterval reads an ISO 8601 interval as TAP takes it:
// start/end, PTnHnMnS/end or start/PTnHnMnS.
func ParseInterval(s string) (start, end time.Time, err error) {
	a, b, ok := strings.Cut(s, "/")
	if !ok {
		return start, end, fmt.Errorf("interval %q is not <start>/<end>", s)
	}
	switch {
	case strings.HasPrefix(a, "P") && strings.HasPrefix(b, "P"):
		return start, end, fmt.Errorf("interval %q has two durations", s)
	case strings.HasPrefix(a, "P"):
		d, err := parseDuration(a)
		if err != nil {
			return start, end, err
		}
		end, err = parseTime(b)
		return end.Add(-d), end, err
	case strings.HasPrefix(b, "P"):
		d, err := parseDuration(b)
		if err != nil {
			return start, end, err
		}
		start, err = parseTime(a)
		return start, start.Add(d), err
	}
	if start, err = parseTime(a); err != nil {
		return start, end, err
	}
	end, err = parseTime(b)
	return start, end, err
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05.999999999Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q is not ISO 8601", s)
}

// parseDuration reads PT[nH][nM][nS] (whole numbers), at most a day.
func parseDuration(s string) (time.Duration, error) {
	rest, ok := strings.CutPrefix(s, "PT")
	if !ok || rest == "" {
		return 0, fmt.Errorf("duration %q is not PT[nH][nM][nS]", s)
	}
	var d time.Duration
	units := map[byte]time.Duration{'H': time.Hour, 'M': time.Minute, 'S': time.Second}
	last := time.Duration(1 << 62)
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || i > 6 || i == len(rest) {
			return 0, fmt.Errorf("duration %q is not PT[nH][nM][nS]", s)
		}
		u, ok := units[rest[i]]
		if !ok || u >= last {
			return 0, fmt.Errorf("duration %q is not PT[nH][nM][nS]", s)
		}
		n, _ := strconv.Atoi(rest[:i])
		d += time.Duration(n) * u
		last = u
		rest = rest[i+1:]
	}
	if d > 24*time.Hour {
		return 0, fmt.Errorf("duration %q is longer than a day", s)
	}
	return d, nil
}

// Demo is the fake tools/fakeapi serves: the backlog spread over the whole
// hours the span covers, a VAP report of one user per 20 events, and the
// token as the service secret.
func Demo(c fakekit.DemoConfig) fakekit.Demo {
	hours := max(1, int((c.Span+time.Hour-1)/time.Hour))
	const principal = "demo-principal"
	api := New(Options{
		Principal: principal, Secret: c.Token, Seed: uint64(c.Seed),
		SIEM: c.Events, People: max(1, c.Events/20), PerHour: max(1, (c.Events+hours-1)/hours),
	})
	return fakekit.Demo{Fake: api, Secrets: map[string]string{"TAP_PRINCIPAL": principal, "TAP_SECRET": c.Token}}
}
