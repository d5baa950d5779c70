package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/wodlekit/wodlekit/runtime/safefs"
)

// openDir opens the directory of the state file at path (created 0700 when
// missing) through safefs, and refuses to go on if the directory, or any file
// of this instance in it (lock, state, temporary, .prev, .corrupt-*), could
// have been planted by someone other than root. Every file of the instance is
// then reached through the returned handle only.
func openDir(path string) (*safefs.Dir, error) {
	d, err := safefs.MkdirOpen(filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	base := filepath.Base(path)
	if err := d.Check(func(n string) bool { return n == base || strings.HasPrefix(n, base+".") }); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// readFile reads the state file or its previous copy without following
// links, as one string (see decodeFile).
func (s *Store) readFile(path string) (string, error) {
	return s.dir.ReadFileString(filepath.Base(path))
}

// durableEvery is how often a page's commit also reaches the disk itself
// (fsync) rather than the page cache only. A commit that is not synced
// already survives a kill of the process at any moment (the kernel owns
// the written file); only a power cut or kernel crash can take it back, and
// then the store resumes from the newest synced copy, which is never ahead
// of delivery: at most this long of pages, plus the run's pending part that
// a restarted wazuh-modulesd discards anyway, is collected again. Syncing
// every page cost most of a backlog's run time (two fsyncs a page).
const durableEvery = time.Second

// persist returns once the changes up to generation gen are written, and
// on disk itself when sync is set. A change is written as a journal record
// (journal.go) or, when sync is set, durableEvery passed since the last
// synced write, the journal is not ready or too long, in a new snapshot
// that is synced (a compaction). Writes take every change made meanwhile
// (group commit): a committer that waited for another's write finds its
// change written with it, or writes every change made meanwhile at once.
// Each caller still returns only when its own change is written, or with
// the error of a write that should have written it.
func (s *Store) persist(gen uint64, sync bool) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if gen <= s.written && (!sync || !s.junsynced) {
		if !sync || s.durable {
			return nil
		}
		if err := s.syncCurrent(); err != nil {
			return fmt.Errorf("state %s: %w", s.path, err)
		}
		return nil
	}
	s.mu.Lock()
	cur := s.gen
	now := s.now()
	if !sync && s.jready && !s.jstale && now.Sub(s.synced) < durableEvery && s.jsize+int64(len(s.jbuf)) <= journalMax {
		s.jbuf, s.jout = s.jout[:0], s.jbuf
		s.mu.Unlock()
		if err := s.appendJournal(s.jout); err != nil {
			return fmt.Errorf("state %s: %w", s.path, err)
		}
		s.written = cur
		return nil
	}
	id := newJournalID()
	data := s.snapshotLocked(id)
	var owner *Owner
	if s.staging && s.pendOwner != nil {
		o := *s.pendOwner
		owner = &o
	}
	s.jbuf, s.jstale = s.jbuf[:0], false
	s.mu.Unlock()
	// Until the journal restarts under the new snapshot, nothing may be
	// appended to it: its records are in the snapshot.
	s.jready = false
	if err := s.writeAtomic(data); err != nil {
		return fmt.Errorf("state %s: %w", s.path, err)
	}
	s.synced = now
	if err := s.restartJournal(id, owner); err != nil {
		return fmt.Errorf("state %s: %w", s.path, err)
	}
	s.written = cur
	return nil
}

// Close releases the open journal and directory; the store must not be
// used afterwards. Every commit was written when it returned, so Close
// writes nothing.
func (s *Store) Close() error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	var err error
	if s.jfile != nil {
		err = s.jfile.Close()
		s.jfile, s.jready = nil, false
	}
	return errors.Join(err, s.dir.Close())
}

func (s *Store) step(name string, f *os.File) error {
	if s.hook == nil {
		return nil
	}
	return s.hook(name, f)
}

// writeAtomic writes the parts of data, one after the other, as the new
// file, synced, and guarantees that at every instant either the old or the
// new file is complete at path (or, on filesystems without hard links, at
// path.prev, which Open falls back to), and that path.prev is always a
// synced file.
func (s *Store) writeAtomic(data [][]byte) (err error) {
	base := filepath.Base(s.path)
	f, tmp, err := s.dir.CreateTemp(base + ".tmp-")
	if err != nil {
		return err
	}
	closed := false
	defer func() {
		if err != nil {
			if !closed {
				f.Close()
			}
			_ = s.dir.Remove(tmp)
		}
	}()
	for _, part := range data {
		if _, err = f.Write(part); err != nil {
			return err
		}
	}
	if err = s.step("written", f); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	closed = true
	if err = f.Close(); err != nil {
		return err
	}
	if err = s.step("synced", nil); err != nil {
		return err
	}
	// A file not known to be synced (found by Open, or whose directory
	// sync failed) is replaced without becoming the previous copy, which
	// then stays the older synced one.
	if s.durable {
		if err = s.keepPrevious(); err != nil {
			return fmt.Errorf("keeping previous copy: %w", err)
		}
		if err = s.step("prev", nil); err != nil {
			return err
		}
	}
	if err = s.dir.Rename(tmp, base); err != nil {
		return err
	}
	s.durable = false
	if err = s.step("renamed", nil); err != nil {
		return err
	}
	if err = s.syncDir(); err != nil {
		return err
	}
	s.durable = true
	return nil
}

// syncFile makes the file name (if any) durable, and says so to the hook.
func (s *Store) syncFile(name string) error {
	f, err := s.dir.OpenFile(name, os.O_RDONLY)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", f.Name(), err)
	}
	return s.step("current synced", f)
}

// syncCurrent makes the newest write durable without writing it again.
func (s *Store) syncCurrent() error {
	if err := s.syncFile(filepath.Base(s.path)); err != nil {
		return err
	}
	if err := s.syncDir(); err != nil {
		return err
	}
	s.durable, s.synced = true, s.now()
	return nil
}

// keepPrevious hard-links the current file to path.prev through a temporary
// name, so path is never absent and path.prev is always a whole file.
func (s *Store) keepPrevious() error {
	base := filepath.Base(s.path)
	prev := filepath.Base(s.prevPath())
	ptmp := prev + ".tmp"
	if err := s.dir.Remove(ptmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	err := s.dir.Link(base, ptmp)
	switch {
	case err == nil:
		return s.dir.Rename(ptmp, prev)
	case errors.Is(err, fs.ErrNotExist):
		return nil // first write: nothing to keep
	default:
		// No hard links here (some FUSE/SMB mounts): moving is still safe
		// because Open resumes from .prev when path is missing.
		return s.dir.Rename(base, prev)
	}
}

// syncDir makes the renames durable; without it a power cut can bring back the old directory entry.
func (s *Store) syncDir() error {
	if err := s.dir.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("syncing directory %s: %w", s.dir.Path(), err)
	}
	return nil
}
