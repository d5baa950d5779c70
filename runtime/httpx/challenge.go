package httpx

import (
	"net/http"
	"strconv"
)

// Challenger is implemented by an Authenticator that can learn from a
// refused answer what its next attempt must carry: a DPoP nonce (RFC 9449
// section 8 and 9: 400 use_dpop_nonce from a token endpoint, 401 with
// WWW-Authenticate: DPoP error="use_dpop_nonce" from a resource), or the
// news that a cached token was revoked early. Do calls Challenge with every
// error answer it would not otherwise retry (4xx other than 408, 429 and
// what the Policy's Throttler marks as a throttle).
type Challenger interface {
	// Challenge reports whether the authenticator changed what it will
	// send, so that the same request should be sent again at once. It must
	// return false when nothing changed (the same nonce twice), or the
	// request would be resent until the attempts run out.
	Challenge(resp *http.Response, body []byte) bool
}

// challengePlan asks the Authenticator about a refused answer and, when it
// learned something, plans an immediate resend; ok is false otherwise.
func (c *Client) challengePlan(resp *http.Response, body []byte, se *StatusError) (retryPlan, bool) {
	ch, isChallenger := c.auth.(Challenger)
	if !isChallenger || !ch.Challenge(resp, body) {
		return retryPlan{}, false
	}
	// No wait: the server told us what it wants, and waiting would not
	// change its mind.
	return retryPlan{err: se, retry: true, why: "authentication challenge (HTTP " + strconv.Itoa(resp.StatusCode) + ")"}, true
}
