package googleworkspace

import (
	"bytes"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wodlekit/wodlekit/runtime/jsonrec"
)

// FuzzParseCursor: a saved cursor is refused with an error or survives a
// save and a reload unchanged, its window a time range with its low mark
// inside.
func FuzzParseCursor(f *testing.F) {
	f.Add([]byte(`{"end":"2026-03-02T11:50:00Z"}`))
	f.Add([]byte(`{"end":"2026-03-02T11:50:00Z","window":{"start":"2026-03-02T11:40:00Z","end":"2026-03-02T11:55:00Z","page_token":"abc","low":"2026-03-02T11:45:00.123Z"}}`))
	f.Add([]byte(`{"end":"2026-03-02T11:50:00Z","window":{"start":"2026-03-02T11:40:00Z","end":"2026-03-02T11:30:00Z"}}`))
	f.Add([]byte(`{}`))
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
		if !reflect.DeepEqual(mustJSON(c), mustJSON(again)) {
			t.Fatalf("cursor changed across a save: %s then %s", mustJSON(c), mustJSON(again))
		}
		if w := c.Window; w != nil && (w.End.Before(w.Start) || w.Low != nil && (w.Low.Before(w.Start) || w.Low.After(w.End))) {
			t.Fatalf("accepted a broken window %+v", w)
		}
	})
}

// FuzzParseActivity: an activity's ID parses or is refused, never a
// panic; the key is the same whether the int64 came as a string or a
// number; and Int64Text alone reads any int64 text, quoted or not, the
// same.
func FuzzParseActivity(f *testing.F) {
	f.Add([]byte(`{"id":{"time":"2026-03-02T16:03:00.000Z","uniqueQualifier":"-4134091092752948702","applicationName":"login"},"events":[{"name":"login_success"}]}`))
	f.Add([]byte(`{"id":{"time":"2026-03-02T16:03:00.000Z","uniqueQualifier":358068855354,"applicationName":"admin"},"events":[]}`))
	f.Add([]byte(`{"id":{"time":"x","uniqueQualifier":"1e3"}}`))
	f.Add([]byte(`{"id":null}`))
	f.Add([]byte(`"9223372036854775808"`))
	f.Add([]byte(`-9223372036854775808`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if s, err := Int64Text(raw); err == nil {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || strconv.FormatInt(n, 10) != s {
				t.Fatalf("%q read as %q", raw, s)
			}
			if q, err := Int64Text([]byte(strconv.Quote(s))); err != nil || q != s {
				t.Fatalf("%q quoted reads %q, %v", s, q, err)
			}
		}
		a, err := ParseActivity(raw)
		if err != nil {
			return
		}
		if _, err := strconv.ParseInt(a.UniqueQualifier, 10, 64); err != nil {
			t.Fatalf("uniqueQualifier %q is not canonical", a.UniqueQualifier)
		}
		if a.EventType() == "" || !strings.Contains(a.Key(), "/"+a.UniqueQualifier+"/") {
			t.Fatalf("event type %q, key %q", a.EventType(), a.Key())
		}
		// The same activity with the int64 quoted the other way has the
		// same key.
		other := bytes.Replace(raw, []byte(`"uniqueQualifier":"`+a.UniqueQualifier+`"`), []byte(`"uniqueQualifier":`+a.UniqueQualifier), 1)
		if b, err := ParseActivity(other); err == nil && b.Key() != a.Key() {
			t.Fatalf("key %q as a number, %q as a string", b.Key(), a.Key())
		}
	})
}

// FuzzParseKey: any key text is refused with an error, or accepted with
// every field a run needs (TestCheckTellsSetupFailuresApart checks that
// refusals never show the key).
func FuzzParseKey(f *testing.F) {
	f.Add([]byte(`{"type":"service_account","client_email":"a@b","client_id":"1","private_key":"-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n"}`))
	f.Add([]byte(`{"type":"authorized_user"}`))
	f.Add([]byte(`{"type":"service_account","private_key":7}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		k, err := ParseKey(raw)
		if err != nil {
			return
		}
		if k.ClientEmail == "" || k.ClientID == "" || len(k.privateKey) == 0 || checkTokenURI(k.TokenURI) != nil {
			t.Fatalf("accepted an incomplete key: %v", k)
		}
	})
}

// FuzzErrorBodies: Google's error model, the token endpoint's error and
// the GWS_LAG setting read or are refused, never a panic; accepted lags are
// of known applications and within bounds.
func FuzzErrorBodies(f *testing.F) {
	f.Add([]byte(`{"error":{"code":403,"message":"m","errors":[{"reason":"accessNotConfigured"}],"status":"PERMISSION_DENIED","details":[{"reason":"SERVICE_DISABLED"}]}}`))
	f.Add([]byte(`{"error":"unauthorized_client","error_description":"Client is unauthorized"}`))
	f.Add([]byte(`{"error":null}`))
	f.Add([]byte(`{"error":{"code":403,"errors":[{"domain":"usageLimits","reason":"rateLimitExceeded"}],"details":[{"reason":"RATE_LIMIT_EXCEEDED","metadata":{"quota_limit":"ReadsPerDayPerProject"}}]}}`))
	f.Add([]byte(`15m,drive=1h`))
	f.Add([]byte(`x=1m`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if e, ok := ParseAPIError(raw); ok && e.Has() {
			t.Fatal("Has() with no reason is true")
		}
		// A throttle is never a daily quota, and only a Google error is one.
		if e, ok := ParseAPIError(raw); e.Throttle() && (!ok || !e.Has(throttleReasons...) || e.Has(dailyReasons...)) {
			t.Fatalf("Throttle() true for %+v (parsed %v)", e, ok)
		}
		if (ratePolicy{}).Throttled(nil, raw) != func() bool { e, ok := ParseAPIError(raw); return ok && e.Throttle() }() {
			t.Fatal("the policy disagrees with ParseAPIError")
		}
		if code, _, ok := ParseTokenError(raw); ok && code == "" {
			t.Fatal("an error answer without a code")
		}
		lags, err := ParseLags(string(raw))
		if err != nil {
			return
		}
		for app, d := range lags {
			known := app == "*" || slices.ContainsFunc(Applications, func(a App) bool { return a.Name == app })
			if d < 0 || d > 48*time.Hour || !known {
				t.Fatalf("lag %v for %q", d, app)
			}
		}
	})
}

// FuzzPage: any answer is a page (its nextPageToken a non-empty string or
// absent) or a decode error, never a panic and never a page without kind.
func FuzzPage(f *testing.F) {
	f.Add([]byte(`{"kind":"admin#reports#activities","etag":"e","items":[{"id":{"time":"2026-03-02T16:03:00.000Z","uniqueQualifier":"1","applicationName":"login"}}],"nextPageToken":"t"}`))
	f.Add([]byte(`{"kind":"admin#reports#activities","etag":"e"}`))
	f.Add([]byte(`{"kind":"admin#reports#activities","items":null}`))
	f.Add([]byte(`{"error":{"code":500}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, err := jsonrec.Decode(bytes.NewReader(raw), &pageSpec)
		if err != nil {
			return
		}
		if k, ok := p.String("kind"); !ok || k == "" {
			t.Fatalf("a page without kind: %s", raw)
		}
		if tok, ok := p.String("nextPageToken"); ok && tok == "" || p.Meta["nextPageToken"] != nil && !ok && string(p.Meta["nextPageToken"]) != "null" {
			t.Fatalf("nextPageToken %q passed the contract: %s", p.Meta["nextPageToken"], raw)
		}
	})
}
