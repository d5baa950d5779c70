package emit

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/wodlekit/wodlekit/runtime/jsonrec"
)

// genRecord builds a JSON object from fuzz bytes, so that the fuzzer
// explores deep, wide, big-integer and long-string records even when its
// raw input is not JSON.
func genRecord(data []byte) []byte {
	g := &gen{data: data}
	var b []byte
	b = append(b, '{')
	for i := 0; g.more() && i < 200 && len(b) < genLimit; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = g.member(b, 0, i)
	}
	return append(b, '}')
}

// genLimit stops a generated record near 16 KB, four times the fuzz line
// budget: enough for every shrinking path, small enough to fuzz quickly.
const genLimit = 16 << 10

type gen struct {
	data []byte
	pos  int
	size int // bytes of long strings so far
}

// more stops the record near 64 KB: larger records only make the fuzzer
// slow (the slow path is linear in size per shrunk string).
func (g *gen) more() bool { return g.pos < len(g.data) && g.size < 64<<10 }

func (g *gen) next() byte {
	if g.pos >= len(g.data) {
		return 0
	}
	c := g.data[g.pos]
	g.pos++
	return c
}

func (g *gen) member(b []byte, depth, i int) []byte {
	b = appendQuoted(b, "k"+strconv.Itoa(i))
	b = append(b, ':')
	return g.value(b, depth)
}

func (g *gen) value(b []byte, depth int) []byte {
	c := g.next()
	switch c % 10 {
	case 0, 1:
		if depth > 12 {
			return append(b, "null"...)
		}
		b = append(b, '{')
		n := int(g.next() % 40)
		for i := 0; i < n && g.more() && len(b) < genLimit; i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = g.member(b, depth+1, i)
		}
		return append(b, '}')
	case 2:
		if depth > 12 {
			return append(b, "[]"...)
		}
		b = append(b, '[')
		n := int(g.next() % 8)
		for i := 0; i < n && g.more() && len(b) < genLimit; i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = g.value(b, depth+1)
		}
		return append(b, ']')
	case 3:
		// A long string of a repeated rune, up to ~3 KB.
		runes := []string{"a", "é", "€", "😀", `"`, "\n", "\xff"}
		r := runes[int(g.next())%len(runes)]
		n := int(g.next()) * int(g.next()%12+1)
		g.size += n * len(r)
		return appendQuoted(b, strings.Repeat(r, n))
	case 4:
		return strconv.AppendInt(b, int64(g.next())<<32|int64(g.next())<<24|int64(g.next()), 10)
	case 5:
		return strconv.AppendInt(b, -int64(g.next())<<31, 10)
	case 6:
		return append(b, "1.5e300"...)
	case 7:
		return append(b, []string{"true", "false", "null"}[int(g.next())%3]...)
	default:
		n := int(g.next() % 16)
		end := min(g.pos+n, len(g.data))
		s := string(g.data[g.pos:end])
		g.pos = end
		return appendQuoted(b, s)
	}
}

// fuzzRecord is the record a fuzz input stands for: the input itself,
// compacted, when it is a JSON object, else a record generated from it.
func fuzzRecord(t *testing.T, data []byte) []byte {
	if json.Valid(data) && bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("{")) {
		var c bytes.Buffer
		if err := json.Compact(&c, data); err != nil {
			t.Fatal(err)
		}
		return c.Bytes()
	}
	raw := genRecord(data)
	if !json.Valid(raw) {
		t.Fatalf("generator made invalid JSON: %q", raw)
	}
	return raw
}

func FuzzAppendRecord(f *testing.F) {
	for _, s := range []string{
		`{"uuid":"56YE2TYN2VFYRLNSHKPW5NVT5E","timestamp":"2024-05-01T10:00:00.123456789Z","actor_uuid":"4HCGRGYCTRQFBMGVEGTABYDU2V","action":"join","object_type":"gm","aux_id":9932,"aux_uuid":null,"session":{"login_time":"2024-05-01T09:59:00.987654321Z","device_uuid":"5rpj4yhnm3c7xmb3kutjuomhte","ip":"203.0.113.7"},"location":{"country":"CA","region":"Ontario","city":"Toronto","latitude":43.6532,"longitude":-79.3832}}`,
		`{"id":12345678901,"a":[1,2147483648,[-2147483649]],"f":1e300}`,
		`{"s":"` + strings.Repeat("é", 3000) + `"}`,
		wide("f", 100),
		`{"a":{"b":{"c":{"d":{"e":` + wide("x", 40) + `}}}}}`,
		`{}`,
		`{"event_type":"mine"}`,
		`{"a":"\u00e9\ud83d\ude00\"\\","b":"</script>"}`,
	} {
		f.Add([]byte(s), "audit")
	}
	f.Add([]byte("\x00\x10\x03\x05\xff\x31\x02\x04\x01\x02\x03"), "")
	f.Add(bytes.Repeat([]byte{0, 30, 3, 200, 40, 4, 1, 2, 3}, 20), "t")
	e := NewEncoder(Options{Integration: "onepassword", MaxLineBytes: 4096, MaxFields: 32})
	f.Fuzz(func(t *testing.T, data []byte, eventType string) {
		raw := fuzzRecord(t, data)
		out, m, err := e.AppendRecord([]byte("prev\n"), raw, eventType)
		if err != nil {
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("AppendRecord(%q): %v", raw, err)
			}
			if string(out) != "prev\n" {
				t.Fatalf("dst changed on error")
			}
			return
		}
		line := out[len("prev\n"):]
		checkLine(t, e, line, m)
		if !m.Changed() {
			// Untouched: the namespace is the record plus event_type.
			want := append([]byte(`{"integration":"onepassword","onepassword":`), raw...)
			ns := line[len(`{"integration":"onepassword","onepassword":`) : len(line)-2]
			if !bytes.Equal(ns, raw) && !bytes.HasPrefix(ns, raw[:len(raw)-1]) {
				t.Fatalf("unchanged record altered:\n got %s\nwant %s", line, want)
			}
		}
	})
}

// FuzzFastMatchesTree checks that the fast path (a copy, big integers
// quoted as it goes) and the tree path (parse, rewrite, print) make the
// same line, marks and error for any record, under generous and tight
// budgets: the fast path is only an optimisation of the tree's output.
func FuzzFastMatchesTree(f *testing.F) {
	for _, s := range []string{
		`{"uuid":"56YE2TYN2VFYRLNSHKPW5NVT5E","action":"join","aux_id":9223372036854775807,"session":{"ip":"203.0.113.7"}}`,
		`{"id":12345678901,"a":[1,2147483648,[-2147483649]],"f":1e300,"g":-0.5e-3,"s":"12345678901"}`,
		`{"esc":"\"12345678901\\\"","n":-2147483649,"m":2147483647,"o":-2147483648}`,
		`{"event_type":"mine","big":99999999999}`,
		`{"a":{"b":{"c":` + wide("x", 40) + `}},"id":4294967296}`,
		`{"s":"` + strings.Repeat("a", 5000) + `","id":4294967296}`,
		// Near the 300-byte budget with 6 of 8 fields: the tree path
		// reserves the truncation marker's fields and folds.
		`{"id":12345678901,"a":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","b":{"c":1,"d":2}}`,
		`{}`,
	} {
		f.Add([]byte(s), "audit_event")
	}
	f.Add(bytes.Repeat([]byte{4, 30, 3, 200, 40, 4, 1, 2, 3}, 20), "t")
	encoders := []*Encoder{
		NewEncoder(Options{Integration: "onepassword"}),
		NewEncoder(Options{Integration: "onepassword", MaxLineBytes: 4096, MaxFields: 32}),
		NewEncoder(Options{Integration: "okta", MaxLineBytes: 300, MaxFields: 8}),
	}
	f.Fuzz(func(t *testing.T, data []byte, eventType string) {
		raw := fuzzRecord(t, data)
		sh := jsonrec.ShapeOf(raw)
		addType := eventType != "" && !sh.HasEventType
		// The big integers' offsets as the decoder finds them in a page,
		// and none (the encoder searches): every way must make one line.
		page, err := jsonrec.Decode(bytes.NewReader(append(append([]byte(`{"r":[`), raw...), ']', '}')),
			&jsonrec.Spec{Arrays: map[string]string{"r": ""}})
		if err != nil || len(page.Items) != 1 {
			t.Fatalf("decode %s: %v", raw, err)
		}
		searched := sh
		searched.BigIntAt = nil
		shapes := map[string]jsonrec.Shape{"ShapeOf": sh, "Decode": page.Items[0].Shape, "searched": searched}
		for _, e := range encoders {
			tree, tm, terr := e.slowPath([]byte("prev\n"), raw, eventType, addType)
			for name, sh := range shapes {
				fast, fm, ferr := e.AppendShaped([]byte("prev\n"), raw, eventType, sh)
				if (ferr == nil) != (terr == nil) || fm != tm || !bytes.Equal(fast, tree) {
					t.Fatalf("budgets %+v, record %s, shape from %s %+v:\nfast %s %+v %v\ntree %s %+v %v", e.opt, raw, name, sh, fast, fm, ferr, tree, tm, terr)
				}
			}
		}
	})
}
