package fakeapi

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strings"
	"time"

	"github.com/wodlekit/wodlekit/runtime/wodletest/fakekit"
)

// Key is a throwaway service account key, generated for a test or the
// demo and valid only against a fake: never a real one.
type Key struct {
	Private     *rsa.PrivateKey
	ClientEmail string
	// JSON is the key file as Google issues it, on one line (the form a
	// secrets file takes), its token_uri the fake's token endpoint.
	JSON []byte
}

// NewKey generates a test-only key whose token_uri is baseURL's token
// endpoint.
func NewKey(baseURL string) Key {
	pk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(fmt.Sprintf("fakeapi: generate a test key: %v", err))
	}
	return KeyFor(pk, baseURL)
}

// KeyFor is the key file of pk with its token_uri at baseURL.
func KeyFor(pk *rsa.PrivateKey, baseURL string) Key {
	der, err := x509.MarshalPKCS8PrivateKey(pk)
	if err != nil {
		panic(fmt.Sprintf("fakeapi: encode a test key: %v", err))
	}
	const email = "wodlekit-test@wodlekit-test-only.iam.gserviceaccount.com"
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	raw := fakekit.Object("type", "service_account", "project_id", "wodlekit-test-only", "private_key_id", "0123456789abcdef0123456789abcdef01234567",
		"private_key", pemKey, "client_email", email, "client_id", "100000000000000000042",
		"auth_uri", "https://accounts.google.com/o/oauth2/auth", "token_uri", strings.TrimSuffix(baseURL, "/")+TokenPath,
		"auth_provider_x509_cert_url", "https://www.googleapis.com/oauth2/v1/certs", "universe_domain", "googleapis.com")
	return Key{Private: pk, ClientEmail: email, JSON: raw}
}

// Claims are the assertion's claims the token endpoint checks.
type Claims struct {
	Iss   string `json:"iss"`
	Sub   string `json:"sub"`
	Scope string `json:"scope"`
	Aud   string `json:"aud"`
	Iat   int64  `json:"iat"`
	Exp   int64  `json:"exp"`
}

// verifyAssertion checks an RS256 JWT with pub and its audience and
// lifetime, as Google's token endpoint does; a refusal is Google's
// error_description, "" when the assertion holds.
func verifyAssertion(jwt string, pub *rsa.PublicKey, aud string, now time.Time) (Claims, string) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return Claims{}, "Invalid JWT: not three parts"
	}
	var hdr struct {
		Alg string `json:"alg"`
		Typ string `json:"typ"`
	}
	if err := decodePart(parts[0], &hdr); err != nil || hdr.Alg != "RS256" {
		return Claims{}, fmt.Sprintf("Invalid JWT header (alg %q)", hdr.Alg)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || pub == nil {
		return Claims{}, "Invalid JWT Signature."
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
		return Claims{}, "Invalid JWT Signature."
	}
	var c Claims
	if err := decodePart(parts[1], &c); err != nil {
		return Claims{}, "Invalid JWT: claims are not JSON"
	}
	switch {
	case c.Aud != aud:
		return Claims{}, fmt.Sprintf("Invalid JWT: audience %q is not this token endpoint", c.Aud)
	case c.Exp <= now.Unix() || c.Iat > now.Unix()+300 || c.Exp-c.Iat > 3600:
		return Claims{}, "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim."
	}
	return c, ""
}

func decodePart(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
