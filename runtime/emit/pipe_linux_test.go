//go:build linux

package emit

import (
	"os"
	"syscall"
	"testing"
)

func TestStdoutPipeGrows(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	const fGetPipeSz = 1032
	before, _, _ := syscall.Syscall(syscall.SYS_FCNTL, w.Fd(), fGetPipeSz, 0)
	NewWriter(w)
	after, _, errno := syscall.Syscall(syscall.SYS_FCNTL, w.Fd(), fGetPipeSz, 0)
	if errno != 0 {
		t.Fatal(errno)
	}
	if after < 1<<20 {
		t.Fatalf("pipe size %d after NewWriter (was %d), want 1 MiB", after, before)
	}
	// A writer that is not a pipe is left alone.
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	NewWriter(f)
}
