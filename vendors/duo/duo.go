// Package duo collects the Duo Admin API logs: authentication (v2),
// administrator (v1), telephony (v2) and activity (v2), each a module with
// its own cursor, every request signed with Duo's HMAC scheme and paced to
// Duo's per-endpoint budget of about one request a minute.
package duo

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"time"

	"github.com/wodlekit/wodlekit/runtime/config"
	"github.com/wodlekit/wodlekit/runtime/httpx"
	"github.com/wodlekit/wodlekit/runtime/runner"
)

// Secret keys of the Admin API application.
const (
	IKeyKey = "DUO_IKEY"
	SKeyKey = "DUO_SKEY"
)

// Duo's documented limits.
const (
	// Delay is Duo's publishing delay: queries for newer data come back
	// empty, so no window ever ends less than this before now.
	Delay = 2 * time.Minute
	// MaxAge is how far back v2 log queries may start ("mintime must be
	// within the past 180 days"); it also bounds one window.
	MaxAge = 180 * 24 * time.Hour
	// MaxLimit is the largest v2 page and the size of a full v1 answer.
	MaxLimit = 1000
	// RateLimitWait is the least wait after a 42901: Duo sends no hint and
	// its log endpoints allow one or two requests a minute.
	RateLimitWait = time.Minute
)

// Settings are Duo's own settings, under the DUO_ prefix.
type Settings struct {
	APIHost   string `env:"API_HOST" help:"Admin API hostname (api-XXXXXXXX.duosecurity.com); required unless DUO_BASE_URL is set, which then defaults to https:// plus this host."`
	Signature string `env:"SIGNATURE, default=sha512" help:"HMAC digest of request signatures: sha512 (Duo's current clients) or sha1 (legacy)."`
	// RequestsPerMinute is the per-endpoint budget; Duo measured one to two
	// requests a minute on log endpoints, and a 42901 costs a minute anyway.
	RequestsPerMinute int `env:"REQUESTS_PER_MINUTE_PER_ENDPOINT, default=1" help:"Requests per minute to each log endpoint (Duo allows about 1-2); 0 turns per-endpoint pacing off (REQUESTS_PER_MINUTE still applies)."`

	hash Hash
}

var apiHostRE = regexp.MustCompile(`(?i)^api-[a-z0-9]+\.duosecurity\.com$`)

// Validate checks the settings without any network call.
func (s *Settings) Validate() error {
	var errs []error
	if s.APIHost != "" && !validAPIHost(s.APIHost) {
		errs = append(errs, fmt.Errorf("DUO_API_HOST: %q is not a Duo API hostname (expected api-XXXXXXXX.duosecurity.com, without https://)", s.APIHost))
	}
	h, err := ParseHash(s.Signature)
	if err != nil {
		errs = append(errs, fmt.Errorf("DUO_SIGNATURE: %w", err))
	}
	s.hash = h
	if s.RequestsPerMinute < 0 || s.RequestsPerMinute > 60000 {
		errs = append(errs, fmt.Errorf("DUO_REQUESTS_PER_MINUTE_PER_ENDPOINT: must be between 0 (off) and 60000, got %d", s.RequestsPerMinute))
	}
	return errors.Join(errs...)
}

// validAPIHost accepts Duo's api-XXXXXXXX.duosecurity.com form, and a
// loopback host[:port] for tests and the demo's fake API.
func validAPIHost(h string) bool {
	if apiHostRE.MatchString(h) {
		return true
	}
	host := h
	if hh, _, err := net.SplitHostPort(h); err == nil {
		host = hh
	}
	return config.IsLoopback(host)
}

// pacing is the per-endpoint interval, zero when per-endpoint pacing is off.
func (s *Settings) pacing() time.Duration {
	if s.RequestsPerMinute <= 0 {
		return 0
	}
	return time.Minute / time.Duration(s.RequestsPerMinute)
}

// RateLimit is Duo's 429 policy: the answer carries no header, only the
// body code 42901, which earns at least Min of back-off.
type RateLimit struct {
	Min time.Duration
}

// RetryDelay implements httpx.RateLimitPolicy.
func (p RateLimit) RetryDelay(resp *http.Response, body []byte, _ time.Time) (time.Duration, bool) {
	if resp.StatusCode != http.StatusTooManyRequests {
		return 0, false
	}
	var e struct {
		Code int `json:"code"`
	}
	if json.Unmarshal(body, &e) != nil || e.Code != 42901 {
		return 0, false
	}
	return p.Min, true
}

// New describes the Duo vendor to the runtime.
func New() runner.Vendor {
	settings := &Settings{}
	return runner.Vendor{
		Name:        "duo",
		Title:       "Duo",
		Description: "authentication, administrator, telephony and activity logs from the Duo Admin API",
		EnvPrefix:   "DUO_",
		// The base URL is per customer: it derives from DUO_API_HOST.
		ResolveBaseURL: func(env *runner.Env) string {
			if s, err := runner.SettingsOf[Settings](env); err == nil && s.APIHost != "" {
				return "https://" + s.APIHost
			}
			return ""
		},
		AllowedHosts: []string{"*.duosecurity.com"},
		MaxLookback:  MaxAge,
		MaxPageSize:  MaxLimit,
		// v1 administrator pages re-read their last second and a v2 window
		// can be retried whole: three full pages of IDs cover both.
		DedupWindow: 3 * MaxLimit,
		Secrets: []runner.SecretSpec{
			{Key: IKeyKey, Help: "Admin API integration key (DI...): Duo Admin Panel > Applications > Admin API, with \"Grant read log\"."},
			{Key: SKeyKey, Help: "Admin API secret key of the same application."},
		},
		Settings: settings,
		// Duo's limits are per endpoint (see DUO_REQUESTS_PER_MINUTE_PER_ENDPOINT);
		// there is no account-wide budget to pace to.
		RequestsPerMinute: 0,
		// Duo's 429 carries no Retry-After; anything under a minute is
		// refused again on one-request-a-minute endpoints.
		RetryFloor: RateLimitWait,
		RateLimit:  RateLimit{Min: RateLimitWait},
		Auth: func(env *runner.Env) (httpx.Authenticator, error) {
			ikey, _ := env.Secrets.Get(IKeyKey)
			skey, _ := env.Secrets.Get(SKeyKey)
			s, err := runner.SettingsOf[Settings](env)
			if err != nil {
				return nil, err
			}
			// Duo checks Date against its own clock: sign with the real one.
			return Signer{IKey: ikey, SKey: skey, Hash: s.hash}, nil
		},
		Modules: func(env *runner.Env) ([]runner.Module, error) {
			s, err := runner.SettingsOf[Settings](env)
			if err != nil {
				return nil, err
			}
			mods := []runner.Module{
				newWindowLog(env, s, authentication),
				newAdminLog(env, s),
				newWindowLog(env, s, telephony),
				newWindowLog(env, s, activity),
			}
			if s.RequestsPerMinute > 0 {
				for _, p := range []string{authentication.path, adminPath, telephony.path, activity.path} {
					env.HTTP.Pace(p, httpx.Limit{N: s.RequestsPerMinute, Window: time.Minute})
				}
			}
			return mods, nil
		},
	}
}
