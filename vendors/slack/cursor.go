package slack

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// MaxEdgeIDs bounds the IDs a cursor keeps for one second. Slack may
// answer more entries than the limit when many share a second; past this
// bound a later sweep may deliver some of that second again (at least
// once), never lose them.
const MaxEdgeIDs = 5000

// Cursor is the logs module's saved state. Slack serves the log newest
// first and its page cursor does not carry the time range, so a sweep
// [Oldest, Latest] sends both bounds on every page; HighWater moves only
// when a sweep is complete, since a sweep stopped after its first page has
// seen the newest events but not the older ones.
type Cursor struct {
	// HighWater is the newest date_create (Unix seconds) of the last
	// complete sweep: the next sweep starts there, inclusive.
	HighWater int64 `json:"high_water"`
	// EdgeIDs are the IDs already delivered with date_create equal to
	// HighWater: the next sweep reads that second again and drops them.
	EdgeIDs []string `json:"edge_ids,omitempty"`
	// Sweep is the sweep in progress, nil between sweeps.
	Sweep *Sweep `json:"sweep,omitempty"`
}

// Sweep is one pass over [Oldest, Latest], newest first.
type Sweep struct {
	Oldest int64 `json:"oldest"`
	Latest int64 `json:"latest"`
	// Next is Slack's next_cursor for the following page; "" before the
	// first page.
	Next string `json:"next_cursor"`
	// Max is the newest date_create seen in the sweep (0: none yet) and
	// MaxIDs the IDs seen at that second: the next high-water mark.
	Max    int64    `json:"max"`
	MaxIDs []string `json:"max_ids,omitempty"`
	// Low is the oldest date_create delivered so far: a sweep whose page
	// cursor Slack refuses restarts as [Oldest, Low].
	Low int64 `json:"low"`
}

// ParseCursor reads a saved cursor and checks that it can be resumed.
func ParseCursor(raw []byte) (Cursor, error) {
	var c Cursor
	if err := json.Unmarshal(raw, &c); err != nil {
		return Cursor{}, fmt.Errorf("not a Slack sweep cursor: %w", err)
	}
	if c.HighWater < 0 {
		return Cursor{}, fmt.Errorf("high_water %d is negative", c.HighWater)
	}
	if len(c.EdgeIDs) > MaxEdgeIDs {
		return Cursor{}, fmt.Errorf("edge_ids holds %d IDs, more than the %d a cursor keeps", len(c.EdgeIDs), MaxEdgeIDs)
	}
	if s := c.Sweep; s != nil {
		switch {
		case s.Oldest < 0 || s.Latest < s.Oldest:
			return Cursor{}, fmt.Errorf("sweep [%d, %d] is not a time range", s.Oldest, s.Latest)
		case s.Max != 0 && s.Max < s.Oldest:
			// Max may pass Latest: a sweep restarted without Slack's
			// cursor narrows Latest to Low and keeps what it saw.
			return Cursor{}, fmt.Errorf("sweep max %d is before its oldest %d", s.Max, s.Oldest)
		case s.Low != 0 && (s.Low < s.Oldest || s.Low > s.Latest):
			return Cursor{}, fmt.Errorf("sweep low %d is outside [%d, %d]", s.Low, s.Oldest, s.Latest)
		case len(s.MaxIDs) > MaxEdgeIDs:
			return Cursor{}, fmt.Errorf("sweep max_ids holds %d IDs, more than the %d a cursor keeps", len(s.MaxIDs), MaxEdgeIDs)
		}
	}
	return c, nil
}

// entry is what the sweep needs of one record.
type entry struct {
	id   string
	date int64 // 0 when date_create is missing or not an integer
}

// observe folds one page's entries into the sweep: the newest second and
// its IDs, and the oldest second delivered.
func (s *Sweep) observe(es []entry) {
	for _, e := range es {
		if e.date < s.Oldest || e.date > s.Latest {
			// Outside what was asked: delivered, but it must not move
			// the mark past events not yet read.
			continue
		}
		switch {
		case e.date > s.Max:
			s.Max, s.MaxIDs = e.date, nil
			fallthrough
		case e.date == s.Max:
			if e.id != "" && len(s.MaxIDs) < MaxEdgeIDs && !slices.Contains(s.MaxIDs, e.id) {
				s.MaxIDs = append(s.MaxIDs, e.id)
			}
		}
		if s.Low == 0 || e.date < s.Low {
			s.Low = e.date
		}
	}
}

// finish ends the sweep: the mark moves to its newest second, keeping the
// IDs already delivered there.
func (c *Cursor) finish() {
	s := c.Sweep
	c.Sweep = nil
	switch {
	case s.Max == 0 || s.Max < c.HighWater:
		// Nothing new: the mark and its IDs stay.
	case s.Max == c.HighWater:
		for _, id := range s.MaxIDs {
			if len(c.EdgeIDs) < MaxEdgeIDs && !slices.Contains(c.EdgeIDs, id) {
				c.EdgeIDs = append(c.EdgeIDs, id)
			}
		}
	default:
		c.HighWater, c.EdgeIDs = s.Max, s.MaxIDs
	}
}

// isEdge reports whether a record of the sweep's first second was
// delivered by the previous sweep.
func (c *Cursor) isEdge(e entry) bool {
	return e.id != "" && e.date == c.HighWater && slices.Contains(c.EdgeIDs, e.id)
}

// utc formats Unix seconds for notes people read.
func utc(sec int64) string { return time.Unix(sec, 0).UTC().Format(time.RFC3339) }
