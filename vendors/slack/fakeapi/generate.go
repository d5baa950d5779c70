package fakeapi

import (
	"encoding/json"
	"fmt"

	"github.com/wodlekit/wodlekit/runtime/wodletest/fakekit"
)

// Actions are the audit actions the fake generates, with weights: routine
// sign-ins and file activity mostly, and now and then what a SOC wants to
// see (role changes, exports, app installs, SSO and 2FA changes,
// anomalies). Names are Slack's, from its published action list.
var actions = []struct {
	name   string
	entity string
	weight int
}{
	{"user_login", "user", 30},
	{"user_logout", "user", 10},
	{"user_login_failed", "user", 6},
	{"file_downloaded", "file", 20},
	{"file_uploaded", "file", 8},
	{"file_public_link_created", "file", 2},
	{"user_channel_join", "channel", 8},
	{"public_channel_created", "channel", 3},
	{"private_channel_created", "channel", 2},
	{"role_change_to_admin", "user", 1},
	{"role_change_to_owner", "user", 1},
	{"owner_transferred", "user", 1},
	{"user_created", "user", 2},
	{"user_deactivated", "user", 2},
	{"user_session_invalidated", "user", 1},
	{"user_session_reset_by_admin", "user", 1},
	{"app_installed", "app", 2},
	{"app_scopes_expanded", "app", 1},
	{"app_approved", "app", 1},
	{"manual_export_started", "workspace", 1},
	{"manual_export_downloaded", "workspace", 1},
	{"corporate_exports_enabled", "workspace", 1},
	{"pref.sso_setting_changed", "enterprise", 1},
	{"pref.two_factor_auth_changed", "enterprise", 1},
	{"pref.session_duration_changed", "enterprise", 1},
	{"anomaly", "user", 1},
}

type person struct{ id, name string }

var people = []person{
	{"W0A1B2C3D4", "amara.okafor"}, {"W1E2F3G4H5", "jonas.weber"}, {"W2J3K4L5M6", "mei.chen"},
	{"W3N4P5Q6R7", "lucas.silva"}, {"W4S5T6U7V8", "priya.nair"}, {"W5W6X7Y8Z9", "tomas.novak"},
}

var workspaces = []struct{ id, name, domain string }{
	{"T01ENG0001", "Engineering", "acme-eng"}, {"T02SAL0002", "Sales", "acme-sales"}, {"T03OPS0003", "Operations", "acme-ops"},
}

var files = []struct{ name, filetype string }{
	{"q3-forecast.xlsx", "xlsx"}, {"roadmap.pdf", "pdf"}, {"customer-list.csv", "csv"}, {"diagram.png", "png"}, {"contract-draft.docx", "docx"},
}

var channels = []string{"general", "incident-response", "finance-private", "eng-platform", "sales-emea"}

var apps = []struct {
	id, name string
	scopes   []string
}{
	{"A0SHEETSYNC", "SheetSync", []string{"files:read", "channels:history"}},
	{"A1STANDUPBT", "Standup Bot", []string{"chat:write", "users:read"}},
	{"A2EXPORTALL", "Export Everything", []string{"channels:history", "groups:history", "im:history", "files:read"}},
}

var agents = []string{
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
	"Slack/4.38.125 (darwin; arm64)",
	"com.tinyspeck.chatlyio/24.05.10 (iPhone; iOS 17.4.1; Scale/3.00)",
}

// gen draws the fake's entries from one seeded source.
type gen struct{ *fakekit.Gen }

func newGen(seed int64) *gen { return &gen{fakekit.NewGen(uint64(seed), 0x51ac4)} }

func pick[T any](g *gen, xs []T) T { return fakekit.Pick(g.Gen, xs) }

func (g *gen) ip() string {
	nets := []string{"198.51.100", "203.0.113", "192.0.2"}
	return fmt.Sprintf("%s.%d", pick(g, nets), 1+g.IntN(254))
}

func (g *gen) action() (name, entity string) {
	a := actions[g.Weighted(len(actions), func(i int) int { return actions[i].weight })]
	return a.name, a.entity
}

func userObj(p person) map[string]any {
	return map[string]any{"id": p.id, "name": p.name, "email": p.name + "@example.com", "team": "E0ACMEORG1"}
}

// entry generates one audit entry dated sec.
func (g *gen) entry(sec int64) (id string, raw []byte) {
	act, kind := g.action()
	return g.entryFor(sec, act, kind)
}

func (g *gen) entryFor(sec int64, act, kind string) (id string, raw []byte) {
	id = g.UUID()
	actor := pick(g, people)
	ws := pick(g, workspaces)
	entity := map[string]any{"type": kind}
	var details map[string]any
	switch kind {
	case "user":
		entity["user"] = userObj(pick(g, people))
		if act == "user_login" || act == "user_logout" || act == "user_login_failed" {
			entity["user"] = userObj(actor)
		}
	case "file":
		f := pick(g, files)
		entity["file"] = map[string]any{"id": fmt.Sprintf("F%09d", g.IntN(1e9)), "name": f.name, "filetype": f.filetype, "title": f.name}
	case "channel":
		entity["channel"] = map[string]any{"id": fmt.Sprintf("C%09d", g.IntN(1e9)), "name": pick(g, channels), "privacy": pick(g, []string{"public", "private"}), "is_shared": false, "is_org_shared": g.IntN(2) == 0}
	case "app":
		a := pick(g, apps)
		entity["app"] = map[string]any{"id": a.id, "name": a.name, "is_distributed": false, "is_directory_approved": false, "is_workflow_app": false, "scopes": a.scopes}
		if act == "app_scopes_expanded" {
			details = map[string]any{"new_scopes": a.scopes, "previous_scopes": a.scopes[:1]}
		}
	case "workspace":
		entity["workspace"] = map[string]any{"id": ws.id, "name": ws.name, "domain": ws.domain}
		if act == "manual_export_started" || act == "manual_export_downloaded" {
			details = map[string]any{"export_type": pick(g, []string{"standard", "corporate"}), "export_start_ts": sec - 90*86400, "export_end_ts": sec}
		}
	case "enterprise":
		entity["enterprise"] = map[string]any{"id": "E0ACMEORG1", "name": "Acme Corp", "domain": "acme"}
		switch act {
		case "pref.sso_setting_changed":
			details = map[string]any{"previous_value": "required", "new_value": "optional"}
		case "pref.two_factor_auth_changed":
			details = map[string]any{"previous_value": "required", "new_value": "not_required"}
		default:
			details = map[string]any{"previous_value": "720", "new_value": "10080"}
		}
	}
	switch act {
	case "role_change_to_admin", "role_change_to_owner":
		details = map[string]any{"previous_role": "user", "new_role": act[len("role_change_to_"):]}
	case "anomaly":
		details = map[string]any{"action_timestamp": sec * 1000, "location": pick(g, []string{"Lagos, NG", "Ashburn, US", "Frankfurt, DE"}),
			"reason": []string{pick(g, []string{"asn", "tor", "ip_address", "session_fingerprint", "excessive_downloads"})}}
	case "user_login_failed":
		details = map[string]any{"type": pick(g, []string{"password", "sso", "two_factor"})}
	}
	rec := map[string]any{
		"id":          id,
		"date_create": sec,
		"action":      act,
		"actor":       map[string]any{"type": "user", "user": userObj(actor)},
		"entity":      entity,
		"context": map[string]any{
			"location":   map[string]any{"type": "workspace", "id": ws.id, "name": ws.name, "domain": ws.domain},
			"ua":         pick(g, agents),
			"ip_address": g.ip(),
			"session_id": 1_600_000_000_000 + g.Int64N(1e11),
		},
	}
	if details != nil {
		rec["details"] = details
	}
	b, err := json.Marshal(rec)
	if err != nil {
		panic(fmt.Sprintf("fakeapi: encode entry: %v", err)) // maps of plain values
	}
	return id, b
}
