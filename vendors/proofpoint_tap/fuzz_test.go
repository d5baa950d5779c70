package proofpointtap

import (
	"encoding/json"
	"testing"
	"time"
)

// FuzzDecodeSIEMCursor: any saved bytes either decode to a cursor with an
// end time and a well-ordered ledger, or fail with an error; never a panic.
func FuzzDecodeSIEMCursor(f *testing.F) {
	f.Add([]byte(`{"end":"2026-03-10T12:15:23Z","spent":[[1773144900,3],[1773144960,1]]}`))
	f.Add([]byte(`{"end":"2026-03-10T12:15:23Z","spent":[[5,-1]]}`))
	f.Add([]byte(`{"end":null}`))
	f.Add([]byte(`"opaque"`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := decodeSIEMCursor(json.RawMessage(b))
		if err != nil {
			return
		}
		if c.End.IsZero() {
			t.Fatal("accepted a cursor without an end")
		}
		now := time.Unix(1773144960, 0)
		if c.Spent.used(now) < 0 {
			t.Fatal("negative budget use")
		}
		_ = c.Spent.freeAt(now, 10)
	})
}

// FuzzDecodePeopleCursor: never a panic, never a negative page.
func FuzzDecodePeopleCursor(f *testing.F) {
	f.Add([]byte(`{"last":"2026-03-10T12:17:23Z","interval":"a/b","spent":[[1773144900,1]]}`))
	f.Add([]byte(`{"page":3,"interval":"x","spent":[]}`))
	f.Add([]byte(`{"page":-1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := decodePeopleCursor(json.RawMessage(b))
		if err == nil && c.Page < 0 {
			t.Fatal("accepted a negative page")
		}
	})
}

// FuzzParseMaxAge: TAP's 400 text gives an age within (1h, 30d].
func FuzzParseMaxAge(f *testing.F) {
	f.Add("The requested start time is too far into the past. Requests for information up to 7.00d are accepted")
	f.Add("up to 12.00h")
	f.Add("up to 99999999999999999999d")
	f.Fuzz(func(t *testing.T, msg string) {
		d := parseMaxAge(msg)
		if d <= time.Hour || d > 30*24*time.Hour {
			t.Fatalf("parseMaxAge(%q) = %s", msg, d)
		}
	})
}
