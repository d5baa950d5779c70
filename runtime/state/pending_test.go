package state

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

var (
	modulesdA = Owner{PID: 812, StartTime: 4711, BootID: "6f1c-boot-a"}
	modulesdB = Owner{PID: 907, StartTime: 9120, BootID: "6f1c-boot-a"}
)

// pendingRun leaves a file whose committed cursor is "c0" (IDs a, b) and
// whose pending cursor is "c1" (IDs c, d), owned by owner.
func pendingRun(t *testing.T, owner Owner) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.json")
	s, _ := mustOpen(t, path, opts())
	if _, err := s.Begin(nil, true); err != nil {
		t.Fatal(err)
	}
	mustCommit(t, s, "m", `"c0"`, "a", "b")
	s2, _ := mustOpen(t, path, opts())
	if _, err := s2.Begin(&owner, true); err != nil {
		t.Fatal(err)
	}
	mustCommit(t, s2, "m", `"c1"`, "c")
	mustCommit(t, s2, "m", `"c1"`, "d")
	return path
}

// Pending commits are written with their owner: in the journal while the
// run goes on (its header names the owner), in the file once it is synced.
func TestPendingIsWrittenWithItsOwner(t *testing.T) {
	path := pendingRun(t, modulesdA)
	journal, _ := os.ReadFile(path + journalSuffix)
	for _, want := range []string{`"owner":{"pid":812,"start_time":4711,"boot_id":"6f1c-boot-a"}}`, `{"m":"m","c":"c1",`, `"ids":["d"]}`} {
		if !strings.Contains(string(journal), want) {
			t.Errorf("journal lacks %s:\n%s", want, journal)
		}
	}
	s, _ := mustOpen(t, path, opts())
	checkPendingRun(t, s)
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	for _, want := range []string{`"cursor":"c0"`, `"pending":{"cursor":"c1"`, `"pending_owner":{"pid":812,"start_time":4711,"boot_id":"6f1c-boot-a"}`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("file lacks %s:\n%s", want, raw)
		}
	}
	s2, _ := mustOpen(t, path, opts())
	checkPendingRun(t, s2)
}

// checkPendingRun checks that s holds what pendingRun left.
func checkPendingRun(t *testing.T, s *Store) {
	t.Helper()
	snap := s.Snapshot()
	ms := snap.Modules["m"]
	if string(ms.Cursor) != `"c0"` || ms.Pending == nil || string(ms.Pending.Cursor) != `"c1"` ||
		!slices.Equal(ms.Pending.Recent, []string{"c", "d"}) || snap.PendingOwner == nil || *snap.PendingOwner != modulesdA {
		t.Fatalf("snapshot %+v pending %+v owner %v", ms, ms.Pending, snap.PendingOwner)
	}
}

func TestBeginPromotesForTheSameOwner(t *testing.T) {
	path := pendingRun(t, modulesdA)
	s, _ := mustOpen(t, path, opts())
	run := modulesdA
	res, err := s.Begin(&run, true)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Promoted, []string{"m"}) || len(res.Discarded) != 0 || res.Owner == nil || *res.Owner != modulesdA {
		t.Fatalf("resolution %+v", res)
	}
	// Promoted on disk before Begin returned: a crash now keeps it.
	s2, _ := mustOpen(t, path, opts())
	snap := s2.Snapshot()
	if ms := snap.Modules["m"]; string(ms.Cursor) != `"c1"` || ms.Pending != nil || snap.PendingOwner != nil ||
		!slices.Equal(ms.Recent, []string{"a", "b", "c", "d"}) {
		t.Fatalf("after promotion: %+v owner %v", ms, snap.PendingOwner)
	}
}

func TestBeginDiscardsForAnyOtherRun(t *testing.T) {
	otherStart, otherBoot := modulesdA, modulesdA
	otherStart.StartTime++
	otherBoot.BootID = "6f1c-boot-b"
	cases := []struct {
		name string
		run  *Owner
	}{
		{"another wazuh-modulesd", &modulesdB},
		{"same pid, started later", &otherStart},
		{"same pid and start time, another boot", &otherBoot},
		{"a run with immediate commit", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := pendingRun(t, modulesdA)
			s, _ := mustOpen(t, path, opts())
			res, err := s.Begin(tc.run, true)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.Discarded, []string{"m"}) || len(res.Promoted) != 0 || *res.Owner != modulesdA {
				t.Fatalf("resolution %+v", res)
			}
			// The replay starts from the committed cursor, and the
			// discarded run's IDs do not suppress it.
			if string(s.Cursor("m")) != `"c0"` || s.Seen("m", "c") || s.Seen("m", "d") || !s.Seen("m", "a") {
				t.Fatalf("cursor %s seen c=%v d=%v a=%v", s.Cursor("m"), s.Seen("m", "c"), s.Seen("m", "d"), s.Seen("m", "a"))
			}
			s2, _ := mustOpen(t, path, opts())
			if snap := s2.Snapshot(); snap.Modules["m"].Pending != nil || snap.PendingOwner != nil || string(snap.Modules["m"].Cursor) != `"c0"` {
				t.Fatalf("discard not written: %+v", snap)
			}
		})
	}
}

func TestCommitAfterBegin(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	s, _ := mustOpen(t, path, opts())
	run := modulesdB
	if _, err := s.Begin(&run, true); err != nil {
		t.Fatal(err)
	}
	mustCommit(t, s, "m", `"p1"`, "x")
	// The run resumes from its own pending cursor and knows its own IDs.
	if string(s.Cursor("m")) != `"p1"` || !s.Seen("m", "x") {
		t.Fatalf("cursor %s seen %v", s.Cursor("m"), s.Seen("m", "x"))
	}
	snap := s.Snapshot()
	if snap.Modules["m"].Cursor != nil || snap.Modules["m"].Pending == nil || *snap.PendingOwner != modulesdB {
		t.Fatalf("a run with an owner committed at once: %+v", snap)
	}
	// An immediate run commits at once and leaves no pending part.
	s2, _ := mustOpen(t, path, opts())
	if _, err := s2.Begin(nil, true); err != nil {
		t.Fatal(err)
	}
	mustCommit(t, s2, "m", `"i1"`, "y")
	snap = s2.Snapshot()
	if string(snap.Modules["m"].Cursor) != `"i1"` || snap.Modules["m"].Pending != nil || snap.PendingOwner != nil {
		t.Fatalf("immediate run: %+v", snap)
	}
}

func TestBeginWithoutPersistLeavesTheFile(t *testing.T) {
	path := pendingRun(t, modulesdA)
	before, _ := os.ReadFile(path)
	s, _ := mustOpen(t, path, opts())
	res, err := s.Begin(nil, false)
	if err != nil || len(res.Discarded) != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	if string(s.Cursor("m")) != `"c0"` {
		t.Fatalf("dry run resumes from %s, want the committed cursor", s.Cursor("m"))
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Fatal("Begin without persist wrote the file")
	}
}

func TestPendingWindowIsBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	o := opts()
	o.RecentMax = 3
	s, _ := mustOpen(t, path, o)
	run := modulesdA
	if _, err := s.Begin(&run, true); err != nil {
		t.Fatal(err)
	}
	mustCommit(t, s, "m", `"1"`, "a", "b", "c", "d", "e")
	if p := s.Snapshot().Modules["m"].Pending; !slices.Equal(p.Recent, []string{"c", "d", "e"}) {
		t.Fatalf("pending window %q", p.Recent)
	}
	s2, _ := mustOpen(t, path, o)
	if _, err := s2.Begin(&run, true); err != nil {
		t.Fatal(err)
	}
	if r := s2.Snapshot().Modules["m"].Recent; !slices.Equal(r, []string{"c", "d", "e"}) {
		t.Fatalf("promoted window %q", r)
	}
}

func TestVersion1LoadsAsCommitted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	writeRaw(t, path, goodPrev) // a version 1 file
	s, n := mustOpen(t, path, opts())
	if len(n) != 0 {
		t.Fatalf("notices %v", n)
	}
	run := modulesdA
	res, err := s.Begin(&run, true)
	if err != nil || len(res.Promoted)+len(res.Discarded) != 0 || res.Owner != nil {
		t.Fatalf("%+v %v", res, err)
	}
	if string(s.Cursor("auditevents")) != `"prev-cursor"` || !s.Seen("auditevents", "p1") {
		t.Fatal("version 1 cursor or IDs lost")
	}
	mustCommit(t, s, "auditevents", `"next"`, "p2")
	raw, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(raw), `{"version":2,`) || !strings.Contains(string(raw), `"cursor":"prev-cursor"`) {
		t.Fatalf("not migrated to version 2 keeping the committed cursor:\n%s", raw)
	}
}

func TestForeignStateRefused(t *testing.T) {
	cases := []struct{ name, content, want string }{
		{"another vendor", strings.Replace(goodPrev, `"onepassword"`, `"okta"`, 1), `vendor "okta"`},
		{"another instance", strings.Replace(goodPrev, `"default"`, `"eu"`, 1), `instance "eu"`},
	}
	for _, tc := range cases {
		for _, where := range []string{"", ".prev"} {
			t.Run(tc.name+where, func(t *testing.T) {
				dir := t.TempDir()
				path := filepath.Join(dir, "s.json")
				writeRaw(t, path+where, tc.content)
				_, _, err := Open(path, opts())
				if !errors.Is(err, ErrForeign) {
					t.Fatalf("error %v, want ErrForeign", err)
				}
				for _, want := range []string{tc.want, path + where, "STATE_FILE"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q lacks %q", err, want)
					}
				}
				// A configuration mistake, not corruption: nothing moved aside.
				if entries, _ := os.ReadDir(dir); len(entries) != 1 {
					t.Fatalf("files touched: %v", entries)
				}
			})
		}
	}
}

// SeenEach answers as Seen does, ID for ID: committed and pending windows,
// unknown IDs and modules.
func TestSeenEachIsSeen(t *testing.T) {
	s, _ := mustOpen(t, filepath.Join(t.TempDir(), "s.json"), opts())
	mustCommit(t, s, "m", `"c1"`, "a", "b")
	run := modulesdB
	if _, err := s.Begin(&run, true); err != nil {
		t.Fatal(err)
	}
	mustCommit(t, s, "m", `"p1"`, "c")
	ids := []string{"a", "x", "c", "", "b", "a"}
	for _, module := range []string{"m", "other"} {
		got := s.SeenEach(module, hashAll(ids), []bool{true})
		if len(got) != 1+len(ids) || !got[0] {
			t.Fatalf("%s: %v does not extend the slice given", module, got)
		}
		for i, id := range ids {
			if got[1+i] != s.Seen(module, id) {
				t.Errorf("%s: SeenEach(%q) = %v, Seen says %v", module, id, got[1+i], s.Seen(module, id))
			}
		}
	}
	if got := s.SeenEach("m", hashAll(ids[:3]), nil); !got[0] || got[1] || !got[2] {
		t.Errorf("committed a, unknown x, pending c: %v", got)
	}
}

// SeenEach only reads, so a module's lookups may run at once (the store
// takes a read lock for them); the race detector (make test-go) checks it.
func TestSeenEachConcurrently(t *testing.T) {
	s, _ := mustOpen(t, filepath.Join(t.TempDir(), "s.json"), opts())
	ids := make([]string, 100)
	for i := range ids {
		ids[i] = fmt.Sprint("evt-", i)
	}
	mustCommit(t, s, "m", `"c1"`, ids[:50]...)
	hashed := hashAll(ids)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 20 {
				seen := s.SeenEach("m", hashed, nil)
				for i, ok := range seen {
					if ok != (i < 50) {
						t.Errorf("ID %d: seen %v", i, ok)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}
