package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// persist writes the snapshot of generation gen unless a newer one is already
// on disk: that newer snapshot includes this change, so the caller's data is
// durable either way and concurrent committers coalesce.
func (s *Store) persist(gen uint64, data []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if gen <= s.written {
		return nil
	}
	if err := s.writeAtomic(data); err != nil {
		return fmt.Errorf("state %s: %w", s.path, err)
	}
	s.written = gen
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
	dir := filepath.Dir(s.path)
	f, err := os.CreateTemp(dir, filepath.Base(s.path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	closed := false
	defer func() {
		if err != nil {
			if !closed {
				f.Close()
			}
			os.Remove(tmp)
		}
	}()
	// CreateTemp makes 0600; the group (e.g. wazuh) may need to read state.
	if err = f.Chmod(0o640); err != nil {
		return err
	}
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
	if err = os.Rename(tmp, s.path); err != nil {
		return err
	}
	if err = s.step("renamed", nil); err != nil {
		return err
	}
	return syncDir(dir)
}

// keepPrevious hard-links the current file to path.prev through a temporary
// name, so path is never absent and path.prev is always a whole file.
func (s *Store) keepPrevious() error {
	prev := s.prevPath()
	ptmp := prev + ".tmp"
	if err := os.Remove(ptmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	err := os.Link(s.path, ptmp)
	switch {
	case err == nil:
		return os.Rename(ptmp, prev)
	case errors.Is(err, fs.ErrNotExist):
		return nil // first write: nothing to keep
	default:
		// No hard links here (some FUSE/SMB mounts): moving is still safe
		// because Open resumes from .prev when path is missing.
		return os.Rename(s.path, prev)
	}
}

// syncDir makes the renames durable; without it a power cut can bring back the old directory entry.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	cerr := d.Close()
	if err != nil && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return cerr
}
