package mimecast

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wodlekit/wodlekit/runtime/httpx"
	"github.com/wodlekit/wodlekit/runtime/jsonrec"
	"github.com/wodlekit/wodlekit/runtime/runner"
)

// BatchPath is the Cloud Gateway SIEM batch endpoint: for one event type,
// pages of pre-signed URLs of gzip NDJSON files.
const BatchPath = "/siem/v1/batch/events/cg"

// The limits of one SIEM page.
const (
	// maxListings is how many times one page is listed before it fails:
	// a file URL that expired (403, 404) is never skipped, the page is
	// listed again for fresh URLs and read again from its first file.
	maxListings = 3
	// maxPageBytes bounds the events of one page held before delivery
	// (and a page must fit within one run's 63 MiB of output).
	maxPageBytes = 48 << 20
	// maxPause bounds a pause the rate-limit headers ask for between pages.
	maxPause = 5 * time.Minute
	// pauseMargin is added to a reset: it is stated in whole milliseconds
	// (or as a moment on Mimecast's clock, not ours), and a request sent
	// on the dot may still be counted in the spent quota.
	pauseMargin = time.Second
)

// quotaPause is the wait an answer's rate-limit headers ask for before the
// next request: none while requests are left, else until the reset.
func quotaPause(h http.Header, now time.Time) time.Duration {
	rl, ok := rateLimits().Read(h, now)
	if !ok {
		return 0
	}
	if p := rl.Pause(0); p > 0 || rl.Remaining == 0 {
		return min(p+pauseMargin, maxPause)
	}
	return 0
}

// listingSpec: {"value":[{"url","size","expiry"}],"@nextPage":"...","isCaughtUp":bool}.
// @nextPage resumes after the page; Mimecast sends one even on the last,
// caught-up page, and a saved one must never be empty.
var listingSpec = jsonrec.Spec{
	Arrays: map[string]string{"value": "file"},
	Members: []jsonrec.Member{
		{Path: "@nextPage", Type: jsonrec.String, NonEmpty: true, Optional: true},
		{Path: "isCaughtUp", Type: jsonrec.Bool},
	},
	Fields: []string{"url"},
}

// SIEMCursor is the siem module's saved state: one position per event type.
type SIEMCursor struct {
	Types map[string]*TypeCursor `json:"types"`
}

// TypeCursor is where one event type resumes.
type TypeCursor struct {
	// NextPage is the last @nextPage of a page whose files were all
	// delivered, kept even when Mimecast said isCaughtUp: the next run
	// lists from it. "" before the first page.
	NextPage string `json:"next_page,omitempty"`
	// Start is the first day asked (YYYY-MM-DD) while NextPage is "".
	Start string `json:"start"`
	// FloorMS drops events older than the first run's lookback: without a
	// page token Mimecast answers whole days.
	FloorMS int64 `json:"floor_ms,omitempty"`
}

// ParseSIEMCursor reads a saved siem cursor and checks it can be resumed.
func ParseSIEMCursor(raw []byte) (*SIEMCursor, error) {
	var c SIEMCursor
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("not a Mimecast SIEM cursor: %w", err)
	}
	if c.Types == nil {
		return nil, errors.New("the SIEM cursor has no types")
	}
	for name, tc := range c.Types {
		if tc == nil {
			return nil, fmt.Errorf("type %q has no position", name)
		}
		if tc.NextPage == "" {
			if _, err := time.Parse(time.DateOnly, tc.Start); err != nil {
				return nil, fmt.Errorf("type %q: no next_page, and start %q is not a date", name, tc.Start)
			}
		}
	}
	return &c, nil
}

// siem is the Cloud Gateway batch module. Each page is one listing of one
// event type; the types are read in turn until each is caught up.
type siem struct {
	env   *runner.Env
	types []string
	// done marks the types caught up in this run.
	done map[string]bool
}

// Name implements runner.Module.
func (m *siem) Name() string { return "siem" }

// Fetch implements runner.Module: the next page of the first type not yet
// caught up in this run, its files read whole.
func (m *siem) Fetch(ctx context.Context, req runner.PageRequest) (*runner.Page, error) {
	cur := &SIEMCursor{Types: map[string]*TypeCursor{}}
	if req.Cursor != nil {
		c, err := ParseSIEMCursor(req.Cursor)
		if err != nil {
			return nil, runner.BadCursor(m.Name(), err)
		}
		cur = c
	}
	if m.done == nil {
		m.done = map[string]bool{}
	}
	typ := ""
	for _, t := range m.types {
		if !m.done[t] {
			typ = t
			break
		}
	}
	if typ == "" {
		return &runner.Page{Next: mustJSON(cur), Note: "every type caught up"}, nil
	}
	tc := cur.Types[typ]
	if tc == nil {
		// A first run, or a type the admin just added: from the lookback.
		tc = &TypeCursor{Start: req.Since.UTC().Format(time.DateOnly), FloorMS: req.Since.UnixMilli()}
	}
	pg, err := m.readPage(ctx, typ, tc, req.Now)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", typ, err)
	}
	next := *tc
	if pg.nextPage != "" {
		next.NextPage = pg.nextPage
	}
	if pg.caughtUp || pg.files == 0 {
		m.done[typ] = true
	}
	if pg.nextPage != "" && pg.nextPage == tc.NextPage {
		// The page token it was sent: reading on would read this page
		// again and again. The type stops for this run; the next run
		// lists from the same token (its events are de-duplicated).
		m.done[typ], pg.repeated = true, true
	}
	cur.Types[typ] = &next
	out := &runner.Page{Records: pg.records, Next: mustJSON(cur), Wait: pg.wait}
	for _, t := range m.types {
		if !m.done[t] {
			out.More = true
		}
	}
	out.Note = m.note(typ, pg)
	return out, nil
}

// siemPage is one listing of a type, read.
type siemPage struct {
	records  []runner.Record
	files    int
	nextPage string
	caughtUp bool
	listings int
	older    int
	wait     time.Duration
	// repeated: Mimecast answered the page token it was sent.
	repeated bool
}

func (m *siem) note(typ string, pg *siemPage) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d file(s)", typ, pg.files)
	if pg.caughtUp {
		b.WriteString(", caught up")
	}
	if pg.repeated {
		b.WriteString("; Mimecast returned the page token it was sent, the type resumes from it next run")
	}
	if pg.listings > 1 {
		fmt.Fprintf(&b, "; listed %d times for fresh file URLs", pg.listings)
	}
	if pg.older > 0 {
		fmt.Fprintf(&b, "; %d event(s) before the lookback skipped", pg.older)
	}
	if pg.wait > 0 {
		fmt.Fprintf(&b, "; rate limit spent, pausing %v", pg.wait.Round(time.Millisecond))
	}
	var left []string
	for _, t := range m.types {
		if !m.done[t] {
			left = append(left, t)
		}
	}
	if len(left) > 0 {
		fmt.Fprintf(&b, "; still to read: %s", strings.Join(left, ", "))
	}
	return b.String()
}

// readPage lists one page and reads every file on it. A file whose URL
// expired is never skipped: the same page is listed again, and its files
// read again from the first, at most maxListings times.
func (m *siem) readPage(ctx context.Context, typ string, tc *TypeCursor, now time.Time) (*siemPage, error) {
	var lastExpiry error
	for listing := 1; listing <= maxListings; listing++ {
		l, err := m.list(ctx, typ, tc, now)
		if err != nil {
			return nil, err
		}
		pg := &siemPage{files: len(l.urls), nextPage: l.nextPage, caughtUp: l.caughtUp, listings: listing, wait: l.wait}
		err = m.readFiles(ctx, typ, tc, l.urls, pg)
		var se *httpx.StatusError
		if errors.As(err, &se) && (se.Code == http.StatusForbidden || se.Code == http.StatusNotFound) {
			lastExpiry = err
			m.env.Log.Warn("a SIEM file URL was refused; listing the page again for fresh URLs", "type", typ, "listing", listing, "error", err.Error())
			continue
		}
		if err != nil {
			return nil, err
		}
		return pg, nil
	}
	// Not wrapped: the 403 is the object store's, not a refusal of our
	// credentials, and must not read as an auth error.
	return nil, fmt.Errorf("a file of this page stayed unreadable over %d listings (pre-signed URLs expiring before they are read: a slow network or proxy, or a host clock far off); the page was not delivered and the cursor stays: %v", maxListings, lastExpiry)
}

// listing is one answer of the batch endpoint.
type listing struct {
	urls     []string
	nextPage string
	caughtUp bool
	wait     time.Duration
}

// list asks for one page of a type: from the saved @nextPage, or from the
// start day when there is none.
func (m *siem) list(ctx context.Context, typ string, tc *TypeCursor, now time.Time) (*listing, error) {
	q := url.Values{}
	q.Set("type", typ)
	q.Set("pageSize", strconv.Itoa(min(m.env.Config.PageSize, MaxFilesPerPage)))
	if tc.NextPage != "" {
		q.Set("nextPage", tc.NextPage)
	} else {
		q.Set("dateRangeStartsAt", tc.Start)
		q.Set("dateRangeEndsAt", now.UTC().Format(time.DateOnly))
	}
	var (
		page *jsonrec.Page
		l    listing
	)
	err := m.env.HTTP.Do(ctx, httpx.Request{URL: BatchPath + "?" + q.Encode(), Endpoint: "siem"}, func(resp *http.Response, body io.Reader) error {
		p, err := jsonrec.Decode(body, &listingSpec)
		if err != nil {
			return runner.DecodeError(err)
		}
		page = p
		l.wait = quotaPause(resp.Header, m.env.Now())
		return nil
	})
	if err != nil {
		return nil, explain(err)
	}
	l.caughtUp, _ = page.Bool("isCaughtUp")
	l.nextPage, _ = page.String("@nextPage")
	for i, it := range page.Items {
		if it.Fields[0] == "" {
			return nil, runner.DecodeError(fmt.Errorf("GET %s: file %d of the page has no url", BatchPath, i+1))
		}
		l.urls = append(l.urls, it.Fields[0])
	}
	return &l, nil
}

// readFiles downloads and parses every file of a page into pg.records.
func (m *siem) readFiles(ctx context.Context, typ string, tc *TypeCursor, urls []string, pg *siemPage) error {
	pg.records, pg.older = nil, 0
	kind := EventType(typ)
	size := 0
	for i, u := range urls {
		name := fileName(u, i)
		var lines []Line
		err := m.env.HTTP.Do(ctx, httpx.Request{URL: u, Presigned: true, Endpoint: "siem-file"}, func(_ *http.Response, body io.Reader) error {
			lines = lines[:0]
			return ParseFile(body, name, func(l Line) error {
				lines = append(lines, l)
				return nil
			})
		})
		if err != nil {
			return fmt.Errorf("file %d of %d: %w", i+1, len(urls), err)
		}
		for _, l := range lines {
			size += len(l.Raw)
			if size > maxPageBytes {
				return runner.DecodeError(fmt.Errorf("the page's %d files hold over %d MiB of events, more than one page may deliver; lower MIMECAST_PAGE_SIZE", len(urls), maxPageBytes>>20))
			}
			if l.Kind != "" {
				pg.records = append(pg.records, runner.Record{Raw: l.Raw, ID: "line|" + typ + "|" + name + "|" + strconv.Itoa(l.N), EventType: l.Kind})
				continue
			}
			if ts, err := strconv.ParseInt(l.Fields[3], 10, 64); err == nil && tc.FloorMS > 0 && ts < tc.FloorMS {
				pg.older++
				continue
			}
			pg.records = append(pg.records, runner.Record{Raw: l.Raw, ID: EventID(l.Fields), EventType: kind, Shape: l.Shape})
		}
	}
	return nil
}

// EventType is the event_type of a SIEM event of type typ: Mimecast's
// type with underscores ("url_protect").
func EventType(typ string) string { return strings.ReplaceAll(typ, " ", "_") }

// EventID is the de-duplication key of a SIEM event: SIEM events have no
// ID of their own, and the same aggregateId repeats across types and
// recipients, so the key joins type, processingId, aggregateId and
// timestamp. An event with neither ID is not de-duplicated (better a
// duplicate than two events taken for one).
func EventID(f [4]string) string {
	if f[1] == "" && f[2] == "" {
		return ""
	}
	return f[0] + "|" + f[1] + "|" + f[2] + "|" + f[3]
}

// fileName names a file in events and errors by its object key: the URL's
// path, never its query (the signature).
func fileName(u string, i int) string {
	p, err := url.Parse(u)
	if err != nil || p.Path == "" {
		return "#" + strconv.Itoa(i+1)
	}
	return p.Path
}

// Check lists one page of the first type: it proves the credentials, the
// application's SIEM product and the gateway.
func (m *siem) Check(ctx context.Context) (string, error) {
	now := m.env.Now()
	tc := &TypeCursor{Start: now.UTC().Format(time.DateOnly)}
	l, err := m.list(ctx, m.types[0], tc, now)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("token accepted, SIEM batch readable (%s: %d file(s) today, %d type(s) configured)", m.types[0], len(l.urls), len(m.types)), nil
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("mimecast: encode cursor: %v", err)) // plain structs of strings and numbers
	}
	return b
}

// Compile-time guards: the runner finds the optional hooks by type.
var (
	_ runner.Module  = (*siem)(nil)
	_ runner.Checker = (*siem)(nil)
)
