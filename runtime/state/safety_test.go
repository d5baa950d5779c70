package state

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wodlekit/wodlekit/runtime/safefs"
)

// plantedDir returns a state path in a fresh directory and a file outside it
// standing for a file such as ossec.conf.
func plantedDir(t *testing.T) (path, outside string) {
	t.Helper()
	root := t.TempDir()
	outside = filepath.Join(root, "ossec.conf")
	if err := os.WriteFile(outside, []byte("<ossec_config/>\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, "state"), 0o700); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "state", "default.state.json"), outside
}

// Every name the store writes, planted as a symlink or a hard link to a file
// outside: Lock and Open refuse with ErrUnsafe, name the file, and the
// outside file is unchanged. The store's own files are also created 0600.
func TestPlantedLinksRefused(t *testing.T) {
	names := []string{".lock", "", ".tmp-123456789abc", ".prev", ".prev.tmp", ".corrupt-20260101T000000Z"}
	for _, suffix := range names {
		for _, kind := range []string{"symlink", "hardlink"} {
			t.Run(kind+"/"+suffix, func(t *testing.T) {
				path, outside := plantedDir(t)
				planted := path + suffix
				var err error
				if kind == "symlink" {
					err = os.Symlink(outside, planted)
				} else {
					err = os.Link(outside, planted)
				}
				if err != nil {
					t.Fatal(err)
				}
				before, _ := os.ReadFile(outside)
				_, lerr := Lock(path)
				_, _, oerr := Open(path, opts())
				for what, err := range map[string]error{"Lock": lerr, "Open": oerr} {
					if !errors.Is(err, safefs.ErrUnsafe) || !strings.Contains(err.Error(), planted) {
						t.Errorf("%s: want a refusal naming %s, got %v", what, planted, err)
					}
				}
				if after, _ := os.ReadFile(outside); !bytes.Equal(before, after) {
					t.Errorf("outside file changed: %q", after)
				}
			})
		}
	}
}

// The directory itself: a symlink to another directory, or writable by
// others, is refused before any file in it is touched.
func TestUnsafeStateDirRefused(t *testing.T) {
	t.Run("symlink", func(t *testing.T) {
		root := t.TempDir()
		real := filepath.Join(root, "elsewhere")
		if err := os.Mkdir(real, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(real, filepath.Join(root, "state")); err != nil {
			t.Fatal(err)
		}
		_, err := Lock(filepath.Join(root, "state", "s.json"))
		if !errors.Is(err, safefs.ErrUnsafe) || !strings.Contains(err.Error(), "symbolic link") {
			t.Fatalf("want refusal of the symlinked directory, got %v", err)
		}
		if ents, _ := os.ReadDir(real); len(ents) != 0 {
			t.Fatalf("files written through the symlink: %v", ents)
		}
	})
	for _, mode := range []os.FileMode{0o770, 0o777, 0o1777} {
		t.Run(mode.String(), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "state")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, mode); err != nil {
				t.Fatal(err)
			}
			_, _, err := Open(filepath.Join(dir, "s.json"), opts())
			if !errors.Is(err, safefs.ErrUnsafe) || !strings.Contains(err.Error(), "writable by") {
				t.Fatalf("want refusal of a %v directory, got %v", mode, err)
			}
		})
	}
}

// A crash between keeping .prev and renaming the new file leaves the state
// and .prev as two names of one inode: that link is the store's own and must
// not stop the next run.
func TestOwnLinkBetweenStateAndPrevAccepted(t *testing.T) {
	path, _ := plantedDir(t)
	o, clock := clockedOpts()
	s, _ := mustOpen(t, path, o)
	mustCommit(t, s, "m", "1")
	*clock = clock.Add(durableEvery) // the next commit writes a new snapshot
	s.hook = func(step string, _ *os.File) error {
		if step == "prev" {
			return errors.New("crash")
		}
		return nil
	}
	if err := s.Commit("m", []byte("2"), nil); err == nil {
		t.Fatal("hooked commit did not fail")
	}
	a, _ := os.Stat(path)
	b, _ := os.Stat(path + ".prev")
	if !os.SameFile(a, b) {
		t.Fatal("test premise: state and .prev are not one inode after the crash")
	}
	release, err := Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	s2, _ := mustOpen(t, path, opts())
	if got := string(s2.Cursor("m")); got != "1" {
		t.Fatalf("cursor after crash = %q, want 1", got)
	}
	mustCommit(t, s2, "m", "3")
}
