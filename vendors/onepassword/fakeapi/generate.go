package fakeapi

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/wodlekit/wodlekit/runtime/wodletest/fakekit"
)

// Feature names, as the Events API names its endpoints and token features.
const (
	FeatureSignInAttempts = "signinattempts"
	FeatureItemUsages     = "itemusages"
	FeatureAuditEvents    = "auditevents"
)

// Features lists every feature the fake serves, in endpoint order.
func Features() []string {
	return []string{FeatureSignInAttempts, FeatureItemUsages, FeatureAuditEvents}
}

// The data below is invented for the fake: people, places and clients that
// look like a mid-sized company's 1Password account. Real-looking variety
// matters because the collector's budgets and the rules are tested on it.

type person struct{ name, email string }

var people = [...]person{
	{"Ada Okonkwo", "ada.okonkwo@example.com"},
	{"Bruno Salgado", "bruno.salgado@example.com"},
	{"Chiara Lindqvist", "chiara.lindqvist@example.com"},
	{"Dmitri Halvorsen", "dmitri.halvorsen@example.com"},
	{"Elif Demirci", "elif.demirci@example.com"},
	{"Farah Nasser", "farah.nasser@example.com"},
	{"Gideon O'Malley", "gideon.omalley@example.com"},
	{"Hana Takahashi", "hana.takahashi@example.com"},
	{"Ignacio Ferreira", "ignacio.ferreira@example.com"},
	{"Juno Abernathy", "juno.abernathy@example.com"},
	{"Kwame Mensah", "kwame.mensah@example.com"},
	{"Lena Vogelsang", "lena.vogelsang@example.com"},
	{"Mateus Ribeiro", "mateus.ribeiro@example.com"},
	{"Nadia Petrova-Quist", "nadia.petrova-quist@example.com"},
	{"Oskar Brandvold", "oskar.brandvold@example.com"},
	{"Priya Raghunathan", "priya.raghunathan@example.com"},
}

type place struct {
	country, region, city string
	lat, lon              float64
	// ip is a documentation-range prefix (RFC 5737 / RFC 3849) so no real
	// address ever appears in test data.
	ip string
}

var places = [...]place{
	{"CA", "Ontario", "Toronto", 43.6532, -79.3832, "198.51.100."},
	{"CA", "Quebec", "Montreal", 45.5019, -73.5674, "198.51.100."},
	{"US", "California", "San Francisco", 37.7749, -122.4194, "203.0.113."},
	{"US", "New York", "Brooklyn", 40.6782, -73.9442, "203.0.113."},
	{"DE", "Berlin", "Berlin", 52.52, 13.405, "192.0.2."},
	{"NL", "North Holland", "Amsterdam", 52.3676, 4.9041, "192.0.2."},
	{"BR", "Sao Paulo", "Campinas", -22.9099, -47.0626, "203.0.113."},
	{"JP", "Tokyo", "Shibuya", 35.6618, 139.7041, "198.51.100."},
	{"AR", "Buenos Aires", "La Plata", -34.9205, -57.9536, "192.0.2."},
}

type client struct {
	app, appVersion, platform, platformVersion, os, osVersion string
}

var clients = [...]client{
	{"1Password Browser Extension", "20255", "Chrome", "124.0.6367.91", "MacOSX", "14.4.1"},
	{"1Password Browser Extension", "20251", "Firefox", "125.0.3", "Windows", "10.0.22631"},
	{"1Password for Mac", "81001040", "Safari", "17.4.1", "MacOSX", "14.5"},
	{"1Password for Windows", "80901031", "Microsoft Edge", "124.0.2478.80", "Windows", "10.0.19045"},
	{"1Password for iOS", "81000020", "iPhone", "15,2", "iOS", "17.4.1"},
	{"1Password for Android", "81000036", "Pixel 8", "14", "Android", "14"},
	{"1Password for Linux", "81000042", "Ubuntu", "24.04", "Linux", "6.8.0-31-generic"},
	{"1Password CLI", "2027101", "Go", "1.22.2", "Linux", "5.15.0-105-generic"},
	{"1Password SCIM Bridge", "2.9.5", "Go", "1.22.1", "Linux", "6.1.0-20-cloud-amd64"},
}

// signinKind is one (category, type, details) combination with a weight.
type signinKind struct {
	weight         int
	category, typ  string
	details        string // "" writes "details":null
	userType       string
	locationAbsent bool
}

var signinKinds = [...]signinKind{
	{50, "success", "credentials_ok", "", "user", false},
	{12, "success", "mfa_ok", "", "user", false},
	{3, "success", "sso_ok", "", "user", true},
	{8, "credentials_failed", "password_secret_bad", "", "user", false},
	{2, "mfa_failed", "totp_bad", "", "user", false},
	{1, "mfa_failed", "totp_timeout", "", "user", false},
	{1, "mfa_failed", "duo_bad", "", "user", false},
	{1, "mfa_failed", "u2f_timout", "", "user", false},
	{1, "mfa_failed", "mfa_missing", "", "user", false},
	{1, "sso_failed", "non_sso_user", "", "user", false},
	{1, "sso_failed", "sso_user_mismatch", "", "user", false},
	{1, "sso_failed", "service_account_sso_denied", "", "service_account", true},
	{2, "firewall_failed", "continent_blocked", "Sign-in denied by firewall rule: block outside North America", "user", false},
	{1, "firewall_failed", "ip_blocked", "Sign-in denied by firewall rule: deny anonymous proxies", "user", false},
	{1, "firewall_reported_success", "country_blocked", "Firewall rule in report-only mode would have denied this sign-in", "user", false},
	{1, "modern_version_failed", "modern_version_missing", "Client version below the minimum required by the account", "user", false},
}

var itemActions = [...]struct {
	weight int
	action string
}{
	{55, "fill"}, {14, "reveal"}, {8, "select-sso-provider"}, {6, "enter-item-edit-mode"},
	{5, "secure-copy"}, {4, "server-fetch"}, {3, "server-update"}, {2, "server-create"},
	{2, "share"}, {1, "export"},
}

// auditKind pairs a terse action code with its object type, as 1Password
// logs them; aux describes what the aux_* fields carry for it.
type auditKind struct {
	weight             int
	action, objectType string
	aux                string // "user", "vault", "perm", "fw", "" (none)
}

var auditKinds = [...]auditKind{
	{10, "join", "gm", "user"},
	{4, "leave", "gm", "user"},
	{10, "grant", "uva", "perm"},
	{5, "revoke", "uva", "perm"},
	{4, "grant", "gva", "perm"},
	{6, "create", "vault", ""},
	{2, "delete", "vault", ""},
	{6, "create", "user", ""},
	{4, "suspend", "user", "user"},
	{2, "reactive", "user", "user"},
	{2, "delete", "user", ""},
	{6, "beginr", "user", "user"},
	{6, "completr", "user", "user"},
	{3, "updatfw", "account", "fw"},
	{3, "enblmfa", "user", ""},
	{2, "disblmfa", "user", ""},
	{3, "update", "vault", ""},
	{4, "create", "invite", ""},
	{5, "launchi", "device", "user"},
	{3, "provsn", "user", ""},
}

var vaultNames = [...]string{"Engineering", "Finance", "Shared", "Infrastructure Secrets", "People Ops", "Customer Support", "Security Team", "Marketing Tools"}

var groupNames = [...]string{"Administrators", "Owners", "Team Members", "Engineering", "Security", "Recovery", "Finance"}

// opUUID returns a 26-character identifier in 1Password's style
// (upper-case base32 alphabet).
func opUUID(rng *fakekit.Gen) string { return rng.Chars("", fakekit.Upper32, 26) }

// accountUUID is the one account every generated event belongs to.
const accountUUID = "WODLEKITFAKEACCOUNT7QZP3A4Y"

// personUUID gives each invented person a stable identifier, so the same
// user keeps the same uuid across events as in a real account.
func personUUID(i int) string {
	return opUUID(fakekit.NewGen(0x1a55, uint64(i)+1))
}

// ipFor returns an address inside the place's documentation range.
func ipFor(rng *fakekit.Gen, p place) string {
	return p.ip + strconv.Itoa(1+rng.IntN(253))
}

// Timestamp formats t the way the Events API does: RFC 3339 in UTC with as
// many fractional digits as the value has (none, milli, micro or nano).
func Timestamp(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}

func userObj(i int) json.RawMessage {
	p := people[i]
	return fakekit.Object("uuid", personUUID(i), "name", p.name, "email", p.email)
}

func clientObj(rng *fakekit.Gen, c client, p place) json.RawMessage {
	return fakekit.Object("app_name", c.app, "app_version", c.appVersion, "platform_name", c.platform,
		"platform_version", c.platformVersion, "os_name", c.os, "os_version", c.osVersion,
		"ip_address", ipFor(rng, p))
}

func locationObj(p place) json.RawMessage {
	return fakekit.Object("country", p.country, "region", p.region, "city", p.city, "latitude", p.lat, "longitude", p.lon)
}

// GenerateEvent returns one realistic record of the feature as compact JSON,
// with timestamp ts. i is the record's position in the stream; rng supplies
// every other choice, so a seeded rng makes the output deterministic. An
// unknown feature panics: it is a programming error in a test.
func GenerateEvent(feature string, i int, rng *fakekit.Gen, ts time.Time) []byte {
	switch feature {
	case FeatureSignInAttempts:
		return genSignIn(rng, ts)
	case FeatureItemUsages:
		return genItemUsage(i, rng, ts)
	case FeatureAuditEvents:
		return fakekit.Object(auditBase(rng, ts, auditKinds[rng.Weighted(len(auditKinds), func(i int) int { return auditKinds[i].weight })])...)
	}
	panic("fakeapi: unknown feature " + feature)
}

func genSignIn(rng *fakekit.Gen, ts time.Time) []byte {
	k := signinKinds[rng.Weighted(len(signinKinds), func(i int) int { return signinKinds[i].weight })]
	u := rng.IntN(len(people))
	p := places[rng.IntN(len(places))]
	c := clients[rng.IntN(len(clients))]
	details := json.RawMessage("null")
	if k.details != "" {
		details = fakekit.Object("value", k.details)
	}
	target := fakekit.Object("uuid", personUUID(u), "name", people[u].name, "email", people[u].email, "type", k.userType)
	kv := []any{
		"uuid", opUUID(rng), "session_uuid", opUUID(rng), "timestamp", Timestamp(ts),
		"country", p.country, "category", k.category, "type", k.typ, "details", details,
		"target_user", target, "client", clientObj(rng, c, p),
	}
	// Location is absent when 1Password cannot place the address, which the
	// collector must tolerate.
	if !k.locationAbsent && rng.IntN(10) != 0 {
		kv = append(kv, "location", locationObj(p))
	}
	kv = append(kv, "account_uuid", accountUUID)
	return fakekit.Object(kv...)
}

func genItemUsage(i int, rng *fakekit.Gen, ts time.Time) []byte {
	a := itemActions[rng.Weighted(len(itemActions), func(i int) int { return itemActions[i].weight })]
	u := rng.IntN(len(people))
	p := places[rng.IntN(len(places))]
	c := clients[rng.IntN(len(clients))]
	kv := []any{
		"uuid", opUUID(rng), "timestamp", Timestamp(ts), "used_version", 1 + (i+rng.IntN(7))%23,
		"vault_uuid", opUUID(rng), "item_uuid", opUUID(rng), "action", a.action,
		"user", userObj(u), "client", clientObj(rng, c, p),
	}
	if rng.IntN(8) != 0 {
		kv = append(kv, "location", locationObj(p))
	}
	kv = append(kv, "account_uuid", accountUUID)
	return fakekit.Object(kv...)
}

// auditBase builds the key/value list of one audit event of kind k.
func auditBase(rng *fakekit.Gen, ts time.Time, k auditKind) []any {
	actor := rng.IntN(len(people))
	actorType := "user"
	if k.action == "provsn" {
		actorType = "scim_bridge"
	} else if rng.IntN(12) == 0 {
		actorType = "service_account"
	}
	p := places[rng.IntN(len(places))]
	objectUUID := opUUID(rng)
	var objectDetails json.RawMessage
	switch k.objectType {
	case "user":
		o := rng.IntN(len(people))
		objectUUID = personUUID(o)
		objectDetails = userObj(o)
	case "vault", "uva", "gva":
		name := vaultNames[rng.IntN(len(vaultNames))]
		objectDetails = fakekit.Object("uuid", objectUUID, "name", name)
	case "gm":
		name := groupNames[rng.IntN(len(groupNames))]
		objectDetails = fakekit.Object("uuid", objectUUID, "name", name)
	}
	// login_time is shown with the account's zone offset in the API's own
	// examples; keep both forms so collectors do not assume "Z".
	login := ts.Add(-time.Duration(1+rng.IntN(36000)) * time.Second)
	loginTime := login.UTC().Format(time.RFC3339)
	if rng.IntN(3) == 0 {
		loginTime = login.In(time.FixedZone("", -3*3600)).Format(time.RFC3339)
	}
	session := fakekit.Object("uuid", opUUID(rng), "login_time", loginTime, "device_uuid", opUUID(rng), "ip", ipFor(rng, p))
	kv := []any{
		"uuid", opUUID(rng), "timestamp", Timestamp(ts),
		"actor_uuid", personUUID(actor), "actor_details", userObj(actor),
		"actor_type", actorType, "actor_account_uuid", accountUUID, "account_uuid", accountUUID,
		"action", k.action, "object_type", k.objectType, "object_uuid", objectUUID,
	}
	if objectDetails != nil {
		kv = append(kv, "object_details", objectDetails)
	}
	switch k.aux {
	case "user":
		a := rng.IntN(len(people))
		kv = append(kv, "aux_id", 100000+rng.IntN(900000), "aux_uuid", personUUID(a), "aux_details", userObj(a))
	case "perm":
		a := rng.IntN(len(people))
		perms := []string{"view_items", "create_items", "edit_items", "archive_items", "delete_items", "view_and_copy_passwords", "view_item_history", "import_items", "export_items", "copy_and_share_items", "print_items", "manage_vault"}
		n := 1 + rng.IntN(len(perms))
		auxUUID, auxDetails := personUUID(a), userObj(a)
		if k.objectType == "gva" {
			// Group vault access: the grantee is a group, not a person.
			auxUUID = opUUID(rng)
			name := groupNames[rng.IntN(len(groupNames))]
			auxDetails = fakekit.Object("uuid", auxUUID, "name", name)
		}
		kv = append(kv, "aux_id", 1<<(n+2)-1, "aux_uuid", auxUUID, "aux_details", auxDetails,
			"aux_info", strings.Join(perms[:n], ","))
	case "fw":
		kv = append(kv, "aux_id", rng.IntN(40), "aux_info", "Allowed countries: CA, US, DE, NL; deny anonymous proxies and Tor exit nodes; report-only: off")
	}
	kv = append(kv, "session", session)
	if rng.IntN(10) != 0 {
		kv = append(kv, "location", locationObj(p))
	}
	return kv
}

// sample is one fixed audit event of kind k, the base of BigRecord and
// WideRecord; the seed keeps their identifiers apart.
func sample(seed uint64, k auditKind) []byte {
	return fakekit.Object(auditBase(fakekit.NewGen(seed, seed), time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC), k)...)
}

// BigRecord is an audit event (a firewall update) whose aux_info makes it
// about size bytes.
func (a *API) BigRecord(size int) []byte {
	return fakekit.BigRecord(sample(7, auditKind{1, "updatfw", "account", ""}), "aux_info", size)
}

// WideRecord is an audit event (a vault update) with n leaf fields, the
// extra ones in object_details.attributes.
func (a *API) WideRecord(n int) []byte {
	return fakekit.WideRecord(sample(11, auditKind{1, "update", "vault", ""}), "object_details.attributes", n)
}
