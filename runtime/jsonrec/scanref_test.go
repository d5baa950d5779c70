package jsonrec

import (
	"encoding/binary"
	"io"
	"slices"
	"testing"
)

// refScan is the reference of FuzzScan: the scanner written the plain way,
// recursive descent one byte at a time, with no fast path (no word-at-a-time
// strings, no compact shortcuts), computing what scan computes: the end,
// the error, the Shape, whitespace seen, big-integer offsets and the
// captured fields.
type refScan struct {
	b        []byte
	fields   []string
	maxLevel int
	start    int
	sh       Shape
	spaced   bool
	bigs     []int32
	caps     []string // per field, "" when none
	key      string   // the current top-level member's decoded name
}

func (r *refScan) space(i int) int {
	j := i
	for j < len(r.b) && (r.b[j] == ' ' || r.b[j] == '\t' || r.b[j] == '\n' || r.b[j] == '\r') {
		j++
	}
	if j != i {
		r.spaced = true
	}
	return j
}

func (r *refScan) leaf(inArray bool) {
	if !inArray {
		r.sh.Leaves++
	}
}

// capture keeps v as the value of every field named r.key that has none.
func (r *refScan) capture(v string) {
	for n, f := range r.fields {
		if r.caps[n] == "" && f == r.key {
			r.caps[n] = v
		}
	}
}

// value reads the value at b[i]; level is the number of open containers,
// inArray whether one of them is an array (Wazuh prints an array as one
// field), top whether they are exactly the record object.
func (r *refScan) value(i, level int, inArray, top bool) (int, error) {
	b := r.b
	if i >= len(b) {
		return i, io.ErrUnexpectedEOF
	}
	switch c := b[i]; {
	case c == '"':
		end, esc, err := refScanString(b, i)
		if err != nil {
			return end, err
		}
		r.leaf(inArray)
		if top {
			v := string(b[i+1 : end-1])
			if esc {
				s, err := unquote(b[i:end])
				if err != nil {
					return end, nil
				}
				v = s
			}
			r.capture(v)
		}
		return end, nil
	case c == '{':
		return r.object(i, level, inArray)
	case c == '[':
		return r.array(i, level, inArray)
	case c == '-' || (c >= '0' && c <= '9'):
		end, isInt, err := refNumber(b, i)
		if err != nil {
			return end, err
		}
		r.leaf(inArray)
		if isInt && isBigInt(b[i:end]) {
			r.sh.BigInts = true
			r.bigs = append(r.bigs, int32(i-r.start))
		}
		if top {
			r.capture(string(b[i:end]))
		}
		return end, nil
	case c == 't' || c == 'f' || c == 'n':
		lit := map[byte]string{'t': "true", 'f': "false", 'n': "null"}[c]
		for k := 1; k < len(lit); k++ {
			if i+k >= len(b) || b[i+k] != lit[k] {
				return i + k, badChar(b, i+k, "in literal "+lit)
			}
		}
		r.leaf(inArray)
		if top && c != 'n' {
			r.capture(lit)
		}
		return i + len(lit), nil
	}
	return i, badChar(b, i, "at start of value")
}

func (r *refScan) object(i, level int, inArray bool) (int, error) {
	b := r.b
	if level >= r.maxLevel {
		return i, &syntaxError{off: i, msg: "exceeded max depth"}
	}
	i = r.space(i + 1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return i, badChar(b, i, "where an object name is expected")
		}
		end, esc, err := refScanString(b, i)
		if err != nil {
			return end, err
		}
		if level == 0 {
			r.key = string(b[i+1 : end-1])
			if esc {
				if k, err := unquote(b[i:end]); err == nil {
					r.key = k
				}
			}
			if r.key == "event_type" {
				r.sh.HasEventType = true
			}
		}
		i = r.space(end)
		if i >= len(b) || b[i] != ':' {
			return i, badChar(b, i, "after object name (expecting ':')")
		}
		if i, err = r.value(r.space(i+1), level+1, inArray, level == 0); err != nil {
			return i, err
		}
		i = r.space(i)
		if i >= len(b) {
			return i, io.ErrUnexpectedEOF
		}
		switch b[i] {
		case ',':
			i = r.space(i + 1)
		case '}':
			return i + 1, nil
		default:
			return i, badChar(b, i, "after object member (expecting ',' or '}')")
		}
	}
}

func (r *refScan) array(i, level int, inArray bool) (int, error) {
	b := r.b
	if level >= r.maxLevel {
		return i, &syntaxError{off: i, msg: "exceeded max depth"}
	}
	r.leaf(inArray)
	i = r.space(i + 1)
	if i < len(b) && b[i] == ']' {
		return i + 1, nil
	}
	for {
		var err error
		if i, err = r.value(i, level+1, true, false); err != nil {
			return i, err
		}
		i = r.space(i)
		if i >= len(b) {
			return i, io.ErrUnexpectedEOF
		}
		switch b[i] {
		case ',':
			i = r.space(i + 1)
		case ']':
			return i + 1, nil
		default:
			return i, badChar(b, i, "after array element (expecting ',' or ']')")
		}
	}
}

// refNumber is scanNumber as RFC 8259's grammar reads.
func refNumber(b []byte, i int) (end int, isInt bool, err error) {
	digits := func() int {
		for i < len(b) && isDigit(b[i]) {
			i++
		}
		return i
	}
	if b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return i, false, io.ErrUnexpectedEOF
	}
	switch {
	case b[i] == '0':
		i++
	case isDigit(b[i]):
		i = digits()
	default:
		return i, false, badChar(b, i, "in number (expecting digit)")
	}
	isInt = true
	if i < len(b) && b[i] == '.' {
		isInt = false
		if i++; i >= len(b) || !isDigit(b[i]) {
			return i, false, badChar(b, i, "in number (expecting digit)")
		}
		i = digits()
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		isInt = false
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return i, false, badChar(b, i, "in number (expecting digit)")
		}
		i = digits()
	}
	return i, isInt, nil
}

// checkScan runs scan and refScan on b from its first non-space byte, at
// nesting depth depth, and compares everything they report.
func checkScan(t *testing.T, b []byte, depth int, fields []string) {
	t.Helper()
	d := &decoder{buf: b, spec: &Spec{Fields: fields}, stack: make([]bool, 0, 64)}
	for _, f := range fields {
		d.fieldLens |= 1 << min(len(f), 63)
	}
	var caps []span // nil without fields, as the decoder scans Meta
	if len(fields) > 0 {
		caps = make([]span, len(fields))
	}
	i := skipSpace(b, 0)
	end, sh, spaced, err := d.scan(i, depth, caps)

	r := &refScan{b: b, fields: fields, maxLevel: maxDepth - depth, start: i, sh: Shape{Known: true}, caps: make([]string, len(fields))}
	wantEnd, wantErr := r.value(i, 0, false, false)
	if end != wantEnd || errText(err) != errText(wantErr) {
		t.Fatalf("scan(%q) = %d, %v; reference %d, %v", b, end, err, wantEnd, wantErr)
	}
	if err != nil {
		return
	}
	if sh.Known != r.sh.Known || sh.Leaves != r.sh.Leaves || sh.BigInts != r.sh.BigInts || sh.HasEventType != r.sh.HasEventType || spaced != r.spaced || !slices.Equal(d.bigs, r.bigs) {
		t.Fatalf("scan(%q) = %+v, spaced %v, big integers at %v; reference %+v, %v, %v", b, sh, spaced, d.bigs, r.sh, r.spaced, r.bigs)
	}
	for n, f := range fields {
		if got := string(d.fieldBytes[caps[n].start:caps[n].end]); got != r.caps[n] {
			t.Fatalf("scan(%q) captured %s = %q; reference %q", b, f, got, r.caps[n])
		}
	}
}

// FuzzScan holds the scanner (its word-at-a-time strings and digits, its
// shortcuts for compact JSON) to refScan on any input: the same end, the same error
// at the same offset, the same Shape, whitespace flag, big-integer offsets
// and captured fields. Each input is also scanned as if nested just below
// the depth bound, and cut at every length, so that each token ends at the
// body's end.
func FuzzScan(f *testing.F) {
	for _, s := range []string{
		`{"uuid":"56YE2TYN2VFYRLNSHKP0000001","n":12345678901,"event_type":"x","a":[1,"b",{"c":null}],"t":true}`,
		`{ "uuid" : "a" , "b" : [ 1 , 2 ] }`, `{"a":1,}`, `{"a":1,"b"}`, `{"a" 1}`, `{"a":}`, `[1,]`, `[1 2]`, `[,1]`,
		`{,"a":1}`, `{"a":1,,"b":2}`, `{"a":1 , "b":2}`, `{"a":[1,2],"b":{}}`, `{"u\u0075id":"\u00e9","uuid":"late"}`,
		`{"uuid":"","uuid":"second"}`, `{"id":-2147483649,"x":2147483648,"y":1.5e10}`, `[[[[]]]]`, `{"a":{"b":{"c":{}}}}`,
		`{"event_type":null,"id":false}`, "{\"a\":\"\xff\",\n\"b\":\t1}", `{"a":tru}`, `{"a":-}`, `{"a":01}`, `"\u12"`,
		`{"aux_id":4611686018427387904,"t":1700000000123456789,"f":-12345678.123456789e-12345678}`, `[123456789012345678x]`,
		`{"a":1, "b":2}`, `{"a": "b","c":	[1, 2]}`, "{\"a\":\"x\",\n\"b\":\"y\"\n}",
	} {
		f.Add([]byte(s))
	}
	fields := []string{"uuid", "id", "event_type", "x"}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 512 {
			b = b[:512] // every cut: keep it quick
		}
		// nonDigits on each word of the input: its lowest flagged byte is
		// the first non-digit, whatever follows.
		for k := 0; k+8 <= len(b); k++ {
			w := b[k : k+8]
			want := 8
			for j, c := range w {
				if !isDigit(c) {
					want = j
					break
				}
			}
			got := 8
			if m := nonDigits(binary.LittleEndian.Uint64(w)); m != 0 {
				got = trailingBytes(m)
			}
			if got != want {
				t.Fatalf("nonDigits(%q) flags byte %d, the first non-digit is byte %d", w, got, want)
			}
		}
		for n := 0; n <= len(b); n++ {
			cut := b[:n:n]
			checkScan(t, cut, 0, fields)
			checkScan(t, cut, maxDepth-3, fields)
			checkScan(t, cut, 0, nil)
		}
	})
}
