//go:build !linux

package emit

import "errors"

// outq needs Linux's accounting of a Unix datagram socket's unread bytes;
// Wazuh managers run on Linux.
func (q *Queue) outq() (int, error) {
	return 0, errors.New("confirming delivery on Wazuh's queue socket needs Linux")
}
