package httpx

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// Defaults applied by New to zero Options fields; exported so that
// configuration help can quote them.
const (
	// DefaultConnectTimeout bounds the TCP connect.
	DefaultConnectTimeout = 10 * time.Second
	// DefaultTLSHandshakeTimeout bounds the TLS handshake.
	DefaultTLSHandshakeTimeout = 10 * time.Second
	// DefaultResponseHeaderTimeout leaves room for Okta's 30 s server-side query limit.
	DefaultResponseHeaderTimeout = 30 * time.Second
	// DefaultRequestTimeout bounds one attempt, body included: a 1000-record page is small.
	DefaultRequestTimeout = 2 * time.Minute
	// DefaultMaxAttempts matches what peers found enough (Elastic: 5 tries).
	DefaultMaxAttempts = 5
	// DefaultBackoffBase is the first backoff ceiling after a 5xx or network error.
	DefaultBackoffBase = time.Second
	// DefaultBackoffMax caps the backoff ceiling.
	DefaultBackoffMax = time.Minute
	// DefaultRetryFloor is the wait after a 429 with no hint; vendors override it.
	DefaultRetryFloor = 30 * time.Second
	// DefaultUserAgent is used when Options.UserAgent is empty.
	DefaultUserAgent = "wodlekit"
)

// maxRedirects bounds redirect chains so a misconfigured proxy or vendor
// cannot loop us until the run deadline.
const maxRedirects = 5

// LevelTrace is the level of the per-attempt log lines: below Debug, so
// that --debug 3 shows them and lower levels stay quiet.
const LevelTrace = slog.LevelDebug - 4

// Options configures a Client; zero fields take the documented defaults.
type Options struct {
	// BaseURL is https://host[:port][/prefix]; request paths are appended
	// to its path prefix and next-page URLs must stay on its host.
	BaseURL string
	// UserAgent names the project, version and vendor, so vendors can
	// tell our traffic apart ("wodlekit/1.2.3 (onepassword)").
	UserAgent string
	// ConnectTimeout bounds the TCP connect (default 10s).
	ConnectTimeout time.Duration
	// TLSHandshakeTimeout bounds the TLS handshake (default 10s).
	TLSHandshakeTimeout time.Duration
	// ResponseHeaderTimeout bounds the wait for response headers after the
	// request was written (default 30s).
	ResponseHeaderTimeout time.Duration
	// RequestTimeout bounds one attempt, body read by the Handler included
	// (default 2m).
	RequestTimeout time.Duration
	// ProxyURL is an explicit proxy; empty uses HTTPS_PROXY/HTTP_PROXY/NO_PROXY.
	ProxyURL string
	// CAFile holds extra PEM roots, added to (not replacing) the system pool.
	CAFile string
	// MaxAttempts bounds attempts per Do, first included (default 5).
	MaxAttempts int
	// BackoffBase and BackoffMax shape the capped exponential backoff with
	// full jitter used after 5xx, 408 and network errors (defaults 1s, 60s).
	BackoffBase, BackoffMax time.Duration
	// RetryFloor is the least wait after a 429 that carries no hint
	// (default 30s): vendors such as Duo, 1Password and TAP send none.
	RetryFloor time.Duration
	// RetryFloorMax, when above RetryFloor, makes that wait double with
	// each attempt of one Do, from RetryFloor up to RetryFloorMax (Google
	// asks for 5 s, then 10 s, and so on); zero keeps every such wait at
	// RetryFloor.
	RetryFloorMax time.Duration
	// Policy reads vendor rate-limit hints when Retry-After is absent; may be nil.
	Policy RateLimitPolicy
	// Logger receives one LevelTrace line per attempt and Debug lines on
	// retries; it never receives header values or query strings. Nil discards.
	Logger *slog.Logger
	// Sleep waits d or until ctx is done; tests replace it. Nil uses a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock used to read Retry-After dates, vendor reset
	// headers and the pacers; tests replace it. Nil uses time.Now.
	// Deadlines are always measured on the real clock, as contexts are.
	Now func() time.Time
}

// Client is the one HTTP client of a run; it is safe for concurrent use.
type Client struct {
	base   *url.URL
	hc     *http.Client
	o      Options
	log    *slog.Logger
	auth   Authenticator
	pacers *pacers
	stats  *Stats
}

// New validates o and builds the client, its transport and TLS roots.
func New(o Options) (*Client, error) {
	var errs []error
	base, err := parseBaseURL(o.BaseURL)
	if err != nil {
		errs = append(errs, err)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"ConnectTimeout", o.ConnectTimeout},
		{"TLSHandshakeTimeout", o.TLSHandshakeTimeout},
		{"ResponseHeaderTimeout", o.ResponseHeaderTimeout},
		{"RequestTimeout", o.RequestTimeout},
		{"BackoffBase", o.BackoffBase},
		{"BackoffMax", o.BackoffMax},
		{"RetryFloor", o.RetryFloor},
		{"RetryFloorMax", o.RetryFloorMax},
	} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("httpx: %s must not be negative, got %v", d.name, d.v))
		}
	}
	if o.MaxAttempts < 0 {
		errs = append(errs, fmt.Errorf("httpx: MaxAttempts must not be negative, got %d", o.MaxAttempts))
	}
	setDefault(&o.ConnectTimeout, DefaultConnectTimeout)
	setDefault(&o.TLSHandshakeTimeout, DefaultTLSHandshakeTimeout)
	setDefault(&o.ResponseHeaderTimeout, DefaultResponseHeaderTimeout)
	setDefault(&o.RequestTimeout, DefaultRequestTimeout)
	setDefault(&o.BackoffBase, DefaultBackoffBase)
	setDefault(&o.BackoffMax, DefaultBackoffMax)
	setDefault(&o.RetryFloor, DefaultRetryFloor)
	if o.MaxAttempts == 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.BackoffMax < o.BackoffBase {
		errs = append(errs, fmt.Errorf("httpx: BackoffMax (%v) is below BackoffBase (%v)", o.BackoffMax, o.BackoffBase))
	}
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}

	proxy := http.ProxyFromEnvironment
	if o.ProxyURL != "" {
		pu, err := parseProxyURL(o.ProxyURL)
		if err != nil {
			errs = append(errs, err)
		} else {
			proxy = http.ProxyURL(pu)
		}
	}
	roots, err := loadRoots(o.CAFile)
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	tr := &http.Transport{
		Proxy: proxy,
		DialContext: (&net.Dialer{
			Timeout:   o.ConnectTimeout,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		TLSClientConfig: &tls.Config{
			MinVersion: tls.VersionTLS12,
			RootCAs:    roots,
		},
		TLSHandshakeTimeout:   o.TLSHandshakeTimeout,
		ResponseHeaderTimeout: o.ResponseHeaderTimeout,
		// A custom TLS config or dialer turns HTTP/2 off unless forced.
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        32,
		MaxIdleConnsPerHost: 8,
		// Audit pages are around a megabyte: 64 KiB reads take a sixteenth
		// of the syscalls of the default 4 KiB.
		ReadBufferSize:  64 << 10,
		IdleConnTimeout: 90 * time.Second,
		// Transparent gzip: the transport asks for it and decodes it as
		// long as the request carries no Accept-Encoding of its own.
		DisableCompression: false,
	}
	c := &Client{
		base:   base,
		o:      o,
		log:    logger,
		pacers: &pacers{m: map[string]*window{}},
		stats:  &Stats{},
	}
	c.hc = &http.Client{Transport: tr, CheckRedirect: checkRedirect}
	return c, nil
}

func setDefault(d *time.Duration, def time.Duration) {
	if *d == 0 {
		*d = def
	}
}

func parseBaseURL(s string) (*url.URL, error) {
	if s == "" {
		return nil, errors.New("httpx: BaseURL is required")
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("httpx: BaseURL: %w", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("httpx: BaseURL %q: scheme must be https (or http for local tests), got %q", u.Redacted(), u.Scheme)
	case u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("httpx: BaseURL %q: no host", u.Redacted())
	case u.User != nil:
		// Credentials in a URL end up in logs and error messages.
		return nil, fmt.Errorf("httpx: BaseURL %q: must not carry user info; use the secrets file", u.Redacted())
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("httpx: BaseURL %q: must not carry a query or fragment", u.Redacted())
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = strings.TrimSuffix(u.RawPath, "/")
	return u, nil
}

func parseProxyURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		// url.Parse errors quote the input, which may hold a password.
		return nil, errors.New("httpx: ProxyURL is not a valid URL")
	}
	switch u.Scheme {
	case "http", "https", "socks5", "socks5h":
	default:
		return nil, fmt.Errorf("httpx: ProxyURL %q: scheme must be http, https or socks5", u.Redacted())
	}
	if u.Host == "" {
		return nil, fmt.Errorf("httpx: ProxyURL %q: no host", u.Redacted())
	}
	return u, nil
}

// loadRoots returns nil (the system pool) when file is empty.
func loadRoots(file string) (*x509.CertPool, error) {
	if file == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("httpx: CA file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("httpx: CA file %s: no PEM certificate found in it", file)
	}
	return pool, nil
}

// WithAuth returns a copy that authenticates every attempt with a; the
// copy shares the transport, pacers and stats of c.
func (c *Client) WithAuth(a Authenticator) *Client {
	cp := *c
	cp.auth = a
	return &cp
}

// Stats returns the client-wide counters, shared by every WithAuth copy.
func (c *Client) Stats() *Stats { return c.stats }

// BaseURL returns a copy of the configured base URL.
func (c *Client) BaseURL() *url.URL {
	u := *c.base
	return &u
}

// ResolveNext resolves a vendor-given next-page URL against the base URL
// and refuses it unless scheme, host and port are the base's: a next link
// must never carry our credentials elsewhere.
func (c *Client) ResolveNext(next string) (*url.URL, error) {
	ref, err := url.Parse(next)
	if err != nil {
		// The error would quote the whole URL, cursor and all.
		return nil, errors.New("httpx: next-page URL is not a valid URL")
	}
	u := c.base.ResolveReference(ref)
	if u.User != nil {
		return nil, fmt.Errorf("httpx: next-page URL for %s carries user info; refusing it", originOf(u))
	}
	if originOf(u) != originOf(c.base) {
		return nil, fmt.Errorf("httpx: next-page URL points at %s, not the configured %s; refusing to follow it", originOf(u), originOf(c.base))
	}
	return u, nil
}

// originOf is scheme://host:port with the default port made explicit, so
// that https://h and https://h:443 compare equal.
func originOf(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return strings.ToLower(u.Scheme) + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// resolve turns a Request.URL into the URL to send: a path is appended to
// the base path prefix; an absolute URL must be on the base's origin.
func (c *Client) resolve(s string) (*url.URL, error) {
	ref, err := url.Parse(s)
	if err != nil {
		return nil, errors.New("httpx: request URL is not a valid URL")
	}
	if ref.IsAbs() || ref.Host != "" {
		u := c.base.ResolveReference(ref)
		if u.User != nil || originOf(u) != originOf(c.base) {
			return nil, fmt.Errorf("httpx: request URL points at %s, not the configured %s; refusing to send credentials there", originOf(u), originOf(c.base))
		}
		return u, nil
	}
	joined := c.base.EscapedPath() + "/" + strings.TrimPrefix(ref.EscapedPath(), "/")
	u := *c.base
	u.RawQuery = ref.RawQuery
	u.Fragment = ""
	p, err := url.PathUnescape(joined)
	if err != nil {
		return nil, fmt.Errorf("httpx: request path: %w", err)
	}
	u.Path, u.RawPath = p, joined
	if u.EscapedPath() != joined {
		u.RawPath = ""
	}
	return &u, nil
}

// resolvePresigned checks a pre-signed URL (Request.Presigned): absolute,
// https (http only on loopback, for tests and fakes), without user info.
func (c *Client) resolvePresigned(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		// The error would quote the URL, signature and all.
		return nil, errors.New("httpx: pre-signed URL is not a valid URL")
	}
	switch {
	case !u.IsAbs() || u.Host == "":
		return nil, errors.New("httpx: pre-signed URL is not absolute")
	case u.User != nil:
		return nil, fmt.Errorf("httpx: pre-signed URL for %s carries user info; refusing it", originOf(u))
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopback(u.Hostname()):
	default:
		return nil, fmt.Errorf("httpx: pre-signed URL for %s: scheme must be https", originOf(u))
	}
	return u, nil
}

// isLoopback reports whether host names this machine (fakes in tests).
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

type authHeadersKey struct{}

// checkRedirect bounds redirect chains and strips credentials when the
// chain leaves the original origin. Go itself keeps them for the same
// host name on another port, and knows nothing of the Authenticator's
// own headers, so this cannot be left to net/http.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > maxRedirects {
		return fmt.Errorf("httpx: stopped after %d redirects (last to %s%s)", maxRedirects, originOf(req.URL), req.URL.EscapedPath())
	}
	if originOf(req.URL) == originOf(via[0].URL) {
		return nil
	}
	for _, h := range []string{"Authorization", "Proxy-Authorization", "Cookie", "Cookie2"} {
		req.Header.Del(h)
	}
	if names, ok := req.Context().Value(authHeadersKey{}).(*[]string); ok {
		for _, h := range *names {
			req.Header.Del(h)
		}
	}
	// Custom headers that probably carry a credential (X-Api-Key,
	// X-Auth-Token, X-Duo-Signature...) go too, whoever set them.
	for name := range req.Header {
		lower := strings.ToLower(name)
		for _, w := range []string{"token", "key", "secret", "auth", "signature", "session", "password"} {
			if strings.Contains(lower, w) {
				req.Header.Del(name)
				break
			}
		}
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// WithBaseURL returns a copy of c for another base URL (an OAuth token
// endpoint on its own host), without an Authenticator, sharing the
// transport, pacers and stats of c.
func (c *Client) WithBaseURL(baseURL string) (*Client, error) {
	base, err := parseBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	cp := *c
	cp.base, cp.auth = base, nil
	return &cp, nil
}
