package jsonrec

import (
	"bytes"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// appendCompact appends src without insignificant whitespace. src must be
// valid JSON (the decoder checked it); most vendors already send compact
// records, so the common case is a single copy.
func appendCompact(dst, src []byte) []byte {
	if !hasSpaceOutsideStrings(src) {
		return append(dst, src...)
	}
	inString := false
	for i := 0; i < len(src); i++ {
		c := src[i]
		if inString {
			dst = append(dst, c)
			switch c {
			case '\\':
				i++
				if i < len(src) {
					dst = append(dst, src[i])
				}
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '"':
			inString = true
		}
		dst = append(dst, c)
	}
	return dst
}

func hasSpaceOutsideStrings(b []byte) bool {
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			return true
		case '"':
			// Jump to the closing quote: a quote preceded by an even
			// number of backslashes.
			for {
				j := bytes.IndexByte(b[i+1:], '"')
				if j < 0 {
					return false
				}
				i += j + 1
				k := i - 1
				for k >= 0 && b[k] == '\\' {
					k--
				}
				if (i-1-k)%2 == 0 {
					break
				}
			}
		}
	}
	return false
}

// SkipValue returns the index just past the JSON value starting at b[i].
// b must hold valid compact JSON from i on; malformed input yields an index
// somewhere in b, never a panic.
func SkipValue(b []byte, i int) int {
	if i >= len(b) {
		return len(b)
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = skipString(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return len(b)
	default:
		for ; i < len(b); i++ {
			switch b[i] {
			case ',', '}', ']':
				return i
			}
		}
		return len(b)
	}
}

// skipString returns the index just past the string starting at b[i] == '"'.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// unquote decodes a JSON string literal. The fast path is a string without
// escapes, the usual case for IDs.
func unquote(q []byte) (string, error) {
	if len(q) < 2 || q[0] != '"' || q[len(q)-1] != '"' {
		return "", fmt.Errorf("not a JSON string: %.20q", q)
	}
	body := q[1 : len(q)-1]
	if bytes.IndexByte(body, '\\') < 0 {
		if i := badStringByte(body); i >= 0 {
			return "", fmt.Errorf("not a JSON string: unescaped %q at %d", body[i], i+1)
		}
		return string(body), nil
	}
	var out []byte
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c == '"' || c < 0x20 {
			return "", fmt.Errorf("not a JSON string: unescaped %q at %d", c, i+1)
		}
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i >= len(body) {
			return "", fmt.Errorf("bad escape at end of string")
		}
		switch body[i] {
		case '"', '\\', '/':
			out = append(out, body[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			if i+4 >= len(body) {
				return "", fmt.Errorf("short \\u escape")
			}
			r, err := strconv.ParseUint(string(body[i+1:i+5]), 16, 32)
			if err != nil {
				return "", fmt.Errorf("bad \\u escape: %w", err)
			}
			i += 4
			cp := rune(r)
			if cp >= 0xD800 && cp < 0xDC00 && i+6 < len(body) && body[i+1] == '\\' && body[i+2] == 'u' {
				if lo, err := strconv.ParseUint(string(body[i+3:i+7]), 16, 32); err == nil && lo >= 0xDC00 && lo < 0xE000 {
					cp = (cp-0xD800)<<10 + (rune(lo) - 0xDC00) + 0x10000
					i += 6
				}
			}
			out = utf8.AppendRune(out, cp)
		default:
			return "", fmt.Errorf("bad escape \\%c", body[i])
		}
	}
	return string(out), nil
}

// badStringByte returns the index of the first byte that a JSON string
// must escape (a quote or a control character), or -1.
func badStringByte(body []byte) int {
	for i, c := range body {
		if c == '"' || c < 0x20 {
			return i
		}
	}
	return -1
}

// Unquote decodes a JSON string literal (quotes included).
func Unquote(q []byte) (string, error) { return unquote(q) }
