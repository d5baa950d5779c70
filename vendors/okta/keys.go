package okta

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/go-jose/go-jose/v4"
)

// signingKey is the service app's private key with the JWS algorithm its
// type calls for and the key ID Okta knows it by.
type signingKey struct {
	key crypto.Signer
	alg jose.SignatureAlgorithm
	kid string
}

// parsePrivateKey reads OKTA_PRIVATE_KEY: a PEM block (PKCS#8, PKCS#1 or
// SEC 1, as Okta's console and openssl write them) or a JWK (Okta's
// "generate new key" downloads one). Errors never quote the key.
func parsePrivateKey(raw, kid string) (*signingKey, error) {
	raw = strings.TrimSpace(raw)
	var key any
	switch {
	case strings.HasPrefix(raw, "{"):
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON([]byte(raw)); err != nil {
			return nil, errors.New("OKTA_PRIVATE_KEY looks like a JWK but does not parse as one")
		}
		if jwk.IsPublic() {
			return nil, errors.New("OKTA_PRIVATE_KEY is a public JWK: give the private key (the one with \"d\")")
		}
		key = jwk.Key
		if kid == "" {
			kid = jwk.KeyID
		}
	case strings.Contains(raw, "-----BEGIN"):
		block, _ := pem.Decode([]byte(raw))
		if block == nil {
			return nil, errors.New("OKTA_PRIVATE_KEY: the PEM block does not decode")
		}
		var err error
		switch block.Type {
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		default:
			return nil, fmt.Errorf("OKTA_PRIVATE_KEY: PEM block %q is not a private key (want PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)", block.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("OKTA_PRIVATE_KEY: PEM %s does not parse (encrypted keys are not supported)", block.Type)
		}
	default:
		return nil, errors.New("OKTA_PRIVATE_KEY is neither a PEM private key nor a JWK")
	}
	return newSigningKey(key, kid)
}

// newSigningKey picks the algorithm by key type: Okta accepts RS256-512
// and ES256-512 client assertions; RS256 and ES256 are what it documents.
func newSigningKey(key any, kid string) (*signingKey, error) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if k.N.BitLen() < 2048 {
			return nil, fmt.Errorf("OKTA_PRIVATE_KEY: RSA key of %d bits; Okta requires at least 2048", k.N.BitLen())
		}
		return &signingKey{key: k, alg: jose.RS256, kid: kid}, nil
	case *ecdsa.PrivateKey:
		alg := map[elliptic.Curve]jose.SignatureAlgorithm{elliptic.P256(): jose.ES256, elliptic.P384(): jose.ES384, elliptic.P521(): jose.ES512}[k.Curve]
		if alg == "" {
			return nil, errors.New("OKTA_PRIVATE_KEY: EC key on an unsupported curve (use P-256)")
		}
		return &signingKey{key: k, alg: alg, kid: kid}, nil
	}
	return nil, fmt.Errorf("OKTA_PRIVATE_KEY: %T keys are not supported by Okta (use RSA 2048+ or EC P-256)", key)
}
