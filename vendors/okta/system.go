package okta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/wodlekit/wodlekit/runtime/httpx"
	"github.com/wodlekit/wodlekit/runtime/jsonrec"
	"github.com/wodlekit/wodlekit/runtime/runner"
)

// logsPath is the System Log endpoint.
const logsPath = "/api/v1/logs"

// fallbackEventType is the event_type of a record without eventType,
// which Okta always sends; it only guards against a malformed record.
const fallbackEventType = "system_log"

// pageSpec: a System Log page is a bare JSON array of LogEvents.
var pageSpec = jsonrec.Spec{Arrays: map[string]string{"": ""}, Fields: []string{"uuid", "eventType"}}

// system is the System Log module. Okta's polling model (no until,
// ascending) answers by persistence time, may return events out of
// published order, and always sends a next link, even after an empty page.
// So the cursor is the next URL itself, never a published time, and a
// page shorter than its limit means "caught up for now".
type system struct {
	env *runner.Env
}

// Name implements runner.Module.
func (s *system) Name() string { return "system" }

// cursorURL reads a saved cursor: the next URL as a JSON string, which must
// still point at the configured org and at the System Log.
func (s *system) cursorURL(cur json.RawMessage) (*url.URL, error) {
	var next string
	if err := json.Unmarshal(cur, &next); err != nil || next == "" {
		return nil, runner.BadCursor("system", errors.New("not a next URL"))
	}
	u, err := s.env.HTTP.ResolveNext(next)
	if err != nil {
		return nil, runner.BadCursor("system", fmt.Errorf("%w (was OKTA_BASE_URL changed?)", err))
	}
	if u.Path != logsPath {
		return nil, runner.BadCursor("system", fmt.Errorf("points at %s, not %s", u.Path, logsPath))
	}
	return u, nil
}

// firstURL is the polling request of a first run: since the lookback,
// ascending, no until (an until would make it a bounded request that
// filters on published and misses late events).
func (s *system) firstURL(since time.Time, limit int) string {
	q := url.Values{
		"since":     {since.UTC().Format("2006-01-02T15:04:05.000Z")},
		"limit":     {strconv.Itoa(limit)},
		"sortOrder": {"ASCENDING"},
	}
	return logsPath + "?" + q.Encode()
}

// answer is what Fetch keeps of one response.
type answer struct {
	page *jsonrec.Page
	next string
	rate rateLimit
}

func (s *system) get(ctx context.Context, target string) (*answer, error) {
	var a answer
	err := s.env.HTTP.Do(ctx, httpx.Request{Method: http.MethodGet, URL: target, Header: http.Header{"Accept": {"application/json"}}, Endpoint: "logs"},
		func(resp *http.Response, body io.Reader) error {
			head := &prefixWriter{max: 64 << 10}
			p, err := jsonrec.Decode(io.TeeReader(body, head), &pageSpec)
			if err != nil {
				return runner.DecodeError(diagnose(err, head, body))
			}
			a.page = p
			a.next, _ = httpx.NextLink(resp.Header)
			a.rate = readRateLimit(resp.Header)
			return nil
		})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// Fetch implements runner.Module.
func (s *system) Fetch(ctx context.Context, req runner.PageRequest) (*runner.Page, error) {
	var target string
	limit := s.env.Config.PageSize
	if req.Cursor == nil {
		target = s.firstURL(req.Since, limit)
	} else {
		u, err := s.cursorURL(req.Cursor)
		if err != nil {
			return nil, err
		}
		target = u.String()
		// The next link carries the limit it was made with; a changed
		// PAGE_SIZE takes effect on the next first run.
		if n, err := strconv.Atoi(u.Query().Get("limit")); err == nil && n > 0 {
			limit = n
		}
	}
	a, err := s.get(ctx, target)
	if err != nil {
		return nil, err
	}
	// Without a next link (Okta always sends one; a proxy may strip it)
	// the same URL is requested again next time; dedup absorbs the replay.
	cursor := target
	if a.next != "" {
		u, err := s.env.HTTP.ResolveNext(a.next)
		if err != nil {
			return nil, fmt.Errorf("GET %s: Link rel=\"next\": %w", logsPath, err)
		}
		cursor = u.String()
	} else if req.Cursor == nil {
		// Keep the request as an absolute URL, like the ones Okta gives.
		cursor = s.env.HTTP.BaseURL().String() + target
	}
	next, err := json.Marshal(cursor)
	if err != nil {
		return nil, fmt.Errorf("encode cursor: %w", err)
	}
	out := &runner.Page{
		Next:    next,
		More:    a.next != "" && len(a.page.Items) >= limit,
		Records: make([]runner.Record, len(a.page.Items)),
	}
	for i, it := range a.page.Items {
		et := it.Fields[1]
		if et == "" {
			et = fallbackEventType
		}
		out.Records[i] = runner.Record{Raw: it.Raw, ID: it.Fields[0], EventType: et}
	}
	if out.More {
		if d := a.rate.pause(s.env.Now()); d > 0 {
			out.Wait = d
			out.Note = fmt.Sprintf("paced: %d of %d requests left in Okta's rate-limit window; waited %v for its reset", a.rate.remaining, a.rate.limit, d.Round(time.Second))
			s.env.Log.Info("okta rate limit running low: pausing until the window resets", "remaining", a.rate.remaining, "limit", a.rate.limit, "wait", d)
		}
	}
	return out, nil
}

// Check makes one cheap authenticated request (one event of the last
// hour) and says which authentication is in use and what was proven.
func (s *system) Check(ctx context.Context) (string, error) {
	kind := describeAuth(s.env)
	a, err := s.get(ctx, s.firstURL(s.env.Now().Add(-time.Hour), 1))
	if err != nil {
		return "", fmt.Errorf("%s: %w%s", kind, err, permissionHint(err, kind))
	}
	rate := ""
	if a.rate.ok {
		rate = fmt.Sprintf("; rate limit %d of %d left", a.rate.remaining, a.rate.limit)
	}
	return fmt.Sprintf("authenticated with %s; System Log readable (%d event(s) in the last hour's first page)%s", kind, len(a.page.Items), rate), nil
}

// permissionHint says what the credential lacks when Okta refuses it.
func permissionHint(err error, kind string) string {
	var se *httpx.StatusError
	if !errors.As(err, &se) {
		return ""
	}
	oauth := kind != "API token (SSWS)"
	switch {
	case se.Code == http.StatusForbidden && oauth:
		return " (the service app lacks permission: grant okta.logs.read on its Okta API Scopes tab and assign it an admin role that reads the System Log, e.g. Read-only Administrator)"
	case se.Code == http.StatusForbidden:
		return " (the API token lacks permission: it acts as the admin who created it, who needs a role that reads the System Log, e.g. Read-only Administrator)"
	case se.Code == http.StatusUnauthorized && oauth:
		return " (the access token was refused: check that the app's token is not DPoP-bound while OKTA_DPOP=false, and the host clock)"
	case se.Code == http.StatusUnauthorized:
		return " (the API token is invalid, expired after 30 days unused, or revoked: create a new one under Security > API > Tokens)"
	}
	return ""
}

// prefixWriter keeps the first max bytes written to it.
type prefixWriter struct {
	b   []byte
	max int
	cut bool
}

func (w *prefixWriter) Write(p []byte) (int, error) {
	n := len(p)
	if room := w.max - len(w.b); n > room {
		w.cut = true
		p = p[:max(room, 0)]
	}
	w.b = append(w.b, p...)
	// The whole of p is reported written: TeeReader fails on short writes.
	return n, nil
}

// diagnose sharpens a decode failure of a body that is not an array: the
// decoder stops at the first token, so whether the rest was even JSON
// (an HTML page, a cut error body) is worth saying. Truncation errors are
// returned unchanged: the client retries those.
func diagnose(err error, head *prefixWriter, rest io.Reader) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || head.cut {
		return err
	}
	tail, rerr := io.ReadAll(io.LimitReader(rest, int64(head.max)))
	if rerr != nil || len(head.b)+len(tail) >= head.max {
		return err
	}
	if !json.Valid(append(head.b, tail...)) {
		return fmt.Errorf("decode page: invalid JSON (the System Log answers a JSON array): %w", err)
	}
	return err
}

// Interface guards: a hook with a wrong signature is a compile error.
var (
	_ runner.Module  = (*system)(nil)
	_ runner.Checker = (*system)(nil)
)
