package jsonrec

import (
	"errors"
	"fmt"
	"io"

	"github.com/go-json-experiment/json/jsontext"
)

// Decode reads one page from r. Records are copied into one arena per
// page, so a page costs about its own size in memory whatever the backlog.
// Any syntax error, a truncated body or trailing garbage fails the whole
// page: a page is emitted entirely or not at all.
func Decode(r io.Reader, spec *Spec) (*Page, error) {
	dec := jsontext.NewDecoder(r,
		// Vendors do send invalid UTF-8 and duplicate names now and then; a
		// strict decoder would block the cursor on such a page forever.
		jsontext.AllowInvalidUTF8(true),
		jsontext.AllowDuplicateNames(true),
	)
	d := &decoder{dec: dec, spec: spec, page: &Page{Meta: map[string][]byte{}}}
	if err := d.walk(""); err != nil {
		return nil, d.wrap(err)
	}
	if _, err := dec.ReadToken(); !errors.Is(err, io.EOF) {
		if err == nil {
			return nil, fmt.Errorf("decode page: unexpected data after the JSON document at offset %d", dec.InputOffset())
		}
		return nil, d.wrap(err)
	}
	return d.page, nil
}

// arenaChunk is the size of the arena chunks records are copied into.
const arenaChunk = 256 << 10

type decoder struct {
	dec   *jsontext.Decoder
	spec  *Spec
	page  *Page
	arena []byte
}

func (d *decoder) wrap(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("decode page: body ended early at offset %d (truncated response): %w", d.dec.InputOffset(), io.ErrUnexpectedEOF)
	}
	var se *jsontext.SyntacticError
	if errors.As(err, &se) {
		return fmt.Errorf("decode page: invalid JSON at offset %d: %w", se.ByteOffset, err)
	}
	return fmt.Errorf("decode page: %w", err)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (d *decoder) walk(path string) error {
	switch kind := d.dec.PeekKind(); kind {
	case 0:
		_, err := d.dec.ReadToken()
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return err
	case '[':
		if kindOf, ok := d.spec.Arrays[path]; ok {
			return d.records(path, kindOf)
		}
	case '{':
		if _, isArray := d.spec.Arrays[path]; isArray {
			// An error object where the records should be (Okta's
			// {"errorCode":...}) must not read as an empty page.
			return fmt.Errorf("%s is a JSON object, expected an array of records", describePath(path))
		}
		if _, err := d.dec.ReadToken(); err != nil {
			return err
		}
		for d.dec.PeekKind() != '}' {
			tok, err := d.dec.ReadToken()
			if err != nil {
				return err
			}
			if err := d.walk(join(path, tok.String())); err != nil {
				return err
			}
		}
		_, err := d.dec.ReadToken()
		return err
	}
	v, err := d.dec.ReadValue()
	if err != nil {
		return err
	}
	if _, isArray := d.spec.Arrays[path]; isArray && v.Kind() != 'n' {
		return fmt.Errorf("%s is a JSON %s, expected an array of records", describePath(path), kindName(v.Kind()))
	}
	d.page.Meta[path] = appendCompact(nil, v)
	return nil
}

func (d *decoder) records(path, kind string) error {
	if _, err := d.dec.ReadToken(); err != nil {
		return err
	}
	for n := 0; d.dec.PeekKind() != ']'; n++ {
		v, err := d.dec.ReadValue()
		if err != nil {
			return err
		}
		if v.Kind() != '{' {
			return fmt.Errorf("record %d of %s is a JSON %s, not an object", n, describePath(path), kindName(v.Kind()))
		}
		if cap(d.arena)-len(d.arena) < len(v) {
			// A new chunk rather than a grown arena: growing would copy
			// every record so far, again and again.
			d.arena = make([]byte, 0, max(arenaChunk, len(v)))
		}
		start := len(d.arena)
		var fields []string
		if len(d.spec.Fields) > 0 {
			fields = make([]string, len(d.spec.Fields))
		}
		// One pass finds the ID fields, the encoder's shape and whether
		// the record needs compacting; only a spaced record is scanned twice.
		shape, spaced := inspect(v, d.spec.Fields, fields)
		if spaced {
			d.arena = appendCompact(d.arena, v)
		} else {
			d.arena = append(d.arena, v...)
		}
		// Three-index slice: a later append to the arena must never write
		// into a record handed out earlier.
		raw := d.arena[start:len(d.arena):len(d.arena)]
		if spaced {
			clear(fields)
			shape, _ = inspect(raw, d.spec.Fields, fields)
		}
		d.page.Items = append(d.page.Items, Item{Raw: raw, Kind: kind, Fields: fields, Shape: shape})
	}
	_, err := d.dec.ReadToken()
	return err
}

func describePath(path string) string {
	if path == "" {
		return "the response"
	}
	return fmt.Sprintf("%q", path)
}

func kindName(k jsontext.Kind) string {
	switch k {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case '0':
		return "number"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "value"
}

// String returns the page value at path as a Go string: JSON strings are
// unquoted, other scalars are returned as written. ok is false when absent
// or null.
func (p *Page) String(path string) (string, bool) {
	raw, ok := p.Meta[path]
	if !ok || string(raw) == "null" {
		return "", false
	}
	if len(raw) > 0 && raw[0] == '"' {
		s, err := unquote(raw)
		if err != nil {
			return "", false
		}
		return s, true
	}
	return string(raw), true
}

// Bool returns the page value at path as a boolean; ok is false when it is
// absent or not a boolean.
func (p *Page) Bool(path string) (value, ok bool) {
	switch string(p.Meta[path]) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}
