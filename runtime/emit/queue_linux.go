//go:build linux

package emit

import "golang.org/x/sys/unix"

// outq is the sender's SIOCOUTQ: for a Unix datagram socket, the bytes of
// the datagrams it sent that the receiver has neither read nor discarded.
func (q *Queue) outq() (int, error) {
	raw, err := q.conn.SyscallConn()
	if err != nil {
		return 0, err
	}
	var n int
	var ioctlErr error
	if err := raw.Control(func(fd uintptr) {
		n, ioctlErr = unix.IoctlGetInt(int(fd), unix.SIOCOUTQ)
	}); err != nil {
		return 0, err
	}
	return n, ioctlErr
}
