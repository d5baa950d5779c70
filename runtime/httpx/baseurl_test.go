package httpx

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// WithBaseURL sends to another origin (a token endpoint on its own host)
// without the Authenticator, sharing the stats; HTTPClient on it refuses
// any other origin, and a refusal keeps its raw body.
func TestWithBaseURL(t *testing.T) {
	s := newScript(status(401, map[string]string{"Content-Type": "application/json"}, `{"error":"unauthorized_client","error_description":"Client is unauthorized"}`))
	srv := serve(t, s)
	c, _ := newTestClient(t, "https://api.example.invalid", nil)
	c = c.WithAuth(authFunc(func(_ context.Context, r *http.Request, _ []byte) error {
		r.Header.Set("Authorization", "Bearer api-token")
		return nil
	}))
	tc, err := c.WithBaseURL(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	hc := tc.HTTPClient("token")
	_, err = hc.PostForm(srv.URL+"/token", url.Values{"grant_type": {"x"}})
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 401 || !strings.Contains(string(se.Body), `"unauthorized_client"`) || strings.Contains(se.Error(), "unauthorized_client\"") {
		t.Fatalf("err %v: want the 401 with its raw body, which Error does not print", err)
	}
	if s.Hits() != 1 || s.Header(0).Get("Authorization") != "" {
		t.Errorf("%d hits, Authorization %q: the token endpoint must not get the API's credential", s.Hits(), s.Header(0).Get("Authorization"))
	}
	if c.Stats().Requests.Load() != 1 {
		t.Errorf("the copy's request was not counted in the shared stats")
	}
	if _, err := hc.Get("https://elsewhere.example.invalid/x"); err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Errorf("another origin: %v", err)
	}
	if _, err := c.WithBaseURL("ftp://x"); err == nil {
		t.Error("WithBaseURL accepted ftp://")
	}
}
