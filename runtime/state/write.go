package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

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

// readFile reads the state file or its previous copy without following links.
func (s *Store) readFile(path string) ([]byte, error) {
	return s.dir.ReadFile(filepath.Base(path))
}

// persist returns once a snapshot of generation gen or newer is on disk.
// The snapshot is taken when the write starts, not when the change was
// made: a committer that waited for another's write finds its change
// written with it, or writes every change made meanwhile in one file
// (group commit). Each caller still returns only when its own change is
// durable, or with the error of a write that should have made it so.
func (s *Store) persist(gen uint64) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if gen <= s.written {
		return nil
	}
	s.mu.Lock()
	cur := s.gen
	data := s.snapshotLocked()
	s.mu.Unlock()
	if err := s.writeAtomic(data); err != nil {
		return fmt.Errorf("state %s: %w", s.path, err)
	}
	s.written = cur
	return nil
}

func (s *Store) step(name string, f *os.File) error {
	if s.hook == nil {
		return nil
	}
	return s.hook(name, f)
}

// writeAtomic guarantees that at every instant either the old or the new
// file is complete at path (or, on filesystems without hard links, at
// path.prev, which Open falls back to).
func (s *Store) writeAtomic(data []byte) (err error) {
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
	if _, err = f.Write(data); err != nil {
		return err
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
	if err = s.keepPrevious(); err != nil {
		return fmt.Errorf("keeping previous copy: %w", err)
	}
	if err = s.step("prev", nil); err != nil {
		return err
	}
	if err = s.dir.Rename(tmp, base); err != nil {
		return err
	}
	if err = s.step("renamed", nil); err != nil {
		return err
	}
	return s.syncDir()
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
