package jsonrec

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// oracle computes a record's shape and top-level fields with
// encoding/json's token stream, independently of the byte scanner. Like
// Wazuh's cJSON, it keeps duplicate keys (each makes a field).
func oracle(t *testing.T, raw []byte, fields []string) (Shape, []string) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	sh := Shape{Known: true}
	vals := make([]string, len(fields))
	// stack of open containers: true for arrays.
	var stack []bool
	inArray := 0
	expectKey := false
	var key string
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		depth := len(stack)
		topValue := depth == 1 && !stack[0] && !expectKey
		switch x := tok.(type) {
		case json.Delim:
			switch x {
			case '{':
				stack = append(stack, false)
				expectKey = true
				continue
			case '[':
				if inArray == 0 {
					sh.Leaves++
				}
				stack = append(stack, true)
				inArray++
				expectKey = false
				continue
			case '}', ']':
				if stack[len(stack)-1] {
					inArray--
				}
				stack = stack[:len(stack)-1]
			}
		default:
			if len(stack) > 0 && !stack[len(stack)-1] && expectKey {
				key = x.(string)
				if depth == 1 && key == "event_type" {
					sh.HasEventType = true
				}
				expectKey = false
				continue
			}
			if inArray == 0 {
				sh.Leaves++
			}
			if n, ok := x.(json.Number); ok && IsBigInt([]byte(n.String())) {
				sh.BigInts = true
				// raw is compact: the number ends where the decoder is.
				sh.BigIntAt = append(sh.BigIntAt, int32(dec.InputOffset())-int32(len(n)))
			}
			if topValue {
				for i, f := range fields {
					if vals[i] != "" || f != key {
						continue
					}
					switch v := x.(type) {
					case string:
						vals[i] = v
					case json.Number:
						vals[i] = v.String()
					case bool:
						vals[i] = map[bool]string{true: "true", false: "false"}[v]
					}
				}
			}
		}
		// After a value inside an object, a key comes next.
		expectKey = len(stack) > 0 && !stack[len(stack)-1]
	}
	return sh, vals
}

// inspect runs a record through Decode, the production path, and returns
// its shape, captured fields and whether it had to be compacted.
func inspect(raw []byte, fields []string, vals []string) (Shape, bool) {
	page, err := Decode(bytes.NewReader(append(append([]byte(`{"r":[`), raw...), ']', '}')),
		&Spec{Arrays: map[string]string{"r": ""}, Fields: fields})
	if err != nil || len(page.Items) != 1 {
		return Shape{}, false
	}
	copy(vals, page.Items[0].Fields)
	return page.Items[0].Shape, !bytes.Equal(page.Items[0].Raw, raw)
}

func TestInspect(t *testing.T) {
	cases := []string{
		`{}`,
		`{"uuid":"A1","event_type":"x","n":1}`,
		`{"a":{"b":{"c":null}},"arr":[1,{"x":2},[3]],"big":1700000000123,"neg":-2147483649,"ok":2147483647,"f":1.5e300}`,
		`{"e\u0076ent_type":"escaped key","uuid":"q\"uote"}`,
		`{"nested":{"event_type":"not top level","uuid":"inner"},"uuid":"outer"}`,
		`{"arr":[{"uuid":"in array"}],"empty":{},"s":"with } and ] and , inside","t":true}`,
	}
	fields := []string{"uuid", "t", "missing"}
	for _, raw := range cases {
		want, wantVals := oracle(t, []byte(raw), fields)
		vals := make([]string, len(fields))
		got, spaced := inspect([]byte(raw), fields, vals)
		if spaced || !reflect.DeepEqual(got, want) || strings.Join(vals, "|") != strings.Join(wantVals, "|") {
			t.Errorf("%s:\n got %+v %q spaced=%v\nwant %+v %q", raw, got, vals, spaced, want, wantVals)
		}
	}
	if _, spaced := inspect([]byte(`{"a": 1}`), nil, nil); !spaced {
		t.Error("whitespace outside strings not seen")
	}
	if _, spaced := inspect([]byte(`{"a":"x y"}`), nil, nil); spaced {
		t.Error("a space inside a string counted as whitespace")
	}
}

// FuzzInspect checks the one-pass scanner against encoding/json on every
// valid object the fuzzer finds: leaves, big integers, event_type and the
// captured fields must agree, on the compacted record as the decoder keeps it.
func FuzzInspect(f *testing.F) {
	f.Add(`{"uuid":"A","x":[1,2],"y":{"z":12345678901}}`)
	f.Add(`{"event_type":"t","a":"\\\"","b":[{"c":"]"}]}`)
	f.Add(`{ "uuid" : "spaced" , "n" : -1 }`)
	f.Fuzz(func(t *testing.T, s string) {
		// Invalid UTF-8 is kept as is by the scanner (IDs stay byte-exact)
		// and replaced by encoding/json: not comparable.
		if !utf8.ValidString(s) || !json.Valid([]byte(s)) || strings.TrimSpace(s)[0] != '{' {
			return
		}
		var buf bytes.Buffer
		if json.Compact(&buf, []byte(s)) != nil {
			return
		}
		raw := buf.Bytes()
		fields := []string{"uuid", "event_type"}
		want, wantVals := oracle(t, raw, fields)
		vals := make([]string, len(fields))
		got, _ := inspect(raw, fields, vals)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: shape %+v, oracle %+v", raw, got, want)
		}
		for i := range fields {
			if vals[i] != wantVals[i] {
				t.Fatalf("%s: field %s = %q, oracle %q", raw, fields[i], vals[i], wantVals[i])
			}
		}
	})
}
