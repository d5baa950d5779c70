package jsonrec

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
)

// refScanString is scanString one byte at a time, as the decoder read
// strings before it read words: the reference of FuzzScanString. Bytes >=
// 0x80 are plain, whatever their UTF-8 (the decoder accepts invalid UTF-8
// on purpose).
func refScanString(b []byte, i int) (end int, esc bool, err error) {
	for i++; i < len(b); {
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

// isStop is what stringStops and the stop bitmap look for, one byte at a
// time.
func isStop(c byte) bool { return c == '"' || c == '\\' || c < 0x20 }

func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// checkString compares every way the decoder reads the string that starts
// at b[i] == '"' with refScanString: scanString itself, the stop
// window's lookups (plainEnd, slowEnd), the scanner's scanString, and the
// scanner's own inline path, where the string is a value
// and where it is a member name (validate on the body from the string on,
// with the same offsets: the bytes before i are whitespace).
func checkString(t *testing.T, b []byte, i int) {
	t.Helper()
	wantEnd, wantEsc, wantErr := refScanString(b, i)
	end, esc, err := scanString(b, i)
	if end != wantEnd || esc != wantEsc || errText(err) != errText(wantErr) {
		t.Fatalf("scanString(%q, %d) = %d, %v, %v; byte by byte %d, %v, %v", b, i, end, esc, err, wantEnd, wantEsc, wantErr)
	}

	checkStringEnd(t, b, i)
	var d decoder
	d.buf = b
	if end, esc, err := d.scanString(i); end != wantEnd || esc != wantEsc || errText(err) != errText(wantErr) {
		t.Fatalf("decoder.scanString(%q, %d) = %d, %v, %v; byte by byte %d, %v, %v", b, i, end, esc, err, wantEnd, wantEsc, wantErr)
	}

	// As a value: the string is the whole document when it ends b.
	verr := validate(b)
	switch {
	case wantErr != nil:
		if errText(verr) != errText(wantErr) {
			t.Fatalf("validate(%q) = %v; byte by byte %v", b, verr, wantErr)
		}
	case skipSpace(b, wantEnd) == len(b):
		if verr != nil {
			t.Fatalf("validate(%q) = %v; byte by byte the string ends at %d", b, verr, wantEnd)
		}
	case verr == nil:
		t.Fatalf("validate(%q) = nil with data after the string's end %d", b, wantEnd)
	}

	// As a member name: the same string after a '{'.
	named := append(append(append([]byte{}, b[:i]...), '{'), b[i:]...)
	nerr := validate(named)
	switch {
	case wantErr != nil:
		shifted := wantErr
		if se, ok := wantErr.(*syntaxError); ok {
			shifted = &syntaxError{off: se.off + 1, msg: se.msg}
		}
		if errText(nerr) != errText(shifted) {
			t.Fatalf("validate(%q) = %v; byte by byte %v", named, nerr, shifted)
		}
	case nerr == nil:
		t.Fatalf("validate(%q) = nil: an object without its closing brace", named)
	default:
		member := append(slices.Clone(named[:wantEnd+1]), `:0}`...)
		if err := validate(member); err != nil {
			t.Fatalf("validate(%q) = %v; byte by byte the name ends at %d", member, err, wantEnd)
		}
	}
}

// FuzzScanString checks the word-at-a-time string scanner against a
// byte-at-a-time reference for any bytes after a quote: bytes >= 0x80 and
// invalid UTF-8 (plain, as before), escapes and control characters at
// every offset from an eight-byte boundary (each input is tried after 0 to
// 15 bytes of whitespace), and strings cut at every length, so that each
// ends at the body's end, inside the last word or mid-escape.
func FuzzScanString(f *testing.F) {
	for _, s := range []string{
		`"`, `abc"`, `56YE2TYN2VFYRLNSHKP0000001"`, `2026-03-01T00:53:18.283114907Z",`, `jane.doe@example.com"}`,
		`a\"b"`, `\\"`, `\/\b\f\n\r\t"`, `\u00e9\uD83D\uDE00"`, `\u12G4"`, `\x"`, `\`, `\u12`,
		"a\x01b\"", "\x1f\"", "tab\there\"", "\xff\xfe\x80\"", "h\xc3\xa9llo w\xc3\xb6rld\"", "\xe2\x82\"",
		strings.Repeat("x", 7) + `\n"`, strings.Repeat("x", 8) + `\n"`, strings.Repeat("x", 15) + `\"x"`,
		strings.Repeat("x", 16) + "\x00\"", strings.Repeat("ab", 20) + `"`, strings.Repeat("\x80", 17) + `"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, s []byte) {
		if len(s) > 96 {
			s = s[:96] // every cut of every alignment: keep it quick
		}
		// stringStops on each word of the input: its lowest flagged byte is
		// the first stop, whatever follows.
		for k := 0; k+8 <= len(s); k++ {
			w := s[k : k+8]
			want := 8
			for j, c := range w {
				if isStop(c) {
					want = j
					break
				}
			}
			m := stringStops(uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
				uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56)
			got := 8
			if m != 0 {
				got = trailingBytes(m)
			}
			if got != want {
				t.Fatalf("stringStops(%q) flags byte %d, the first stop is byte %d", w, got, want)
			}
		}
		b := make([]byte, 0, 16+1+len(s))
		for pad := range 16 {
			b = append(append(append(b[:0], bytes.Repeat([]byte{' '}, pad)...), '"'), s...)
			for n := pad + 1; n <= len(b); n++ {
				checkString(t, b[:n:n], pad)
			}
		}
	})
}

// trailingBytes is the index of the lowest byte with its high bit set.
func trailingBytes(m uint64) int {
	for j := range 8 {
		if m>>(8*j+7)&1 != 0 {
			return j
		}
	}
	return 8
}
