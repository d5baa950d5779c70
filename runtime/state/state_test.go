package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wodlekit/wodlekit/runtime/internal/idwindow"
)

var fixed = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func opts() Options {
	return Options{Vendor: "onepassword", Instance: "default", Now: func() time.Time { return fixed }}
}

func mustOpen(t testing.TB, path string, o Options) (*Store, []Notice) {
	t.Helper()
	s, n, err := Open(path, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, n
}

func mustCommit(t testing.TB, s *Store, module, cursor string, ids ...string) {
	t.Helper()
	var c json.RawMessage
	if cursor != "" {
		c = json.RawMessage(cursor)
	}
	if err := s.Commit(module, c, hashAll(ids)); err != nil {
		t.Fatal(err)
	}
}

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "dir", "onepassword.json")
	s, n := mustOpen(t, path, opts())
	if len(n) != 0 || s.Cursor("auditevents") != nil || s.Seen("auditevents", "x") {
		t.Fatalf("fresh store not empty: %v", n)
	}
	if fi, err := os.Stat(filepath.Dir(path)); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("parent dir: %v %v", fi.Mode(), err)
	}
	// Cursor bytes must survive exactly: whitespace, escapes, HTML characters, unicode.
	cursor := `{ "cursor": "a<b>&c\u00e9", "n": 1.50 ,"x":[1, 2]}`
	mustCommit(t, s, "auditevents", cursor, "id1", "id2")
	mustCommit(t, s, "itemusages", `"opaque-token"`, "u1")
	mustCommit(t, s, "signin", "", "s1")

	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file mode %v %v", fi.Mode(), err)
	}
	raw, _ := os.ReadFile(path)
	var generic map[string]any
	if err := json.Unmarshal(raw, &generic); err != nil {
		t.Fatalf("file is not JSON: %v\n%s", err, raw)
	}
	if generic["version"] != float64(Version) || generic["vendor"] != "onepassword" || generic["instance"] != "default" || generic["updated_at"] != "2026-03-04T05:06:07Z" {
		t.Fatalf("header: %s", raw)
	}
	if !bytes.Contains(raw, []byte(cursor)) {
		t.Fatalf("cursor not stored verbatim:\n%s", raw)
	}

	s2, n := mustOpen(t, path, opts())
	if len(n) != 0 {
		t.Fatalf("notices on clean reopen: %v", n)
	}
	if got := string(s2.Cursor("auditevents")); got != cursor {
		t.Fatalf("cursor %s, want %s", got, cursor)
	}
	if got := string(s2.Cursor("itemusages")); got != `"opaque-token"` {
		t.Fatalf("cursor %s", got)
	}
	if s2.Cursor("signin") != nil {
		t.Fatal("nil cursor came back non-nil")
	}
	for _, c := range []struct{ m, id string }{{"auditevents", "id1"}, {"auditevents", "id2"}, {"itemusages", "u1"}, {"signin", "s1"}} {
		if !s2.Seen(c.m, c.id) {
			t.Errorf("Seen(%s,%s) false after reopen", c.m, c.id)
		}
	}
	if s2.Seen("itemusages", "id1") || s2.Seen("nope", "id1") {
		t.Error("ids leak between modules")
	}
	snap := s2.Snapshot()
	want := File{Version: Version, Vendor: "onepassword", Instance: "default", UpdatedAt: fixed}
	if snap.Version != want.Version || snap.Vendor != want.Vendor || snap.Instance != want.Instance || !snap.UpdatedAt.Equal(fixed) || len(snap.Modules) != 3 {
		t.Fatalf("snapshot %+v", snap)
	}
	if ms := snap.Modules["auditevents"]; !slices.Equal(ms.Recent, []string{"id1", "id2"}) || !ms.UpdatedAt.Equal(fixed) {
		t.Fatalf("module snapshot %+v", ms)
	}
	// Snapshot is a deep copy.
	snap.Modules["auditevents"].Cursor[0] = 'X'
	snap.Modules["auditevents"].Recent[0] = "changed"
	if string(s2.Cursor("auditevents")) != cursor || !s2.Seen("auditevents", "id1") {
		t.Fatal("snapshot aliases store")
	}
	c := s2.Cursor("auditevents")
	c[0] = 'X'
	if string(s2.Cursor("auditevents")) != cursor {
		t.Fatal("Cursor aliases store")
	}
}

func TestCommitValidation(t *testing.T) {
	s, _ := mustOpen(t, filepath.Join(t.TempDir(), "s.json"), opts())
	if err := s.Commit("m", json.RawMessage(`{"a":`), nil); err == nil {
		t.Error("invalid cursor accepted")
	}
	if err := s.Commit("", json.RawMessage(`1`), nil); err == nil {
		t.Error("empty module accepted")
	}
	if _, _, err := Open(filepath.Join(t.TempDir(), "s.json"), Options{Vendor: "v"}); err == nil {
		t.Error("missing instance accepted")
	}
	// The caller may reuse its buffer after Commit.
	buf := []byte(`"abc"`)
	if err := s.Commit("m", buf, hashAll([]string{"", "x"})); err != nil {
		t.Fatal(err)
	}
	copy(buf, `"zzz"`)
	if string(s.Cursor("m")) != `"abc"` {
		t.Error("Commit kept caller's buffer")
	}
	if s.Seen("m", "") {
		t.Error("empty id stored")
	}
}

func TestFIFOBound(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	o := opts()
	o.RecentMax = 3
	s, _ := mustOpen(t, path, o)
	mustCommit(t, s, "m", "1", "a", "b", "c")
	mustCommit(t, s, "m", "2", "b", "d") // b already present: no duplicate, a evicted
	if s.Seen("m", "a") || !s.Seen("m", "b") || !s.Seen("m", "c") || !s.Seen("m", "d") {
		t.Fatalf("window %v", s.Snapshot().Modules["m"].Recent)
	}
	if got := s.Snapshot().Modules["m"].Recent; !slices.Equal(got, []string{"b", "c", "d"}) {
		t.Fatalf("recent %v", got)
	}
	mustCommit(t, s, "m", "3", "e", "f", "g", "h", "i") // more than the bound in one page
	if got := s.Snapshot().Modules["m"].Recent; !slices.Equal(got, []string{"g", "h", "i"}) {
		t.Fatalf("recent %v", got)
	}
	s2, _ := mustOpen(t, path, o)
	mustCommit(t, s2, "m", "4", "j")
	if got := s2.Snapshot().Modules["m"].Recent; !slices.Equal(got, []string{"h", "i", "j"}) {
		t.Fatalf("order lost across reopen: %v", got)
	}
	// Reopening with a smaller bound keeps the newest.
	o.RecentMax = 2
	s3, _ := mustOpen(t, path, o)
	if got := s3.Snapshot().Modules["m"].Recent; !slices.Equal(got, []string{"i", "j"}) {
		t.Fatalf("shrink %v", got)
	}
	if s3.Seen("m", "h") {
		t.Fatal("evicted id still seen")
	}
	// Default bound.
	s4, _ := mustOpen(t, filepath.Join(t.TempDir(), "d.json"), opts())
	ids := make([]string, DefaultRecentMax+10)
	for i := range ids {
		ids[i] = fmt.Sprint("id", i)
	}
	if err := s4.Commit("m", nil, hashAll(ids)); err != nil {
		t.Fatal(err)
	}
	if r := s4.Snapshot().Modules["m"].Recent; len(r) != DefaultRecentMax || r[0] != "id10" || s4.Seen("m", "id9") {
		t.Fatalf("default bound: %d %s", len(r), r[0])
	}
}

func TestReset(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	s, _ := mustOpen(t, path, opts())
	mustCommit(t, s, "a", "1", "x")
	mustCommit(t, s, "b", "2", "y")
	if err := s.Reset("a"); err != nil {
		t.Fatal(err)
	}
	s2, _ := mustOpen(t, path, opts())
	if s2.Cursor("a") != nil || s2.Seen("a", "x") || string(s2.Cursor("b")) != "2" || !s2.Seen("b", "y") {
		t.Fatal("Reset(a) wrong")
	}
	if err := s2.Reset(""); err != nil {
		t.Fatal(err)
	}
	s3, _ := mustOpen(t, path, opts())
	if len(s3.Snapshot().Modules) != 0 {
		t.Fatal("Reset all left modules")
	}
}

func TestConcurrentCommits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	s, _ := mustOpen(t, path, Options{Vendor: "v", Instance: "i"})
	const workers, pages = 8, 40
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mod := fmt.Sprint("mod", w)
			for p := range pages {
				if err := s.Commit(mod, json.RawMessage(fmt.Sprint(p)), hashAll([]string{fmt.Sprint(w, "-", p)})); err != nil {
					t.Error(err)
					return
				}
				if !s.Seen(mod, fmt.Sprint(w, "-", p)) || s.Cursor(mod) == nil {
					t.Error("own commit not visible")
				}
				_ = s.Snapshot()
			}
		}()
	}
	wg.Wait()
	s2, n := mustOpen(t, path, Options{Vendor: "v", Instance: "i"})
	if len(n) != 0 {
		t.Fatal(n)
	}
	for w := range workers {
		mod := fmt.Sprint("mod", w)
		if got := string(s2.Cursor(mod)); got != fmt.Sprint(pages-1) {
			t.Errorf("%s cursor %s", mod, got)
		}
		for p := range pages {
			if !s2.Seen(mod, fmt.Sprint(w, "-", p)) {
				t.Errorf("%s lost id %d", mod, p)
			}
		}
	}
	if m, _ := filepath.Glob(path + ".tmp-*"); len(m) != 0 {
		t.Errorf("temp files left: %v", m)
	}
}

func writeRaw(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o640); err != nil {
		t.Fatal(err)
	}
}

const goodPrev = `{"version":1,"vendor":"onepassword","instance":"default","updated_at":"2026-01-01T00:00:00Z","modules":{"auditevents":{"cursor":"prev-cursor","updated_at":"2026-01-01T00:00:00Z","recent":["p1"]}}}`

func TestCorruptFileKeptAside(t *testing.T) {
	cases := []struct {
		name, content, reason string
	}{
		{"truncated", goodPrev[:60], "line 1, column 60"},
		{"truncated multiline", "{\n \"version\": 1,\n \"vendor\": \"onepassword\",\n \"modules\": {", "line 4"},
		{"garbage", "\x00\x01garbage", "line 1, column 1"},
		{"empty", "", "unexpected end of JSON input"},
		{"version zero", strings.Replace(goodPrev, `"version":1`, `"version":0`, 1), "unsupported version 0"},
		{"no version", `{"vendor":"onepassword"}`, "no valid version"},
		{"wrong type", strings.Replace(goodPrev, `["p1"]`, `"p1"`, 1), "line 1, column"},
		{"not an object", `[1,2]`, "line 1"},
	}
	for _, tc := range cases {
		for _, withPrev := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/prev=%v", tc.name, withPrev), func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "s.json")
				writeRaw(t, path, tc.content)
				if withPrev {
					writeRaw(t, path+".prev", goodPrev)
				}
				s, n := mustOpen(t, path, opts())
				aside := path + ".corrupt-20260304T050607Z"
				got, err := os.ReadFile(aside)
				if err != nil || string(got) != tc.content {
					t.Fatalf("corrupt file not kept aside intact: %v", err)
				}
				if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
					t.Fatalf("corrupt file still at path: %v", err)
				}
				if len(n) != 1 || n[0].Level != "error" {
					t.Fatalf("notices %+v", n)
				}
				msg := n[0].Message
				for _, want := range []string{path, aside, tc.reason} {
					if !strings.Contains(msg, want) {
						t.Errorf("notice %q lacks %q", msg, want)
					}
				}
				if withPrev {
					if string(s.Cursor("auditevents")) != `"prev-cursor"` || !s.Seen("auditevents", "p1") || !strings.Contains(msg, "resumed from the previous copy "+path+".prev") {
						t.Fatalf("no fallback to .prev: %q", msg)
					}
				} else {
					if s.Cursor("auditevents") != nil || !strings.Contains(msg, "lookback") {
						t.Fatalf("want empty state and lookback notice: %q", msg)
					}
				}
				// The next commit writes a fresh file that loads cleanly.
				mustCommit(t, s, "auditevents", `"new"`)
				if _, n2 := mustOpen(t, path, opts()); len(n2) != 0 {
					t.Fatalf("notices after recovery commit: %v", n2)
				}
			})
		}
	}
}

func TestCorruptTwiceInOneSecondKeepsBoth(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	writeRaw(t, path, "bad1")
	mustOpen(t, path, opts())
	writeRaw(t, path, "bad2")
	_, n := mustOpen(t, path, opts())
	if b, _ := os.ReadFile(path + ".corrupt-20260304T050607Z-1"); string(b) != "bad2" || !strings.Contains(n[0].Message, "-1") {
		t.Fatalf("second corrupt file: %q %v", b, n)
	}
	if b, _ := os.ReadFile(path + ".corrupt-20260304T050607Z"); string(b) != "bad1" {
		t.Fatal("first corrupt file clobbered")
	}
}

func TestMissingMainWithPrev(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	writeRaw(t, path+".prev", goodPrev)
	s, n := mustOpen(t, path, opts())
	if len(n) != 1 || n[0].Level != "warning" || !strings.Contains(n[0].Message, path+".prev") {
		t.Fatalf("notices %+v", n)
	}
	if string(s.Cursor("auditevents")) != `"prev-cursor"` {
		t.Fatal("did not resume from .prev")
	}
}

func TestMissingMainCorruptPrev(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	writeRaw(t, path+".prev", "{")
	s, n := mustOpen(t, path, opts())
	if len(n) != 1 || n[0].Level != "error" || !strings.Contains(n[0].Message, "lookback") || s.Cursor("auditevents") != nil {
		t.Fatalf("notices %+v", n)
	}
}

func TestFutureVersionRefused(t *testing.T) {
	for _, where := range []string{"", ".prev"} {
		dir := t.TempDir()
		path := filepath.Join(dir, "s.json")
		future := strings.Replace(goodPrev, `"version":1`, `"version":3`, 1)
		writeRaw(t, path+where, future)
		_, _, err := Open(path, opts())
		if err == nil || !strings.Contains(err.Error(), "version 3") || !strings.Contains(err.Error(), path+where) {
			t.Fatalf("%q: want refusal, got %v", where, err)
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 1 {
			t.Fatalf("%q: files touched: %v", where, entries)
		}
		if b, _ := os.ReadFile(path + where); string(b) != future {
			t.Fatal("future file modified")
		}
	}
}

func TestUnreadableStateIsAnError(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.json")
	if err := os.Mkdir(path, 0o750); err != nil { // a directory cannot be read as a file, even by root
		t.Fatal(err)
	}
	if _, _, err := Open(path, opts()); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("want error naming path, got %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal("unreadable state moved away")
	}
}

// .prev is always the newest synced file before the current one: a file
// written without fsync may be empty after a power cut, so it never
// becomes the copy that Open falls back to.
func TestPrevIsTheNewestSyncedCopy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	o, clock := clockedOpts()
	s, _ := mustOpen(t, path, o)
	prevHolds := func(when, cursor string) {
		t.Helper()
		prev, _ := os.ReadFile(path + ".prev")
		if !bytes.Contains(prev, []byte(`"cursor":`+cursor)) {
			t.Fatalf("%s: .prev holds %s, want cursor %s", when, prev, cursor)
		}
	}
	mustCommit(t, s, "m", "1") // a snapshot, synced: the first write
	if _, err := os.Stat(path + ".prev"); !errors.Is(err, os.ErrNotExist) {
		t.Fatal(".prev after first write")
	}
	mustCommit(t, s, "m", "2") // journal
	mustCommit(t, s, "m", "3") // journal
	if _, err := os.Stat(path + ".prev"); !errors.Is(err, os.ErrNotExist) {
		t.Fatal(".prev after commits to the journal")
	}
	*clock = clock.Add(durableEvery)
	mustCommit(t, s, "m", "4") // a snapshot, synced
	prevHolds("a synced commit after journal ones", "1")
	mustCommit(t, s, "m", "5") // journal
	prevHolds("a commit to the journal after a synced one", "1")
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	prevHolds("a save after a commit to the journal", "4")
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	prevHolds("a save after a save", "5")
	if fi, err := os.Stat(path + ".prev"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatal(".prev mode", err)
	}
}

// copyDir captures what the disk could hold if the process died right now.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// A kill at any step of any write, a snapshot's or a journal append's,
// at any byte of the append, leaves a state that Open loads without a
// notice, at the last commit that returned or the one in flight, with
// every ID up to its cursor known.
func TestCrashAtEveryStepLeavesLoadableState(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.json")
	o, clock := clockedOpts()
	s, _ := mustOpen(t, path, o)
	type crashPoint struct {
		dir  string
		want int // cursor that must be on disk: the last commit that returned
	}
	var points []crashPoint
	var steps []string
	done := 0
	journal := filepath.Join(dir, "s.json"+journalSuffix)
	appended := int64(0) // the journal's length before the append in flight
	s.hook = func(step string, _ *os.File) error {
		steps = append(steps, step)
		points = append(points, crashPoint{copyDir(t, dir), done})
		if step == "journal" {
			// The append in flight cut at every byte, as a kill in the
			// middle of write(2) leaves it.
			fi, err := os.Stat(journal)
			if err != nil {
				t.Fatal(err)
			}
			for n := appended; n < fi.Size(); n++ {
				d := copyDir(t, dir)
				if err := os.Truncate(filepath.Join(d, "s.json"+journalSuffix), n); err != nil {
					t.Fatal(err)
				}
				points = append(points, crashPoint{d, done})
			}
		}
		if fi, err := os.Stat(journal); err == nil {
			appended = fi.Size()
		}
		return nil
	}
	points = append(points, crashPoint{copyDir(t, dir), 0})
	for page := 1; page <= 8; page++ {
		*clock = clock.Add(300 * time.Millisecond) // a new snapshot every fourth page
		mustCommit(t, s, "m", fmt.Sprint(page), fmt.Sprint("id", page), fmt.Sprint("id", page, "b"))
		done = page
		points = append(points, crashPoint{copyDir(t, dir), done})
	}
	for _, want := range []string{"written", "synced", "prev", "renamed", "journal restarted", "journal"} {
		if !slices.Contains(steps, want) {
			t.Fatalf("hook not called at step %q: %v", want, steps)
		}
	}
	for i, pt := range points {
		st, n, err := Open(filepath.Join(pt.dir, "s.json"), o)
		if err != nil {
			t.Fatalf("crash point %d: %v", i, err)
		}
		if len(n) != 0 {
			t.Fatalf("crash point %d: notices %v", i, n)
		}
		cur := 0
		if c := st.Cursor("m"); c != nil {
			if err := json.Unmarshal(c, &cur); err != nil {
				t.Fatal(err)
			}
		}
		// Durable once Commit returned; at most the commit in flight may be on disk too.
		if cur != pt.want && cur != pt.want+1 {
			t.Fatalf("crash point %d: cursor %d, want %d (or %d)", i, cur, pt.want, pt.want+1)
		}
		// Every id up to the cursor must be remembered, or dedup would fail after replay.
		for p := 1; p <= cur; p++ {
			if !st.Seen("m", fmt.Sprint("id", p)) || !st.Seen("m", fmt.Sprint("id", p, "b")) {
				t.Fatalf("crash point %d: cursor %d but id%d unknown", i, cur, p)
			}
		}
		_ = st.Close()
	}
	if len(points) < 200 {
		t.Fatalf("only %d crash points", len(points))
	}
}

func TestFailedWriteKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.json")
	o := opts()
	clock := fixed
	o.Now = func() time.Time { clock = clock.Add(durableEvery); return clock } // every write synced
	s, _ := mustOpen(t, path, o)
	mustCommit(t, s, "m", `"good"`, "a")
	before, _ := os.ReadFile(path)
	for _, step := range []string{"written", "synced", "prev"} {
		s.hook = func(got string, f *os.File) error {
			if got != step {
				return nil
			}
			if f != nil { // a torn write: half the bytes reached the disk
				fi, _ := f.Stat()
				_ = f.Truncate(fi.Size() / 2)
			}
			return errors.New("injected failure at " + step)
		}
		err := s.Commit("m", json.RawMessage(`"bad"`), hashAll([]string{"b"}))
		if err == nil || !strings.Contains(err.Error(), "injected") || !strings.Contains(err.Error(), path) {
			t.Fatalf("%s: err %v", step, err)
		}
		if after, _ := os.ReadFile(path); !bytes.Equal(after, before) {
			t.Fatalf("%s: old file changed", step)
		}
		if m, _ := filepath.Glob(path + ".tmp-*"); len(m) != 0 {
			t.Fatalf("%s: temp left %v", step, m)
		}
		st, n := mustOpen(t, path, opts())
		if len(n) != 0 || string(st.Cursor("m")) != `"good"` {
			t.Fatalf("%s: reload %v %s", step, n, st.Cursor("m"))
		}
	}
	s.hook = nil
	mustCommit(t, s, "m", `"next"`, "c")
	st, _ := mustOpen(t, path, opts())
	if string(st.Cursor("m")) != `"next"` || !st.Seen("m", "b") {
		t.Fatal("store did not recover after a failed write")
	}
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte(goodPrev))
	f.Add([]byte(goodPrev[:50]))
	f.Add([]byte(`{"version":1,"vendor":"onepassword","instance":"default","modules":{"m":{"cursor":null,"recent":["a","a",""]}}}`))
	f.Add([]byte(`{"version":2}`))
	f.Add([]byte(`{"version":2,"vendor":"onepassword","instance":"default","modules":{"m":{"cursor":"c","recent":["a"],"pending":{"cursor":"d","recent":["b"]}}},"pending_owner":{"pid":7,"start_time":9,"boot_id":"x"}}`))
	f.Add([]byte(`{"version":3}`))
	f.Add([]byte(`{"version":1.5}`))
	f.Add([]byte(`null`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "s.json")
		if err := os.WriteFile(path, data, 0o640); err != nil {
			t.Fatal(err)
		}
		s, n, err := Open(path, opts())
		if err != nil {
			// Only a newer version is refused, and then the file is untouched.
			if b, rerr := os.ReadFile(path); rerr != nil || !bytes.Equal(b, data) {
				t.Fatalf("refused file was modified: %v", err)
			}
			return
		}
		_, statErr := os.Stat(path)
		if len(n) == 0 && statErr != nil {
			t.Fatal("file moved aside without a notice")
		}
		if len(n) > 0 && statErr == nil {
			t.Fatalf("notice but file not moved: %v", n)
		}
		// Whatever was loaded must be writable and reload cleanly and identically.
		snap := s.Snapshot()
		if err := s.Commit("fuzz", json.RawMessage(`1`), hashAll([]string{"x"})); err != nil {
			t.Fatal(err)
		}
		s2, n2, err := Open(path, opts())
		if err != nil || len(n2) != 0 {
			t.Fatalf("reload after commit: %v %v", err, n2)
		}
		snap2 := s2.Snapshot()
		for name, ms := range snap.Modules {
			ms2 := snap2.Modules[name]
			if !bytes.Equal(ms.Cursor, ms2.Cursor) || !slices.Equal(ms.Recent, ms2.Recent) {
				t.Fatalf("module %q changed across write: %s/%s %q/%q", name, ms.Cursor, ms2.Cursor, ms.Recent, ms2.Recent)
			}
			if (ms.Pending == nil) != (ms2.Pending == nil) ||
				ms.Pending != nil && (!bytes.Equal(ms.Pending.Cursor, ms2.Pending.Cursor) || !slices.Equal(ms.Pending.Recent, ms2.Pending.Recent)) {
				t.Fatalf("module %q pending changed across write: %+v / %+v", name, ms.Pending, ms2.Pending)
			}
		}
		if (snap.PendingOwner == nil) != (snap2.PendingOwner == nil) || snap.PendingOwner != nil && *snap.PendingOwner != *snap2.PendingOwner {
			t.Fatalf("pending owner changed across write: %v / %v", snap.PendingOwner, snap2.PendingOwner)
		}
	})
}

func BenchmarkCommit(b *testing.B) {
	path := filepath.Join(b.TempDir(), "s.json")
	s, _, err := Open(path, Options{Vendor: "onepassword", Instance: "default"})
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]string, DefaultRecentMax)
	for i := range ids {
		ids[i] = fmt.Sprintf("evt_%08d_0123456789abcdef", i)
	}
	if err := s.Commit("auditevents", json.RawMessage(`"x"`), hashAll(ids)); err != nil {
		b.Fatal(err)
	}
	cursor := json.RawMessage(`{"cursor":"` + strings.Repeat("a", 200-13) + `"}`)
	if len(cursor) != 200 {
		b.Fatal(len(cursor))
	}
	page := make([]idwindow.ID, 100)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		for j := range page {
			page[j] = idwindow.Of(fmt.Sprintf("new_%010d", i*len(page)+j))
		}
		i++
		if err := s.Commit("auditevents", cursor, page); err != nil {
			b.Fatal(err)
		}
	}
	fi, _ := os.Stat(path)
	b.ReportMetric(float64(fi.Size()), "file-bytes")
}

// BenchmarkCommitEncode isolates the CPU cost of a commit (window update and
// encoding) from the two fsyncs that dominate BenchmarkCommit.
func BenchmarkCommitEncode(b *testing.B) {
	s, _, err := Open(filepath.Join(b.TempDir(), "s.json"), Options{Vendor: "onepassword", Instance: "default"})
	if err != nil {
		b.Fatal(err)
	}
	s.modules["auditevents"] = newModule()
	for i := range DefaultRecentMax {
		s.modules["auditevents"].add(fmt.Sprintf("evt_%08d_0123456789abcdef", i), s.max)
	}
	cursor := json.RawMessage(`{"cursor":"` + strings.Repeat("a", 200-13) + `"}`)
	page := make([]string, 100)
	for j := range page {
		page[j] = fmt.Sprintf("new_%010d", j)
	}
	b.ReportAllocs()
	for b.Loop() {
		s.mu.Lock()
		m := s.modules["auditevents"]
		m.cursor = bytes.Clone(cursor)
		for _, id := range page {
			m.add(id, s.max)
		}
		m.enc = nil
		data := s.snapshotLocked("j")
		s.mu.Unlock()
		_ = data
	}
}

func TestStaleTempFilesRemoved(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.json")
	old, fresh := path+".tmp-123", path+".tmp-456"
	writeRaw(t, old, "partial")
	writeRaw(t, fresh, "in flight")
	writeRaw(t, path+".prev.tmp", "partial")
	long := time.Now().Add(-time.Hour)
	_ = os.Chtimes(old, long, long)
	_ = os.Chtimes(path+".prev.tmp", long, long)
	mustOpen(t, path, opts())
	if _, err := os.Stat(old); !errors.Is(err, os.ErrNotExist) {
		t.Error("stale temp kept")
	}
	if _, err := os.Stat(path + ".prev.tmp"); !errors.Is(err, os.ErrNotExist) {
		t.Error("stale prev temp kept")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Error("fresh temp (maybe a concurrent writer) removed")
	}
}

// BenchmarkCommitPages is a 1Password backlog's state writes: three
// modules with a 2,000-ID window, each page committing 1,000 new 26-byte
// IDs, hashed beforehand as the runner does. The encode sub-benchmark
// leaves out the file write (two fsyncs), which dominates the whole and
// depends on the disk.
func BenchmarkCommitPages(b *testing.B) {
	modules := []string{"signinattempts", "itemusages", "auditevents"}
	page := func(i int) []idwindow.ID {
		ids := make([]idwindow.ID, 1000)
		for j := range ids {
			ids[j] = idwindow.Of(fmt.Sprintf("%026d", i*len(ids)+j))
		}
		return ids
	}
	pages := [][]idwindow.ID{page(0), page(1), page(2), page(3)}
	cursor := json.RawMessage(`"aGVsbG8gd29ybGQgY3Vyc29yIHZhbHVlIGFuZCBtb3JlIGJ5dGVz"`)
	open := func(b *testing.B) *Store {
		s, _, err := Open(filepath.Join(b.TempDir(), "s.json"), Options{Vendor: "onepassword", Instance: "default", RecentMax: 2000})
		if err != nil {
			b.Fatal(err)
		}
		for _, m := range modules {
			for _, p := range pages[:2] {
				if err := s.Commit(m, cursor, p); err != nil {
					b.Fatal(err)
				}
			}
		}
		return s
	}
	b.Run("commit", func(b *testing.B) {
		s := open(b)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if err := s.Commit(modules[i%3], cursor, pages[i%len(pages)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("encode", func(b *testing.B) {
		s := open(b)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			s.mu.Lock()
			m := s.modules[modules[i%3]]
			m.cursor = cleanCursor(cursor)
			for _, id := range pages[i%len(pages)] {
				m.recent.Add(id, s.max)
			}
			m.enc = nil
			data := s.snapshotLocked("j")
			s.mu.Unlock()
			_ = data
			i++
		}
	})
}

// Commits made while a write is in progress go to disk together in the
// next write (group commit), and each returns only once its own change is
// on disk: five modules committing behind a held write cost two writes,
// and the file then holds all five.
func TestCommitsWaitingForAWriteShareTheNext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	s, _ := mustOpen(t, path, opts())
	hold, held := make(chan struct{}), make(chan struct{})
	var writes atomic.Int32
	s.hook = func(step string, _ *os.File) error {
		if step != "written" && step != "journal" {
			return nil
		}
		if writes.Add(1) == 1 {
			close(held)
			<-hold
		}
		return nil
	}
	errs := make(chan error, 5)
	go func() { errs <- s.Commit("m0", json.RawMessage(`"c0"`), hashAll([]string{"a0"})) }()
	<-held
	for i := 1; i < 5; i++ {
		go func() {
			errs <- s.Commit(fmt.Sprintf("m%d", i), json.RawMessage(fmt.Sprintf(`"c%d"`, i)), hashAll([]string{fmt.Sprintf("a%d", i)}))
		}()
	}
	// Every change is made in memory before its commit waits for the
	// write in progress.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Millisecond) {
		s.mu.RLock()
		gen := s.gen
		s.mu.RUnlock()
		if gen == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("generation %d after a minute, want 5", gen)
		}
	}
	close(hold)
	for range 5 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := writes.Load(); n != 2 {
		t.Errorf("%d writes for five commits behind one write, want 2", n)
	}
	s2, _ := mustOpen(t, path, opts())
	for i := range 5 {
		if c := s2.Cursor(fmt.Sprintf("m%d", i)); string(c) != fmt.Sprintf(`"c%d"`, i) {
			t.Errorf("module m%d: cursor %s on disk", i, c)
		}
	}
}

// hashAll hashes ids for the windows, as the runner does for a page.
func hashAll(ids []string) []idwindow.ID {
	out := make([]idwindow.ID, len(ids))
	for i, id := range ids {
		out[i] = idwindow.Of(id)
	}
	return out
}
