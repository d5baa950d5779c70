package okta

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// dpopKey signs DPoP proofs (RFC 9449). The key pair is generated for one
// run and never stored: the access token is bound to it, and a new run
// gets a new token anyway.
type dpopKey struct {
	signer jose.Signer
}

// newDPoPKey generates the run's ES256 key pair.
func newDPoPKey() (*dpopKey, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate DPoP key: %w", err)
	}
	opts := (&jose.SignerOptions{EmbedJWK: true}).WithType("dpop+jwt")
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: k}, opts)
	if err != nil {
		return nil, fmt.Errorf("DPoP signer: %w", err)
	}
	return &dpopKey{signer: s}, nil
}

// dpopClaims are the claims of one proof; nonce and ath are omitted when
// empty (no nonce learned yet; the token request has no token to hash).
type dpopClaims struct {
	JTI   string `json:"jti"`
	HTM   string `json:"htm"`
	HTU   string `json:"htu"`
	IAT   int64  `json:"iat"`
	Nonce string `json:"nonce,omitempty"`
	ATH   string `json:"ath,omitempty"`
}

// proof signs a proof for one request. htu is the URL without query and
// fragment, as RFC 9449 section 4.2 requires; ath binds the proof to the
// access token it travels with.
func (k *dpopKey) proof(method string, u *url.URL, nonce, accessToken string, now time.Time) (string, error) {
	target := *u
	target.RawQuery, target.Fragment, target.RawFragment = "", "", ""
	target.ForceQuery = false
	c := dpopClaims{JTI: randomID(), HTM: method, HTU: target.String(), IAT: now.Unix(), Nonce: nonce}
	if accessToken != "" {
		c.ATH = tokenHash(accessToken)
	}
	s, err := jwt.Signed(k.signer).Claims(c).Serialize()
	if err != nil {
		return "", fmt.Errorf("sign DPoP proof: %w", err)
	}
	return s, nil
}

// tokenHash is the ath claim: base64url(SHA-256(access token)).
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// randomID is a JWT ID: 128 random bits, so that Okta's replay check never
// sees the same one twice.
func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}
