package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/wodlekit/wodlekit/runtime/internal/cpuclock"
)

// fullState writes the state a 1Password instance has after a backlog:
// three modules with full windows of 26-character IDs and 200-byte
// cursors, synced, and returns its path.
func fullState(tb testing.TB, window int) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "s.json")
	o := Options{Vendor: "onepassword", Instance: "default", RecentMax: window}
	s, _, err := Open(path, o)
	if err != nil {
		tb.Fatal(err)
	}
	cursor := json.RawMessage(`{"cursor":"` + strings.Repeat("a", 200-13) + `"}`)
	for _, m := range []string{"auditevents", "itemusages", "signinattempts"} {
		ids := make([]string, window)
		for i := range ids {
			ids[i] = fmt.Sprintf("%s%020d", strings.ToUpper(m[:6]), i)
		}
		if err := s.Commit(m, cursor, hashAll(ids)); err != nil {
			tb.Fatal(err)
		}
	}
	if err := s.Sync(); err != nil {
		tb.Fatal(err)
	}
	if err := s.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

// BenchmarkOpen is what every run pays before its first request: loading
// the state of three full windows (2,000 IDs each, 1Password's window;
// 5,000 is the runtime's default, 50,000 Mimecast's).
func BenchmarkOpen(b *testing.B) {
	for _, window := range []int{2000, DefaultRecentMax, 50_000} {
		b.Run(fmt.Sprint(window), func(b *testing.B) {
			path := fullState(b, window)
			o := Options{Vendor: "onepassword", Instance: "default", RecentMax: window}
			b.ReportAllocs()
			start := cpuclock.Now()
			for b.Loop() {
				s, n, err := Open(path, o)
				if err != nil || len(n) > 0 {
					b.Fatal(err, n)
				}
				s.Close()
			}
			cpuclock.Report(b, start)
		})
	}
}

// writtenFiles are state files as this package writes them: committed
// and pending modules, a pending owner, cursors of every JSON kind.
func writtenFiles(t *testing.T) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	path := filepath.Join(t.TempDir(), "s.json")
	s, _ := mustOpen(t, path, opts())
	read := func(name string) {
		if err := s.Save(); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		files[name] = data
	}
	read("empty")
	mustCommit(t, s, "auditevents", `{"cursor":"a\"b\\c\u00e9","n":[1,2.5e3,true,false,null,{}]}`, "A1", "A2", "A3")
	mustCommit(t, s, "itemusages", `"plain"`, "I1")
	mustCommit(t, s, "signinattempts", `12345`)
	mustCommit(t, s, "nocursor", "", "N1", "N2")
	read("committed")
	owner := Owner{PID: 4321, StartTime: 99887766, BootID: "5f0e4c3a-boot"}
	if _, err := s.Begin(&owner, true); err != nil {
		t.Fatal(err)
	}
	mustCommit(t, s, "auditevents", `{"cursor":"next"}`, "A4", "A5")
	mustCommit(t, s, "itemusages", "", "I2")
	read("pending")
	return files
}

// TestWrittenFilesTakeTheFastPath: the files this package writes are read
// by decodeFile, to the same File as encoding/json, and whitespace added
// by a hand edit keeps them there. Without this, decodeFile could give up
// on every file and only the CPU would tell.
func TestWrittenFilesTakeTheFastPath(t *testing.T) {
	for name, data := range writtenFiles(t) {
		for _, variant := range []struct{ name, data string }{
			{"as written", string(data)},
			{"indented", indent(t, data)},
		} {
			got, ok := decodeFile(variant.data)
			if !ok {
				t.Errorf("%s, %s: decodeFile gave up on\n%s", name, variant.name, variant.data)
				continue
			}
			want, err := decodeFileSlowly("s.json", []byte(variant.data))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s, %s: decodeFile gave\n%+v\nencoding/json gave\n%+v", name, variant.name, got, want)
			}
		}
	}
}

// indent is data as a hand edit might leave it: indented, one member a line.
func indent(t *testing.T, data []byte) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Indent(&b, data, " ", "\t"); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestDecodeFileGivesUp: what decodeFile does not read is left to
// encoding/json, whose results and errors stay those users know.
func TestDecodeFileGivesUp(t *testing.T) {
	const head = `{"version":2,"vendor":"onepassword","instance":"default","updated_at":"2026-01-02T03:04:05Z",`
	for _, tc := range []struct {
		name, data string
		slowErr    string // "" when encoding/json reads it
	}{
		{"an escaped ID", head + `"modules":{"m":{"recent":["a\"b"]}}}`, ""},
		{"a non-ASCII ID", head + `"modules":{"m":{"recent":["caf\u00e9","café"]}}}`, ""},
		{"an unknown member", head + `"modules":{},"comment":"hand edit"}`, ""},
		{"a member in other case", head + `"Modules":{}}`, ""},
		{"a member twice", head + `"modules":{},"modules":{}}`, ""},
		{"a module twice", head + `"modules":{"m":{},"m":{}}}`, ""},
		{"null modules", head + `"modules":null}`, ""},
		{"a pending part within a pending part", head + `"modules":{"m":{"pending":{"pending":null}}}}`, ""},
		{"a fractional version", `{"version":2.0,"vendor":"onepassword","instance":"default"}`, "no valid version field"},
		{"a newer version", `{"version":3,"vendor":"onepassword","instance":"default"}`, "written by a newer release"},
		{"version zero", `{"version":0,"vendor":"onepassword","instance":"default"}`, "unsupported version 0"},
		{"no version", `{"vendor":"onepassword","instance":"default"}`, "no valid version field"},
		{"a truncated file", head + `"modules":{"m":{"recent":["a","b`, "unexpected end of JSON input"},
		{"trailing garbage", head + `"modules":{}}x`, "invalid character 'x' after top-level value"},
		{"a cursor that is not JSON", head + `"modules":{"m":{"cursor":{"a":tru}}}}`, "invalid character"},
		{"a bad timestamp", `{"version":2,"updated_at":"yesterday"}`, "cannot parse"},
		{"a negative start time", head + `"modules":{},"pending_owner":{"pid":1,"start_time":-1}}`, "cannot unmarshal number -1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, ok := decodeFile(tc.data); ok {
				t.Fatalf("decodeFile read %s", tc.data)
			}
			_, err := decodeFileSlowly("s.json", []byte(tc.data))
			switch {
			case tc.slowErr == "" && err != nil:
				t.Fatalf("encoding/json: %v", err)
			case tc.slowErr != "" && (err == nil || !strings.Contains(err.Error(), tc.slowErr)):
				t.Fatalf("encoding/json: got %v, want an error with %q", err, tc.slowErr)
			}
		})
	}
}

// FuzzDecodeFile holds decodeFile to encoding/json: whatever it reads,
// encoding/json reads too, to the same File.
func FuzzDecodeFile(f *testing.F) {
	f.Add([]byte(`{"version":2,"vendor":"v","instance":"i","modules":{"m":{"cursor":null,"recent":[]}}}`))
	f.Add([]byte(`{"version":1,"modules":{"m":{"cursor":[1,{"a":"\u0041"}],"updated_at":"2026-01-02T03:04:05.123+02:00","recent":null,"pending":null}},"pending_owner":null}`))
	f.Add([]byte(`{"version":2,"modules":{"m":{"pending":{"cursor":"c","recent":["x","y"]}}},"pending_owner":{"pid":-7,"start_time":18446744073709551615,"boot_id":"b"}}`))
	f.Add([]byte(` { "version" : 2 , "journal" : "j" } ` + "\n"))
	// encoding/json merges a repeated member into the struct it already
	// filled: decodeFile must leave these to it.
	f.Add([]byte(`{"version":2,"modules":{"m":{"pending":{"cursor":"a"},"pending":{"recent":[]}}}}`))
	f.Add([]byte(`{"version":2,"pending_owner":{"pid":1},"pending_owner":{"boot_id":"b"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ok := decodeFile(string(data))
		if !ok {
			return
		}
		want, err := decodeFileSlowly("s.json", data)
		if err != nil {
			t.Fatalf("decodeFile read what encoding/json refuses (%v): %q", err, data)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("decodeFile gave\n%+v\nencoding/json gave\n%+v\nfor %q", got, want, data)
		}
	})
}

// BenchmarkRunState is the state's part of a caught-up run: load, the
// write before the first page (Begin), the sync at the end, close.
func BenchmarkRunState(b *testing.B) {
	path := fullState(b, 2000)
	o := Options{Vendor: "onepassword", Instance: "default", RecentMax: 2000}
	b.ReportAllocs()
	start := cpuclock.Now()
	for b.Loop() {
		s, _, err := Open(path, o)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Begin(nil, true); err != nil {
			b.Fatal(err)
		}
		if err := s.Sync(); err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
	cpuclock.Report(b, start)
}
