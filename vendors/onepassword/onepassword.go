// Package onepassword collects the 1Password Events API: sign-in attempts,
// item usages and audit events, each a module with its own cursor.
package onepassword

import (
	"time"

	"github.com/wodlekit/wodlekit/runtime/auth"
	"github.com/wodlekit/wodlekit/runtime/httpx"
	"github.com/wodlekit/wodlekit/runtime/runner"
)

// TokenKey is the secret key of the Events API bearer token.
const TokenKey = "OP_EVENTS_TOKEN"

// New describes the 1Password vendor to the runtime.
func New() runner.Vendor {
	return runner.Vendor{
		Name:           "onepassword",
		Title:          "1Password",
		Description:    "sign-in attempts, item usages and audit events from the 1Password Events API",
		EnvPrefix:      "OP_",
		DefaultBaseURL: "https://events.1password.com",
		// One host per region; a typo'd host would otherwise fail only at
		// DNS time, or worse, reach somebody else.
		AllowedHosts: []string{"events.1password.com", "events.ent.1password.com", "events.1password.ca", "events.1password.eu"},
		MaxLookback:  120 * 24 * time.Hour,
		MaxPageSize:  1000,
		// A cursor API replays at most the page in flight: two pages of IDs
		// cover it with room to spare.
		DedupWindow: 2000,
		Secrets: []runner.SecretSpec{{Key: TokenKey,
			Help: "Events API bearer token (1Password: Integrations > Events Reporting)."}},
		// 600 requests per minute and 30,000 per hour per account, shared
		// by every token.
		RequestsPerMinute: 600,
		RequestsPerHour:   30000,
		// A page costs one request of 600 a minute: fetching the next one
		// while this one is delivered is cheap and halves the wall time.
		Prefetch: true,
		// 1Password's 429 carries no Retry-After; its windows are a minute
		// and an hour, so a short floor would only hammer it.
		RetryFloor: 30 * time.Second,
		Auth: func(env *runner.Env) (httpx.Authenticator, error) {
			tok, _ := env.Secrets.Get(TokenKey)
			return auth.Bearer(tok), nil
		},
		Modules: func(env *runner.Env) ([]runner.Module, error) {
			c := newClient(env)
			return []runner.Module{
				&stream{c: c, name: "signinattempts", eventType: "signin_attempt"},
				&stream{c: c, name: "itemusages", eventType: "item_usage"},
				&stream{c: c, name: "auditevents", eventType: "audit_event"},
			}, nil
		},
	}
}
