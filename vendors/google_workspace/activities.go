package googleworkspace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/wodlekit/wodlekit/runtime/httpx"
	"github.com/wodlekit/wodlekit/runtime/jsonrec"
	"github.com/wodlekit/wodlekit/runtime/runner"
)

// PathPrefix is activities.list without its application.
const PathPrefix = "/admin/reports/v1/activity/users/all/applications/"

// pageSpec: a page is {"kind":"admin#reports#activities","etag":...,
// "items":[...],"nextPageToken":"..."}. Google leaves "items" out of a
// page with no activities, so it may be absent; "kind" is on every page,
// and an answer without it (an error body, {}) is not a page.
var pageSpec = jsonrec.Spec{
	Arrays:    map[string]string{"items": "activity"},
	Omittable: []string{"items"},
	Members: []jsonrec.Member{
		{Path: "kind", Type: jsonrec.String, NonEmpty: true},
		{Path: "nextPageToken", Type: jsonrec.String | jsonrec.Null, Optional: true, NonEmpty: true},
	},
}

// activities is one application's module.
type activities struct {
	env      *runner.Env
	app      string
	lag      time.Duration
	overlap  time.Duration
	customer string
	admin    string
	// restart says, for the rest of the run's summaries, that Google
	// refused a saved page token.
	restart string
}

// Name implements runner.Module: the application's name.
func (m *activities) Name() string { return m.app }

// Fetch implements runner.Module: the next page of the window being read,
// or the first page of a new window [End - Overlap, now - lag].
func (m *activities) Fetch(ctx context.Context, req runner.PageRequest) (*runner.Page, error) {
	var cur Cursor
	if req.Cursor != nil {
		c, err := ParseCursor(req.Cursor)
		if err != nil {
			return nil, runner.BadCursor(m.Name(), err)
		}
		cur = c
	} else {
		// A first run (or --all) reads from the lookback, no overlap.
		cur = Cursor{End: req.Since.UTC().Add(m.overlap)}
	}
	if cur.Window == nil {
		end := req.Now.UTC().Add(-m.lag).Truncate(time.Millisecond)
		if !end.After(cur.End) {
			return &runner.Page{Next: mustJSON(cur), Note: fmt.Sprintf("caught up: the next window opens once now - lag (%v) passes %s", m.lag, stamp(cur.End))}, nil
		}
		cur.Window = &Window{Start: cur.End.Add(-m.overlap), End: end}
	}
	w := cur.Window
	page, err := m.get(ctx, w)
	var se *httpx.StatusError
	if w.PageToken != "" && errors.As(err, &se) && se.Code == http.StatusBadRequest {
		// Google no longer takes the saved page token: everything newer
		// than Low was delivered, so read [Start, Low] again from its top
		// (Low's own activities come again and are dropped as duplicates).
		if w.Low != nil {
			w.End = *w.Low
		}
		m.restart = fmt.Sprintf("Google refused the saved page token; the window restarted as %s..%s; ", stamp(w.Start), stamp(w.End))
		w.PageToken = ""
		page, err = m.get(ctx, w)
	}
	if err != nil {
		return nil, m.explain(err)
	}
	// The page contract made it absent, null or a non-empty string.
	next, _ := page.String("nextPageToken")
	out := &runner.Page{Records: make([]runner.Record, 0, len(page.Items))}
	for _, it := range page.Items {
		a, perr := ParseActivity(it.Raw)
		rec := runner.Record{Raw: it.Raw, EventType: "activity", Shape: it.Shape}
		if perr == nil {
			rec.ID, rec.EventType = a.Key(), a.EventType()
			if !a.Time.Before(w.Start) && !a.Time.After(w.End) && (w.Low == nil || a.Time.Before(*w.Low)) {
				t := a.Time
				w.Low = &t
			}
		}
		// An activity whose id does not parse is still delivered, without
		// de-duplication: losing it would be worse than a duplicate.
		out.Records = append(out.Records, rec)
	}
	note := fmt.Sprintf("window %s..%s", stamp(w.Start), stamp(w.End))
	switch {
	case next != "" && next == w.PageToken && len(page.Items) == 0:
		// A known fault of the API: the token it was sent, and no
		// activities. Following it would loop; the window is read.
		note += ": Google repeated the page token on an empty page; window taken as complete"
		next = ""
	case next != "" && next == w.PageToken:
		return nil, runner.DecodeError(fmt.Errorf("GET %s%s: Google returned the nextPageToken it was sent; refusing to loop", PathPrefix, m.app))
	}
	if next != "" {
		w.PageToken = next
		out.More = true
		note += ": more pages follow"
	} else {
		cur.End, cur.Window = w.End, nil
		note += fmt.Sprintf(" complete (lag %v, overlap %v)", m.lag, m.overlap)
	}
	out.Next, out.Note = mustJSON(cur), m.restart+note
	return out, nil
}

// get asks for one page of a window: both bounds on every page, since a
// page token only means something with the query it came from.
func (m *activities) get(ctx context.Context, w *Window) (*jsonrec.Page, error) {
	q := url.Values{}
	q.Set("startTime", stamp(w.Start))
	q.Set("endTime", stamp(w.End))
	q.Set("maxResults", strconv.Itoa(min(m.env.Config.PageSize, MaxResults)))
	if m.customer != "my_customer" {
		q.Set("customerId", m.customer)
	}
	if w.PageToken != "" {
		q.Set("pageToken", w.PageToken)
	}
	return runner.FetchPage(ctx, m.env.HTTP, httpx.Request{URL: PathPrefix + m.app + "?" + q.Encode(), Endpoint: "activities"}, &pageSpec)
}

// Check asks for the application's newest activity: it proves the key,
// the delegation, the admin's privilege and the API with one call.
func (m *activities) Check(ctx context.Context) (string, error) {
	q := url.Values{"maxResults": {"1"}}
	if m.customer != "my_customer" {
		q.Set("customerId", m.customer)
	}
	page, err := runner.FetchPage(ctx, m.env.HTTP, httpx.Request{URL: PathPrefix + m.app + "?" + q.Encode(), Endpoint: "activities"}, &pageSpec)
	if err != nil {
		return "", m.explain(err)
	}
	verdict := fmt.Sprintf("token granted for %s, %s activities readable (window lag %v)", m.admin, m.app, m.lag)
	if len(page.Items) == 0 {
		return verdict + "; no activity in the retention period", nil
	}
	if a, err := ParseActivity(page.Items[0].Raw); err == nil {
		return verdict + "; newest " + stamp(a.Time), nil
	}
	return verdict, nil
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("google_workspace: encode cursor: %v", err)) // plain structs of times and strings
	}
	return b
}

// Compile-time guards: the runner finds the optional hooks by type.
var (
	_ runner.Module  = (*activities)(nil)
	_ runner.Checker = (*activities)(nil)
)
