package jsonrec

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
)

// maxDepth bounds nesting as encoding/json does: without a limit a hostile
// body could make the decoder's stack as large as the body.
const maxDepth = 10000

// syntaxError is invalid JSON at a byte offset of the body.
type syntaxError struct {
	off int
	msg string
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at offset %d: %s", e.off, e.msg)
}

func badChar(b []byte, i int, where string) error {
	if i >= len(b) {
		// The body ended where more JSON was due: the HTTP layer retries
		// a truncated response, so this must stay recognisable.
		return io.ErrUnexpectedEOF
	}
	return &syntaxError{off: i, msg: fmt.Sprintf("invalid character %q %s", b[i], where)}
}

// span locates a captured field value in decoder.fieldBytes.
type span struct{ start, end int }

// validate reports whether b holds exactly one JSON value, with the
// decoder's rules: RFC 8259, but invalid UTF-8 and duplicate names allowed.
func validate(b []byte) error {
	d := decoder{buf: b, stack: make([]bool, 0, 64)}
	i := skipSpace(b, 0)
	end, _, _, err := d.scan(i, 0, nil)
	if err != nil {
		return err
	}
	if j := skipSpace(b, end); j < len(b) {
		return &syntaxError{off: j, msg: "unexpected data after the JSON value"}
	}
	return nil
}

// skipSpace returns the index of the first byte from b[i] on that is not
// JSON whitespace. Every whitespace byte is <= ' ', so the usual byte after
// a token (a quote, a digit, a bracket, a comma) is passed on one compare,
// without the table's dependent load.
func skipSpace(b []byte, i int) int {
	for i < len(b) && b[i] <= ' ' && space[b[i]] {
		i++
	}
	return i
}

// space marks JSON's whitespace: one load per byte rather than four
// comparisons, for the bytes <= ' '.
var space = [256]bool{' ': true, '\n': true, '\r': true, '\t': true}

// scan validates the value starting at d.buf[i] (no whitespace before it)
// at nesting depth depth, and in the same pass computes what inspect
// computes on a record: its Shape, whether it holds whitespace outside
// strings, and, when caps is not nil, the top-level members named in
// d.spec.Fields, appended to d.fieldBytes. The offsets from i of its big
// integers are appended to d.bigs (the caller keeps or drops them). One
// pass instead of a validating read plus an inspecting walk is the point
// of this decoder: records are most of a page, and each byte of them was
// being classified twice.
func (d *decoder) scan(i, depth int, caps []span) (end int, sh Shape, spaced bool, err error) {
	d.sh = Shape{Known: true}
	d.spaced, d.capKey = false, false
	d.caps, d.start, d.maxLevel = caps, i, maxDepth-depth
	d.nameLens = 1 << len("event_type")
	if caps != nil {
		d.nameLens |= d.fieldLens
	}
	end, err = d.scanLoop(i)
	return end, d.sh, d.spaced, err
}

// scanLoop is scan's state machine. Only the index is a local variable
// (and the body, read again from d after every call): the rest of the
// state (the open containers, the Shape, whitespace seen, the captured
// fields) lives in d. Go's register allocator spills the registers live
// across a call at the nearest block dominating every reload, here the
// start of each token: with a dozen local variables, the rare calls (a
// string with escapes, a captured field, a number) cost a dozen stores
// and loads on every token, a third of the scan's instructions. A field
// of d costs a load where it is used, and nothing elsewhere.
func (d *decoder) scanLoop(i int) (int, error) {
	b := d.buf
	d.level, d.isArr, d.inArray = 0, false, 0

value:
	if i >= len(b) {
		return i, io.ErrUnexpectedEOF
	}
	switch c := b[i]; {
	case c == '"':
		end, esc := d.stops.plainEnd(b, i), false
		if end < len(b) && b[end] == '"' {
			end++
		} else {
			var err error
			if end, esc, err = d.scanString(i); err != nil {
				return end, err
			}
			b = d.buf
		}
		if d.inArray == 0 {
			d.sh.Leaves++
		}
		if d.level == 1 && d.capKey {
			d.capture(d.buf[i:end], esc)
			b = d.buf
		}
		i = end
	case c == '{':
		if d.level >= d.maxLevel {
			return i, &syntaxError{off: i, msg: "exceeded max depth"}
		}
		d.push(false)
		i++
		if j := skipSpace(b, i); j != i {
			d.spaced, i = true, j
		}
		if i < len(b) && b[i] == '}' {
			i++
			goto pop
		}
		goto name
	case c == '[':
		if d.level >= d.maxLevel {
			return i, &syntaxError{off: i, msg: "exceeded max depth"}
		}
		if d.inArray == 0 {
			d.sh.Leaves++
		}
		d.inArray++
		d.push(true)
		i++
		if j := skipSpace(b, i); j != i {
			d.spaced, i = true, j
		}
		if i < len(b) && b[i] == ']' {
			d.inArray--
			i++
			goto pop
		}
		goto value
	case c == '-' || (c >= '0' && c <= '9'):
		end, isInt, err := scanNumber(d.buf, i)
		if err != nil {
			return end, err
		}
		if d.inArray == 0 {
			d.sh.Leaves++
		}
		if isInt && end-i >= 10 && isBigInt(d.buf[i:end]) {
			d.sh.BigInts = true
			d.bigs = append(d.bigs, int32(i-d.start))
		}
		if d.level == 1 && d.capKey {
			d.capture(d.buf[i:end], false)
		}
		b = d.buf
		i = end
	case c == 't' || c == 'f' || c == 'n':
		lit := "null"
		if c == 't' {
			lit = "true"
		} else if c == 'f' {
			lit = "false"
		}
		for k := 1; k < len(lit); k++ {
			if i+k >= len(b) || b[i+k] != lit[k] {
				return i + k, badChar(b, i+k, "in literal "+lit)
			}
		}
		if d.inArray == 0 {
			d.sh.Leaves++
		}
		if d.level == 1 && d.capKey && c != 'n' {
			d.capture(d.buf[i:i+len(lit)], false)
			b = d.buf
		}
		i += len(lit)
	default:
		return i, badChar(b, i, "at start of value")
	}

next:
	if d.level == 0 {
		return i, nil
	}
	if i <= len(b)-2 && sepThen(binary.LittleEndian.Uint16(b[i:i+2]), ',') {
		// Compact JSON, the usual case: a comma and the next element,
		// without the whitespace checks. What follows is checked where
		// it is read, with the errors of the path below.
		i++
		if d.isArr {
			goto value
		}
		goto name
	}
	if j := skipSpace(b, i); j != i {
		d.spaced, i = true, j
	}
	if i >= len(b) {
		return i, io.ErrUnexpectedEOF
	}
	if d.isArr {
		switch b[i] {
		case ',':
			i++
			if j := skipSpace(b, i); j != i {
				d.spaced, i = true, j
			}
			goto value
		case ']':
			d.inArray--
			i++
			goto pop
		}
		return i, badChar(b, i, "after array element (expecting ',' or ']')")
	}
	switch b[i] {
	case ',':
		i++
		if j := skipSpace(b, i); j != i {
			d.spaced, i = true, j
		}
		goto name
	case '}':
		i++
		goto pop
	}
	return i, badChar(b, i, "after object member (expecting ',' or '}')")

pop: // the innermost container closed, i past it
	d.level--
	if d.level > 0 {
		d.isArr = d.stack[d.level-1]
	}
	goto next

name:
	if i >= len(b) || b[i] != '"' {
		return i, badChar(b, i, "where an object name is expected")
	}
	{
		end, esc := d.stops.plainEnd(b, i), false
		if end <= len(b)-3 && b[end] == '"' && sepThen(binary.LittleEndian.Uint16(b[end+1:end+3]), ':') {
			// Compact JSON, the usual case: the closing quote, the colon
			// and the value, with one test of the body's end.
			if d.level == 1 {
				if d.nameLens>>min(end-i-1, 63)&1 != 0 {
					d.noteName(b[i+1 : end])
				} else {
					d.capKey = false
				}
			}
			i = end + 2
			goto value
		}
		if end < len(b) && b[end] == '"' {
			end++
		} else {
			var err error
			if end, esc, err = d.scanString(i); err != nil {
				return end, err
			}
			b = d.buf
		}
		if d.level == 1 {
			if esc {
				d.topName(d.buf[i:end])
				b = d.buf
			} else if d.nameLens>>min(end-i-2, 63)&1 != 0 {
				d.noteName(b[i+1 : end-1])
			} else {
				d.capKey = false // most names: no call, no compare
			}
		}
		i = end
	}
	if i+1 < len(b) && b[i] == ':' && b[i+1] > ' ' {
		i++ // compact, as after a comma
		goto value
	}
	if j := skipSpace(b, i); j != i {
		d.spaced, i = true, j
	}
	if i >= len(b) || b[i] != ':' {
		return i, badChar(b, i, "after object name (expecting ':')")
	}
	i++
	if j := skipSpace(b, i); j != i {
		d.spaced, i = true, j
	}
	goto value
}

// sepThen reports whether w, two bytes of the body (little endian), is
// the separator sep followed by a byte above ' ': no whitespace to skip.
// One load and two compares where bytes read one by one cost a bounds
// check each.
func sepThen(w uint16, sep byte) bool {
	return byte(w) == sep && w>>8 > ' '
}

// push opens a container, an array when arr.
func (d *decoder) push(arr bool) {
	d.stack = append(d.stack[:d.level], arr)
	d.level++
	d.isArr = arr
}

// noteName takes key, the name of a member of the outermost object,
// decoded: event_type is noted in the Shape, and a name that may be one of
// spec.Fields (its length is one of theirs) is kept for capture.
func (d *decoder) noteName(key []byte) {
	if string(key) == "event_type" {
		d.sh.HasEventType = true
	}
	if d.capKey = d.caps != nil && d.fieldLens>>min(len(key), 63)&1 != 0; d.capKey {
		d.key = key
	}
}

// topName is noteName for a name written with escapes (rare): it is
// compared decoded.
func (d *decoder) topName(q []byte) {
	key := q[1 : len(q)-1]
	if k, err := unquote(q); err == nil {
		key = []byte(k)
	}
	d.noteName(key)
}

// capture stores v, the scalar value of the top-level member d.key, as the
// value of every field of that name that has none yet (so, as inspect
// does, the first non-empty duplicate wins).
func (d *decoder) capture(v []byte, esc bool) {
	caps := d.caps
	for n, f := range d.spec.Fields {
		if caps[n].end != caps[n].start || string(d.key) != f {
			continue
		}
		start := len(d.fieldBytes)
		switch {
		case v[0] != '"':
			d.fieldBytes = append(d.fieldBytes, v...)
		case !esc:
			d.fieldBytes = append(d.fieldBytes, v[1:len(v)-1]...)
		default:
			s, err := unquote(v)
			if err != nil {
				continue
			}
			d.fieldBytes = append(d.fieldBytes, s...)
		}
		caps[n] = span{start, len(d.fieldBytes)}
	}
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// stringStops has the high bit set in the first byte of x (little endian)
// that ends a run of plain string bytes: a quote, a backslash or a control
// character. Borrows only run upwards, so the lowest flagged byte is exact
// even where higher ones are false positives. x^0x02 maps the quote (0x22)
// to 0x20 and the control characters onto themselves, so one less-than
// test (< 0x21) finds both; neither xor changes a byte's high bit, so one
// &^x drops the bytes >= 0x80 (plain, whatever their UTF-8) for both tests:
// seven operations instead of fourteen.
func stringStops(x uint64) uint64 {
	q := x ^ (lsb * 0x02) // the quote becomes 0x20, control bytes stay below it
	s := x ^ (lsb * '\\') // the backslash becomes 0
	return ((q - lsb*0x21) | (s - lsb)) &^ x & msb
}

// scanString returns the index just past the string starting at b[i] ==
// '"' and whether it holds escapes. Bytes >= 0x80 are taken as they are:
// the decoder accepts invalid UTF-8 on purpose.
func scanString(b []byte, i int) (end int, esc bool, err error) {
	i++
	for i < len(b) {
		// Eight bytes at a time: strings are most of a record, and most
		// of their bytes are plain.
		if i+8 <= len(b) {
			m := stringStops(binary.LittleEndian.Uint64(b[i:]))
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) >> 3
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, esc, nil
		case c == '\\':
			esc = true
			if i+1 >= len(b) {
				return len(b), esc, io.ErrUnexpectedEOF
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				for k := i + 2; k < i+6; k++ {
					if k >= len(b) {
						return len(b), esc, io.ErrUnexpectedEOF
					}
					if !isHex(b[k]) {
						return i, esc, &syntaxError{off: i, msg: fmt.Sprintf("invalid escape sequence %q in string", b[i:k+1])}
					}
				}
				i += 6
			default:
				return i, esc, &syntaxError{off: i, msg: fmt.Sprintf("invalid escape sequence %q in string", b[i:i+2])}
			}
		case c < 0x20:
			return i, esc, &syntaxError{off: i, msg: fmt.Sprintf("invalid character %q in string (control characters must be escaped)", c)}
		default:
			i++
		}
	}
	return i, esc, io.ErrUnexpectedEOF
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c|0x20 >= 'a' && c|0x20 <= 'f')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// scanNumber returns the index just past the number starting at b[i], and
// whether it is an integer (no fraction, no exponent).
func scanNumber(b []byte, i int) (end int, isInt bool, err error) {
	if b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return i, false, io.ErrUnexpectedEOF
	case b[i] == '0':
		i++
	case isDigit(b[i]):
		i = digitsEnd(b, i+1)
	default:
		return i, false, badChar(b, i, "in number (expecting digit)")
	}
	isInt = true
	if i < len(b) && b[i] == '.' {
		isInt = false
		i++
		if i >= len(b) || !isDigit(b[i]) {
			return i, false, badChar(b, i, "in number (expecting digit)")
		}
		i = digitsEnd(b, i+1)
	}
	if i < len(b) && b[i]|0x20 == 'e' {
		isInt = false
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return i, false, badChar(b, i, "in number (expecting digit)")
		}
		i = digitsEnd(b, i+1)
	}
	return i, isInt, nil
}

// digitsEnd returns the index of the first byte from b[i] on that is not
// an ASCII digit, eight bytes at a time: 64-bit IDs and nanosecond epochs
// are nineteen digits.
func digitsEnd(b []byte, i int) int {
	for ; i <= len(b)-8; i += 8 {
		if m := nonDigits(binary.LittleEndian.Uint64(b[i : i+8])); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for i < len(b) && isDigit(b[i]) {
		i++
	}
	return i
}

// nonDigits has the high bit set in the first byte of x (little endian)
// that is not an ASCII digit, as stringStops does for strings: a byte
// below '0' borrows in x-'0', one above '9' carries into its high bit in
// x+0x46, one >= 0x80 has it already; borrows and carries run upwards
// only, from bytes that are flagged themselves.
func nonDigits(x uint64) uint64 {
	return ((x - lsb*'0') | (x + lsb*(0x80-'9'-1)) | x) & msb
}
