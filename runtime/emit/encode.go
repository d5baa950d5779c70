// Package emit turns records into the lines Wazuh reads: one compact JSON
// object per line, `integration` first and the vendor namespace second,
// within the byte and leaf-field budgets of Wazuh 4.x's JSON decoder.
package emit

import (
	"errors"
	"fmt"

	"github.com/wodlekit/wodlekit/runtime/jsonrec"
)

// MarkerKey is the member added inside the namespace of an event whose
// record had to be changed to fit the budgets; it says exactly what changed.
const MarkerKey = "_wodlekit"

// Options are the budgets of one vendor's lines.
type Options struct {
	// Integration is the integration value and the namespace key.
	Integration string
	// MaxLineBytes bounds a line, newline included. Wazuh cuts lines near
	// 64 KiB and a cut JSON line decodes to nothing.
	MaxLineBytes int
	// MaxFields bounds the leaf fields Wazuh's JSON decoder will see
	// (analysisd.decoder_order_size, 256 by default); beyond it Wazuh drops
	// fields silently.
	MaxFields int
}

// Marks counts what the budgets changed in one event.
type Marks struct {
	// Truncated counts string values shrunk to fit MaxLineBytes.
	Truncated int
	// Folded counts objects folded into JSON strings to fit MaxFields.
	Folded int
	// BigInts counts integers outside 32 bits rewritten as strings.
	BigInts int
	// OverFields is set when folding could not bring the event within
	// MaxFields (a flat record with too many members).
	OverFields bool
}

// Changed reports whether the record was altered beyond adding event_type.
func (m Marks) Changed() bool { return m.Truncated+m.Folded+m.BigInts > 0 || m.OverFields }

// ErrTooLarge is returned when nothing can be shrunk enough: the record is
// made of keys and numbers only, far beyond the byte budget.
var ErrTooLarge = errors.New("event exceeds the line budget and cannot be shrunk")

// Encoder writes event lines for one vendor. It is safe for concurrent use.
type Encoder struct {
	opt    Options
	prefix []byte
}

// NewEncoder returns an encoder; zero budgets take Wazuh-safe defaults.
func NewEncoder(o Options) *Encoder {
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = 60000
	}
	if o.MaxFields <= 0 {
		o.MaxFields = 256
	}
	prefix := fmt.Appendf(nil, `{"integration":%q,%q:`, o.Integration, o.Integration)
	return &Encoder{opt: o, prefix: prefix}
}

// Options returns the encoder's budgets.
func (e *Encoder) Options() Options { return e.opt }

// AppendRecord appends the line for one record (a compact JSON object, as
// jsonrec gives it) to dst, newline included. eventType is added as
// "event_type" when the record has no such member.
func (e *Encoder) AppendRecord(dst, raw []byte, eventType string) ([]byte, Marks, error) {
	return e.AppendShaped(dst, raw, eventType, jsonrec.Shape{})
}

// AppendShaped is AppendRecord with the record's shape already known
// (jsonrec finds it while decoding), which saves a pass over the record.
// A zero Shape is computed here.
func (e *Encoder) AppendShaped(dst, raw []byte, eventType string, sh jsonrec.Shape) ([]byte, Marks, error) {
	if len(raw) < 2 || raw[0] != '{' || raw[len(raw)-1] != '}' {
		return dst, Marks{}, fmt.Errorf("record is not a JSON object")
	}
	if !sh.Known {
		sh = jsonrec.ShapeOf(raw)
	}
	addType := eventType != "" && !sh.HasEventType
	// integration + the record's leaves + event_type.
	fields := 1 + sh.Leaves
	size := len(e.prefix) + len(raw) + 2 // closing brace and newline
	if addType {
		fields++
		size += len(`,"event_type":`) + quotedLen(eventType)
	}
	if !sh.BigInts && fields <= e.opt.MaxFields && size <= e.opt.MaxLineBytes {
		dst = append(dst, e.prefix...)
		if addType {
			dst = appendWithMember(dst, raw, "event_type", eventType)
		} else {
			dst = append(dst, raw...)
		}
		return append(dst, '}', '\n'), Marks{}, nil
	}
	return e.slowPath(dst, raw, eventType, addType)
}

// appendWithMember appends obj with one more string member at its end.
func appendWithMember(dst, obj []byte, key, value string) []byte {
	dst = append(dst, obj[:len(obj)-1]...)
	if len(obj) > 2 {
		dst = append(dst, ',')
	}
	dst = appendQuoted(dst, key)
	dst = append(dst, ':')
	dst = appendQuoted(dst, value)
	return append(dst, '}')
}
