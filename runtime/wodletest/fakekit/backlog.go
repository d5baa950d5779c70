package fakekit

import (
	"slices"
	"strings"
	"time"
)

// Entry is one record of a backlog.
type Entry struct {
	// At is the record's place in the API's order (its event or filing
	// time).
	At time.Time
	// Key orders records with the same At (an ID, or "" for arrival order).
	Key string
	// Raw is the record as the API serves it.
	Raw []byte
	// Visible is when the API starts serving the record (late indexing);
	// zero means at once.
	Visible time.Time
}

// VisibleAt reports whether the API serves the entry at now.
func (e Entry) VisibleAt(now time.Time) bool { return e.Visible.IsZero() || !e.Visible.After(now) }

// Backlog is one module's records in (At, Key) order; records with equal
// At and Key keep their arrival order. Not safe for concurrent use: the
// fake's lock guards it.
type Backlog struct {
	entries []Entry
}

func cmpEntry(a, b Entry) int {
	if c := a.At.Compare(b.At); c != 0 {
		return c
	}
	return strings.Compare(a.Key, b.Key)
}

// Add files a record in order and returns its index. The backlog keeps
// e.Raw: the caller must not modify it afterwards (clone test input).
func (b *Backlog) Add(e Entry) int {
	n := len(b.entries)
	if n == 0 || cmpEntry(b.entries[n-1], e) <= 0 {
		b.entries = append(b.entries, e)
		return n
	}
	// After every entry that sorts before or equal to e.
	i, _ := slices.BinarySearchFunc(b.entries, e, func(x, t Entry) int {
		if cmpEntry(x, t) <= 0 {
			return -1
		}
		return 1
	})
	b.entries = slices.Insert(b.entries, i, e)
	return i
}

// Len is the number of records.
func (b *Backlog) Len() int { return len(b.entries) }

// Entry returns the i-th record; its Raw must not be modified.
func (b *Backlog) Entry(i int) Entry { return b.entries[i] }

// Entries returns the records from index i to j (a view, not a copy).
func (b *Backlog) Entries(i, j int) []Entry { return b.entries[i:j] }

// Last is the At of the newest record, or the zero time when empty.
func (b *Backlog) Last() time.Time {
	if len(b.entries) == 0 {
		return time.Time{}
	}
	return b.entries[len(b.entries)-1].At
}

// Search returns the index of the first record at or after t.
func (b *Backlog) Search(t time.Time) int {
	i, _ := slices.BinarySearchFunc(b.entries, t, func(x Entry, t time.Time) int {
		if x.At.Before(t) {
			return -1
		}
		return 1
	})
	return i
}

// Window returns the records with from <= At < to that are visible at
// now, in order (a new slice; the Raw bytes are shared).
func (b *Backlog) Window(from, to, now time.Time) []Entry {
	var out []Entry
	for _, e := range b.entries[b.Search(from):] {
		if !e.At.Before(to) {
			break
		}
		if e.VisibleAt(now) {
			out = append(out, e)
		}
	}
	return out
}
