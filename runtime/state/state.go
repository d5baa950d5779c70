// Package state keeps each vendor instance's cursors and recently seen
// event IDs in one JSON file, written atomically, and a journal beside it
// to which every page's commit is appended (journal.go), so that a crash
// replays at most the page in flight and never skips events.
//
// A run whose output is not yet delivered when it ends (the stdout sink under
// wazuh-modulesd, which forwards a run's output only after it exits) records
// its cursors as pending, with the Owner of the run; the next run promotes
// them to committed only if it has the same Owner (see Begin).
package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wodlekit/wodlekit/runtime/internal/idwindow"
	"github.com/wodlekit/wodlekit/runtime/safefs"
)

// Version is the state file format this package writes; files with a higher
// version were written by a newer release and are never touched. Version 2
// added pending cursors; a version 1 file loads as all committed.
const Version = 2

// ErrForeign is matched (errors.Is) by Open's error when the file belongs to
// another vendor or instance: a configuration mistake (two instances given
// one state file), never corruption, so the file is left as it is.
var ErrForeign = errors.New("state file belongs to another vendor or instance")

type foreignError struct {
	path, vendor, instance, wantVendor, wantInstance string
}

func (e *foreignError) Error() string {
	return fmt.Sprintf("state file %s belongs to vendor %q instance %q, not to this one (vendor %q instance %q): "+
		"two instances are configured with one state file; give each its own STATE_FILE, or unset STATE_FILE to use STATE_DIR/<instance>.state.json",
		e.path, e.vendor, e.instance, e.wantVendor, e.wantInstance)
}

func (e *foreignError) Is(target error) bool { return target == ErrForeign }

// Owner identifies the process whose run wrote pending cursors: the
// wazuh-modulesd that will forward that run's output. Its pid and start time
// (clock ticks after boot, /proc/<pid>/stat field 22) name one process for the
// life of a boot; the boot ID tells two boots apart.
type Owner struct {
	PID       int    `json:"pid"`
	StartTime uint64 `json:"start_time"`
	BootID    string `json:"boot_id"`
}

func (o Owner) String() string {
	return fmt.Sprintf("pid %d (start time %d, boot %s)", o.PID, o.StartTime, o.BootID)
}

// DefaultRecentMax bounds each module's de-duplication window when Options leaves it zero.
const DefaultRecentMax = 5000

// Options identify the instance a state file belongs to, so a file copied
// between instances is detected instead of silently resuming the wrong cursor.
type Options struct {
	Vendor, Instance string
	// RecentMax bounds the recent-ID set per module; 0 means DefaultRecentMax.
	RecentMax int
	// Now is the clock, replaceable so tests get stable timestamps; nil means time.Now.
	Now func() time.Time
	// Hook is for tests only (nil in production): it is called at each
	// step of a write ("written", "synced", "current synced", "prev",
	// "renamed"), and an error it returns fails the write there, as a
	// full disk would.
	Hook func(step string, tmp *os.File) error
}

// Notice is something Open had to do that the runner must report as an event
// (a corrupt file kept aside, a fallback to the previous copy).
type Notice struct {
	Level   string // "warning" or "error"
	Message string
}

// File is the on-disk document, also returned by Snapshot for `state show`.
type File struct {
	Version   int       `json:"version"`
	Vendor    string    `json:"vendor"`
	Instance  string    `json:"instance"`
	UpdatedAt time.Time `json:"updated_at"`
	// Journal names the journal that extends this snapshot (journal.go);
	// empty in files written before journals.
	Journal string                 `json:"journal,omitempty"`
	Modules map[string]ModuleState `json:"modules"`
	// PendingOwner is the run owner of every module's Pending; nil when no
	// module has pending cursors.
	PendingOwner *Owner `json:"pending_owner,omitempty"`
}

// ModuleState is one module's resume point and de-duplication window.
type ModuleState struct {
	// Cursor is kept byte for byte as the vendor's API gave it.
	Cursor    json.RawMessage `json:"cursor,omitempty"`
	UpdatedAt time.Time       `json:"updated_at"`
	// Recent is oldest first, so eviction order survives a restart.
	Recent []string `json:"recent"`
	// Pending is what a run whose output is not known to be delivered
	// reached: promoted or discarded by the next run (see Store.Begin).
	Pending *Pending `json:"pending,omitempty"`
}

// Pending is a module's cursor and IDs not yet committed.
type Pending struct {
	Cursor    json.RawMessage `json:"cursor,omitempty"`
	UpdatedAt time.Time       `json:"updated_at"`
	Recent    []string        `json:"recent"`
}

// Store is an open state file; all methods are safe for concurrent use
// because modules run concurrently and each commits after its own pages.
type Store struct {
	path, vendor, instance string
	max                    int
	now                    func() time.Time

	mu      sync.RWMutex // guards the in-memory state below
	modules map[string]*modState
	updated time.Time
	gen     uint64 // bumped on every change; lets writers skip superseded snapshots
	// pendOwner owns the modules' pending parts; staging makes Commit write
	// pending parts (set by Begin for a run with an owner).
	pendOwner *Owner
	staging   bool

	wmu     sync.Mutex // serialises file writes
	written uint64     // generation of the newest snapshot on disk
	wbuf    []byte     // the snapshot's bytes between its modules, reused (guarded by wmu)
	wparts  [][]byte   // the snapshot's parts, reused (guarded by wmu)
	// durable says the file at path is on disk itself, not only in the
	// page cache; false after Open, which cannot know. synced is when the
	// last write was synced. Both are guarded by wmu.
	durable bool
	synced  time.Time

	// hook lets tests fail or observe the write at each step; nil in production.
	hook func(step string, tmp *os.File) error
	// dir is the checked handle of the state's directory: every file of the
	// instance is read and written through it (write.go).
	dir *safefs.Dir

	// The journal (journal.go). jbuf holds the records of commits not
	// written yet, and jstale says the next write must compact (Begin or
	// Reset changed what the journal's header says); both are guarded by
	// mu. The rest is guarded by wmu: jout is the records being written,
	// jfile the open journal, jready that it has a header naming the
	// snapshot on disk, jsize its length, and junsynced that it holds
	// records no synced snapshot has (appended, or found by Open).
	jbuf      []byte
	jstale    bool
	jout      []byte
	jfile     *os.File
	jready    bool
	jsize     int64
	junsynced bool
}

type modState struct {
	cursor  json.RawMessage
	updated time.Time
	recent  idwindow.Window
	pend    *modState // pending part (its pend is nil); nil when none
	enc     []byte    // cached encoding, nil when stale: unchanged modules are not re-encoded
	encBuf  []byte    // the memory of the last encoding, reused for the next
}

func newModule() *modState {
	return &modState{}
}

func (m *modState) add(id string, max int) { m.recent.Add(idwindow.Of(id), max) }

// Open loads the state at path, recovering from a missing or corrupt file as
// the design requires: never silently starting from "now". The returned
// notices must be reported by the caller even when err is nil.
func Open(path string, o Options) (*Store, []Notice, error) {
	if o.Vendor == "" || o.Instance == "" {
		return nil, nil, fmt.Errorf("state %s: vendor and instance are required", path)
	}
	if o.RecentMax < 0 {
		return nil, nil, fmt.Errorf("state %s: RecentMax %d is negative", path, o.RecentMax)
	}
	s := &Store{
		path:     path,
		vendor:   o.Vendor,
		instance: o.Instance,
		max:      o.RecentMax,
		now:      o.Now,
		hook:     o.Hook,
		modules:  make(map[string]*modState),
	}
	if s.max == 0 {
		s.max = DefaultRecentMax
	}
	if s.now == nil {
		s.now = time.Now
	}
	dir, err := openDir(path)
	if err != nil {
		return nil, nil, fmt.Errorf("state %s: %w", path, err)
	}
	s.dir = dir
	s.removeStaleTemps()
	f, notices, err := s.recover()
	if err != nil {
		dir.Close()
		return nil, nil, err
	}
	journal := ""
	if f != nil {
		s.load(f)
		journal = f.Journal
	}
	more, err := s.replayJournal(journal)
	if err != nil {
		dir.Close()
		return nil, nil, err
	}
	return s, append(notices, more...), nil
}

// staleTempAge is far longer than any write takes, so a temp file this old
// was left by a crash and not by a concurrent writer.
const staleTempAge = 10 * time.Minute

// removeStaleTemps deletes temp files left by a crash mid-write; best effort,
// since they only waste space.
func (s *Store) removeStaleTemps() {
	base, ptmp := filepath.Base(s.path)+".tmp-", filepath.Base(s.prevPath())+".tmp"
	matches, _ := s.dir.Names(func(n string) bool { return strings.HasPrefix(n, base) || n == ptmp })
	for _, m := range matches {
		if fi, err := s.dir.Lstat(m); err == nil && fi.Regular && time.Since(fi.ModTime) > staleTempAge {
			_ = s.dir.Remove(m)
		}
	}
}

func (s *Store) prevPath() string { return s.path + ".prev" }

// recover picks the file to resume from; nil with no error means empty state.
func (s *Store) recover() (*File, []Notice, error) {
	f, err := s.read(s.path)
	if err == nil {
		return f, nil, nil
	}
	var ce *corruptError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		prev, perr := s.read(s.prevPath())
		switch {
		case perr == nil:
			return prev, []Notice{{"warning", fmt.Sprintf(
				"state file %s is missing; resumed from the previous copy %s (at most one checkpoint older, duplicates are filtered)",
				s.path, s.prevPath())}}, nil
		case errors.Is(perr, fs.ErrNotExist):
			return nil, nil, nil
		case errors.As(perr, &ce):
			return nil, []Notice{{"error", fmt.Sprintf(
				"state file %s is missing and the previous copy %s is unusable (%s); the run will use the lookback window",
				s.path, s.prevPath(), ce.reason)}}, nil
		default:
			return nil, nil, perr
		}
	case errors.As(err, &ce):
		aside, merr := s.moveAside()
		if merr != nil {
			return nil, nil, fmt.Errorf("state %s is corrupt (%s) and could not be kept aside: %w", s.path, ce.reason, merr)
		}
		msg := fmt.Sprintf("state file %s is corrupt (%s); kept it as %s", s.path, ce.reason, aside)
		prev, perr := s.read(s.prevPath())
		var pce *corruptError
		switch {
		case perr == nil:
			return prev, []Notice{{"error", msg + fmt.Sprintf(
				" and resumed from the previous copy %s (at most one checkpoint older, duplicates are filtered)", s.prevPath())}}, nil
		case errors.Is(perr, fs.ErrNotExist):
			return nil, []Notice{{"error", msg + "; there is no previous copy, the run will use the lookback window"}}, nil
		case errors.As(perr, &pce):
			return nil, []Notice{{"error", msg + fmt.Sprintf(
				"; the previous copy %s is unusable too (%s), the run will use the lookback window", s.prevPath(), pce.reason)}}, nil
		default:
			return nil, nil, perr
		}
	default:
		return nil, nil, err
	}
}

func (s *Store) moveAside() (string, error) {
	base := s.path + ".corrupt-" + s.now().UTC().Format("20060102T150405Z")
	for i := 0; ; i++ {
		aside := base
		if i > 0 {
			aside += "-" + strconv.Itoa(i)
		}
		if _, err := s.dir.Lstat(filepath.Base(aside)); errors.Is(err, fs.ErrNotExist) {
			if err := s.dir.Rename(filepath.Base(s.path), filepath.Base(aside)); err != nil {
				return "", err
			}
			return aside, s.syncDir()
		}
	}
}

// corruptError marks a file that is ours to set aside; other errors (I/O,
// permissions, a future version) must stop the run instead.
type corruptError struct{ reason string }

func (e *corruptError) Error() string { return e.reason }

// read returns fs.ErrNotExist (wrapped), *corruptError, a future-version error, or an I/O error.
func (s *Store) read(path string) (*File, error) {
	data, err := s.readFile(path)
	if err != nil {
		return nil, fmt.Errorf("state %s: %w", path, err)
	}
	f, ok := decodeFile(data)
	if !ok {
		if f, err = decodeFileSlowly(path, []byte(data)); err != nil {
			return nil, err
		}
	}
	if f.Vendor != s.vendor || f.Instance != s.instance {
		return nil, &foreignError{path: path, vendor: f.Vendor, instance: f.Instance, wantVendor: s.vendor, wantInstance: s.instance}
	}
	return f, nil
}

// decodeFileSlowly decodes what decodeFile does not read, with
// encoding/json, and tells a damaged file from one of a newer release.
func decodeFileSlowly(path string, data []byte) (*File, error) {
	var probe struct {
		Version json.RawMessage `json:"version"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, &corruptError{describeJSONError(data, err)}
	}
	var v int
	if err := json.Unmarshal(probe.Version, &v); err != nil || probe.Version == nil {
		return nil, &corruptError{"no valid version field"}
	}
	if v > Version {
		return nil, fmt.Errorf("state %s has version %d but this release supports up to %d: it was written by a newer release (downgrade?); refusing to touch it", path, v, Version)
	}
	// Version 1 has no pending parts: it loads as committed.
	if v < 1 {
		return nil, &corruptError{fmt.Sprintf("unsupported version %d", v)}
	}
	var f File
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, &corruptError{describeJSONError(data, err)}
	}
	return &f, nil
}

// describeJSONError gives line and column so a hand-edited file can be fixed.
func describeJSONError(data []byte, err error) string {
	off := int64(-1)
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 {
		return err.Error()
	}
	// Offset counts the bytes read, so the offending byte is the one before it.
	off = min(max(off-1, 0), int64(len(data)))
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := int(off) - bytes.LastIndexByte(data[:off], '\n')
	return fmt.Sprintf("line %d, column %d (byte offset %d): %v", line, col, off, err)
}

func (s *Store) load(f *File) {
	s.updated = f.UpdatedAt
	if f.PendingOwner != nil {
		o := *f.PendingOwner
		s.pendOwner = &o
	}
	for name, ms := range f.Modules {
		m := newModule()
		m.cursor = cleanCursor(ms.Cursor)
		m.updated = ms.UpdatedAt
		m.recent.Grow(min(len(ms.Recent), s.max))
		for _, id := range ms.Recent {
			m.add(id, s.max)
		}
		if p := ms.Pending; p != nil {
			m.pend = newModule()
			m.pend.cursor = cleanCursor(p.Cursor)
			m.pend.updated = p.UpdatedAt
			m.pend.recent.Grow(min(len(p.Recent), s.max))
			for _, id := range p.Recent {
				m.pend.add(id, s.max)
			}
		}
		s.modules[name] = m
	}
}

// cleanCursor maps an absent or null cursor to nil and copies any other.
func cleanCursor(c json.RawMessage) json.RawMessage {
	if t := bytes.TrimSpace(c); len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return nil
	}
	return bytes.Clone(c)
}

// Cursor returns a copy of module's resume point (its pending cursor when it
// has one, else the committed one), or nil when it has none.
func (s *Store) Cursor(module string) json.RawMessage {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m := s.modules[module]
	if m == nil {
		return nil
	}
	if m.pend != nil {
		return bytes.Clone(m.pend.cursor)
	}
	return bytes.Clone(m.cursor)
}

// Seen reports whether id is in module's recent window (committed or
// pending), to drop replayed events.
func (s *Store) Seen(module, id string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.modules[module].seen(idwindow.Of(id))
}

// SeenEach is Seen for each of ids, appended to seen in that order: a
// page's worth under one lock rather than one per record (the modules'
// commits take the lock meanwhile), each ID hashed once by the caller for
// this and its commit.
func (s *Store) SeenEach(module string, ids []idwindow.ID, seen []bool) []bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := len(seen)
	seen = append(seen, make([]bool, len(ids))...)
	if m := s.modules[module]; m != nil {
		m.recent.Mark(ids, seen[n:])
		if m.pend != nil {
			m.pend.recent.Mark(ids, seen[n:])
		}
	}
	return seen
}

// seen reports whether id is in the committed or pending window of m,
// which may be nil.
func (m *modState) seen(id idwindow.ID) bool {
	if m == nil {
		return false
	}
	return m.recent.Has(id) || m.pend != nil && m.pend.recent.Has(id)
}

// Resolution is what Begin did with the pending cursors it found.
type Resolution struct {
	// Owner owned the pending cursors found; nil when there were none.
	Owner *Owner
	// Promoted and Discarded name the modules whose pending cursors were
	// committed or dropped, sorted.
	Promoted, Discarded []string
}

// Begin starts a run. Pending cursors left by the previous run are promoted
// to committed when run is their owner: the same wazuh-modulesd started this
// run, so it forwarded the previous run's output before. Otherwise they are
// discarded with their IDs, so the run replays from the committed cursors
// and the IDs do not suppress the replay. A nil run commits every page at
// once; a non-nil run records its pages as pending, owned by run. With
// persist the state is written before Begin returns, even when unchanged:
// a run that cannot save (a full disk) then fails before it delivers
// anything, instead of repeating its first pages run after run.
func (s *Store) Begin(run *Owner, persist bool) (Resolution, error) {
	s.mu.Lock()
	var res Resolution
	if s.pendOwner != nil {
		o := *s.pendOwner
		res.Owner = &o
	}
	promote := run != nil && s.pendOwner != nil && *run == *s.pendOwner
	for name, m := range s.modules {
		if m.pend == nil {
			continue
		}
		if promote {
			m.cursor = m.pend.cursor
			for _, id := range m.pend.recent.IDs() {
				m.add(id, s.max)
			}
			m.updated = m.pend.updated
			res.Promoted = append(res.Promoted, name)
		} else {
			res.Discarded = append(res.Discarded, name)
		}
		m.pend = nil
		m.enc = nil
	}
	sort.Strings(res.Promoted)
	sort.Strings(res.Discarded)
	s.pendOwner, s.staging = nil, run != nil
	s.jstale = true
	if run != nil {
		o := *run
		s.pendOwner = &o
	}
	s.mu.Unlock()
	if !persist {
		return res, nil
	}
	return res, s.Save()
}

// Save writes the state now, changed or not, and returns once it is on
// disk: a run that cannot save (a full disk) learns it before it delivers
// anything. Begin with persist is Begin then Save.
func (s *Store) Save() error {
	s.mu.Lock()
	s.updated = s.now().UTC()
	gen := s.changedLocked()
	s.mu.Unlock()
	return s.persist(gen, true)
}

// Sync makes every change written so far durable (fsync), writing what was
// not written yet: a run calls it once its modules stopped, so that only a
// power cut during a run can take back any of its commits.
func (s *Store) Sync() error {
	s.mu.RLock()
	gen := s.gen
	s.mu.RUnlock()
	return s.persist(gen, true)
}

// Commit records a page handed to the sink and writes it before returning,
// so a kill at any moment afterwards never replays more than the next page;
// it reaches the disk itself (fsync) when the last synced write is
// durableEvery old, so a power cut replays at most that long of pages.
// After Begin with an owner it records the page as pending instead.
// A nil cursor clears the module's cursor; ids join the bounded window
// (their strings are kept, not the slice).
func (s *Store) Commit(module string, cursor json.RawMessage, ids []idwindow.ID) error {
	if module == "" {
		return fmt.Errorf("state %s: commit: empty module name", s.path)
	}
	if len(cursor) > 0 && !json.Valid(cursor) {
		return fmt.Errorf("state %s: commit %s: cursor is not valid JSON", s.path, module)
	}
	s.mu.Lock()
	now := s.now().UTC()
	cursor = s.applyLocked(module, cursor, ids, now, s.staging)
	s.updated = now
	s.appendRecordLocked(module, cursor, now, ids)
	gen := s.changedLocked()
	s.mu.Unlock()
	return s.persist(gen, false)
}

// applyLocked makes a commit of module in memory, to its pending part
// when pending, and returns the cursor it keeps; Commit and the journal's
// replay share it. The caller holds mu.
func (s *Store) applyLocked(module string, cursor json.RawMessage, ids []idwindow.ID, updated time.Time, pending bool) json.RawMessage {
	m := s.modules[module]
	if m == nil {
		m = newModule()
		s.modules[module] = m
	}
	target := m
	if pending {
		if m.pend == nil {
			m.pend = newModule()
		}
		target = m.pend
	}
	target.cursor = cleanCursor(cursor)
	target.recent.Reserve(len(ids), s.max)
	for _, id := range ids {
		target.recent.Add(id, s.max)
	}
	target.updated = updated
	m.enc = nil
	return target.cursor
}

// Reset forgets module's cursor and window ("" forgets every module), so the
// next run starts from the lookback.
func (s *Store) Reset(module string) error {
	s.mu.Lock()
	if module == "" {
		s.modules = make(map[string]*modState)
	} else {
		delete(s.modules, module)
	}
	if !s.hasPendingLocked() {
		s.pendOwner = nil
	}
	s.jstale = true
	s.updated = s.now().UTC()
	gen := s.changedLocked()
	s.mu.Unlock()
	return s.persist(gen, true)
}

// Snapshot returns a deep copy for display; later commits do not change it.
func (s *Store) Snapshot() File {
	s.mu.RLock()
	defer s.mu.RUnlock()
	f := File{Version: Version, Vendor: s.vendor, Instance: s.instance, UpdatedAt: s.updated, Modules: make(map[string]ModuleState, len(s.modules))}
	for name, m := range s.modules {
		ms := ModuleState{Cursor: bytes.Clone(m.cursor), UpdatedAt: m.updated, Recent: m.recent.IDs()}
		if m.pend != nil {
			ms.Pending = &Pending{Cursor: bytes.Clone(m.pend.cursor), UpdatedAt: m.pend.updated, Recent: m.pend.recent.IDs()}
		}
		f.Modules[name] = ms
	}
	if s.pendOwner != nil && s.hasPendingLocked() {
		o := *s.pendOwner
		f.PendingOwner = &o
	}
	return f
}

func (s *Store) hasPendingLocked() bool {
	for _, m := range s.modules {
		if m.pend != nil {
			return true
		}
	}
	return false
}

// changedLocked marks a change of the in-memory state: the generation a
// write must reach for the change to be durable.
func (s *Store) changedLocked() uint64 {
	s.gen++
	return s.gen
}

// snapshotLocked encodes the file by hand (the caller holds wmu and mu):
// modules whose state did not change reuse their cached bytes, and
// cursors are copied verbatim (already validated) instead of being
// re-parsed by encoding/json. The file is returned in parts, written one
// after the other: the modules' encodings themselves, and between them
// pieces of s.wbuf (header, names, punctuation). Copied into one buffer,
// the first snapshot of a run with three full 2,000-ID windows allocated
// 175 KB more. A part points into a module's encBuf, which only this
// method writes, and only under wmu, which persist holds until the parts
// are written.
func (s *Store) snapshotLocked(journal string) [][]byte {
	names := make([]string, 0, len(s.modules))
	size := 192 + len(s.vendor) + len(s.instance) + len(journal)
	for name, m := range s.modules {
		names = append(names, name)
		if m.enc == nil {
			// The last snapshot's parts were written before it returned
			// (see above): nothing else points into the old encoding.
			m.enc = m.encode(m.encBuf[:0])
			m.encBuf = m.enc
		}
		size += len(name) + 4
	}
	if s.pendOwner != nil {
		size += len(s.pendOwner.BootID)
	}
	sort.Strings(names)
	// Sized so that it does not grow (it would still be correct: a part
	// already cut keeps pointing at the bytes it was cut from).
	b := slices.Grow(s.wbuf[:0], size)
	parts := s.wparts[:0]
	cut := 0
	part := func() {
		parts = append(parts, b[cut:len(b):len(b)])
		cut = len(b)
	}
	b = append(b, `{"version":`...)
	b = strconv.AppendInt(b, Version, 10)
	b = append(b, `,"vendor":`...)
	b = appendString(b, s.vendor)
	b = append(b, `,"instance":`...)
	b = appendString(b, s.instance)
	b = append(b, `,"updated_at":`...)
	b = appendTime(b, s.updated)
	b = append(b, `,"journal":`...)
	b = appendString(b, journal)
	b = append(b, `,"modules":{`...)
	for i, name := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, name)
		b = append(b, ':')
		part()
		parts = append(parts, s.modules[name].enc)
	}
	b = append(b, '}')
	if s.pendOwner != nil && s.hasPendingLocked() {
		b = append(b, `,"pending_owner":{"pid":`...)
		b = strconv.AppendInt(b, int64(s.pendOwner.PID), 10)
		b = append(b, `,"start_time":`...)
		b = strconv.AppendUint(b, s.pendOwner.StartTime, 10)
		b = append(b, `,"boot_id":`...)
		b = appendString(b, s.pendOwner.BootID)
		b = append(b, '}')
	}
	b = append(b, "}\n"...)
	part()
	s.wbuf, s.wparts = b, parts
	return parts
}

func (m *modState) encode(b []byte) []byte {
	// Sized first: grown through appendString, a 2,000-ID window's
	// encoding took a dozen allocations and left about twice its size as
	// garbage (the first snapshot of every run, and each time the window
	// grew). Later encodings reuse the last one's memory (encBuf).
	need := m.encodedSize() + 1
	if m.pend != nil {
		need += len(`,"pending":}`) + m.pend.encodedSize()
	}
	b = slices.Grow(b, need)
	b = m.encodeFields(b)
	if m.pend != nil {
		b = append(b, `,"pending":`...)
		b = m.pend.encodeFields(b)
		b = append(b, '}')
	}
	return append(b, '}')
}

// encodedSize is the length of encodeFields' output when no ID or
// cursor needs escapes (then it is longer, and the buffer grows).
func (m *modState) encodedSize() int {
	n := len(`{"cursor":,"updated_at":"","recent":[]`) + len(m.cursor) + len(time.RFC3339Nano)
	older, newer := m.recent.InOrder()
	for _, part := range [2][]string{older, newer} {
		for _, id := range part {
			n += len(id) + 3
		}
	}
	return n
}

// encodeFields writes the object's members up to the recent set, leaving
// the object open.
func (m *modState) encodeFields(b []byte) []byte {
	b = append(b, '{')
	if m.cursor != nil {
		b = append(b, `"cursor":`...)
		b = append(b, m.cursor...)
		b = append(b, ',')
	}
	b = append(b, `"updated_at":`...)
	b = appendTime(b, m.updated)
	b = append(b, `,"recent":[`...)
	first := true
	older, newer := m.recent.InOrder()
	for _, part := range [2][]string{older, newer} {
		for _, id := range part {
			if !first {
				b = append(b, ',')
			}
			first = false
			b = appendString(b, id)
		}
	}
	return append(b, ']')
}

func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendString copies plain ASCII straight through (the common case for
// event IDs) and defers anything needing escapes to encoding/json.
func appendString(b []byte, s string) []byte {
	if !plain(s) {
		q, _ := json.Marshal(s)
		return append(b, q...)
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// plain reports whether s is printable ASCII without '"' or '\\', which a
// JSON string holds as they are. Eight bytes at a time: a journal record
// checks every ID of its page, and a byte at a time was a quarter of a
// commit's CPU.
func plain(s string) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		q, bs := x^(ones*'"'), x^(ones*'\\')
		// Each term has a byte's high bit set only if some byte is below
		// 0x20, is '"', is '\\', or is 0x80 or above (exact for "some").
		if (x-ones*0x20)&^x&highs|(q-ones)&^q&highs|(bs-ones)&^bs&highs|x&highs != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
