package logx

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/wodlekit/wodlekit/runtime/safefs"
)

func TestLevel(t *testing.T) {
	tests := map[int]slog.Level{-1: slog.LevelWarn, 0: slog.LevelWarn, 1: slog.LevelInfo, 2: slog.LevelDebug, 3: LevelTrace, 9: LevelTrace}
	for debug, want := range tests {
		if got := Level(debug); got != want {
			t.Errorf("Level(%d) = %v, want %v", debug, got, want)
		}
	}
}

// captureStdout fails the test if anything reaches os.Stdout during fn.
func captureStdout(t *testing.T, fn func()) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	fn()
	os.Stdout = old
	w.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(r)
	if b.Len() > 0 {
		t.Errorf("logs reached stdout: %q", b.String())
	}
}

func TestLevelsToStderr(t *testing.T) {
	tests := []struct {
		debug int
		shown []string
		gone  []string
	}{
		{0, []string{"level=WARN msg=w", "level=ERROR msg=e"}, []string{"msg=i", "msg=d", "msg=t"}},
		{1, []string{"level=INFO msg=i", "msg=w"}, []string{"msg=d", "msg=t"}},
		{2, []string{"level=DEBUG msg=d", "msg=i"}, []string{"msg=t"}},
		{3, []string{"level=TRACE msg=t", "msg=d"}, []string{"DEBUG-4"}},
	}
	for _, tc := range tests {
		var stderr bytes.Buffer
		captureStdout(t, func() {
			log, closeFn, err := New(Options{Debug: tc.debug, Stderr: &stderr, Attrs: []slog.Attr{slog.String("vendor", "okta")}})
			if err != nil {
				t.Fatal(err)
			}
			log.Log(t.Context(), LevelTrace, "t")
			log.Debug("d")
			log.Info("i")
			log.Warn("w")
			log.Error("e")
			_ = closeFn()
		})
		out := stderr.String()
		for _, s := range tc.shown {
			if !strings.Contains(out, s) {
				t.Errorf("debug %d: %q missing from %q", tc.debug, s, out)
			}
		}
		for _, s := range tc.gone {
			if strings.Contains(out, s) {
				t.Errorf("debug %d: %q should not be logged: %q", tc.debug, s, out)
			}
		}
		if !strings.Contains(out, "vendor=okta") {
			t.Errorf("attrs missing: %q", out)
		}
	}
}

func TestFileAndRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "wodle.log")
	var stderr bytes.Buffer
	captureStdout(t, func() {
		log, closeFn, err := New(Options{Debug: 1, File: path, MaxBytes: 300, Stderr: &stderr})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 10 {
			log.Info("message", "n", i, "pad", strings.Repeat("x", 40))
		}
		if err := closeFn(); err != nil {
			t.Error(err)
		}
	})
	if stderr.Len() > 0 {
		t.Errorf("with a file, logs also went to stderr: %q", stderr.String())
	}
	cur, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(path + ".1")
	if err != nil {
		t.Fatalf("no rotated file: %v", err)
	}
	if len(cur) > 300 || len(old) > 300 {
		t.Errorf("files exceed the cap: %d and %d bytes", len(cur), len(old))
	}
	if !strings.Contains(string(cur), "n=9") {
		t.Errorf("last line not in the current file: %q", cur)
	}
	if st, _ := os.Stat(path); st.Mode().Perm()&0o007 != 0 {
		t.Errorf("log file mode %v is world-accessible", st.Mode())
	}

	// Reopening appends and counts the existing size.
	log, closeFn, err := New(Options{Debug: 0, File: path, MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	log.Warn("appended")
	_ = closeFn()
	again, _ := os.ReadFile(path)
	if !bytes.HasPrefix(again, cur) || !strings.Contains(string(again), "msg=appended") {
		t.Errorf("reopen did not append: %q", again)
	}
}

func TestNoRotationWhenUnlimited(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.log")
	log, closeFn, err := New(Options{Debug: 1, File: path})
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		log.Info(strings.Repeat("y", 100))
	}
	_ = closeFn()
	if _, err := os.Stat(path + ".1"); !os.IsNotExist(err) {
		t.Errorf("rotated with MaxBytes 0: %v", err)
	}
}

func TestFileErrors(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := New(Options{File: filepath.Join(blocker, "x.log")}); err == nil {
		t.Error("a log path under a regular file must fail")
	}
	if _, _, err := New(Options{File: dir}); err == nil {
		t.Error("a directory as log file must fail")
	}
	// No file and no stderr: discard, no panic.
	log, _, err := New(Options{Debug: 3})
	if err != nil {
		t.Fatal(err)
	}
	log.Error("nowhere")
}

// The log is opened as root in a directory whose parent the wazuh user can
// write: a symlink or hard link planted at the log or its rotated name is
// refused, and the file it points at is unchanged.
func TestPlantedLinksRefused(t *testing.T) {
	for _, name := range []string{"w.log", "w.log.1"} {
		for _, kind := range []string{"symlink", "hardlink"} {
			t.Run(kind+"/"+name, func(t *testing.T) {
				root := t.TempDir()
				outside := filepath.Join(root, "ossec.conf")
				if err := os.WriteFile(outside, []byte("keep"), 0o600); err != nil {
					t.Fatal(err)
				}
				dir := filepath.Join(root, "logs")
				if err := os.Mkdir(dir, 0o700); err != nil {
					t.Fatal(err)
				}
				link := os.Symlink
				if kind == "hardlink" {
					link = os.Link
				}
				if err := link(outside, filepath.Join(dir, name)); err != nil {
					t.Fatal(err)
				}
				_, _, err := New(Options{Debug: 3, File: filepath.Join(dir, "w.log"), MaxBytes: 10})
				if !errors.Is(err, safefs.ErrUnsafe) || !strings.Contains(err.Error(), filepath.Join(dir, name)) {
					t.Fatalf("want a refusal naming %s, got %v", name, err)
				}
				if b, _ := os.ReadFile(outside); string(b) != "keep" {
					t.Fatalf("outside file changed: %q", b)
				}
			})
		}
	}
}

// A device such as /dev/full is not a log file: refused by name, before any
// write could fail silently.
func TestDeviceRefused(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full here:", err)
	}
	_, _, err := New(Options{File: "/dev/full"})
	if !errors.Is(err, safefs.ErrUnsafe) || !strings.Contains(err.Error(), "not a regular file (a character device)") {
		t.Fatalf("want /dev/full refused as a character device, got %v", err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, syscall.ENOSPC }

// Failed writes are counted, to stderr and to the file alike.
func TestFailedWritesCounted(t *testing.T) {
	var n atomic.Int64
	log, _, err := New(Options{Debug: 1, Stderr: failingWriter{}, Failures: &n})
	if err != nil {
		t.Fatal(err)
	}
	log.Info("a")
	log.Warn("b")
	log.Debug("below the level: not written, not counted")
	if got := n.Load(); got != 2 {
		t.Fatalf("stderr failures = %d, want 2", got)
	}

	var m atomic.Int64
	path := filepath.Join(t.TempDir(), "w.log")
	log, closeFn, err := New(Options{Debug: 1, File: path, Failures: &m})
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	log.Info("written")
	if got := m.Load(); got != 0 {
		t.Fatalf("failures after a good write = %d", got)
	}
	// Stand in for a full disk: the descriptor refuses writes from now on.
	r := openedRotating(t, path)
	defer r.Close()
	r.f.Close()
	ro, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	r.f = ro
	w := &counting{w: r, failures: &m}
	if _, err := w.Write([]byte("lost\n")); err == nil {
		t.Fatal("write to a read-only descriptor succeeded")
	}
	if got := m.Load(); got != 1 {
		t.Fatalf("file failures = %d, want 1", got)
	}
}

func openedRotating(t *testing.T, path string) *rotating {
	t.Helper()
	r, err := openRotating(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
