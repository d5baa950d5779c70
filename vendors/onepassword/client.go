package onepassword

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/wodlekit/wodlekit/runtime/config"
	"github.com/wodlekit/wodlekit/runtime/httpx"
	"github.com/wodlekit/wodlekit/runtime/jsonrec"
	"github.com/wodlekit/wodlekit/runtime/runner"
)

// client is shared by the three modules of one run.
type client struct {
	env *runner.Env

	once     sync.Once
	features []string
	source   string
	err      error
}

func newClient(env *runner.Env) *client { return &client{env: env} }

// tokenClaims are the unverified claims 1Password puts in Events API
// tokens: the audience names the regional host, fts the granted features.
type tokenClaims struct {
	Audience audience `json:"aud"`
	Features []string `json:"1password.com/fts"`
}

// audience is a JWT "aud": a string or a list of strings.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("aud: %w", err)
	}
	*a = many
	return nil
}

// parseClaims reads a JWT's payload without verifying it: the token is
// verified by 1Password; we only want to know what it grants.
func parseClaims(token string) (*tokenClaims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, fmt.Errorf("token payload: %w", err)
	}
	var c tokenClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, fmt.Errorf("token claims: %w", err)
	}
	return &c, nil
}

// grantedFeatures learns once per run which features the token has: from
// its claims when present (no request), else from the introspect endpoint.
func (c *client) grantedFeatures(ctx context.Context) ([]string, string, error) {
	c.once.Do(func() {
		tok, _ := c.env.Secrets.Get(TokenKey)
		if claims, err := parseClaims(tok.Reveal()); err == nil && claims.Features != nil {
			c.features, c.source = claims.Features, "token claims"
			c.checkAudience(claims.Audience)
			return
		}
		c.features, c.err = c.introspect(ctx)
		c.source = "introspect"
	})
	return c.features, c.source, c.err
}

// checkAudience warns when the token was issued for another region's host
// than the one configured: every call would then fail with 401.
func (c *client) checkAudience(aud audience) {
	host := c.env.HTTP.BaseURL().Hostname()
	if config.IsLoopback(host) {
		return
	}
	for _, a := range aud {
		if strings.EqualFold(a, host) || !strings.Contains(a, ".") {
			return
		}
	}
	if len(aud) > 0 {
		c.env.Log.Warn("the token was issued for another events host than OP_BASE_URL", "token_audience", strings.Join(aud, ","), "base_url_host", host)
	}
}

func (c *client) introspect(ctx context.Context) ([]string, error) {
	var out struct {
		Features []string `json:"features"`
	}
	err := c.env.HTTP.Do(ctx, httpx.Request{Method: http.MethodGet, URL: "/api/v2/auth/introspect", Endpoint: "introspect"},
		func(_ *http.Response, body io.Reader) error {
			if err := json.NewDecoder(io.LimitReader(body, 1<<20)).Decode(&out); err != nil {
				return runner.DecodeError(fmt.Errorf("introspect response: %w", err))
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("read the token's features: %w", err)
	}
	return out.Features, nil
}

// pageSpec: a page is {"cursor":..., "has_more":..., "items":[...]}, the
// cursor an opaque string 1Password takes back as it gave it.
var pageSpec = jsonrec.Spec{Arrays: map[string]string{"items": ""}, Fields: []string{"uuid"}, Members: []jsonrec.Member{
	{Path: "cursor", Type: jsonrec.String, NonEmpty: true},
	{Path: "has_more", Type: jsonrec.Bool},
}}

// post sends one Events API request and decodes the page.
func (c *client) post(ctx context.Context, feature string, body []byte) (*jsonrec.Page, error) {
	return runner.FetchPage(ctx, c.env.HTTP, httpx.Request{Method: http.MethodPost, URL: "/api/v2/" + feature, Body: body, Endpoint: feature}, &pageSpec)
}

func hasFeature(features []string, f string) bool { return slices.Contains(features, f) }
