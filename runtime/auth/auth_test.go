package auth

import (
	"context"
	"encoding/base64"
	"net/http"
	"testing"

	"github.com/wodlekit/wodlekit/runtime/secret"
)

type authenticator interface {
	Authenticate(context.Context, *http.Request, []byte) error
}

func TestAuthenticators(t *testing.T) {
	tests := []struct {
		name   string
		a      authenticator
		header string
		want   string
	}{
		{"bearer", Bearer(secret.New("tok-123")), "Authorization", "Bearer tok-123"},
		{"okta SSWS", Header{Name: "Authorization", Prefix: "SSWS ", Value: secret.New("00abc")}, "Authorization", "SSWS 00abc"},
		{"custom header, no prefix", Header{Name: "X-Api-Key", Value: secret.New("k")}, "X-Api-Key", "k"},
		{"basic", Basic{User: secret.New("ikey"), Password: secret.New("p:w")}, "Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte("ikey:p:w"))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := http.NewRequest(http.MethodGet, "https://example.com/", nil)
			r.Header.Set(tc.header, "stale value from a previous attempt")
			for attempt := range 2 { // set on every attempt, replacing
				if err := tc.a.Authenticate(context.Background(), r, nil); err != nil {
					t.Fatal(err)
				}
				if got := r.Header.Values(tc.header); len(got) != 1 || got[0] != tc.want {
					t.Errorf("attempt %d: %s = %q, want [%q]", attempt, tc.header, got, tc.want)
				}
			}
		})
	}
}
