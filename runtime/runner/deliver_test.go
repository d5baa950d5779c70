package runner

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wodlekit/wodlekit/runtime/config"
	"github.com/wodlekit/wodlekit/runtime/emit"
	"github.com/wodlekit/wodlekit/runtime/internal/cpuclock"
	"github.com/wodlekit/wodlekit/runtime/internal/idwindow"
	"github.com/wodlekit/wodlekit/runtime/internal/race"
	"github.com/wodlekit/wodlekit/runtime/jsonrec"
	"github.com/wodlekit/wodlekit/runtime/state"
)

// bufferSink keeps what it is given.
type bufferSink struct{ bytes.Buffer }

func (b *bufferSink) Write(_ context.Context, lines []byte) error {
	_, err := b.Buffer.Write(lines)
	return err
}

func (b *bufferSink) Close() error { return nil }

// deliveryCollection is a collection that can deliver pages and nothing
// else: its state in a temporary directory, with the IDs window already
// holding recent.
func deliveryCollection(tb testing.TB, sink emit.Sink, all, dryRun bool, recent []string) *collection {
	tb.Helper()
	store, _, err := state.Open(filepath.Join(tb.TempDir(), "state.json"), state.Options{Vendor: "test", Instance: "default"})
	if err != nil {
		tb.Fatal(err)
	}
	if len(recent) > 0 {
		if err := store.Commit("m", []byte(`"c0"`), hashAll(recent)); err != nil {
			tb.Fatal(err)
		}
	}
	return &collection{
		cfg: &config.Common{}, enc: emit.NewEncoder(emit.Options{Integration: "test"}), sink: sink, store: store,
		all: all, dryRun: dryRun, lines: newLineBuffer(60000), log: slog.New(slog.DiscardHandler),
	}
}

// hashAll hashes ids for the state's windows.
func hashAll(ids []string) []idwindow.ID {
	out := make([]idwindow.ID, len(ids))
	for i, id := range ids {
		out[i] = idwindow.Of(id)
	}
	return out
}

// records makes one record per ID, numbered in order of the call.
func records(ids ...string) []Record {
	out := make([]Record, len(ids))
	for i, id := range ids {
		out[i] = Record{Raw: fmt.Appendf(nil, `{"id":%q,"n":%d}`, id, i), ID: id, EventType: "t"}
	}
	return out
}

// TestDeliverPageDuplicates: an ID delivered earlier in the page, earlier
// in the run (when nothing is saved) or held by the state's window is
// dropped and counted; a record without an ID is never a duplicate.
func TestDeliverPageDuplicates(t *testing.T) {
	tests := []struct {
		name        string
		all, dryRun bool
		recent      []string
		pages       [][]string
		// want are the IDs delivered and committed, page by page, and
		// the duplicates counted in all.
		want [][]string
		dups int
	}{
		{"within a page", false, false, nil,
			// The third page holds both earlier pages' IDs: the state kept
			// them although the runner reused their slice.
			[][]string{{"a", "b", "a", "", "", "b", "c"}, {"a", "d", "d"}, {"b", "c", "d", "e"}},
			[][]string{{"a", "b", "c"}, {"d"}, {"e"}}, 7},
		{"the state's window", false, false, []string{"x", "y"},
			[][]string{{"x", "a", "y", "x"}, {"b", "y"}},
			[][]string{{"a"}, {"b"}}, 4},
		{"the run when dry", false, true, []string{"x"},
			[][]string{{"a", "x", "b"}, {"b", "c", "a", "a"}, {"c", "d"}},
			[][]string{{"a", "b"}, {"c"}, {"d"}}, 5},
		{"the run with --all, not the window", true, false, []string{"x"},
			[][]string{{"a", "x", "b"}, {"b", "x", "a"}},
			[][]string{{"a", "x", "b"}, {}}, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sink := &bufferSink{}
			c := deliveryCollection(t, sink, tc.all, tc.dryRun, tc.recent)
			mr := c.newSummary("m")
			ps := c.newPageScratch()
			for p, page := range tc.pages {
				sink.Reset()
				size, events, ids, err := c.deliverPage(context.Background(), "m", mr, records(page...), ps)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, line := range strings.SplitAfter(sink.String(), "\n") {
					if line == "" {
						continue
					}
					var id string
					if _, err := fmt.Sscanf(line[strings.Index(line, `"id":`)+5:], "%q", &id); err != nil {
						t.Fatalf("page %d: line %q: %v", p, line, err)
					}
					got = append(got, id)
				}
				withID := slices.DeleteFunc(slices.Clone(got), func(id string) bool { return id == "" })
				if !slices.Equal(withID, tc.want[p]) {
					t.Errorf("page %d delivered IDs %q, want %q", p, withID, tc.want[p])
				}
				var committed []string
				for _, id := range ids {
					committed = append(committed, id.String())
				}
				if want := withID; !c.saves() && len(committed) > 0 || c.saves() && !slices.Equal(committed, want) {
					t.Errorf("page %d commits IDs %q, want those delivered %q (none when nothing is saved)", p, committed, want)
				}
				if size != sink.Len() || events != len(got) {
					t.Errorf("page %d: size %d events %d, delivered %d bytes in %d lines", p, size, events, sink.Len(), len(got))
				}
				// What a saving run commits joins the window of the next page.
				if c.saves() {
					if err := c.store.Commit("m", fmt.Appendf(nil, `"c%d"`, p+1), ids); err != nil {
						t.Fatal(err)
					}
				}
			}
			if mr.Duplicates != tc.dups {
				t.Errorf("%d duplicates counted, want %d", mr.Duplicates, tc.dups)
			}
		})
	}
}

// TestDeliverPageAllocatesOnce: a module's first page sizes the
// page's tables (hashed IDs, duplicates, IDs to commit, the page's set)
// once each rather than growing them record by record, the next pages
// allocate nothing, and a caught-up module's empty page does not make the
// run's line buffer.
func TestDeliverPageAllocatesOnce(t *testing.T) {
	if race.Enabled {
		t.Skip("the race detector changes what allocates; make test-go runs this without it")
	}
	c := deliveryCollection(t, emit.NewWriter(io.Discard), false, false, nil)
	mr := c.newSummary("m")
	if _, _, _, err := c.deliverPage(context.Background(), "m", mr, nil, c.newPageScratch()); err != nil {
		t.Fatal(err)
	}
	if c.lines.buf != nil {
		t.Errorf("an empty page made the line buffer (%d bytes)", cap(c.lines.buf))
	}
	var page bytes.Buffer
	page.WriteString(`{"items":[`)
	for i := range 1000 {
		if i > 0 {
			page.WriteByte(',')
		}
		fmt.Fprintf(&page, `{"uuid":"evt-%04d","n":%d}`, i, i)
	}
	page.WriteString(`]}`)
	decoded, err := jsonrec.Decode(&page, &jsonrec.Spec{Arrays: map[string]string{"items": "t"}, Fields: []string{"uuid"}})
	if err != nil {
		t.Fatal(err)
	}
	recs := make([]Record, len(decoded.Items))
	for i, it := range decoded.Items {
		recs[i] = Record{Raw: it.Raw, ID: it.Fields[0], EventType: it.Kind, Shape: it.Shape}
	}
	var ps *pageScratch
	// The page's set, its tables and the scratch itself: 7 allocations.
	first := testing.AllocsPerRun(5, func() {
		ps = c.newPageScratch()
		if _, _, _, err := c.deliverPage(context.Background(), "m", mr, recs, ps); err != nil {
			t.Fatal(err)
		}
	})
	if first > 7 {
		t.Errorf("a first page of 1,000 records: %v allocations, want at most 7", first)
	}
	next := testing.AllocsPerRun(5, func() {
		if _, _, _, err := c.deliverPage(context.Background(), "m", mr, recs, ps); err != nil {
			t.Fatal(err)
		}
	})
	if next != 0 {
		t.Errorf("a next page of 1,000 records: %v allocations, want none", next)
	}
}

// BenchmarkDeliverPage is the runner's work on a decoded page of make
// bench's mix: de-duplication against the page and the state's window
// (which holds the previous pages' IDs), encoding (one record in three
// with a 64-bit integer), and delivery to a sink that discards.
func BenchmarkDeliverPage(b *testing.B) {
	const n = 1000
	recent := make([]string, 2*n)
	for i := range recent {
		recent[i] = fmt.Sprintf("EARLIER%019d", i)
	}
	var page bytes.Buffer
	page.WriteString(`{"items":[`)
	for i := range n {
		if i > 0 {
			page.WriteByte(',')
		}
		aux := int64(9932 + i)
		if i%3 == 0 {
			aux = 1<<40 + int64(i)
		}
		fmt.Fprintf(&page, `{"uuid":"56YE2TYN2VFYRLNSHKP%07d","timestamp":"2024-05-01T10:%02d:%02d.%09dZ",`+
			`"actor_uuid":"IR7VJHJ36JHINBFAD7V2T5MP3E","actor_details":{"uuid":"IR7VJHJ36JHINBFAD7V2T5MP3E","name":"Jane Doe","email":"jane.doe@example.com"},`+
			`"action":"join","object_type":"gm","object_uuid":"pqcgbq5zqozzmzvtclrzaa7v3q","aux_id":%d,"aux_uuid":"GS7VAMMA5K6COGVRVEJXJW3XQZ","aux_info":"A",`+
			`"session":{"uuid":"A5K6COGVRVEJXJW3XQZGS7VAMM","login_time":"2024-05-01T09:00:00Z","device_uuid":"lc5fqgbrcm4plajd5ckhv3ebhb","ip":"203.0.113.%d"},`+
			`"location":{"country":"CA","region":"Ontario","city":"Toronto","latitude":43.6532,"longitude":-79.3832}}`,
			i, i%60, i%60, i*7919%1000000000, aux, i%250)
	}
	page.WriteString(`]}`)
	decoded, err := jsonrec.Decode(bytes.NewReader(page.Bytes()), &jsonrec.Spec{Arrays: map[string]string{"items": "audit_event"}, Fields: []string{"uuid"}})
	if err != nil {
		b.Fatal(err)
	}
	recs := make([]Record, len(decoded.Items))
	for i, it := range decoded.Items {
		recs[i] = Record{Raw: it.Raw, ID: it.Fields[0], EventType: it.Kind, Shape: it.Shape}
	}
	c := deliveryCollection(b, emit.NewWriter(io.Discard), false, false, recent)
	mr := c.newSummary("m")
	ps := c.newPageScratch()
	b.SetBytes(int64(page.Len()))
	b.ReportAllocs()
	start := cpuclock.Now()
	for b.Loop() {
		if _, events, _, err := c.deliverPage(context.Background(), "m", mr, recs, ps); err != nil || events != n {
			b.Fatalf("%d events delivered (%v), want %d", events, err, n)
		}
	}
	cpuclock.Report(b, start)
	b.ReportMetric(float64(b.N)*n/b.Elapsed().Seconds(), "records/s")
}
