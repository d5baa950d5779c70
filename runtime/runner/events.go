package runner

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"

	"github.com/wodlekit/wodlekit/runtime/httpx"
)

// errorEvent is the record of an error event; field order is the order
// Wazuh shows.
type errorEvent struct {
	EventType    string `json:"event_type"`
	Module       string `json:"module"`
	ErrorKind    string `json:"error_kind"`
	ErrorMessage string `json:"error_message"`
	HTTPStatus   int    `json:"http_status,omitempty"`
	Instance     string `json:"instance"`
	Version      string `json:"version"`
}

// summaryEvent is the record of a run_summary event.
type summaryEvent struct {
	EventType       string  `json:"event_type"`
	Module          string  `json:"module"`
	Status          string  `json:"status"`
	Events          int     `json:"events"`
	Pages           int     `json:"pages"`
	Duplicates      int     `json:"duplicates"`
	Requests        int64   `json:"requests"`
	Retries         int64   `json:"retries"`
	RateLimited     int64   `json:"rate_limited"`
	WaitSeconds     float64 `json:"wait_seconds"`
	Bytes           int64   `json:"bytes"`
	Truncated       int     `json:"truncated"`
	Folded          int     `json:"folded"`
	BigInts         int     `json:"big_integers"`
	DurationSeconds float64 `json:"duration_seconds"`
	StoppedBy       string  `json:"stopped_by"`
	CursorSaved     bool    `json:"cursor_saved"`
	Mode            string  `json:"mode"`
	Since           string  `json:"since,omitempty"`
	Message         string  `json:"message,omitempty"`
	// LogWriteFailures counts the log writes of this process that failed so
	// far (full disk); absent when none did.
	LogWriteFailures int64  `json:"log_write_failures,omitempty"`
	Instance         string `json:"instance"`
	Version          string `json:"version"`
}

// Error kinds, for rules and for people reading the events.
const (
	kindAuth      = "auth"
	kindHTTP      = "http_status"
	kindRateLimit = "rate_limit"
	kindDeadline  = "deadline"
	kindNetwork   = "network"
	kindDecode    = "decode"
	kindState     = "state"
	kindSink      = "sink"
	kindConfig    = "config"
	kindPanic     = "panic"
	kindEncode    = "encode"
	kindModule    = "module"
)

// classify names the kind of a module error and its HTTP status.
func classify(err error) (string, int) {
	var se *httpx.StatusError
	hasStatus := errors.As(err, &se)
	var m *marked
	isMarked := errors.As(err, &m)
	switch {
	case isMarked && m.kind == kindRateLimit && hasStatus:
		// Before the status: a daily quota comes as a 403, which would
		// read as a refused credential.
		return kindRateLimit, se.Code
	case hasStatus:
		switch {
		// A throttle under 403 (Google's rateLimitExceeded, marked by the
		// vendor's Throttler) is a spent quota, not a refused credential.
		case se.Code == 429 || se.Throttled:
			return kindRateLimit, se.Code
		case se.Code == 401 || se.Code == 403:
			return kindAuth, se.Code
		}
		return kindHTTP, se.Code
	case errors.Is(err, httpx.ErrDeadline), errors.Is(err, context.DeadlineExceeded):
		return kindDeadline, 0
	case isMarked:
		return m.kind, 0
	}
	var ne net.Error
	if errors.As(err, &ne) || httpx.IsRetryable(err) {
		return kindNetwork, 0
	}
	var je *json.SyntaxError
	if errors.As(err, &je) || strings.Contains(err.Error(), "decode page") {
		return kindDecode, 0
	}
	var ce *cursorError
	if errors.As(err, &ce) {
		return kindState, 0
	}
	return kindModule, 0
}

// marked is an error a vendor or the runner gave its kind, where neither
// an HTTP status nor the error's type tells it: a page that breaks the
// contract, a refusal in the body of a success, a quota answered with 403.
type marked struct {
	kind string
	err  error
}

func (e *marked) Error() string { return e.err.Error() }
func (e *marked) Unwrap() error { return e.err }

func mark(kind string, err error) error {
	if err == nil {
		return nil
	}
	return &marked{kind, err}
}

// DecodeError wraps err as a page-decoding failure (invalid or truncated
// JSON, unexpected shape): a decode error event.
func DecodeError(err error) error { return mark(kindDecode, err) }

// AuthError wraps err as a refusal of the credentials or their permissions
// that came without an HTTP error status (Slack's {"ok":false} with HTTP
// 200): an auth error event like a 401 or 403, without a status.
func AuthError(err error) error { return mark(kindAuth, err) }

// QuotaError wraps err as a spent quota that lasts past the run (a daily
// limit: retrying within the run would not clear it, so it is no
// throttle): a rate_limit error event whatever the HTTP status, where
// Google's 403 dailyLimitExceeded would read as a refused credential.
func QuotaError(err error) error { return mark(kindRateLimit, err) }
