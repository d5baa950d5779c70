// Package logx builds the run's logger. Logs never go to stdout: Wazuh's
// command wodle turns every stdout (and stderr) line into an event, so
// logs go to a size-capped file when one is set, and to stderr only for
// interactive use.
package logx

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/wodlekit/wodlekit/runtime/safefs"
)

// LevelTrace is below Debug: one line per HTTP attempt.
const LevelTrace = slog.LevelDebug - 4

// Level maps the 0-3 debug setting to a slog level.
func Level(debug int) slog.Level {
	switch {
	case debug <= 0:
		return slog.LevelWarn
	case debug == 1:
		return slog.LevelInfo
	case debug == 2:
		return slog.LevelDebug
	default:
		return LevelTrace
	}
}

// Options says where logs go.
type Options struct {
	Debug int
	// File is the log file; "" logs to Stderr.
	File string
	// MaxBytes rotates the file to File+".1" when it would grow past it.
	MaxBytes int64
	// Stderr is where logs go without a file (os.Stderr in production).
	Stderr io.Writer
	// Attrs are added to every line (vendor, instance).
	Attrs []slog.Attr
	// Failures, when set, counts log writes that failed (a full disk, a
	// closed stderr): slog drops those errors, and the run summary reports
	// the count so that a log that stopped working is not silent.
	Failures *atomic.Int64
}

// New returns the logger and a close function.
func New(o Options) (*slog.Logger, func() error, error) {
	var w io.Writer = o.Stderr
	closeFn := func() error { return nil }
	if o.File != "" {
		f, err := openRotating(o.File, o.MaxBytes)
		if err != nil {
			return nil, nil, err
		}
		w, closeFn = f, f.Close
	}
	if w == nil {
		w = io.Discard
	}
	if o.Failures != nil {
		w = &counting{w: w, failures: o.Failures}
	}
	h := slog.NewTextHandler(w, &slog.HandlerOptions{
		Level: Level(o.Debug),
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.LevelKey && a.Value.Any() == LevelTrace {
				return slog.String(slog.LevelKey, "TRACE")
			}
			return a
		},
	})
	return slog.New(h.WithAttrs(o.Attrs)), closeFn, nil
}

// counting counts the writes that failed.
type counting struct {
	w        io.Writer
	failures *atomic.Int64
}

func (c *counting) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	if err != nil {
		c.failures.Add(1)
	}
	return n, err
}

// rotating is an append-only file that moves itself to .1 when full, so a
// debug-3 run on a busy manager cannot fill the disk. Both names are reached
// through the checked directory handle (safefs): the binary runs as root and
// the log directory's parent belongs to the wazuh user.
type rotating struct {
	mu   sync.Mutex
	dir  *safefs.Dir
	name string
	max  int64
	f    *os.File
	size int64
}

func openRotating(path string, max int64) (*rotating, error) {
	dir, err := safefs.MkdirOpen(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("log directory for %s: %w", path, err)
	}
	name := filepath.Base(path)
	if err := dir.Check(func(n string) bool { return n == name || n == name+".1" }); err != nil {
		dir.Close()
		return nil, err
	}
	r := &rotating{dir: dir, name: name, max: max}
	if err := r.open(); err != nil {
		dir.Close()
		return nil, err
	}
	return r, nil
}

func (r *rotating) open() error {
	f, err := r.dir.OpenFile(r.name, os.O_CREATE|os.O_WRONLY|os.O_APPEND)
	if err != nil {
		return fmt.Errorf("open log file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return fmt.Errorf("stat log file: %w", err)
	}
	r.f, r.size = f, st.Size()
	return nil
}

func (r *rotating) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.max > 0 && r.size+int64(len(p)) > r.max && r.size > 0 {
		_ = r.f.Close()
		// renameat replaces whatever is at .1, never writing through it.
		if err := r.dir.Rename(r.name, r.name+".1"); err != nil && !os.IsNotExist(err) {
			return 0, fmt.Errorf("rotate log file: %w", err)
		}
		if err := r.open(); err != nil {
			return 0, err
		}
	}
	n, err := r.f.Write(p)
	r.size += int64(n)
	return n, err
}

func (r *rotating) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	err := r.f.Close()
	if derr := r.dir.Close(); err == nil {
		err = derr
	}
	return err
}
