package proofpointtap

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/wodlekit/wodlekit/runtime/httpx"
	"github.com/wodlekit/wodlekit/runtime/jsonrec"
	"github.com/wodlekit/wodlekit/runtime/runner"
)

// VAPUser is the event type of one Very Attacked People report row.
const VAPUser = "vap_user"

// peopleSpec: the report's users, and its interval, which names the
// report in every row's ID.
var peopleSpec = jsonrec.Spec{Arrays: map[string]string{"users": VAPUser},
	Members: []jsonrec.Member{{Path: "interval", Type: jsonrec.String, NonEmpty: true}}}

// reportFields are the report-level values copied into every user's
// event, as TAP wrote them (averageAttackIndex and the threshold are
// floats and stay floats).
var reportFields = []string{"interval", "totalVapUsers", "averageAttackIndex", "vapAttackIndexThreshold"}

// peopleCursor is the people module's saved position: when the last
// report was completely collected, the report and page being collected,
// and the request ledger.
type peopleCursor struct {
	Last     time.Time `json:"last,omitzero"`
	Interval string    `json:"interval,omitempty"`
	Page     int       `json:"page,omitempty"`
	Spent    ledger    `json:"spent"`
}

// decodePeopleCursor reads a saved cursor; nil means a first run.
func decodePeopleCursor(raw json.RawMessage) (peopleCursor, error) {
	var c peopleCursor
	if raw == nil {
		return c, nil
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return c, runner.BadCursor("people", fmt.Errorf("not {\"last\":...,\"spent\":[...]}: %w", err))
	}
	if c.Page < 0 {
		return c, runner.BadCursor("people", fmt.Errorf("page %d", c.Page))
	}
	return c, nil
}

// people collects the Very Attacked People report, a snapshot, at most
// once per TAP_PEOPLE_PERIOD.
type people struct {
	env     *runner.Env
	set     *Settings
	http    *httpx.Client
	b       *budget
	counted int64
	loaded  bool
}

func newPeople(env *runner.Env, s *Settings) *people {
	b := &budget{name: "People", limit: s.PeopleDailyBudget, usable: s.usable(s.PeopleDailyBudget), marginPct: s.BudgetMarginPercent}
	return &people{env: env, set: s, b: b, http: env.HTTP}
}

// Name implements runner.Module.
func (m *people) Name() string { return "people" }

func (m *people) page(next peopleCursor, more bool, recs []runner.Record, note string) (*runner.Page, error) {
	next.Spent = m.b.ledger
	raw, err := json.Marshal(next)
	if err != nil {
		return nil, fmt.Errorf("encode people cursor: %w", err)
	}
	if note != "" {
		note += "; "
	}
	return &runner.Page{Records: recs, Next: raw, More: more, Note: note + m.b.note(m.env.Now())}, nil
}

// Fetch implements runner.Module: one page of the report per call.
func (m *people) Fetch(ctx context.Context, req runner.PageRequest) (*runner.Page, error) {
	cur, err := decodePeopleCursor(req.Cursor)
	if err != nil {
		return nil, err
	}
	if !m.loaded {
		m.b.ledger, m.loaded = cur.Spent, true
	}
	now := m.env.Now().UTC().Truncate(time.Second)
	m.b.ledger = m.b.ledger.prune(now)
	if cur.Page == 0 && !cur.Last.IsZero() && now.Sub(cur.Last) < m.set.PeoplePeriod {
		return m.page(cur, false, nil, fmt.Sprintf("VAP report last collected %s; next due after %s",
			cur.Last.Format(time.RFC3339), cur.Last.Add(m.set.PeoplePeriod).Format(time.RFC3339)))
	}
	if m.b.exhausted(now) {
		m.env.Log.Warn("People request budget exhausted: the VAP report waits for the next run", "used", m.b.ledger.used(now), "usable", m.b.usable)
		return m.page(cur, false, nil, "")
	}
	pg := max(cur.Page, 1)
	size := m.env.Config.PageSize
	if size <= 0 || size > 1000 {
		size = 1000
	}
	rep, err := m.fetch(ctx, m.set.PeopleWindowDays, size, pg)
	m.b.record(ctx, m.env.Now(), &m.counted)
	if err != nil {
		return nil, err
	}
	interval, _ := rep.String("interval")
	recs, err := vapRecords(rep, m.set.PeopleWindowDays)
	if err != nil {
		return nil, err
	}
	if pg > 1 && cur.Interval != "" && interval != cur.Interval {
		// TAP moved to a new report between our pages: its earlier pages
		// were never read, so start it over (repeats are dropped by ID).
		m.env.Log.Info("the VAP report changed while it was being collected; reading it again from page 1", "was", cur.Interval, "now", interval)
		return m.page(peopleCursor{Last: cur.Last, Interval: interval, Page: 1}, true, recs, "")
	}
	total, err := strconv.Atoi(string(rep.Meta["totalVapUsers"]))
	if err != nil {
		total = -1 // unknown: a full page means another may follow
	}
	if len(rep.Items) == size && (total < 0 || pg*size < total) {
		return m.page(peopleCursor{Last: cur.Last, Interval: interval, Page: pg + 1}, true, recs, "")
	}
	return m.page(peopleCursor{Last: now, Interval: interval}, false, recs,
		fmt.Sprintf("VAP report %s collected (%d-day window)", interval, m.set.PeopleWindowDays))
}

func (m *people) fetch(ctx context.Context, window, size, page int) (*jsonrec.Page, error) {
	q := url.Values{"window": {strconv.Itoa(window)}, "size": {strconv.Itoa(size)}, "page": {strconv.Itoa(page)}}
	rep, err := runner.FetchPage(ctx, m.http, httpx.Request{URL: "/v2/people/vap?" + q.Encode(), Endpoint: "people"}, &peopleSpec)
	if err != nil {
		return nil, fmt.Errorf("people VAP report page %d: %w", page, err)
	}
	return rep, nil
}

// vapRecords turns report rows into events: the user object as TAP sent
// it, then the report's values, the window and an id naming the row
// (user GUID and report interval), which is also the de-duplication key.
func vapRecords(rep *jsonrec.Page, window int) ([]runner.Record, error) {
	interval, _ := rep.String("interval")
	recs := make([]runner.Record, 0, len(rep.Items))
	for _, it := range rep.Items {
		raw := bytes.TrimSpace(it.Raw)
		if len(raw) < 2 || raw[0] != '{' {
			return nil, runner.DecodeError(errors.New("people VAP report: a users[] entry is not an object"))
		}
		id := "vap:" + userKey(raw) + "/" + interval
		var b bytes.Buffer
		b.Grow(len(raw) + 200)
		b.Write(raw[:len(raw)-1])
		sep := ","
		if len(bytes.TrimSpace(raw[1:len(raw)-1])) == 0 {
			sep = ""
		}
		for _, f := range reportFields {
			if v, ok := rep.Meta[f]; ok {
				b.WriteString(sep + strconv.Quote(f) + ":")
				b.Write(v)
				sep = ","
			}
		}
		idJSON, err := json.Marshal(id)
		if err != nil {
			return nil, fmt.Errorf("encode VAP row id: %w", err)
		}
		fmt.Fprintf(&b, `%s"window":%d,"id":%s}`, sep, window, idJSON)
		recs = append(recs, runner.Record{Raw: b.Bytes(), ID: id, EventType: VAPUser})
	}
	return recs, nil
}

// userKey identifies a VAP user: the TAP GUID, else the first address,
// else the row itself.
func userKey(raw []byte) string {
	var u struct {
		Identity struct {
			GUID   string   `json:"guid"`
			Emails []string `json:"emails"`
		} `json:"identity"`
	}
	if err := json.Unmarshal(raw, &u); err == nil {
		if u.Identity.GUID != "" {
			return u.Identity.GUID
		}
		if len(u.Identity.Emails) > 0 {
			return u.Identity.Emails[0]
		}
	}
	return "sha:" + digest(raw)
}

// Check reads one row of the 14-day report: it proves the credential
// and the People API entitlement.
func (m *people) Check(ctx context.Context) (string, error) {
	rep, err := m.fetch(ctx, 14, 1, 1)
	if err != nil {
		return "", err
	}
	interval, _ := rep.String("interval")
	total, _ := rep.String("totalVapUsers")
	return fmt.Sprintf("credential accepted, VAP report %s lists %s very attacked people (this check counts against the People budget of %d a day)",
		interval, total, m.set.PeopleDailyBudget), nil
}

// Interface guards: a hook with a wrong signature is a compile error.
var (
	_ runner.Module  = (*people)(nil)
	_ runner.Checker = (*people)(nil)
)
