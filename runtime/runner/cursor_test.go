package runner_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wodlekit/wodlekit/runtime/runner"
	"github.com/wodlekit/wodlekit/runtime/wodletest"
)

// pagesModule serves fixed pages, one per Fetch, then an empty last one.
type pagesModule struct{ pages []*runner.Page }

func (m *pagesModule) Name() string { return "m" }

func (m *pagesModule) Fetch(_ context.Context, req runner.PageRequest) (*runner.Page, error) {
	if req.Page > len(m.pages) {
		return &runner.Page{Next: json.RawMessage(`"end"`)}, nil
	}
	return m.pages[req.Page-1], nil
}

func cursorVendor(m *pagesModule) runner.Vendor {
	return runner.Vendor{
		Name: "acme", Title: "Acme", Description: "test events", EnvPrefix: "ACME_",
		DefaultBaseURL: "http://127.0.0.1:9", MaxLookback: time.Hour, MaxPageSize: 100,
		Modules: func(*runner.Env) ([]runner.Module, error) { return []runner.Module{m}, nil },
	}
}

// A module that hands back a cursor that resumes nothing (empty, null, an
// empty string, not JSON) fails with a decode error before its page is
// delivered: saved, such a cursor would fail every later run or restart
// from nowhere, and the page's events would be skipped.
func TestEmptyCursorIsNeverSaved(t *testing.T) {
	rec := func(id string) runner.Record {
		return runner.Record{Raw: []byte(`{"id":"` + id + `"}`), ID: id, EventType: "e"}
	}
	for _, bad := range []string{"", "null", `""`, "{}", "[]", `{"a":`} {
		t.Run("cursor "+bad, func(t *testing.T) {
			dir := t.TempDir()
			m := &pagesModule{pages: []*runner.Page{
				{Records: []runner.Record{rec("a")}, Next: json.RawMessage(`"c1"`), More: true},
				{Records: []runner.Record{rec("b")}, Next: json.RawMessage(bad), More: true},
			}}
			if bad == "" {
				m.pages[1].Next = nil
			}
			res := wodletest.Run(t, cursorVendor(m), wodletest.Env{"ACME_STATE_DIR": dir})
			ev := res.Events(t, "acme")
			errs := wodletest.Errors(ev)
			if len(errs) != 1 || errs[0]["error_kind"] != "decode" || !strings.Contains(errs[0]["error_message"].(string), "cursor") {
				t.Fatalf("want one decode error about the cursor, got %v", errs)
			}
			if recs := wodletest.Records(ev); len(recs) != 1 || recs[0]["id"] != "a" {
				t.Errorf("records %v: want only the page before the bad cursor", recs)
			}
			st, err := os.ReadFile(filepath.Join(dir, "default.state.json"))
			if err != nil {
				t.Fatal(err)
			}
			var f struct {
				Modules map[string]struct{ Cursor json.RawMessage } `json:"modules"`
			}
			if err := json.Unmarshal(st, &f); err != nil {
				t.Fatal(err)
			}
			if got := string(f.Modules["m"].Cursor); got != `"c1"` {
				t.Errorf("saved cursor %s, want the last good one \"c1\"", got)
			}
		})
	}
}
