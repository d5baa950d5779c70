package fakeapi

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/wodlekit/wodlekit/runtime/wodletest/fakekit"
)

// Param is one event parameter: Name and one of its value kinds, as
// Google sends them (intValue as a string).
type Param struct {
	Name  string
	Value string
	Int   int64
	Bool  *bool
	Multi []string
}

func (p Param) json() json.RawMessage {
	switch {
	case p.Bool != nil:
		return fakekit.Object("name", p.Name, "boolValue", *p.Bool)
	case p.Multi != nil:
		return fakekit.Object("name", p.Name, "multiValue", p.Multi)
	case p.Value == "" && p.Int != 0:
		return fakekit.Object("name", p.Name, "intValue", strconv.FormatInt(p.Int, 10))
	}
	return fakekit.Object("name", p.Name, "value", p.Value)
}

// BoolParam is a boolValue parameter.
func BoolParam(name string, v bool) Param { return Param{Name: name, Bool: &v} }

// event is one kind of event an application logs: its type, name and
// parameters drawn from the generator.
type event struct {
	typ, name string
	weight    int
	params    func(a *API) []Param
}

var (
	users   = []string{"alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com", "erin@example.com"}
	ips     = []string{"203.0.113.10", "203.0.113.77", "198.51.100.23", "192.0.2.146", "2001:db8::5"}
	apps    = []string{"Acme CRM", "Zapier", "Slack Bot for Calendar", "Unknown Mail Sync"}
	scopes  = []string{"https://www.googleapis.com/auth/drive", "https://mail.google.com/", "https://www.googleapis.com/auth/calendar.readonly", "openid"}
	samlApp = []string{"Acme HR", "Expense Portal", "AWS SSO"}
	files   = []string{"Q3 board deck", "Payroll 2026.xlsx", "Customer list", "Roadmap"}
)

// catalogue lists, per application, the events the fake generates.
var catalogue = map[string][]event{
	"login": {
		{"login", "login_success", 12, func(a *API) []Param {
			return []Param{{Name: "login_type", Value: "google_password"}, {Name: "login_challenge_method", Multi: []string{"password", "totp"}}, BoolParam("is_suspicious", false)}
		}},
		{"login", "login_failure", 4, func(a *API) []Param {
			return []Param{{Name: "login_type", Value: "google_password"}, {Name: "login_failure_type", Value: "login_failure_invalid_password"}, BoolParam("is_suspicious", false)}
		}},
		{"login", "login_challenge", 2, func(a *API) []Param {
			return []Param{{Name: "login_challenge_method", Multi: []string{"idv_any_phone"}}, {Name: "login_challenge_status", Value: "Challenge Failed"}}
		}},
		{"login", "logout", 3, nil},
		{"account_warning", "suspicious_login", 1, func(a *API) []Param {
			return []Param{{Name: "affected_email_address", Value: fakekit.Pick(a.gen, users)}}
		}},
		{"attack_warning", "gov_attack_warning", 1, func(a *API) []Param {
			return []Param{{Name: "affected_email_address", Value: fakekit.Pick(a.gen, users)}}
		}},
	},
	"admin": {
		{"USER_SETTINGS", "CREATE_USER", 3, func(a *API) []Param { return []Param{{Name: "USER_EMAIL", Value: fakekit.Pick(a.gen, users)}} }},
		{"USER_SETTINGS", "SUSPEND_USER", 2, func(a *API) []Param { return []Param{{Name: "USER_EMAIL", Value: fakekit.Pick(a.gen, users)}} }},
		{"USER_SETTINGS", "CHANGE_PASSWORD", 3, func(a *API) []Param { return []Param{{Name: "USER_EMAIL", Value: fakekit.Pick(a.gen, users)}} }},
		{"USER_SETTINGS", "GRANT_ADMIN_PRIVILEGE", 1, func(a *API) []Param { return []Param{{Name: "USER_EMAIL", Value: fakekit.Pick(a.gen, users)}} }},
		{"DELEGATED_ADMIN_SETTINGS", "ASSIGN_ROLE", 1, func(a *API) []Param {
			return []Param{{Name: "USER_EMAIL", Value: fakekit.Pick(a.gen, users)}, {Name: "ROLE_NAME", Value: fakekit.Pick(a.gen, []string{"_SEED_ADMIN_ROLE", "Help Desk Admin", "User Management Admin"})}, {Name: "ROLE_ID", Int: 12345678901234567}}
		}},
		{"APPLICATION_SETTINGS", "CHANGE_APPLICATION_SETTING", 3, func(a *API) []Param {
			return []Param{{Name: "APPLICATION_NAME", Value: "Gmail"}, {Name: "SETTING_NAME", Value: "ENABLE_EXTERNAL_FORWARDING"}, {Name: "OLD_VALUE", Value: "false"}, {Name: "NEW_VALUE", Value: "true"}}
		}},
		{"SECURITY_SETTINGS", "AUTHORIZE_API_CLIENT_ACCESS", 1, func(a *API) []Param {
			return []Param{{Name: "API_CLIENT_NAME", Value: "100000000000000000099"}, {Name: "API_SCOPES", Multi: []string{"https://mail.google.com/"}}}
		}},
	},
	"token": {
		{"auth", "authorize", 6, func(a *API) []Param {
			return []Param{{Name: "client_id", Value: "1234567890-abc.apps.googleusercontent.com"}, {Name: "app_name", Value: fakekit.Pick(a.gen, apps)},
				{Name: "scope", Multi: []string{fakekit.Pick(a.gen, scopes), "openid"}}, {Name: "client_type", Value: "WEB"}}
		}},
		{"auth", "revoke", 2, func(a *API) []Param {
			return []Param{{Name: "client_id", Value: "1234567890-abc.apps.googleusercontent.com"}, {Name: "app_name", Value: fakekit.Pick(a.gen, apps)}}
		}},
		{"auth", "request", 4, func(a *API) []Param {
			return []Param{{Name: "client_id", Value: "1234567890-abc.apps.googleusercontent.com"}, {Name: "app_name", Value: fakekit.Pick(a.gen, apps)}}
		}},
	},
	"saml": {
		{"login", "login_success", 8, func(a *API) []Param {
			return []Param{{Name: "application_name", Value: fakekit.Pick(a.gen, samlApp)}, {Name: "initiated_by", Value: "sp"}, {Name: "orgunit_path", Value: "/Staff"}}
		}},
		{"login", "login_failure", 2, func(a *API) []Param {
			return []Param{{Name: "application_name", Value: fakekit.Pick(a.gen, samlApp)}, {Name: "failure_type", Value: "failure_app_not_configured_for_user"}, {Name: "initiated_by", Value: "idp"}}
		}},
	},
	"drive": {
		{"access", "view", 10, func(a *API) []Param { return driveParams(a, "private") }},
		{"access", "edit", 5, func(a *API) []Param { return driveParams(a, "shared_internally") }},
		{"access", "download", 3, func(a *API) []Param { return driveParams(a, "shared_internally") }},
		{"acl_change", "change_document_visibility", 1, func(a *API) []Param {
			return append(driveParams(a, "people_with_link"), Param{Name: "old_visibility", Value: "private"}, Param{Name: "new_visibility", Value: fakekit.Pick(a.gen, []string{"people_with_link", "public_on_the_web"})})
		}},
		{"acl_change", "change_user_access", 2, func(a *API) []Param {
			return append(driveParams(a, "shared_externally"), Param{Name: "target_user", Value: "partner@external.example"}, Param{Name: "new_value", Multi: []string{"can_edit"}})
		}},
	},
	"user_accounts": {
		{"password_change", "password_edit", 4, nil},
		{"2sv_change", "2sv_enroll", 2, nil},
		{"2sv_change", "2sv_disable", 1, nil},
		{"recovery_info_change", "recovery_email_edit", 1, nil},
	},
	"groups": {
		{"user_change", "add_user", 4, func(a *API) []Param { return groupParams(a) }},
		{"user_change", "remove_user", 2, func(a *API) []Param { return groupParams(a) }},
		{"acl_change", "change_acl_permission", 1, func(a *API) []Param {
			return append(groupParams(a), Param{Name: "acl_permission", Value: "can_view_members"}, Param{Name: "new_value_repeated", Multi: []string{"ALL_IN_DOMAIN_CAN_DO"}})
		}},
	},
}

func driveParams(a *API, vis string) []Param {
	return []Param{{Name: "doc_id", Value: a.gen.Chars("1", fakekit.AlphaNum, 33)}, {Name: "doc_title", Value: fakekit.Pick(a.gen, files)},
		{Name: "doc_type", Value: "document"}, {Name: "owner", Value: fakekit.Pick(a.gen, users)}, {Name: "visibility", Value: vis}, BoolParam("billable", true)}
}

func groupParams(a *API) []Param {
	return []Param{{Name: "group_email", Value: fakekit.Pick(a.gen, []string{"sales@example.com", "eng@example.com", "all@example.com"})}, {Name: "user_email", Value: fakekit.Pick(a.gen, users)}}
}

// activity generates one activity of app at ts.
func (a *API) activity(app string, ts time.Time) []byte {
	evs := catalogue[app]
	e := evs[a.gen.Weighted(len(evs), func(i int) int { return evs[i].weight })]
	var params []Param
	if e.params != nil {
		params = e.params(a)
	}
	return a.build(app, ts, "", e.typ, e.name, params)
}

// build assembles one activity as the API serves it.
func (a *API) build(app string, ts time.Time, _ string, typ, name string, params []Param) []byte {
	uq := strconv.FormatInt(int64(a.gen.Uint64()), 10) // negative half the time, as Google's
	var uqv any = uq
	if a.gen.IntN(5) == 0 {
		// Older answers (and other collectors' fixtures) carry the int64
		// as a number.
		uqv = json.Number(uq)
	}
	actor := fakekit.Object("callerType", "USER", "email", fakekit.Pick(a.gen, users), "profileId", "1"+a.gen.Chars("", "0123456789", 20))
	ev := []any{"type", typ, "name", name}
	if len(params) > 0 {
		ps := make([]json.RawMessage, len(params))
		for i, p := range params {
			ps[i] = p.json()
		}
		ev = append(ev, "parameters", ps)
	}
	return fakekit.Object("kind", "admin#reports#activity",
		"id", fakekit.Object("time", stamp(ts), "uniqueQualifier", uqv, "applicationName", app, "customerId", "C03az79cb"),
		"etag", `"`+a.gen.Chars("", fakekit.AlphaNum, 27)+`"`,
		"actor", actor, "ownerDomain", "example.com", "ipAddress", fakekit.Pick(a.gen, ips),
		"events", []any{fakekit.Object(ev...)})
}
