package jsonrec

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
	// BigIntAt holds the offsets in the record of those integers, when the
	// scanner could keep them (a compact record): the encoder then quotes
	// them without a second pass over the record. Nil otherwise; the
	// encoder searches for them.
	BigIntAt []int32
}

// ShapeOf computes a record's Shape with the decoder's own scanner, for
// records that did not come through Decode. It never panics on bad input;
// the result is then meaningless, and the encoder's slow path re-checks.
func ShapeOf(b []byte) Shape {
	d := decoder{buf: b, stack: make([]bool, 0, 64)}
	_, sh, spaced, _ := d.scan(skipSpace(b, 0), 0, nil)
	if !spaced && len(d.bigs) > 0 {
		sh.BigIntAt = d.bigs
	}
	return sh
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
