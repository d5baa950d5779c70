package googleworkspace

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Cursor is one application's saved state. Google serves a query's
// activities newest first, across its pages too, so a window [Start, End]
// is read whole, following nextPageToken, before End becomes the new
// mark: a window stopped after its first page has seen its newest
// activities, not its oldest.
type Cursor struct {
	// End is the end of the last complete window: the next window starts
	// Overlap before it.
	End time.Time `json:"end"`
	// Window is the window being read, nil between windows.
	Window *Window `json:"window,omitempty"`
}

// Window is one query [Start, End] and where its reading stands.
type Window struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// PageToken is Google's token of the next page; "" before the first.
	PageToken string `json:"page_token,omitempty"`
	// Low is the oldest id.time delivered from the window so far: a page
	// token Google no longer takes restarts the window as [Start, Low],
	// since everything newer was delivered.
	Low *time.Time `json:"low,omitempty"`
}

// ParseCursor reads a saved cursor and checks that it can be resumed.
func ParseCursor(raw []byte) (Cursor, error) {
	var c Cursor
	if err := json.Unmarshal(raw, &c); err != nil {
		return Cursor{}, fmt.Errorf("not a Google Workspace window cursor: %w", err)
	}
	if c.End.IsZero() {
		return Cursor{}, errors.New("the cursor has no end time")
	}
	if w := c.Window; w != nil {
		switch {
		case w.Start.IsZero() || w.End.IsZero() || w.End.Before(w.Start):
			return Cursor{}, fmt.Errorf("window [%s, %s] is not a time range", stamp(w.Start), stamp(w.End))
		case w.Low != nil && (w.Low.Before(w.Start) || w.Low.After(w.End)):
			return Cursor{}, fmt.Errorf("window low %s is outside [%s, %s]", stamp(*w.Low), stamp(w.Start), stamp(w.End))
		}
	}
	return c, nil
}

// stamp formats a time as the API takes it: RFC 3339, UTC, milliseconds.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
