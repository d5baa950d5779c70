package fakeapi

import (
	"strings"
	"testing"
	"time"
)

// FuzzParseRequest checks that no body crashes the parser and that what it
// accepts is a well-formed request: a cursor that re-encodes to a valid
// cursor, or a reset cursor inside the documented limits.
func FuzzParseRequest(f *testing.F) {
	seeds := []string{
		``, `{}`, `null`, `[]`, `{"limit":1}`, `{"limit":1000}`, `{"limit":1001}`, `{"limit":-1}`,
		`{"limit":100,"start_time":"2026-01-01T00:00:00Z","end_time":"2026-01-02T00:00:00.123456789Z"}`,
		`{"start_time":"2026-01-01T00:00:00-03:00"}`, `{"cursor":"x"}`, `{"cursor":"x","limit":3}`,
		`{"cursor":"` + Cursor{Feature: "auditevents", Offset: 5, Limit: 10}.Encode() + `"}`,
		`{"limit":1e3}`, `{"limit":10.5}`, `{"limit":10} trailing`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := ParseRequest(body)
		if err != nil {
			if strings.TrimSpace(err.Error()) == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if req.Cursor != nil {
			if _, err := DecodeCursor(req.Cursor.Encode()); err != nil {
				t.Fatalf("accepted cursor %+v does not re-encode: %v", *req.Cursor, err)
			}
			return
		}
		if req.Limit < 1 || req.Limit > MaxLimit {
			t.Fatalf("accepted limit %d", req.Limit)
		}
		if !req.StartTime.IsZero() && !req.EndTime.IsZero() && req.EndTime.Before(req.StartTime) {
			t.Fatal("accepted end_time before start_time")
		}
		_ = req.StartTime.Format(time.RFC3339Nano)
	})
}
