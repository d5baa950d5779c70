package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/wodlekit/wodlekit/runtime/httpx"
	"github.com/wodlekit/wodlekit/runtime/jsonrec"
	"github.com/wodlekit/wodlekit/runtime/runner"
)

// Path is the Audit Logs API's log endpoint.
const Path = "/audit/v1/logs"

// EventType is the event_type of every audit entry: Slack's own kind of
// event is its "action".
const EventType = "audit_log"

// pageSpec: a page is {"entries":[...],"response_metadata":{"next_cursor":"..."}};
// an empty or absent next_cursor ends the sweep. Whether Slack always sends
// response_metadata on a last page is not documented, so it may be absent.
var pageSpec = jsonrec.Spec{
	Arrays: map[string]string{"entries": EventType},
	Members: []jsonrec.Member{
		{Path: "response_metadata", Type: jsonrec.Object, Optional: true},
		{Path: "response_metadata.next_cursor", Type: jsonrec.String | jsonrec.Null, Optional: true},
	},
	Fields: []string{"id", "date_create"},
}

// logs is the one module: the organization's audit log.
type logs struct {
	env *runner.Env
	// restart says, for the rest of the run's summaries, that Slack
	// refused a saved page cursor.
	restart string
}

// Name implements runner.Module.
func (m *logs) Name() string { return "logs" }

// Fetch implements runner.Module: the next page of the sweep in progress,
// or the first page of a new sweep from the high-water mark to now.
func (m *logs) Fetch(ctx context.Context, req runner.PageRequest) (*runner.Page, error) {
	cur := Cursor{HighWater: req.Since.Unix()}
	if req.Cursor != nil {
		c, err := ParseCursor(req.Cursor)
		if err != nil {
			return nil, runner.BadCursor(m.Name(), err)
		}
		cur = c
	}
	if cur.Sweep == nil {
		latest := req.Now.Unix()
		if latest < cur.HighWater {
			// The host clock is behind the newest event seen: nothing
			// can be asked until it catches up.
			return &runner.Page{Next: mustJSON(cur), Note: fmt.Sprintf("caught up: the host clock (%s) is behind the high-water mark %s", utc(latest), utc(cur.HighWater))}, nil
		}
		cur.Sweep = &Sweep{Oldest: cur.HighWater, Latest: latest}
	}
	sw := cur.Sweep
	page, err := m.get(ctx, sw)
	var ae *APIError
	if errors.As(err, &ae) && ae.Code == "invalid_cursor" && sw.Next != "" {
		// The pages already delivered cover [Low, Latest]: sweep the rest
		// without Slack's cursor, the Low second read again and
		// de-duplicated by the runner's recent IDs (the last page's).
		m.restart = fmt.Sprintf("Slack refused the saved page cursor; the sweep restarted as %s..%s", utc(sw.Oldest), utc(sw.Low))
		sw.Latest, sw.Next = max(sw.Low, sw.Oldest), ""
		page, err = m.get(ctx, sw)
	}
	if err != nil {
		return nil, err
	}

	raw := page.Meta["response_metadata.next_cursor"]
	next, err := parseNextCursor(raw)
	if err != nil {
		return nil, runner.DecodeError(fmt.Errorf("GET %s: %w", Path, err))
	}
	if next != "" && next == sw.Next {
		return nil, runner.DecodeError(fmt.Errorf("GET %s: Slack returned the next_cursor it was sent; refusing to loop", Path))
	}
	entries := make([]entry, len(page.Items))
	out := &runner.Page{Records: make([]runner.Record, 0, len(page.Items))}
	edge := 0
	for i, it := range page.Items {
		d, _ := strconv.ParseInt(it.Fields[1], 10, 64)
		entries[i] = entry{id: it.Fields[0], date: d}
		if cur.isEdge(entries[i]) {
			edge++
			continue
		}
		out.Records = append(out.Records, runner.Record{Raw: it.Raw, ID: it.Fields[0], EventType: EventType, Shape: it.Shape})
	}
	sw.observe(entries)
	window := fmt.Sprintf("sweep %s..%s", utc(sw.Oldest), utc(sw.Latest))
	if next != "" {
		sw.Next = next
		out.More = true
		window += ": more pages follow"
	} else {
		cur.finish()
		window += fmt.Sprintf(" complete; high-water mark %s", utc(cur.HighWater))
	}
	if edge > 0 {
		window += fmt.Sprintf("; %d entr(ies) of the high-water second already delivered", edge)
	}
	if m.restart != "" {
		window = m.restart + "; " + window
	}
	out.Next, out.Note = mustJSON(cur), window
	return out, nil
}

// get asks for one page of the sweep: both bounds on every page, since
// Slack's cursor does not carry them.
func (m *logs) get(ctx context.Context, sw *Sweep) (*jsonrec.Page, error) {
	q := url.Values{}
	q.Set("oldest", strconv.FormatInt(sw.Oldest, 10))
	q.Set("latest", strconv.FormatInt(sw.Latest, 10))
	q.Set("limit", strconv.Itoa(min(m.env.Config.PageSize, MaxLimit)))
	if sw.Next != "" {
		q.Set("cursor", sw.Next)
	}
	return fetch(ctx, m.env.HTTP, Path+"?"+q.Encode())
}

// fetch sends one GET and decodes the page, telling Slack's error answers
// ({"ok":false,"error":...}, with HTTP 200 or an error status) from pages.
func fetch(ctx context.Context, c *httpx.Client, u string) (*jsonrec.Page, error) {
	var page *jsonrec.Page
	err := c.Do(ctx, httpx.Request{Method: http.MethodGet, URL: u, Endpoint: Path}, func(resp *http.Response, body io.Reader) error {
		// One byte past jsonrec's bound lets it report the size error.
		b, err := io.ReadAll(io.LimitReader(body, int64(jsonrec.DefaultMaxBytes)+1))
		if err != nil {
			return runner.DecodeError(err)
		}
		page, err = ParsePage(resp.StatusCode, b)
		return err
	})
	if err != nil {
		return nil, explain(err)
	}
	return page, nil
}

// ParsePage reads one answer of the log endpoint that came with a 2xx
// status: Slack's error answer ({"ok":false,...}) becomes its refusal,
// anything that is not a page with an entries array a decode error.
func ParsePage(status int, b []byte) (*jsonrec.Page, error) {
	p, err := jsonrec.Decode(bytes.NewReader(b), &pageSpec)
	if err != nil {
		// No entries: the page contract refused it, and Slack's error
		// answer is the usual reason.
		if code, isErr := ParseError(b); isErr {
			return nil, refusal(code, status)
		}
		return nil, runner.DecodeError(err)
	}
	if ok, present := p.Bool("ok"); present && !ok {
		code, _ := p.String("error")
		return nil, refusal(code, status)
	}
	return p, nil
}

// parseNextCursor reads response_metadata.next_cursor: absent, null and ""
// end the sweep; anything but a string is a broken page.
func parseNextCursor(raw []byte) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("response_metadata.next_cursor is not a string: %.40s", raw)
	}
	return s, nil
}

// Check asks for the newest entry: it proves the token, its scope, the
// organization's plan and the host with the cheapest call the API has.
func (m *logs) Check(ctx context.Context) (string, error) {
	page, err := fetch(ctx, m.env.HTTP, Path+"?limit=1")
	if err != nil {
		return "", err
	}
	if len(page.Items) == 0 {
		return "token accepted, audit logs readable (the log is empty)", nil
	}
	d, _ := strconv.ParseInt(page.Items[0].Fields[1], 10, 64)
	return fmt.Sprintf("token accepted, audit logs readable (newest entry %s)", utc(d)), nil
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("slack: encode cursor: %v", err)) // plain structs of numbers and strings
	}
	return b
}

// Compile-time guards: the runner finds the optional hooks by type.
var (
	_ runner.Module  = (*logs)(nil)
	_ runner.Checker = (*logs)(nil)
)
