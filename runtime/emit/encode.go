// Package emit turns records into the lines Wazuh reads: one compact JSON
// object per line, `integration` first and the vendor namespace second,
// within the byte and leaf-field budgets of Wazuh 4.x's JSON decoder.
package emit

import (
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"

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
	// types holds the "event_type" member of each event type seen, quoted
	// once: a vendor has a handful, and quoting the name and the value
	// for every record was a third of the fast path's own work.
	types atomic.Pointer[[]typeMember]
}

// typeMember is `"event_type":<quoted name>`, the member added for name.
type typeMember struct {
	name   string
	member []byte
}

// maxTypeMembers bounds the cache of typeMember: event types come from the
// vendor's declaration, but a module may take them from its records.
const maxTypeMembers = 32

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

// typeMember returns the "event_type" member for eventType, quoted once
// per encoder. The cache is copied on write: records are encoded by every
// module at once, and a new type is rare after the first page.
func (e *Encoder) typeMember(eventType string) []byte {
	for {
		old := e.types.Load()
		var cached []typeMember
		if old != nil {
			cached = *old
		}
		for _, t := range cached {
			if t.name == eventType {
				return t.member
			}
		}
		member := appendQuoted(append(appendQuoted(nil, "event_type"), ':'), eventType)
		if len(cached) >= maxTypeMembers {
			return member
		}
		next := append(cached[:len(cached):len(cached)], typeMember{name: eventType, member: member})
		if e.types.CompareAndSwap(old, &next) {
			return member
		}
	}
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
	var member []byte
	if addType {
		member = e.typeMember(eventType)
		fields++
		size += len(",") + len(member)
	}
	if !sh.BigInts {
		if fields <= e.opt.MaxFields && size <= e.opt.MaxLineBytes {
			dst = append(dst, e.prefix...)
			if addType {
				dst = appendWithMember(dst, raw, member)
			} else {
				dst = append(dst, raw...)
			}
			return append(dst, '}', '\n'), Marks{}, nil
		}
		return e.slowPath(dst, raw, eventType, addType)
	}
	if line, n, ok := e.appendBigInts(dst, raw, member, sh, fields, size); ok {
		return line, Marks{BigInts: n}, nil
	}
	return e.slowPath(dst, raw, eventType, addType)
}

// appendBigInts is the fast path of a record whose only change is big
// integers (the commonest: 64-bit IDs): they are quoted as the record is
// copied and the marker is added, the same line the tree path makes, at
// the cost of a copy. ok is false, and dst unchanged, when the record
// needs folding or shrinking too: those are left to the tree path, whose
// budget arithmetic is repeated here so that both always agree.
// member is the "event_type" member to add, nil for none.
func (e *Encoder) appendBigInts(dst, raw, member []byte, sh jsonrec.Shape, fields, size int) (line []byte, n int, ok bool) {
	start := len(dst)
	dst = append(dst, e.prefix...)
	var at bool
	if dst, at = appendQuotingAt(dst, raw[:len(raw)-1], sh.BigIntAt); at {
		n = len(sh.BigIntAt)
	} else {
		dst, n = appendQuotingBigInts(dst, raw[:len(raw)-1])
	}
	if n == 0 {
		// The shape said otherwise (ShapeOf on bad input): the tree decides.
		return dst[:start], 0, false
	}
	size += 2 * n
	// As in slowPath: the marker's leaf, and two more when strings may
	// have to be truncated, make room by folding.
	marker := 1
	if size+markerSlack > e.opt.MaxLineBytes {
		marker += 2
	}
	if fields+marker > e.opt.MaxFields {
		return dst[:start], 0, false
	}
	if member != nil {
		if len(raw) > 2 {
			dst = append(dst, ',')
		}
		dst = append(dst, member...)
	}
	dst = append(dst, `,"`+MarkerKey+`":{"big_integers_as_strings":`...)
	dst = strconv.AppendInt(dst, int64(n), 10)
	dst = append(dst, '}', '}', '}', '\n')
	if len(dst)-start > e.opt.MaxLineBytes {
		return dst[:start], 0, false
	}
	return dst, n, true
}

// appendQuotingBigInts appends b with every integer literal outside 32
// bits written as a JSON string, and counts them. b is compact JSON (or a
// prefix of it), so a number starts at a '-' or a digit outside strings.
func appendQuotingBigInts(dst, b []byte) ([]byte, int) {
	n, last := 0, 0
	for i := 0; i < len(b); {
		switch c := b[i]; {
		case c == '"':
			i = jsonrec.SkipValue(b, i)
		case c == '-' || (c >= '0' && c <= '9'):
			j := jsonrec.SkipValue(b, i)
			if jsonrec.IsBigInt(b[i:j]) {
				dst = append(dst, b[last:i]...)
				dst = append(dst, '"')
				dst = append(dst, b[i:j]...)
				dst = append(dst, '"')
				last = j
				n++
			}
			i = j
		default:
			i++
		}
	}
	return append(dst, b[last:]...), n
}

// appendQuotingAt is appendQuotingBigInts with the integers' offsets known
// (jsonrec.Shape.BigIntAt): a copy in a few pieces, no search. ok is false,
// and dst unchanged, when there are none or one of them is not a big
// integer literal where it says (a Shape that does not belong to b): the
// caller then searches.
func appendQuotingAt(dst, b []byte, at []int32) (_ []byte, ok bool) {
	if len(at) == 0 {
		return dst, false
	}
	start, last := len(dst), 0
	for _, o := range at {
		i := int(o)
		if i < max(last, 1) || i >= len(b) || (b[i-1] != ':' && b[i-1] != ',' && b[i-1] != '[') {
			return dst[:start], false
		}
		j := i
		if b[j] == '-' {
			j++
		}
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' || !jsonrec.IsBigInt(b[i:j]) {
			return dst[:start], false
		}
		dst = append(dst, b[last:i]...)
		dst = append(dst, '"')
		dst = append(dst, b[i:j]...)
		dst = append(dst, '"')
		last = j
	}
	return append(dst, b[last:]...), true
}

// appendWithMember appends obj with one more member (`"key":value`,
// encoded) at its end.
func appendWithMember(dst, obj, member []byte) []byte {
	dst = append(dst, obj[:len(obj)-1]...)
	if len(obj) > 2 {
		dst = append(dst, ',')
	}
	dst = append(dst, member...)
	return append(dst, '}')
}
