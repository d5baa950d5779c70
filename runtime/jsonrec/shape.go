package jsonrec

import "bytes"

// Shape is what the encoder must know about a record, found in the same
// pass that checks for whitespace and captures ID fields, so each record is
// scanned once after validation.
type Shape struct {
	// Known is false for a zero Shape: the encoder must compute it.
	Known bool
	// Leaves counts the fields Wazuh's JSON decoder makes of the record:
	// scalars outside arrays, plus one per outermost array (printed as one
	// string). Empty objects make none.
	Leaves int
	// BigInts reports an integer outside 32 bits anywhere: Wazuh turns
	// those into floats and loses digits.
	BigInts bool
	// HasEventType reports a top-level "event_type" member.
	HasEventType bool
}

// ShapeOf scans a compact JSON object. It never panics on bad input; the
// result is then meaningless, and the encoder's slow path re-checks.
func ShapeOf(b []byte) Shape {
	sh, _ := inspect(b, nil, nil)
	return sh
}

// inspect walks a valid JSON object once: its shape, whether it holds
// whitespace outside strings (then it must be compacted and inspected
// again), and the top-level scalar members named in fields, into values.
func inspect(b []byte, fields []string, values []string) (sh Shape, spaced bool) {
	sh.Known = true
	depth, inArray := 0, 0
	// Which open containers are arrays; 64 levels cover real records and
	// deeper ones spill to the heap.
	var stackBuf [64]bool
	stack := stackBuf[:0]
	for i := 0; i < len(b); {
		switch c := b[i]; c {
		case '{':
			stack = append(stack, false)
			depth++
			i++
		case '[':
			if inArray == 0 {
				sh.Leaves++
			}
			stack = append(stack, true)
			inArray++
			depth++
			i++
		case '}', ']':
			if n := len(stack); n > 0 {
				if stack[n-1] {
					inArray--
				}
				stack = stack[:n-1]
			}
			depth--
			i++
		case ',', ':':
			i++
		case ' ', '\t', '\n', '\r':
			spaced = true
			i++
		case '"':
			end := stringEnd(b, i)
			if depth == 1 && inArray == 0 && isKey(b, end) {
				key := b[i+1 : end-1]
				if bytes.IndexByte(key, '\\') >= 0 {
					// A key written with escapes is rare: compare it decoded.
					if k, err := unquote(b[i:end]); err == nil {
						key = []byte(k)
					}
				}
				if string(key) == "event_type" {
					sh.HasEventType = true
				}
				for n, f := range fields {
					if values[n] == "" && string(key) == f {
						values[n] = scalarString(memberValue(b, end))
					}
				}
			} else if !isKey(b, end) && inArray == 0 {
				sh.Leaves++
			}
			i = end
		default:
			end := i + 1
			for end < len(b) {
				switch b[end] {
				case ',', '}', ']', ' ', '\t', '\n', '\r':
					goto done
				}
				end++
			}
		done:
			if inArray == 0 {
				sh.Leaves++
			}
			if (c == '-' || (c >= '0' && c <= '9')) && isBigInt(b[i:end]) {
				sh.BigInts = true
			}
			i = end
		}
	}
	return sh, spaced
}

// stringEnd returns the index just past the string starting at b[i] ==
// '"', jumping from quote to quote: a quote preceded by an even number of
// backslashes closes the string.
func stringEnd(b []byte, i int) int {
	for {
		j := bytes.IndexByte(b[i+1:], '"')
		if j < 0 {
			return len(b)
		}
		i += j + 1
		k := i - 1
		for k >= 0 && b[k] == '\\' {
			k--
		}
		if (i-1-k)%2 == 0 {
			return i + 1
		}
	}
}

// isKey reports whether the string that ends at end is a member key.
func isKey(b []byte, end int) bool {
	for end < len(b) {
		switch b[end] {
		case ' ', '\t', '\n', '\r':
			end++
			continue
		case ':':
			return true
		}
		return false
	}
	return false
}

// memberValue returns the value after the key that ends at end.
func memberValue(b []byte, end int) []byte {
	for end < len(b) && b[end] != ':' {
		end++
	}
	start := end + 1
	for start < len(b) && (b[start] == ' ' || b[start] == '\t' || b[start] == '\n' || b[start] == '\r') {
		start++
	}
	if start >= len(b) {
		return nil
	}
	return b[start:SkipValue(b, start)]
}

// isBigInt reports whether a number literal is an integer outside the
// 32-bit range. Float literals stay floats.
func isBigInt(num []byte) bool {
	digits := num
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) < 10 {
		return false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	if len(digits) > 10 {
		return true
	}
	limit := "2147483647"
	if num[0] == '-' {
		limit = "2147483648"
	}
	return string(digits) > limit
}

// IsBigInt reports whether a number literal is an integer outside 32 bits.
func IsBigInt(num []byte) bool { return isBigInt(num) }
