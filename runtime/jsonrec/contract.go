package jsonrec

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrContract marks a page that is valid JSON but not the shape its Spec
// declares: a record array absent, null or not an array, a body of the
// wrong type, a declared member absent, of another type or empty. Such an
// answer must never read as an empty page: the events it stands for
// would be skipped for good when the cursor moves past them.
var ErrContract = errors.New("page contract")

// Type is a set of JSON types, for Member.Type.
type Type uint8

// The JSON types a Member may be declared with; combine them with |.
const (
	Null Type = 1 << iota
	Bool
	Number
	String
	Array
	Object
)

// Member is a value outside the record arrays that every page must carry.
type Member struct {
	// Path is its dotted path ("cursor", "response.metadata").
	Path string
	// Type is the set of JSON types accepted.
	Type Type
	// Optional lets it be absent; when present it must still be of Type.
	Optional bool
	// NonEmpty refuses "", [] and {}: a cursor that resumes nothing would
	// be saved and refused by the API on every later run.
	NonEmpty bool
}

// seen is what the decoder found at a Member's path.
type seen struct {
	kind  byte // first byte of the value; 0 when absent
	empty bool // "", [] or {}
}

// typeOf is the Type of a value starting with c.
func typeOf(c byte) Type {
	switch c {
	case 'n':
		return Null
	case 't', 'f':
		return Bool
	case '"':
		return String
	case '[':
		return Array
	case '{':
		return Object
	}
	return Number
}

// String names the set as an error message says it: "a string", "null,
// a string or an array".
func (t Type) String() string {
	names := []struct {
		t    Type
		name string
	}{{Null, "null"}, {Bool, "a boolean"}, {Number, "a number"}, {String, "a string"}, {Array, "an array"}, {Object, "an object"}}
	var out []string
	for _, n := range names {
		if t&n.t != 0 {
			out = append(out, n.name)
		}
	}
	switch len(out) {
	case 0:
		return "nothing"
	case 1:
		return out[0]
	}
	return strings.Join(out[:len(out)-1], ", ") + " or " + out[len(out)-1]
}

// member returns the index of path in spec.Members, or -1.
func (d *decoder) member(path string) int {
	for k := range d.spec.Members {
		if d.spec.Members[k].Path == path {
			return k
		}
	}
	return -1
}

// note records what was found at path when path is a declared member.
func (d *decoder) note(path string, c byte, empty bool) {
	if k := d.member(path); k >= 0 && d.seen[k].kind == 0 {
		d.seen[k] = seen{kind: c, empty: empty}
	}
}

// violate records a contract violation at path; the page fails once the
// whole body proved valid JSON (a truncation is retried, a syntax error
// says so, before any shape is judged).
func (d *decoder) violate(path, msg string) {
	d.violations = append(d.violations, violation{path, msg})
}

type violation struct{ path, msg string }

// contract checks the decoded page against the Spec: the body's type, the
// presence of every record array, every declared member. All violations
// are named together, in path order.
func (d *decoder) contract(root byte) error {
	if _, docArray := d.spec.Arrays[""]; !docArray && root != '{' {
		return fmt.Errorf("decode page: %w: the response is a JSON %s, expected an object", ErrContract, kindName(root))
	}
	for path := range d.spec.Arrays {
		if path != "" && !slices.Contains(d.arrays, path) && !d.violated(path) && !slices.Contains(d.spec.Omittable, path) {
			d.violate(path, fmt.Sprintf("%s is absent%s, expected an array of records", describePath(path), d.parentNote(path)))
		}
	}
	for k, m := range d.spec.Members {
		s := d.seen[k]
		switch {
		case s.kind == 0 && !m.Optional:
			d.violate(m.Path, fmt.Sprintf("%s is absent%s, expected %s", describePath(m.Path), d.parentNote(m.Path), m.Type))
		case s.kind == 0:
		case m.Type&typeOf(s.kind) == 0:
			d.violate(m.Path, fmt.Sprintf("%s is a JSON %s, expected %s", describePath(m.Path), kindName(s.kind), m.Type))
		case m.NonEmpty && s.empty:
			d.violate(m.Path, fmt.Sprintf("%s is an empty %s, expected a non-empty one", describePath(m.Path), kindName(s.kind)))
		}
	}
	if len(d.violations) == 0 {
		return nil
	}
	slices.SortStableFunc(d.violations, func(a, b violation) int { return strings.Compare(a.path, b.path) })
	msgs := make([]string, len(d.violations))
	for i, v := range d.violations {
		msgs[i] = v.msg
	}
	return fmt.Errorf("decode page: %w: %s", ErrContract, strings.Join(msgs, "; "))
}

func (d *decoder) violated(path string) bool {
	return slices.ContainsFunc(d.violations, func(v violation) bool { return v.path == path })
}

// parentNote says why a nested path is absent when an ancestor was found
// as something other than an object (Duo's "response" null).
func (d *decoder) parentNote(path string) string {
	for p := path; ; {
		i := strings.LastIndexByte(p, '.')
		if i < 0 {
			return ""
		}
		p = p[:i]
		if raw, ok := d.page.Meta[p]; ok && len(raw) > 0 {
			return fmt.Sprintf(" (%q is a JSON %s)", p, kindName(raw[0]))
		}
		if slices.Contains(d.arrays, p) {
			return fmt.Sprintf(" (%q is an array of records)", p)
		}
	}
}
