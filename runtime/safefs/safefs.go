// Package safefs opens the files the collector writes (lock, state and its
// companions, log) without trusting any path another user can change. The
// binary runs as root inside Wazuh's tree, whose parent directories the wazuh
// user can write: a symlink or a hard link planted there, or a whole directory
// swapped, would otherwise redirect root's writes to any file on the host.
//
// The rules, in one place:
//   - A directory is opened without following a symlink at its last
//     component, and checked on the open handle (fstat): a directory owned by
//     root or the effective user, with no group or other write bit. Every file
//     operation is relative to that handle (openat, renameat, linkat,
//     unlinkat), so swapping the directory afterwards changes nothing.
//   - Files are opened with O_NOFOLLOW and checked on the open descriptor
//     before anything is written or truncated: a regular file, owned by root
//     or the effective user, and, when opened for writing, with one link.
//     Files are created 0600, existing ones opened for writing tightened to it.
//   - Check refuses, before a run touches anything, a name of ours that is a
//     symlink, not a regular file, owned by someone else, or linked from
//     outside the names of ours (the state and its .prev share one inode
//     between two steps of a write; a crash there is ours, not an attack).
//
// "Root" is the effective user when the program does not run as root (a
// developer, the tests): files and directories must then belong to root or to
// that user.
package safefs

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// ErrUnsafe is matched (errors.Is) by every refusal of this package.
var ErrUnsafe = errors.New("unsafe file or directory")

// UnsafeError is a refusal: Path is what was refused and Reason says why, in
// words an admin can act on.
type UnsafeError struct {
	Path, Reason string
}

func (e *UnsafeError) Error() string {
	return fmt.Sprintf("refusing %s: %s", e.Path, e.Reason)
}

// Is makes errors.Is(err, ErrUnsafe) true.
func (e *UnsafeError) Is(target error) bool { return target == ErrUnsafe }

func unsafe(path, format string, args ...any) error {
	return &UnsafeError{Path: path, Reason: fmt.Sprintf(format, args...)}
}

// trustedUID reports whether uid may own what we write: root, or the
// effective user when that is not root.
func trustedUID(uid uint32) bool {
	return uid == 0 || int(uid) == os.Geteuid()
}

func owner() string {
	if os.Geteuid() == 0 {
		return "root"
	}
	return fmt.Sprintf("root or uid %d (the effective user)", os.Geteuid())
}

// Dir is an open directory that passed the checks; files are reached only
// through it. Safe for concurrent use.
type Dir struct {
	f    *os.File
	path string
	mu   sync.Mutex // guards the directory offset during Names
}

// MkdirOpen creates path with its missing parents (0700) and opens it with OpenDir.
func MkdirOpen(path string) (*Dir, error) {
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, fmt.Errorf("creating directory %s: %w", path, err)
	}
	return OpenDir(path)
}

// OpenDir opens path as a directory without following a symlink at its last
// component and checks the handle: owned by root (or the effective user) and
// writable by no one else. Symlinks in the components above are followed, so
// an admin may relocate /var/ossec; whoever can rename the last component can
// only substitute a directory that passes the same checks.
func OpenDir(path string) (*Dir, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) {
			if fi, lerr := os.Lstat(path); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
				target, _ := os.Readlink(path)
				return nil, unsafe(path, "the directory is a symbolic link (to %s): whoever can write its parent could point it anywhere; make it a real directory owned by %s, mode 0700", target, owner())
			}
		}
		return nil, fmt.Errorf("opening directory %s: %w", path, &fs.PathError{Op: "open", Path: path, Err: err})
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("checking directory %s: %w", path, err)
	}
	if err := checkDir(path, &st); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return &Dir{f: os.NewFile(uintptr(fd), path), path: path}, nil
}

func checkDir(path string, st *unix.Stat_t) error {
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return unsafe(path, "not a directory")
	}
	if !trustedUID(st.Uid) {
		return unsafe(path, "the directory belongs to uid %d, not to %s: its owner could redirect this program's writes; chown it to %s and chmod 0700", st.Uid, owner(), owner())
	}
	perm := st.Mode & 0o7777
	switch {
	case perm&0o002 != 0:
		return unsafe(path, "the directory is writable by every user (mode %04o): anyone could plant links in it; use a directory of its own, mode 0700", perm)
	case perm&0o020 != 0:
		return unsafe(path, "the directory is writable by its group (gid %d, mode %04o): a member of that group (the wazuh user, for Wazuh's directories) could plant links in it; chmod 0700 it (run.sh does so for the packaged directories)", st.Gid, perm)
	}
	return nil
}

// Path is the directory's path, for messages.
func (d *Dir) Path() string { return d.path }

// Join is name inside the directory, for messages.
func (d *Dir) Join(name string) string { return filepath.Join(d.path, name) }

// Close releases the handle.
func (d *Dir) Close() error { return d.f.Close() }

// fd returns the descriptor; callers keep d alive until their syscall returns.
func (d *Dir) fd() int { return int(d.f.Fd()) }

// OpenFile opens name inside d without following a symlink, creating it 0600
// when flag has O_CREATE, and checks the descriptor before returning it: a
// regular file owned by root (or the effective user) and, when opened for
// writing, with exactly one link. O_TRUNC is refused: truncate through the
// returned file after the checks.
func (d *Dir) OpenFile(name string, flag int) (*os.File, error) {
	path := d.Join(name)
	if flag&os.O_TRUNC != 0 {
		return nil, fmt.Errorf("opening %s: O_TRUNC would truncate before the checks; truncate the returned file instead", path)
	}
	// Look before opening: opening a device can act on it (a tape rewinds).
	var pre unix.Stat_t
	if err := unix.Fstatat(d.fd(), name, &pre, unix.AT_SYMLINK_NOFOLLOW); err == nil {
		if pre.Mode&unix.S_IFMT == unix.S_IFLNK {
			return nil, symlinkError(d, name)
		}
		if err := checkFile(path, &pre, false); err != nil {
			return nil, err
		}
	}
	// O_NOFOLLOW and the checks on the descriptor hold even if the name
	// changed since; O_NONBLOCK: a FIFO must not hang the run.
	fd, err := unix.Openat(d.fd(), name, flag|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, 0o600)
	defer keepAlive(d)
	if err != nil {
		if errors.Is(err, unix.ELOOP) {
			return nil, symlinkError(d, name)
		}
		if errors.Is(err, unix.ENXIO) {
			return nil, unsafe(path, "not a regular file (a FIFO or socket); remove it after checking who created it")
		}
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, &fs.PathError{Op: "fstat", Path: path, Err: err}
	}
	writing := flag&(os.O_WRONLY|os.O_RDWR) != 0
	if err := checkFile(path, &st, writing); err != nil {
		unix.Close(fd)
		return nil, err
	}
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return nil, &fs.PathError{Op: "fcntl", Path: path, Err: err}
	}
	if writing && st.Mode&0o077 != 0 {
		// Written by an older release with group read: only root reads these.
		if err := unix.Fchmod(fd, 0o600); err != nil {
			unix.Close(fd)
			return nil, &fs.PathError{Op: "chmod", Path: path, Err: err}
		}
	}
	return os.NewFile(uintptr(fd), path), nil
}

func checkFile(path string, st *unix.Stat_t, writing bool) error {
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return unsafe(path, "not a regular file (%s); this program writes only regular files it created itself", kind(st.Mode))
	}
	if !trustedUID(st.Uid) {
		return unsafe(path, "the file belongs to uid %d, not to %s: someone else created it; remove it after checking", st.Uid, owner())
	}
	if writing && st.Nlink != 1 {
		return unsafe(path, "the file has %d hard links: another name elsewhere (it may be a file such as ossec.conf) would receive this program's writes; remove this name after checking", st.Nlink)
	}
	return nil
}

func kind(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return "a directory"
	case unix.S_IFLNK:
		return "a symbolic link"
	case unix.S_IFCHR:
		return "a character device"
	case unix.S_IFBLK:
		return "a block device"
	case unix.S_IFIFO:
		return "a FIFO"
	case unix.S_IFSOCK:
		return "a socket"
	}
	return fmt.Sprintf("file type %#o", mode&unix.S_IFMT)
}

func symlinkError(d *Dir, name string) error {
	buf := make([]byte, 4096)
	n, err := unix.Readlinkat(d.fd(), name, buf)
	keepAlive(d)
	to := "?"
	if err == nil {
		to = string(buf[:n])
	}
	return unsafe(d.Join(name), "it is a symbolic link (to %s): this program creates none, so someone who could write the directory planted it; remove it after checking", to)
}

// ReadFile reads name inside d, opened as OpenFile does for reading, into
// one buffer of the file's size (grown only if the file grew meanwhile):
// read through io.ReadAll's doublings, the state file (a few hundred KB)
// left about twice its size of garbage at the start of every run.
func (d *Dir) ReadFile(name string) ([]byte, error) {
	f, size, err := d.openSized(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// One byte more: the read that finds the end needs room to try.
	data := make([]byte, 0, size+1)
	for {
		n, err := f.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			return data, err
		}
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
	}
}

// ReadFileString is ReadFile into a string, read a piece at a time into
// a strings.Builder of the file's size: the state's decoder takes its
// strings as substrings of the file, which as string(ReadFile(...)) was
// read once and copied once.
func (d *Dir) ReadFileString(name string) (string, error) {
	f, size, err := d.openSized(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var b strings.Builder
	b.Grow(size)
	var piece [16 << 10]byte
	for {
		n, err := f.Read(piece[:])
		b.Write(piece[:n])
		if err == io.EOF {
			return b.String(), nil
		}
		if err != nil {
			return b.String(), err
		}
	}
}

// openSized opens name for reading as OpenFile does, with its size (0
// when unknown).
func (d *Dir) openSized(name string) (*os.File, int, error) {
	f, err := d.OpenFile(name, os.O_RDONLY)
	if err != nil {
		return nil, 0, err
	}
	size := 0
	if fi, err := f.Stat(); err == nil && fi.Size() < 1<<30 {
		size = int(fi.Size())
	}
	return f, size, nil
}

// CreateTemp creates a new file prefix+random inside d, 0600, never reusing
// an existing name; it returns the file and its name.
func (d *Dir) CreateTemp(prefix string) (*os.File, string, error) {
	for range 100 {
		var b [6]byte
		_, _ = rand.Read(b[:])
		name := prefix + hex.EncodeToString(b[:])
		f, err := d.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, name, err
	}
	return nil, "", fmt.Errorf("creating a temporary file %s* in %s: too many names taken", prefix, d.path)
}

// Rename moves oldName to newName inside d, replacing newName's directory
// entry (a link there is replaced, never followed).
func (d *Dir) Rename(oldName, newName string) error {
	err := unix.Renameat(d.fd(), oldName, d.fd(), newName)
	keepAlive(d)
	if err != nil {
		return &os.LinkError{Op: "rename", Old: d.Join(oldName), New: d.Join(newName), Err: err}
	}
	return nil
}

// Link makes newName a second name of oldName inside d (a symlink at oldName
// is linked itself, not followed).
func (d *Dir) Link(oldName, newName string) error {
	err := unix.Linkat(d.fd(), oldName, d.fd(), newName, 0)
	keepAlive(d)
	if err != nil {
		return &os.LinkError{Op: "link", Old: d.Join(oldName), New: d.Join(newName), Err: err}
	}
	return nil
}

// Remove deletes the name inside d (a symlink itself, never its target).
func (d *Dir) Remove(name string) error {
	err := unix.Unlinkat(d.fd(), name, 0)
	keepAlive(d)
	if err != nil {
		return &fs.PathError{Op: "remove", Path: d.Join(name), Err: err}
	}
	return nil
}

// Info is what Lstat tells about a name.
type Info struct {
	Name    string
	Regular bool
	ModTime time.Time
	st      unix.Stat_t
}

// Lstat describes name inside d without following a symlink; a missing name
// gives an error matching fs.ErrNotExist.
func (d *Dir) Lstat(name string) (Info, error) {
	var st unix.Stat_t
	err := unix.Fstatat(d.fd(), name, &st, unix.AT_SYMLINK_NOFOLLOW)
	keepAlive(d)
	if err != nil {
		return Info{}, &fs.PathError{Op: "lstat", Path: d.Join(name), Err: err}
	}
	return Info{Name: name, Regular: st.Mode&unix.S_IFMT == unix.S_IFREG,
		ModTime: time.Unix(st.Mtim.Unix()), st: st}, nil
}

// Names lists the names inside d for which match is true, sorted.
func (d *Dir) Names(match func(string) bool) ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, err := d.f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("listing %s: %w", d.path, err)
	}
	all, err := d.f.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", d.path, err)
	}
	var out []string
	for _, n := range all {
		if match(n) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Check refuses, with the first problem found, any name inside d for which
// match is true that is not a regular file owned by root (or the effective
// user), or that has links other than names that match: those are the
// program's own names, and a hard link between two of them is its own doing.
// Run it before writing anything, so a planted link stops the run with a clear
// error even where the program would only have replaced it.
func (d *Dir) Check(match func(string) bool) error {
	names, err := d.Names(match)
	if err != nil {
		return err
	}
	type inode struct{ dev, ino uint64 }
	infos := make([]Info, 0, len(names))
	ours := map[inode]int{}
	for _, n := range names {
		fi, err := d.Lstat(n)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since the listing (by us, or by root)
		}
		if err != nil {
			return err
		}
		if fi.st.Mode&unix.S_IFMT == unix.S_IFLNK {
			return symlinkError(d, n)
		}
		if err := checkFile(d.Join(n), &fi.st, false); err != nil {
			return err
		}
		infos = append(infos, fi)
		ours[inode{fi.st.Dev, fi.st.Ino}]++
	}
	for _, fi := range infos {
		if n := ours[inode{fi.st.Dev, fi.st.Ino}]; uint64(fi.st.Nlink) > uint64(n) {
			return unsafe(d.Join(fi.Name), "the file has %d hard links, %d of them outside this program's files: a name elsewhere (it may be a file such as ossec.conf) shares it; remove %s after checking", fi.st.Nlink, uint64(fi.st.Nlink)-uint64(n), fi.Name)
		}
	}
	return nil
}

// Sync makes the directory's entries durable (after renames).
func (d *Dir) Sync() error { return d.f.Sync() }

// keepAlive stops the finalizer of d's file from closing the descriptor
// while a raw syscall still uses it.
func keepAlive(d *Dir) { runtime.KeepAlive(d.f) }
