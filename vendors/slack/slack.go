// Package slack collects the Slack Audit Logs API (Enterprise
// organizations): one module, "logs", that sweeps the newest-first log
// from its high-water mark to now and moves the mark only once a sweep is
// complete.
package slack

import (
	"fmt"
	"strings"
	"time"

	"github.com/wodlekit/wodlekit/runtime/auth"
	"github.com/wodlekit/wodlekit/runtime/httpx"
	"github.com/wodlekit/wodlekit/runtime/runner"
)

// TokenKey is the secret key of the org owner's user token.
const TokenKey = "SLACK_TOKEN"

// Slack's documented limits.
const (
	// MaxLimit is the page size the collector asks for at most. Slack
	// accepts up to 9999; a thousand entries keep a page near a megabyte
	// and bound what a kill replays.
	MaxLimit = 1000
	// RequestsPerMinute paces the collector inside Slack's Tier 3 (about 50
	// calls a minute, counted for the whole organization, so shared with
	// any other audit consumer).
	RequestsPerMinute = 40
	// RetryFloor is the wait after a 429 without Retry-After (Slack sends
	// one; this is only the fallback): Tier 3 windows are a minute.
	RetryFloor = 20 * time.Second
	// MaxLookback: Slack keeps audit logs from March 2018 on and documents
	// no retention; a first run reaches back at most a year.
	MaxLookback = 365 * 24 * time.Hour
)

// New describes the Slack vendor to the runtime.
func New() runner.Vendor {
	return runner.Vendor{
		Name:           "slack",
		Title:          "Slack",
		Description:    "audit logs of a Slack Enterprise organization (Audit Logs API)",
		EnvPrefix:      "SLACK_",
		DefaultBaseURL: "https://api.slack.com",
		// The Audit Logs API has one host; anything else would receive the
		// org owner's token.
		AllowedHosts: []string{"api.slack.com"},
		MaxLookback:  MaxLookback,
		MaxPageSize:  MaxLimit,
		// The runner's recent-ID set only has to cover the page in flight
		// at a kill: the overlap at the high-water second is filtered with
		// the IDs the cursor keeps (see Cursor.EdgeIDs), because a sweep
		// delivers newest first and the set evicts its oldest entries,
		// which are the newest events.
		DedupWindow: 2 * MaxLimit,
		Secrets: []runner.SecretSpec{{Key: TokenKey,
			Help: "User token (xoxp-...) of an Enterprise organization owner, from an app with the auditlogs:read user scope installed on the organization."}},
		RequestsPerMinute: RequestsPerMinute,
		RetryFloor:        RetryFloor,
		Auth: func(env *runner.Env) (httpx.Authenticator, error) {
			tok, _ := env.Secrets.Get(TokenKey)
			if err := checkTokenType(tok.Reveal()); err != nil {
				return nil, err
			}
			return auth.Bearer(tok), nil
		},
		Modules: func(env *runner.Env) ([]runner.Module, error) {
			return []runner.Module{&logs{env: env}}, nil
		},
	}
}

// checkTokenType refuses the token kinds Slack refuses on this API, before
// any call: a bot or app-level token only earns not_allowed_token_type.
func checkTokenType(tok string) error {
	for _, p := range []struct{ prefix, kind string }{{"xoxb-", "a bot token"}, {"xapp-", "an app-level token"}} {
		if strings.HasPrefix(tok, p.prefix) {
			return fmt.Errorf("%s is %s (%s...); the Audit Logs API takes only the user token (xoxp-...) an organization owner gets when installing the app on the organization", TokenKey, p.kind, p.prefix)
		}
	}
	return nil
}
