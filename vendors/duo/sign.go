package duo

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/wodlekit/wodlekit/runtime/secret"
)

// Hash names the HMAC digest of a Duo signature.
type Hash string

// Duo accepts both digests; SHA-512 is what its current clients send, SHA-1
// is what older documentation and third-party tools still use.
const (
	SHA512 Hash = "sha512"
	SHA1   Hash = "sha1"
)

// ParseHash reads a Hash from configuration ("sha512", "sha1").
func ParseHash(s string) (Hash, error) {
	switch h := Hash(strings.ToLower(strings.TrimSpace(s))); h {
	case SHA512, SHA1:
		return h, nil
	case "":
		return SHA512, nil
	}
	return "", fmt.Errorf("%q is not a Duo signature digest: use sha512 or sha1", s)
}

func (h Hash) newHash() (func() hash.Hash, error) {
	switch h {
	case SHA512, "":
		return sha512.New, nil
	case SHA1:
		return sha1.New, nil
	}
	return nil, fmt.Errorf("unknown Duo signature digest %q", string(h))
}

// DateFormat is the Date header layout Duo's own Go client sends
// (RFC 2822 with a numeric zone).
const DateFormat = time.RFC1123Z

// Signer signs every request attempt the way Duo's Admin API requires
// (canonical request version 2): a fresh Date, the canonical string of
// date, method, host, path and sorted parameters, HMAC with the secret key,
// and "Authorization: Basic base64(ikey:hexsig)". It rewrites the query
// string into its canonical form so the parameters sent are exactly the
// ones signed. It signs query parameters only: the log endpoints are GETs.
type Signer struct {
	// IKey is the integration key (DI...), the Basic user name.
	IKey secret.Secret
	// SKey is the secret key the HMAC is keyed with.
	SKey secret.Secret
	// Hash is the digest; "" means SHA-512.
	Hash Hash
	// Now is the clock stamped into Date; nil uses time.Now. Duo refuses
	// dates far from its own clock, so a retry must never reuse a Date.
	Now func() time.Time
}

// Authenticate implements httpx.Authenticator. It is called on every
// attempt, so every page and every retry carries a fresh Date.
func (s Signer) Authenticate(_ context.Context, r *http.Request, body []byte) error {
	if s.IKey.IsZero() || s.SKey.IsZero() {
		return errors.New("duo signer: integration key and secret key are required")
	}
	if len(body) > 0 {
		// Form or JSON bodies need another canonical form (v2 form params,
		// v5 body hash); signing one as if it were empty would be refused.
		return errors.New("duo signer: request bodies are not supported; send parameters in the query")
	}
	params, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return fmt.Errorf("duo signer: query string: %w", err)
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	date := now().UTC().Format(DateFormat)
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	canonParams := CanonParams(params)
	sig, err := Sign(s.SKey.Reveal(), s.Hash, Canonical(date, r.Method, host, r.URL.EscapedPath(), canonParams))
	if err != nil {
		return err
	}
	// The wire query is the signed one: Duo answers 40103 when what it
	// received differs from what was signed.
	r.URL.RawQuery = canonParams
	r.Header.Set("Date", date)
	r.Header.Set("Authorization", Authorization(s.IKey.Reveal(), sig))
	return nil
}

// Canonical builds the version 2 canonical request: date, upper-case
// method, lower-case host, path and canonical parameters, one per line.
func Canonical(date, method, host, path, canonParams string) string {
	return strings.Join([]string{date, strings.ToUpper(method), strings.ToLower(host), path, canonParams}, "\n")
}

// CanonicalV5 builds the version 5 canonical request used by Duo's JSON
// body endpoints: version 2's lines plus the SHA-512 hex of the body and of
// the canonical x-duo-* headers (empty when there are none).
func CanonicalV5(date, method, host, path, canonParams string, body []byte, duoHeaders map[string]string) string {
	bodyHash := sha512.Sum512(body)
	headerHash := sha512.Sum512([]byte(canonHeaders(duoHeaders)))
	return Canonical(date, method, host, path, canonParams) + "\n" +
		hex.EncodeToString(bodyHash[:]) + "\n" + hex.EncodeToString(headerHash[:])
}

// canonHeaders joins lower-cased header names and values with NUL bytes,
// sorted by name, as Duo's clients do for v5.
func canonHeaders(h map[string]string) string {
	names := make([]string, 0, len(h))
	lower := make(map[string]string, len(h))
	for k, v := range h {
		lk := strings.ToLower(k)
		names = append(names, lk)
		lower[lk] = v
	}
	sort.Strings(names)
	parts := make([]string, 0, 2*len(names))
	for _, n := range names {
		parts = append(parts, n, lower[n])
	}
	return strings.Join(parts, "\x00")
}

// Sign returns the lower-case hex HMAC of canon keyed with skey.
func Sign(skey string, h Hash, canon string) (string, error) {
	newHash, err := h.newHash()
	if err != nil {
		return "", err
	}
	m := hmac.New(newHash, []byte(skey))
	m.Write([]byte(canon))
	return hex.EncodeToString(m.Sum(nil)), nil
}

// Authorization is the Authorization header value for ikey and a signature.
func Authorization(ikey, sig string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(ikey+":"+sig))
}

// CanonParams encodes params the way Duo canonicalises them (the OAuth
// 1.0 parameter normalisation): every key and value percent-encoded with
// only RFC 3986 unreserved characters left as they are (so a space is %20,
// never +), pairs sorted by encoded key and then encoded value, joined
// with "&". No parameters give "".
func CanonParams(params url.Values) string {
	type pair struct{ k, v string }
	pairs := make([]pair, 0, len(params))
	for k, vs := range params {
		ek := Escape(k)
		for _, v := range vs {
			pairs = append(pairs, pair{ek, Escape(v)})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// Escape percent-encodes every byte of s outside the RFC 3986
// unreserved set (A-Z a-z 0-9 - . _ ~) with upper-case hex.
func Escape(s string) string {
	const hexUpper = "0123456789ABCDEF"
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hexUpper[c>>4], hexUpper[c&15])
	}
	return string(b)
}

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}
