package proofpointtap

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/wodlekit/wodlekit/runtime/httpx"
	"github.com/wodlekit/wodlekit/runtime/jsonrec"
	"github.com/wodlekit/wodlekit/runtime/runner"
)

const (
	// minInterval and maxInterval are the shortest and longest intervals
	// the SIEM API accepts.
	minInterval = 30 * time.Second
	maxInterval = time.Hour
	// retentionMargin keeps the first slice clear of TAP's 7-day limit:
	// the request travels, and the server's clock may be ahead of ours.
	retentionMargin = 5 * time.Minute
	// apiClampMargin is added when TAP still refuses a start as too old.
	apiClampMargin = 15 * time.Minute
	// maxSlicesPerPage is one: the cursor is saved after every slice, also
	// an empty one, so a kill -9 repeats at most one request of the scarce
	// daily budget (1,800 SIEM requests per 24 hours).
	maxSlicesPerPage = 1
)

// Event types of the four SIEM record arrays.
const (
	ClickPermitted   = "click_permitted"
	ClickBlocked     = "click_blocked"
	MessageDelivered = "message_delivered"
	MessageBlocked   = "message_blocked"
)

// siemSpec: one /v2/siem/all answer holds four record arrays, always, even
// when empty: one missing is an error, not a quiet hour.
var siemSpec = jsonrec.Spec{
	Arrays: map[string]string{
		"clicksPermitted":   ClickPermitted,
		"clicksBlocked":     ClickBlocked,
		"messagesDelivered": MessageDelivered,
		"messagesBlocked":   MessageBlocked,
	},
	Fields: []string{"id", "GUID"},
}

// siemCursor is the SIEM module's saved position: the end of the last
// fully collected interval and the request ledger of the last 24 hours.
type siemCursor struct {
	End   time.Time `json:"end"`
	Spent ledger    `json:"spent"`
}

// decodeSIEMCursor reads a saved cursor; nil means a first run.
func decodeSIEMCursor(raw json.RawMessage) (siemCursor, error) {
	var c siemCursor
	if raw == nil {
		return c, nil
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return c, runner.BadCursor("siem", fmt.Errorf("not {\"end\":...,\"spent\":[...]}: %w", err))
	}
	if c.End.IsZero() {
		return c, runner.BadCursor("siem", errors.New("no end time"))
	}
	return c, nil
}

// siem walks /v2/siem/all forward in slices of at most an hour.
type siem struct {
	env  *runner.Env
	set  *Settings
	http *httpx.Client
	b    *budget
	// counted is how many of the module's requests are already in the ledger.
	counted int64
	loaded  bool
	// pending is an error met after some slices succeeded: their progress
	// is delivered first, the error on the next Fetch.
	pending error
	notes   []string
}

func newSIEM(env *runner.Env, s *Settings) *siem {
	b := &budget{name: "SIEM", limit: s.SIEMDailyBudget, usable: s.usable(s.SIEMDailyBudget), marginPct: s.BudgetMarginPercent}
	return &siem{env: env, set: s, b: b, http: env.HTTP}
}

// Name implements runner.Module.
func (m *siem) Name() string { return "siem" }

// Fetch implements runner.Module: one page is the slices walked until one
// returned records, the budget or the window ran out, or
// maxSlicesPerPage empty slices went by. The cursor moves to the end of
// the last slice walked, empty or not.
func (m *siem) Fetch(ctx context.Context, req runner.PageRequest) (*runner.Page, error) {
	if err := m.pending; err != nil {
		m.pending = nil
		return nil, err
	}
	cur, err := decodeSIEMCursor(req.Cursor)
	if err != nil {
		return nil, err
	}
	if !m.loaded {
		m.b.ledger, m.loaded = cur.Spent, true
	}
	now := m.env.Now().UTC().Truncate(time.Second)
	m.b.ledger = m.b.ledger.prune(now)

	done := cur.End
	var start time.Time
	switch {
	case req.Cursor == nil:
		start = req.Since.UTC().Truncate(time.Second)
	case req.Page == 1:
		// Each run re-reads the overlap: late-indexed and re-classified
		// events land there, and the recent-ID set drops the repeats.
		start = cur.End.Add(-m.set.Overlap)
	default:
		start = cur.End
	}
	if floor := now.Add(-maxAge + retentionMargin); start.Before(floor) {
		what := "the lookback"
		if req.Cursor != nil && cur.End.Before(floor) {
			what = "the saved position " + cur.End.Format(time.RFC3339)
			m.env.Log.Warn("events between the saved position and TAP's 7-day limit can no longer be collected", "saved_end", cur.End, "clamped_start", floor)
		}
		if req.Cursor != nil && !cur.End.Before(floor) {
			what = "the overlap"
		}
		m.note(fmt.Sprintf("start clamped from %s to %s: TAP serves at most 7 days back", what, floor.Format(time.RFC3339)))
		start = floor
	}
	limit := now.Add(-m.set.SafetyLag)
	page := &runner.Page{}
	walked := 0
	apiClamped := false
	for {
		if limit.Sub(start) < minInterval {
			break // caught up: the rest is shorter than TAP accepts
		}
		if ctx.Err() != nil {
			if walked == 0 {
				return nil, fmt.Errorf("siem: %w", context.Cause(ctx))
			}
			page.More = true // let the runner see the stop and save
			break
		}
		if m.b.exhausted(m.env.Now()) {
			m.env.Log.Warn("SIEM request budget exhausted: stopping; the next run continues from the saved position",
				"used", m.b.ledger.used(m.env.Now()), "usable", m.b.usable, "free_at", m.b.ledger.freeAt(m.env.Now(), m.b.usable))
			break
		}
		end := start.Add(maxInterval)
		if end.After(limit) {
			end = limit
		}
		recs, err := m.slice(ctx, start, end)
		m.b.record(ctx, m.env.Now(), &m.counted)
		if err != nil {
			if age, ok := tooFarInPast(err); ok && !apiClamped {
				// Once per page: a clamp that does not help becomes an
				// error rather than a loop.
				apiClamped = true
				clamped := m.env.Now().UTC().Truncate(time.Second).Add(-age + apiClampMargin)
				if clamped.After(start) && limit.Sub(clamped) >= 0 {
					m.env.Log.Warn("TAP refused the interval start as too far in the past; clamping", "start", start, "clamped_start", clamped, "tap", err.Error())
					m.note(fmt.Sprintf("TAP refused %s as too old; start clamped to %s", start.Format(time.RFC3339), clamped.Format(time.RFC3339)))
					start = clamped
					continue
				}
			}
			if walked > 0 {
				m.pending = err
				page.More = true
				break
			}
			return nil, err
		}
		walked++
		start = end
		if end.After(done) {
			done = end
		}
		page.Records = append(page.Records, recs...)
		if len(recs) > 0 || walked >= maxSlicesPerPage {
			page.More = limit.Sub(start) >= minInterval && !m.b.exhausted(m.env.Now())
			break
		}
	}
	if done.IsZero() {
		done = start // a first run that walked nothing starts here next time
	}
	next, err := json.Marshal(siemCursor{End: done, Spent: m.b.ledger})
	if err != nil {
		return nil, fmt.Errorf("encode siem cursor: %w", err)
	}
	page.Next = next
	page.Note = strings.Join(append(slices.Clone(m.notes), m.b.note(m.env.Now())), "; ")
	return page, nil
}

func (m *siem) note(s string) {
	if !slices.Contains(m.notes, s) {
		m.notes = append(m.notes, s)
	}
}

// formatInterval is TAP's ISO 8601 interval, to the second in UTC.
func formatInterval(start, end time.Time) string {
	return start.UTC().Format(time.RFC3339) + "/" + end.UTC().Format(time.RFC3339)
}

// slice fetches one interval of /v2/siem/all.
func (m *siem) slice(ctx context.Context, start, end time.Time) ([]runner.Record, error) {
	iv := formatInterval(start, end)
	q := url.Values{"format": {"json"}, "interval": {iv}}
	p, err := runner.FetchPage(ctx, m.http, httpx.Request{URL: "/v2/siem/all?" + q.Encode(), Endpoint: "siem"}, &siemSpec)
	if err != nil {
		return nil, fmt.Errorf("siem interval %s: %w", iv, err)
	}
	recs := make([]runner.Record, 0, len(p.Items))
	for _, it := range p.Items {
		recs = append(recs, siemRecord(it))
	}
	m.env.Log.Debug("siem slice", "interval", iv, "records", len(recs))
	return recs, nil
}

// siemRecord keeps the record untouched and derives its de-duplication
// ID: clicks by their id; messages by GUID and the sorted (threat ID,
// classification, status) of their threats, so that a re-classified
// message comes through again while a plain repeat does not.
func siemRecord(it jsonrec.Item) runner.Record {
	rec := runner.Record{Raw: it.Raw, EventType: it.Kind}
	switch it.Kind {
	case ClickPermitted, ClickBlocked:
		id := it.Fields[0]
		if id == "" {
			id = "sha:" + digest(it.Raw)
		}
		rec.ID = it.Kind + ":" + id
	default:
		guid := it.Fields[1]
		if guid == "" {
			rec.ID = it.Kind + ":sha:" + digest(it.Raw)
			break
		}
		rec.ID = it.Kind + ":" + guid + ":" + threatKey(it.Raw)
	}
	return rec
}

// threatKey digests a message's threats, whatever the casing of their
// field names (TAP sends threatID in one array and threatId in another).
func threatKey(raw []byte) string {
	var m struct {
		// encoding/json matches names case-insensitively: both casings land here.
		ThreatsInfoMap []struct {
			ThreatID       json.RawMessage `json:"threatID"`
			Classification json.RawMessage `json:"classification"`
			ThreatStatus   json.RawMessage `json:"threatStatus"`
		} `json:"threatsInfoMap"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		// An unexpected shape: the whole record is the key, so nothing is
		// lost; at worst a repeat comes through twice.
		return "sha:" + digest(raw)
	}
	keys := make([]string, 0, len(m.ThreatsInfoMap))
	for _, t := range m.ThreatsInfoMap {
		keys = append(keys, string(t.ThreatID)+"|"+string(t.Classification)+"|"+string(t.ThreatStatus))
	}
	slices.Sort(keys)
	return digest([]byte(strings.Join(keys, "\n")))
}

// digest is a short, stable hash for IDs (64 bits: collisions inside one
// de-duplication window are not a practical concern).
func digest(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}

// Check asks for the last minute before the safety lag: one request that
// proves the credential, the host and the SIEM entitlement.
func (m *siem) Check(ctx context.Context) (string, error) {
	end := m.env.Now().UTC().Truncate(time.Second).Add(-m.set.SafetyLag)
	recs, err := m.slice(ctx, end.Add(-time.Minute), end)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("credential accepted, %d SIEM record(s) in %s (this check counts against the daily SIEM budget of %d)",
		len(recs), formatInterval(end.Add(-time.Minute), end), m.set.SIEMDailyBudget), nil
}

// Interface guards: a hook with a wrong signature is a compile error.
var (
	_ runner.Module  = (*siem)(nil)
	_ runner.Checker = (*siem)(nil)
)
