package state

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Every run loads the state before its first request, and a caught-up run
// (the common case: a run every few minutes finds a few events) does little
// else. With encoding/json, loading three windows of 2,000 IDs cost about
// 7 ms of CPU and 6,000 allocations, a third of such a run; 5,000-ID
// windows (the runtime's default) cost about 18 ms. decodeFile reads the
// files this package writes in one pass, with one allocation for all of
// their strings. It accepts only a subset of JSON that it fully checks:
// the members File names in any order, each at most once, strings of
// printable ASCII without escapes, integers without fraction or exponent,
// and JSON whitespace between tokens. Anything else (an unknown or
// differently cased member, an escape, a duplicate, a syntax error) makes
// it give up, and read decodes the file with encoding/json as before, so
// that its errors and its handling of unusual but valid files do not
// change. FuzzDecodeFile holds the two to the same result.

// decodeFile decodes data as encoding/json would into a File, or reports
// false when data is outside the subset it reads. data is the file read
// as one string (safefs.Dir.ReadFileString), so that every string decoded
// is a substring of it rather than an allocation of its own, and the file
// is not copied from bytes into a string.
func decodeFile(data string) (*File, bool) {
	d := fileDecoder{data: data}
	var f File
	if !d.file(&f) {
		return nil, false
	}
	d.space()
	return &f, d.i == len(d.data)
}

// fileDecoder reads data from i.
type fileDecoder struct {
	data string
	i    int
}

func (d *fileDecoder) space() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// byte consumes c, after whitespace.
func (d *fileDecoder) byte(c byte) bool {
	d.space()
	if d.i < len(d.data) && d.data[d.i] == c {
		d.i++
		return true
	}
	return false
}

// null consumes the literal null.
func (d *fileDecoder) null() bool {
	d.space()
	if strings.HasPrefix(d.data[d.i:], "null") {
		d.i += 4
		return true
	}
	return false
}

// str reads a string of printable ASCII without escapes.
func (d *fileDecoder) str() (string, bool) {
	if !d.byte('"') {
		return "", false
	}
	start := d.i
	for ; d.i < len(d.data); d.i++ {
		switch c := d.data[d.i]; {
		case c == '"':
			d.i++
			return d.data[start : d.i-1], true
		case c < 0x20 || c >= 0x80 || c == '\\':
			return "", false
		}
	}
	return "", false
}

// integer reads an integer literal as JSON writes it (-?(0|[1-9][0-9]*)).
func (d *fileDecoder) integer() (string, bool) {
	d.space()
	start := d.i
	if d.i < len(d.data) && d.data[d.i] == '-' {
		d.i++
	}
	digits := d.i
	for d.i < len(d.data) && d.data[d.i] >= '0' && d.data[d.i] <= '9' {
		d.i++
	}
	n := d.i - digits
	if n == 0 || n > 1 && d.data[digits] == '0' {
		return "", false
	}
	// A fraction or an exponent makes it a number encoding/json refuses
	// for an integer field, or one it reads differently: not ours.
	if d.i < len(d.data) && (d.data[d.i] == '.' || d.data[d.i] == 'e' || d.data[d.i] == 'E') {
		return "", false
	}
	return d.data[start:d.i], true
}

func (d *fileDecoder) int() (int, bool) {
	s, ok := d.integer()
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 0)
	return int(n), err == nil
}

func (d *fileDecoder) uint() (uint64, bool) {
	s, ok := d.integer()
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

// time reads a timestamp exactly as time.Time's UnmarshalJSON does.
func (d *fileDecoder) time() (time.Time, bool) {
	d.space()
	start := d.i
	if _, ok := d.str(); !ok {
		return time.Time{}, false
	}
	var t time.Time
	return t, t.UnmarshalJSON([]byte(d.data[start:d.i])) == nil
}

// object reads an object whose members member decodes, each name at most
// once (seen tracks the names of a struct's members).
func (d *fileDecoder) object(member func(name string) bool) bool {
	if !d.byte('{') {
		return false
	}
	if d.byte('}') {
		return true
	}
	for {
		name, ok := d.str()
		if !ok || !d.byte(':') || !member(name) {
			return false
		}
		if d.byte('}') {
			return true
		}
		if !d.byte(',') {
			return false
		}
	}
}

// once marks member bit of seen and reports whether it was unmarked: a
// member given twice is left to encoding/json, whose rules for it are
// subtle (the last wins, merging into nested structs).
func once(seen *uint, bit uint) bool {
	if *seen&bit != 0 {
		return false
	}
	*seen |= bit
	return true
}

func (d *fileDecoder) file(f *File) bool {
	var seen uint
	return d.object(func(name string) bool {
		ok := false
		switch name {
		case "version":
			if ok = once(&seen, 1); ok {
				f.Version, ok = d.int()
			}
		case "vendor":
			if ok = once(&seen, 2); ok {
				f.Vendor, ok = d.str()
			}
		case "instance":
			if ok = once(&seen, 4); ok {
				f.Instance, ok = d.str()
			}
		case "updated_at":
			if ok = once(&seen, 8); ok {
				f.UpdatedAt, ok = d.time()
			}
		case "journal":
			if ok = once(&seen, 16); ok {
				f.Journal, ok = d.str()
			}
		case "modules":
			if ok = once(&seen, 32); ok {
				f.Modules = map[string]ModuleState{}
				ok = d.object(func(module string) bool {
					if _, dup := f.Modules[module]; dup {
						return false
					}
					var ms ModuleState
					if !d.module(&ms, false) {
						return false
					}
					f.Modules[module] = ms
					return true
				})
			}
		case "pending_owner":
			if ok = once(&seen, 64); ok && !d.null() {
				f.PendingOwner = &Owner{}
				ok = d.owner(f.PendingOwner)
			}
		}
		return ok
	}) && seen&1 != 0 && f.Version >= 1 && f.Version <= Version
}

func (d *fileDecoder) owner(o *Owner) bool {
	var seen uint
	return d.object(func(name string) bool {
		ok := false
		switch name {
		case "pid":
			if ok = once(&seen, 1); ok {
				o.PID, ok = d.int()
			}
		case "start_time":
			if ok = once(&seen, 2); ok {
				o.StartTime, ok = d.uint()
			}
		case "boot_id":
			if ok = once(&seen, 4); ok {
				o.BootID, ok = d.str()
			}
		}
		return ok
	})
}

// module reads a ModuleState; in a pending part (pending), whose members
// are a ModuleState's first three, a nested "pending" is not ours.
func (d *fileDecoder) module(ms *ModuleState, pending bool) bool {
	var seen uint
	return d.object(func(name string) bool {
		ok := false
		switch name {
		case "cursor":
			if ok = once(&seen, 1); ok {
				ms.Cursor, ok = d.raw()
			}
		case "updated_at":
			if ok = once(&seen, 2); ok {
				ms.UpdatedAt, ok = d.time()
			}
		case "recent":
			if ok = once(&seen, 4); ok {
				ms.Recent, ok = d.ids()
			}
		case "pending":
			if ok = !pending && once(&seen, 8); ok && !d.null() {
				var p ModuleState
				if ok = d.module(&p, true); ok {
					ms.Pending = &Pending{Cursor: p.Cursor, UpdatedAt: p.UpdatedAt, Recent: p.Recent}
				}
			}
		}
		return ok
	})
}

// ids reads an array of strings, or null.
func (d *fileDecoder) ids() ([]string, bool) {
	if d.null() {
		return nil, true
	}
	if !d.byte('[') {
		return nil, false
	}
	// A window is usually full: count its strings first, so that the
	// slice is allocated once.
	out := make([]string, 0, strings.Count(d.data[d.i:d.i+strings.IndexByte(d.data[d.i:], ']')+1], ",")+1)
	if d.byte(']') {
		return out, true
	}
	for {
		id, ok := d.str()
		if !ok {
			return nil, false
		}
		out = append(out, id)
		if d.byte(']') {
			return out, true
		}
		if !d.byte(',') {
			return nil, false
		}
	}
}

// raw reads a cursor, any JSON value, as encoding/json gives it to a
// json.RawMessage: its bytes, copied.
func (d *fileDecoder) raw() (json.RawMessage, bool) {
	d.space()
	start := d.i
	if !d.skip(0) {
		return nil, false
	}
	v := []byte(d.data[start:d.i])
	if !json.Valid(v) {
		return nil, false
	}
	return v, true
}

// skip moves past one value, finding its end; raw validates what it
// skipped. depth bounds the nesting of hostile input.
func (d *fileDecoder) skip(depth int) bool {
	if depth > 64 || d.i >= len(d.data) {
		return false
	}
	switch d.data[d.i] {
	case '"':
		for d.i++; d.i < len(d.data); d.i++ {
			switch d.data[d.i] {
			case '\\':
				d.i++
			case '"':
				d.i++
				return true
			}
		}
		return false
	case '{', '[':
		closer := byte('}')
		if d.data[d.i] == '[' {
			closer = ']'
		}
		d.i++
		for {
			d.space()
			if d.i >= len(d.data) {
				return false
			}
			switch d.data[d.i] {
			case closer:
				d.i++
				return true
			case ',', ':':
				d.i++
			default:
				if !d.skip(depth + 1) {
					return false
				}
			}
		}
	default:
		start := d.i
		for d.i < len(d.data) {
			switch d.data[d.i] {
			case ',', '}', ']', ':', ' ', '\t', '\n', '\r', '"', '{', '[':
				return d.i > start
			}
			d.i++
		}
		return d.i > start
	}
}
