package fakeapi

import (
	"fmt"
	"strings"
	"time"

	"github.com/wodlekit/wodlekit/runtime/wodletest/fakekit"
)

// gen draws every generated value from one seeded source, so a fake with
// the same options serves the same bytes.
type gen struct{ r *fakekit.Gen }

func newGen(seed int64) *gen {
	return &gen{r: fakekit.NewGen(uint64(seed), 0x6475_6f66_616b_65)}
}

func (g *gen) pick(xs []string) string { return fakekit.Pick(g.r, xs) }

func (g *gen) uuid() string { return g.r.UUID() }

// key is a Duo object key: a two-letter kind and 18 upper-case characters.
func (g *gen) key(prefix string) string { return g.r.Chars(prefix, fakekit.UpperDigits, 20) }

type place struct{ City, State, Country string }

func (p place) loc() location { return location{City: p.City, Country: p.Country, State: p.State} }

var (
	people = []string{"amara.okafor", "bjorn.lindgren", "carmen.ruiz", "dev.patel", "elena.popescu",
		"farid.haddad", "grace.kim", "hugo.martin", "ingrid.solberg", "jamal.wright"}
	places = []place{{"Ann Arbor", "Michigan", "United States"}, {"Austin", "Texas", "United States"},
		{"Toronto", "Ontario", "Canada"}, {"Lyon", "Auvergne-Rhone-Alpes", "France"}, {"Leeds", "England", "United Kingdom"}}
	farPlaces = []place{{"Lagos", "Lagos", "Nigeria"}, {"Hanoi", "Hanoi", "Vietnam"}, {"Minsk", "Minsk", "Belarus"}}
	apps      = []string{"Corporate VPN", "Microsoft 365", "Okta SSO", "Jump Host SSH", "Workday"}
	browsers  = []struct{ Name, Version string }{{"Chrome", "124.0.6367.91"}, {"Firefox", "125.0.3"}, {"Safari", "17.4.1"}, {"Edge", "124.0.2478.80"}}
	systems   = []struct{ Name, Version string }{{"Mac OS X", "14.4.1"}, {"Windows", "10"}, {"iOS", "17.4.1"}, {"Linux", ""}}
)

func email(user string) string { return user + "@example.com" }

// ip draws a documentation address (RFC 5737), sometimes with the port
// Duo appends for some clients.
func (g *gen) ip() string {
	nets := []string{"192.0.2.", "198.51.100.", "203.0.113."}
	ip := g.pick(nets) + fmt.Sprint(1+g.r.IntN(254))
	if g.r.IntN(12) == 0 {
		ip += fmt.Sprintf(":%d", 1024+g.r.IntN(50000))
	}
	return ip
}

// outcome is one kind of authentication result and what the rules make of it.
type outcome struct {
	result, reason, factor string
	weight                 int
	far                    bool   // from an unusual country
	trust                  string // adaptive trust assessment reason, "" for normal
}

// outcomes cover the results and reasons the rules distinguish; weights
// keep successes the common case.
var outcomes = []outcome{
	{"success", "user_approved", "duo_push", 30, false, ""},
	{"success", "valid_passcode", "duo_mobile_passcode", 8, false, ""},
	{"success", "remembered_device", "remembered_device", 4, false, ""},
	{"success", "valid_passcode", "bypass_code", 2, false, ""},
	{"success", "user_approved", "duo_push", 2, true, "New Country"},
	{"success", "user_approved", "phone_call", 1, true, "Anonymous Network"},
	{"denied", "invalid_passcode", "passcode", 5, false, ""},
	{"denied", "no_response", "duo_push", 4, false, ""},
	{"denied", "user_cancelled", "duo_push", 2, false, ""},
	{"denied", "locked_out", "n/a", 2, false, ""},
	{"denied", "denied_by_policy", "n/a", 2, false, ""},
	{"denied", "anonymous_ip", "n/a", 1, true, ""},
	{"denied", "location_restricted", "n/a", 1, true, ""},
	{"denied", "user_disabled", "n/a", 1, false, ""},
	{"fraud", "user_marked_fraud", "duo_push", 1, true, ""},
	{"failure", "error", "phone_call", 1, false, ""},
}

func (g *gen) outcome() outcome {
	total := 0
	for _, o := range outcomes {
		total += o.weight
	}
	n := g.r.IntN(total)
	for _, o := range outcomes {
		if n < o.weight {
			return o
		}
		n -= o.weight
	}
	return outcomes[0]
}

type location struct {
	City    string `json:"city"`
	Country string `json:"country"`
	State   string `json:"state"`
}

type accessDevice struct {
	Browser             string   `json:"browser"`
	BrowserVersion      string   `json:"browser_version"`
	Epkey               *string  `json:"epkey"`
	FlashVersion        string   `json:"flash_version"`
	Hostname            *string  `json:"hostname"`
	IP                  string   `json:"ip"`
	IsEncryptionEnabled any      `json:"is_encryption_enabled"`
	IsFirewallEnabled   any      `json:"is_firewall_enabled"`
	IsPasswordSet       any      `json:"is_password_set"`
	JavaVersion         string   `json:"java_version"`
	Location            location `json:"location"`
	OS                  string   `json:"os"`
	OSVersion           string   `json:"os_version"`
	SecurityAgents      any      `json:"security_agents"`
}

type trustAssessment struct {
	Features      string `json:"features"`
	Model         string `json:"model"`
	PolicyEnabled bool   `json:"policy_enabled"`
	Reason        string `json:"reason"`
	TrustLevel    string `json:"trust_level"`
}

type authRecord struct {
	AccessDevice             accessDevice               `json:"access_device"`
	AdaptiveTrustAssessments map[string]trustAssessment `json:"adaptive_trust_assessments"`
	Alias                    string                     `json:"alias"`
	Application              struct {
		Key  string `json:"key"`
		Name string `json:"name"`
	} `json:"application"`
	AuthDevice struct {
		IP       *string  `json:"ip"`
		Key      string   `json:"key"`
		Location location `json:"location"`
		Name     string   `json:"name"`
	} `json:"auth_device"`
	Email                 string  `json:"email"`
	EventType             string  `json:"event_type"`
	Factor                string  `json:"factor"`
	ISOTimestamp          string  `json:"isotimestamp"`
	OODSoftware           *string `json:"ood_software"`
	Reason                string  `json:"reason"`
	Result                string  `json:"result"`
	Timestamp             int64   `json:"timestamp"`
	TrustedEndpointStatus string  `json:"trusted_endpoint_status"`
	Txid                  string  `json:"txid"`
	User                  struct {
		Groups []string `json:"groups"`
		Key    string   `json:"key"`
		Name   string   `json:"name"`
	} `json:"user"`
}

// polyBool is a device posture flag: Duo sends "unknown" when the client
// could not tell.
func (g *gen) polyBool() any {
	switch g.r.IntN(5) {
	case 0:
		return "unknown"
	case 1:
		return false
	}
	return true
}

// securityAgents takes every shape Duo has been seen to send.
func (g *gen) securityAgents() any {
	switch g.r.IntN(4) {
	case 0:
		return nil
	case 1:
		return []any{}
	case 2:
		return "unknown"
	}
	return []map[string]string{{"security_agent": "Cisco Secure Endpoint", "version": "8.2.3"}}
}

func isoMicros(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000000+00:00")
}

func (g *gen) authEvent(ms int64) (id string, raw []byte) {
	o := g.outcome()
	user := g.pick(people)
	p := places[g.r.IntN(len(places))]
	if o.far {
		p = farPlaces[g.r.IntN(len(farPlaces))]
	}
	b := browsers[g.r.IntN(len(browsers))]
	s := systems[g.r.IntN(len(systems))]
	var r authRecord
	r.AccessDevice = accessDevice{Browser: b.Name, BrowserVersion: b.Version, FlashVersion: "uninstalled", IP: g.ip(),
		IsEncryptionEnabled: g.polyBool(), IsFirewallEnabled: g.polyBool(), IsPasswordSet: g.polyBool(),
		JavaVersion: "uninstalled", Location: p.loc(), OS: s.Name, OSVersion: s.Version, SecurityAgents: g.securityAgents()}
	if g.r.IntN(3) == 0 {
		h := strings.ReplaceAll(user, ".", "-") + "-laptop"
		r.AccessDevice.Hostname = &h
	}
	trust := trustAssessment{Reason: "Normal level of trust; no detection of known attack pattern", TrustLevel: "NORMAL"}
	if o.trust != "" {
		trust = trustAssessment{Features: o.trust, Reason: o.trust, TrustLevel: "LOW"}
	}
	r.AdaptiveTrustAssessments = map[string]trustAssessment{"more_secure_auth": trust}
	r.Application.Key = g.key("DI")
	r.Application.Name = g.pick(apps)
	if o.factor == "duo_push" || o.factor == "phone_call" {
		dip := g.ip()
		r.AuthDevice.IP = &dip
		r.AuthDevice.Key = g.key("DP")
		r.AuthDevice.Location = p.loc()
		r.AuthDevice.Name = fmt.Sprintf("iPhone (+1 555-01%02d)", g.r.IntN(100))
	}
	r.Email = email(user)
	r.EventType = "authentication"
	if g.r.IntN(40) == 0 {
		r.EventType = "enrollment"
	}
	r.Factor = o.factor
	r.ISOTimestamp = isoMicros(ms)
	r.Reason = o.reason
	r.Result = o.result
	r.Timestamp = ms / 1000
	r.TrustedEndpointStatus = g.pick([]string{"trusted", "not trusted", "unknown"})
	r.Txid = g.uuid()
	r.User.Groups = []string{"Duo Users", g.pick([]string{"Engineering", "Finance", "Support"})}
	r.User.Key = g.key("DU")
	r.User.Name = email(user)
	return r.Txid, fakekit.Marshal(r)
}

type adminAction struct {
	action string
	object func(g *gen) string
	desc   func(g *gen) any
}

var adminActions = []adminAction{
	{"admin_login", func(*gen) string { return "" }, func(g *gen) any {
		return map[string]string{"ip_address": g.ip(), "device": "+1 555-0100", "factor": "push", "primary_auth_method": "Password"}
	}},
	{"admin_create", func(g *gen) string { return g.pick(people) }, func(g *gen) any {
		return map[string]string{"name": g.pick(people), "email": email(g.pick(people)), "role": g.pick([]string{"Help Desk", "Administrator", "Owner"})}
	}},
	{"admin_update", func(g *gen) string { return g.pick(people) }, func(g *gen) any {
		return map[string]string{"role": g.pick([]string{"Administrator", "Owner", "Read-only"})}
	}},
	{"admin_delete", func(g *gen) string { return g.pick(people) }, func(*gen) any { return map[string]string{} }},
	{"integration_create", func(g *gen) string { return g.pick(apps) }, func(g *gen) any {
		return map[string]string{"name": g.pick(apps), "type": g.pick([]string{"Admin API", "Auth API", "Microsoft RDP"})}
	}},
	{"integration_skey_view", func(g *gen) string { return g.pick(apps) }, func(*gen) any { return map[string]string{} }},
	{"policy_update", func(*gen) string { return "Global Policy" }, func(g *gen) any {
		return map[string]string{"new_user_policy": g.pick([]string{"Deny access", "Allow access without 2FA", "Require enrollment"})}
	}},
	{"user_update", func(g *gen) string { return email(g.pick(people)) }, func(*gen) any { return map[string]string{"status": "Active"} }},
	{"bypass_create", func(g *gen) string { return email(g.pick(people)) }, func(*gen) any {
		return map[string]any{"bypass": "", "count": 1, "valid_secs": 3600, "remaining_uses": 1}
	}},
}

type adminRecord struct {
	Action       string `json:"action"`
	Description  string `json:"description"`
	ISOTimestamp string `json:"isotimestamp"`
	Object       string `json:"object"`
	Timestamp    int64  `json:"timestamp"`
	Username     string `json:"username"`
}

func (g *gen) adminEvent(ms int64) (id string, raw []byte) {
	a := adminActions[g.r.IntN(len(adminActions))]
	r := adminRecord{Action: a.action, Object: a.object(g), Timestamp: ms / 1000, Username: displayName(g.pick(people)),
		ISOTimestamp: time.Unix(ms/1000, 0).UTC().Format("2006-01-02T15:04:05+00:00")}
	// Duo sends description as a JSON document inside a string.
	r.Description = string(fakekit.Marshal(a.desc(g)))
	return fmt.Sprintf("%d-%s-%s", ms, a.action, g.uuid()), fakekit.Marshal(r)
}

type telephonyRecord struct {
	Context     string `json:"context"`
	Credits     int    `json:"credits"`
	Phone       string `json:"phone"`
	TelephonyID string `json:"telephony_id"`
	TS          string `json:"ts"`
	Txid        string `json:"txid"`
	Type        string `json:"type"`
}

func (g *gen) telephonyEvent(ms int64) (id string, raw []byte) {
	typ := g.pick([]string{"sms", "phone", "sms"})
	credits := 1
	if typ == "phone" {
		credits = 2
	}
	if g.r.IntN(25) == 0 {
		credits = 20 + g.r.IntN(30) // an international call: the toll-fraud pattern
	}
	r := telephonyRecord{Context: g.pick([]string{"authentication", "enrollment", "administrator login"}), Credits: credits,
		Phone: fmt.Sprintf("+1555010%04d", g.r.IntN(10000)), TelephonyID: g.uuid(), TS: isoMicros(ms), Txid: g.uuid(), Type: typ}
	return r.TelephonyID, fakekit.Marshal(r)
}

type named struct {
	Key  string `json:"key"`
	Name string `json:"name"`
	Type string `json:"type"`
}

type actor struct {
	Details string `json:"details"`
	Key     string `json:"key"`
	Name    string `json:"name"`
	Type    string `json:"type"`
}

type activityRecord struct {
	AccessDevice struct {
		Browser        string            `json:"browser"`
		BrowserVersion string            `json:"browser_version"`
		IP             map[string]string `json:"ip"`
		Location       location          `json:"location"`
		OS             string            `json:"os"`
		OSVersion      string            `json:"os_version"`
	} `json:"access_device"`
	Action struct {
		Details *string `json:"details"`
		Name    string  `json:"name"`
	} `json:"action"`
	ActivityID  string            `json:"activity_id"`
	Actor       actor             `json:"actor"`
	Akey        string            `json:"akey"`
	Application named             `json:"application"`
	OldTarget   *actor            `json:"old_target"`
	Outcome     map[string]string `json:"outcome"`
	Target      actor             `json:"target"`
	TS          string            `json:"ts"`
}

func (g *gen) activityEvent(ms int64) (id string, raw []byte) {
	var r activityRecord
	b := browsers[g.r.IntN(len(browsers))]
	s := systems[g.r.IntN(len(systems))]
	r.AccessDevice.Browser, r.AccessDevice.BrowserVersion = b.Name, b.Version
	r.AccessDevice.IP = map[string]string{"address": g.ip()}
	r.AccessDevice.Location = places[g.r.IntN(len(places))].loc()
	r.AccessDevice.OS, r.AccessDevice.OSVersion = s.Name, s.Version
	r.Action.Name = g.pick([]string{"admin_login", "user_update", "phone_activate", "integration_update", "admin_factor_restrictions_update"})
	r.ActivityID = g.uuid()
	who := g.pick(people)
	r.Actor = actor{Details: string(fakekit.Marshal(map[string]string{"email": email(who), "role": "Administrator"})), Key: g.key("DE"), Name: email(who), Type: "admin"}
	r.Akey = g.key("DA")
	r.Application = named{Key: g.key("DI"), Name: "Duo Admin Panel", Type: "Admin Panel"}
	r.Outcome = map[string]string{"result": g.pick([]string{"SUCCESS", "SUCCESS", "SUCCESS", "FAILURE"})}
	target := g.pick(people)
	r.Target = actor{Details: string(fakekit.Marshal(map[string]string{"status": "active"})), Key: g.key("DU"), Name: email(target), Type: "user"}
	r.TS = isoMicros(ms)
	return r.ActivityID, fakekit.Marshal(r)
}

// displayName turns "amara.okafor" into "Amara Okafor", as Duo shows admins.
func displayName(user string) string {
	parts := strings.Split(user, ".")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, " ")
}
