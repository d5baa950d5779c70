// Package idwindow is the runtime's sets of event IDs: Window, a window of
// at most max IDs, the oldest evicted first, which the state keeps for each
// module (its recent IDs, in the order the file keeps); and Repeats, which
// the runner uses to find the IDs a page repeats.
//
// A page's IDs go through three of these operations each (the state's
// lookup, the page's repeats, the commit), and with a seed per set each
// hashed the ID again. Every set now hashes with one seed, made once per
// process, so an ID is hashed once (Of) and carries its hash, and an ID
// cannot be given another's: ID's fields are this package's. The seed stays
// random, so that a vendor's IDs cannot be chosen to collide.
//
// Measured on make bench's mix (300,000 events, three modules with
// 2,000-ID windows, perf at 10 kHz, nine runs of each build), these sets'
// functions took 10.2-11.9% of the wodle's CPU with a seed per set, a
// Window for the page's IDs and evictions that freed their slot at once,
// and 4.9-5.9% with this package; BenchmarkPage (a page's hashing, lookups
// and additions on a full window) 131-146 to 68-71 µs of CPU.
package idwindow

import (
	"hash/maphash"
	"runtime"
	"slices"
)

// seed hashes the IDs of every window of the process.
var seed = maphash.MakeSeed()

// ID is an event ID with its tag (the upper half of its hash), made by Of
// only, so that no window ever holds an ID under another ID's tag.
type ID struct {
	s   string
	tag uint32
}

// Of hashes id for the windows.
func Of(id string) ID {
	if id == "" {
		return ID{}
	}
	return ID{id, uint32(maphash.String(seed, id) >> 32)}
}

// String returns the ID.
func (k ID) String() string { return k.s }

// Window holds at most max IDs, the oldest evicted first, in a ring indexed
// by an open-addressing table (linear probing). Every ID of every page is
// looked up once (the state's Seen), added once (its Commit) and, in a full
// window, evicts one. A slot holds its ID's tag beside the ID's place in
// the ring, so a probe compares strings only when the tags match, and the
// table is rebuilt from the tags the ring keeps, without hashing anything.
//
// An eviction leaves the table alone: the evicted ID's slot goes stale,
// still pointing at its place in the ring, which the next ID takes. A
// lookup tells a stale slot from a live one by the string it points at
// (the ID that replaced the evicted one; when it is the ID looked up, that
// ID is in the window all the same). Stale slots count as used, and when
// 5/8 of the table is used it is rebuilt from the ring (rebuild), at a
// size that leaves room for at least half as many evictions as the window
// holds IDs until the next rebuild. Freeing the evicted slot at once
// (finding it, shifting back the entries after it, then probing again for
// the new ID's place) cost a cache miss for every ID on a table the page's
// decoding and encoding had pushed out of the cache; the rebuild works on
// a table in the cache, once every few thousand IDs. The price is memory:
// 64 KB of table for 2,000 IDs where 32 KB were enough.
//
// The table's invariants: at most 5/8 of its slots are used, so a probe
// soon ends at a free slot; every ring entry i has a slot holding
// tags[i]<<32 | i+1 with no free slot between its home (where its probe
// starts) and it, since slots are only ever filled until a rebuild
// empties them all; any other used slot is stale.
type Window struct {
	ring []string
	// tags[i] is the tag of ring[i].
	tags []uint32
	// head is the oldest entry once the ring is full.
	head int
	// slots has a power-of-two length. A slot is tag<<32 | (ring index +
	// 1), 0 when free; its home is tag & mask. used counts the slots that
	// are not free.
	slots []uint64
	used  int
}

// batch is how many IDs Mark takes at a time: it first reads the slot
// where each one's probe starts, then probes for each. The reads miss the
// cache (the table was last written by the previous commit, often on the
// other core, and the page's decoding came since), and as nothing waits for
// their values they are all in flight at once, where the probes would
// have waited for them one after the other. (The same for a commit's
// additions measured no better: each addition does more besides.)
const batch = 16

// touch reads the slots where the probes of ids start. Their sum is kept
// alive so that the compiler keeps the reads; it is not stored, as Mark
// runs under the state's read lock.
func (w *Window) touch(ids []ID) {
	mask := len(w.slots) - 1
	var t uint64
	for _, id := range ids {
		t += w.slots[int(id.tag)&mask]
	}
	runtime.KeepAlive(t)
}

// Mark sets in[i] when ids[i] is in the window, and leaves it otherwise.
func (w *Window) Mark(ids []ID, in []bool) {
	if len(w.ring) == 0 {
		return
	}
	in = in[:len(ids)]
	for lo := 0; lo < len(ids); lo += batch {
		hi := min(lo+batch, len(ids))
		w.touch(ids[lo:hi])
		for i := lo; i < hi; i++ {
			if !in[i] {
				_, in[i] = w.find(ids[i])
			}
		}
	}
}

// ready makes the table of an empty window.
func (w *Window) ready() {
	if w.slots == nil {
		w.slots = make([]uint64, 16)
	}
}

// Has reports whether id is in the window.
func (w *Window) Has(id ID) bool {
	if len(w.ring) == 0 {
		return false
	}
	_, ok := w.find(id)
	return ok
}

// Add puts id in the window unless it is there, evicting the oldest ID
// when the window holds max, and reports whether it added id; an empty id
// is never added.
func (w *Window) Add(id ID, max int) bool {
	if id.s == "" || max <= 0 {
		return false
	}
	w.ready()
	slot, ok := w.find(id)
	if ok {
		return false
	}
	at := w.head
	if len(w.ring) < max {
		at = len(w.ring)
		w.ring = append(w.ring, id.s)
		w.tags = append(w.tags, id.tag)
	} else {
		// The evicted ID's slot goes stale.
		w.ring[at], w.tags[at] = id.s, id.tag
		// (head+1) % max, without a division for every ID.
		if w.head++; w.head >= max {
			w.head %= max
		}
	}
	w.slots[slot] = uint64(id.tag)<<32 | uint64(at+1)
	if w.used++; w.used*8 > len(w.slots)*5 {
		w.rebuild()
	}
	return true
}

// find returns the slot holding id, or the free slot where it would go.
func (w *Window) find(id ID) (int, bool) {
	mask := len(w.slots) - 1
	for i := int(id.tag) & mask; ; i = (i + 1) & mask {
		sl := w.slots[i]
		if sl == 0 {
			return i, false
		}
		if uint32(sl>>32) == id.tag && w.ring[uint32(sl)-1] == id.s {
			return i, true
		}
	}
}

// rebuild indexes the ring again, dropping the stale slots, in a table
// with room for at least half as many more IDs as it holds before the
// next rebuild (a growing window doubles its table; a full one keeps its
// size once it has that room: 8,192 slots for 2,000 IDs, 16,384 for 5,000,
// 131,072 for 50,000).
func (w *Window) rebuild() {
	size := len(w.slots)
	for len(w.ring)*12 > size*5 {
		size *= 2
	}
	w.resize(size)
}

// Grow makes room for n IDs at once. Filling a window whose size is known
// (the state's, read from its file) then allocates once instead of
// doubling the ring and rebuilding the table a dozen times: for three
// windows of 50,000 IDs that growth was most of loading the state.
func (w *Window) Grow(n int) { w.grow(n, 8) }

// Reserve makes room for n more IDs in a window of at most limit, as a
// commit of a page's n IDs needs: a window they would fill to half of
// limit or more grows at once to limit, with the table a full window keeps (room
// for limit/2 evictions between rebuilds, as rebuild sizes it), and a smaller
// one to at least twice its size. A fresh window filled page by page
// doubled its ring and rebuilt its table a dozen times on its way to max,
// about 200 KB of garbage for a 2,000-ID window, in the first pages of a
// backlog.
func (w *Window) Reserve(n, limit int) {
	if n <= 0 || len(w.ring) >= limit {
		return
	}
	want := len(w.ring) + n
	if want > cap(w.ring) {
		want = max(want, 2*cap(w.ring))
	}
	if 2*want < limit {
		w.grow(want, 8)
		return
	}
	w.grow(limit, 12)
}

// grow makes room for n IDs, with a table where n IDs take at most 5/load
// of the slots (load 8: the most a table holds before a rebuild; 12: a
// rebuild's size, half of n again before the next).
func (w *Window) grow(n, load int) {
	w.ready()
	if n <= len(w.ring) {
		return
	}
	w.ring = slices.Grow(w.ring, n-len(w.ring))
	w.tags = slices.Grow(w.tags, n-len(w.tags))
	size := len(w.slots)
	for n*load > size*5 {
		size *= 2
	}
	// Stale slots are dropped if the n IDs would not fit beside them.
	if size > len(w.slots) || (w.used+n-len(w.ring))*8 > size*5 {
		w.resize(size)
	}
}

// resize makes the table size slots long (a power of two), or clears it
// when it is that long already, and indexes the ring again, from the
// tags.
func (w *Window) resize(size int) {
	if size == len(w.slots) {
		clear(w.slots)
	} else {
		w.slots = make([]uint64, size)
	}
	mask := size - 1
	for at, tag := range w.tags {
		i := int(tag) & mask
		for w.slots[i] != 0 {
			i = (i + 1) & mask
		}
		w.slots[i] = uint64(tag)<<32 | uint64(at+1)
	}
	w.used = len(w.tags)
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

// Repeats tells the IDs of a page that an earlier record of the page has:
// the runner's set of the page in hand. Unlike a Window it never evicts and
// is built for one page at a time, so it keeps no ring: a slot holds an
// ID's tag and its index in the page, and a page's IDs are all marked in
// one pass.
type Repeats struct {
	// slots is at most half full. A slot is tag<<32 | (index + 1), 0
	// when free; its home is tag & mask.
	slots []uint64
}

// Mark sets dup[i] when ids[i] is the ID of an earlier record of the page
// that is not marked already, and leaves it otherwise. The IDs already
// marked (held by the state's windows) are skipped: a repeat of one of them
// is marked already too. Empty IDs are never marked.
func (r *Repeats) Mark(ids []ID, dup []bool) {
	size := 16
	for size < 2*len(ids) {
		size *= 2
	}
	if cap(r.slots) < size {
		r.slots = make([]uint64, size)
	} else {
		r.slots = r.slots[:size]
		clear(r.slots)
	}
	mask := size - 1
	dup = dup[:len(ids)]
	for i, id := range ids {
		if dup[i] || id.s == "" {
			continue
		}
		for j := int(id.tag) & mask; ; j = (j + 1) & mask {
			sl := r.slots[j]
			if sl == 0 {
				r.slots[j] = uint64(id.tag)<<32 | uint64(i+1)
				break
			}
			if uint32(sl>>32) == id.tag && ids[uint32(sl)-1].s == id.s {
				dup[i] = true
				break
			}
		}
	}
}
