package state

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// ErrLocked is matched (errors.Is) by Lock's error when another run holds the lock.
var ErrLocked = errors.New("state file is locked by another run")

type lockedError struct {
	path, lockPath, holder string
}

func (e *lockedError) Error() string {
	return fmt.Sprintf("another run of %s is in progress (lock %s, held by pid %s)", e.path, e.lockPath, e.holder)
}

func (e *lockedError) Is(target error) bool { return target == ErrLocked }

// Lock stops two runs of one instance from interleaving cursors. It uses
// flock on path+".lock" so the kernel releases it when the holder dies: a
// stale lock file is simply locked again. The lock file is never removed,
// because removing it would let two runs lock two different inodes. A
// directory or a file of the instance that breaks the file-safety rules
// (see openDir) is refused with an error matching safefs.ErrUnsafe.
func Lock(path string) (release func() error, err error) {
	lockPath := path + ".lock"
	dir, err := openDir(path)
	if err != nil {
		return nil, fmt.Errorf("state lock %s: %w", lockPath, err)
	}
	// Opened without following links and checked (one link, ours) before the
	// truncate below can touch it.
	f, err := dir.OpenFile(filepath.Base(lockPath), os.O_RDWR|os.O_CREATE)
	dir.Close()
	if err != nil {
		return nil, fmt.Errorf("state lock %s: %w", lockPath, err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		holder := "unknown"
		if errors.Is(err, syscall.EWOULDBLOCK) {
			buf := make([]byte, 32)
			n, _ := f.ReadAt(buf, 0)
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(buf[:n]))); perr == nil && pid > 0 {
				holder = strconv.Itoa(pid)
			}
			f.Close()
			return nil, &lockedError{path: path, lockPath: lockPath, holder: holder}
		}
		f.Close()
		return nil, fmt.Errorf("state lock %s: %w", lockPath, err)
	}
	// The pid is only a hint for the error message above; failing to write it
	// must not stop the run.
	if f.Truncate(0) == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	var once sync.Once
	var rerr error
	return func() error {
		once.Do(func() { rerr = unlock(f, lockPath) })
		return rerr
	}, nil
}

func unlock(f *os.File, lockPath string) error {
	// Clear the pid first so a failed locker never names a finished run.
	_ = f.Truncate(0)
	uerr := syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	cerr := f.Close()
	if uerr != nil {
		return fmt.Errorf("state lock %s: unlock: %w", lockPath, uerr)
	}
	if cerr != nil {
		return fmt.Errorf("state lock %s: %w", lockPath, cerr)
	}
	return nil
}
