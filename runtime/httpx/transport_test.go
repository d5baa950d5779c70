package httpx

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRedirectCredentials(t *testing.T) {
	type seen struct{ auth, token, date, cookie, accept string }
	record := func(dst *seen) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			*dst = seen{r.Header.Get("Authorization"), r.Header.Get("X-Api-Token"), r.Header.Get("X-Duo-Date"), r.Header.Get("Cookie"), r.Header.Get("Accept")}
			_, _ = io.WriteString(w, `{}`)
		}
	}
	var other, same seen
	otherSrv := serve(t, record(&other)) // another port on 127.0.0.1: another origin
	mux := http.NewServeMux()
	mux.HandleFunc("/cross", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, otherSrv.URL+"/landing", http.StatusFound)
	})
	mux.HandleFunc("/cross-post", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, otherSrv.URL+"/landing", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/same", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/landing", http.StatusFound)
	})
	mux.HandleFunc("/landing", record(&same))
	hops := 0
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		hops++
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	srv := serve(t, mux)
	c, _ := newTestClient(t, srv.URL, nil)
	c = c.WithAuth(authFunc(func(_ context.Context, r *http.Request, _ []byte) error {
		r.Header.Set("Authorization", "Bearer s3cr3t")
		r.Header.Set("X-Duo-Date", "Tue, 21 Aug 2012 17:29:18 -0000")
		return nil
	}))
	hdr := http.Header{"X-Api-Token": {"tok"}, "Cookie": {"sid=1"}, "Accept": {"application/json"}}

	for _, path := range []string{"/cross", "/cross-post"} {
		other = seen{}
		if err := c.Do(context.Background(), Request{Method: "POST", URL: path, Header: hdr, Body: []byte(`{}`)}, nil); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if other.auth != "" || other.token != "" || other.date != "" || other.cookie != "" {
			t.Errorf("%s: credentials reached another origin: %+v", path, other)
		}
		if other.accept != "application/json" {
			t.Errorf("%s: ordinary header lost: %+v", path, other)
		}
	}
	if err := c.Do(context.Background(), Request{URL: "/same", Header: hdr}, nil); err != nil {
		t.Fatal(err)
	}
	if same.auth != "Bearer s3cr3t" || same.token != "tok" || same.date == "" {
		t.Errorf("same-origin redirect lost credentials: %+v", same)
	}
	err := c.Do(context.Background(), Request{URL: "/loop"}, nil)
	if err == nil || !strings.Contains(err.Error(), "stopped after 5 redirects") || hops != 6 {
		t.Errorf("loop: err=%v hops=%d", err, hops)
	}
}

func TestResolveNext(t *testing.T) {
	c, _ := newTestClient(t, "https://example.okta.com/prefix", nil)
	tests := []struct {
		next, want, err string
	}{
		{"https://example.okta.com/api/v1/logs?after=abc", "https://example.okta.com/api/v1/logs?after=abc", ""},
		{"https://EXAMPLE.okta.com:443/api/v1/logs", "https://EXAMPLE.okta.com:443/api/v1/logs", ""},
		{"/api/v1/logs?after=x", "https://example.okta.com/api/v1/logs?after=x", ""},
		{"https://evil.example.net/api/v1/logs?after=abc", "", "points at https://evil.example.net:443, not the configured https://example.okta.com:443"},
		{"http://example.okta.com/api/v1/logs", "", "points at http://example.okta.com:80, not the configured https://example.okta.com:443"},
		{"https://example.okta.com:8443/api", "", "points at https://example.okta.com:8443, not"},
		{"//evil.example.net/x", "", "points at https://evil.example.net:443"},
		{"https://user:pw@example.okta.com/x", "", "carries user info"},
		{"https://example.okta.com/%zz", "", "not a valid URL"},
	}
	for _, tt := range tests {
		u, err := c.ResolveNext(tt.next)
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("ResolveNext(%q): %v", tt.next, err)
		case tt.err == "" && u.String() != tt.want:
			t.Errorf("ResolveNext(%q) = %s, want %s", tt.next, u, tt.want)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("ResolveNext(%q) err = %v, want %q", tt.next, err, tt.err)
		case err != nil && strings.Contains(err.Error(), "abc"):
			t.Errorf("ResolveNext(%q) leaked the query: %v", tt.next, err)
		}
	}
}

func TestRequestURLResolution(t *testing.T) {
	s := newScript(ok(`{}`))
	srv := serve(t, s)
	c, _ := newTestClient(t, srv.URL+"/prefix/", nil)
	for _, tc := range []struct{ in, want string }{
		{"/api/v1/logs?since=2026-01-01T00%3A00%3A00Z&limit=10", "/prefix/api/v1/logs?since=2026-01-01T00%3A00%3A00Z&limit=10"},
		{"events", "/prefix/events"},
		{srv.URL + "/prefix/abs?x=1", "/prefix/abs?x=1"},
		{"/a%2Fb", "/prefix/a%2Fb"},
	} {
		if err := c.Do(context.Background(), Request{URL: tc.in}, nil); err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if got := s.urls[len(s.urls)-1]; got != tc.want {
			t.Errorf("%s: server saw %s, want %s", tc.in, got, tc.want)
		}
	}
	err := c.Do(context.Background(), Request{URL: "http://other.invalid/x"}, nil)
	if err == nil || !strings.Contains(err.Error(), "refusing to send credentials there") {
		t.Errorf("absolute URL to another host: %v", err)
	}
	if got := c.BaseURL().String(); got != srv.URL+"/prefix" {
		t.Errorf("BaseURL = %s", got)
	}
}

func writeCA(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "ca.pem")
	b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(f, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestCAFile(t *testing.T) {
	srv := httptest.NewUnstartedServer(ok(`{"tls":true}`))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := writeCA(t, srv)

	c, _ := newTestClient(t, srv.URL, func(o *Options) { o.CAFile = ca })
	var got string
	if err := c.Do(context.Background(), Request{URL: "/"}, readAll(&got)); err != nil || got != `{"tls":true}` {
		t.Fatalf("with CAFile: %v %q", err, got)
	}

	c2, fc := newTestClient(t, srv.URL, nil)
	err := c2.Do(context.Background(), Request{URL: "/"}, nil)
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("without CAFile: err = %v, want a verification error", err)
	}
	if IsRetryable(err) || c2.Stats().Requests.Load() != 1 || len(fc.Sleeps()) != 0 {
		t.Errorf("verification failure retried: retryable=%v requests=%d", IsRetryable(err), c2.Stats().Requests.Load())
	}
}

func TestCAFileErrors(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.pem")
	if err := os.WriteFile(junk, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ file, want string }{
		{filepath.Join(dir, "missing.pem"), "missing.pem"},
		{junk, junk + ": no PEM certificate found"},
	} {
		_, err := New(Options{BaseURL: "https://example.com", CAFile: tc.file})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CAFile %s: err = %v, want %q", tc.file, err, tc.want)
		}
	}
}

func TestTLSMinVersion(t *testing.T) {
	srv := httptest.NewUnstartedServer(ok(`{}`))
	srv.TLS = &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	c, fc := newTestClient(t, srv.URL, func(o *Options) { o.CAFile = writeCA(t, srv) })
	err := c.Do(context.Background(), Request{URL: "/"}, nil)
	if err == nil || !strings.Contains(err.Error(), "protocol version") {
		t.Fatalf("TLS 1.1 server: err = %v, want a protocol version failure", err)
	}
	if IsRetryable(err) || len(fc.Sleeps()) != 0 {
		t.Errorf("TLS version failure retried: %v", fc.Sleeps())
	}
	tc := c.hc.Transport.(*http.Transport).TLSClientConfig
	if tc.MinVersion != tls.VersionTLS12 || tc.InsecureSkipVerify {
		t.Errorf("TLS config: min=%x insecure=%v", tc.MinVersion, tc.InsecureSkipVerify)
	}
}

func TestPacingFakeClock(t *testing.T) {
	s := newScript(ok(`[]`))
	srv := serve(t, s)
	c, fc := newTestClient(t, srv.URL, nil)
	c.Pace("", Limit{N: 2, Window: time.Second})
	c.Pace("signin", Limit{N: 3, Window: time.Minute})
	var st Stats
	ctx := WithStats(context.Background(), &st)
	// Two go at once, the third waits for the first to leave the window.
	for range 3 {
		if err := c.Do(ctx, Request{URL: "/audit"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	// The endpoint budget allows its three without touching the default one.
	for range 3 {
		if err := c.Do(ctx, Request{URL: "/signin", Endpoint: "signin"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	want := []time.Duration{time.Second}
	if got := fc.Sleeps(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("pacing sleeps = %v, want %v", got, want)
	}
	if st.WaitNanos.Load() != int64(time.Second) || st.Retries.Load() != 0 {
		t.Errorf("stats: wait=%v retries=%d", time.Duration(st.WaitNanos.Load()), st.Retries.Load())
	}
	// Endpoints with no budget of their own share the default one: two
	// more in the same second than the window allows.
	for range 2 {
		if err := c.Do(ctx, Request{URL: "/other", Endpoint: "other"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(fc.Sleeps()); n != 2 {
		t.Errorf("unpaced endpoint did not use the default budget: %v", fc.Sleeps())
	}
	// No limits removes a budget.
	c.Pace("")
	for range 5 {
		if err := c.Do(ctx, Request{URL: "/audit"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(fc.Sleeps()); n != 2 {
		t.Errorf("removed budget still paces: %v", fc.Sleeps())
	}
}

func TestPacingRealClock(t *testing.T) {
	s := newScript(ok(`[]`))
	srv := serve(t, s)
	c, err := New(Options{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	c.Pace("", Limit{N: 2, Window: 100 * time.Millisecond})
	start := time.Now()
	for range 3 {
		if err := c.Do(context.Background(), Request{URL: "/"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	// Lower bound only: the third waits for the first to leave the window.
	if el := time.Since(start); el < 100*time.Millisecond {
		t.Errorf("3 requests at 2 per 100ms took %v, want >= 100ms", el)
	}
}

func TestHeadersSent(t *testing.T) {
	s := newScript(ok(`{}`))
	srv := serve(t, s)
	c, _ := newTestClient(t, srv.URL, nil)
	hdr := http.Header{"X-Custom": {"v"}}
	if err := c.Do(context.Background(), Request{Method: "POST", URL: "/p", Header: hdr, Body: []byte(`{"a":1}`)}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(context.Background(), Request{Method: "POST", URL: "/p", Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, Body: []byte("a=1")}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(context.Background(), Request{URL: "/g"}, nil); err != nil {
		t.Fatal(err)
	}
	h0, h1, h2 := s.Header(0), s.Header(1), s.Header(2)
	if h0.Get("User-Agent") != "wodlekit/test (unit)" || h0.Get("Content-Type") != "application/json" || h0.Get("X-Custom") != "v" {
		t.Errorf("POST json headers: %v", h0)
	}
	if h1.Get("Content-Type") != "application/x-www-form-urlencoded" || s.bodies[1] != "a=1" {
		t.Errorf("caller Content-Type overridden: %v", h1)
	}
	if h2.Get("Content-Type") != "" || h2.Get("User-Agent") != "wodlekit/test (unit)" {
		t.Errorf("GET headers: %v", h2)
	}
	if len(hdr) != 1 {
		t.Errorf("caller's header map modified: %v", hdr)
	}
}

func TestGzipDecoded(t *testing.T) {
	payload := `{"items":[` + strings.Repeat(`{"uuid":"x"},`, 200) + `{"uuid":"y"}]}`
	gz := func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			http.Error(w, "gzip not offered", 400)
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Type", "application/json")
		zw := gzip.NewWriter(w)
		_, _ = io.WriteString(zw, payload)
		_ = zw.Close()
	}
	srv := serve(t, http.HandlerFunc(gz))
	c, _ := newTestClient(t, srv.URL, nil)
	for _, hdr := range []http.Header{nil, {"Accept-Encoding": {"identity"}}} {
		var got string
		var uncompressed bool
		h := func(resp *http.Response, body io.Reader) error {
			uncompressed = resp.Uncompressed
			b, err := io.ReadAll(body)
			got = string(b)
			return err
		}
		if err := c.Do(context.Background(), Request{URL: "/", Header: hdr}, h); err != nil {
			t.Fatal(err)
		}
		if got != payload || !uncompressed {
			t.Errorf("header %v: body not transparently decoded (uncompressed=%v, %d bytes)", hdr, uncompressed, len(got))
		}
	}
}

func TestExplicitProxy(t *testing.T) {
	var target string
	proxy := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target = r.URL.String() // absolute-form: the proxy sees where we go
		_, _ = io.WriteString(w, `{"via":"proxy"}`)
	}))
	c, _ := newTestClient(t, "http://api.vendor.invalid/base", func(o *Options) { o.ProxyURL = proxy.URL })
	var got string
	if err := c.Do(context.Background(), Request{URL: "/events"}, readAll(&got)); err != nil {
		t.Fatal(err)
	}
	if target != "http://api.vendor.invalid/base/events" || got != `{"via":"proxy"}` {
		t.Errorf("proxy saw %q, body %q", target, got)
	}
}

func TestNewValidation(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		want []string
	}{
		{"empty", Options{}, []string{"BaseURL is required"}},
		{"scheme", Options{BaseURL: "ftp://x"}, []string{`scheme must be https`}},
		{"no host", Options{BaseURL: "https://"}, []string{"no host"}},
		{"user info", Options{BaseURL: "https://u:pw@x.example"}, []string{"must not carry user info"}},
		{"query", Options{BaseURL: "https://x.example/?a=1"}, []string{"must not carry a query"}},
		{"all at once", Options{BaseURL: "https://x.example", MaxAttempts: -1, RequestTimeout: -time.Second, ProxyURL: "ftp://u:hunter2@proxy"},
			[]string{"MaxAttempts must not be negative", "RequestTimeout must not be negative", "ProxyURL"}},
		{"backoff order", Options{BaseURL: "https://x.example", BackoffBase: time.Minute, BackoffMax: time.Second}, []string{"BackoffMax (1s) is below BackoffBase (1m0s)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.o)
			if err == nil {
				t.Fatal("New accepted bad options")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %q, missing %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), ":pw@") {
				t.Errorf("password in error: %v", err)
			}
		})
	}
	c, err := New(Options{BaseURL: "https://events.1password.com"})
	if err != nil {
		t.Fatal(err)
	}
	if c.o.MaxAttempts != 5 || c.o.RetryFloor != 30*time.Second || c.o.BackoffBase != time.Second || c.o.BackoffMax != time.Minute {
		t.Errorf("defaults: %+v", c.o)
	}
}

func TestNoSecretsInLogsOrErrors(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: LevelTrace}))
	s := newScript(status(500, nil, ""), status(401, nil, `{"message":"bad token"}`))
	srv := serve(t, s)
	c, _ := newTestClient(t, srv.URL, func(o *Options) { o.Logger = logger })
	c = c.WithAuth(authFunc(func(_ context.Context, r *http.Request, _ []byte) error {
		r.Header.Set("Authorization", "Bearer TOPSECRET-1")
		return nil
	}))
	err := c.Do(context.Background(), Request{URL: "/api/v1/logs?after=TOPSECRET-2&token=TOPSECRET-3", Header: http.Header{"Cookie": {"TOPSECRET-4"}}}, nil)
	if err == nil {
		t.Fatal("want an error")
	}
	all := logs.String() + err.Error()
	if strings.Contains(all, "TOPSECRET") {
		t.Errorf("secret leaked:\n%s", all)
	}
	for _, w := range []string{`"level":"DEBUG-4"`, `"path":"/api/v1/logs"`, `"status":500`, `"status":401`, `"msg":"httpx: retrying"`} {
		if !strings.Contains(logs.String(), w) {
			t.Errorf("logs miss %s:\n%s", w, logs.String())
		}
	}
}

func TestNetworkErrorsLeakNoQuery(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close() // nothing listens: connection refused
	c, fc := newTestClient(t, "http://"+addr, func(o *Options) { o.MaxAttempts = 2 })
	err = c.Do(context.Background(), Request{URL: "/x?cursor=TOPSECRET"}, nil)
	if err == nil || strings.Contains(err.Error(), "TOPSECRET") || !strings.Contains(err.Error(), "GET /x: ") {
		t.Fatalf("err = %v", err)
	}
	if !IsRetryable(err) || !errors.Is(err, syscall.ECONNREFUSED) || len(fc.Sleeps()) != 1 {
		t.Errorf("refused connection: retryable=%v sleeps=%v", IsRetryable(err), fc.Sleeps())
	}
}

func TestVendorMessage(t *testing.T) {
	long := strings.Repeat("é", 400)
	tests := []struct {
		name, ctype, body, want string
	}{
		{"1password", "application/json", `{"Error":{"Message":"Invalid bearer token"}}`, "Invalid bearer token"},
		{"okta", "application/json", `{"errorCode":"E0000047","errorSummary":"API call exceeded rate limit due to too many requests."}`, "E0000047: API call exceeded rate limit due to too many requests."},
		{"duo", "application/json", `{"code": 42901, "message": "Too Many Requests", "stat": "FAIL"}`, "42901: Too Many Requests"},
		{"oauth", "application/json", `{"error":"invalid_grant","error_description":"expired"}`, "invalid_grant: expired"},
		{"mimecast", "application/json", `{"fail":[{"code":"InvalidClientIdentifier","message":"Client credentials are invalid"}]}`, "InvalidClientIdentifier: Client credentials are invalid"},
		{"mimecast nested", "application/json", `{"meta":{"status":403},"data":[],"fail":[{"errors":[{"code":"err_xdk_forbidden","message":"Forbidden","retryable":false}]}]}`, "err_xdk_forbidden: Forbidden"},
		{"mimecast empty fail", "application/json", `{"fail":[],"message":"other"}`, "other"},
		{"object store", "application/xml", `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message><RequestId>1</RequestId></Error>`, "AccessDenied: Request has expired"},
		{"other xml", "application/xml", `<Fault><x>1</x></Fault>`, "<Fault><x>1</x></Fault>"},
		{"plain error string", "application/json", `{"error":"nope"}`, "nope"},
		{"rfc7807", "application/problem+json", `{"title":"Bad Request","detail":"limit too big"}`, "Bad Request: limit too big"},
		{"unknown json", "application/json", `{"x":1}`, `{"x":1}`},
		{"html", "text/html", `<html><head><title> Service   Unavailable </title></head></html>`, "HTML error page: Service Unavailable"},
		{"html no title", "", `<!doctype html><p>oops</p>`, "HTML error page"},
		{"control chars", "text/plain", "line1\r\nline2\x1b[31m\u2028end", "line1 line2[31m end"},
		{"invalid utf8", "text/plain", "a\xffb", "a\uFFFDb"},
		{"truncated", "text/plain", long, strings.Repeat("é", 148) + "…"},
		{"empty", "", "  ", ""},
	}
	for _, tt := range tests {
		got := vendorMessage(tt.ctype, []byte(tt.body))
		if got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
		if len(got) > maxMessage {
			t.Errorf("%s: %d bytes, over %d", tt.name, len(got), maxMessage)
		}
	}
}

func TestIsRetryable(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{io.ErrUnexpectedEOF, true},
		{fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, true},
		{&net.OpError{Op: "remote error", Err: errors.New("tls: protocol version not supported")}, false},
		{&net.DNSError{Err: "no such host", Name: "x", IsNotFound: true}, false},
		{&net.DNSError{Err: "timeout", Name: "x", IsTimeout: true}, true},
		{context.DeadlineExceeded, true},
		{context.Canceled, false},
		{fmt.Errorf("x: %w", ErrDeadline), false},
		{&StatusError{Code: 503}, true},
		{&StatusError{Code: 429}, true},
		{&StatusError{Code: 404}, false},
		{&transportError{method: "GET", path: "/", err: io.EOF}, true},
		{&url.Error{Op: "Get", URL: "/", Err: io.EOF}, true},
		{errors.New("decode: invalid character"), false},
		{io.EOF, false},
	}
	for _, tt := range tests {
		if got := IsRetryable(tt.err); got != tt.want {
			t.Errorf("IsRetryable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func BenchmarkDo(b *testing.B) {
	page := []byte(`{"items":[` + strings.Repeat(`{"uuid":"56YE2TYN2VFYRLNSHKPW5NVT5E","timestamp":"2026-03-01T12:00:00Z"},`, 50) + `{}],"cursor":"abc","has_more":false}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(page)
	}))
	defer srv.Close()
	c, err := New(Options{BaseURL: srv.URL})
	if err != nil {
		b.Fatal(err)
	}
	c = c.WithAuth(authFunc(func(_ context.Context, r *http.Request, _ []byte) error {
		r.Header.Set("Authorization", "Bearer x")
		return nil
	}))
	h := func(_ *http.Response, body io.Reader) error {
		_, err := io.Copy(io.Discard, body)
		return err
	}
	req := Request{Method: "POST", URL: "/api/v2/auditevents", Body: []byte(`{"limit":50}`)}
	b.ReportAllocs()
	b.SetBytes(int64(len(page)))
	for b.Loop() {
		if err := c.Do(context.Background(), req, h); err != nil {
			b.Fatal(err)
		}
	}
}
