package jsonrec

import (
	"fmt"
	"io"
	"slices"
)

// Scratch is the memory of one page kept from page to page: its body and
// the decoder's tables (the Page, its Items, the captured fields, the
// offsets of big integers). A module's pages then reuse it instead of
// leaving a megabyte of garbage per page. The zero Scratch is ready.
//
// A page decoded by Scratch.Decode, its records and its Items are slices of
// that memory: the caller may decode the next page into it only once
// nothing points into the page any more (see runner's page release). The
// Fields strings are the caller's to keep.
type Scratch struct {
	body   []byte
	page   Page
	items  []Item
	spans  []span
	bytes  []byte // captured field bytes
	fields []string
	bigs   []int32
	stack  []bool
}

// Decode is Decode into the scratch's memory. size is the body's length
// when known (Content-Length, -1 otherwise), so that the body buffer grows
// once to fit rather than doubling past it. After an error, or after a
// page larger than maxKept, the body buffer is dropped: a failed page may
// have grown it to the page bound, and one huge page must not pin its size
// for the rest of the run.
func (s *Scratch) Decode(r io.Reader, spec *Spec, size int64) (*Page, error) {
	limit := spec.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	if size > 0 && size < int64(limit) && int(size)+MinRead > cap(s.body) {
		s.body = make([]byte, 0, int(size)+MinRead)
	}
	body, err := readInto(r, limit, s.body[:0])
	p, derr := decodeBody(body, err, spec, s)
	if derr != nil || cap(body) > maxKept {
		s.body = nil
		return p, derr
	}
	s.body = body[:0]
	return p, nil
}

// Wipe overwrites the body's memory with c and forgets the records the
// tables pointed to, so that anything still reading a released page sees
// garbage (the test kit's PoisonPages).
func (s *Scratch) Wipe(c byte) {
	full := s.body[:cap(s.body)]
	for i := range full {
		full[i] = c
	}
	clear(s.items[:cap(s.items)])
	clear(s.fields[:cap(s.fields)])
	clear(s.bigs[:cap(s.bigs)])
}

// lend gives the decoder the scratch's tables, emptied.
func (s *Scratch) lend(d *decoder) {
	clear(s.page.Meta)
	if s.page.Meta == nil {
		s.page.Meta = map[string][]byte{}
	}
	s.page.Items = s.items[:0]
	d.page = &s.page
	d.spans = s.spans[:0]
	d.fieldBytes = s.bytes[:0]
	d.fields = s.fields
	d.bigs = s.bigs[:0]
	d.stack = slices.Grow(s.stack[:0], 64)
}

// keep takes back the decoder's tables, grown as the page needed.
func (s *Scratch) keep(d *decoder) {
	if cap(d.page.Items) > cap(s.items) {
		s.items = d.page.Items[:0]
	}
	s.spans, s.bytes, s.fields, s.bigs, s.stack = d.spans[:0], d.fieldBytes[:0], d.fields, d.bigs[:0], d.stack[:0]
}

// maxKept is the largest body buffer kept for reuse: eight times a
// typical thousand-record page.
const maxKept = 8 << 20

// readInto reads all of r into buf, growing it when full: a reused buffer
// settles at the largest page's size, and the growth's copies happen only
// while it grows. It grows four times over below growFaster, twice above:
// a run's first page of a megabyte, its size unknown (chunked or gzipped
// answers), then takes three buffers of 64 KiB, 256 KiB and 1 MiB instead
// of five, and leaves 320 KiB of garbage instead of 960 KiB, a third of
// what set off the collections of a run's first milliseconds. The price:
// a buffer up to four times its largest page rather than twice (a page of
// 300 KB is read into 1 MiB, not 512 KiB), memory not resident beyond
// what the page wrote unless the runtime had to zero it.
func readInto(r io.Reader, limit int, buf []byte) ([]byte, error) {
	if cap(buf) < MinRead {
		buf = make([]byte, 0, 64<<10)
	}
	for {
		if cap(buf)-len(buf) < MinRead {
			factor := 2
			if cap(buf) < growFaster {
				factor = 4
			}
			grown := make([]byte, len(buf), factor*cap(buf))
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

// growFaster is the size below which readInto grows a buffer four times
// over: about a thousand records of most vendors.
const growFaster = 1 << 20

// MinRead is the least room a read is given before the buffer grows: a
// buffer for a body of known size needs this much beyond it.
const MinRead = 16 << 10
