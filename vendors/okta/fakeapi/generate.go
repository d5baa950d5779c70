package fakeapi

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/wodlekit/wodlekit/runtime/wodletest/fakekit"
)

// The generated events follow the System Log's LogEvent shape; the field
// order is the one Okta's API answers with. Everything in them (people,
// addresses, IDs) is invented for this project.

type actor struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	AlternateID string `json:"alternateId"`
	DisplayName string `json:"displayName"`
	DetailEntry any    `json:"detailEntry"`
}

type userAgent struct {
	RawUserAgent string `json:"rawUserAgent"`
	OS           string `json:"os"`
	Browser      string `json:"browser"`
}

type geolocation struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

type geo struct {
	City        string       `json:"city"`
	State       string       `json:"state"`
	Country     string       `json:"country"`
	PostalCode  string       `json:"postalCode"`
	Geolocation *geolocation `json:"geolocation"`
}

type client struct {
	UserAgent           *userAgent `json:"userAgent"`
	Zone                string     `json:"zone"`
	Device              string     `json:"device"`
	ID                  any        `json:"id"`
	IPAddress           string     `json:"ipAddress"`
	GeographicalContext *geo       `json:"geographicalContext"`
}

type authContext struct {
	AuthenticationProvider any    `json:"authenticationProvider"`
	CredentialProvider     any    `json:"credentialProvider"`
	CredentialType         any    `json:"credentialType"`
	Issuer                 any    `json:"issuer"`
	Interface              any    `json:"interface"`
	AuthenticationStep     int    `json:"authenticationStep"`
	RootSessionID          string `json:"rootSessionId"`
	ExternalSessionID      string `json:"externalSessionId"`
}

type outcome struct {
	Result string `json:"result"`
	Reason any    `json:"reason"`
}

type securityContext struct {
	AsNumber int    `json:"asNumber"`
	AsOrg    string `json:"asOrg"`
	ISP      string `json:"isp"`
	Domain   string `json:"domain"`
	IsProxy  bool   `json:"isProxy"`
}

type debugContext struct {
	DebugData map[string]string `json:"debugData"`
}

type transaction struct {
	Type   string            `json:"type"`
	ID     string            `json:"id"`
	Detail map[string]string `json:"detail"`
}

type ipEntry struct {
	IP                  string `json:"ip"`
	GeographicalContext *geo   `json:"geographicalContext"`
	Version             string `json:"version"`
	Source              any    `json:"source"`
}

type request struct {
	IPChain []ipEntry `json:"ipChain"`
}

type target struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	AlternateID string `json:"alternateId"`
	DisplayName string `json:"displayName"`
	DetailEntry any    `json:"detailEntry"`
}

// logEvent is one System Log event.
type logEvent struct {
	Actor                 actor           `json:"actor"`
	Client                client          `json:"client"`
	Device                any             `json:"device"`
	AuthenticationContext authContext     `json:"authenticationContext"`
	DisplayMessage        string          `json:"displayMessage"`
	EventType             string          `json:"eventType"`
	Outcome               outcome         `json:"outcome"`
	Published             string          `json:"published"`
	SecurityContext       securityContext `json:"securityContext"`
	Severity              string          `json:"severity"`
	DebugContext          debugContext    `json:"debugContext"`
	LegacyEventType       any             `json:"legacyEventType"`
	Transaction           transaction     `json:"transaction"`
	UUID                  string          `json:"uuid"`
	Version               string          `json:"version"`
	Request               request         `json:"request"`
	Target                []target        `json:"target"`
}

type person struct {
	first, last string
}

var people = []person{
	{"Amara", "Okonkwo"}, {"Bastian", "Krüger"}, {"Chen", "Wei"}, {"Dalia", "Haddad"},
	{"Eero", "Virtanen"}, {"Fatima", "Zahra"}, {"Gustavo", "Moreira"}, {"Hiroko", "Sato"},
	{"Isla", "McAllister"}, {"Jonas", "Lindgren"},
}

type place struct {
	city, state, country, postal string
	lat, lon                     float64
	asn                          int
	asOrg, isp                   string
}

var places = []place{
	{"Lisbon", "Lisbon", "Portugal", "1100-148", 38.7223, -9.1393, 64500, "example telecom pt", "Example Telecom"},
	{"Denver", "Colorado", "United States", "80202", 39.7392, -104.9903, 64501, "example cable", "Example Cable Co"},
	{"Toronto", "Ontario", "Canada", "M5H", 43.6532, -79.3832, 64502, "example fibre", "Example Fibre"},
	{"Osaka", "Osaka", "Japan", "530-0001", 34.6937, 135.5023, 64503, "example mobile jp", "Example Mobile"},
	{"Nairobi", "Nairobi County", "Kenya", "00100", -1.2921, 36.8219, 64504, "example net ke", "Example Net"},
}

var agents = []userAgent{
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "Windows 10", "CHROME"},
	{"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15", "Mac OS X", "SAFARI"},
	{"Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", "Linux", "FIREFOX"},
	{"OktaVerify/9.12.0 (iPhone; iOS 17.4.1)", "iOS", "UNKNOWN"},
}

// kind is one variant of event the generator cycles through: every rule
// of rules/okta has events to match in any backlog of a few dozen.
type kind struct {
	eventType, result, reason, severity, display string
	// behaviors marks Okta's risk behaviours in debugData (New Country, Velocity).
	behaviors string
	risk      string
	target    func(g *gen) []target
	system    bool // an event Okta itself causes: no client, literal "null"s
}

var kinds = []kind{
	{eventType: "user.session.start", result: "SUCCESS", severity: "INFO", display: "User login to Okta"},
	{eventType: "user.authentication.sso", result: "SUCCESS", severity: "INFO", display: "User single sign on to app", target: appTarget},
	{eventType: "user.session.start", result: "FAILURE", reason: "INVALID_CREDENTIALS", severity: "INFO", display: "User login to Okta"},
	{eventType: "user.authentication.auth_via_mfa", result: "SUCCESS", severity: "INFO", display: "Authentication of user via MFA"},
	{eventType: "user.authentication.auth_via_mfa", result: "FAILURE", reason: "INVALID_CREDENTIALS", severity: "INFO", display: "Authentication of user via MFA"},
	{eventType: "user.mfa.okta_verify.deny_push", result: "FAILURE", reason: "User rejected Okta push verify", severity: "WARN", display: "User rejected Okta push verify"},
	{eventType: "user.authentication.verify", result: "FAILURE", reason: "VERIFICATION_ERROR", severity: "INFO", display: "Verify user identity"},
	{eventType: "user.session.start", result: "SUCCESS", severity: "INFO", display: "User login to Okta", behaviors: "{New Geo-Location=POSITIVE, New Device=NEGATIVE, New IP=POSITIVE, New State=POSITIVE, New Country=POSITIVE, Velocity=POSITIVE, New City=POSITIVE}", risk: "{reasons=Anomalous Location, Impossible Travel, level=HIGH}"},
	{eventType: "user.account.lock", result: "SUCCESS", severity: "WARN", display: "Max sign in attempts exceeded", target: userTarget},
	{eventType: "user.mfa.factor.reset_all", result: "SUCCESS", severity: "INFO", display: "Reset all factors for user", target: userTarget},
	{eventType: "user.mfa.factor.deactivate", result: "SUCCESS", severity: "INFO", display: "Reset factor for user", target: userTarget},
	{eventType: "user.account.report_suspicious_activity_by_enduser", result: "SUCCESS", severity: "WARN", display: "User report suspicious activity", target: userTarget},
	{eventType: "security.threat.detected", result: "DENY", reason: "Password Spray", severity: "WARN", display: "Request from suspicious actor", system: true},
	{eventType: "user.account.privilege.grant", result: "SUCCESS", severity: "INFO", display: "Grant user privilege", target: roleTarget},
	{eventType: "system.api_token.create", result: "SUCCESS", severity: "INFO", display: "Create API token", target: tokenTarget},
	{eventType: "policy.lifecycle.update", result: "SUCCESS", severity: "INFO", display: "Update policy", target: policyTarget},
	{eventType: "policy.rule.update", result: "SUCCESS", severity: "INFO", display: "Update policy rule", target: policyTarget},
	{eventType: "zone.update", result: "SUCCESS", severity: "INFO", display: "Update network zone", target: zoneTarget},
	{eventType: "application.user_membership.add", result: "SUCCESS", severity: "INFO", display: "Add user to application membership", target: appUserTarget},
	{eventType: "application.user_membership.remove", result: "SUCCESS", severity: "INFO", display: "Remove user from application membership", target: appUserTarget},
	{eventType: "system.org.rate_limit.violation", result: "SUCCESS", severity: "WARN", display: "Rate limit violation", system: true},
	{eventType: "user.lifecycle.create", result: "SUCCESS", severity: "INFO", display: "Create Okta user", target: userTarget},
	{eventType: "policy.evaluate_sign_on", result: "ALLOW", severity: "INFO", display: "Evaluation of sign-on policy"},
	{eventType: "user.session.end", result: "SUCCESS", severity: "INFO", display: "User logout from Okta"},
}

// EventTypes lists the eventType values the generator produces, in the
// order it cycles through them.
func EventTypes() []string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = k.eventType
	}
	return out
}

// gen draws the parts of one event.
type gen struct {
	rng *fakekit.Gen
	i   int
}

func (g *gen) id(prefix string) string { return g.rng.Chars(prefix, fakekit.AlphaNum, 20) }

func (g *gen) uuid() string {
	var b [16]byte
	for i := range b {
		b[i] = byte(g.rng.IntN(256))
	}
	b[6] = b[6]&0x0f | 0x10 // Okta's uuids are time-based (version 1)
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func (g *gen) person() person { return people[g.rng.IntN(len(people))] }

func email(p person) string {
	return strings.ToLower(p.first) + "." + strings.ToLower(strings.ReplaceAll(p.last, "ü", "ue")) + "@example.com"
}

func userTarget(g *gen) []target {
	p := g.person()
	return []target{{ID: g.id("00u"), Type: "User", AlternateID: email(p), DisplayName: p.first + " " + p.last}}
}

func appTarget(g *gen) []target {
	apps := []string{"Example Wiki", "Example Payroll", "Example CRM"}
	a := apps[g.rng.IntN(len(apps))]
	return []target{{ID: g.id("0oa"), Type: "AppInstance", AlternateID: a, DisplayName: a}}
}

func appUserTarget(g *gen) []target {
	return append(appTarget(g), userTarget(g)...)
}

func roleTarget(g *gen) []target {
	roles := []string{"Super administrator", "Organization administrator", "Read-only administrator"}
	return append(userTarget(g), target{ID: g.id("ra1"), Type: "ROLE", AlternateID: "ROLE", DisplayName: roles[g.rng.IntN(len(roles))]})
}

func tokenTarget(g *gen) []target {
	return []target{{ID: g.id("00T"), Type: "Token", AlternateID: "unknown", DisplayName: "siem-export"}}
}

func policyTarget(g *gen) []target {
	return []target{{ID: g.id("00p"), Type: "PolicyEntity", AlternateID: "unknown", DisplayName: "Default Policy"}}
}

func zoneTarget(g *gen) []target {
	return []target{{ID: g.id("nzo"), Type: "NetworkZone", AlternateID: "unknown", DisplayName: "BlockedIpZone"}}
}

// GenerateEvent builds the i-th event at published time ts.
func GenerateEvent(i int, rng *fakekit.Gen, ts time.Time) []byte {
	g := &gen{rng: rng, i: i}
	k := kinds[i%len(kinds)]
	p := g.person()
	pl := places[g.rng.IntN(len(places))]
	if k.behaviors != "" {
		pl = places[3] // far from everyone's usual places
	}
	ip := fmt.Sprintf("203.0.113.%d", 1+g.rng.IntN(254))
	gc := &geo{City: pl.city, State: pl.state, Country: pl.country, PostalCode: pl.postal, Geolocation: &geolocation{Lat: pl.lat, Lon: pl.lon}}
	ua := agents[g.rng.IntN(len(agents))]
	ev := logEvent{
		Actor:                 actor{ID: g.id("00u"), Type: "User", AlternateID: email(p), DisplayName: p.first + " " + p.last},
		Client:                client{UserAgent: &ua, Zone: "null", Device: "Computer", IPAddress: ip, GeographicalContext: gc},
		AuthenticationContext: authContext{AuthenticationStep: 0, RootSessionID: g.id("102"), ExternalSessionID: g.id("102")},
		DisplayMessage:        k.display,
		EventType:             k.eventType,
		Outcome:               outcome{Result: k.result},
		Published:             ts.UTC().Format("2006-01-02T15:04:05.000Z"),
		SecurityContext:       securityContext{AsNumber: pl.asn, AsOrg: pl.asOrg, ISP: pl.isp, Domain: "example.net"},
		Severity:              k.severity,
		DebugContext:          debugContext{DebugData: map[string]string{"requestId": g.id("aB"), "requestUri": "/api/v1/authn", "url": "/api/v1/authn?"}},
		Transaction:           transaction{Type: "WEB", ID: g.id("aB"), Detail: map[string]string{}},
		UUID:                  g.uuid(),
		Version:               "0",
		Request:               request{IPChain: []ipEntry{{IP: ip, GeographicalContext: gc, Version: "V4"}}},
	}
	if k.reason != "" {
		ev.Outcome.Reason = k.reason
	}
	if k.behaviors != "" {
		ev.DebugContext.DebugData["behaviors"] = k.behaviors
		ev.DebugContext.DebugData["risk"] = k.risk
		ev.DebugContext.DebugData["logOnlySecurityData"] = `{"risk":{"level":"HIGH","reasons":"Anomalous Location, Impossible Travel"},"behaviors":{"New Country":"POSITIVE","Velocity":"POSITIVE"}}`
	}
	if k.target != nil {
		ev.Target = k.target(g)
	}
	if k.system {
		// Events Okta raises itself carry literal "null" strings where a
		// client would be (a known System Log quirk).
		ev.Actor = actor{ID: g.id("00o"), Type: "PublicClientApp", AlternateID: "unknown", DisplayName: "unknown"}
		ev.Client = client{Zone: "null", Device: "null", IPAddress: "null"}
		ev.DebugContext.DebugData = map[string]string{"threatSuspected": "true", "requestUri": "/api/v1/authn"}
		if k.eventType == "system.org.rate_limit.violation" {
			ev.DebugContext.DebugData = map[string]string{"operationRateLimitScopeType": "ORG", "operationRateLimitSubtype": "ORG_WIDE", "threshold": "50", "timeSpan": "1", "timeUnit": "MINUTES", "url": "/api/v1/logs"}
		}
		ev.Request.IPChain = []ipEntry{}
	}
	b, err := json.Marshal(ev)
	if err != nil {
		panic("fakeapi: marshal event: " + err.Error()) // plain data: cannot fail
	}
	return b
}

// sample is one fixed sign-in event, the base of BigRecord and
// WideRecord; the seed keeps their uuids apart.
func sample(seed uint64) []byte {
	return GenerateEvent(0, fakekit.NewGen(seed, seed), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
}

// BigRecord is a valid event whose displayMessage makes it about size bytes.
func (a *API) BigRecord(size int) []byte { return fakekit.BigRecord(sample(1), "displayMessage", size) }

// WideRecord is a valid event with about n leaf fields, the extra ones in
// debugContext.debugData.
func (a *API) WideRecord(n int) []byte {
	return fakekit.WideRecord(sample(2), "debugContext.debugData", n)
}
