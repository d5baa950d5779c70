package jsonrec

import (
	"bytes"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// FuzzDecodeReusing checks that a page decoded into a reused, dirty
// Scratch is the page Decode makes, error for error, read in small or
// large pieces.
func FuzzDecodeReusing(f *testing.F) {
	for _, s := range []string{
		`{"cursor":"c1","has_more":true,"items":[{"uuid":"a","n":12345678901,"z":null}]}`,
		"{ \"items\" : [ { \"a\" : [ 1 , 2.5e3 , \"x y\" ] } , {} ] , \"has_more\" : false }\n",
		`{"items":[{"a":1}`,
		`{"items":[{"a":1}]} trailing`,
		`[{"uuid":"okta"}]`,
	} {
		f.Add([]byte(s), uint8(3))
	}
	spec := &Spec{Arrays: map[string]string{"items": "e"}, Fields: []string{"uuid"}, MaxBytes: 1 << 20}
	f.Fuzz(func(t *testing.T, body []byte, dirt uint8) {
		want, werr := Decode(bytes.NewReader(body), spec)
		// A scratch dirty from an earlier page, with a body of another size.
		s := &Scratch{body: bytes.Repeat([]byte{dirt}, int(dirt)*97)}
		if _, err := s.Decode(strings.NewReader(dirtyPage), spec, -1); err != nil {
			t.Fatal(err)
		}
		s.Wipe(dirt)
		var r io.Reader = bytes.NewReader(body)
		if dirt%2 == 1 {
			r = iotest.OneByteReader(r)
		}
		got, gerr := s.Decode(r, spec, -1)
		if fmt.Sprint(werr) != fmt.Sprint(gerr) || !reflect.DeepEqual(want, got) {
			t.Fatalf("body %q:\nDecode         %+v %v\nScratch.Decode %+v %v", body, want, werr, got, gerr)
		}
	})
}

// dirtyPage leaves tables in a Scratch: records, fields, big integers,
// members.
const dirtyPage = `{"cursor":"old","has_more":true,"items":[{"uuid":"d1","n":12345678901,"m":[99999999999]},{"uuid":"d2"},{"uuid":"d3","x":{"y":-3000000000}}]}`

func TestDecodeReusingKeepsAndGrowsTheBuffer(t *testing.T) {
	spec := &Spec{Arrays: map[string]string{"items": "e"}}
	page := func(n int) string {
		return `{"items":[` + strings.TrimSuffix(strings.Repeat(`{"s":"`+strings.Repeat("x", 1000)+`"},`, n), ",") + `]}`
	}
	tests := []struct {
		name    string
		body    string
		in      []byte
		wantCap func(int) bool
	}{
		{"fits: the same memory comes back", page(10), make([]byte, 0, 64<<10), func(c int) bool { return c == 64<<10 }},
		{"too small: grown to fit", page(200), make([]byte, 0, 64<<10), func(c int) bool { return c >= 200_000 }},
		{"no buffer: one is made", page(1), nil, func(c int) bool { return c >= 1000 }},
		{"bad page: dropped", `{"items":[`, make([]byte, 0, 64<<10), func(c int) bool { return c == 0 }},
		{"huge page: not kept", page(9000), nil, func(c int) bool { return c == 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Scratch{body: tt.in}
			p, err := s.Decode(strings.NewReader(tt.body), spec, -1)
			if (err == nil) != (p != nil) {
				t.Fatalf("page %v, err %v", p, err)
			}
			if buf := s.body; len(buf) != 0 || !tt.wantCap(cap(buf)) {
				t.Fatalf("buffer len %d cap %d", len(buf), cap(buf))
			}
			if p != nil && cap(tt.in) >= len(tt.body) {
				// The records lie in the memory given: writing over it
				// shows through them.
				clear(tt.in[:cap(tt.in)])
				if p.Items[0].Raw[0] != 0 {
					t.Fatalf("the record does not lie in the buffer given")
				}
			}
		})
	}
}
