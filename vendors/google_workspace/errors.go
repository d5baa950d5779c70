package googleworkspace

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/wodlekit/wodlekit/runtime/httpx"
	"github.com/wodlekit/wodlekit/runtime/runner"
)

// APIError is Google's error model:
// {"error":{"code","message","errors":[{"domain","reason","message"}],"status","details":[{"reason"}]}}.
type APIError struct {
	Code    int
	Message string
	Status  string
	// Reasons are errors[].reason and details[].reason, in order.
	Reasons []string
	// QuotaLimits are the details' metadata.quota_limit: the quota a
	// google.rpc.ErrorInfo says was spent ("ReadsPerMinutePerProject").
	QuotaLimits []string
}

// ParseAPIError reads Google's error body; ok is false for anything else.
func ParseAPIError(body []byte) (APIError, bool) {
	var b struct {
		Error *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
			Status  string `json:"status"`
			Errors  []struct {
				Reason string `json:"reason"`
			} `json:"errors"`
			Details []struct {
				Reason   string `json:"reason"`
				Metadata struct {
					QuotaLimit string `json:"quota_limit"`
				} `json:"metadata"`
			} `json:"details"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &b) != nil || b.Error == nil {
		return APIError{}, false
	}
	e := APIError{Code: b.Error.Code, Message: b.Error.Message, Status: b.Error.Status}
	for _, r := range b.Error.Errors {
		if r.Reason != "" {
			e.Reasons = append(e.Reasons, r.Reason)
		}
	}
	for _, d := range b.Error.Details {
		if d.Reason != "" {
			e.Reasons = append(e.Reasons, d.Reason)
		}
		if d.Metadata.QuotaLimit != "" {
			e.QuotaLimits = append(e.QuotaLimits, d.Metadata.QuotaLimit)
		}
	}
	return e, true
}

// Has reports whether Google gave one of the reasons.
func (e APIError) Has(reasons ...string) bool {
	return slices.ContainsFunc(e.Reasons, func(r string) bool { return slices.Contains(reasons, r) })
}

// Google's reasons for a spent quota. A throttle clears within the
// minute: the legacy usageLimits reasons rateLimitExceeded (the project's
// rate) and userRateLimitExceeded (the per-user rate), and the
// google.rpc.ErrorInfo reason RATE_LIMIT_EXCEEDED, which Google's
// ErrorReason reference defines as "not enough rate quota" with
// per-minute limits as its examples (ReadsPerMinutePerProject). A daily
// quota lasts until it resets: dailyLimitExceeded, and quotaExceeded,
// which Google's pages use for daily, concurrent and per-resource limits,
// never as a per-minute one; a rate quota counted per day
// (RATE_LIMIT_EXCEEDED with a quota_limit "...PerDay...") is daily too.
var (
	throttleReasons = []string{"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED"}
	dailyReasons    = []string{"dailyLimitExceeded", "quotaExceeded"}
)

// Throttle reports whether the answer is a per-minute throttle, worth
// waiting out within the run; a daily quota is not, even beside one.
func (e APIError) Throttle() bool {
	if e.Has(dailyReasons...) {
		return false
	}
	for _, l := range e.QuotaLimits {
		if strings.Contains(strings.ToLower(l), "perday") {
			return false
		}
	}
	return e.Has(throttleReasons...)
}

// ratePolicy is the vendor's httpx.RateLimitPolicy and httpx.Throttler:
// Google answers a per-minute throttle with 403 as well as 429, and Do
// retries a 403 as a 429 only when told.
type ratePolicy struct{}

// RetryDelay has no opinion: Retry-After, then the floor (RetryFloor,
// doubling up to RetryFloorMax, as Google's limits page asks).
func (ratePolicy) RetryDelay(*http.Response, []byte, time.Time) (time.Duration, bool) {
	return 0, false
}

// Throttled implements httpx.Throttler: a Google error answer whose
// reasons are a per-minute throttle's.
func (ratePolicy) Throttled(_ *http.Response, body []byte) bool {
	e, ok := ParseAPIError(body)
	return ok && e.Throttle()
}

// explain adds what to do to a Reports API refusal; the status error stays
// in the chain, so the event keeps its kind and HTTP status.
func (m *activities) explain(err error) error {
	var se *httpx.StatusError
	if !errors.As(err, &se) {
		return err
	}
	ae, ok := ParseAPIError(se.Body)
	if !ok {
		return err
	}
	var fix string
	switch {
	case ae.Has("accessNotConfigured", "SERVICE_DISABLED"):
		fix = "the Admin SDK API is not enabled in the service account's Google Cloud project: enable it (Cloud console > APIs & Services > Library > Admin SDK API) and wait a few minutes"
	case ae.Throttle():
		// Retried within the run (ratePolicy) until the attempts or the
		// deadline ran out.
		fix = "the project's Reports API quota is spent: the next run continues; lower GWS_REQUESTS_PER_MINUTE if it keeps happening"
	case ae.Has(throttleReasons...) || ae.Has(dailyReasons...):
		// A quota counted per day: a spent quota, not a refused
		// credential, though Google answers it with 403.
		return runner.QuotaError(fmt.Errorf("%w: the project's daily Reports API quota is spent: the next run after it resets continues from the saved cursor; raise the quota in the Google Cloud console if it keeps happening", err))
	case se.Code == http.StatusForbidden:
		fix = fmt.Sprintf("GWS_DELEGATED_ADMIN (%s) may not read the audit log: use a super admin, or give the admin a role with the Reports privilege", m.admin)
	case se.Code == http.StatusUnauthorized:
		fix = "Google refused the access token: check that the key is current and that domain-wide delegation is granted"
	case se.Code == http.StatusBadRequest && m.customer != "my_customer":
		fix = fmt.Sprintf("Google refused the query: check GWS_CUSTOMER_ID (%s), or leave it to my_customer", m.customer)
	case se.Code == http.StatusNotFound:
		fix = "Google does not know the application " + m.app + " for this account"
	default:
		return err
	}
	return fmt.Errorf("%w: %s", err, fix)
}
