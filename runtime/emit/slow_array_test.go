package emit

import (
	"encoding/json"
	"strings"
	"testing"
)

// A record whose bulk is an array of strings must be shrunk, not refused:
// losing it whole would be worse than a visible cut.
func TestShrinkArrays(t *testing.T) {
	var items []string
	for i := 0; i < 200; i++ {
		items = append(items, strings.Repeat("x", 600))
	}
	arr, _ := json.Marshal(items)
	raw := []byte(`{"id":"a1","targets":` + string(arr) + `}`)
	enc := NewEncoder(Options{Integration: "acme", MaxLineBytes: 60000, MaxFields: 256})
	line, m, err := enc.AppendRecord(nil, raw, "x")
	if err != nil {
		t.Fatalf("array-heavy record refused: %v", err)
	}
	if len(line) > 60000 || !json.Valid(line[:len(line)-1]) {
		t.Fatalf("line %d bytes, valid %v", len(line), json.Valid(line[:len(line)-1]))
	}
	if m.Truncated != 1 || !strings.Contains(string(line), `"truncated_fields":["targets"]`) {
		t.Fatalf("marks %+v, line tail %s", m, line[len(line)-200:])
	}
}
