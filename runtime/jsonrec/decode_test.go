package jsonrec

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// compact is the reference: encoding/json's Compact keeps key order and
// number text, like Decode promises.
func compact(t testing.TB, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatalf("compact %q: %v", s, err)
	}
	return b.String()
}

func raws(p *Page) []string {
	out := make([]string, len(p.Items))
	for i, it := range p.Items {
		out[i] = string(it.Raw)
	}
	return out
}

func TestDecodeRecords(t *testing.T) {
	tests := []struct {
		name   string
		spec   Spec
		body   string
		want   []string          // compact records
		kinds  []string          // Item.Kind per record (nil: not checked)
		fields [][]string        // Item.Fields per record (nil: not checked)
		meta   map[string]string // the whole Meta map
	}{
		{
			name: "1Password page with whitespace, key order and number text kept",
			spec: Spec{Arrays: map[string]string{"items": "signin"}, Fields: []string{"uuid", "timestamp"}},
			body: `{
			  "cursor": "aGVsbG8=",
			  "has_more": true,
			  "items": [
			    {"uuid": "B", "timestamp": "2024-05-01T10:00:00.123456789Z", "z": 1, "a": 1.50, "big": 12345678901234567890, "e": 1E+2, "neg": -0},
			    { "uuid" : "A" , "s" : "two  spaces\t\" \\ }{][,:" , "n" : null , "o" : { "k" : [ 1 , 2 ] } }
			  ]
			}`,
			want: []string{
				`{"uuid":"B","timestamp":"2024-05-01T10:00:00.123456789Z","z":1,"a":1.50,"big":12345678901234567890,"e":1E+2,"neg":-0}`,
				`{"uuid":"A","s":"two  spaces\t\" \\ }{][,:","n":null,"o":{"k":[1,2]}}`,
			},
			kinds:  []string{"signin", "signin"},
			fields: [][]string{{"B", "2024-05-01T10:00:00.123456789Z"}, {"A", ""}},
			meta:   map[string]string{"cursor": `"aGVsbG8="`, "has_more": "true"},
		},
		{
			name:   "Duo nested array path and nested meta",
			spec:   Spec{Arrays: map[string]string{"response.authlogs": "auth"}, Fields: []string{"txid", "timestamp"}},
			body:   `{"stat":"OK","response":{"authlogs":[{"txid":"t1","timestamp":1714557600}],"metadata":{"next_offset":["1714557600000","t1"],"total":{"n":2}}}}`,
			want:   []string{`{"txid":"t1","timestamp":1714557600}`},
			fields: [][]string{{"t1", "1714557600"}},
			meta: map[string]string{
				"stat":                          `"OK"`,
				"response.metadata.next_offset": `["1714557600000","t1"]`,
				"response.metadata.total.n":     "2",
			},
		},
		{
			name:   "Okta: the document is the array",
			spec:   Spec{Arrays: map[string]string{"": "log"}, Fields: []string{"uuid"}},
			body:   "[\n {\"uuid\":\"u1\",\"published\":\"2024-05-01T10:00:00.000Z\"},\n {\"uuid\":\"u2\"}\n]\n",
			want:   []string{`{"uuid":"u1","published":"2024-05-01T10:00:00.000Z"}`, `{"uuid":"u2"}`},
			kinds:  []string{"log", "log"},
			fields: [][]string{{"u1"}, {"u2"}},
			meta:   map[string]string{},
		},
		{
			name:  "two record arrays keep their kinds, in document order",
			spec:  Spec{Arrays: map[string]string{"a": "ka", "b": "kb"}},
			body:  `{"b":[{"x":1}],"a":[{"y":2},{"y":3}]}`,
			want:  []string{`{"x":1}`, `{"y":2}`, `{"y":3}`},
			kinds: []string{"kb", "ka", "ka"},
			meta:  map[string]string{},
		},
		{
			name:   "empty array and empty records",
			spec:   Spec{Arrays: map[string]string{"items": "e"}, Fields: []string{"id"}},
			body:   `{"items":[ { } , {}]}`,
			want:   []string{`{}`, `{}`},
			fields: [][]string{{""}, {""}},
			meta:   map[string]string{},
		},
		{
			name: "arrays not in the spec are meta values, compacted",
			spec: Spec{Arrays: map[string]string{"items": "e"}},
			body: `{"items":[],"links":[ {"rel" : "next"} ],"empty":{}}`,
			want: []string{},
			meta: map[string]string{"links": `[{"rel":"next"}]`},
		},
		{
			name:   "fields: escaped key, number, bool, nested values ignored",
			spec:   Spec{Arrays: map[string]string{"items": "e"}, Fields: []string{"id", "ok", "obj", "arr", "esc"}},
			body:   `{"items":[{"obj":{"id":"inner"},"arr":[1],"\u0069d":"\u00e9t\u00e9","ok":false,"esc":"a\nb"}]}`,
			want:   []string{`{"obj":{"id":"inner"},"arr":[1],"\u0069d":"\u00e9t\u00e9","ok":false,"esc":"a\nb"}`},
			fields: [][]string{{"été", "false", "", "", "a\nb"}},
			meta:   map[string]string{},
		},
		{
			name: "invalid UTF-8 and duplicate names are accepted as sent",
			spec: Spec{Arrays: map[string]string{"items": "e"}},
			body: "{\"items\":[{\"a\":\"\xff\xfe\",\"a\":2}]}",
			want: []string{"{\"a\":\"\xff\xfe\",\"a\":2}"},
			meta: map[string]string{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// OneByteReader: the decoder must not depend on read sizes.
			page, err := Decode(iotest.OneByteReader(strings.NewReader(tc.body)), &tc.spec)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			got := raws(page)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("records\n got %q\nwant %q", got, tc.want)
			}
			if tc.kinds != nil {
				var kinds []string
				for _, it := range page.Items {
					kinds = append(kinds, it.Kind)
				}
				if !reflect.DeepEqual(kinds, tc.kinds) {
					t.Errorf("kinds = %q, want %q", kinds, tc.kinds)
				}
			}
			if tc.fields != nil {
				var fields [][]string
				for _, it := range page.Items {
					fields = append(fields, it.Fields)
				}
				if !reflect.DeepEqual(fields, tc.fields) {
					t.Errorf("fields = %q, want %q", fields, tc.fields)
				}
			}
			meta := map[string]string{}
			for k, v := range page.Meta {
				meta[k] = string(v)
			}
			if !reflect.DeepEqual(meta, tc.meta) {
				t.Errorf("meta = %q, want %q", meta, tc.meta)
			}
		})
	}
}

func TestDecodeRecordsMatchReferenceCompact(t *testing.T) {
	body := `[ {"a" : [ 1 , {"b" : "x y"} ] , "c" : "\" ,"} , {"d":"\\"} ]`
	page, err := Decode(strings.NewReader(body), &Spec{Arrays: map[string]string{"": "e"}})
	if err != nil {
		t.Fatal(err)
	}
	var elems []json.RawMessage
	if err := json.Unmarshal([]byte(body), &elems); err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != len(elems) {
		t.Fatalf("%d records, want %d", len(page.Items), len(elems))
	}
	for i, e := range elems {
		if want := compact(t, string(e)); string(page.Items[i].Raw) != want {
			t.Errorf("record %d = %s, want %s", i, page.Items[i].Raw, want)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	spec := &Spec{Arrays: map[string]string{"items": "e"}}
	tests := []struct {
		name      string
		spec      *Spec
		body      string
		truncated bool     // errors.Is(err, io.ErrUnexpectedEOF)
		contains  []string // substrings of the message
	}{
		{name: "empty body", body: ``, truncated: true, contains: []string{"offset 0", "truncated"}},
		{name: "cut inside a record string", body: `{"items":[{"a":"hel`, truncated: true, contains: []string{"offset"}},
		{name: "cut between records", body: `{"items":[{"a":1},`, truncated: true, contains: []string{"offset"}},
		{name: "cut after the array", body: `{"items":[{"a":1}]`, truncated: true, contains: []string{"offset"}},
		{name: "cut inside a number", body: `{"items":[{"a":12`, truncated: true},
		{name: "cut in meta", body: `{"cursor":"ab`, truncated: true},
		{name: "invalid token in a record", body: `{"items":[{"a":tru}]}`, contains: []string{"invalid JSON at offset"}},
		{name: "invalid token in meta", body: `{"cursor":x,"items":[]}`, contains: []string{"invalid JSON at offset 10"}},
		{name: "missing comma", body: `{"items":[{"a":1}{"b":2}]}`, contains: []string{"invalid JSON at offset"}},
		{name: "trailing garbage", body: `{"items":[]} x`, contains: []string{"offset"}},
		{name: "trailing second document", body: `{"items":[]}{"items":[]}`, contains: []string{"after the JSON document", "offset"}},
		{name: "record is a number", body: `{"items":[{"a":1},2]}`, contains: []string{"record 1", `"items"`, "number"}},
		{name: "record is a string", body: `{"items":["x"]}`, contains: []string{"record 0", "string"}},
		{name: "record is an array", spec: &Spec{Arrays: map[string]string{"": "e"}}, body: `[[1]]`, contains: []string{"record 0", "the response", "array"}},
		{name: "array expected, string found", body: `{"items":"none"}`, contains: []string{`"items"`, "string", "expected an array"}},
		{name: "array expected, object found", body: `{"items":{"uuid":"x"}}`, contains: []string{`"items"`, "object", "expected an array"}},
		{name: "document array expected, error object found", spec: &Spec{Arrays: map[string]string{"": "e"}},
			body: `{"errorCode":"E0000011","errorSummary":"Invalid token provided"}`, contains: []string{"the response", "object", "expected an array"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sp := tc.spec
			if sp == nil {
				sp = spec
			}
			page, err := Decode(strings.NewReader(tc.body), sp)
			if err == nil {
				t.Fatalf("Decode succeeded with %d records, want an error", len(page.Items))
			}
			if page != nil {
				t.Errorf("page = %v, want nil on error", page)
			}
			if got := errors.Is(err, io.ErrUnexpectedEOF); got != tc.truncated {
				t.Errorf("errors.Is(err, io.ErrUnexpectedEOF) = %v, want %v (err: %v)", got, tc.truncated, err)
			}
			for _, s := range tc.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
		})
	}
}

func TestDecodeRecordsDoNotAlias(t *testing.T) {
	var body strings.Builder
	body.WriteString(`{"items":[`)
	for i := range 50 {
		if i > 0 {
			body.WriteByte(',')
		}
		body.WriteString(`{"n":"` + strings.Repeat("x", i) + `"}`)
	}
	body.WriteString(`]}`)
	page, err := Decode(strings.NewReader(body.String()), &Spec{Arrays: map[string]string{"items": "e"}})
	if err != nil {
		t.Fatal(err)
	}
	before := raws(page)
	for i := range page.Items {
		if c, l := cap(page.Items[i].Raw), len(page.Items[i].Raw); c != l {
			t.Errorf("record %d: cap %d > len %d, an append would write into the next record", i, c, l)
		}
		// What a caller might do: append event_type in place.
		_ = append(page.Items[i].Raw, `,"event_type":"zzzz"}`...)
	}
	if after := raws(page); !reflect.DeepEqual(before, after) {
		t.Fatalf("appending to one record changed others:\nbefore %q\nafter  %q", before, after)
	}
}

func TestPageStringAndBool(t *testing.T) {
	page, err := Decode(strings.NewReader(`{"s":"a\u00e9\n","n":42,"t":true,"f":false,"z":null,"o":{"x":"y"}}`), &Spec{})
	if err != nil {
		t.Fatal(err)
	}
	strs := []struct {
		path string
		want string
		ok   bool
	}{
		{"s", "aé\n", true},
		{"n", "42", true},
		{"t", "true", true},
		{"z", "", false},
		{"missing", "", false},
		{"o.x", "y", true},
	}
	for _, tc := range strs {
		got, ok := page.String(tc.path)
		if got != tc.want || ok != tc.ok {
			t.Errorf("String(%q) = %q, %v; want %q, %v", tc.path, got, ok, tc.want, tc.ok)
		}
	}
	bools := []struct {
		path      string
		value, ok bool
	}{
		{"t", true, true},
		{"f", false, true},
		{"s", false, false},
		{"z", false, false},
		{"missing", false, false},
	}
	for _, tc := range bools {
		v, ok := page.Bool(tc.path)
		if v != tc.value || ok != tc.ok {
			t.Errorf("Bool(%q) = %v, %v; want %v, %v", tc.path, v, ok, tc.value, tc.ok)
		}
	}
}

// TestDecodeLargePage crosses readBody's chunk boundaries, compact and
// indented (records then compacted in place), and checks every record,
// its fields and its shape against encoding/json and inspect.
func TestDecodeLargePage(t *testing.T) {
	compactPage := auditPage(700)
	var indented bytes.Buffer
	if err := json.Indent(&indented, compactPage, "", "  "); err != nil {
		t.Fatal(err)
	}
	var doc struct{ Items []json.RawMessage }
	if err := json.Unmarshal(compactPage, &doc); err != nil {
		t.Fatal(err)
	}
	spec := &Spec{Arrays: map[string]string{"items": "e"}, Fields: []string{"uuid", "aux_id", "timestamp"}}
	for k, body := range [][]byte{compactPage, indented.Bytes()} {
		page, err := Decode(iotest.HalfReader(bytes.NewReader(body)), spec)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != len(doc.Items) {
			t.Fatalf("%d records, want %d", len(page.Items), len(doc.Items))
		}
		for i, it := range page.Items {
			want := compact(t, string(doc.Items[i]))
			if string(it.Raw) != want {
				t.Fatalf("record %d = %s, want %s", i, it.Raw, want)
			}
			sh, vals := oracle(t, []byte(want), spec.Fields)
			if k == 1 {
				// Compacted in place: the offsets no longer hold.
				sh.BigIntAt = nil
			}
			if !reflect.DeepEqual(it.Shape, sh) || !reflect.DeepEqual(it.Fields, vals) {
				t.Fatalf("record %d: shape %+v fields %q, encoding/json says %+v %q", i, it.Shape, it.Fields, sh, vals)
			}
		}
		if s, _ := page.String("cursor"); s != "aGVsbG8gd29ybGQgY3Vyc29yIHZhbHVl" {
			t.Errorf("cursor = %q", s)
		}
	}
}

// A body over its bound is refused with a precise error instead of being
// read into memory whole.
func TestDecodeBodyBound(t *testing.T) {
	big := `{"items":[` + strings.Repeat(`{"uuid":"x"},`, 20000) + `{"uuid":"y"}]}`
	_, err := Decode(strings.NewReader(big), &Spec{Arrays: map[string]string{"items": ""}, MaxBytes: 64 << 10})
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "lower PAGE_SIZE") {
		t.Fatalf("err = %v, want ErrTooLarge naming PAGE_SIZE", err)
	}
	if _, err := Decode(strings.NewReader(big), &Spec{Arrays: map[string]string{"items": ""}}); err != nil {
		t.Fatalf("within the default bound: %v", err)
	}
}
