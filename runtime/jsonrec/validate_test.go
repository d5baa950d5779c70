package jsonrec

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

func TestValidate(t *testing.T) {
	valid := []string{
		`{}`, `[]`, ` { } `, `0`, `-0`, `-0.5e+10`, `1E9`, `123`, `"x"`, `true`, `false`, `null`,
		`{"a":[1,{"b":null}],"c":"\"\\\/\b\f\n\r\t\u00e9\uD83D\uDE00"}`,
		`{"a":1,"a":2}`, "\"\xff\xfe\"", `"\ud800"`, "[\n\t1 ,\r2 ]",
		`"12345678` + strings.Repeat("abcdefgh", 3) + `"`,
	}
	for _, s := range valid {
		if err := validate([]byte(s)); err != nil {
			t.Errorf("validate(%q) = %v, want nil", s, err)
		}
	}
	invalid := []struct {
		in        string
		truncated bool
	}{
		{``, true}, {`{`, true}, {`{"a"`, true}, {`{"a":`, true}, {`[1,`, true}, {`"abc`, true},
		{`"\u12`, true}, {`tr`, true}, {`-`, true}, {`1.`, true}, {`1e+`, true}, {`"abcdefghijkl\`, true},
		{`{,}`, false}, {`[1,]`, false}, {`{"a":1,}`, false}, {`01`, false}, {`+1`, false}, {`.5`, false},
		{`1.e5`, false}, {`tru`, true}, {`trux`, false}, {`nul1`, false}, {`"a` + "\x01" + `"`, false},
		{`"abcdefghij` + "\n" + `klmnop"`, false}, {`"\x"`, false}, {`"\u12g4"`, false}, {`{"a" 1}`, false},
		{`{1:2}`, false}, {`[1 2]`, false}, {`{} {}`, false}, {"\ufeff{}", false}, {`'a'`, false},
		{"\v1", false}, {"[\f]", false},
	}
	for _, tc := range invalid {
		err := validate([]byte(tc.in))
		if err == nil {
			t.Errorf("validate(%q) = nil, want an error", tc.in)
			continue
		}
		if got := errors.Is(err, io.ErrUnexpectedEOF); got != tc.truncated {
			t.Errorf("validate(%q) = %v, truncated %v, want %v", tc.in, err, got, tc.truncated)
		}
	}
	deep := strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth)
	if err := validate([]byte(deep)); err != nil {
		t.Errorf("%d levels: %v", maxDepth, err)
	}
	if err := validate([]byte("[" + deep + "]")); err == nil {
		t.Errorf("%d levels accepted", maxDepth+1)
	}
}

// FuzzValidate checks the one-pass validator against encoding/json on
// valid UTF-8 (encoding/json rejects invalid UTF-8 only where Decode must
// accept it), and against jsontext configured as the decoder was before
// it, on any input.
func FuzzValidate(f *testing.F) {
	for _, s := range []string{
		`{"a":[1,2.5e-3,-0,true,false,null],"b":{"c":"d\u00e9\n"}}`, `[]`, `"x"`, `0`, `{"a":1,}`,
		`[01]`, `"\ud83d\ude00"`, "\"\xff\"", `{"a" : "b" }`, `1.5E+300`, `"\u12"`, `[1 2]`, "\"\x1f\"",
		`{"a":"12345678901234567890\"\\"}`, `tru`, "{\"a\":1}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		err := validate(in)
		if utf8.Valid(in) {
			if want := json.Valid(in); (err == nil) != want {
				t.Fatalf("validate(%q) = %v; encoding/json.Valid = %v", in, err, want)
			}
		}
		dec := jsontext.NewDecoder(bytes.NewReader(in), jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true))
		_, refErr := dec.ReadValue()
		if refErr == nil {
			if _, e := dec.ReadToken(); !errors.Is(e, io.EOF) {
				refErr = errors.New("trailing data")
			}
		}
		if (err == nil) != (refErr == nil) {
			t.Fatalf("validate(%q) = %v; jsontext: %v", in, err, refErr)
		}
	})
}

// TestMemberName keeps Meta paths as jsontext, the decoder before this
// one, spelled them.
func TestMemberName(t *testing.T) {
	for _, q := range []string{`"a"`, `"a.b"`, `"\u00e9\n"`, "\"a\xffb\xfe\"", "\"\\u00e9\xff\"", `"\ud800x"`, `"\ud83d\ude00"`, "\"\xe2\x82\""} {
		tok, err := jsontext.NewDecoder(strings.NewReader(q), jsontext.AllowInvalidUTF8(true)).ReadToken()
		if err != nil {
			t.Fatalf("%q: %v", q, err)
		}
		if got := memberName([]byte(q), strings.Contains(q, `\`)); got != tok.String() {
			t.Errorf("memberName(%q) = %q, jsontext %q", q, got, tok.String())
		}
	}
}
