// Package idwindow is the runtime's set of event IDs: a window of at most
// max IDs, the oldest evicted first. The state keeps one per module (its
// recent IDs, in the order the file keeps), and the runner one per module
// for the IDs of the page in hand.
package idwindow

import (
	"hash/maphash"
	"slices"
)

// Window holds at most max IDs, the oldest evicted first, in a ring indexed
// by an open-addressing table. Every ID of every page is looked up once (the
// state's Seen), added once (its Commit) and, in a full window, evicts one;
// with a Go map these hashed the string and compared it each time, and were
// about a tenth of a backlog's CPU. Here a
// slot holds the upper half of its ID's hash (its tag) beside the ID's
// place in the ring, so a probe compares strings only when the tags match,
// an eviction finds its slot by the tag kept in the ring without hashing
// the evicted ID, and the table grows without hashing anything.
type Window struct {
	ring []string
	// tags[i] is the tag of ring[i].
	tags []uint32
	// head is the oldest entry once the ring is full.
	head int
	// slots has a power-of-two length, at most 5/8 full so that a probe
	// soon ends at a free slot. A slot is tag<<32 | (ring index + 1), 0
	// when free; its home (where its probe starts) is tag & mask.
	slots []uint64
	seed  maphash.Seed
}

// ready makes the table of an empty window.
func (w *Window) ready() {
	if w.slots == nil {
		w.seed = maphash.MakeSeed()
		w.slots = make([]uint64, 16)
	}
}

func (w *Window) tag(id string) uint32 {
	w.ready()
	return uint32(maphash.String(w.seed, id) >> 32)
}

// Has reports whether id is in the window.
func (w *Window) Has(id string) bool {
	if len(w.ring) == 0 {
		return false
	}
	_, ok := w.find(id, w.tag(id))
	return ok
}

// Add puts id in the window unless it is there, evicting the oldest ID
// when the window holds max, and reports whether it added id; an empty id
// is never added.
func (w *Window) Add(id string, max int) bool {
	if id == "" || max <= 0 {
		return false
	}
	return w.addTagged(id, w.tag(id), max)
}

// Reset empties the window, keeping its memory for the next IDs.
func (w *Window) Reset() {
	if len(w.ring) > 0 {
		clear(w.slots)
	}
	w.ring, w.tags, w.head = w.ring[:0], w.tags[:0], 0
}

// find returns the slot holding id, or the free slot where it would go.
func (w *Window) find(id string, tag uint32) (int, bool) {
	mask := len(w.slots) - 1
	for i := int(tag) & mask; ; i = (i + 1) & mask {
		sl := w.slots[i]
		if sl == 0 {
			return i, false
		}
		if uint32(sl>>32) == tag && w.ring[uint32(sl)-1] == id {
			return i, true
		}
	}
}

// addTagged is add with id's tag computed; tests choose colliding tags.
func (w *Window) addTagged(id string, tag uint32, max int) bool {
	w.ready()
	slot, ok := w.find(id, tag)
	if ok {
		return false
	}
	at := w.head
	if len(w.ring) < max {
		at = len(w.ring)
		w.ring = append(w.ring, id)
		w.tags = append(w.tags, tag)
		if len(w.ring)*8 > len(w.slots)*5 {
			w.grow()
			return true
		}
	} else {
		w.remove(at)
		w.ring[at], w.tags[at] = id, tag
		w.head = (w.head + 1) % max
		// The removal may have shifted an entry into the free slot found.
		slot, _ = w.find(id, tag)
	}
	w.slots[slot] = uint64(tag)<<32 | uint64(at+1)
	return true
}

// remove frees the slot of ring entry at, shifting back the entries after
// it in its probe run that may sit earlier, so that no lookup stops at the
// freed slot short of an entry (deletion without tombstones).
func (w *Window) remove(at int) {
	mask := len(w.slots) - 1
	want := uint64(w.tags[at])<<32 | uint64(at+1)
	i := int(w.tags[at]) & mask
	for w.slots[i] != want {
		i = (i + 1) & mask
	}
	for j := i; ; {
		j = (j + 1) & mask
		next := w.slots[j]
		if next == 0 {
			break
		}
		home := int(next>>32) & mask
		// The entry at j may move to i only if its home is not in the
		// cyclic range (i, j]: its lookup starts at home and must still
		// pass through i.
		if i <= j && (home <= i || home > j) || i > j && home <= i && home > j {
			w.slots[i] = next
			i = j
		}
	}
	w.slots[i] = 0
}

// Grow makes room for n IDs at once. Filling a window whose size is known
// (the state's, read from its file) then allocates once instead of
// doubling the ring and rebuilding the table a dozen times: for three
// windows of 50,000 IDs that growth was most of loading the state.
func (w *Window) Grow(n int) {
	w.ready()
	if n <= len(w.ring) {
		return
	}
	w.ring = slices.Grow(w.ring, n-len(w.ring))
	w.tags = slices.Grow(w.tags, n-len(w.tags))
	size := len(w.slots)
	for n*8 > size*5 {
		size *= 2
	}
	if size > len(w.slots) {
		w.resize(size)
	}
}

// grow doubles the table.
func (w *Window) grow() { w.resize(2 * len(w.slots)) }

// resize makes the table size slots long (a power of two) and indexes the
// ring again, from the tags.
func (w *Window) resize(size int) {
	w.slots = make([]uint64, size)
	mask := len(w.slots) - 1
	for at, tag := range w.tags {
		i := int(tag) & mask
		for w.slots[i] != 0 {
			i = (i + 1) & mask
		}
		w.slots[i] = uint64(tag)<<32 | uint64(at+1)
	}
}

// InOrder returns the window oldest first, in two parts (the ring's).
func (w *Window) InOrder() (older, newer []string) {
	return w.ring[w.head:], w.ring[:w.head]
}

// IDs returns a copy of the window, oldest first.
func (w *Window) IDs() []string {
	older, newer := w.InOrder()
	return append(append(make([]string, 0, len(w.ring)), older...), newer...)
}
