// Package runner is the part of the runtime a vendor plugs into: a vendor
// declares its modules, the runner does everything else (CLI, config,
// secrets, state, HTTP, emission, limits, signals, summaries).
package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"time"

	"github.com/wodlekit/wodlekit/runtime/config"
	"github.com/wodlekit/wodlekit/runtime/httpx"
	"github.com/wodlekit/wodlekit/runtime/jsonrec"
	"github.com/wodlekit/wodlekit/runtime/secret"
)

// Vendor is everything the runtime needs to know about one SaaS vendor.
// A vendor package exposes `func New() runner.Vendor`. Its modules keep
// the page contract: every answer is decoded against a jsonrec.Spec that
// declares its record arrays and required members (FetchPage), and an
// answer off it is a decode error, never an empty page.
type Vendor struct {
	// Name is the integration value and the event namespace ("onepassword").
	// It must not contain ForbiddenNameWords: Wazuh's stock rules claim such
	// events first. Validate checks this and the other fields at start-up.
	Name string
	// Title is the human name ("1Password").
	Title string
	// Description is one sentence for --help, metadata and packages.
	Description string
	// EnvPrefix prefixes every setting ("OP_").
	EnvPrefix string
	// DefaultBaseURL is used when <PREFIX>BASE_URL is unset; "" makes it required.
	DefaultBaseURL string
	// ResolveBaseURL, when set, derives the base URL from the vendor's
	// decoded Settings when <PREFIX>BASE_URL is unset (Duo: "https://" plus
	// DUO_API_HOST); "" leaves DefaultBaseURL in force. Its Env holds only
	// Settings (read them with SettingsOf): the rest is not built yet.
	ResolveBaseURL func(env *Env) string
	// AllowedHosts lists the base URL hosts accepted ("events.1password.com",
	// "*.okta.com"); empty allows any https host. Loopback is always allowed.
	AllowedHosts []string
	// MaxLookback is the vendor's retention; longer lookbacks are clamped with a warning.
	MaxLookback time.Duration
	// Secrets are the secret keys the vendor reads through the credential chain.
	Secrets []SecretSpec
	// Settings, when non-nil, is a pointer to a vendor settings struct read
	// with go-envconfig under EnvPrefix (field tags `env:"REGION"`, `help`
	// for the documentation). Validate() error is called when present.
	// Modules, Auth and ResolveBaseURL read it with SettingsOf.
	Settings any
	// MaxPageSize is the largest page the API serves; PAGE_SIZE defaults to it.
	MaxPageSize int
	// DedupWindow is how many recent event IDs per module the state keeps
	// (default 5000): at least the largest replay (one page, or an overlap).
	DedupWindow int
	// Interval is the wodle interval the packaged ossec.conf snippet uses
	// (default 5m); the snippet's timeout and MAX_RUNTIME stay below it.
	Interval time.Duration
	// RequestsPerMinute is the vendor's documented budget: at most this
	// many requests in any minute, sent as fast as the API answers until
	// it is spent (httpx.Limit); REQUESTS_PER_MINUTE overrides it, 0
	// disables.
	RequestsPerMinute int
	// RequestsPerHour is a second, hourly budget kept with the first
	// (1Password: 30,000); 0 is none.
	RequestsPerHour int
	// Prefetch lets the runner fetch the next page while it delivers the
	// current one. For vendors whose request budget is generous: a page
	// fetched ahead and then dropped (a signal, a sink failure) costs one
	// request. Never done before a page that asks for a Wait or would pass
	// a per-run cap.
	Prefetch bool
	// RateLimit is the vendor's 429 policy; nil uses Retry-After and the
	// floor. It may also be an httpx.Throttler, marking the vendor's
	// throttle answers under other statuses (Google's 403).
	RateLimit httpx.RateLimitPolicy
	// RetryFloor is the minimum wait after a throttle that carries no hint.
	RetryFloor time.Duration
	// RetryFloorMax, when above RetryFloor, makes that wait double with
	// each attempt of a request, up to it (httpx.Options.RetryFloorMax);
	// zero keeps it constant.
	RetryFloorMax time.Duration
	// Modules builds the vendor's modules for one run, in the order they
	// are listed and summarised. It must make no network call.
	Modules func(env *Env) ([]Module, error)
	// Auth builds the authenticator from the loaded secrets and settings.
	Auth func(env *Env) (httpx.Authenticator, error)
}

// SettingsOf returns the vendor's decoded and validated settings
// (Vendor.Settings) as *T, the one way every vendor reads them; the error
// names both types when the vendor declared another one.
func SettingsOf[T any](env *Env) (*T, error) {
	s, ok := env.Settings.(*T)
	if !ok || s == nil {
		return nil, fmt.Errorf("internal error: the vendor's settings are %T, not *%v", env.Settings, reflect.TypeFor[T]())
	}
	return s, nil
}

// SecretSpec describes one secret key.
type SecretSpec struct {
	Key      string
	Help     string
	Optional bool
}

// Env is what a vendor's modules get for one run.
type Env struct {
	Config   *config.Common
	Settings any
	Secrets  secret.Bag
	HTTP     *httpx.Client
	Log      *slog.Logger
	// Now is the run's clock; tests replace it.
	Now func() time.Time
}

// Module is one stream of a vendor's events (1Password "auditevents").
type Module interface {
	// Name is the stable module name used in --source, state and events.
	Name() string
	// Fetch returns the page that follows req.Cursor, or the first page
	// from req.Since when req.Cursor is nil. It must not emit or save
	// anything: the runner does, after the page reached the sink.
	Fetch(ctx context.Context, req PageRequest) (*Page, error)
}

// Checker is implemented by modules that can verify access with one cheap
// authenticated call (`check` command). The string says what was verified.
type Checker interface {
	Check(ctx context.Context) (string, error)
}

// Preparer is implemented by modules that must learn, once per run, whether
// they may run at all (1Password token features). Returning an error
// wrapping ErrSkip skips the module with that message instead of failing.
type Preparer interface {
	Prepare(ctx context.Context) error
}

// ErrSkip marks a module that cannot run with these credentials; the run
// continues with the other modules and says why.
var ErrSkip = errors.New("module skipped")

// PageRequest says where to read from.
type PageRequest struct {
	// Cursor is the saved resume position; nil on a first run or in --all mode.
	Cursor json.RawMessage
	// Since is the lookback start for a first run or --all mode.
	Since time.Time
	// Now is the run's start time.
	Now time.Time
	// Page counts pages fetched by this module in this run, from 1.
	Page int
}

// Page is one API page, decoded. An answer that is not the documented
// shape must be an error from Fetch, not a Page with no records: the
// cursor would move past the events it stands for.
type Page struct {
	Records []Record
	// Next is the cursor to save once this page's records reached the sink.
	// It must let a later run resume exactly after this page. An empty
	// one (nil, null, "", {}, []) or invalid JSON fails the module with a
	// decode error before the page is delivered.
	Next json.RawMessage
	// More reports whether another page may follow right away; false ends
	// the module's run (caught up).
	More bool
	// Wait, when set, asks the runner to pause before the next page
	// (vendor pacing that is not a plain token bucket).
	Wait time.Duration
	// Note, when set, replaces the run summary's message: the module's
	// own state worth reporting (remaining request budget, clamps).
	Note string
}

// Record is one vendor event, kept as its raw JSON bytes.
type Record struct {
	// Raw is the vendor's JSON object, compact, fields untouched.
	Raw []byte
	// ID is the de-duplication key; "" disables de-duplication for it.
	ID string
	// EventType is added as "event_type" when the record has none.
	EventType string
	// Shape, when known (jsonrec.Item.Shape), spares the encoder a pass
	// over the record; the zero value is computed.
	Shape jsonrec.Shape
}
