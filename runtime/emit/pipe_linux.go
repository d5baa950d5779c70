//go:build linux

package emit

import (
	"io"
	"os"
	"syscall"
)

// fSetPipeSz is F_SETPIPE_SZ (fcntl.h); package syscall does not name it.
const fSetPipeSz = 1031

// growPipe enlarges the pipe behind w (Wazuh reads a wodle's stdout from a
// pipe) so that one page is handed over in a few writes instead of sixteen
// 64 KiB rounds of waiting for the reader. Best effort: nothing changes when
// w is not a pipe or the kernel refuses.
func growPipe(w io.Writer) {
	f, ok := w.(*os.File)
	if !ok {
		return
	}
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		return
	}
	_, _, _ = syscall.Syscall(syscall.SYS_FCNTL, f.Fd(), fSetPipeSz, 1<<20)
}
