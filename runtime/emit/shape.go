package emit

import "github.com/wodlekit/wodlekit/runtime/jsonrec"

// shape is what the fast path needs to know about a record, found in one
// pass over its bytes.
type shape struct {
	// leaves counts the fields Wazuh's JSON decoder makes: scalars outside
	// arrays, plus one per outermost array (printed as one string).
	leaves       int
	bigInts      bool
	hasEventType bool
}

// scanShape walks a compact, valid JSON object. It never panics on bad
// input; the counts are then meaningless but the slow path re-checks.
func scanShape(b []byte) shape {
	var s shape
	depth, inArray := 0, 0
	// arrays remembers, per open container, whether it is an array, so that
	// closing brackets restore inArray; 64 levels cover real records and
	// deeper ones fall back to a slice.
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
				s.leaves++
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
		case ',', ':', ' ', '\t', '\n', '\r':
			i++
		case '"':
			end := jsonrec.SkipValue(b, i)
			if end < len(b) && b[end] == ':' {
				if depth == 1 && string(b[i:end]) == `"event_type"` {
					s.hasEventType = true
				}
			} else if inArray == 0 {
				s.leaves++
			}
			i = end
		default:
			end := jsonrec.SkipValue(b, i)
			if end <= i {
				end = i + 1
			}
			if inArray == 0 {
				s.leaves++
			}
			if (c == '-' || (c >= '0' && c <= '9')) && isBigInt(b[i:end]) {
				s.bigInts = true
			}
			i = end
		}
	}
	return s
}

// isBigInt reports whether a number literal is an integer outside the
// 32-bit range: Wazuh's decoder turns those into floats
// ("1700000000123.000000"), losing digits beyond 2^53.
func isBigInt(num []byte) bool {
	digits := num
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 {
		return false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false // a float literal stays a float
		}
	}
	if len(digits) < 10 {
		return false
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
