package emit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/wodlekit/wodlekit/runtime/jsonrec"
)

func TestAppendRecordFastPath(t *testing.T) {
	e := NewEncoder(Options{Integration: "onepassword"})
	const p = `{"integration":"onepassword","onepassword":`
	tests := []struct {
		name, raw, eventType, want string
	}{
		{"adds event_type last", `{"uuid":"a","n":1}`, "signin", p + `{"uuid":"a","n":1,"event_type":"signin"}}` + "\n"},
		{"empty record", `{}`, "x", p + `{"event_type":"x"}}` + "\n"},
		{"keeps the record's event_type", `{"event_type":"mine","a":1}`, "signin", p + `{"event_type":"mine","a":1}}` + "\n"},
		{"nested event_type is not the record's", `{"a":{"event_type":"n"}}`, "t", p + `{"a":{"event_type":"n"},"event_type":"t"}}` + "\n"},
		{"event_type as a value is not a member", `{"k":"event_type"}`, "t", p + `{"k":"event_type","event_type":"t"}}` + "\n"},
		{"no event type given", `{"a":[1,{"b":null}]}`, "", p + `{"a":[1,{"b":null}]}}` + "\n"},
		{"event type quoted, no HTML escaping", `{"a":1}`, `a"<b>&\`, p + `{"a":1,"event_type":"a\"<b>&\\"}}` + "\n"},
		{"number text, floats, small ints untouched", `{"f":1.0E+30,"i":-2147483648,"j":2147483647,"z":-0,"d":2147483648.5}`, "", p + `{"f":1.0E+30,"i":-2147483648,"j":2147483647,"z":-0,"d":2147483648.5}}` + "\n"},
		{"unicode and escapes untouched", `{"s":"\u00e9 é \"q\" \\ </script>"}`, "", p + `{"s":"\u00e9 é \"q\" \\ </script>"}}` + "\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dst := []byte("previous line\n")
			out, m, err := e.AppendRecord(dst, []byte(tc.raw), tc.eventType)
			if err != nil {
				t.Fatal(err)
			}
			if m != (Marks{}) {
				t.Errorf("marks = %+v, want none", m)
			}
			if got := string(out); got != "previous line\n"+tc.want {
				t.Errorf("got  %s\nwant %s", got, "previous line\n"+tc.want)
			}
			checkLine(t, e, out[len(dst):], m)
		})
	}
}

func TestAppendRecordNotAnObject(t *testing.T) {
	e := NewEncoder(Options{Integration: "x"})
	for _, raw := range []string{``, `{`, `[]`, `"s"`, `1`, `null`, `[{}]`} {
		out, _, err := e.AppendRecord([]byte("keep"), []byte(raw), "t")
		if err == nil {
			t.Errorf("AppendRecord(%q) succeeded: %q", raw, out)
		}
		if string(out) != "keep" {
			t.Errorf("AppendRecord(%q) changed dst to %q", raw, out)
		}
	}
}

func TestAppendRecordBudgetBoundaries(t *testing.T) {
	const budget = 4096
	e := NewEncoder(Options{Integration: "op", MaxLineBytes: budget, MaxFields: 32})
	overhead := len(`{"integration":"op","op":{"s":""}}` + "\n")
	exact := `{"s":"` + strings.Repeat("a", budget-overhead) + `"}`
	out, m, err := e.AppendRecord(nil, []byte(exact), "")
	if err != nil || m.Changed() || len(out) != budget {
		t.Errorf("line of exactly the budget: %d bytes, marks %+v, err %v; want %d bytes unchanged", len(out), m, err, budget)
	}
	// An event type that expands when quoted (invalid UTF-8 becomes
	// \ufffd): the fast path must count its quoted size.
	out, m, err = e.AppendRecord(nil, []byte(`{"a":1}`), strings.Repeat("\x81", 1000))
	if err != nil {
		t.Fatal(err)
	}
	checkLine(t, e, out, m)
	over := `{"s":"` + strings.Repeat("a", budget-overhead+1) + `"}`
	out, m, err = e.AppendRecord(nil, []byte(over), "")
	if err != nil || m.Truncated != 1 {
		t.Errorf("one byte over: marks %+v, err %v; want one truncation", m, err)
	}
	checkLine(t, e, out, m)

	// 31 leaves + integration = 32: fits; one more folds.
	fits := wide("k", 31)
	out, m, err = e.AppendRecord(nil, []byte(fits), "")
	if err != nil || m.Changed() {
		t.Errorf("exactly MaxFields leaves: marks %+v, err %v; want unchanged", m, err)
	}
	checkLine(t, e, out, m)
	out, m, err = e.AppendRecord(nil, []byte(fits), "t") // event_type is the 33rd
	if err != nil || !m.Changed() {
		t.Errorf("MaxFields+1 leaves with event_type: marks %+v, err %v; want a change", m, err)
	}
	checkLine(t, e, out, m)
}

func TestAppendRecordLeafCounting(t *testing.T) {
	e := NewEncoder(Options{Integration: "op", MaxLineBytes: 60000, MaxFields: 32})
	tests := []struct {
		name    string
		raw     string
		changed bool
	}{
		// integration + 31 leaves = 32.
		{"empty objects count nothing", `{"a":{},"b":{"c":{}},` + wide("k", 31)[1:], false},
		{"an array is one leaf, whatever it holds", `{"arr":[1,2,3,{"a":1,"b":2},[4,5]],` + wide("k", 30)[1:], false},
		{"null, booleans and strings are leaves", `{"n":null,"t":true,"s":"x",` + wide("k", 29)[1:], true},
		{"nested scalars are leaves", `{"o":{"p":{"q":1}},` + wide("k", 31)[1:], true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !json.Valid([]byte(tc.raw)) {
				t.Fatalf("bad test record %s", tc.raw)
			}
			out, m, err := e.AppendRecord(nil, []byte(tc.raw), "")
			if err != nil {
				t.Fatal(err)
			}
			if m.Changed() != tc.changed {
				t.Errorf("changed = %v (%+v), want %v", m.Changed(), m, tc.changed)
			}
			checkLine(t, e, out, m)
		})
	}
}

func TestAppendRecordBigInts(t *testing.T) {
	e := NewEncoder(Options{Integration: "op"})
	tests := []struct {
		name, raw, want string
		bigInts         int
	}{
		{"top-level epoch millis", `{"ts":1714557600123,"n":5}`, `{"ts":"1714557600123","n":5}`, 1},
		{"int32 bounds stay numbers", `{"a":2147483647,"b":-2147483648,"c":2147483648,"d":-2147483649}`, `{"a":2147483647,"b":-2147483648,"c":"2147483648","d":"-2147483649"}`, 2},
		{"inside arrays and nested arrays", `{"a":[1,9999999999,[-99999999999]]}`, `{"a":[1,"9999999999",["-99999999999"]]}`, 2},
		{"inside nested objects and arrays of objects", `{"o":{"id":123456789012345678901234567890},"l":[{"x":4294967296}]}`, `{"o":{"id":"123456789012345678901234567890"},"l":[{"x":"4294967296"}]}`, 2},
		{"floats untouched", `{"f":2147483648.0,"g":1e10,"h":-1.5E+20,"id":10000000000}`, `{"f":2147483648.0,"g":1e10,"h":-1.5E+20,"id":"10000000000"}`, 1},
		{"10 digits below the bound", `{"a":1000000000,"b":-1000000000,"id":12345678901}`, `{"a":1000000000,"b":-1000000000,"id":"12345678901"}`, 1},
		{"digits in strings untouched", `{"s":"12345678901","id":12345678901}`, `{"s":"12345678901","id":"12345678901"}`, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, m, err := e.AppendRecord(nil, []byte(tc.raw), "")
			if err != nil {
				t.Fatal(err)
			}
			if m.BigInts != tc.bigInts || m.Truncated+m.Folded != 0 || m.OverFields {
				t.Errorf("marks = %+v, want BigInts %d only", m, tc.bigInts)
			}
			ns, marker := checkLine(t, e, out, m)
			// The namespace without the marker is the rewritten record.
			var got []string
			for _, mb := range ns {
				if mb.Key != MarkerKey {
					got = append(got, fmt.Sprintf("%q:%s", mb.Key, mb.Raw))
				}
			}
			if g := "{" + strings.Join(got, ",") + "}"; g != tc.want {
				t.Errorf("record\n got %s\nwant %s", g, tc.want)
			}
			if marker["big_integers_as_strings"] != float64(tc.bigInts) {
				t.Errorf("marker = %v, want big_integers_as_strings %d", marker, tc.bigInts)
			}
		})
	}
}

func TestAppendRecordFolding(t *testing.T) {
	e := NewEncoder(Options{Integration: "op", MaxLineBytes: 60000, MaxFields: 32})
	deep := `{"l3":` + wide("d", 20) + `,"x":1}`
	raw := `{"uuid":"u1","actor":{"email":"a@example.com","name":"A"},"details":{"l2":` + deep + `},"meta":` + wide("m", 10) + `}`
	out, m, err := e.AppendRecord(nil, []byte(raw), "audit")
	if err != nil {
		t.Fatal(err)
	}
	ns, marker := checkLine(t, e, out, m)
	if n, _ := countLeaves(out[:len(out)-1]); n > 32 {
		t.Errorf("%d leaves", n)
	}
	if m.Folded == 0 || marker == nil {
		t.Fatalf("nothing folded: %+v", m)
	}
	paths, _ := marker["folded_fields"].([]any)
	if len(paths) != m.Folded {
		t.Errorf("folded_fields %v, Folded %d", paths, m.Folded)
	}
	// The deepest object goes first.
	if len(paths) == 0 || paths[0] != "details.l2.l3" {
		t.Errorf("folded_fields = %v, want details.l2.l3 first", paths)
	}
	// Shallow fields rules match on stay whole.
	if get(ns, "uuid") != `"u1"` || get(ns, "actor") != `{"email":"a@example.com","name":"A"}` || get(ns, "event_type") != `"audit"` {
		t.Errorf("shallow fields changed: uuid %s actor %s event_type %s", get(ns, "uuid"), get(ns, "actor"), get(ns, "event_type"))
	}
	// A folded object is a string holding the object's exact JSON.
	var details map[string]json.RawMessage
	if err := json.Unmarshal([]byte(get(ns, "details")), &details); err != nil {
		t.Fatalf("details: %v", err)
	}
	var l2 map[string]json.RawMessage
	_ = json.Unmarshal(details["l2"], &l2)
	var l3 string
	if err := json.Unmarshal(l2["l3"], &l3); err != nil {
		t.Fatalf("details.l2.l3 is not a string: %s", l2["l3"])
	}
	if l3 != wide("d", 20) {
		t.Errorf("folded l3 = %s, want %s", l3, wide("d", 20))
	}
}

func TestAppendRecordTooManyFields(t *testing.T) {
	e := NewEncoder(Options{Integration: "op", MaxLineBytes: 60000, MaxFields: 32})
	out, m, err := e.AppendRecord(nil, []byte(wide("f", 100)), "t")
	if err != nil {
		t.Fatal(err)
	}
	if !m.OverFields || !m.Changed() {
		t.Errorf("marks = %+v, want OverFields", m)
	}
	_, marker := checkLine(t, e, out, m)
	// integration + 100 + event_type.
	if marker["too_many_fields"] != float64(102) {
		t.Errorf("marker = %v, want too_many_fields 102", marker)
	}
}

func TestAppendRecordTruncation(t *testing.T) {
	const budget = 4096
	e := NewEncoder(Options{Integration: "op", MaxLineBytes: budget, MaxFields: 32})
	tests := []struct {
		name  string
		raw   string
		paths []string // truncated_fields, in order
	}{
		{"ascii", `{"id":"x","msg":"` + strings.Repeat("abc", 3000) + `"}`, []string{"msg"}},
		{"two-byte runes", `{"msg":"` + strings.Repeat("é", 5000) + `"}`, []string{"msg"}},
		{"four-byte runes", `{"msg":"` + strings.Repeat("😀", 3000) + `","z":1}`, []string{"msg"}},
		// Just over the budget with escapes: the quoted string is twice
		// its decoded size.
		{"escapes, a few bytes over", `{"msg":"` + strings.Repeat(`\"`, 2100) + `"}`, []string{"msg"}},
		{"escapes count", `{"msg":"` + strings.Repeat(`\"\n`, 3000) + `"}`, []string{"msg"}},
		{"nested, largest first", `{"a":{"b":{"c":"` + strings.Repeat("y", 9000) + `"}},"d":"` + strings.Repeat("z", 3000) + `"}`, []string{"a.b.c"}},
		{"two large strings", `{"p":"` + strings.Repeat("y", 5000) + `","q":"` + strings.Repeat("z", 5000) + `"}`, []string{"p", "q"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, m, err := e.AppendRecord(nil, []byte(tc.raw), "ev")
			if err != nil {
				t.Fatal(err)
			}
			ns, marker := checkLine(t, e, out, m)
			if !utf8.Valid(out) {
				t.Errorf("line is not valid UTF-8 (cut inside a rune)")
			}
			if m.Truncated != len(tc.paths) {
				t.Errorf("Truncated = %d, want %d", m.Truncated, len(tc.paths))
			}
			var paths []string
			for _, p := range marker["truncated_fields"].([]any) {
				paths = append(paths, p.(string))
			}
			if !reflect.DeepEqual(paths, tc.paths) {
				t.Errorf("truncated_fields = %q, want %q", paths, tc.paths)
			}
			if want := float64(len(`{"integration":"op","op":}`+"\n") + len(tc.raw)); marker["original_bytes"] != want {
				t.Errorf("original_bytes = %v, want %v", marker["original_bytes"], want)
			}
			// Each shrunk value is a prefix of the original and a marker
			// saying how many bytes were cut.
			var orig map[string]any
			_ = json.Unmarshal([]byte(tc.raw), &orig)
			var now map[string]any
			obj := "{"
			for i, mb := range ns {
				if i > 0 {
					obj += ","
				}
				obj += fmt.Sprintf("%q:%s", mb.Key, mb.Raw)
			}
			_ = json.Unmarshal([]byte(obj+"}"), &now)
			for _, p := range tc.paths {
				was, is := lookup(orig, p), lookup(now, p)
				i := strings.LastIndex(is, "…[wodlekit: truncated ")
				if i < 0 {
					t.Fatalf("%s has no marker: %q", p, tail([]byte(is)))
				}
				kept := is[:i]
				if !strings.HasPrefix(was, kept) {
					t.Errorf("%s: kept part is not a prefix of the original", p)
				}
				if want := fmt.Sprintf("…[wodlekit: truncated %d bytes]", len(was)-len(kept)); is[i:] != want {
					t.Errorf("%s: marker %q, want %q", p, is[i:], want)
				}
			}
			if get(ns, "event_type") != `"ev"` {
				t.Errorf("event_type = %s", get(ns, "event_type"))
			}
		})
	}
}

func lookup(m map[string]any, path string) string {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		v = v.(map[string]any)[k]
	}
	s, _ := v.(string)
	return s
}

func TestAppendRecordTooLarge(t *testing.T) {
	e := NewEncoder(Options{Integration: "op", MaxLineBytes: 4096, MaxFields: 32})
	// Only keys and numbers: nothing can be shrunk (arrays can: see
	// TestShrinkArrays).
	members := make([]string, 2000)
	for i := range members {
		members[i] = fmt.Sprintf(`"k%d":123`, i)
	}
	for _, raw := range []string{
		`{` + strings.Join(members, ",") + `}`,
		`{"a":"` + strings.Repeat("s", 60) + `",` + strings.Join(members, ",") + `}`,
	} {
		out, _, err := e.AppendRecord([]byte("keep"), []byte(raw), "t")
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("err = %v, want ErrTooLarge", err)
		}
		if string(out) != "keep" {
			t.Errorf("dst changed on error: %q", tail(out))
		}
	}
}

func TestAppendRecordAllAtOnce(t *testing.T) {
	// Big ints, too many fields and too many bytes in one record: the
	// marker itself must still fit both budgets.
	e := NewEncoder(Options{Integration: "op", MaxLineBytes: 4096, MaxFields: 32})
	var b strings.Builder
	b.WriteString(`{"id":12345678901,"blob":"` + strings.Repeat("x", 8000) + `"`)
	for i := range 20 {
		fmt.Fprintf(&b, `,"o%d":{"a":%d,"b":{"c":1,"d":2}}`, i, i)
	}
	b.WriteString("}")
	out, m, err := e.AppendRecord(nil, []byte(b.String()), "t")
	if err != nil {
		t.Fatal(err)
	}
	if m.BigInts != 1 || m.Truncated != 1 || m.Folded == 0 {
		t.Errorf("marks = %+v", m)
	}
	checkLine(t, e, out, m)
}

func TestAppendRecordMarkerWithinFieldBudget(t *testing.T) {
	// Records that fit MaxFields exactly but must change for another
	// reason: the marker's own leaves must not push them over.
	e := NewEncoder(Options{Integration: "op", MaxLineBytes: 4096, MaxFields: 32})
	tests := []struct {
		name, raw string
		over      bool // flat: nothing to fold, so marked too_many_fields
	}{
		{"big int, flat", `{"id":12345678901,` + wide("k", 30)[1:], true},
		{"long string, flat", `{"s":"` + strings.Repeat("x", 5000) + `",` + wide("k", 30)[1:], true},
		{"nested, both", `{"id":12345678901,"s":"` + strings.Repeat("x", 5000) + `","o":` + wide("k", 29) + `}`, false},
		{"nested, big int", `{"id":12345678901,"o":` + wide("k", 30) + `}`, false},
		{"nested, long string", `{"s":"` + strings.Repeat("x", 5000) + `","o":` + wide("k", 30) + `}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, m, err := e.AppendRecord(nil, []byte(tc.raw), "")
			if err != nil {
				t.Fatal(err)
			}
			if m.OverFields != tc.over {
				t.Errorf("OverFields = %v, want %v (%+v)", m.OverFields, tc.over, m)
			}
			checkLine(t, e, out, m)
		})
	}
}

func TestEncoderDefaultsAndConcurrency(t *testing.T) {
	e := NewEncoder(Options{Integration: "duo"})
	if o := e.Options(); o.MaxLineBytes != 60000 || o.MaxFields != 256 || o.Integration != "duo" {
		t.Errorf("defaults = %+v", o)
	}
	small := NewEncoder(Options{Integration: "duo", MaxLineBytes: 4096, MaxFields: 32})
	records := []string{`{"a":1}`, `{"id":12345678901}`, wide("k", 50), `{"s":"` + strings.Repeat("x", 5000) + `"}`}
	want := make([]string, len(records))
	for i, r := range records {
		out, _, err := small.AppendRecord(nil, []byte(r), "t")
		if err != nil {
			t.Fatal(err)
		}
		want[i] = string(out)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				k := (g + i) % len(records)
				out, _, err := small.AppendRecord(nil, []byte(records[k]), "t")
				if err != nil || string(out) != want[k] {
					t.Errorf("concurrent AppendRecord differs for record %d: %v", k, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestEventTypeMembers: the quoted event_type members are cached per
// encoder; with more types than the cache holds, and from many goroutines
// at once, every line still carries its own record's type.
func TestEventTypeMembers(t *testing.T) {
	e := NewEncoder(Options{Integration: "okta"})
	types := make([]string, 3*maxTypeMembers)
	for i := range types {
		types[i] = fmt.Sprintf("type%d \"q\" \t é", i)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 4 * len(types) {
				typ := types[(g*7+i)%len(types)]
				for _, raw := range []string{`{"a":1}`, `{"id":12345678901}`, `{}`} {
					out, _, err := e.AppendRecord(nil, []byte(raw), typ)
					if err != nil {
						t.Errorf("%s as %q: %v", raw, typ, err)
						return
					}
					var line struct {
						Okta struct {
							EventType string `json:"event_type"`
						} `json:"okta"`
					}
					if err := json.Unmarshal(out, &line); err != nil || line.Okta.EventType != typ {
						t.Errorf("%s as %q: line %s (%v)", raw, typ, out, err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if n := len(*e.types.Load()); n != maxTypeMembers {
		t.Errorf("%d event types cached, want the cache full at %d", n, maxTypeMembers)
	}
}

func TestAppendQuoted(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"plain", `"plain"`},
		{`<script>&"\`, `"<script>&\"\\"`},
		{"\n\r\t\x00\x1f\x7f", `"\n\r\t\u0000\u001f` + "\x7f" + `"`},
		{"é😀\u2028", "\"é😀\u2028\""},
		{"a\xffb\xc3", `"a\ufffdb\ufffd"`},
		{"\xed\xa0\x80", `"\ufffd\ufffd\ufffd"`}, // encoded surrogate is invalid UTF-8
	}
	for _, tc := range tests {
		got := string(appendQuoted([]byte("x"), tc.in))
		if got != "x"+tc.want {
			t.Errorf("appendQuoted(%q) = %s, want %s", tc.in, got[1:], tc.want)
		}
		var back string
		if err := json.Unmarshal([]byte(got[1:]), &back); err != nil {
			t.Errorf("appendQuoted(%q) is not a JSON string: %v", tc.in, err)
		}
		if utf8.ValidString(tc.in) && back != tc.in {
			t.Errorf("appendQuoted(%q) round-trips to %q", tc.in, back)
		}
	}
}

func TestAppendRecordManyMediumStrings(t *testing.T) {
	// 200 strings of 600 bytes, 60 KB over the default budget: more than
	// 64 of them must shrink, and the record still fits (no ErrTooLarge).
	e := NewEncoder(Options{Integration: "okta"})
	var b strings.Builder
	b.WriteString("{")
	for i := range 200 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"f%03d":"%s"`, i, strings.Repeat("v", 600))
	}
	b.WriteString("}")
	out, m, err := e.AppendRecord(nil, []byte(b.String()), "t")
	if err != nil {
		t.Fatalf("AppendRecord: %v", err)
	}
	if m.Truncated <= 64 || m.OverFields || m.Folded != 0 {
		t.Errorf("marks = %+v, want more than 64 truncations only", m)
	}
	checkLine(t, e, out, m)
}

func TestAppendRecordFoldingNestedChain(t *testing.T) {
	// Each level holds one scalar and the next level: folding goes up the
	// chain, and the outermost folded object must hold the original JSON
	// quoted once (quoting already-quoted strings doubles backslashes at
	// every level, exponentially).
	e := NewEncoder(Options{Integration: "op", MaxLineBytes: 60000, MaxFields: 32})
	inner := `{"q":"say \"hi\""}`
	for i := 39; i >= 0; i-- {
		inner = fmt.Sprintf(`{"v%d":"x\"y","n":%s}`, i, inner)
	}
	out, m, err := e.AppendRecord(nil, []byte(inner), "")
	if err != nil {
		t.Fatal(err)
	}
	_, marker := checkLine(t, e, out, m)
	paths, _ := marker["folded_fields"].([]any)
	if m.Folded != 1 || len(paths) != 1 {
		t.Fatalf("Folded = %d, folded_fields = %v; want the one outermost folded object", m.Folded, paths)
	}
	if strings.Contains(string(out), `\\\\`) {
		t.Errorf("folded content quoted more than once: %s", tail(out))
	}
	if len(out) > 2*len(inner) {
		t.Errorf("line grew from %d to %d bytes", len(inner), len(out))
	}
	// Walk down to the folded path and unquote once.
	var v any
	_ = json.Unmarshal(out, &v)
	v = v.(map[string]any)["op"]
	for _, k := range strings.Split(paths[0].(string), ".") {
		v = v.(map[string]any)[k]
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(v.(string)), &obj); err != nil {
		t.Fatalf("folded string is not the object's JSON quoted once: %v", err)
	}
}

// A Shape whose big-integer offsets do not belong to the record (another
// record's, or off by one) must not cut the line: the encoder checks each
// offset and searches the record itself when one does not hold.
func TestAppendRecordBigIntOffsetsChecked(t *testing.T) {
	e := NewEncoder(Options{Integration: "op"})
	raw := []byte(`{"s":"a:12345678901","id":12345678901,"l":[-99999999999]}`)
	want, _, err := e.AppendRecord(nil, raw, "t")
	if err != nil {
		t.Fatal(err)
	}
	good := jsonrec.ShapeOf(raw)
	if !reflect.DeepEqual(good.BigIntAt, []int32{26, 43}) {
		t.Fatalf("ShapeOf found offsets %v, want 2", good.BigIntAt)
	}
	for _, at := range [][]int32{
		{8, 26},           // the digits inside the string
		{27},              // one past the start
		{26, 26},          // twice the same
		{43, 26},          // out of order
		{0},               // the brace
		{int32(len(raw))}, // past the end
		{-1},
	} {
		sh := good
		sh.BigIntAt = at
		got, m, err := e.AppendShaped(nil, raw, "t", sh)
		if err != nil || m.BigInts != 2 || !bytes.Equal(got, want) {
			t.Errorf("offsets %v: %s %+v %v, want %s", at, got, m, err, want)
		}
	}
}
