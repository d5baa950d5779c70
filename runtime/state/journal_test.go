package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// clockedOpts are opts with a clock the test moves, starting at fixed.
func clockedOpts() (Options, *time.Time) {
	clock := fixed
	o := opts()
	o.Now = func() time.Time { return clock }
	return o, &clock
}

// clocked opens a store at dir/s.json whose clock the test moves.
func clocked(t *testing.T, dir string) (*Store, *time.Time) {
	t.Helper()
	o, clock := clockedOpts()
	s, _ := mustOpen(t, filepath.Join(dir, "s.json"), o)
	return s, clock
}

func cursorOf(t *testing.T, s *Store, module string) string {
	t.Helper()
	return string(s.Cursor(module))
}

// The point of the journal: between two syncs a page's commit appends its
// own record and leaves the snapshot, which holds every module's window,
// alone. 200 pages of 100 IDs in a second write the snapshot once (the
// first write) and grow the journal by about their records only.
func TestPagesBetweenSyncsOnlyAppend(t *testing.T) {
	dir := t.TempDir()
	s, clock := clocked(t, dir)
	counts := map[string]int{}
	s.hook = func(step string, _ *os.File) error { counts[step]++; return nil }
	records := 0
	for page := range 200 {
		*clock = clock.Add(4 * time.Millisecond)
		ids := make([]string, 100)
		for i := range ids {
			ids[i] = fmt.Sprintf("evt-%06d-%03d", page, i)
			records += len(ids[i]) + 3
		}
		mustCommit(t, s, fmt.Sprint("m", page%3), fmt.Sprint(page), ids...)
	}
	if counts["written"] != 1 || counts["journal"] != 199 {
		t.Fatalf("steps %v: want the snapshot written once and 199 appends", counts)
	}
	fi, err := os.Stat(filepath.Join(dir, "s.json"+journalSuffix))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() < int64(records*199/200) || fi.Size() > int64(records+200*80) {
		t.Fatalf("journal of %d bytes for %d bytes of IDs", fi.Size(), records)
	}
	s2, n := mustOpen(t, filepath.Join(dir, "s.json"), opts())
	if len(n) != 0 || cursorOf(t, s2, "m1") != "199" || cursorOf(t, s2, "m0") != "198" || !s2.Seen("m1", "evt-000199-099") {
		t.Fatalf("reopened: notices %v, cursors %s %s", n, s2.Cursor("m0"), s2.Cursor("m1"))
	}
}

// A journal is applied only to the snapshot it names: one left by a crash
// between a compaction and the journal's restart, restored from a backup,
// or kept by an older release (which knows no journal) would otherwise
// move cursors back.
func TestJournalOfAnotherSnapshotIsIgnored(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mangle func(snapshot []byte) []byte
	}{
		{"a newer snapshot", func(b []byte) []byte { return b }},
		{"a snapshot of an older release", func(b []byte) []byte {
			var f map[string]any
			if err := json.Unmarshal(b, &f); err != nil {
				panic(err)
			}
			delete(f, "journal")
			out, _ := json.Marshal(f)
			return out
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "s.json")
			s, clock := clocked(t, dir)
			mustCommit(t, s, "m", "1", "a")
			mustCommit(t, s, "m", "2", "b") // journal
			old, err := os.ReadFile(path + journalSuffix)
			if err != nil || !bytes.Contains(old, []byte(`"c":2`)) {
				t.Fatalf("journal %q %v", old, err)
			}
			*clock = clock.Add(durableEvery)
			mustCommit(t, s, "m", "3", "c")
			mustCommit(t, s, "m", "5", "d")
			if err := s.Sync(); err != nil {
				t.Fatal(err)
			}
			snap, _ := os.ReadFile(path)
			if err := os.WriteFile(path, tc.mangle(snap), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path+journalSuffix, old, 0o600); err != nil {
				t.Fatal(err)
			}
			s2, n := mustOpen(t, path, opts())
			if c := cursorOf(t, s2, "m"); c != "5" || len(n) != 0 {
				t.Fatalf("cursor %s (notices %v), want 5: the journal of the first snapshot was applied to the last", c, n)
			}
		})
	}
}

// A journal line that is whole but not a record (a power cut's zeroed
// block, a hand edit) stops the replay there, with a warning: the records
// before it are applied, the pages after it are collected again.
func TestDamagedJournalResumesBeforeTheDamage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.json")
	s, _ := clocked(t, dir)
	for page := 1; page <= 4; page++ {
		mustCommit(t, s, "m", fmt.Sprint(page), fmt.Sprint("id", page))
	}
	j, _ := os.ReadFile(path + journalSuffix)
	lines := strings.SplitAfter(string(j), "\n") // header, 2, 3, 4, ""
	if len(lines) != 5 {
		t.Fatalf("journal %q", j)
	}
	for _, tc := range []struct{ name, bad string }{
		{"zeroes", strings.Repeat("\x00", 20) + "\n"},
		{"not JSON", "{\"m\":\"m\",\"c\":3,\n"},
		{"no module", `{"c":3,"t":"2026-03-04T05:06:07Z","ids":[]}` + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			damaged := lines[0] + lines[1] + tc.bad + lines[3]
			if err := os.WriteFile(path+journalSuffix, []byte(damaged), 0o600); err != nil {
				t.Fatal(err)
			}
			s2, n := mustOpen(t, path, opts())
			if c := cursorOf(t, s2, "m"); c != "2" || !s2.Seen("m", "id2") || s2.Seen("m", "id4") {
				t.Fatalf("cursor %s, want 2 (the record before the damage)", c)
			}
			if len(n) != 1 || n[0].Level != "warning" || !strings.Contains(n[0].Message, "damaged at record 2") {
				t.Fatalf("notices %v", n)
			}
		})
	}
}

// The journal never grows past journalMax: a commit that would cross it
// writes a snapshot instead, within the second.
func TestJournalIsBounded(t *testing.T) {
	dir := t.TempDir()
	s, _ := clocked(t, dir)
	written := 0
	s.hook = func(step string, _ *os.File) error {
		if step == "written" {
			written++
		}
		return nil
	}
	ids := make([]string, 1000)
	for page := range 30 {
		for i := range ids {
			ids[i] = fmt.Sprintf("%0500d", page*len(ids)+i) // 500 KB a page
		}
		mustCommit(t, s, "m", fmt.Sprint(page), ids...)
		fi, err := os.Stat(filepath.Join(dir, "s.json"+journalSuffix))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() > journalMax {
			t.Fatalf("page %d: journal of %d bytes, over %d", page, fi.Size(), journalMax)
		}
	}
	if written < 2 {
		t.Fatalf("%d snapshots for 15 MB of records", written)
	}
}

// FuzzJournal: whatever the journal holds, Open loads the snapshot it
// belongs to without failing, and every cursor it ends with is the
// snapshot's or one a whole line of the journal gave.
func FuzzJournal(f *testing.F) {
	dir := f.TempDir()
	path := filepath.Join(dir, "s.json")
	s, _ := mustOpen(f, path, opts())
	mustCommit(f, s, "m", `{"after":"x"}`, "a")
	mustCommit(f, s, "m", `{"after":"y"}`, "b")
	mustCommit(f, s, "n", `"z"`, "c")
	snapshot, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	journal, err := os.ReadFile(path + journalSuffix)
	if err != nil {
		f.Fatal(err)
	}
	header, _, _ := bytes.Cut(journal, []byte("\n"))
	f.Add(journal)
	f.Add(journal[:len(journal)-3])
	f.Add(append(bytes.Clone(journal), `{"m":"m","c":{"after":`...))
	f.Add(append(append(bytes.Clone(header), '\n'), "{\"m\":\"\\u00e9\",\"c\":null,\"t\":\"2026-01-01T00:00:00Z\",\"ids\":[\"\\\"\"]}\n"...))
	f.Add([]byte("{}\n{}\n"))
	f.Fuzz(func(t *testing.T, j []byte) {
		dir := t.TempDir()
		p := filepath.Join(dir, "s.json")
		if err := os.WriteFile(p, snapshot, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p+journalSuffix, j, 0o600); err != nil {
			t.Fatal(err)
		}
		st, _, err := Open(p, opts())
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer st.Close()
		allowed := map[string]bool{`{"after":"x"}`: true, `{"after":"y"}`: true, `"z"`: true, "": true}
		for _, line := range bytes.Split(j, []byte("\n")) {
			var r journalRecord
			if json.Unmarshal(line, &r) == nil {
				allowed[string(cleanCursor(r.Cursor))] = true
			}
		}
		for name := range st.Snapshot().Modules {
			if c := string(st.Cursor(name)); !allowed[c] {
				t.Fatalf("module %q resumed at %q, which no record gave", name, c)
			}
		}
		// And what it loaded encodes to a file that loads back the same
		// (encoded only: a write would fsync at every input).
		st.mu.Lock()
		data := bytes.Join(st.snapshotLocked("next"), nil)
		st.mu.Unlock()
		var back File
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatalf("snapshot after the replay is not JSON: %v\n%s", err, data)
		}
		for name, ms := range st.Snapshot().Modules {
			if got := back.Modules[name]; string(cleanCursor(got.Cursor)) != string(ms.Cursor) || len(got.Recent) != len(ms.Recent) {
				t.Fatalf("module %q encodes as %+v, holds %+v", name, got, ms)
			}
		}
	})
}

// plain agrees with a byte-at-a-time reference for every byte at every
// position of strings around the word size, so no ID that needs escapes
// is copied raw into the file.
func TestPlainAgreesWithTheReference(t *testing.T) {
	ref := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x20 || c > 0x7e && c != 0x7f || c == '"' || c == '\\' {
				return false
			}
		}
		return true
	}
	for n := 1; n <= 24; n++ {
		for pos := range n {
			b := []byte(strings.Repeat("a", n))
			for c := range 256 {
				b[pos] = byte(c)
				if s := string(b); plain(s) != ref(s) {
					t.Fatalf("plain(%q) = %v", s, plain(s))
				}
			}
		}
	}
}

// FuzzAppendString: what appendString writes is a JSON string that decodes
// to its input (invalid UTF-8 aside, which encoding/json replaces).
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "evt-0001", "a\"b", "tab\there", "caf\u00e9", "0123456789abcdef\\", "\x7f\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := appendString(nil, s)
		var back string
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("appendString(%q) = %s: %v", s, b, err)
		}
		if utf8.ValidString(s) && back != s {
			t.Fatalf("appendString(%q) decodes to %q", s, back)
		}
	})
}
