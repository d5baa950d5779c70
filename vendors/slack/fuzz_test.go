package slack

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// FuzzParseCursor: a saved cursor either is refused with an error or
// survives a save and a reload unchanged, and a sweep folded into it
// never moves the high-water mark back.
func FuzzParseCursor(f *testing.F) {
	f.Add([]byte(`{"high_water":1772400000,"edge_ids":["a","b"]}`))
	f.Add([]byte(`{"high_water":1772400000,"sweep":{"oldest":1772400000,"latest":1772450000,"next_cursor":"dXNlcjpVMEc5V0ZYTlo=","max":1772449999,"max_ids":["x"],"low":1772410000}}`))
	f.Add([]byte(`{"high_water":-1}`))
	f.Add([]byte(`{"sweep":{"oldest":5,"latest":4}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		c, err := ParseCursor(raw)
		if err != nil {
			return
		}
		again, err := ParseCursor(mustJSON(c))
		if err != nil {
			t.Fatalf("a parsed cursor does not parse again: %v", err)
		}
		if !reflect.DeepEqual(normal(c), normal(again)) {
			t.Fatalf("cursor changed across a save: %+v then %+v", c, again)
		}
		if c.Sweep == nil {
			c.Sweep = &Sweep{Oldest: c.HighWater, Latest: c.HighWater + 10}
		}
		before := c.HighWater
		c.Sweep.observe([]entry{{"id1", c.Sweep.Oldest}, {"id2", c.Sweep.Latest}, {"", c.Sweep.Latest + 1}})
		c.finish()
		if c.HighWater < before || c.Sweep != nil || len(c.EdgeIDs) > MaxEdgeIDs {
			t.Fatalf("after a sweep: high water %d (was %d), sweep %v, %d edge IDs", c.HighWater, before, c.Sweep, len(c.EdgeIDs))
		}
	})
}

// normal makes empty and nil ID lists compare equal.
func normal(c Cursor) Cursor {
	if len(c.EdgeIDs) == 0 {
		c.EdgeIDs = nil
	}
	if c.Sweep != nil {
		s := *c.Sweep
		if len(s.MaxIDs) == 0 {
			s.MaxIDs = nil
		}
		c.Sweep = &s
	}
	return c
}

// FuzzParsePage: any answer is a page with its entries, Slack's refusal,
// or a decode error, never a panic; a page's next_cursor is a string or
// refused.
func FuzzParsePage(f *testing.F) {
	f.Add(200, []byte(`{"entries":[{"id":"a","date_create":1772400000,"action":"user_login"}],"response_metadata":{"next_cursor":"abc"}}`))
	f.Add(200, []byte(`{"entries":[],"response_metadata":{"next_cursor":""}}`))
	f.Add(200, []byte(`{"ok":false,"error":"missing_scope"}`))
	f.Add(401, []byte(`{"ok":false,"error":"invalid_auth"}`))
	f.Add(200, []byte(`{"ok":false,"error":7}`))
	f.Add(200, []byte(`{"ok":true}`))
	f.Add(200, []byte(`{"entries":null}`))
	f.Add(200, []byte(`<html>`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		page, err := ParsePage(status, body)
		code, refused := ParseError(body)
		var ae *APIError
		switch {
		case refused:
			if !errors.As(err, &ae) || (code != "" && ae.Code != code) {
				t.Fatalf("refusal %q read as %v", code, err)
			}
			return
		case err != nil:
			return
		}
		for i, it := range page.Items {
			if !json.Valid(it.Raw) || len(it.Fields) != 2 {
				t.Fatalf("entry %d: %q, fields %q", i, it.Raw, it.Fields)
			}
		}
		next, err := parseNextCursor(page.Meta["response_metadata.next_cursor"])
		if err == nil && next != "" {
			var s string
			if json.Unmarshal(page.Meta["response_metadata.next_cursor"], &s) != nil || s != next {
				t.Fatalf("next_cursor %q read from %q", next, page.Meta["response_metadata.next_cursor"])
			}
		}
	})
}
