package onepassword_test

import (
	"io"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/wodlekit/wodlekit/runtime/runner"
	"github.com/wodlekit/wodlekit/runtime/wodletest"
	"github.com/wodlekit/wodlekit/vendors/onepassword"
	"github.com/wodlekit/wodlekit/vendors/onepassword/fakeapi"
)

// BenchmarkCollect runs a whole collection in-process: fake API on
// loopback, 1,000-event pages, output discarded. make bench measures the
// real binary; this one is for profiles (-cpuprofile).
func BenchmarkCollect(b *testing.B) {
	const n = 20000
	api := fakeapi.New(fakeapi.Options{Token: testToken, Features: fakeapi.Features(),
		Events: map[string]int{"auditevents": n}, Seed: 3, Start: time.Now().Add(-50 * time.Hour), Span: 48 * time.Hour})
	srv := httptest.NewServer(api)
	defer srv.Close()
	b.SetBytes(n * 880)
	for b.Loop() {
		dir := b.TempDir()
		env := wodletest.Env{"OP_BASE_URL": srv.URL, "OP_STATE_DIR": dir, "OP_LOG_FILE": filepath.Join(dir, "log"),
			"OP_EVENTS_TOKEN": testToken, "OP_LOOKBACK_HOURS": "72", "OP_MAX_EVENTS_PER_RUN": "0",
			"OP_MAX_BYTES_PER_RUN": "60000000", "OP_REQUESTS_PER_MINUTE": "-1"}
		code := runner.Run(onepassword.New(), runner.IO{Args: []string{"--source", "auditevents"},
			Stdout: io.Discard, Stderr: io.Discard, Lookup: env.Lookup})
		if code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
}
