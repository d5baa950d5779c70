package duo

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wodlekit/wodlekit/runtime/httpx"
	"github.com/wodlekit/wodlekit/runtime/secret"
)

// duoVectors mirrors testdata/duo_vectors.json: Duo's published signing
// vectors (see the file's _source).
type duoVectors struct {
	Signatures []struct {
		Name                  string              `json:"name"`
		IKey                  string              `json:"ikey"`
		SKey                  string              `json:"skey"`
		Method                string              `json:"method"`
		Host                  string              `json:"host"`
		Path                  string              `json:"path"`
		Date                  string              `json:"date"`
		Params                map[string][]string `json:"params"`
		Body                  string              `json:"body"`
		Version               int                 `json:"version"`
		Canonical             string              `json:"canonical"`
		SHA512                string              `json:"hmac_sha512_hex"`
		SHA1                  string              `json:"hmac_sha1_hex"`
		SHA1Derived           string              `json:"hmac_sha1_hex_derived"`
		ExpectedAuthorization string              `json:"expected_authorization"`
	} `json:"signatures"`
	CanonParams []struct {
		Params   map[string][]string `json:"params"`
		Expected string              `json:"expected"`
	} `json:"canon_params"`
}

func loadDuoVectors(t *testing.T) duoVectors {
	t.Helper()
	b, err := os.ReadFile("testdata/duo_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v duoVectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("duo_vectors.json: %v", err)
	}
	if len(v.Signatures) != 3 || len(v.CanonParams) != 5 {
		t.Fatalf("duo_vectors.json holds %d signature and %d canon vectors, want 3 and 5", len(v.Signatures), len(v.CanonParams))
	}
	return v
}

func TestDuoSignatureVectors(t *testing.T) {
	for _, v := range loadDuoVectors(t).Signatures {
		t.Run(v.Name, func(t *testing.T) {
			params := CanonParams(url.Values(v.Params))
			var canon string
			if v.Version == 5 {
				canon = CanonicalV5(v.Date, v.Method, v.Host, v.Path, params, []byte(v.Body), nil)
			} else {
				canon = Canonical(v.Date, v.Method, v.Host, v.Path, params)
			}
			if v.Canonical != "" && canon != v.Canonical {
				t.Fatalf("canonical string:\n got %q\nwant %q", canon, v.Canonical)
			}
			checks := []struct {
				h    Hash
				want string
			}{{SHA512, v.SHA512}, {SHA1, v.SHA1}, {SHA1, v.SHA1Derived}}
			for _, c := range checks {
				if c.want == "" {
					continue
				}
				got, err := Sign(v.SKey, c.h, canon)
				if err != nil {
					t.Fatal(err)
				}
				if got != c.want {
					t.Errorf("HMAC-%s = %s, want %s", c.h, got, c.want)
				}
			}
			if v.ExpectedAuthorization != "" {
				sig, err := Sign(v.SKey, SHA512, canon)
				if err != nil {
					t.Fatal(err)
				}
				if got := Authorization(v.IKey, sig); got != v.ExpectedAuthorization {
					t.Errorf("Authorization:\n got %s\nwant %s", got, v.ExpectedAuthorization)
				}
			}
		})
	}
}

func TestDuoCanonParamVectors(t *testing.T) {
	for _, v := range loadDuoVectors(t).CanonParams {
		if got := CanonParams(url.Values(v.Params)); got != v.Expected {
			t.Errorf("CanonParams(%v):\n got %q\nwant %q", v.Params, got, v.Expected)
		}
	}
}

// TestDuoSignerAuthenticate signs a real request with the first published
// vector's keys and date and checks the wire form: the canonical query is
// what is sent, and the header is the published one for a GET twin.
func TestDuoSignerAuthenticate(t *testing.T) {
	date := time.Date(2012, 8, 21, 17, 29, 18, 0, time.UTC)
	tests := []struct {
		name      string
		url       string
		hash      Hash
		wantQuery string
	}{
		{"sorted and %20", "https://API-xxxxxxxx.duosecurity.com/accounts/v1/account/list?username=root&realname=First+Last", "", "realname=First%20Last&username=root"},
		{"repeated keys sorted by value", "https://api-x.duosecurity.com/admin/v2/logs/authentication?next_offset=b&next_offset=a&limit=1000", SHA1, "limit=1000&next_offset=a&next_offset=b"},
		{"comma is escaped", "https://api-x.duosecurity.com/admin/v2/logs/authentication?next_offset=1547486297000,5bea", SHA512, "next_offset=1547486297000%2C5bea"},
		{"no parameters", "https://api-x.duosecurity.com/admin/v1/info/summary", SHA512, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := Signer{IKey: secret.New("DIWJ8X6AEYOR5OMC6TQ1"), SKey: secret.New("Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep"), Hash: tc.hash,
				Now: func() time.Time { return date }}
			r := httptest.NewRequest(http.MethodGet, tc.url, nil)
			r.Host = ""
			if err := s.Authenticate(context.Background(), r, nil); err != nil {
				t.Fatal(err)
			}
			if r.URL.RawQuery != tc.wantQuery {
				t.Errorf("query sent %q, want %q", r.URL.RawQuery, tc.wantQuery)
			}
			if got := r.Header.Get("Date"); got != "Tue, 21 Aug 2012 17:29:18 +0000" {
				t.Errorf("Date %q", got)
			}
			canon := Canonical(r.Header.Get("Date"), "GET", r.URL.Host, r.URL.EscapedPath(), tc.wantQuery)
			sig, _ := Sign("Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep", tc.hash, canon)
			if got, want := r.Header.Get("Authorization"), Authorization("DIWJ8X6AEYOR5OMC6TQ1", sig); got != want {
				t.Errorf("Authorization %s, want %s", got, want)
			}
		})
	}
}

func TestDuoSignerRefuses(t *testing.T) {
	ok := Signer{IKey: secret.New("DI1"), SKey: secret.New("s")}
	tests := []struct {
		name string
		s    Signer
		body []byte
		url  string
	}{
		{"no ikey", Signer{SKey: secret.New("s")}, nil, "https://h/p"},
		{"no skey", Signer{IKey: secret.New("DI1")}, nil, "https://h/p"},
		{"body", ok, []byte(`{}`), "https://h/p"},
		{"bad query", ok, nil, "https://h/p?a=%zz"},
		{"bad digest", Signer{IKey: secret.New("DI1"), SKey: secret.New("s"), Hash: "md5"}, nil, "https://h/p"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := http.NewRequest(http.MethodGet, "https://h/p", nil)
			r.URL.RawQuery = strings.TrimPrefix(tc.url, "https://h/p?")
			if !strings.Contains(tc.url, "?") {
				r.URL.RawQuery = ""
			}
			if err := tc.s.Authenticate(context.Background(), r, tc.body); err == nil {
				t.Fatal("signed anyway")
			}
			if r.Header.Get("Authorization") != "" {
				t.Fatal("Authorization set on failure")
			}
		})
	}
}

func TestParseDuoHash(t *testing.T) {
	for in, want := range map[string]Hash{"": SHA512, "sha512": SHA512, "SHA1": SHA1, " sha1 ": SHA1} {
		if got, err := ParseHash(in); err != nil || got != want {
			t.Errorf("ParseHash(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseHash("sha256"); err == nil {
		t.Error("sha256 accepted")
	}
}

// TestDuoSignerFreshDateOnRetry drives the signer through the runtime's
// HTTP client: a 500 and a 429 are retried, and every attempt reaches the
// server with a new Date and a signature valid for it.
func TestDuoSignerFreshDateOnRetry(t *testing.T) {
	var mu sync.Mutex
	var dates []string
	attempts := 0
	const skey = "test-secret-key-0123456789"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		attempts++
		date := r.Header.Get("Date")
		dates = append(dates, date)
		canon := Canonical(date, r.Method, r.Host, r.URL.EscapedPath(), CanonParams(r.URL.Query()))
		sig, _ := Sign(skey, SHA512, canon)
		if r.Header.Get("Authorization") != Authorization("DIFRESH", sig) || r.URL.RawQuery != CanonParams(r.URL.Query()) {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"code":40103,"message":"Invalid signature in request credentials","stat":"FAIL"}`)
			return
		}
		switch attempts {
		case 1:
			w.WriteHeader(http.StatusInternalServerError)
		case 2:
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, `{"code":42901,"message":"Too Many Requests","stat":"FAIL"}`)
		default:
			_, _ = io.WriteString(w, `{"stat":"OK","response":[]}`)
		}
	}))
	defer srv.Close()

	clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	signer := Signer{IKey: secret.New("DIFRESH"), SKey: secret.New(skey), Now: func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(time.Second) // each signature a second later
		return clock
	}}
	c, err := httpx.New(httpx.Options{BaseURL: srv.URL, BackoffBase: time.Millisecond, RetryFloor: time.Millisecond,
		Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	err = c.WithAuth(signer).Do(context.Background(), httpx.Request{URL: "/admin/v1/logs/administrator?mintime=1700000000"}, nil)
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	if attempts != 3 {
		t.Fatalf("%d attempts, want 3", attempts)
	}
	distinct := map[string]bool{}
	for _, d := range dates {
		distinct[d] = true
	}
	if len(distinct) != 3 {
		t.Fatalf("dates reused across attempts: %q", dates)
	}
}

// FuzzDuoCanonParams checks the encoding is lossless and canonical: the
// output parses back to the same parameters, uses only unreserved bytes
// and %XX, and does not depend on the order parameters were given in.
func FuzzDuoCanonParams(f *testing.F) {
	f.Add("realname", "First Last", "username", "root")
	f.Add("password", "H-._~i", "password", "A(!'*)")
	f.Add("\u469a", "\u0f45", "x+y", "a&b=c")
	f.Add("", "", "~", "%")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		a := url.Values{}
		a.Add(k1, v1)
		a.Add(k2, v2)
		b := url.Values{}
		b.Add(k2, v2)
		b.Add(k1, v1)
		got := CanonParams(a)
		if got != CanonParams(b) {
			t.Fatalf("order-dependent: %q vs %q", got, CanonParams(b))
		}
		for i := 0; i < len(got); i++ {
			c := got[i]
			if !unreserved(c) && c != '%' && c != '&' && c != '=' {
				t.Fatalf("byte %q left unescaped in %q", c, got)
			}
		}
		back, err := url.ParseQuery(got)
		if err != nil {
			t.Fatalf("canonical form %q does not parse: %v", got, err)
		}
		for k, vs := range a {
			want := slices.Sorted(slices.Values(vs))
			have := slices.Sorted(slices.Values(back[k]))
			if !slices.Equal(want, have) {
				t.Fatalf("key %q: values %q came back as %q", k, want, have)
			}
		}
	})
}
