package fakeapi

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wodlekit/wodlekit/runtime/wodletest/fakekit"
)

// Types are the Cloud Gateway SIEM event types the fake serves.
var Types = []string{
	"receipt", "process", "delivery", "av", "spam", "internal email protect",
	"impersonation protect", "url protect", "attachment protect", "journal",
}

var (
	people   = []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"}
	outsider = []string{"billing@invoices-example.net", "ceo@examp1e.com", "noreply@shipping-example.org", "hr@payroll-example.biz", "news@letters-example.com"}
	subjects = []string{"Invoice 4411 overdue", "Re: wire transfer today", "Your parcel is waiting", "Quarterly report", "Password expires soon", "Lunch?"}
	urls     = []string{"https://login-example.top/verify", "https://docs.example.com/q3", "http://203.0.113.7/pay", "https://short.example.net/x1"}
	files    = []struct{ name, ext string }{{"invoice.pdf", "pdf"}, {"report.xlsm", "xlsm"}, {"scan.zip", "zip"}, {"photo.jpg", "jpg"}}
)

// gen makes deterministic events.
type gen struct {
	*fakekit.Gen
	offset int
}

func newGen(seed int64) *gen { return &gen{Gen: fakekit.NewGen(uint64(seed), 0x6d696d65)} }

func (g *gen) hex(n int) string { return g.Chars("", "0123456789abcdef", n) }

func (g *gen) internal() string { return fakekit.Pick(g.Gen, people) + "@example.com" }

// siemEvent is one event of type typ at ts, in the batch files' shape:
// numbers Mimecast sends as strings stay strings.
func (g *gen) siemEvent(typ string, ts time.Time) []byte {
	g.offset++
	inbound := g.IntN(4) != 0
	from, to := fakekit.Pick(g.Gen, outsider), g.internal()
	if !inbound {
		from, to = to, fakekit.Pick(g.Gen, outsider)
	}
	dir := "Inbound"
	if !inbound {
		dir = "Outbound"
	}
	kv := []any{
		"processingId", g.Chars("", fakekit.AlphaNum, 43) + "_" + strconv.FormatInt(ts.Unix(), 10),
		"aggregateId", g.Chars("", fakekit.AlphaNum, 22),
		"accountId", "CDE22A102",
		"timestamp", ts.UnixMilli(),
		"type", typ,
		"_offset", 1_000_000 + g.offset,
		"_partition", g.IntN(12),
	}
	subject := fakekit.Pick(g.Gen, subjects)
	switch typ {
	case "receipt":
		action := fakekit.Pick(g.Gen, []string{"Acc", "Acc", "Acc", "Rej"})
		kv = append(kv, "subtype", action, "senderEnvelope", from, "recipients", to, "subject", subject,
			"senderIp", fmt.Sprintf("198.51.100.%d", g.IntN(250)+1), "direction", dir, "action", action,
			"spamScore", strconv.Itoa(g.IntN(20)), "tlsVersion", "TLSv1.3", "messageId", "<"+g.hex(16)+"@mail.example.net>")
		if action == "Rej" {
			kv = append(kv, "rejectionType", fakekit.Pick(g.Gen, []string{"Envelope Rejected", "Spam Signature", "Sender Blocked"}), "rejectionCode", "550")
		}
	case "process":
		action := fakekit.Pick(g.Gen, []string{"Acc", "Acc", "Hld"})
		kv = append(kv, "subtype", action, "senderEnvelope", from, "recipients", to, "subject", subject, "action", action,
			"numberAttachments", strconv.Itoa(g.IntN(3)), "emailSize", strconv.Itoa(2000+g.IntN(90000)), "direction", dir)
		if action == "Hld" {
			kv = append(kv, "holdReason", fakekit.Pick(g.Gen, []string{"Spm", "Att", "Pol"}))
		}
	case "delivery":
		ok := g.IntN(6) != 0
		kv = append(kv, "subtype", map[bool]string{true: "Delivery", false: "Failed"}[ok], "senderEnvelope", from, "recipients", to, "subject", subject,
			"delivered", strconv.FormatBool(ok), "deliveryAttempts", strconv.Itoa(1+g.IntN(3)), "deliveryTime", strconv.Itoa(100+g.IntN(4000)),
			"destinationIp", fmt.Sprintf("192.0.2.%d", g.IntN(250)+1), "direction", dir, "tlsUsed", "Yes", "tlsVersion", "TLSv1.2",
			"route", strings.ToLower(dir), "messageId", "<"+g.hex(16)+"@mail.example.net>")
		if !ok {
			kv = append(kv, "rejectionCode", "451", "rejectionInfo", "4.7.1 Try again later")
		}
	case "av":
		f := fakekit.Pick(g.Gen, files)
		kv = append(kv, "subtype", "Virus", "senderEnvelope", from, "recipients", to, "subject", subject, "fileName", f.name,
			"sha256", g.hex(64), "virusFound", fakekit.Pick(g.Gen, []string{"Eicar-Test-Signature", "Trojan.Agent-1234"}), "direction", dir)
	case "spam":
		kv = append(kv, "subtype", "Spam", "senderEnvelope", from, "recipients", to, "subject", subject,
			"spamScore", strconv.Itoa(10+g.IntN(40)), "detectionLevel", fakekit.Pick(g.Gen, []string{"relaxed", "moderate", "aggressive"}), "direction", dir)
	case "internal email protect":
		kv = append(kv, "subtype", "Internal", "senderEnvelope", g.internal(), "recipients", g.internal(), "subject", subject,
			"url", fakekit.Pick(g.Gen, urls), "urlCategory", fakekit.Pick(g.Gen, []string{"Phishing & Fraud", "Business", "Malware"}),
			"scanResults", fakekit.Pick(g.Gen, []string{"clean", "malicious"}), "monitoredDomainSource", "internal")
	case "impersonation protect":
		hit := g.IntN(3) == 0
		kv = append(kv, "subtype", "Impersonation", "senderEnvelope", from, "recipients", to, "subject", subject,
			"action", map[bool]string{true: "Hold", false: "None"}[hit], "taggedMalicious", strconv.FormatBool(hit),
			"definition", "Default Impersonation Definition", "similarInternalDomain", strconv.FormatBool(hit), "newDomain", strconv.FormatBool(g.IntN(2) == 0),
			"customNameMatch", strconv.FormatBool(hit), "itemsDetected", strconv.Itoa(g.IntN(4)), "senderIp", fmt.Sprintf("203.0.113.%d", g.IntN(250)+1))
	case "url protect":
		bad := g.IntN(3) == 0
		kv = append(kv, "subtype", "Click", "recipients", to, "url", fakekit.Pick(g.Gen, urls),
			"urlCategory", fakekit.Pick(g.Gen, []string{"Phishing & Fraud", "Malware", "Business"}),
			"scanResult", map[bool]string{true: "malicious", false: "clean"}[bad], "action", map[bool]string{true: "Block", false: "Allow"}[bad],
			"userOverride", "None", "adminOverride", "N/A", "sourceIp", fmt.Sprintf("198.51.100.%d", g.IntN(250)+1), "route", "inbound")
	case "attachment protect":
		f := fakekit.Pick(g.Gen, files)
		bad := g.IntN(3) == 0
		kv = append(kv, "subtype", "Attachment", "senderEnvelope", from, "recipients", to, "subject", subject, "fileName", f.name,
			"fileExtension", f.ext, "md5", g.hex(32), "sha1", g.hex(40), "sha256", g.hex(64),
			"result", map[bool]string{true: "malicious", false: "safe"}[bad], "action", map[bool]string{true: "Quarantine", false: "Release"}[bad])
	case "journal":
		kv = append(kv, "subtype", "Journal", "senderEnvelope", from, "recipients", to, "subject", subject, "direction", dir)
	}
	return fakekit.Object(kv...)
}

var auditTypes = []struct{ auditType, category, info string }{
	{"Logon Authentication Failed", "authentication_logs", "Failed authentication for %s, IP address: 198.51.100.23, Application: Administration Console"},
	{"Successful Logon", "authentication_logs", "%s logged on, IP address: 198.51.100.23, Application: Administration Console"},
	{"Role Assigned", "account_logs", "%s was assigned the role Super Administrator"},
	{"Policy Modified", "policy_logs", "%s changed the Impersonation Protection policy Default"},
	{"API Application Created", "account_logs", "%s created the API 2.0 application SIEM export"},
	{"Message Released", "message_logs", "%s released a held message from quarantine"},
	{"Search Performed", "archive_logs", "%s searched the archive"},
}

// auditEvent is one audit event at ts, of kind i of auditTypes (-1: any).
func (g *gen) auditEvent(ts time.Time, i int) (id string, raw []byte) {
	if i < 0 {
		i = g.IntN(len(auditTypes))
	}
	a := auditTypes[i]
	user := fakekit.Pick(g.Gen, people) + "@example.com"
	id = "eNo1jr0OgjAURt" + g.Chars("", fakekit.AlphaNum, 40)
	return id, fakekit.Object("id", id, "auditType", a.auditType, "user", user,
		"eventTime", ts.UTC().Format("2006-01-02T15:04:05-0700"), "eventInfo", fmt.Sprintf(a.info, user), "category", a.category)
}
