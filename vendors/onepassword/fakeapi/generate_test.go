package fakeapi

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wodlekit/wodlekit/runtime/wodletest/fakekit"
)

var update = flag.Bool("update", false, "rewrite testdata/samples.jsonl")

func TestGeneratedShapes(t *testing.T) {
	tests := []struct {
		feature  string
		required []string
		enum     string // field whose values must come from values
		values   []string
	}{
		{FeatureSignInAttempts,
			[]string{"uuid", "session_uuid", "timestamp", "country", "category", "type", "details", "target_user", "client", "account_uuid"},
			"category", []string{"success", "credentials_failed", "mfa_failed", "sso_failed", "modern_version_failed", "firewall_failed", "firewall_reported_success"}},
		{FeatureItemUsages,
			[]string{"uuid", "timestamp", "used_version", "vault_uuid", "item_uuid", "action", "user", "client", "account_uuid"},
			"action", []string{"fill", "select-sso-provider", "enter-item-edit-mode", "export", "share", "secure-copy", "reveal", "server-create", "server-update", "server-fetch"}},
		{FeatureAuditEvents,
			[]string{"uuid", "timestamp", "actor_uuid", "actor_details", "actor_type", "actor_account_uuid", "account_uuid", "action", "object_type", "object_uuid", "session"},
			"", nil},
	}
	const n = 2000
	for _, tt := range tests {
		t.Run(tt.feature, func(t *testing.T) {
			a := New(Options{Seed: 77, Start: testStart, Span: 48 * time.Hour, Events: map[string]int{tt.feature: n}})
			seenEnum := map[string]bool{}
			precisions := map[int]bool{}
			nullDetails, noLocation, total := 0, 0, 0
			for i := range n {
				ev := a.Event(tt.feature, i)
				total += len(ev)
				var m map[string]json.RawMessage
				if err := json.Unmarshal(ev, &m); err != nil {
					t.Fatalf("event %d: %v: %s", i, err, ev)
				}
				if c := compact(t, ev); !bytes.Equal(c, ev) {
					t.Fatalf("event %d is not compact", i)
				}
				for _, k := range tt.required {
					if _, ok := m[k]; !ok {
						t.Fatalf("event %d lacks %q: %s", i, k, ev)
					}
				}
				if _, ok := m["event_type"]; ok {
					t.Fatalf("event %d has event_type: that is the collector's to add", i)
				}
				if string(m["details"]) == "null" {
					nullDetails++
				}
				if _, ok := m["location"]; !ok {
					noLocation++
				}
				var ts string
				_ = json.Unmarshal(m["timestamp"], &ts)
				if _, err := time.Parse(time.RFC3339Nano, ts); err != nil {
					t.Fatalf("event %d timestamp %q: %v", i, ts, err)
				}
				frac := 0
				if dot := strings.IndexByte(ts, '.'); dot > 0 {
					frac = len(ts) - dot - 2 // digits between '.' and 'Z'
				}
				precisions[(frac+2)/3] = true
				if tt.enum != "" {
					var v string
					_ = json.Unmarshal(m[tt.enum], &v)
					if !slices.Contains(tt.values, v) {
						t.Fatalf("event %d: %s %q not in the documented set", i, tt.enum, v)
					}
					seenEnum[v] = true
				}
			}
			if tt.enum != "" && len(seenEnum) != len(tt.values) {
				t.Errorf("only %d of %d %s values generated in %d events: %v", len(seenEnum), len(tt.values), tt.enum, n, seenEnum)
			}
			if len(precisions) < 4 {
				t.Errorf("timestamp precisions seen %v, want seconds, milli, micro and nano", precisions)
			}
			if tt.feature == FeatureSignInAttempts && (nullDetails == 0 || nullDetails == n) {
				t.Errorf("details null in %d of %d events: want some of each", nullDetails, n)
			}
			if noLocation == 0 || noLocation == n {
				t.Errorf("location absent in %d of %d events: want some of each", noLocation, n)
			}
			avg := total / n
			if avg < 550 || avg > 1000 {
				t.Errorf("average record size %d bytes, want realistic (550..1000)", avg)
			}
			t.Logf("%s: average %d bytes", tt.feature, avg)
		})
	}
}

func TestAverageSizeAcrossStreams(t *testing.T) {
	a := New(Options{Seed: 1, Start: testStart, Span: time.Hour, Events: map[string]int{FeatureSignInAttempts: 1000, FeatureItemUsages: 1000, FeatureAuditEvents: 1000}})
	total, n := 0, 0
	for _, f := range Features() {
		for i := range a.Len(f) {
			total += len(a.Event(f, i))
			n++
		}
	}
	if avg := total / n; avg < 700 || avg > 800 {
		t.Fatalf("average record %d bytes, want 700..800 like real 1Password events", avg)
	}
}

func TestAuditActionsTerse(t *testing.T) {
	a := New(Options{Seed: 8, Start: testStart, Span: time.Hour, Events: map[string]int{FeatureAuditEvents: 3000}})
	seen := map[string]bool{}
	for i := range 3000 {
		var v struct {
			Action     string `json:"action"`
			ObjectType string `json:"object_type"`
			AuxID      *int64 `json:"aux_id"`
		}
		_ = json.Unmarshal(a.Event(FeatureAuditEvents, i), &v)
		seen[v.Action+"/"+v.ObjectType] = true
		if len(v.Action) > 8 {
			t.Fatalf("action %q is not a terse code", v.Action)
		}
		if v.AuxID != nil && (*v.AuxID < 0 || *v.AuxID > 1<<31-1) {
			t.Fatalf("aux_id %d outside 32 bits", *v.AuxID)
		}
	}
	for _, k := range []string{"suspend/user", "join/gm", "grant/uva", "updatfw/account", "enblmfa/user", "disblmfa/user", "delete/user", "delete/vault", "create/vault"} {
		if !seen[k] {
			t.Errorf("no %s audit event in 3000", k)
		}
	}
}

func TestGenerateEventUnknownFeaturePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	GenerateEvent("nope", 0, fakekit.NewGen(1, 1), testStart)
}

func compact(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Wrap returns the line the collector emits for a record: integration first,
// the record untouched inside the namespace, event_type appended last.
func wrap(record []byte, eventType string) string {
	return `{"integration":"onepassword","onepassword":` + string(record[:len(record)-1]) + `,"event_type":"` + eventType + `"}}`
}

// TestGoldenSamples keeps testdata/samples.jsonl: one emitted line per kind
// of record the ruleset tests (rules/onepassword/tests/onepassword.ini) use,
// taken from the generator so the rule tests see real fake-API data.
// Run with -update after changing the generator.
func TestGoldenSamples(t *testing.T) {
	a := New(Options{Seed: 2026, Start: testStart, Span: 72 * time.Hour,
		Events: map[string]int{FeatureSignInAttempts: 3000, FeatureItemUsages: 3000, FeatureAuditEvents: 3000}})
	eventType := map[string]string{FeatureSignInAttempts: "signin_attempt", FeatureItemUsages: "item_usage", FeatureAuditEvents: "audit_event"}
	key := map[string]func([]byte) string{
		FeatureSignInAttempts: func(b []byte) string {
			var v struct{ Category, Type string }
			_ = json.Unmarshal(b, &v)
			return v.Category
		},
		FeatureItemUsages: func(b []byte) string {
			var v struct{ Action string }
			_ = json.Unmarshal(b, &v)
			return v.Action
		},
		FeatureAuditEvents: func(b []byte) string {
			var v struct {
				Action        string `json:"action"`
				ObjectType    string `json:"object_type"`
				ObjectDetails struct {
					Name string `json:"name"`
				} `json:"object_details"`
			}
			_ = json.Unmarshal(b, &v)
			k := v.Action + "/" + v.ObjectType
			// Group changes split by privileged group: the rules treat
			// Owners and Administrators apart.
			if v.ObjectType == "gm" && (v.ObjectDetails.Name == "Owners" || v.ObjectDetails.Name == "Administrators") {
				k += "/privileged"
			}
			return k
		},
	}
	var out bytes.Buffer
	for _, f := range Features() {
		seen := map[string]bool{}
		var keys []string
		lines := map[string]string{}
		for i := range a.Len(f) {
			ev := a.Event(f, i)
			k := key[f](ev)
			if seen[k] {
				continue
			}
			seen[k] = true
			keys = append(keys, k)
			lines[k] = wrap(ev, eventType[f])
		}
		slices.Sort(keys)
		for _, k := range keys {
			out.WriteString(lines[k])
			out.WriteByte('\n')
		}
	}
	golden := filepath.Join("testdata", "samples.jsonl")
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(want, out.Bytes()) {
		t.Fatalf("%s is stale: the generator changed; run go test -run TestGoldenSamples -update and update the rule tests", golden)
	}
	for i, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if !json.Valid([]byte(line)) || !strings.HasPrefix(line, `{"integration":"onepassword","onepassword":{`) {
			t.Fatalf("sample %d malformed: %s", i, line)
		}
	}
}
