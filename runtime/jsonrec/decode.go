package jsonrec

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"unicode/utf8"
)

// Decode reads one page from r and holds it to spec's page contract: the
// body is an object (an array when spec.Arrays has ""), every record array
// is present and an array (an empty one is a real empty page), and every
// declared Member is present unless optional, of its Type, and not empty
// when NonEmpty. A valid body that breaks it fails with ErrContract,
// naming each member and what was found; syntax and truncation errors
// come first. Records keep pointing into the body read,
// compacted in place when sent with whitespace, so a page costs about its
// own size in memory whatever the backlog. Any syntax error, a truncated
// body or trailing garbage fails the whole page: a page is emitted entirely
// or not at all. Invalid UTF-8 and duplicate names are accepted: vendors do
// send them now and then, and a strict decoder would block the cursor on
// such a page forever.
func Decode(r io.Reader, spec *Spec) (*Page, error) {
	limit := spec.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	body, err := readBody(r, limit)
	return decodeBody(body, err, spec, nil)
}

// decodeBody decodes a page from its whole body; readErr is the error the
// read ended with, reported like a decoding error. With s the page and its
// tables are made in s's memory (see Scratch), and given back to it grown.
func decodeBody(body []byte, readErr error, spec *Spec, s *Scratch) (*Page, error) {
	d := &decoder{buf: body, spec: spec}
	for _, f := range spec.Fields {
		d.fieldLens |= 1 << min(len(f), 63)
	}
	if s != nil {
		defer s.keep(d)
		s.lend(d)
	} else {
		d.page = &Page{Meta: map[string][]byte{}}
		d.stack = make([]bool, 0, 64)
	}
	if len(spec.Members) > 0 {
		d.seen = make([]seen, len(spec.Members))
	}
	if readErr != nil {
		return nil, d.wrap(readErr)
	}
	i, err := d.walk(skipSpace(body, 0), "", 0)
	if err != nil {
		return nil, d.wrap(err)
	}
	if i = skipSpace(body, i); i < len(body) {
		return nil, fmt.Errorf("decode page: unexpected data after the JSON document at offset %d", i)
	}
	if err := d.contract(body[skipSpace(body, 0)]); err != nil {
		return nil, err
	}
	d.setFields()
	if len(d.page.Items) == 0 {
		// As Decode has always said an empty page: no array at all.
		d.page.Items = nil
	}
	return d.page, nil
}

// readBody reads all of r. The whole body at once lets one pass validate
// and inspect each record where it lies, with no copy into an arena; a
// page is what must fit in memory anyway. Chunks of doubling size joined
// once at the end copy each byte once, like a doubling buffer, but the
// page keeps exactly its own size rather than up to twice it.
func readBody(r io.Reader, limit int) ([]byte, error) {
	var full [][]byte
	size := 0
	buf := make([]byte, 0, 64<<10)
	var err error
	for err == nil {
		if len(buf) == cap(buf) {
			full = append(full, buf)
			size += len(buf)
			buf = make([]byte, 0, min(2*cap(buf), 4<<20))
		}
		var n int
		n, err = r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if size+len(buf) > limit {
			// A broken proxy or API streaming without end must not take the
			// manager's memory; the cursor stays and the error says why.
			return nil, fmt.Errorf("%w: the response is larger than %d MiB; lower PAGE_SIZE", ErrTooLarge, limit>>20)
		}
	}
	if err == io.EOF {
		err = nil
	}
	if len(full) == 0 {
		return buf, err
	}
	body := make([]byte, 0, size+len(buf))
	for _, c := range full {
		body = append(body, c...)
	}
	return append(body, buf...), err
}

type decoder struct {
	buf   []byte // the whole body
	spec  *Spec
	page  *Page
	stack []bool // scan's container stack, reused from record to record
	// The captured Fields of every record so far, len(spec.Fields) spans
	// per record into fieldBytes: turned into strings once per page, not
	// two or three small allocations per record.
	fieldBytes []byte
	spans      []span
	fields     []string // the page's captured fields, len(spans) of them
	// bigs holds the offsets of every record's big integers, each
	// record's Shape.BigIntAt a slice of it.
	bigs []int32
	// scan's state that is not in registers (see scanLoop): the record's
	// Shape so far, whitespace seen, the open containers, where the
	// record starts, the depth
	// allowed, the record's captured fields, and whether the current
	// top-level member may be one of them, named key. fieldLens has bit
	// min(n, 63) set for each n, the length of a name in spec.Fields:
	// capture is called only for a top-level member whose name has such a
	// length. nameLens adds the length of "event_type" (and drops
	// fieldLens when nothing is captured): noteName is called only for a
	// name of such a length.
	sh        Shape
	spaced    bool
	level     int  // open containers, their kinds in stack[:level] (true for arrays)
	isArr     bool // stack[level-1]
	inArray   int  // open arrays
	start     int
	maxLevel  int
	caps      []span
	capKey    bool
	key       []byte
	fieldLens uint64
	nameLens  uint64
	// The page contract: record arrays found, what was found at each
	// declared member, and the violations met (see contract.go).
	arrays     []string
	seen       []seen
	violations []violation
	// stops is where scan looks up the ends of strings (stops.go).
	stops stopWindow
}

// DefaultMaxBytes bounds one page's body when Spec.MaxBytes is unset:
// a thousand records at Wazuh's 64 KiB line limit, twice over.
const DefaultMaxBytes = 128 << 20

// ErrTooLarge marks a page body over its size bound.
var ErrTooLarge = errors.New("page too large")

func (d *decoder) wrap(err error) error {
	if errors.Is(err, ErrTooLarge) {
		return fmt.Errorf("decode page: %w", err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("decode page: body ended early at offset %d (truncated response): %w", len(d.buf), io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("decode page: %w", err)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// walk reads the value at d.buf[i] (whitespace skipped) found at path:
// objects are walked member by member, record arrays go to records, any
// other value is kept in Meta. It returns the index past the value.
func (d *decoder) walk(i int, path string, depth int) (int, error) {
	b := d.buf
	if i >= len(b) {
		return i, io.ErrUnexpectedEOF
	}
	kind, isArray := d.spec.Arrays[path]
	switch b[i] {
	case '[':
		if isArray {
			d.arrays = append(d.arrays, path)
			return d.records(i, path, kind, depth)
		}
	case '{':
		if isArray {
			break // a contract violation, judged below once scanned
		}
		if depth >= maxDepth {
			return i, &syntaxError{off: i, msg: "exceeded max depth"}
		}
		i = skipSpace(b, i+1)
		empty := i < len(b) && b[i] == '}'
		if d.seen != nil {
			d.note(path, '{', empty)
		}
		if empty {
			return i + 1, nil
		}
		for {
			if i >= len(b) || b[i] != '"' {
				return i, badChar(b, i, "where an object name is expected")
			}
			end, esc, err := scanString(b, i)
			if err != nil {
				return end, err
			}
			name := memberName(b[i:end], esc)
			i = skipSpace(b, end)
			if i >= len(b) || b[i] != ':' {
				return i, badChar(b, i, "after object name (expecting ':')")
			}
			if i, err = d.walk(skipSpace(b, i+1), join(path, name), depth+1); err != nil {
				return i, err
			}
			i = skipSpace(b, i)
			if i < len(b) && b[i] == ',' {
				i = skipSpace(b, i+1)
				continue
			}
			if i < len(b) && b[i] == '}' {
				return i + 1, nil
			}
			return i, badChar(b, i, "after object member (expecting ',' or '}')")
		}
	}
	base := len(d.bigs)
	end, _, spaced, err := d.scan(i, depth, nil)
	d.bigs = d.bigs[:base]
	if err != nil {
		return end, err
	}
	if isArray {
		// An error object, null or anything else where the records
		// should be (Okta's {"errorCode":...}) must not read as an
		// empty page.
		d.violate(path, fmt.Sprintf("%s is a JSON %s, expected an array of records", describePath(path), kindName(b[i])))
		return end, nil
	}
	if d.seen != nil {
		d.note(path, b[i], end-i == 2 && b[i] == '"' || b[i] == '[' && b[skipSpace(b, i+1)] == ']')
	}
	if spaced {
		d.page.Meta[path] = appendCompact(nil, b[i:end])
	} else {
		d.page.Meta[path] = slices.Clone(b[i:end])
	}
	return end, nil
}

// memberName decodes a member name for a Meta path as jsontext did before
// this decoder: escapes decoded, each invalid UTF-8 byte made U+FFFD.
func memberName(q []byte, esc bool) string {
	if !esc && utf8.Valid(q[1:len(q)-1]) {
		return string(q[1 : len(q)-1])
	}
	s, err := unquote(q)
	if err != nil || utf8.ValidString(s) {
		return s
	}
	out := make([]rune, 0, len(s))
	for _, r := range s {
		out = append(out, r) // ranging a string yields U+FFFD per bad byte
	}
	return string(out)
}

// records reads the record array at d.buf[i] == '['.
func (d *decoder) records(i int, path, kind string, depth int) (int, error) {
	b := d.buf
	if depth >= maxDepth {
		return i, &syntaxError{off: i, msg: "exceeded max depth"}
	}
	nf := len(d.spec.Fields)
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, nil
	}
	first := i
	for n := 0; ; n++ {
		if i >= len(b) {
			return i, io.ErrUnexpectedEOF
		}
		if b[i] != '{' {
			// A syntax error or a truncated body comes first, as it did
			// when each record was read whole before its kind was checked.
			if end, _, _, err := d.scan(i, depth+1, nil); err != nil {
				return end, err
			}
			// Valid JSON in the wrong shape: a contract violation like an
			// absent array, which the module reports, never retries.
			return i, fmt.Errorf("%w: record %d of %s is a JSON %s, not an object", ErrContract, n, describePath(path), kindName(b[i]))
		}
		var caps []span
		if nf > 0 {
			base := len(d.spans)
			d.spans = slices.Grow(d.spans, nf)[:base+nf]
			caps = d.spans[base:]
			clear(caps)
		}
		base := len(d.bigs)
		end, shape, spaced, err := d.scan(i, depth+1, caps)
		if err != nil {
			return end, err
		}
		raw := b[i:end]
		if spaced {
			// In place: compacting only ever shrinks, so the write
			// position never passes the read position. The offsets of
			// big integers no longer hold: the encoder searches.
			raw = appendCompact(raw[:0], raw)
			d.bigs = d.bigs[:base]
		} else if n := len(d.bigs); n > base {
			shape.BigIntAt = d.bigs[base:n:n]
		}
		// Three-index slice: an append to a record must never write into
		// the bytes that follow it.
		d.page.Items = append(d.page.Items, Item{Raw: raw[:len(raw):len(raw)], Kind: kind, Shape: shape})
		if n == projectAfter-1 {
			d.project(projectAfter, first, end)
		}
		i = skipSpace(b, end)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
			continue
		}
		if i < len(b) && b[i] == ']' {
			return i + 1, nil
		}
		return i, badChar(b, i, "after array element (expecting ',' or ']')")
	}
}

// projectAfter is how many records of an array project's estimate rests on.
const projectAfter = 16

// projectMax bounds project's estimate of a page's records: a thousand
// records is what most vendors' pages hold, and a page whose first records
// are small and the rest one huge record must not reserve a table per
// byte of it.
const projectMax = 1024

// project grows the page's tables at once to what the rest of the body
// needs if its records are like the n read so far, between first and end
// (at most projectMax records in all): the items, the spans and bytes of
// captured fields, the offsets of big integers. A Scratch keeps its tables
// from page to page, but on a run's first page each grew through a dozen
// appends, about 400 KB of garbage for a thousand records.
func (d *decoder) project(n, first, end int) {
	if end <= first {
		return
	}
	rest := len(d.buf) - end
	scale := func(have int) int {
		return min(have*rest/(end-first), have*(projectMax-n)/n)
	}
	d.page.Items = slices.Grow(d.page.Items, scale(len(d.page.Items)))
	d.spans = slices.Grow(d.spans, scale(len(d.spans)))
	d.fieldBytes = slices.Grow(d.fieldBytes, scale(len(d.fieldBytes)))
	d.bigs = slices.Grow(d.bigs, scale(len(d.bigs)))
}

// setFields hands out the captured fields: one string and one []string for
// the whole page.
func (d *decoder) setFields() {
	nf := len(d.spec.Fields)
	if nf == 0 {
		return
	}
	s := string(d.fieldBytes)
	all := slices.Grow(d.fields[:0], len(d.spans))[:len(d.spans)]
	d.fields = all
	for k, sp := range d.spans {
		all[k] = s[sp.start:sp.end]
	}
	for j := range d.page.Items {
		d.page.Items[j].Fields = all[j*nf : (j+1)*nf : (j+1)*nf]
	}
}

func describePath(path string) string {
	if path == "" {
		return "the response"
	}
	return fmt.Sprintf("%q", path)
}

func kindName(c byte) string {
	switch c {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return "number"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "value"
}

// String returns the page value at path as a Go string: JSON strings are
// unquoted, other scalars are returned as written. ok is false when absent
// or null.
func (p *Page) String(path string) (string, bool) {
	raw, ok := p.Meta[path]
	if !ok || string(raw) == "null" {
		return "", false
	}
	if len(raw) > 0 && raw[0] == '"' {
		s, err := unquote(raw)
		if err != nil {
			return "", false
		}
		return s, true
	}
	return string(raw), true
}

// Bool returns the page value at path as a boolean; ok is false when it is
// absent or not a boolean.
func (p *Page) Bool(path string) (value, ok bool) {
	switch string(p.Meta[path]) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}
