package mimecast

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

func gz(s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, _ = zw.Write([]byte(s))
	_ = zw.Close()
	return b.Bytes()
}

func parseAll(t testing.TB, data []byte) ([]Line, error) {
	t.Helper()
	var out []Line
	err := ParseFile(bytes.NewReader(data), "/f/1.json.gz", func(l Line) error {
		out = append(out, Line{Raw: bytes.Clone(l.Raw), Kind: l.Kind, N: l.N, Fields: l.Fields})
		return nil
	})
	return out, err
}

func TestParseFile(t *testing.T) {
	ev := `{"type":"receipt","processingId":"p1","aggregateId":"a1","timestamp":1772452800000,"subject":"hi"}`
	ev2 := `{ "type" : "delivery", "processingId":"p2","aggregateId":"a1","timestamp":1772452800001 }`
	long := `{"type":"receipt","subject":"` + strings.Repeat("x", MaxLineBytes) + `"}`
	tests := []struct {
		name  string
		data  []byte
		kinds []string // "" for an event
		lines []int
		err   string
	}{
		{"gzip", gz(ev + "\n" + ev2 + "\n"), []string{"", ""}, []int{1, 2}, ""},
		{"plain, as a proxy decoded it", []byte(ev + "\n" + ev2), []string{"", ""}, []int{1, 2}, ""},
		{"CRLF and blank lines", gz(ev + "\r\n\r\n  \n" + ev2 + "\r\n"), []string{"", ""}, []int{1, 4}, ""},
		{"empty file", gz(""), nil, nil, ""},
		{"invalid line between events", gz(ev + "\n{\"type\":\"receipt\",\n" + ev2 + "\n"), []string{"", InvalidLine, ""}, []int{1, 2, 3}, ""},
		{"not an object", gz("[1,2]\n\"text\"\n"), []string{InvalidLine, InvalidLine}, []int{1, 2}, ""},
		{"two values on a line", gz(ev + " " + ev + "\n"), []string{InvalidLine}, []int{1}, ""},
		{"oversized line", gz(ev + "\n" + long + "\n" + ev2), []string{"", OversizedLine, ""}, []int{1, 2, 3}, ""},
		{"truncated gzip", gz(ev + "\n" + ev2 + "\n")[:40], nil, nil, "unexpected EOF"},
		{"corrupt gzip", append(gz(ev)[:20], bytes.Repeat([]byte{0xff}, 40)...), nil, nil, "file /f/1.json.gz"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseAll(t, tc.data)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.kinds) {
				t.Fatalf("%d lines, want %d: %+v", len(got), len(tc.kinds), got)
			}
			for i, l := range got {
				if l.Kind != tc.kinds[i] || l.N != tc.lines[i] {
					t.Errorf("line %d: kind %q number %d, want %q %d", i, l.Kind, l.N, tc.kinds[i], tc.lines[i])
				}
				if !json.Valid(l.Raw) || len(l.Raw) > 64<<10 {
					t.Errorf("line %d: record invalid or huge (%d bytes)", i, len(l.Raw))
				}
				if l.Kind != "" && !bytes.Contains(l.Raw, []byte(`"file":"/f/1.json.gz"`)) {
					t.Errorf("line %d: bad-line record does not name its file: %s", i, l.Raw)
				}
			}
		})
	}
}

// A truncated stream keeps io.ErrUnexpectedEOF in its chain: the HTTP
// client then retries the download instead of failing the page.
func TestTruncatedFileIsRetryable(t *testing.T) {
	_, err := parseAll(t, gz(strings.Repeat(`{"type":"receipt","processingId":"p"}`+"\n", 100))[:60])
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("error %v does not wrap io.ErrUnexpectedEOF", err)
	}
}

func TestEventFieldsAndID(t *testing.T) {
	got, err := parseAll(t, gz(`{"type":"delivery","processingId":"p1","aggregateId":"a1","timestamp":1772452800000}`+"\n"+
		`{"type":"delivery","processingId":"p2","aggregateId":"a1","timestamp":1772452800000}`+"\n"+`{"type":"spam"}`))
	if err != nil || len(got) != 3 {
		t.Fatal(err, got)
	}
	if got[0].Fields != [4]string{"delivery", "p1", "a1", "1772452800000"} {
		t.Fatalf("fields %q", got[0].Fields)
	}
	// The same aggregate for two recipients: two keys.
	if EventID(got[0].Fields) == EventID(got[1].Fields) {
		t.Fatal("two deliveries of one message share a key")
	}
	if EventID(got[2].Fields) != "" {
		t.Fatal("an event without IDs got a key: it could swallow another")
	}
}

// FuzzParseFile: whatever a file holds, the parser ends (an error, or
// every line as a valid JSON record), never panics, and a line it calls an
// event is a JSON object.
func FuzzParseFile(f *testing.F) {
	f.Add([]byte(`{"type":"receipt","processingId":"p","aggregateId":"a","timestamp":1}`+"\n"+`{"x":`), false)
	f.Add([]byte("\n\n[1]\r\n{}\n"), true)
	f.Add([]byte{0x1f, 0x8b, 0x08, 0x00}, false)
	f.Add([]byte(`{"a":"\u00e9\xff"}`), true)
	f.Fuzz(func(t *testing.T, data []byte, zip bool) {
		if zip {
			data = gz(string(data))
		}
		n := 0
		err := ParseFile(bytes.NewReader(data), "/f", func(l Line) error {
			n++
			if l.N < n || !json.Valid(l.Raw) {
				t.Fatalf("line %d: number %d, record %q", n, l.N, l.Raw)
			}
			if l.Kind == "" && l.Raw[0] != '{' {
				t.Fatalf("event that is not an object: %q", l.Raw)
			}
			return nil
		})
		if zip && err != nil {
			t.Fatalf("a whole gzip stream failed: %v", err)
		}
	})
}

// FuzzParseSIEMCursor: a saved cursor is refused or survives a save and
// a reload unchanged.
func FuzzParseSIEMCursor(f *testing.F) {
	f.Add([]byte(`{"types":{"receipt":{"next_page":"dG9r","start":"2026-03-01","floor_ms":1772323200000},"url protect":{"start":"2026-03-01"}}}`))
	f.Add([]byte(`{"types":{"receipt":null}}`))
	f.Add([]byte(`{"types":{"av":{"start":"yesterday"}}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		c, err := ParseSIEMCursor(raw)
		if err != nil {
			return
		}
		again, err := ParseSIEMCursor(mustJSON(c))
		if err != nil {
			t.Fatalf("a parsed cursor does not parse again: %v", err)
		}
		if string(mustJSON(c)) != string(mustJSON(again)) {
			t.Fatalf("cursor changed across a save: %s then %s", mustJSON(c), mustJSON(again))
		}
	})
}

// FuzzParseAuditCursor: the same for the audit module.
func FuzzParseAuditCursor(f *testing.F) {
	f.Add([]byte(`{"from":1772323200,"to":1772409600,"page_token":"abc"}`))
	f.Add([]byte(`{"from":1772323200}`))
	f.Add([]byte(`{"from":5,"page_token":"x"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		c, err := ParseAuditCursor(raw)
		if err != nil {
			return
		}
		again, err := ParseAuditCursor(mustJSON(c))
		if err != nil || again != c {
			t.Fatalf("cursor %+v came back as %+v (%v)", c, again, err)
		}
		if c.From <= 0 || (c.To != 0 && c.To < c.From) {
			t.Fatalf("accepted a window that is not one: %+v", c)
		}
	})
}
