package duo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/wodlekit/wodlekit/runtime/httpx"
	"github.com/wodlekit/wodlekit/runtime/jsonrec"
	"github.com/wodlekit/wodlekit/runtime/runner"
)

// get sends one signed GET to a log endpoint (its own pacing bucket) and
// decodes Duo's {"stat":"OK","response":...} envelope as a stream.
func get(ctx context.Context, env *runner.Env, path string, q url.Values, spec *jsonrec.Spec) (*jsonrec.Page, error) {
	page, err := runner.FetchPage(ctx, env.HTTP, httpx.Request{Method: http.MethodGet, URL: path + "?" + q.Encode(), Endpoint: path}, spec)
	if err != nil {
		return nil, err
	}
	if stat, _ := page.String("stat"); stat != "OK" {
		return nil, runner.DecodeError(fmt.Errorf("GET %s: response stat is %q, not OK", path, stat))
	}
	return page, nil
}

// hashID is a stable de-duplication key for records without an ID of
// their own: the fields that tell two events apart, hashed.
func hashID(prefix string, fields []string) string {
	h := sha256.New()
	for _, f := range fields {
		h.Write([]byte(f))
		h.Write([]byte{0})
	}
	return prefix + hex.EncodeToString(h.Sum(nil)[:16])
}

// utc formats epoch milliseconds for notes people read.
func utc(ms int64) string {
	return time.UnixMilli(ms).UTC().Format(time.RFC3339)
}

// budgetNote is the pacing half of a module's run-summary message;
// requests are the module's attempts this run, retries included (httpx
// counts them, and Duo's limit counts them too).
func budgetNote(s *Settings, path string, requests int64) string {
	if s.RequestsPerMinute <= 0 {
		return fmt.Sprintf("per-endpoint pacing off; %d request(s) to %s this run", requests, path)
	}
	return fmt.Sprintf("budget %d request(s)/min on %s, %d used this run", s.RequestsPerMinute, path, requests)
}
