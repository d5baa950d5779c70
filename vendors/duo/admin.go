package duo

import (
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

const adminPath = "/admin/v1/logs/administrator"

// adminCursor is the administrator module's saved state: the v1 endpoint
// has no paging, it returns the earliest events at or after mintime.
type adminCursor struct {
	MinTime int64 `json:"mintime"`
}

// adminLog is the v1 administrator log for one run. Duo answers with up
// to 1,000 events from mintime on; the next request starts at the last
// timestamp seen (inclusive, so events of that second are not lost) and
// de-duplication drops what was already delivered.
type adminLog struct {
	env *runner.Env
	s   *Settings
}

// adminFields tell administrator events apart: they carry no ID.
var adminFields = []string{"timestamp", "action", "username", "object", "description"}

var adminSpec = jsonrec.Spec{Arrays: map[string]string{"response": "administrator"}, Fields: adminFields,
	Members: []jsonrec.Member{{Path: "stat", Type: jsonrec.String}}}

func newAdminLog(env *runner.Env, s *Settings) *adminLog { return &adminLog{env: env, s: s} }

// Name implements runner.Module.
func (m *adminLog) Name() string { return "administrator" }

// Fetch implements runner.Module.
func (m *adminLog) Fetch(ctx context.Context, req runner.PageRequest) (*runner.Page, error) {
	cutoff := req.Now.Add(-Delay).Unix()
	minTime := req.Since.Unix()
	if req.Cursor != nil {
		var c adminCursor
		if err := json.Unmarshal(req.Cursor, &c); err != nil || c.MinTime <= 0 {
			return nil, runner.BadCursor("administrator", errors.New("not a Duo v1 cursor"))
		}
		minTime = c.MinTime
	}
	if minTime > cutoff {
		return &runner.Page{Next: mustJSON(adminCursor{MinTime: minTime}),
			Note: m.note(ctx, fmt.Sprintf("caught up to %s (Duo's two-minute delay)", time.Unix(minTime, 0).UTC().Format(time.RFC3339)))}, nil
	}
	q := url.Values{}
	q.Set("mintime", strconv.FormatInt(minTime, 10))
	page, err := get(ctx, m.env, adminPath, q, &adminSpec)
	if err != nil {
		return nil, err
	}
	out := &runner.Page{}
	maxTS, held := minTime, 0
	for _, it := range page.Items {
		ts, err := strconv.ParseInt(it.Fields[0], 10, 64)
		if err != nil {
			return nil, runner.DecodeError(fmt.Errorf("GET %s: an event has no integer timestamp (%q)", adminPath, it.Fields[0]))
		}
		if ts > cutoff {
			// Newer than Duo's delay: the next run reads it again from a
			// mintime at or before it, once its second is complete.
			held++
			continue
		}
		maxTS = max(maxTS, ts)
		out.Records = append(out.Records, runner.Record{Raw: it.Raw, ID: hashID("admin:", it.Fields), EventType: "administrator"})
	}
	// A full answer means more may follow; Duo returns at most 1,000 (the
	// configured page size stands in for it against fakes).
	full := len(page.Items) >= min(m.env.Config.PageSize, MaxLimit)
	next := maxTS
	if full && held == 0 && maxTS == minTime {
		// A whole answer within one second: step past it, as Duo's own
		// client does, or the same answer would come back forever.
		next = minTime + 1
	}
	out.Next = mustJSON(adminCursor{MinTime: next})
	out.More = full && held == 0
	var note string
	switch {
	case out.More:
		out.Wait = m.s.pacing()
		note = fmt.Sprintf("full answer up to %s: more follow", time.Unix(maxTS, 0).UTC().Format(time.RFC3339))
		if out.Wait > 0 {
			note += fmt.Sprintf("; next request in %v", out.Wait)
		}
	default:
		note = fmt.Sprintf("caught up to %s", time.Unix(maxTS, 0).UTC().Format(time.RFC3339))
	}
	out.Note = m.note(ctx, note)
	return out, nil
}

func (m *adminLog) note(ctx context.Context, parts ...string) string {
	return budgetNote(m.s, adminPath, httpx.RequestsFrom(ctx)) + "; " + strings.Join(parts, "; ")
}

// Check reads the administrator log of the five minutes before Duo's delay.
func (m *adminLog) Check(ctx context.Context) (string, error) {
	q := url.Values{}
	q.Set("mintime", strconv.FormatInt(m.env.Now().Add(-Delay-5*time.Minute).Unix(), 10))
	page, err := get(ctx, m.env, adminPath, q, &adminSpec)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("signature accepted, log readable (%d event(s) in the last 5 minutes)", len(page.Items)), nil
}

// Interface guards: a hook with a wrong signature is a compile error.
var (
	_ runner.Module  = (*adminLog)(nil)
	_ runner.Checker = (*adminLog)(nil)
)
