package emit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
)

// countLeaves counts the fields Wazuh's JSON decoder makes of a line, the
// way json_decoder.c walks it: scalars outside arrays and one per outermost
// array. Duplicate names count each time (cJSON keeps them all).
func countLeaves(line []byte) (int, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var walk func(inArray bool) (int, error)
	walk = func(inArray bool) (int, error) {
		tok, err := dec.Token()
		if err != nil {
			return 0, err
		}
		switch tok {
		case json.Delim('{'):
			n := 0
			for dec.More() {
				if _, err := dec.Token(); err != nil { // key
					return 0, err
				}
				k, err := walk(inArray)
				if err != nil {
					return 0, err
				}
				n += k
			}
			_, err := dec.Token()
			if inArray {
				return 0, err
			}
			return n, err
		case json.Delim('['):
			for dec.More() {
				if _, err := walk(true); err != nil {
					return 0, err
				}
			}
			_, err := dec.Token()
			if inArray {
				return 0, err
			}
			return 1, err
		}
		if inArray {
			return 0, nil
		}
		return 1, nil
	}
	n, err := walk(false)
	if err != nil {
		return 0, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return 0, fmt.Errorf("data after the line's object")
	}
	return n, nil
}

type member struct {
	Key string
	Raw json.RawMessage
}

// members returns the members of a JSON object in order.
func members(t testing.TB, obj []byte) []member {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(obj))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", obj)
	}
	var out []member
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatal(err)
		}
		out = append(out, member{k.(string), raw})
	}
	return out
}

// checkLine verifies what every line promises and returns the namespace
// object and its _wodlekit marker (nil when absent).
func checkLine(t testing.TB, e *Encoder, line []byte, m Marks) (ns []member, marker map[string]any) {
	t.Helper()
	o := e.Options()
	if len(line) > o.MaxLineBytes {
		t.Errorf("line is %d bytes, budget %d", len(line), o.MaxLineBytes)
	}
	if !bytes.HasSuffix(line, []byte("\n")) || bytes.Count(line, []byte("\n")) != 1 {
		t.Fatalf("line must end in its only newline: %q", tail(line))
	}
	body := line[:len(line)-1]
	if !json.Valid(body) {
		t.Fatalf("line is not valid JSON: %s", tail(line))
	}
	prefix := fmt.Sprintf(`{"integration":"%s","%s":{`, o.Integration, o.Integration)
	if !bytes.HasPrefix(body, []byte(prefix)) {
		t.Fatalf("line does not start with %s: %.80s", prefix, body)
	}
	var c bytes.Buffer
	_ = json.Compact(&c, body)
	if !bytes.Equal(c.Bytes(), body) {
		t.Errorf("line is not compact")
	}
	n, err := countLeaves(body)
	if err != nil {
		t.Fatal(err)
	}
	if n > o.MaxFields && !m.OverFields {
		t.Errorf("line has %d leaves, budget %d, and OverFields is not set", n, o.MaxFields)
	}
	top := members(t, body)
	if len(top) != 2 || top[0].Key != "integration" || top[1].Key != o.Integration {
		t.Fatalf("top-level members are %v, want integration and %s only", top, o.Integration)
	}
	ns = members(t, top[1].Raw)
	for i, mb := range ns {
		if mb.Key == MarkerKey {
			if i != len(ns)-1 {
				t.Errorf("%s is member %d of %d, must be last", MarkerKey, i, len(ns))
			}
			if err := json.Unmarshal(mb.Raw, &marker); err != nil {
				t.Fatal(err)
			}
		}
	}
	if m.Changed() != (marker != nil) {
		t.Errorf("Marks %+v but marker %v", m, marker)
	}
	return ns, marker
}

func tail(b []byte) string {
	if len(b) > 200 {
		return "..." + string(b[len(b)-200:])
	}
	return string(b)
}

func get(ns []member, key string) string {
	for _, m := range ns {
		if m.Key == key {
			return string(m.Raw)
		}
	}
	return ""
}

// nested builds {"k0":{"k1":...{leaves}}} for tests of folding.
func wide(prefix string, n int) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"%s%d":%d`, prefix, i, i)
	}
	b.WriteByte('}')
	return b.String()
}
