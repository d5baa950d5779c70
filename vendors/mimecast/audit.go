package mimecast

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/wodlekit/wodlekit/runtime/httpx"
	"github.com/wodlekit/wodlekit/runtime/jsonrec"
	"github.com/wodlekit/wodlekit/runtime/runner"
)

// AuditPath is the audit events endpoint (body-paged).
const AuditPath = "/api/audit/get-audit-events"

// AuditEventType is the event_type of every audit event.
const AuditEventType = "audit"

// auditTime is Mimecast's date format in audit requests and events.
const auditTime = "2006-01-02T15:04:05-0700"

// AuditOverlap is read again at the start of each window: an event
// indexed late, dated just before the last window's end, is then still
// collected; the runner's recent IDs drop what was already delivered.
const AuditOverlap = time.Minute

// auditSpec: {"meta":{"status":200,"pagination":{"pageSize","totalCount","next"}},"data":[...],"fail":[]}.
// The last page may carry a next with empty data: the window ends on
// empty data or on no next, whichever comes first.
var auditSpec = jsonrec.Spec{
	Arrays: map[string]string{"data": AuditEventType},
	Members: []jsonrec.Member{
		{Path: "meta", Type: jsonrec.Object},
		{Path: "meta.pagination", Type: jsonrec.Object, Optional: true},
		{Path: "meta.pagination.next", Type: jsonrec.String | jsonrec.Null, Optional: true},
		{Path: "fail", Type: jsonrec.Array, Optional: true},
	},
	Fields: []string{"id", "eventTime"},
}

// AuditCursor is the audit module's saved state: the window in progress
// and Mimecast's page token within it, or the start of the next window.
type AuditCursor struct {
	// From is the window's start (Unix seconds, inclusive).
	From int64 `json:"from"`
	// To is the end of the window in progress (Unix seconds, inclusive);
	// 0 between windows.
	To int64 `json:"to,omitempty"`
	// PageToken is the next page of the window in progress.
	PageToken string `json:"page_token,omitempty"`
}

// ParseAuditCursor reads a saved audit cursor.
func ParseAuditCursor(raw []byte) (AuditCursor, error) {
	var c AuditCursor
	if err := json.Unmarshal(raw, &c); err != nil {
		return c, fmt.Errorf("not a Mimecast audit cursor: %w", err)
	}
	if c.From <= 0 || (c.To != 0 && c.To < c.From) || (c.To == 0 && c.PageToken != "") {
		return c, fmt.Errorf("window [%d, %d] with page token %t is not a window", c.From, c.To, c.PageToken != "")
	}
	return c, nil
}

// audit is the audit events module: windows [From, now], paged by body.
type audit struct{ env *runner.Env }

// Name implements runner.Module.
func (m *audit) Name() string { return "audit" }

// Fetch implements runner.Module.
func (m *audit) Fetch(ctx context.Context, req runner.PageRequest) (*runner.Page, error) {
	cur := AuditCursor{From: req.Since.Unix()}
	if req.Cursor != nil {
		c, err := ParseAuditCursor(req.Cursor)
		if err != nil {
			return nil, runner.BadCursor(m.Name(), err)
		}
		cur = c
	}
	if cur.To == 0 {
		cur.To = max(req.Now.Unix(), cur.From)
	}
	page, wait, err := m.get(ctx, cur, m.env.Config.PageSize)
	if err != nil {
		return nil, err
	}
	next, _ := page.String("meta.pagination.next")
	out := &runner.Page{Records: make([]runner.Record, 0, len(page.Items)), Wait: wait}
	for _, it := range page.Items {
		out.Records = append(out.Records, runner.Record{Raw: it.Raw, ID: it.Fields[0], EventType: AuditEventType, Shape: it.Shape})
	}
	window := fmt.Sprintf("window %s..%s", utc(cur.From), utc(cur.To))
	if len(page.Items) > 0 && next != "" {
		if next == cur.PageToken {
			return nil, runner.DecodeError(fmt.Errorf("POST %s: Mimecast returned the page token it was sent; refusing to loop", AuditPath))
		}
		cur.PageToken = next
		out.More = true
		window += ": more pages follow"
	} else {
		cur = AuditCursor{From: max(cur.To-int64(AuditOverlap/time.Second), cur.From)}
		window += " complete"
	}
	out.Next, out.Note = mustJSON(cur), window
	return out, nil
}

// auditRequest is the body of one audit page request.
type auditRequest struct {
	Meta struct {
		Pagination struct {
			PageSize  int    `json:"pageSize"`
			PageToken string `json:"pageToken,omitempty"`
		} `json:"pagination"`
	} `json:"meta"`
	Data []auditRange `json:"data"`
}

type auditRange struct {
	Start string `json:"startDateTime"`
	End   string `json:"endDateTime"`
}

// get asks for one page of the window.
func (m *audit) get(ctx context.Context, cur AuditCursor, size int) (*jsonrec.Page, time.Duration, error) {
	var body auditRequest
	body.Meta.Pagination.PageSize = min(size, MaxPageSize)
	body.Meta.Pagination.PageToken = cur.PageToken
	body.Data = []auditRange{{Start: time.Unix(cur.From, 0).UTC().Format(auditTime), End: time.Unix(cur.To, 0).UTC().Format(auditTime)}}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, 0, err
	}
	var (
		page *jsonrec.Page
		wait time.Duration
	)
	err = m.env.HTTP.Do(ctx, httpx.Request{Method: http.MethodPost, URL: AuditPath, Body: b, Endpoint: "audit"}, func(resp *http.Response, r io.Reader) error {
		raw, err := io.ReadAll(io.LimitReader(r, int64(jsonrec.DefaultMaxBytes)+1))
		if err != nil {
			return err
		}
		p, derr := jsonrec.Decode(bytes.NewReader(raw), &auditSpec)
		if fails := parseFails(raw); len(fails) > 0 {
			return failError("POST "+AuditPath, fails)
		}
		if derr != nil {
			return runner.DecodeError(derr)
		}
		page = p
		wait = quotaPause(resp.Header, m.env.Now())
		return nil
	})
	if err != nil {
		return nil, 0, explain(err)
	}
	return page, wait, nil
}

// parseFails reads the fail array of an answer, if it has one.
func parseFails(raw []byte) []Fail {
	var v struct {
		Fail []Fail `json:"fail"`
	}
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	return v.Fail
}

// Check asks for one audit event of the last day.
func (m *audit) Check(ctx context.Context) (string, error) {
	now := m.env.Now().Unix()
	page, _, err := m.get(ctx, AuditCursor{From: now - 24*3600, To: now}, 1)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("token accepted, audit events readable (%d in the first page of the last day)", len(page.Items)), nil
}

// utc formats Unix seconds for notes people read.
func utc(sec int64) string { return time.Unix(sec, 0).UTC().Format(time.RFC3339) }

// Compile-time guards: the runner finds the optional hooks by type.
var (
	_ runner.Module  = (*audit)(nil)
	_ runner.Checker = (*audit)(nil)
)
