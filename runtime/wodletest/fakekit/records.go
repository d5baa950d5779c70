package fakekit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// bigUnit is the filler of BigRecord: realistic text that needs no JSON
// escaping, so that the byte count is exact.
const bigUnit = "allow 198.51.100.0/24; "

// BigRecord returns record (a JSON object) with the string at the dotted
// path field set so that the whole record is size bytes (never shorter
// than the record with an empty string there), for the line-budget tests.
// Members are re-encoded in key order; a path through a missing object
// creates it. Invalid input panics: it is a fake's programming error.
func BigRecord(record []byte, field string, size int) []byte {
	probe := setPath(record, field, json.RawMessage(`""`))
	n := max(size-len(probe), 0)
	filler := strings.Repeat(bigUnit, n/len(bigUnit)+1)[:n]
	return setPath(record, field, json.RawMessage(`"`+filler+`"`))
}

// WideRecord returns record (a JSON object) with the object at the dotted
// path field replaced by one holding as many leaf fields as make the whole
// record count exactly n leaves (CountLeaves), in groups of 16 one level
// down ("group00":{"field000":"value 0",...}) so that the record is deep
// as well as wide, for the field-budget tests. When the record without
// that object already has n leaves or more, it is returned so.
func WideRecord(record []byte, field string, n int) []byte {
	plain := setPath(record, field, json.RawMessage(`{}`))
	extra := n - CountLeaves(plain)
	if extra <= 0 {
		return plain
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for g := 0; g*16 < extra; g++ {
		if g > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"group%02d":{`, g)
		for f := g * 16; f < min(extra, (g+1)*16); f++ {
			if f > g*16 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `"field%03d":"value %d"`, f, f)
		}
		b.WriteByte('}')
	}
	b.WriteByte('}')
	return setPath(record, field, json.RawMessage(b.Bytes()))
}

// setPath returns doc with the member at the dotted path replaced by val.
func setPath(doc []byte, path string, val json.RawMessage) []byte {
	var obj map[string]json.RawMessage
	if len(doc) > 0 {
		if err := json.Unmarshal(doc, &obj); err != nil {
			panic(fmt.Sprintf("fakekit: not a JSON object at %q: %v", path, err))
		}
	}
	if obj == nil {
		obj = map[string]json.RawMessage{}
	}
	head, rest, nested := strings.Cut(path, ".")
	if nested {
		inner := obj[head]
		if bytes.Equal(bytes.TrimSpace(inner), []byte("null")) {
			inner = nil
		}
		val = setPath(inner, rest, val)
	}
	obj[head] = val
	out, err := json.Marshal(obj)
	if err != nil {
		panic(fmt.Sprintf("fakekit: encode record: %v", err))
	}
	return out
}

// CountLeaves counts the fields Wazuh's JSON decoder makes of a document:
// scalars and nulls outside arrays, and one per outermost array. It
// returns -1 for invalid JSON.
func CountLeaves(doc []byte) int {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return -1
	}
	return leaves(v)
}

func leaves(v any) int {
	m, ok := v.(map[string]any)
	if !ok {
		return 1
	}
	n := 0
	for _, c := range m {
		n += leaves(c)
	}
	return n
}
