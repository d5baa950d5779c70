package proofpointtap_test

import (
	"strings"
	"testing"
	"time"

	"github.com/wodlekit/wodlekit/runtime/wodletest"
	proofpointtap "github.com/wodlekit/wodlekit/vendors/proofpoint_tap"
	"github.com/wodlekit/wodlekit/vendors/proofpoint_tap/fakeapi"
)

// TestGolden pins the emitted lines of a fixed backlog (the four SIEM
// record types with their casing, a re-classified message, the VAP
// report) and of a run with a refused credential. The rules' .ini tests
// are built from these lines.
func TestGolden(t *testing.T) {
	b := newBench(t, fakeapi.Options{Seed: 11, SIEM: 8, People: 6, PerHour: 4}, "TAP_LOOKBACK_HOURS", "6")
	at := t0.Add(-20 * time.Minute)
	// One recipient hit by several threats: the correlation rule's case.
	for i, c := range []string{"malware", "phish", "impostor"} {
		th := []fakeapi.Threat{{ID: strings.Repeat(string(rune('d'+i)), 64), Classification: c, Status: "active", Time: at}}
		b.api.Add("messagesDelivered", fakeapi.Message("messagesDelivered", "golden-msg-"+c, "goldenguid00000000000000000"+string(rune('a'+i))+"1", "finance@example.com", "Payment advice", th, at, 40+i), at, at)
	}
	b.api.Add("clicksPermitted", fakeapi.Click("golden-click-1", "goldenguid0000000000000000000x1", "finance@example.com", "malware", at, at, 9), at, at)
	// One module per run: modules run concurrently, so their lines would
	// interleave differently from run to run.
	var out []byte
	for _, m := range []string{"siem", "people"} {
		if errs := wodletest.Errors(b.run("--source", m)); len(errs) != 0 {
			t.Fatalf("errors: %v", errs)
		}
		out = append(out, b.lastLines...)
	}
	// A refused credential gives an error event.
	b.run("--source", "siem", proofpointtap.SecretKey, "wrong-secret-value")
	out = append(out, b.lastLines...)
	wodletest.Golden(t, "events.jsonl", out, wodletest.Durations, wodletest.Version, wodletest.Since)
}
