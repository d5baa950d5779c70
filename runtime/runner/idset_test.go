package runner

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestIDSet compares the set with a map over pages of every size, in an
// order where a small page follows a large one and the reverse, with IDs
// repeated within a page and across pages.
func TestIDSet(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	s := newIDSet()
	for page, n := range []int{0, 1, 7, 8, 9, 1000, 3, 2500, 17, 1000, 0, 64} {
		s.reset(n)
		want := map[string]bool{}
		for i := range n {
			// Few distinct IDs in some pages (many repeats), all distinct
			// in others; some shared with other pages.
			id := fmt.Sprintf("id-%d", rng.IntN(max(1, n*(page%3))+1))
			if page%4 == 0 {
				id = fmt.Sprintf("p%d-%d", page, i)
			}
			if got := s.add(id); got != !want[id] {
				t.Fatalf("page %d (%d IDs), ID %d %q: add = %v, want %v", page, n, i, id, got, !want[id])
			}
			want[id] = true
		}
		if s.used != len(want) {
			t.Fatalf("page %d: %d IDs in the set, want %d", page, s.used, len(want))
		}
	}
}
