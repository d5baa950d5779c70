package httpx

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// A pre-signed download goes to the object store's origin without the
// vendor's credential, and outside the vendor's default budget.
func TestPresignedRequest(t *testing.T) {
	api := newScript(ok(`{}`))
	store := newScript(ok(`file`))
	apiSrv, storeSrv := serve(t, api), serve(t, store)
	c, fc := newTestClient(t, apiSrv.URL, nil)
	c = c.WithAuth(authFunc(func(_ context.Context, r *http.Request, _ []byte) error {
		r.Header.Set("Authorization", "Bearer vendor-token")
		return nil
	}))
	c.Pace("", Limit{N: 1, Window: time.Hour})
	for range 3 {
		var got string
		err := c.Do(context.Background(), Request{URL: storeSrv.URL + "/bucket/f.json.gz?X-Amz-Signature=abc", Presigned: true}, readAll(&got))
		if err != nil || got != "file" {
			t.Fatalf("presigned Do: %q, %v", got, err)
		}
	}
	if len(fc.Sleeps()) != 0 {
		t.Errorf("pre-signed downloads waited for the vendor's budget: %v", fc.Sleeps())
	}
	for i := range 3 {
		if a := store.Header(i).Get("Authorization"); a != "" {
			t.Errorf("download %d carried Authorization %q", i+1, a)
		}
	}
	// A budget of the downloads' own endpoint does pace them.
	c.Pace("files", Limit{N: 1, Window: time.Hour})
	for range 2 {
		if err := c.Do(context.Background(), Request{URL: storeSrv.URL + "/bucket/g.json.gz?X-Amz-Signature=abc", Presigned: true, Endpoint: "files"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if s := fc.Sleeps(); len(s) != 1 || s[0] != time.Hour {
		t.Errorf("downloads on their own budget waited %v, want one hour", s)
	}
	// The same URL without Presigned is another origin: refused.
	err := c.Do(context.Background(), Request{URL: storeSrv.URL + "/bucket/f.json.gz"}, nil)
	if err == nil || !strings.Contains(err.Error(), "refusing to send credentials") {
		t.Fatalf("plain request to another origin: %v", err)
	}
	// The vendor's own requests still carry the credential.
	if err := c.Do(context.Background(), Request{URL: "/api"}, nil); err != nil {
		t.Fatal(err)
	}
	if api.Header(0).Get("Authorization") != "Bearer vendor-token" {
		t.Error("API request lost its credential")
	}
}

func TestPresignedURLChecks(t *testing.T) {
	c, _ := newTestClient(t, "https://api.example.com", nil)
	for _, tc := range []struct{ url, want string }{
		{"/relative/path?sig=1", "not absolute"},
		{"http://bucket.example.com/f?sig=1", "scheme must be https"},
		{"ftp://bucket.example.com/f", "scheme must be https"},
		{"https://user:pw@bucket.example.com/f", "user info"},
		{"https://bucket example.com/%zz", "not a valid URL"},
	} {
		err := c.Do(context.Background(), Request{URL: tc.url, Presigned: true}, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.url, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "pw") {
			t.Errorf("%s: error quotes the password: %v", tc.url, err)
		}
	}
}

// HTTPClient hands a library (x/oauth2) a client whose round trips are Do:
// retried, counted in the module's stats, and a refusal is Do's StatusError.
func TestHTTPClientGoesThroughDo(t *testing.T) {
	s := newScript(status(503, nil, ""), ok(`{"access_token":"t"}`), status(401, map[string]string{"Content-Type": "application/json"}, `{"fail":[{"code":"InvalidClientIdentifier","message":"Client credentials are invalid"}]}`))
	srv := serve(t, s)
	c, _ := newTestClient(t, srv.URL, nil)
	var mod Stats
	ctx := WithStats(context.Background(), &mod)
	hc := c.HTTPClient("token")
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/oauth/token", strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(b) != `{"access_token":"t"}` {
		t.Fatalf("answer %d %q", resp.StatusCode, b)
	}
	if mod.Requests.Load() != 2 || mod.Retries.Load() != 1 {
		t.Errorf("stats: %d requests, %d retries; want 2 and 1", mod.Requests.Load(), mod.Retries.Load())
	}
	if ct := s.Header(1).Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type %q was not kept", ct)
	}
	req, _ = http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/oauth/token", strings.NewReader("x"))
	_, err = hc.Do(req)
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 401 || !strings.Contains(se.Message, "Client credentials are invalid") {
		t.Fatalf("refusal: %v", err)
	}
}

func TestRateLimitHeaders(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	p := RateLimitHeaders{}
	for _, tc := range []struct {
		name, reset string
		want        time.Duration
		ok          bool
	}{
		{"milliseconds to wait (Mimecast's documentation)", "1500", 1500 * time.Millisecond, true},
		{"epoch milliseconds", "1772366430000", 30 * time.Second, true},
		{"epoch seconds", "1772366460", time.Minute, true},
		{"a moment past", "1772366000000", 0, true},
		{"fractional milliseconds", "250.5", 250*time.Millisecond + 500*time.Microsecond, true},
		{"absurd wait capped", "999999999", maxReset, true},
		{"empty", "", 0, false},
		{"negative", "-5", 0, false},
		{"text", "soon", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{"X-Ratelimit-Limit": {"50"}, "X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {tc.reset}}
			d, ok := p.RetryDelay(&http.Response{Header: h}, nil, now)
			if d != tc.want || ok != tc.ok {
				t.Fatalf("RetryDelay = %v, %v; want %v, %v", d, ok, tc.want, tc.ok)
			}
			rl, ok := p.Read(h, now)
			if !ok || rl.Limit != 50 || rl.Remaining != 0 || rl.Reset != tc.want {
				t.Fatalf("Read = %+v, %v", rl, ok)
			}
			if rl.Pause(0) != tc.want {
				t.Errorf("Pause(0) = %v, want the reset %v", rl.Pause(0), tc.want)
			}
		})
	}
	secs := RateLimitHeaders{Prefix: "X-Rate-Limit-", Unit: time.Second}
	h := http.Header{"X-Rate-Limit-Limit": {"10"}, "X-Rate-Limit-Remaining": {"7"}, "X-Rate-Limit-Reset": {"3"}}
	rl, ok := secs.Read(h, now)
	if !ok || rl.Reset != 3*time.Second || rl.Pause(1) != 0 || rl.Pause(7) != 3*time.Second {
		t.Fatalf("seconds unit: %+v %v", rl, ok)
	}
	if _, ok := p.Read(http.Header{"X-Ratelimit-Limit": {"x"}}, now); ok {
		t.Error("unreadable limit accepted")
	}
}
