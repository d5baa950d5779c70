// Package proofpointtap collects Proofpoint Targeted Attack Protection
// (TAP): the SIEM API's clicks and messages ("siem") and the People API's
// Very Attacked People report ("people").
package proofpointtap

import (
	"errors"
	"fmt"
	"time"

	"github.com/wodlekit/wodlekit/runtime/auth"
	"github.com/wodlekit/wodlekit/runtime/httpx"
	"github.com/wodlekit/wodlekit/runtime/runner"
)

// Secret keys of the TAP service credential (TAP dashboard: Settings >
// Connected Applications).
const (
	PrincipalKey = "TAP_PRINCIPAL"
	SecretKey    = "TAP_SECRET"
)

// Name is the integration value, event namespace and state name.
const Name = "proofpoint_tap"

// maxAge is how far back TAP's SIEM API answers ("up to 7.00d").
const maxAge = 7 * 24 * time.Hour

// Settings are the TAP-specific settings, read under the TAP_ prefix.
type Settings struct {
	Overlap             time.Duration `env:"OVERLAP, default=30m" help:"How much of the already collected SIEM time each run queries again: TAP indexes events up to about 30 minutes late and re-issues re-classified messages. Duplicates are dropped by event ID."`
	SafetyLag           time.Duration `env:"SAFETY_LAG, default=2m" help:"The SIEM window ends this long before now: TAP rejects intervals that end in the future and the newest minute is still being written."`
	PeopleWindowDays    int           `env:"PEOPLE_WINDOW_DAYS, default=30" help:"Very Attacked People report window in days: 14, 30 or 90."`
	PeoplePeriod        time.Duration `env:"PEOPLE_PERIOD, default=24h" help:"Collect the Very Attacked People report at most this often (it is a snapshot, and the People API allows 50 requests a day); 0 collects it every run."`
	SIEMDailyBudget     int           `env:"SIEM_DAILY_BUDGET, default=1800" help:"SIEM API requests the credential may make per rolling 24 hours (TAP: 1800, shared by every SIEM endpoint)."`
	PeopleDailyBudget   int           `env:"PEOPLE_DAILY_BUDGET, default=50" help:"People API requests the credential may make per rolling 24 hours (TAP: 50)."`
	BudgetMarginPercent int           `env:"BUDGET_MARGIN_PERCENT, default=10" help:"Part of each daily budget left unused, in percent: room for other tools using the same credential and for the check command."`
}

// Validate reports every invalid setting at once.
func (s *Settings) Validate() error {
	var errs []error
	if s.Overlap < 0 || s.Overlap > 24*time.Hour {
		errs = append(errs, fmt.Errorf("TAP_OVERLAP must be between 0 and 24h, got %s", s.Overlap))
	}
	if s.SafetyLag < 0 || s.SafetyLag > time.Hour {
		errs = append(errs, fmt.Errorf("TAP_SAFETY_LAG must be between 0 and 1h, got %s", s.SafetyLag))
	}
	switch s.PeopleWindowDays {
	case 14, 30, 90:
	default:
		errs = append(errs, fmt.Errorf("TAP_PEOPLE_WINDOW_DAYS must be 14, 30 or 90 (the windows TAP offers), got %d", s.PeopleWindowDays))
	}
	if s.PeoplePeriod < 0 {
		errs = append(errs, fmt.Errorf("TAP_PEOPLE_PERIOD must not be negative, got %s", s.PeoplePeriod))
	}
	if s.SIEMDailyBudget < 1 {
		errs = append(errs, fmt.Errorf("TAP_SIEM_DAILY_BUDGET must be at least 1, got %d", s.SIEMDailyBudget))
	}
	if s.PeopleDailyBudget < 1 {
		errs = append(errs, fmt.Errorf("TAP_PEOPLE_DAILY_BUDGET must be at least 1, got %d", s.PeopleDailyBudget))
	}
	if s.BudgetMarginPercent < 0 || s.BudgetMarginPercent > 90 {
		errs = append(errs, fmt.Errorf("TAP_BUDGET_MARGIN_PERCENT must be between 0 and 90, got %d", s.BudgetMarginPercent))
	}
	return errors.Join(errs...)
}

// usable is the part of a daily budget a run may spend.
func (s *Settings) usable(budget int) int {
	return max(1, budget-budget*s.BudgetMarginPercent/100)
}

// New describes the Proofpoint TAP vendor to the runtime.
func New() runner.Vendor {
	return runner.Vendor{
		Name:           Name,
		Title:          "Proofpoint TAP",
		Description:    "clicks and messages from the Proofpoint TAP SIEM API and the Very Attacked People report",
		EnvPrefix:      "TAP_",
		DefaultBaseURL: "https://tap-api-v2.proofpoint.com",
		AllowedHosts:   []string{"tap-api-v2.proofpoint.com"},
		MaxLookback:    maxAge,
		// The People API's largest page; the SIEM API has no paging.
		MaxPageSize: 1000,
		// The SIEM overlap replays up to TAP_OVERLAP of events each run; the
		// window must hold at least that many IDs, and a VAP report's users.
		DedupWindow: 20000,
		Secrets: []runner.SecretSpec{
			{Key: PrincipalKey, Help: "TAP service principal (TAP dashboard: Settings > Connected Applications)."},
			{Key: SecretKey, Help: "TAP service secret of that principal."},
		},
		Settings: &Settings{},
		// No per-minute limit is documented; the daily budgets are enforced
		// by the modules from the request ledger kept in their cursors.
		RequestsPerMinute: 0,
		// A TAP 429 means the rolling 24-hour budget is spent and carries no
		// hint: retrying quickly cannot help, so wait a long floor.
		RetryFloor: time.Minute,
		Auth: func(env *runner.Env) (httpx.Authenticator, error) {
			return basic(env), nil
		},
		Modules: func(env *runner.Env) ([]runner.Module, error) {
			s, err := runner.SettingsOf[Settings](env)
			if err != nil {
				return nil, err
			}
			return []runner.Module{newSIEM(env, s), newPeople(env, s)}, nil
		},
	}
}

func basic(env *runner.Env) auth.Basic {
	p, _ := env.Secrets.Get(PrincipalKey)
	s, _ := env.Secrets.Get(SecretKey)
	return auth.Basic{User: p, Password: s}
}
