package jsonrec

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSkipValue(t *testing.T) {
	tests := []struct {
		in    string
		start int
		want  int
	}{
		{`"abc",1`, 0, 5},
		{`"a\"b",1`, 0, 6},
		{`"a\\",1`, 0, 5},
		{`{"a":{"b":"}"}},2`, 0, 15},
		{`[1,[2,"]"],{}],3`, 0, 14},
		{`123,4`, 0, 3},
		{`-1.5e+3}`, 0, 7},
		{`true]`, 0, 4},
		{`null`, 0, 4},
		{`{"a":1,"b":[true,false]}`, 5, 6},   // the number 1
		{`{"a":1,"b":[true,false]}`, 11, 23}, // the array
		{`x`, 5, 1},                          // past the end
		{`"unterminated`, 0, 13},             // malformed: end of input, no panic
		{`{"a":[1,2`, 0, 9},
		{`"ends in backslash\`, 0, 19},
	}
	for _, tc := range tests {
		if got := SkipValue([]byte(tc.in), tc.start); got != tc.want {
			t.Errorf("SkipValue(%q, %d) = %d, want %d", tc.in, tc.start, got, tc.want)
		}
	}
}

func TestUnquote(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{`""`, ""},
		{`"plain id 123"`, "plain id 123"},
		{`"\"\\\/\b\f\n\r\t"`, "\"\\/\b\f\n\r\t"},
		{`"\u0041\u00e9\u20AC"`, "Aé€"},
		{`"x\u0000y"`, "x\x00y"},
		{`"\ud83d\ude00!"`, "😀!"},           // surrogate pair
		{`"\uD83D\uDE00"`, "😀"},             // upper-case hex
		{`"\ud83d"`, "\uFFFD"},              // lone high surrogate
		{`"\ude00"`, "\uFFFD"},              // lone low surrogate
		{`"\ud83dx"`, "\uFFFDx"},            // high surrogate then text
		{`"\ud83d\u0041"`, "\uFFFDA"},       // high surrogate then a non-surrogate escape
		{`"\ud83d\ud83d\ude00"`, "\uFFFD😀"}, // two highs then a low
		{`"héllo wörld"`, "héllo wörld"},
	}
	for _, tc := range tests {
		got, err := Unquote([]byte(tc.in))
		if err != nil || got != tc.want {
			t.Errorf("Unquote(%s) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
		var ref string
		if err := json.Unmarshal([]byte(tc.in), &ref); err != nil || ref != tc.want {
			t.Errorf("test table disagrees with encoding/json for %s: %q, %v", tc.in, ref, err)
		}
	}
}

func TestUnquoteInvalid(t *testing.T) {
	for _, in := range []string{
		``, `"`, `abc`, `"abc`, `abc"`, `'a'`,
		`"\"`, `"\x41"`, `"\u12"`, `"\u12G4"`, `"\u+123"`, `"\u-123"`, `"\U0041"`, `"a\`,
		`"a"b"`,         // unescaped quote inside
		"\"a\nb\"",      // raw control character
		"\"tab\there\"", // raw tab
	} {
		got, err := Unquote([]byte(in))
		if err == nil {
			t.Errorf("Unquote(%q) = %q, nil; want an error", in, got)
		}
		var ref string
		if json.Unmarshal([]byte(in), &ref) == nil {
			t.Errorf("test table: encoding/json accepts %q", in)
		}
	}
}

func TestHasSpaceOutsideStrings(t *testing.T) {
	tests := map[string]bool{
		`{"a":"x y"}`:       false,
		`{"a":"\" y"}`:      false, // escaped quote, still inside
		`{"a":"\\" ,"b":1}`: true,  // escaped backslash, then the string ends
		`{"a":"\\\" "}`:     false,
		`{"a":1, "b":2}`:    true,
		"{\"a\":\n1}":       true,
		`"unterminated  `:   false,
	}
	for in, want := range tests {
		if got := hasSpaceOutsideStrings([]byte(in)); got != want {
			t.Errorf("hasSpaceOutsideStrings(%s) = %v, want %v", in, got, want)
		}
	}
}

func TestAppendCompact(t *testing.T) {
	for _, in := range []string{
		`{"a":"\\\" x","b":"\\"}`, `{"a":"\\\\" , "b" : 1}`, `["\" \\"]`,
		`{}`, `{ }`, "{\n\t\"a\" : [ 1 , 2 ] ,\r\n \"b\":\"  \\\" x \"}", `[ "\\" , " " ]`, `{"a":"b"}`,
	} {
		var want bytes.Buffer
		if err := json.Compact(&want, []byte(in)); err != nil {
			t.Fatal(err)
		}
		if got := appendCompact([]byte("prefix"), []byte(in)); string(got) != "prefix"+want.String() {
			t.Errorf("appendCompact(%q) = %q, want %q", in, got, "prefix"+want.String())
		}
	}
}

func FuzzUnquote(f *testing.F) {
	for _, s := range []string{
		`""`, `"abc"`, `"a\"b"`, `"\\"`, `"\/"`, `"\b\f\n\r\t"`, `"\u0041"`, `"\u00e9t\u00e9"`,
		`"\ud83d\ude00"`, `"\ud83d"`, `"\ude00"`, `"\ud83d\u0041"`, `"\u12"`, `"\x"`, `"a"b"`,
		"\"\xff\"", `"héllo"`, `"2024-05-01T10:00:00.123456789Z"`, `"\u0000"`, `"\uDBFF\uDFFF"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := Unquote(in) // must never panic
		var ref string
		refErr := json.Unmarshal(in, &ref)
		if refErr != nil || len(in) < 2 || in[0] != '"' || in[len(in)-1] != '"' {
			// Not exactly one JSON string literal (encoding/json also
			// takes surrounding whitespace): Unquote must refuse what
			// encoding/json refuses.
			if err == nil && refErr != nil {
				t.Fatalf("Unquote(%q) = %q, nil; encoding/json: %v", in, got, refErr)
			}
			return
		}
		if !utf8.Valid(in) {
			// encoding/json replaces invalid bytes; Unquote keeps what the
			// vendor sent. Only check it does not fail.
			if err != nil {
				t.Fatalf("Unquote(%q): %v", in, err)
			}
			return
		}
		if err != nil || got != ref {
			t.Fatalf("Unquote(%q) = %q, %v; encoding/json = %q", in, got, err, ref)
		}
	})
}

// FuzzDecode checks that any body either fails or yields records that are
// valid JSON and equal to the compact form of the original elements.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"cursor":"c1","has_more":true,"items":[{"uuid":"a","timestamp":"2024-05-01T10:00:00.123456789Z","actor":{"uuid":"u","email":"x@example.com"},"n":12345678901,"z":null}]}`,
		"{ \"items\" : [ { \"a\" : [ 1 , 2.5e3 , \"x y\" ] } , {} ] , \"has_more\" : false }\n",
		`{"items":null}`,
		`{"items":[]}`,
		`{"items":[1]}`,
		`{"items":{"a":1}}`,
		`{"items":[{"a":"\u00e9\ud83d\ude00\"\\"}]}`,
		`{"items":[{"a":1}`,
		`{"items":[{"a":1}]} trailing`,
		`[{"uuid":"okta"}]`,
		"{\"items\":[{\"a\":\"\xff\"}]}",
		`{"items":[{"a":{"b":{"c":{"d":[[[]]]}}}}],"meta":{"next":"x"}}`,
	} {
		f.Add([]byte(s))
	}
	specs := []*Spec{
		{Arrays: map[string]string{"items": "e"}, Fields: []string{"uuid"}},
		{Arrays: map[string]string{"": "e"}, Fields: []string{"uuid"}},
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for si, spec := range specs {
			page, err := Decode(bytes.NewReader(body), spec)
			if err != nil {
				continue
			}
			// Reference: the original elements, by encoding/json (which
			// replaces invalid UTF-8 that Decode accepts on purpose).
			if utf8.Valid(body) && !json.Valid(body) {
				t.Fatalf("Decode accepted %q, encoding/json did not", body)
			}
			var elems []json.RawMessage
			if si == 0 {
				var doc map[string]json.RawMessage
				if json.Unmarshal(body, &doc) != nil {
					continue // not an object: no records expected
				}
				if strings.Count(string(body), `"items"`) > 1 || strings.Contains(string(body), `\u`) {
					continue // duplicate or escaped names: no simple reference
				}
				// The page contract: no page without its record array.
				raw, ok := doc["items"]
				if !ok || string(raw) == "null" {
					t.Fatalf("Decode accepted a page without an items array: %q", body)
				}
				if err := json.Unmarshal(raw, &elems); err != nil {
					t.Fatalf("Decode accepted a non-array items: %s", raw)
				}
			} else {
				if err := json.Unmarshal(body, &elems); err != nil && utf8.Valid(body) {
					t.Fatalf("Decode accepted %q as a record array: %v", body, err)
				}
			}
			for i, it := range page.Items {
				if !json.Valid(it.Raw) {
					t.Fatalf("record %d is not valid JSON: %q", i, it.Raw)
				}
				if !bytes.HasPrefix(it.Raw, []byte("{")) {
					t.Fatalf("record %d is not an object: %q", i, it.Raw)
				}
			}
			if elems == nil {
				continue
			}
			if len(elems) != len(page.Items) {
				t.Fatalf("%d records, encoding/json sees %d elements in %q", len(page.Items), len(elems), body)
			}
			for i, e := range elems {
				var want bytes.Buffer
				if err := json.Compact(&want, e); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(page.Items[i].Raw, want.Bytes()) {
					t.Fatalf("record %d = %q, want compact %q", i, page.Items[i].Raw, want.Bytes())
				}
			}
		}
	})
}
