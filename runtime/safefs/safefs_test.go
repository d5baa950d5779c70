package safefs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/wodlekit/wodlekit/runtime/internal/race"
)

func dir(t *testing.T) (*Dir, string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "d")
	d, err := MkdirOpen(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, p
}

func TestOpenFileCreates0600(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	d, p := dir(t)
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o700 {
		t.Fatalf("directory mode %v, want 0700", fi.Mode())
	}
	f, err := d.OpenFile("x", os.O_WRONLY|os.O_CREATE|os.O_APPEND)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if fi, _ := os.Stat(filepath.Join(p, "x")); fi.Mode().Perm() != 0o600 {
		t.Fatalf("file mode %v, want 0600", fi.Mode())
	}
	// An existing file written by an older release (0640) is tightened.
	if err := os.Chmod(filepath.Join(p, "x"), 0o640); err != nil {
		t.Fatal(err)
	}
	f, err = d.OpenFile("x", os.O_WRONLY|os.O_APPEND)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if fi, _ := os.Stat(filepath.Join(p, "x")); fi.Mode().Perm() != 0o600 {
		t.Fatalf("reopened file mode %v, want 0600", fi.Mode())
	}
}

func TestOpenFileRefuses(t *testing.T) {
	cases := []struct {
		name, want string
		plant      func(t *testing.T, p, outside string)
	}{
		{"symlink", "symbolic link", func(t *testing.T, p, outside string) { must(t, os.Symlink(outside, p)) }},
		{"dangling symlink", "symbolic link", func(t *testing.T, p, outside string) { must(t, os.Symlink(outside+".new", p)) }},
		{"hard link", "2 hard links", func(t *testing.T, p, outside string) { must(t, os.Link(outside, p)) }},
		{"fifo", "FIFO", func(t *testing.T, p, _ string) { must(t, syscall.Mkfifo(p, 0o600)) }},
		{"directory", "a directory", func(t *testing.T, p, _ string) { must(t, os.Mkdir(p, 0o700)) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, p := dir(t)
			outside := filepath.Join(filepath.Dir(p), "outside")
			must(t, os.WriteFile(outside, []byte("keep"), 0o600))
			tc.plant(t, filepath.Join(p, "x"), outside)
			for _, flag := range []int{os.O_WRONLY | os.O_APPEND | os.O_CREATE, os.O_RDWR | os.O_CREATE} {
				f, err := d.OpenFile("x", flag)
				if err == nil {
					f.Close()
				}
				if !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("flag %#x: want a refusal mentioning %q, got %v", flag, tc.want, err)
				}
			}
			err := d.Check(func(n string) bool { return n == "x" })
			if !errors.Is(err, ErrUnsafe) {
				t.Errorf("Check: want a refusal, got %v", err)
			}
			if b, _ := os.ReadFile(outside); string(b) != "keep" {
				t.Errorf("outside file changed: %q", b)
			}
			if _, err := os.Stat(outside + ".new"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("a dangling symlink's target was created")
			}
		})
	}
}

func TestOpenFileRefusesTruncFlag(t *testing.T) {
	d, _ := dir(t)
	if _, err := d.OpenFile("x", os.O_RDWR|os.O_CREATE|os.O_TRUNC); err == nil {
		t.Fatal("O_TRUNC accepted")
	}
}

func TestOpenDirRefuses(t *testing.T) {
	root := t.TempDir()
	real := filepath.Join(root, "real")
	must(t, os.Mkdir(real, 0o700))
	must(t, os.Symlink(real, filepath.Join(root, "link")))
	if _, err := OpenDir(filepath.Join(root, "link")); !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("symlinked directory: %v", err)
	}
	// A symlink above the last component is followed (an admin may move /var/ossec).
	must(t, os.Mkdir(filepath.Join(real, "sub"), 0o700))
	if d, err := OpenDir(filepath.Join(root, "link", "sub")); err != nil {
		t.Errorf("symlink above the last component: %v", err)
	} else {
		d.Close()
	}
	for _, mode := range []os.FileMode{0o770, 0o730, 0o707, 0o777 | os.ModeSticky} {
		must(t, os.Chmod(real, mode))
		if _, err := OpenDir(real); !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), "writable by") {
			t.Errorf("mode %v: %v", mode, err)
		}
	}
	for _, mode := range []os.FileMode{0o700, 0o750, 0o755} {
		must(t, os.Chmod(real, mode))
		d, err := OpenDir(real)
		if err != nil {
			t.Errorf("mode %v refused: %v", mode, err)
			continue
		}
		d.Close()
	}
	if _, err := OpenDir(filepath.Join(root, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing directory: %v", err)
	}
}

// A directory swapped after it was opened changes nothing: writes go to the
// directory that passed the checks.
func TestSwappedDirectoryDoesNotRedirect(t *testing.T) {
	d, p := dir(t)
	moved := p + ".moved"
	must(t, os.Rename(p, moved))
	other := filepath.Join(filepath.Dir(p), "other")
	must(t, os.Mkdir(other, 0o700))
	must(t, os.Symlink(other, p))
	f, err := d.OpenFile("x", os.O_WRONLY|os.O_CREATE)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := os.Stat(filepath.Join(moved, "x")); err != nil {
		t.Errorf("not written in the checked directory: %v", err)
	}
	if ents, _ := os.ReadDir(other); len(ents) != 0 {
		t.Errorf("written through the swapped path: %v", ents)
	}
}

func TestCheckAcceptsOwnLinks(t *testing.T) {
	d, p := dir(t)
	must(t, os.WriteFile(filepath.Join(p, "s"), []byte("1"), 0o600))
	must(t, os.Link(filepath.Join(p, "s"), filepath.Join(p, "s.prev")))
	ours := func(n string) bool { return strings.HasPrefix(n, "s") }
	if err := d.Check(ours); err != nil {
		t.Fatalf("two names of ours for one file: %v", err)
	}
	must(t, os.Link(filepath.Join(p, "s"), filepath.Join(filepath.Dir(p), "elsewhere")))
	if err := d.Check(ours); !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), "1 of them outside") {
		t.Fatalf("a third link outside: %v", err)
	}
}

func TestCreateTempSkipsTakenNames(t *testing.T) {
	d, p := dir(t)
	f, name, err := d.CreateTemp("s.tmp-")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if !strings.HasPrefix(name, "s.tmp-") {
		t.Fatalf("name %q", name)
	}
	if fi, err := os.Lstat(filepath.Join(p, name)); err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
		t.Fatalf("temp file: %v %v", fi, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestReadFileReadsOnceAtSize: ReadFile gives the whole file in a buffer
// of its size (one byte more for the read that finds the end), not the
// doublings of io.ReadAll: the state file is read at every run's start.
func TestReadFileReadsOnceAtSize(t *testing.T) {
	d, p := dir(t)
	for _, size := range []int{0, 1, 511, 512, 4096, 300_000} {
		want := []byte(strings.Repeat("0123456789abcdef", size/16+1)[:size])
		must(t, os.WriteFile(filepath.Join(p, "f"), want, 0o600))
		got, err := d.ReadFile("f")
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("%d bytes: read %d bytes that differ", size, len(got))
		}
		if cap(got) > size+1 {
			t.Errorf("%d bytes read into a buffer of %d", size, cap(got))
		}
	}
}

// TestReadFileStringAllocatesItsSize: ReadFileString gives the whole file
// as a string that is not a copy of a byte slice read first: what it
// allocates is about the file's size, not twice it.
func TestReadFileStringAllocatesItsSize(t *testing.T) {
	if race.Enabled {
		t.Skip("the race detector changes what allocates; make test-go runs this without it")
	}
	d, p := dir(t)
	for _, size := range []int{0, 1, 16 << 10, 300_000} {
		want := strings.Repeat("0123456789abcdef", size/16+1)[:size]
		must(t, os.WriteFile(filepath.Join(p, "f"), []byte(want), 0o600))
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		got, err := d.ReadFileString("f")
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("%d bytes: read %d bytes that differ", size, len(got))
		}
		// Opening the file and the piece read into cost a few KB more.
		if allocated := after.TotalAlloc - before.TotalAlloc; allocated > uint64(size)+32<<10 {
			t.Errorf("%d bytes: %d bytes allocated", size, allocated)
		}
	}
}
