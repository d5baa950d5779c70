// Package mimecast collects Mimecast's API 2.0 (OAuth 2.0 client
// credentials): the Cloud Gateway SIEM logs ("siem": batches of pre-signed
// gzip NDJSON files, one cursor per event type) and the account's audit
// events ("audit": body-paged, in windows).
package mimecast

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wodlekit/wodlekit/runtime/httpx"
	"github.com/wodlekit/wodlekit/runtime/runner"
)

// The secrets of an API 2.0 application (Administration Console, Services,
// API and Platform Integrations).
const (
	ClientIDKey     = "MIMECAST_CLIENT_ID"
	ClientSecretKey = "MIMECAST_CLIENT_SECRET"
)

// Mimecast's documented limits, and the ones this collector chooses.
const (
	// MaxLookback: the batch endpoint keeps about a week of files (peers
	// cap their first run at 7 days); audit events reach 60 days back.
	MaxLookback = 7 * 24 * time.Hour
	// MaxPageSize is how many audit events one page asks for (and the
	// PAGE_SIZE default).
	MaxPageSize = 500
	// MaxFilesPerPage is how many files a SIEM page lists at most: a page
	// is delivered whole before its cursor moves, and a file holds up to
	// thousands of events.
	MaxFilesPerPage = 25
	// RequestsPerMinute paces every API call of a run. Mimecast's quota is
	// per user across its keys and states itself in X-RateLimit-* headers,
	// which the modules read; this is only the client's own ceiling.
	RequestsPerMinute = 60
	// RetryFloor is the wait after a 429 without a readable reset header.
	RetryFloor = 30 * time.Second
)

// Types are the Cloud Gateway SIEM event types, in Mimecast's spelling
// (the batch endpoint's type parameter).
var Types = []string{
	"receipt", "process", "delivery", "av", "spam", "internal email protect",
	"impersonation protect", "url protect", "attachment protect", "journal",
}

// Settings are Mimecast's own settings, under the MIMECAST_ prefix.
type Settings struct {
	SIEMTypes string `env:"SIEM_TYPES, default=all" help:"SIEM event types the siem module collects, comma-separated (receipt, process, delivery, av, spam, internal email protect, impersonation protect, url protect, attachment protect, journal), or all; each type keeps its own cursor."`
	types     []string
}

// Validate implements the runner's settings check: every type named must
// be one of Mimecast's.
func (s *Settings) Validate() error {
	t, err := ParseTypes(s.SIEMTypes)
	if err != nil {
		return fmt.Errorf("MIMECAST_SIEM_TYPES: %w", err)
	}
	s.types = t
	return nil
}

// ParseTypes reads a SIEM_TYPES value: "all" (or empty) is every type, in
// Mimecast's order; names are matched without regard to case, and an
// underscore stands for a space ("url_protect").
func ParseTypes(v string) ([]string, error) {
	v = strings.TrimSpace(v)
	if v == "" || strings.EqualFold(v, "all") {
		return slices.Clone(Types), nil
	}
	var out []string
	for _, part := range strings.Split(v, ",") {
		name := strings.ToLower(strings.Join(strings.Fields(strings.ReplaceAll(part, "_", " ")), " "))
		if name == "" {
			continue
		}
		if !slices.Contains(Types, name) {
			return nil, fmt.Errorf("unknown SIEM event type %q (types: %s, or all)", strings.TrimSpace(part), strings.Join(Types, ", "))
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no SIEM event type in %q", v)
	}
	return out, nil
}

// New describes the Mimecast vendor to the runtime.
func New() runner.Vendor {
	return runner.Vendor{
		Name:           "mimecast",
		Title:          "Mimecast",
		Description:    "Cloud Gateway SIEM logs (receipt, delivery, URL, attachment and impersonation protect, ...) and audit events from Mimecast's API 2.0",
		EnvPrefix:      "MIMECAST_",
		DefaultBaseURL: "https://api.services.mimecast.com",
		// API 2.0 has one global gateway; the legacy regional hosts are
		// API 1.0 and take no OAuth token.
		AllowedHosts: []string{"api.services.mimecast.com"},
		MaxLookback:  MaxLookback,
		MaxPageSize:  MaxPageSize,
		// A SIEM page of 100 files can hold tens of thousands of events:
		// the recent-ID set covers the page a kill may replay.
		DedupWindow: 50_000,
		Secrets: []runner.SecretSpec{
			{Key: ClientIDKey, Help: "Client ID of an API 2.0 application (Administration Console: Services, API and Platform Integrations, Your Application Integrations)."},
			{Key: ClientSecretKey, Help: "Client secret of that application; its products must include the SIEM (Cloud Gateway) and audit events APIs."},
		},
		Settings:          &Settings{SIEMTypes: "all"},
		RequestsPerMinute: RequestsPerMinute,
		RetryFloor:        RetryFloor,
		RateLimit:         rateLimits(),
		Auth: func(env *runner.Env) (httpx.Authenticator, error) {
			return newTokens(env)
		},
		Modules: func(env *runner.Env) ([]runner.Module, error) {
			s, err := runner.SettingsOf[Settings](env)
			if err != nil {
				return nil, err
			}
			return []runner.Module{&siem{env: env, types: s.types}, &audit{env: env}}, nil
		},
	}
}

// rateLimits reads Mimecast's X-RateLimit-* headers. Mimecast documents
// the reset as the milliseconds until a request is given back; some of
// its clients read it as an epoch timestamp, and both are accepted.
func rateLimits() httpx.RateLimitHeaders { return httpx.RateLimitHeaders{Unit: time.Millisecond} }
