package googleworkspace_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wodlekit/wodlekit/runtime/httpx"
	"github.com/wodlekit/wodlekit/runtime/wodletest"
	"github.com/wodlekit/wodlekit/vendors/google_workspace"
	"github.com/wodlekit/wodlekit/vendors/google_workspace/fakeapi"
)

// Google's per-minute throttles are answers to wait out, whatever their
// status; a daily quota, a refused permission and anything unreadable
// are not.
func TestAPIErrorThrottle(t *testing.T) {
	tests := []struct {
		name string
		body string
		want bool
	}{
		{"403 rateLimitExceeded", `{"error":{"code":403,"message":"Rate Limit Exceeded","errors":[{"domain":"usageLimits","reason":"rateLimitExceeded"}],"status":"PERMISSION_DENIED"}}`, true},
		{"403 userRateLimitExceeded", `{"error":{"code":403,"message":"User Rate Limit Exceeded","errors":[{"domain":"usageLimits","reason":"userRateLimitExceeded"}],"status":"PERMISSION_DENIED"}}`, true},
		{"429 ErrorInfo RATE_LIMIT_EXCEEDED per minute", `{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"RATE_LIMIT_EXCEEDED","domain":"googleapis.com","metadata":{"quota_limit":"ReadsPerMinutePerProject","consumer":"projects/123"}}]}}`, true},
		{"ErrorInfo RATE_LIMIT_EXCEEDED without a limit named", `{"error":{"code":403,"message":"Quota exceeded","details":[{"reason":"RATE_LIMIT_EXCEEDED"}]}}`, true},
		{"ErrorInfo RATE_LIMIT_EXCEEDED of a per-day limit", `{"error":{"code":403,"message":"Quota exceeded","details":[{"reason":"RATE_LIMIT_EXCEEDED","metadata":{"quota_limit":"DefaultRequestsPerDayPerProject"}}]}}`, false},
		{"403 dailyLimitExceeded", `{"error":{"code":403,"message":"Daily Limit Exceeded","errors":[{"domain":"usageLimits","reason":"dailyLimitExceeded"}],"status":"PERMISSION_DENIED"}}`, false},
		{"403 quotaExceeded", `{"error":{"code":403,"message":"Quota Exceeded","errors":[{"domain":"usageLimits","reason":"quotaExceeded"}]}}`, false},
		{"a daily reason beside a rate one", `{"error":{"code":403,"errors":[{"reason":"rateLimitExceeded"},{"reason":"dailyLimitExceeded"}]}}`, false},
		{"403 forbidden", `{"error":{"code":403,"message":"Not Authorized to access this resource/api","errors":[{"domain":"global","reason":"forbidden"}],"status":"PERMISSION_DENIED"}}`, false},
		{"403 accessNotConfigured", `{"error":{"code":403,"errors":[{"domain":"usageLimits","reason":"accessNotConfigured"}],"details":[{"reason":"SERVICE_DISABLED"}]}}`, false},
		{"token endpoint error", `{"error":"rate_limit_exceeded","error_description":"x"}`, false},
		{"not JSON", `Rate Limit Exceeded`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := googleworkspace.ParseAPIError([]byte(tc.body))
			if got := e.Throttle(); got != tc.want {
				t.Fatalf("Throttle() = %v, want %v (parsed %+v)", got, tc.want, e)
			}
		})
	}
	v := googleworkspace.New()
	if _, ok := v.RateLimit.(httpx.Throttler); !ok {
		t.Fatal("the vendor's RateLimit policy is no httpx.Throttler: Google's 403 throttles would not be retried")
	}
	if v.RetryFloor != 5*time.Second || v.RetryFloorMax < 40*time.Second {
		t.Errorf("RetryFloor %v, RetryFloorMax %v: Google asks for 5 s, then longer waits", v.RetryFloor, v.RetryFloorMax)
	}
}

// Through the real client against the fake on loopback: Google's 403
// per-minute throttles are waited out within the run, and every activity
// arrives with no error event; a daily quota or a refused admin is one
// attempt and today's explained error; throttles past the attempts end in
// a rate_limit error event that still explains.
func TestThrottlesWithinTheRun(t *testing.T) {
	tests := []struct {
		name     string
		o        fakeapi.Options
		attempts string
		requests int    // to the login endpoint
		records  int    // delivered
		limited  string // the summary's rate_limited
		kind     string // the error event's, "" for none
		says     string // in its message
	}{
		{"two 403 rateLimitExceeded then success", fakeapi.Options{Throttles: 2}, "5", 3, 5, "2", "", ""},
		{"two 403 userRateLimitExceeded then success", fakeapi.Options{Throttles: 2, ThrottleReason: "userRateLimitExceeded"}, "5", 3, 5, "2", "", ""},
		{"403 dailyLimitExceeded", fakeapi.Options{Refuse: fakeapi.RefuseDailyLimit}, "5", 1, 0, "0", "rate_limit", "HTTP 403 Forbidden: 403: Daily Limit Exceeded: the project's daily Reports API quota is spent: the next run after it resets continues"},
		{"403 forbidden", fakeapi.Options{Refuse: fakeapi.RefuseNotAdmin}, "5", 1, 0, "0", "auth", "may not read the audit log"},
		{"throttles past the attempts", fakeapi.Options{Throttles: 10}, "3", 3, 0, "3", "rate_limit", "after 3 attempts: GET " + fakeapi.PathPrefix + "login: HTTP 403 Forbidden: 403: Rate Limit Exceeded: the project's Reports API quota is spent"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.Events = 5
			tb := newTestbed(t, tc.o, "GWS_SOURCES", "login", "GWS_RETRY_ATTEMPTS", tc.attempts)
			v := googleworkspace.New()
			// Google's 5 s floor, doubling, is what the vendor declares
			// (checked above); the test proves it is applied, not its size.
			v.RetryFloor, v.RetryFloorMax = 10*time.Millisecond, 40*time.Millisecond
			res := wodletest.RunAt(t, v, tb.env, func() time.Time { return tb.now })
			ev := wodletest.ParseLines(t, "google_workspace", res.Stdout)
			errs := wodletest.Errors(ev)
			if got := len(tb.queries("login")); got != tc.requests {
				t.Errorf("%d requests to login, want %d", got, tc.requests)
			}
			if got := len(wodletest.Records(ev)); got != tc.records {
				t.Errorf("%d records, want %d", got, tc.records)
			}
			if got := fmt.Sprint(wodletest.Summaries(ev)["login"]["rate_limited"]); got != tc.limited {
				t.Errorf("rate_limited %s, want %s", got, tc.limited)
			}
			if tc.kind == "" {
				if res.Code != 0 || len(errs) != 0 {
					t.Fatalf("exit %d, error events %v; want the throttles waited out", res.Code, errs)
				}
				if s := wodletest.Summaries(ev)["login"]; s["status"] != "ok" || s["cursor_saved"] != true {
					t.Errorf("summary %v", s)
				}
				return
			}
			if len(errs) != 1 || errs[0]["error_kind"] != tc.kind || fmt.Sprint(errs[0]["http_status"]) != "403" ||
				!strings.Contains(fmt.Sprint(errs[0]["error_message"]), tc.says) {
				t.Fatalf("error events %v, want one %s error saying %q", errs, tc.kind, tc.says)
			}
		})
	}
}
