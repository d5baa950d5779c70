// Package googleworkspace collects the Google Workspace audit log through
// the Admin SDK Reports API (activities.list): one module per application
// (login, admin, token, saml, drive, user_accounts, groups), each walking
// time windows that end a per-application lag before now, because Google
// makes events available minutes to hours after they happen.
package googleworkspace

import (
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/wodlekit/wodlekit/runtime/httpx"
	"github.com/wodlekit/wodlekit/runtime/runner"
)

// KeyKey is the secret holding the service account key JSON.
const KeyKey = "GWS_SERVICE_ACCOUNT_KEY"

// Scope is the one OAuth scope the collector asks for.
const Scope = "https://www.googleapis.com/auth/admin.reports.audit.readonly"

// Google's documented limits, and the collector's defaults.
const (
	// MaxResults is the largest page activities.list serves.
	MaxResults = 1000
	// MaxLookback: Google keeps most audit log events about 180 days; a
	// day less keeps a first run clear of the edge.
	MaxLookback = 179 * 24 * time.Hour
	// RequestsPerMinute paces the collector well inside the Reports API's
	// per-project quota (the Cloud console shows the project's own).
	RequestsPerMinute = 240
	// RetryFloor: Google's limits page for the Reports API asks a client
	// to wait 5 seconds before retrying a throttled request, and to
	// double the wait if the retry fails too (RetryFloorMax).
	RetryFloor = 5 * time.Second
	// RetryFloorMax caps the doubling at a minute, the span of the
	// per-minute quotas: with the default 5 attempts the waits are 5, 10,
	// 20 and 40 s, past a whole quota minute.
	RetryFloorMax = time.Minute
)

// Applications are the modules, in the order they run and are summarised,
// with their default lag: Google's "Data retention and lag times" page
// lists these log events as near real time (a couple of minutes), with a
// small chance of longer delays; the defaults leave a margin, and Drive,
// the busiest, more.
var Applications = []App{
	{"login", 10 * time.Minute},
	{"admin", 10 * time.Minute},
	{"token", 10 * time.Minute},
	{"saml", 10 * time.Minute},
	{"drive", 30 * time.Minute},
	{"user_accounts", 10 * time.Minute},
	{"groups", 10 * time.Minute},
}

// App is one application of the Reports API and its default lag.
type App struct {
	Name string
	Lag  time.Duration
}

// Settings are the Google Workspace settings, read under the GWS_ prefix.
type Settings struct {
	DelegatedAdmin string        `env:"DELEGATED_ADMIN, required" help:"Email of the administrator the service account acts for (domain-wide delegation): a super admin, or an admin whose role has the Reports privilege. Required."`
	CustomerID     string        `env:"CUSTOMER_ID, default=my_customer" help:"Customer ID of the Google Workspace account (Admin console > Account > Account settings); my_customer is the delegated admin's own account."`
	Lag            string        `env:"LAG" help:"How long before now each window ends, per application, over the defaults (login, admin, token, saml, user_accounts, groups 10m; drive 30m): a duration for every application and/or app=duration pairs, e.g. 15m,drive=1h."`
	Overlap        time.Duration `env:"OVERLAP, default=10m" help:"How much of the already collected time each window reads again, for events Google makes available later than the lag; duplicates are dropped by activity ID."`

	lags map[string]time.Duration
}

// Validate checks the settings without a network call.
func (s *Settings) Validate() error {
	var errs []error
	if s.DelegatedAdmin == "" {
		errs = append(errs, errors.New("GWS_DELEGATED_ADMIN is required: the email of the administrator the service account acts for"))
	} else if a, err := mail.ParseAddress(s.DelegatedAdmin); err != nil || a.Address != s.DelegatedAdmin {
		errs = append(errs, fmt.Errorf("GWS_DELEGATED_ADMIN %q is not an email address", s.DelegatedAdmin))
	}
	if s.CustomerID == "" || strings.ContainsAny(s.CustomerID, "/?&# ") {
		errs = append(errs, fmt.Errorf("GWS_CUSTOMER_ID %q is not a customer ID (like C03az79cb, or my_customer)", s.CustomerID))
	}
	if s.Overlap < 0 || s.Overlap > 24*time.Hour {
		errs = append(errs, fmt.Errorf("GWS_OVERLAP %v must be between 0 and 24h", s.Overlap))
	}
	lags, err := ParseLags(s.Lag)
	if err != nil {
		errs = append(errs, err)
	}
	s.lags = lags
	return errors.Join(errs...)
}

// LagOf is the lag of one application, the setting over the default.
func (s *Settings) LagOf(app string) time.Duration {
	if d, ok := s.lags[app]; ok {
		return d
	}
	if d, ok := s.lags["*"]; ok {
		return d
	}
	for _, a := range Applications {
		if a.Name == app {
			return a.Lag
		}
	}
	return 10 * time.Minute
}

// ParseLags reads GWS_LAG: a duration for every application ("*") and/or
// app=duration pairs, comma separated.
func ParseLags(s string) (map[string]time.Duration, error) {
	out := map[string]time.Duration{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		app, val, pair := strings.Cut(part, "=")
		if !pair {
			app, val = "*", part
		}
		app = strings.TrimSpace(app)
		if app != "*" && !slices.ContainsFunc(Applications, func(a App) bool { return a.Name == app }) {
			return nil, fmt.Errorf("GWS_LAG: %q is not an application this collector reads (%s)", app, strings.Join(appNames(), ", "))
		}
		d, err := time.ParseDuration(strings.TrimSpace(val))
		if err != nil || d < 0 || d > 48*time.Hour {
			return nil, fmt.Errorf("GWS_LAG: %q is not a duration between 0 and 48h (like 10m or drive=1h)", part)
		}
		if _, dup := out[app]; dup {
			return nil, fmt.Errorf("GWS_LAG: %s is given twice", app)
		}
		out[app] = d
	}
	return out, nil
}

func appNames() []string {
	var n []string
	for _, a := range Applications {
		n = append(n, a.Name)
	}
	return n
}

// New describes the Google Workspace vendor to the runtime.
func New() runner.Vendor {
	return runner.Vendor{
		Name:           "google_workspace",
		Title:          "Google Workspace",
		Description:    "audit log events of Google Workspace applications (Admin SDK Reports API)",
		EnvPrefix:      "GWS_",
		DefaultBaseURL: "https://admin.googleapis.com",
		// The Reports API has one host; anything else would receive the
		// access token.
		AllowedHosts: []string{"admin.googleapis.com"},
		MaxLookback:  MaxLookback,
		MaxPageSize:  MaxResults,
		Secrets: []runner.SecretSpec{{Key: KeyKey,
			Help: "The service account key JSON Google issues (Cloud console > IAM & Admin > Service Accounts > Keys > Add key > JSON), whose client ID has domain-wide delegation for " + Scope + ". As a file of this name in the credentials directory, or compacted to one line in the secrets file."}},
		Settings:          &Settings{},
		RequestsPerMinute: RequestsPerMinute,
		RetryFloor:        RetryFloor,
		RetryFloorMax:     RetryFloorMax,
		// Google answers a per-minute throttle with 403 as well as 429.
		RateLimit: ratePolicy{},
		Auth: func(env *runner.Env) (httpx.Authenticator, error) {
			s, err := runner.SettingsOf[Settings](env)
			if err != nil {
				return nil, err
			}
			raw, _ := env.Secrets.Get(KeyKey)
			key, err := ParseKey([]byte(raw.Reveal()))
			if err != nil {
				return nil, err
			}
			return newTokenAuth(env.HTTP, key, s.DelegatedAdmin)
		},
		Modules: func(env *runner.Env) ([]runner.Module, error) {
			s, err := runner.SettingsOf[Settings](env)
			if err != nil {
				return nil, err
			}
			var ms []runner.Module
			for _, a := range Applications {
				ms = append(ms, &activities{env: env, app: a.Name, lag: s.LagOf(a.Name), overlap: s.Overlap, customer: s.CustomerID, admin: s.DelegatedAdmin})
			}
			return ms, nil
		},
	}
}
