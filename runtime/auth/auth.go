// Package auth holds the authenticators vendors share: a static header
// (Bearer, SSWS) and HTTP Basic. A scheme only one vendor uses lives in that
// vendor (Duo's HMAC signer: vendors/duo/sign.go).
package auth

import (
	"context"
	"encoding/base64"
	"net/http"

	"github.com/wodlekit/wodlekit/runtime/secret"
)

// Header sets one header to prefix+secret on every attempt.
type Header struct {
	Name   string
	Prefix string
	Value  secret.Secret
}

// Authenticate implements httpx.Authenticator.
func (h Header) Authenticate(_ context.Context, r *http.Request, _ []byte) error {
	r.Header.Set(h.Name, h.Prefix+h.Value.Reveal())
	return nil
}

// Bearer is "Authorization: Bearer <token>".
func Bearer(token secret.Secret) Header {
	return Header{Name: "Authorization", Prefix: "Bearer ", Value: token}
}

// Basic is HTTP Basic authentication.
type Basic struct {
	User     secret.Secret
	Password secret.Secret
}

// Authenticate implements httpx.Authenticator.
func (b Basic) Authenticate(_ context.Context, r *http.Request, _ []byte) error {
	cred := base64.StdEncoding.EncodeToString([]byte(b.User.Reveal() + ":" + b.Password.Reveal()))
	r.Header.Set("Authorization", "Basic "+cred)
	return nil
}
