package duo_test

import (
	"bytes"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/wodlekit/wodlekit/runtime/wodletest"
	"github.com/wodlekit/wodlekit/vendors/duo"
	"github.com/wodlekit/wodlekit/vendors/duo/fakeapi"
)

// TestGolden pins the emitted lines (records of every log, run summaries
// and an error event) on a fixed clock; rules/duo/tests/duo.ini is built
// from testdata/golden/events.jsonl. Modules run one at a time so that
// lines keep one order.
func TestGolden(t *testing.T) {
	fixed := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return fixed }
	api := fakeapi.New(fakeapi.Options{
		IKey: testIKey, SKey: testSKey, Seed: 2026, Start: fixed.Add(-20 * time.Hour), Span: 18 * time.Hour,
		Events: map[string]int{fakeapi.Authentication: 60, fakeapi.Administrator: 27, fakeapi.Telephony: 12, fakeapi.Activity: 6},
		Now:    clock,
		// The signer stamps the real date; the fake's clock is fixed.
		MaxSkew: 100 * 365 * 24 * time.Hour,
	})
	faults := wodletest.NewFaultInjector(api)
	srv := httptest.NewServer(faults)
	defer srv.Close()
	dir := t.TempDir()
	env := wodletest.Env{
		"DUO_BASE_URL": srv.URL, "DUO_STATE_DIR": dir, "DUO_LOG_FILE": filepath.Join(dir, "wodle.log"),
		"DUO_IKEY": testIKey, "DUO_SKEY": testSKey, "DUO_LOOKBACK_HOURS": "24",
	}
	var out bytes.Buffer
	run := func(args ...string) {
		res := wodletest.RunAt(t, duo.New(), env, clock, args...)
		if res.Code != 0 {
			t.Fatalf("exit %d: %s", res.Code, res.Stderr)
		}
		out.Write(res.Stdout)
	}
	for _, m := range []string{"authentication", "administrator", "telephony", "activity"} {
		run("--source", m)
	}
	faults.Push(wodletest.Fault{Path: fakeapi.Path(fakeapi.Telephony), Status: 401,
		Body: `{"code":40103,"message":"Invalid signature in request credentials","stat":"FAIL"}`})
	env = env.With("DUO_LOOKBACK_HOURS", "24")
	// A later run: the cursor's next window must reach past it.
	later := fixed.Add(10 * time.Minute)
	clock2 := func() time.Time { return later }
	res := wodletest.RunAt(t, duo.New(), env, clock2, "--source", "telephony")
	if res.Code != 0 {
		t.Fatalf("exit %d", res.Code)
	}
	out.Write(res.Stdout)
	wodletest.ParseLines(t, "duo", out.Bytes())
	wodletest.Golden(t, "events.jsonl", out.Bytes(), wodletest.Durations, wodletest.Version, wodletest.Since)
}
