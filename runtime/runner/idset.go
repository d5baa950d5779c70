package runner

import "hash/maphash"

// idSet is the set of the IDs delivered from one page, reused from page
// to page. A Go map cost a lookup and then an insert, two hashes of every
// ID, and about a third of the runner's own time on a page; this open
// addressing table hashes each ID once, and is emptied by clearing a few
// kilobytes.
type idSet struct {
	seed  maphash.Seed
	slots []idSlot
	// used counts the IDs added since reset.
	used int
}

// idSlot is one place of the table; an empty id marks a free one (IDs
// are never empty: "" disables de-duplication).
type idSlot struct {
	hash uint64
	id   string
}

func newIDSet() *idSet { return &idSet{seed: maphash.MakeSeed()} }

// reset empties the set for a page of at most n IDs. The table keeps at
// least twice as many places as IDs, so a probe stays short and always
// ends at a free place.
func (s *idSet) reset(n int) {
	size := 16
	for size < 2*n {
		size *= 2
	}
	// Places past len are always free: only the last page's are cleared,
	// so one large page in a run of small ones costs no clearing after.
	if s.used > 0 {
		clear(s.slots)
	}
	s.used = 0
	if cap(s.slots) < size {
		s.slots = make([]idSlot, size)
		return
	}
	s.slots = s.slots[:size]
}

// add adds id, which must not be empty, and reports whether it was new.
// At most the n of the last reset may be added.
func (s *idSet) add(id string) bool {
	h := maphash.String(s.seed, id)
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		sl := &s.slots[i]
		if sl.id == "" {
			sl.hash, sl.id = h, id
			s.used++
			return true
		}
		if sl.hash == h && sl.id == id {
			return false
		}
	}
}
