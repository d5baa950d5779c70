package httpx

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
)

// maxRoundTripBody bounds a body read through HTTPClient: the libraries
// that take an *http.Client here (golang.org/x/oauth2) read small JSON.
const maxRoundTripBody = 1 << 20

// HTTPClient returns an *http.Client whose every round trip is one Do of
// this client, on endpoint's budget: for libraries that take a client
// (golang.org/x/oauth2's HTTPClient context key), so that retries, pacing,
// timeouts, the run deadline and the per-module stats apply to their
// requests too. A 2xx body is read whole (at most 1 MiB) before it is
// returned; any other answer is Do's error (a *StatusError, with the
// vendor's message), never a response. The client's Authenticator, if
// any, signs these requests as any other.
func (c *Client) HTTPClient(endpoint string) *http.Client {
	return &http.Client{
		Transport: roundTripper{c: c, endpoint: endpoint},
		// Do follows redirects itself, with its credential rules.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

type roundTripper struct {
	c        *Client
	endpoint string
}

// RoundTrip implements http.RoundTripper.
func (t roundTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		b, err := io.ReadAll(r.Body)
		_ = r.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("httpx: read request body: %w", err)
		}
		body = b
	}
	var out *http.Response
	err := t.c.Do(r.Context(), Request{Method: r.Method, URL: r.URL.String(), Header: r.Header, Body: body, Endpoint: t.endpoint},
		func(resp *http.Response, rb io.Reader) error {
			b, err := io.ReadAll(io.LimitReader(rb, maxRoundTripBody+1))
			if err != nil {
				return err
			}
			if len(b) > maxRoundTripBody {
				return fmt.Errorf("answer is over %d bytes", maxRoundTripBody)
			}
			out = &http.Response{
				Status: resp.Status, StatusCode: resp.StatusCode,
				Proto: resp.Proto, ProtoMajor: resp.ProtoMajor, ProtoMinor: resp.ProtoMinor,
				Header: resp.Header.Clone(), Body: io.NopCloser(bytes.NewReader(b)),
				ContentLength: int64(len(b)), Request: r,
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}
