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
// order, every one found, and no other of the alphabet.
func checkWindow(t *testing.T, w *Window, ref *refWindow, alphabet []string, step int) {
	t.Helper()
	if got := w.IDs(); !slices.Equal(got, ref.fifo) && !(len(got) == 0 && len(ref.fifo) == 0) {
		t.Fatalf("step %d: window %v, want %v", step, got, ref.fifo)
	}
	for _, id := range alphabet {
		if w.Has(id) != ref.set[id] {
			t.Fatalf("step %d: has(%q) = %v, want %v (window %v)", step, id, w.Has(id), ref.set[id], w.IDs())
		}
	}
}

// The window holds exactly the last max distinct IDs, in order, through
// growth, wrap-around and evictions, including when whole tags collide
// (tagged: three tags for all IDs, so every probe run is long and every
// eviction shifts entries back) and when only the homes do.
func TestWindowAgreesWithAReference(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tagged bool
	}{{"hashed", false}, {"three tags", true}} {
		for _, max := range []int{1, 2, 5, 9, 10, 11, 37, 300} {
			if tc.tagged && max > 40 {
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
					if tc.tagged {
						if !w.Has(id) {
							w.addTagged(id, uint32(len(id)+int(id[len(id)-1]))%3<<8, max)
						}
					} else {
						w.Add(id, max)
						// Making room at any time changes nothing held.
						if rng.IntN(10) == 0 {
							w.Grow(rng.IntN(2*max + 1))
						}
					}
					ref.add(id, max)
					if !tc.tagged {
						checkWindow(t, &w, ref, alphabet, step)
						continue
					}
					// has() hashes; with chosen tags, look up by them.
					for _, a := range alphabet {
						_, ok := w.find(a, uint32(len(a)+int(a[len(a)-1]))%3<<8)
						if ok != ref.set[a] {
							t.Fatalf("step %d: find(%q) = %v, want %v", step, a, ok, ref.set[a])
						}
					}
					if !slices.Equal(w.IDs(), ref.fifo) {
						t.Fatalf("step %d: window %v, want %v", step, w.IDs(), ref.fifo)
					}
				}
			})
		}
	}
}

// FuzzWindow drives a small window with IDs and a max from the input.
func FuzzWindow(f *testing.F) {
	f.Add([]byte("abcabcddeeffgabc"), uint8(3))
	f.Add([]byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b"), uint8(4))
	f.Fuzz(func(t *testing.T, ops []byte, max uint8) {
		m := int(max%40) + 1
		var w Window
		ref := &refWindow{set: map[string]bool{}}
		alphabet := make([]string, 64)
		for i := range alphabet {
			alphabet[i] = fmt.Sprint("id", i)
		}
		for step, op := range ops {
			id := alphabet[op%64]
			w.Add(id, m)
			ref.add(id, m)
			checkWindow(t, &w, ref, alphabet, step)
		}
	})
}

// BenchmarkPage is a page's window work on a full 2,000-ID window:
// 1,000 new IDs looked up (Seen), then added (Commit), each evicting one.
// The IDs come round every 8 pages, long after they left the window.
func BenchmarkPage(b *testing.B) {
	const max, size = 2000, 1000
	ids := make([]string, 8*size)
	for i := range ids {
		ids[i] = fmt.Sprintf("%026d", i)
	}
	var w Window
	for _, id := range ids[:max] {
		w.Add(id, max)
	}
	page := max / size
	start := cpuclock.Now()
	for b.Loop() {
		p := ids[page%8*size:][:size]
		page++
		for _, id := range p {
			if w.Has(id) {
				b.Fatal("new ID seen")
			}
		}
		for _, id := range p {
			w.Add(id, max)
		}
	}
	cpuclock.Report(b, start)
}

// A window reset between pages of every size, each page's IDs added with
// the page's size as max, tells new IDs from repeats as a map does: the
// runner's use, with a small page after a large one and the reverse.
func TestResetBetweenPages(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var w Window
	for page, n := range []int{0, 1, 7, 8, 9, 1000, 3, 2500, 17, 1000, 0, 64} {
		w.Reset()
		want := map[string]bool{}
		for i := range n {
			// Few distinct IDs in some pages (many repeats), all distinct
			// in others; some shared with other pages.
			id := fmt.Sprintf("id-%d", rng.IntN(max(1, n*(page%3))+1))
			if page%4 == 0 {
				id = fmt.Sprintf("p%d-%d", page, i)
			}
			if got := w.Add(id, n); got != !want[id] {
				t.Fatalf("page %d (%d IDs), ID %d %q: Add = %v, want %v", page, n, i, id, got, !want[id])
			}
			want[id] = true
		}
		if len(w.IDs()) != len(want) {
			t.Fatalf("page %d: %d IDs in the window, want %d", page, len(w.IDs()), len(want))
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
			w.Add(fmt.Sprint("evt-", i), n)
		}
		if len(w.slots) != slots || cap(w.ring) != ring {
			t.Errorf("%d IDs: table %d -> %d slots, ring capacity %d -> %d", n, slots, len(w.slots), ring, cap(w.ring))
		}
		if len(w.ring) != n {
			t.Errorf("%d IDs: window holds %d", n, len(w.ring))
		}
	}
}
