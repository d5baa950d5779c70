package duo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wodlekit/wodlekit/runtime/httpx"
	"github.com/wodlekit/wodlekit/runtime/jsonrec"
	"github.com/wodlekit/wodlekit/runtime/runner"
)

// logKind describes one v2 log endpoint: millisecond mintime/maxtime
// windows paged with next_offset.
type logKind struct {
	name      string
	path      string
	array     string
	eventType string
	// idFields are captured from each record; the first must be set for
	// the record to have an ID of its own, all of them make the key.
	idFields []string
}

var (
	// Authentication IDs are txid plus what tells apart the records Duo
	// (and others' fixtures) have been seen to share one txid across.
	authentication = logKind{name: "authentication", path: "/admin/v2/logs/authentication", array: "response.authlogs",
		eventType: "authentication", idFields: []string{"txid", "timestamp", "event_type", "result"}}
	telephony = logKind{name: "telephony", path: "/admin/v2/logs/telephony", array: "response.items",
		eventType: "telephony", idFields: []string{"telephony_id"}}
	activity = logKind{name: "activity", path: "/admin/v2/logs/activity", array: "response.items",
		eventType: "activity", idFields: []string{"activity_id"}}
)

// windowCursor is a v2 module's saved state. With NextOffset set, the
// window [MinTime, MaxTime] is being paged; with it null the window is
// complete and the next one starts at MaxTime+1.
type windowCursor struct {
	MinTime    int64           `json:"mintime"`
	MaxTime    int64           `json:"maxtime"`
	NextOffset json.RawMessage `json:"next_offset"`
}

func (c windowCursor) paging() bool {
	_, ok, _ := ParseNextOffset(c.NextOffset)
	return ok
}

// windowLog is one v2 log module for one run.
type windowLog struct {
	env  *runner.Env
	s    *Settings
	k    logKind
	spec jsonrec.Spec
}

func newWindowLog(env *runner.Env, s *Settings, k logKind) *windowLog {
	return &windowLog{env: env, s: s, k: k, spec: jsonrec.Spec{Arrays: map[string]string{k.array: k.eventType}, Fields: k.idFields, Members: v2Members}}
}

// v2Members: a v2 answer is {"stat":"OK","response":{<array>:[...],
// "metadata":{...}}}; next_offset is absent or null on a window's last
// page, else a string (telephony, activity) or an array (authentication).
// An answer without metadata must not read as the end of the window.
var v2Members = []jsonrec.Member{
	{Path: "stat", Type: jsonrec.String},
	{Path: "response.metadata", Type: jsonrec.Object},
	{Path: "response.metadata.next_offset", Type: jsonrec.Null | jsonrec.String | jsonrec.Array, Optional: true, NonEmpty: true},
}

// Name implements runner.Module.
func (m *windowLog) Name() string { return m.k.name }

// Fetch implements runner.Module: one page of the pending window, or the
// first page of a new window from the last one's end to two minutes ago.
func (m *windowLog) Fetch(ctx context.Context, req runner.PageRequest) (*runner.Page, error) {
	cutoff := req.Now.Add(-Delay).UnixMilli()
	// A few minutes inside Duo's 180 days, so that a request sent a little
	// after the run started is not refused for a mintime just too old.
	floor := req.Now.Add(-MaxAge + 5*time.Minute).UnixMilli()
	var notes []string

	var cur windowCursor
	have := req.Cursor != nil
	if have {
		if err := json.Unmarshal(req.Cursor, &cur); err != nil || cur.MaxTime < cur.MinTime-1 {
			return nil, runner.BadCursor(m.k.name, errors.New("not a Duo window cursor"))
		}
	}
	win := cur
	if !have || !cur.paging() || cur.MinTime < floor {
		start := req.Since.UnixMilli()
		if have {
			if cur.paging() {
				notes = append(notes, fmt.Sprintf("the saved window from %s is older than Duo keeps logs; restarted", utc(cur.MinTime)))
				start = cur.MinTime
			} else {
				start = cur.MaxTime + 1
			}
		}
		if start < floor {
			if have {
				notes = append(notes, fmt.Sprintf("events before %s are beyond Duo's 180 days and were skipped", utc(floor)))
			}
			start = floor
		}
		end := min(cutoff, start+MaxAge.Milliseconds()-1)
		if start >= end {
			// Nothing can be asked yet: Duo publishes with a two-minute
			// delay and wants mintime < maxtime.
			next := req.Cursor
			if !have {
				next = mustJSON(windowCursor{MinTime: start, MaxTime: start - 1, NextOffset: json.RawMessage("null")})
			}
			return &runner.Page{Next: next, More: false, Note: m.note(ctx, append(notes, fmt.Sprintf("caught up to %s (Duo's two-minute delay)", utc(start-1))))}, nil
		}
		win = windowCursor{MinTime: start, MaxTime: end, NextOffset: json.RawMessage("null")}
	}

	sent, _, _ := ParseNextOffset(win.NextOffset)
	q := url.Values{}
	q.Set("mintime", strconv.FormatInt(win.MinTime, 10))
	q.Set("maxtime", strconv.FormatInt(win.MaxTime, 10))
	q.Set("limit", strconv.Itoa(min(m.env.Config.PageSize, MaxLimit)))
	q.Set("sort", "ts:asc")
	if sent != "" {
		q.Set("next_offset", sent)
	}
	page, err := get(ctx, m.env, m.k.path, q, &m.spec)
	if err != nil {
		return nil, err
	}
	rawOffset := page.Meta["response.metadata.next_offset"]
	param, more, err := ParseNextOffset(rawOffset)
	if err != nil {
		return nil, runner.DecodeError(fmt.Errorf("GET %s: %w", m.k.path, err))
	}
	if more && param == sent {
		return nil, runner.DecodeError(fmt.Errorf("GET %s: Duo returned the next_offset it was sent; refusing to loop", m.k.path))
	}
	out := &runner.Page{Records: make([]runner.Record, len(page.Items))}
	for i, it := range page.Items {
		out.Records[i] = runner.Record{Raw: it.Raw, ID: m.recordID(it), EventType: m.k.eventType}
	}
	next := win
	if more {
		next.NextOffset = bytes.Clone(rawOffset)
		out.More = true
		notes = append(notes, fmt.Sprintf("window %s..%s: more pages follow", utc(win.MinTime), utc(win.MaxTime)))
	} else {
		next.NextOffset = json.RawMessage("null")
		// A window left by an earlier run is done; a newer one can follow.
		out.More = win.MaxTime < cutoff
		notes = append(notes, fmt.Sprintf("window %s..%s complete", utc(win.MinTime), utc(win.MaxTime)))
	}
	out.Next = mustJSON(next)
	if out.More {
		out.Wait = m.s.pacing()
		if out.Wait > 0 {
			notes = append(notes, fmt.Sprintf("next request in %v", out.Wait))
		}
	}
	out.Note = m.note(ctx, notes)
	return out, nil
}

func (m *windowLog) note(ctx context.Context, parts []string) string {
	return budgetNote(m.s, m.k.path, httpx.RequestsFrom(ctx)) + "; " + strings.Join(parts, "; ")
}

// recordID is the record's own ID when it has one, else a hash of the
// record: de-duplication must never merge two different events.
func (m *windowLog) recordID(it jsonrec.Item) string {
	if len(it.Fields) > 0 && it.Fields[0] != "" {
		return strings.Join(it.Fields, "|")
	}
	return hashID("raw:", []string{string(it.Raw)})
}

// Check asks for one record of the five minutes before Duo's delay: it
// proves the keys, the signature, the host and the "read log" grant.
func (m *windowLog) Check(ctx context.Context) (string, error) {
	end := m.env.Now().Add(-Delay).UnixMilli()
	q := url.Values{}
	q.Set("mintime", strconv.FormatInt(end-5*time.Minute.Milliseconds(), 10))
	q.Set("maxtime", strconv.FormatInt(end, 10))
	q.Set("limit", "1")
	page, err := get(ctx, m.env, m.k.path, q, &m.spec)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("signature accepted, log readable (%d record(s) in the first page of the last 5 minutes)", len(page.Items)), nil
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("duo: encode cursor: %v", err)) // plain structs of numbers and raw JSON
	}
	return b
}

// Interface guards: a hook with a wrong signature is a compile error.
var (
	_ runner.Module  = (*windowLog)(nil)
	_ runner.Checker = (*windowLog)(nil)
)
