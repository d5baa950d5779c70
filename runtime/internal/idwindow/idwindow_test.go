package idwindow

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/wodlekit/wodlekit/runtime/internal/cpuclock"
)

// refWindow is the window's reference: a map and a FIFO slice.
type refWindow struct {
	set  map[string]bool
	fifo []string
}

func (r *refWindow) add(id string, max int) {
	if id == "" || r.set[id] {
		return
	}
	r.set[id] = true
	r.fifo = append(r.fifo, id)
	if len(r.fifo) > max {
		delete(r.set, r.fifo[0])
		r.fifo = r.fifo[1:]
	}
}

// checkWindow compares w with the reference: the same IDs in the same
// order, every one found (its ID made by id), and no other of the alphabet;
// and checks the table's invariants.
func checkWindow(t *testing.T, w *Window, ref *refWindow, alphabet []string, id func(string) ID, step int) {
	t.Helper()
	if got := w.IDs(); !slices.Equal(got, ref.fifo) && !(len(got) == 0 && len(ref.fifo) == 0) {
		t.Fatalf("step %d: window %v, want %v", step, got, ref.fifo)
	}
	for _, a := range alphabet {
		if w.Has(id(a)) != ref.set[a] {
			t.Fatalf("step %d: has(%q) = %v, want %v (window %v)", step, a, w.Has(id(a)), ref.set[a], w.IDs())
		}
	}
	checkTable(t, w, step)
}

// checkTable checks the invariants of w's table: at most 5/8 of it used
// (used counting the slots that are not free), and for every ring entry a
// slot holding it with no free slot between its home and it.
func checkTable(t *testing.T, w *Window, step int) {
	t.Helper()
	if w.slots == nil {
		return
	}
	mask := len(w.slots) - 1
	used := 0
	for _, sl := range w.slots {
		if sl != 0 {
			used++
		}
	}
	if used != w.used || used*8 > len(w.slots)*5 || len(w.tags) != len(w.ring) {
		t.Fatalf("step %d: %d slots used of %d, counted %d; ring %d, tags %d", step, used, len(w.slots), w.used, len(w.ring), len(w.tags))
	}
	for at, tag := range w.tags {
		want := uint64(tag)<<32 | uint64(at+1)
		i := int(tag) & mask
		for w.slots[i] != want {
			if w.slots[i] == 0 {
				t.Fatalf("step %d: ring entry %d (%q) not found from its home %d: free slot %d", step, at, w.ring[at], int(tag)&mask, i)
			}
			i = (i + 1) & mask
		}
	}
}

// threeTags gives every ID one of three tags: whole tags collide, so every
// probe run is long and every eviction shifts entries back.
func threeTags(id string) ID { return ID{id, uint32(len(id)+int(id[len(id)-1])) % 3 << 8} }

// The window holds exactly the last max distinct IDs, in order, through
// growth, wrap-around and evictions, including when whole tags collide
// and when only the homes do.
func TestWindowAgreesWithAReference(t *testing.T) {
	for _, tc := range []struct {
		name string
		id   func(string) ID
	}{{"hashed", Of}, {"three tags", threeTags}} {
		for _, max := range []int{1, 2, 5, 9, 10, 11, 37, 300} {
			if tc.name != "hashed" && max > 40 {
				continue // every probe run is as long as the window
			}
			t.Run(fmt.Sprintf("%s max %d", tc.name, max), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(max), 7))
				alphabet := make([]string, 3*max+5)
				for i := range alphabet {
					alphabet[i] = fmt.Sprint("evt-", i)
				}
				var w Window
				ref := &refWindow{set: map[string]bool{}}
				for step := range 20 * len(alphabet) {
					id := alphabet[rng.IntN(len(alphabet))]
					w.Add(tc.id(id), max)
					ref.add(id, max)
					// Making room at any time changes nothing held.
					switch rng.IntN(20) {
					case 0:
						w.Grow(rng.IntN(2*max + 1))
					case 1:
						w.Reserve(rng.IntN(2*max+1), max)
					}
					checkWindow(t, &w, ref, alphabet, tc.id, step)
				}
			})
		}
	}
}

// FuzzWindow drives a small window with IDs, growth and a max from the
// input, the IDs hashed or given one of a few tags (tags > 0), so that
// whole tags and homes collide.
func FuzzWindow(f *testing.F) {
	f.Add([]byte("abcabcddeeffgabc"), uint8(3), uint8(0))
	f.Add([]byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b"), uint8(4), uint8(0))
	f.Add([]byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\xf5\x00\x04\x01\x05"), uint8(7), uint8(3))
	f.Add([]byte("\xf1\x00\x01\x02\xf2\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\xfd\x0c\x0d\x0e"), uint8(9), uint8(2))
	f.Fuzz(func(t *testing.T, ops []byte, max, tags uint8) {
		m := int(max%40) + 1
		id := Of
		if tags > 0 {
			// Few tags, their homes in the first slots of any table.
			n := uint32(tags%8) + 1
			id = func(s string) ID { return ID{s, uint32(len(s)+int(s[len(s)-1])) % n * (n + 1)} }
		}
		var w Window
		ref := &refWindow{set: map[string]bool{}}
		alphabet := make([]string, 64)
		for i := range alphabet {
			alphabet[i] = fmt.Sprint("id", i)
		}
		for step, op := range ops {
			switch {
			case op >= 0xf8:
				w.Grow(int(op&0x7) * 5)
			case op >= 0xf0:
				w.Reserve(int(op&0x7)*5, m)
			default:
				a := alphabet[op%64]
				w.Add(id(a), m)
				ref.add(a, m)
			}
			checkWindow(t, &w, ref, alphabet, id, step)
		}
	})
}

// BenchmarkPage is a page's work on a full 2,000-ID window, as the state
// and the runner do it: 1,000 new IDs hashed once, marked (SeenEach), then
// added (Commit), each evicting one. The IDs come round every 8 pages, long
// after they left the window.
func BenchmarkPage(b *testing.B) {
	const max, size = 2000, 1000
	ids := make([]string, 8*size)
	for i := range ids {
		ids[i] = fmt.Sprintf("%026d", i)
	}
	var w Window
	for _, id := range ids[:max] {
		w.Add(Of(id), max)
	}
	page := max / size
	hashed, in := make([]ID, size), make([]bool, size)
	start := cpuclock.Now()
	for b.Loop() {
		p := ids[page%8*size:][:size]
		page++
		for i, id := range p {
			hashed[i] = Of(id)
		}
		clear(in)
		w.Mark(hashed, in)
		for i, id := range hashed {
			if in[i] {
				b.Fatal("new ID seen")
			}
			w.Add(id, max)
		}
	}
	cpuclock.Report(b, start)
}

// BenchmarkRepeats is the runner's search of a 1,000-record page for
// repeated IDs, none found.
func BenchmarkRepeats(b *testing.B) {
	const size = 1000
	hashed := make([]ID, 8*size)
	for i := range hashed {
		hashed[i] = Of(fmt.Sprintf("%026d", i))
	}
	var r Repeats
	dup := make([]bool, size)
	page := 0
	start := cpuclock.Now()
	for b.Loop() {
		clear(dup)
		r.Mark(hashed[page%8*size:][:size], dup)
		page++
	}
	cpuclock.Report(b, start)
	if slices.Contains(dup, true) {
		b.Fatal("a new ID marked")
	}
}

// Repeats marks, page after page of every size, exactly the IDs of an
// earlier record of the page that was not marked before (the state's), as
// a map does: with hashed IDs and with three tags for all (every probe
// run long, the strings telling IDs apart), few distinct IDs in some pages
// and all distinct in others, empty IDs, a small page after a large one and
// the reverse.
func TestRepeatsAgreeWithAMap(t *testing.T) {
	for _, tc := range []struct {
		name string
		id   func(string) ID
	}{{"hashed", Of}, {"three tags", threeTags}} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			var r Repeats
			for page, n := range []int{0, 1, 7, 8, 9, 1000, 3, 2500, 17, 1000, 0, 64, 300} {
				ids, dup, want := make([]ID, n), make([]bool, n), make([]bool, n)
				seen := map[string]bool{}
				for i := range n {
					s := fmt.Sprintf("id-%d", rng.IntN(max(1, n*(page%3))+1))
					if page%4 == 0 {
						s = fmt.Sprintf("p%d-%d", page, i)
					}
					if rng.IntN(20) == 0 {
						s = ""
					}
					if s != "" {
						ids[i] = tc.id(s)
					}
					// Some marked before, as the state's window does.
					dup[i] = rng.IntN(10) == 0
					want[i] = dup[i] || s != "" && seen[s]
					if !dup[i] && s != "" {
						seen[s] = true
					}
				}
				r.Mark(ids, dup)
				for i := range n {
					if dup[i] != want[i] {
						t.Fatalf("page %d (%d IDs), ID %d %q: marked %v, want %v", page, n, i, ids[i].s, dup[i], want[i])
					}
				}
			}
		})
	}
}

// Mark answers as Has does, ID for ID, and leaves marked what was marked.
func TestMarkIsHas(t *testing.T) {
	for _, id := range []func(string) ID{Of, threeTags} {
		var w Window
		all := make([]ID, 300)
		for i := range all {
			all[i] = id(fmt.Sprint("evt-", i))
		}
		in := make([]bool, len(all))
		w.Mark(all, in) // an empty window
		if slices.Contains(in, true) {
			t.Fatal("an empty window marked an ID")
		}
		for _, k := range all[:200] {
			w.Add(k, 37)
		}
		in[0], in[299] = true, true
		w.Mark(all, in)
		for i, k := range all {
			if want := w.Has(k) || i == 0 || i == 299; in[i] != want {
				t.Errorf("ID %d %q: marked %v, want %v", i, k.s, in[i], want)
			}
		}
	}
}

// IDs are hashed alike by every window of the process: an ID added to one
// is found in another through an ID made separately from the same string.
func TestOneHashForAllWindows(t *testing.T) {
	var a, b Window
	a.Add(Of("evt-1"), 10)
	b.Add(Of(string([]byte("evt-1"))), 10)
	if !a.Has(Of("evt-1")) || !b.Has(Of("evt-1")) || Of("evt-1") != Of(string([]byte("evt-1"))) {
		t.Error("one ID hashed two ways")
	}
	if (Of("") != ID{}) || a.Add(Of(""), 10) {
		t.Error("the empty ID was hashed or added")
	}
}

// A fresh window filled page by page, each page's room reserved before
// its IDs are added (the state's commits), grows its ring and its table
// at most twice on its way to max, and never again once full, however
// many pages evict (the table of a full window keeps room for max/2
// evictions between rebuilds, which reuse it).
func TestReserveGrowsOnceToTheFullWindow(t *testing.T) {
	for _, tc := range []struct{ max, page, growths int }{
		{2000, 1000, 1}, {2000, 100, 5}, {5000, 1000, 3}, {10, 3, 2}, {1, 1, 1}, {50_000, 1000, 6},
	} {
		var w Window
		rings, tables := map[int]bool{}, map[int]bool{}
		for p := range 3 * tc.max / tc.page {
			w.Reserve(tc.page, tc.max)
			ring, table := cap(w.ring), len(w.slots)
			for i := range tc.page {
				w.Add(Of(fmt.Sprint("evt-", p*tc.page+i)), tc.max)
			}
			if cap(w.ring) != ring || len(w.slots) != table {
				t.Fatalf("max %d, page %d of %d: adding the page after Reserve grew the ring %d -> %d, the table %d -> %d",
					tc.max, p, tc.page, ring, cap(w.ring), table, len(w.slots))
			}
			rings[ring], tables[table] = true, true
		}
		if len(rings) > tc.growths || len(tables) > tc.growths {
			t.Errorf("max %d, pages of %d: %d ring sizes and %d table sizes, want at most %d", tc.max, tc.page, len(rings), len(tables), tc.growths)
		}
		if len(w.ring) != tc.max {
			t.Errorf("max %d: window holds %d", tc.max, len(w.ring))
		}
	}
}

// A window grown for n IDs takes them without growing again: the state
// fills its windows this way when it loads its file.
func TestGrowMakesRoomOnce(t *testing.T) {
	for _, n := range []int{1, 10, 11, 1000, 50_000} {
		var w Window
		w.Grow(n)
		slots, ring := len(w.slots), cap(w.ring)
		for i := range n {
			w.Add(Of(fmt.Sprint("evt-", i)), n)
		}
		if len(w.slots) != slots || cap(w.ring) != ring {
			t.Errorf("%d IDs: table %d -> %d slots, ring capacity %d -> %d", n, slots, len(w.slots), ring, cap(w.ring))
		}
		if len(w.ring) != n {
			t.Errorf("%d IDs: window holds %d", n, len(w.ring))
		}
	}
}
