package jsonrec

import (
	"bytes"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/wodlekit/wodlekit/runtime/internal/race"
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

// TestReadIntoAllocatesFewBuffers: a body of unknown size is read into few
// buffers while small (four times larger each time below growFaster), so
// that a run's first page, about a megabyte, leaves little garbage; every
// byte is read whatever the pieces.
func TestReadIntoAllocatesFewBuffers(t *testing.T) {
	if race.Enabled {
		t.Skip("the race detector changes what allocates; make test-go runs this without it")
	}
	for _, tc := range []struct {
		size, allocs int
	}{{1000, 1}, {100_000, 2}, {800_000, 3}, {1 << 20, 4}, {3 << 20, 5}} {
		body := bytes.Repeat([]byte("0123456789"), tc.size/10)
		var got []byte
		rd := bytes.NewReader(nil)
		allocs := testing.AllocsPerRun(3, func() {
			var err error
			rd.Reset(body)
			if got, err = readInto(rd, 8<<20, nil); err != nil {
				t.Fatal(err)
			}
		})
		if int(allocs) != tc.allocs {
			t.Errorf("%d bytes: %v buffers, want %d", tc.size, allocs, tc.allocs)
		}
		if !bytes.Equal(got, body) {
			t.Fatalf("%d bytes: read %d bytes that differ", tc.size, len(got))
		}
	}
	r := iotest.OneByteReader(strings.NewReader(strings.Repeat("x", 300_000)))
	if got, err := readInto(r, 8<<20, nil); err != nil || len(got) != 300_000 {
		t.Fatalf("byte by byte: %d bytes, %v", len(got), err)
	}
}

// TestFirstPageAllocatesOnce: a fresh Scratch's first page of a
// thousand records (a run's first page) sizes its tables from its first
// records rather than growing each through a dozen appends; the page
// decoded is the same.
func TestFirstPageAllocatesOnce(t *testing.T) {
	if race.Enabled {
		t.Skip("the race detector changes what allocates; make test-go runs this without it")
	}
	var page bytes.Buffer
	page.WriteString(`{"cursor":"c","items":[`)
	for i := range 1000 {
		if i > 0 {
			page.WriteByte(',')
		}
		fmt.Fprintf(&page, `{"uuid":"evt-%04d","n":%d,"big":%d,"s":"%s"}`, i, i, int64(1)<<40+int64(i), strings.Repeat("x", i%50))
	}
	page.WriteString(`]}`)
	spec := &Spec{Arrays: map[string]string{"items": "e"}, Fields: []string{"uuid"}}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	s := &Scratch{}
	got, err := s.Decode(bytes.NewReader(page.Bytes()), spec, int64(page.Len()))
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	// What the page keeps: its body (and MinRead), 1,024 items of 112 bytes, the
	// captured fields (spans, bytes, strings), the big integers' offsets.
	// Grown by appends, the items alone left twice their size as garbage.
	allocated := after.TotalAlloc - before.TotalAlloc
	if keep := uint64(page.Len() + MinRead + 1024*112 + 1000*(16+8+16+4)); allocated > keep+keep/8 {
		t.Errorf("a first page of 1,000 records (%d bytes) allocated %d bytes, want at most %d", page.Len(), allocated, keep+keep/8)
	}
	// The tables grown midway (items, fields, big integers' offsets) still
	// describe every record.
	if len(got.Items) != 1000 {
		t.Fatalf("%d records", len(got.Items))
	}
	for i, it := range got.Items {
		big := fmt.Sprint(int64(1)<<40 + int64(i))
		at := it.Shape.BigIntAt
		if it.Fields[0] != fmt.Sprintf("evt-%04d", i) || len(at) != 1 || !bytes.HasPrefix(it.Raw[at[0]:], []byte(big)) {
			t.Fatalf("record %d: fields %q, big integers at %v in %s", i, it.Fields, at, it.Raw)
		}
	}
}
