package jsonrec

import (
	"fmt"
	"io"
)

// DecodeReusing is Decode reading the body into buf's memory rather than
// a new allocation, so that a module's pages can reuse one body buffer
// instead of leaving a megabyte of garbage per page. It returns the page
// and the buffer (grown when the body did not fit), which the caller keeps
// for a later page.
//
// The page's records are slices of that buffer: the caller may reuse it
// only once nothing points into the page any more (see runner's page
// release). On error, or after a page larger than maxKept, the buffer is
// nil: the next page allocates afresh.
func DecodeReusing(r io.Reader, spec *Spec, buf []byte) (*Page, []byte, error) {
	limit := spec.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	body, err := readInto(r, limit, buf[:0])
	p, derr := decodeBody(body, err, spec)
	if derr != nil || cap(body) > maxKept {
		// A failed page may have grown the buffer to the page bound, and
		// one huge page must not pin its size for the rest of the run.
		return p, nil, derr
	}
	return p, body[:0], nil
}

// maxKept is the largest body buffer kept for reuse: eight times a
// typical thousand-record page.
const maxKept = 8 << 20

// readInto reads all of r into buf, growing it by doubling when full: a
// reused buffer settles at the largest page's size, and the doubling's
// copies happen only while it grows.
func readInto(r io.Reader, limit int, buf []byte) ([]byte, error) {
	if cap(buf) < MinRead {
		buf = make([]byte, 0, 64<<10)
	}
	for {
		if cap(buf)-len(buf) < MinRead {
			grown := make([]byte, len(buf), 2*cap(buf))
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if len(buf) > limit {
			return buf, fmt.Errorf("%w: the response is larger than %d MiB; lower PAGE_SIZE", ErrTooLarge, limit>>20)
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// MinRead is the least room a read is given before the buffer grows: a
// buffer for a body of known size needs this much beyond it.
const MinRead = 16 << 10
