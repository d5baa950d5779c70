package state

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/wodlekit/wodlekit/runtime/internal/idwindow"
	"github.com/wodlekit/wodlekit/runtime/internal/race"
)

// pageIDs is the n IDs of page p, 26 bytes each as 1Password's.
func pageIDs(p, n int) []idwindow.ID {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%026d", p*n+i)
	}
	return hashAll(ids)
}

// TestEncodingAllocatesOnce: a module's encoding in a snapshot, and a page's
// journal record, are sized before anything is written, so that each is
// at most one allocation (none once the buffer is large enough). Grown
// through appendString, a 2,000-ID window's encoding took a dozen and left
// about twice its size as garbage, the first snapshot of every run.
func TestEncodingAllocatesOnce(t *testing.T) {
	if race.Enabled {
		t.Skip("the race detector changes what allocates; make test-go runs this without it")
	}
	s, _ := mustOpen(t, filepath.Join(t.TempDir(), "s.json"), Options{Vendor: "onepassword", Instance: "default", RecentMax: 2000})
	mustCommit(t, s, "m", `{"cursor":"abc"}`)
	m := s.modules["m"]
	for p := range 2 {
		s.applyLocked("m", m.cursor, pageIDs(p, 1000), fixed, false)
	}
	m.pend = newModule()
	m.pend.cursor = m.cursor
	for _, id := range pageIDs(2, 500) {
		m.pend.recent.Add(id, s.max)
	}
	half := make([]byte, 0, len(m.encode(nil))/2)
	for _, tc := range []struct {
		name  string
		reset func()
		want  float64
	}{
		{"from nothing", func() { m.encBuf = nil }, 1},
		{"from an encoding of half the window", func() { m.encBuf = half }, 1},
		{"into the last encoding's memory", func() {}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m.encBuf = m.encode(nil)
			allocs := testing.AllocsPerRun(10, func() {
				tc.reset()
				m.encBuf = m.encode(m.encBuf[:0])
			})
			if allocs != tc.want {
				t.Errorf("encoding a 2,000-ID window and a 500-ID pending part: %v allocations, want %v", allocs, tc.want)
			}
		})
	}

	page := pageIDs(3, 1000)
	allocs := testing.AllocsPerRun(10, func() {
		s.jbuf = nil
		s.appendRecordLocked("m", m.cursor, fixed, page)
	})
	if allocs != 1 {
		t.Errorf("a 1,000-ID journal record: %v allocations, want 1", allocs)
	}
}

// TestSizedEncodingsAreExact: the sizes computed beforehand do not change
// what is written, escaped IDs and cursors included (an escaped ID is
// longer than its size guessed, and the buffer then grows as before).
func TestSizedEncodingsAreExact(t *testing.T) {
	s, _ := mustOpen(t, filepath.Join(t.TempDir(), "s.json"), opts())
	ids := hashAll([]string{"plain", "quo\"te", "back\\slash", "caf\u00e9", "tab\there", "x"})
	s.applyLocked("m", []byte(`{"c":"\u00e9\"x"}`), ids, fixed, false)
	s.applyLocked("m", []byte(`"pending"`), ids[2:], fixed.Add(time.Second), true)
	m := s.modules["m"]
	const want = `{"cursor":{"c":"\u00e9\"x"},"updated_at":"2026-03-04T05:06:07Z","recent":["plain","quo\"te","back\\slash","café","tab\there","x"],` +
		`"pending":{"cursor":"pending","updated_at":"2026-03-04T05:06:08Z","recent":["back\\slash","café","tab\there","x"]}}`
	for _, buf := range [][]byte{nil, make([]byte, 0, 8), make([]byte, 0, 4096)} {
		if got := string(m.encode(buf)); got != want {
			t.Errorf("encoding into cap %d:\n got %s\nwant %s", cap(buf), got, want)
		}
	}
	s.jbuf = make([]byte, 0, 3)
	s.appendRecordLocked("m", m.cursor, fixed, ids)
	const wantRecord = `{"m":"m","c":{"c":"\u00e9\"x"},"t":"2026-03-04T05:06:07Z","ids":["plain","quo\"te","back\\slash","café","tab\there","x"]}` + "\n"
	if got := string(s.jbuf); got != wantRecord {
		t.Errorf("journal record:\n got %s\nwant %s", got, wantRecord)
	}
}

// TestSnapshotAllocatesNoCopy: a snapshot is written from the modules'
// encodings themselves, not from a copy of them in one buffer: the first
// snapshot of three full windows allocates their encodings and little
// more, and the file written is the one read back.
func TestSnapshotAllocatesNoCopy(t *testing.T) {
	if race.Enabled {
		t.Skip("the race detector changes what allocates; make test-go runs this without it")
	}
	path := fullState(t, 2000)
	s, _ := mustOpen(t, path, Options{Vendor: "onepassword", Instance: "default", RecentMax: 2000})
	s.wmu.Lock()
	s.mu.Lock()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	parts := s.snapshotLocked("j")
	runtime.ReadMemStats(&after)
	s.mu.Unlock()
	s.wmu.Unlock()
	// The encodings' memory (its size rounded up by the allocator), and
	// a few KB for the header and the list of parts.
	encoded := 0
	for _, m := range s.modules {
		encoded += cap(m.encBuf)
	}
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > uint64(encoded)+8<<10 {
		t.Errorf("a snapshot of %d bytes of encodings allocated %d bytes", encoded, allocated)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, ok := decodeFile(string(bytes.Join(parts, nil)))
	g, _ := decodeFile(string(want))
	if !ok || f.Journal != "j" || !reflect.DeepEqual(f.Modules, g.Modules) {
		t.Errorf("the snapshot's parts do not make the file: %v", ok)
	}
}
