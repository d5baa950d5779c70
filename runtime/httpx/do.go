package httpx

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// retryPlan is what one failed attempt asks of the loop.
type retryPlan struct {
	// err is the attempt's error; final when retry is false.
	err   error
	retry bool
	// need is the least wait that must fit before the deadline (the
	// server's hint, the floor, or the backoff); wait adds jitter to it.
	need, wait time.Duration
	// asked is what the server asked for, zero when it said nothing.
	asked time.Duration
	// why names the wait in logs and ErrDeadline messages.
	why string
	// sent is set once the request went out: it counts in the budget.
	sent bool
}

// Do sends req until it succeeds, fails for good, runs out of attempts,
// or a needed wait does not fit before ctx's deadline; h reads a 2xx body.
// A throttle (429, or what the Policy's Throttler marks) waits for
// Retry-After, then the Policy, then RetryFloor (growing up to
// RetryFloorMax); 408 and 5xx honour Retry-After (503 also the Policy) or
// back off exponentially; other statuses return a *StatusError at once,
// unless the Authenticator's Challenger learned something from them.
func (c *Client) Do(ctx context.Context, req Request, h Handler) error {
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	resolve := c.resolve
	if req.Presigned {
		resolve = c.resolvePresigned
	}
	u, err := resolve(req.URL)
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	path := u.EscapedPath()
	st := statsFrom(ctx, c.stats)
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%s %s: %w", method, path, context.Cause(ctx))
		}
		if attempt > 1 {
			st.retry()
		}
		paced := func(bool) {}
		if !req.Presigned || c.hasBudget(req.Endpoint) {
			if paced, err = c.pace(ctx, req.Endpoint, method, path, st); err != nil {
				return err
			}
		}
		p := c.attempt(ctx, attempt, method, u, path, req, h, st)
		paced(p.sent)
		if p.err == nil {
			return nil
		}
		if !p.retry {
			return p.err
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s %s: %w; last error: %w", method, path, context.Cause(ctx), p.err)
		}
		if attempt >= c.o.MaxAttempts {
			return fmt.Errorf("after %d attempts: %w", attempt, p.err)
		}
		if err := c.wait(ctx, method, path, attempt, p, st); err != nil {
			return err
		}
	}
}

// hasBudget reports whether endpoint has a budget of its own: a
// pre-signed download is paced only by such a budget, never by the
// vendor's default one (the object store is not the vendor's API).
func (c *Client) hasBudget(endpoint string) bool {
	if endpoint == "" {
		return false
	}
	c.pacers.mu.Lock()
	defer c.pacers.mu.Unlock()
	_, ok := c.pacers.m[endpoint]
	return ok
}

// wait sleeps before the next attempt, refusing waits that cannot end
// before the deadline: sleeping into a run that must stop helps nobody.
func (c *Client) wait(ctx context.Context, method, path string, attempt int, p retryPlan, st statsSet) error {
	wait := p.wait
	if dl, ok := ctx.Deadline(); ok {
		remaining := time.Until(dl)
		if p.need >= remaining {
			return fmtDeadline(method, path, p.why, p.asked, p.need, remaining, p.err)
		}
		if wait >= remaining {
			wait = p.need // the jitter is the part we can give up
		}
	}
	c.log.LogAttrs(ctx, slog.LevelDebug, "httpx: retrying",
		slog.String("method", method), slog.String("path", path),
		slog.Int("attempt", attempt), slog.String("reason", p.why),
		slog.Duration("wait", wait), slog.String("error", p.err.Error()))
	start := time.Now()
	if err := c.o.Sleep(ctx, wait); err != nil {
		st.waited(min(time.Since(start), wait))
		return fmt.Errorf("%s %s: waiting %v (%s) before attempt %d: %w; last error: %w",
			method, path, wait.Round(time.Millisecond), p.why, attempt+1, err, p.err)
	}
	st.waited(wait)
	return nil
}

// attempt sends the request once and says whether and how to retry.
func (c *Client) attempt(ctx context.Context, n int, method string, u *url.URL, path string, req Request, h Handler, st statsSet) (plan retryPlan) {
	actx, cancel := context.WithTimeout(ctx, c.o.RequestTimeout)
	defer cancel()
	authHeaders := new([]string)
	actx = context.WithValue(actx, authHeadersKey{}, authHeaders)

	var body io.Reader
	if req.Body != nil {
		body = bytes.NewReader(req.Body)
	}
	hreq, err := http.NewRequestWithContext(actx, method, u.String(), body)
	if err != nil {
		return retryPlan{err: fmt.Errorf("%s %s: build request: %w", method, path, err)}
	}
	hreq.Header = req.Header.Clone()
	if hreq.Header == nil {
		hreq.Header = make(http.Header)
	}
	// Our own Accept-Encoding would turn off the transport's transparent
	// gzip and hand compressed bytes to the Handler.
	hreq.Header.Del("Accept-Encoding")
	if hreq.Header.Get("User-Agent") == "" {
		hreq.Header.Set("User-Agent", c.o.UserAgent)
	}
	if req.Body != nil && hreq.Header.Get("Content-Type") == "" {
		hreq.Header.Set("Content-Type", "application/json")
	}
	if c.auth != nil && !req.Presigned {
		before := hreq.Header.Clone()
		if err := c.auth.Authenticate(actx, hreq, req.Body); err != nil {
			err = fmt.Errorf("%s %s: authenticate: %w", method, path, err)
			if IsRetryable(err) {
				return c.backoffPlan(n, err, 0)
			}
			return retryPlan{err: err}
		}
		// Remember what the Authenticator set, so a redirect to another
		// host drops exactly those headers too.
		for k, v := range hreq.Header {
			if !slices.Equal(before[k], v) {
				*authHeaders = append(*authHeaders, k)
			}
		}
	}

	st.request()
	defer func() { plan.sent = true }()
	start := time.Now()
	resp, err := c.hc.Do(hreq)
	if err != nil {
		err = stripURLError(method, path, err)
		c.trace(ctx, method, path, n, 0, time.Since(start), err)
		if ctx.Err() == nil && IsRetryable(err) {
			return c.backoffPlan(n, err, 0)
		}
		return retryPlan{err: err}
	}

	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		var herr error
		if h != nil {
			herr = h(resp, resp.Body)
		}
		// Drain a little so that the connection can be reused.
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
		_ = resp.Body.Close()
		c.trace(ctx, method, path, n, resp.StatusCode, time.Since(start), herr)
		if herr == nil {
			return retryPlan{}
		}
		herr = fmt.Errorf("%s %s: reading response: %w", method, path, herr)
		if ctx.Err() == nil && IsRetryable(herr) {
			return c.backoffPlan(n, herr, 0)
		}
		return retryPlan{err: herr}
	}

	raw, rerr := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_ = resp.Body.Close()
	c.trace(ctx, method, path, n, resp.StatusCode, time.Since(start), nil)
	se := &StatusError{
		Code:    resp.StatusCode,
		Method:  method,
		Path:    path,
		Message: vendorMessage(resp.Header.Get("Content-Type"), raw),
		Body:    raw,
	}
	if rerr != nil && se.Message == "" {
		se.Message = "error body unreadable: " + sanitize(rerr.Error())
	}
	se.Throttled = c.throttled(resp, raw)
	if !se.Throttled && !retryableStatus(resp.StatusCode) {
		if p, ok := c.challengePlan(resp, raw, se); ok {
			return p
		}
		return retryPlan{err: se}
	}

	hint, hinted := retryAfter(resp.Header, c.o.Now())
	if !hinted && c.o.Policy != nil && (se.Throttled || resp.StatusCode == http.StatusServiceUnavailable) {
		hint, hinted = c.o.Policy.RetryDelay(resp, raw, c.o.Now())
		hint = max(hint, 0)
	}
	if hinted {
		se.RetryAfter = hint
	}

	if se.Throttled {
		st.rateLimited()
		code := strconv.Itoa(resp.StatusCode)
		p := retryPlan{err: se, retry: true, why: "rate limited (HTTP " + code + ")"}
		switch {
		case hinted:
			// A zero or past hint (clock skew, Retry-After: 0) must
			// still not turn into a tight loop.
			p.asked = hint
			p.need = max(hint, c.o.BackoffBase)
		default:
			p.why = "rate limited (HTTP " + code + ", no hint; floor)"
			p.need = c.floor(n)
		}
		p.wait = p.need + smallJitter(p.need)
		return p
	}
	if hinted {
		p := retryPlan{err: se, retry: true, asked: hint, why: fmt.Sprintf("HTTP %d with a retry hint", resp.StatusCode)}
		p.need = max(hint, c.o.BackoffBase/10)
		p.wait = p.need + smallJitter(p.need)
		return p
	}
	return c.backoffPlan(n, se, resp.StatusCode)
}

// throttled reports whether an error answer is a throttle: every 429,
// and what the Policy's Throttler marks.
func (c *Client) throttled(resp *http.Response, body []byte) bool {
	if resp.StatusCode == http.StatusTooManyRequests {
		return true
	}
	t, ok := c.o.Policy.(Throttler)
	return ok && t.Throttled(resp, body)
}

// floor is the wait after the n-th attempt's hintless throttle: RetryFloor,
// doubled per attempt up to RetryFloorMax when that is set above it.
func (c *Client) floor(n int) time.Duration {
	d := c.o.RetryFloor
	for i := 1; i < n && d < c.o.RetryFloorMax; i++ {
		d *= 2
	}
	return max(min(d, c.o.RetryFloorMax), c.o.RetryFloor)
}

// backoffPlan is capped exponential backoff with full jitter: clients that
// failed together should not come back together.
func (c *Client) backoffPlan(n int, err error, code int) retryPlan {
	why := "network error"
	if code != 0 {
		why = "HTTP " + strconv.Itoa(code)
	}
	d := fullJitter(c.o.BackoffBase, c.o.BackoffMax, n)
	return retryPlan{err: err, retry: true, need: d, wait: d, why: why + ", backing off"}
}

// fullJitter draws from [base/10, min(max, base*2^(n-1))]; the small
// floor keeps an unlucky draw from re-sending immediately.
func fullJitter(base, maxD time.Duration, n int) time.Duration {
	ceil := base
	for i := 1; i < n && ceil < maxD; i++ {
		ceil *= 2
	}
	ceil = min(ceil, maxD)
	if ceil <= 0 {
		return 0
	}
	return max(rand.N(ceil+1), base/10)
}

// smallJitter spreads clients that were told the same instant by up to a
// tenth of the wait, at most five seconds.
func smallJitter(d time.Duration) time.Duration {
	j := min(d/10, 5*time.Second)
	if j <= 0 {
		return 0
	}
	return rand.N(j + 1)
}

// retryAfter reads Retry-After as delta-seconds or an HTTP date; a date in
// the past means "now".
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		// Cap absurd values before they overflow a Duration.
		return time.Duration(min(secs, int64(7*24*time.Hour/time.Second))) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// trace logs one attempt: never a header value, never the query string.
func (c *Client) trace(ctx context.Context, method, path string, n, status int, d time.Duration, err error) {
	if !c.log.Enabled(ctx, LevelTrace) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", method), slog.String("path", path),
		slog.Int("attempt", n), slog.Int("status", status), slog.Duration("duration", d),
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	c.log.LogAttrs(ctx, LevelTrace, "httpx: attempt", attrs...)
}
