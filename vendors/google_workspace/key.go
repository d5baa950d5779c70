package googleworkspace

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/wodlekit/wodlekit/runtime/config"
)

// TokenHosts are the token endpoints a key may name: Google's. A key
// naming another host (loopback aside, for tests) is refused, since the
// signed assertion would go there.
var TokenHosts = []string{"oauth2.googleapis.com", "accounts.google.com", "www.googleapis.com"}

// Key is what the collector uses of a service account key file.
type Key struct {
	ClientEmail  string
	ClientID     string
	ProjectID    string
	PrivateKeyID string
	TokenURI     string
	// privateKey is the PEM golang.org/x/oauth2/jwt signs with; never
	// printed.
	privateKey []byte
}

// keyFile is the key JSON's shape.
type keyFile struct {
	Type         string `json:"type"`
	ProjectID    string `json:"project_id"`
	PrivateKeyID string `json:"private_key_id"`
	PrivateKey   string `json:"private_key"`
	ClientEmail  string `json:"client_email"`
	ClientID     string `json:"client_id"`
	TokenURI     string `json:"token_uri"`
}

// ParseKey reads and checks a service account key file, every problem at
// once, naming the field: the key itself never appears in an error.
func ParseKey(raw []byte) (*Key, error) {
	var f keyFile
	if err := json.Unmarshal(raw, &f); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("%s is not the key JSON Google issues: invalid JSON at byte %d (in the secrets file the key must be on one line: jq -c . key.json)", KeyKey, se.Offset)
		}
		return nil, fmt.Errorf("%s is not the key JSON Google issues: a field has the wrong type (%s)", KeyKey, typeError(err))
	}
	var errs []error
	if f.Type != "service_account" {
		errs = append(errs, fmt.Errorf("type is %q, want \"service_account\" (an OAuth client or user credential cannot use domain-wide delegation)", f.Type))
	}
	if f.ClientEmail == "" || !strings.Contains(f.ClientEmail, "@") {
		errs = append(errs, errors.New("client_email is missing"))
	}
	if f.ClientID == "" {
		errs = append(errs, errors.New("client_id is missing (it is the ID domain-wide delegation is granted to)"))
	}
	if f.PrivateKey == "" {
		errs = append(errs, errors.New("private_key is missing"))
	} else if err := checkPrivateKey(f.PrivateKey); err != nil {
		errs = append(errs, err)
	}
	if f.TokenURI == "" {
		f.TokenURI = "https://oauth2.googleapis.com/token"
	} else if err := checkTokenURI(f.TokenURI); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s is not a usable service account key: %w", KeyKey, errors.Join(errs...))
	}
	return &Key{ClientEmail: f.ClientEmail, ClientID: f.ClientID, ProjectID: f.ProjectID, PrivateKeyID: f.PrivateKeyID, TokenURI: f.TokenURI, privateKey: []byte(f.PrivateKey)}, nil
}

// typeError names the field of a json.UnmarshalTypeError, without the value.
func typeError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s is a JSON %s", te.Field, te.Value)
	}
	return "not an object"
}

// checkPrivateKey parses the PEM as golang.org/x/oauth2 will, so a broken
// key is refused before the first request with a message of its own.
func checkPrivateKey(p string) error {
	block, _ := pem.Decode([]byte(p))
	if block == nil {
		return errors.New("private_key is not a PEM block (-----BEGIN PRIVATE KEY-----)")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		if _, err1 := x509.ParsePKCS1PrivateKey(block.Bytes); err1 == nil {
			return nil
		}
		return errors.New("private_key does not parse as a PKCS#8 or PKCS#1 RSA key")
	}
	if _, ok := k.(*rsa.PrivateKey); !ok {
		return fmt.Errorf("private_key is a %T, not an RSA key", k)
	}
	return nil
}

// checkTokenURI keeps the assertion on Google's token endpoints (https),
// or on loopback for tests and the demo.
func checkTokenURI(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return fmt.Errorf("token_uri %q is not an absolute URL", s)
	}
	if config.IsLoopback(u.Hostname()) && (u.Scheme == "http" || u.Scheme == "https") {
		return nil
	}
	if u.Scheme != "https" {
		return fmt.Errorf("token_uri %q is not https", s)
	}
	for _, h := range TokenHosts {
		if strings.EqualFold(u.Hostname(), h) {
			return nil
		}
	}
	return fmt.Errorf("token_uri host %s is not Google's token endpoint (%s)", u.Hostname(), strings.Join(TokenHosts, ", "))
}

// String names the key without its secret half, so that no %v prints it.
func (k *Key) String() string {
	return fmt.Sprintf("service account key %s of %s", k.PrivateKeyID, k.ClientEmail)
}

// GoString is String, for %#v.
func (k *Key) GoString() string { return k.String() }
