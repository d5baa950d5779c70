// Package httpx is the only way a vendor talks HTTP: one client per run with
// timeouts, proxy, custom CA, TLS >= 1.2, retries bounded by the run deadline,
// client-side pacing, pluggable auth and a same-host check for next-page URLs.
package httpx

import (
	"context"
	"io"
	"net/http"
	"time"
)

// Request is one logical API call; the client may send it several times.
type Request struct {
	// Method defaults to GET.
	Method string
	// URL is absolute, or a path (with query) resolved against the base URL.
	URL string
	// Header is copied onto every attempt. Accept-Encoding is dropped so
	// that the transport's transparent gzip stays on.
	Header http.Header
	// Body is resent verbatim on every attempt; nil for none.
	Body []byte
	// Endpoint names the pacing bucket (e.g. "auditevents"); "" shares the default bucket.
	Endpoint string
	// Presigned marks an absolute URL that carries its own credential in
	// its query (an object store's pre-signed download, Mimecast's SIEM
	// files): it may point at another origin, it is sent without the
	// Authenticator (a second credential makes S3 refuse it, and the
	// vendor's token must not leave for the store), and it is paced only
	// by its Endpoint's own budget, never the vendor's default one.
	Presigned bool
}

// Authenticator adds credentials to one attempt. It is called again on every
// retry, so signers can stamp a fresh Date and signature.
type Authenticator interface {
	Authenticate(ctx context.Context, r *http.Request, body []byte) error
}

// RateLimitPolicy tells how long to wait after a 429 (or another throttle
// answer: 503, or what a Throttler marks) when the standard Retry-After
// header says nothing, from vendor headers or body. ok=false means "no
// opinion": the client's floor applies.
type RateLimitPolicy interface {
	RetryDelay(resp *http.Response, body []byte, now time.Time) (wait time.Duration, ok bool)
}

// Throttler is implemented by a RateLimitPolicy that knows the vendor's
// throttle answers under another status than 429: Google answers a spent
// per-minute quota with 403 and the reason rateLimitExceeded, the same
// status as a refused permission. Do asks it about every error answer
// other than 429 (which is always a throttle) before anything else; an
// answer it marks is handled as a 429: counted as rate limited, then
// Retry-After, the Policy's RetryDelay, the floor.
type Throttler interface {
	// Throttled reports whether the answer says "too many requests, wait
	// and retry": a throttle that clears in seconds, never a quota that
	// lasts the day.
	Throttled(resp *http.Response, body []byte) bool
}

// Handler consumes a successful (2xx) response body. An error for which
// IsRetryable reports true (connection reset, unexpected EOF mid-body) is
// retried like a network error; any other error is returned as is.
type Handler func(resp *http.Response, body io.Reader) error
