package state

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// powerCut is what a directory could hold after a power cut at one moment:
// its entries as they were then, with every file whose bytes had not been
// synced by that moment read back empty (as delayed allocation leaves a
// file renamed into place but never flushed).
type powerCut struct {
	files  map[string]string
	synced map[string]bool
	done   int // the last commit that had returned
	floor  int // the cursor of the last synced write that had returned
}

func (p powerCut) replay(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, b := range p.files {
		if !p.synced[b] {
			b = ""
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// A power cut at any moment of a run, not only a kill, resumes from a state
// that is never ahead of delivery (at most the commit in flight) and never
// behind the last synced write: commits between syncs may be lost, but never
// the previous copy the store falls back to.
func TestPowerCutResumesFromASyncedCopy(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.json")
	o, clock := clockedOpts()
	s, _ := mustOpen(t, path, o)

	synced := map[string]bool{}
	var lastWritten string
	done, floor, syncs := -1, -1, 0 // nothing committed yet
	var cuts []powerCut
	cut := func() {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		p := powerCut{files: map[string]string{}, synced: map[string]bool{}, done: done, floor: floor}
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			p.files[e.Name()] = string(b)
		}
		for k := range synced {
			p.synced[k] = true
		}
		cuts = append(cuts, p)
	}
	read := func(f *os.File) string {
		b, err := os.ReadFile(filepath.Join(dir, filepath.Base(f.Name())))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	s.hook = func(step string, f *os.File) error {
		switch step {
		case "written":
			lastWritten = read(f)
		case "synced":
			synced[lastWritten] = true
			syncs++
		case "current synced":
			synced[read(f)] = true
			syncs++
		}
		cut()
		return nil
	}
	commit := func(page int, sync bool) {
		before := syncs
		mustCommit(t, s, "m", fmt.Sprint(page), fmt.Sprint("id", page))
		done = page
		if syncs > before {
			floor = page
		}
		if (syncs > before) != sync {
			t.Fatalf("page %d at %v: synced %v, want %v", page, clock.Sub(fixed), syncs > before, sync)
		}
		cut()
	}

	mustCommit(t, s, "m", "0", "id0") // a first run, synced at its end
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	done, floor = 0, 0
	s2, _ := mustOpen(t, path, o) // the next run
	s2.hook, s = s.hook, s2
	cut()
	if err := s.Save(); err != nil { // as Begin does before any delivery
		t.Fatal(err)
	}
	syncsAtStart := syncs
	for page := 1; page <= 12; page++ {
		*clock = clock.Add(300 * time.Millisecond)
		commit(page, page%4 == 0) // a sync once durableEvery has passed
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	floor = done
	cut()
	if n := syncs - syncsAtStart; n != 3 {
		t.Errorf("%d fsyncs of a file for 12 pages in 3.6 s, want 3", n)
	}

	for i, p := range cuts {
		st, notices, err := Open(filepath.Join(p.replay(t), "s.json"), o)
		if err != nil {
			t.Fatalf("cut %d: %v", i, err)
		}
		for _, n := range notices {
			if !strings.Contains(n.Message, "resumed from the previous copy") {
				t.Fatalf("cut %d: %s", i, n.Message)
			}
		}
		cur := -1
		if c := st.Cursor("m"); c != nil {
			if err := json.Unmarshal(c, &cur); err != nil {
				t.Fatal(err)
			}
		}
		if cur < p.floor || cur > p.done+1 {
			t.Fatalf("cut %d: resumed at %d, want %d to %d (last synced, last committed + 1)", i, cur, p.floor, p.done+1)
		}
		for page := 0; page <= cur; page++ {
			if !st.Seen("m", fmt.Sprint("id", page)) {
				t.Fatalf("cut %d: cursor %d but id%d unknown", i, cur, page)
			}
		}
	}
}

// Which writes reach the disk itself: the first of a store (it may resume a
// file never synced), Save and Reset always, a commit only once durableEvery
// passed since the last synced write, and Sync only when something is not
// synced yet.
func TestWhichWritesAreSynced(t *testing.T) {
	type op struct {
		after time.Duration
		do    string // commit, save, sync, reset
		want  int    // fsyncs of a file it makes
	}
	for _, tc := range []struct {
		name string
		ops  []op
	}{
		{"commits within a second share one sync", []op{
			{0, "commit", 1}, {100 * time.Millisecond, "commit", 0}, {800 * time.Millisecond, "commit", 0},
			{200 * time.Millisecond, "commit", 1},
		}},
		{"save syncs even right after a commit", []op{
			{0, "commit", 1}, {0, "save", 1}, {0, "save", 1},
		}},
		{"sync after an unsynced commit syncs the file in place", []op{
			{0, "commit", 1}, {time.Millisecond, "commit", 0}, {0, "sync", 1}, {0, "sync", 0},
		}},
		{"sync with nothing new does nothing", []op{
			{0, "save", 1}, {0, "sync", 0},
		}},
		{"reset syncs", []op{
			{0, "commit", 1}, {time.Millisecond, "commit", 0}, {0, "reset", 1},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, clock := clockedOpts()
			s, _ := mustOpen(t, filepath.Join(t.TempDir(), "s.json"), o)
			syncs := 0
			s.hook = func(step string, _ *os.File) error {
				if step == "synced" || step == "current synced" {
					syncs++
				}
				return nil
			}
			for i, o := range tc.ops {
				*clock = clock.Add(o.after)
				before := syncs
				var err error
				switch o.do {
				case "commit":
					err = s.Commit("m", json.RawMessage(fmt.Sprint(i)), hashAll([]string{fmt.Sprint("id", i)}))
				case "save":
					err = s.Save()
				case "sync":
					err = s.Sync()
				case "reset":
					err = s.Reset("m")
				}
				if err != nil {
					t.Fatal(err)
				}
				if got := syncs - before; got != o.want {
					t.Fatalf("op %d (%s after %v): %d fsyncs, want %d", i, o.do, o.after, got, o.want)
				}
			}
		})
	}
}
