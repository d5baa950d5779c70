package fakeapi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/wodlekit/wodlekit/runtime/wodletest/fakekit"
)

func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// Recipients are the fake tenant's mailboxes; few, so one recipient gets
// several threats (the correlation rule's case).
var Recipients = []string{"ceo@example.com", "finance@example.com", "j.doe@example.com", "helpdesk@example.com", "a.smith@example.com"}

var (
	senders   = []string{"billing@invoices-example.net", "no-reply@docu-sign.example.org", "hr@payroll-update.example", "it-support@examp1e.com"}
	subjects  = []string{"Invoice 4471 overdue", "Please review and sign", "Updated payroll details", "Your mailbox is almost full", "Wire transfer request"}
	classes   = []string{"malware", "phish", "spam", "impostor"}
	campaigns = []string{"46e01b8a-c899-404d-bcac-58e9dbb6c6a0", "", "cbc0bac9-8d7e-4f56-a1a2-9b0b3b9f0e2d"}
)

func (a *API) uuid() string {
	a.seq++
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", a.rng.Uint32(), a.seq&0xffff, a.rng.IntN(0xfff), 0x8000|a.rng.IntN(0x3fff), a.rng.Uint64()&0xffffffffffff)
}

func threatID(seed string) string {
	h := sha256.Sum256([]byte(seed))
	return hex.EncodeToString(h[:])
}

// record generates one realistic record of array, created at filed, its
// threat condemned at threat.
func (a *API) record(array string, filed, threat time.Time) []byte {
	guid := strings.ReplaceAll(a.uuid(), "-", "")[:30]
	class := fakekit.Pick(a.rng, classes)
	switch array {
	case "clicksPermitted", "clicksBlocked":
		return Click(a.uuid(), guid, fakekit.Pick(a.rng, Recipients), class, filed, threat, a.rng.IntN(250))
	}
	return Message(array, a.uuid(), guid, fakekit.Pick(a.rng, Recipients), fakekit.Pick(a.rng, subjects),
		[]Threat{{ID: threatID(guid), Classification: class, Status: "active", Time: threat}}, filed, a.rng.IntN(100))
}

// Click is a click record as TAP writes it (campaignId, threatID).
func Click(id, guid, recipient, class string, clickTime, threatTime time.Time, n int) []byte {
	return fakekit.Object(
		"campaignId", campaigns[n%len(campaigns)],
		"classification", class,
		"clickIP", fmt.Sprintf("192.0.2.%d", 1+n%250),
		"clickTime", ts(clickTime),
		"GUID", guid,
		"id", id,
		"messageID", fmt.Sprintf("<%s@mail.example.net>", guid[:12]),
		"recipient", recipient,
		"sender", senders[n%len(senders)],
		"senderIP", fmt.Sprintf("198.51.100.%d", 1+n%250),
		"threatID", threatID(guid),
		"threatTime", ts(threatTime),
		"threatURL", "https://threatinsight.proofpoint.com/a1b2c3/threat/email/"+threatID(guid)[:16],
		"threatStatus", "active",
		"url", fmt.Sprintf("http://login-verify.example.org/s/%d", n),
		"userAgent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
	)
}

// Threat is one entry of a message's threatsInfoMap.
type Threat struct {
	ID, Classification, Status string
	Time                       time.Time
}

// Message is a message record as TAP writes it in array: delivered ones
// say threatID, campaignID and completelyRewritten true; blocked ones say
// threatId, campaignId and completelyRewritten "true". The casing drift
// is TAP's own and must pass through untouched.
func Message(array, id, guid, recipient, subject string, threats []Threat, at time.Time, n int) []byte {
	blocked := array == "messagesBlocked"
	tidKey, cidKey := "threatID", "campaignID"
	var rewritten any = true
	if blocked {
		tidKey, cidKey, rewritten = "threatId", "campaignId", "true"
	}
	var tim []json.RawMessage
	malware, phish, impostor := 0, 0, 0
	for _, t := range threats {
		typ := "url"
		switch t.Classification {
		case "malware":
			typ, malware = "attachment", 100
		case "phish":
			phish = 98
		case "impostor":
			typ, impostor = "messageText", 96
		}
		tim = append(tim, fakekit.Object(
			cidKey, campaigns[n%len(campaigns)],
			"classification", t.Classification,
			"threat", fmt.Sprintf("http://login-verify.example.org/s/%d", n),
			tidKey, t.ID,
			"threatStatus", t.Status,
			"threatTime", ts(t.Time),
			"threatType", typ,
			"threatUrl", "https://threatinsight.proofpoint.com/a1b2c3/threat/email/"+t.ID[:16],
		))
	}
	timRaw := fakekit.Marshal(tim)
	quarantine, rule := "", ""
	if blocked {
		quarantine, rule = "Attachment Defense", "module.sandbox.threat"
	}
	sender := senders[n%len(senders)]
	return fakekit.Object(
		"GUID", guid,
		"QID", fmt.Sprintf("r2FNwRHF%06d", n),
		"ccAddresses", []string{},
		"clusterId", "example_hosted",
		"completelyRewritten", rewritten,
		"fromAddress", []string{sender},
		"headerFrom", "\"Accounts\" <"+sender+">",
		"headerReplyTo", nil,
		"id", id,
		"impostorScore", impostor,
		"malwareScore", malware,
		"messageID", fmt.Sprintf("<%s@mail.example.net>", guid[:12]),
		"messageParts", []json.RawMessage{
			fakekit.Object("contentType", "text/plain", "disposition", "inline", "filename", "text.txt", "md5", "008c5926ca861023c1d2a36653fd88e2", "oContentType", "text/plain", "sandboxStatus", "unsupported", "sha256", "85738f8f9a7f1b04b5329c590ebcb9e425925c6d0984089c43a022de4f19c281"),
			fakekit.Object("contentType", "application/pdf", "disposition", "attached", "filename", "invoice.pdf", "md5", "5873c7d37608e0d49bcaa6f32b6c731f", "oContentType", "application/pdf", "sandboxStatus", "threat", "sha256", "2fab740f143fc1aa4c1cd0146d334c5593b1428f6d062b2c406e5efe8abe95ca"),
		},
		"messageSize", 40000+n*17,
		"messageTime", ts(at),
		"modulesRun", []string{"spam", "urldefense", "sandbox"},
		"phishScore", phish,
		"policyRoutes", []string{"default_inbound"},
		"quarantineFolder", quarantine,
		"quarantineRule", rule,
		"recipient", []string{recipient},
		"replyToAddress", []string{},
		"sender", sender,
		"senderIP", fmt.Sprintf("198.51.100.%d", 1+n%250),
		"spamScore", 4+n%90,
		"subject", subject,
		"threatsInfoMap", json.RawMessage(timRaw),
		"toAddresses", []string{recipient},
		"xmailer", "Microsoft Outlook 16.0",
	)
}

var (
	firstNames  = []string{"Ada", "Grace", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances"}
	lastNames   = []string{"Lovelace", "Hopper", "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie", "Allen"}
	departments = []string{"Finance", "Executive", "Engineering", "Human Resources", "Sales"}
	families    = []string{"Credential Phishing", "Emotet", "Impostor", "Qakbot", "Corporate Credential Phishing"}
)

// attackIndex of the i-th user: the report lists the most attacked first.
func attackIndex(i int) int { return max(1, 2400-i*37) }

// user generates one VAP report row.
func (a *API) user() []byte {
	i := len(a.users)
	first, last := firstNames[i%len(firstNames)], lastNames[(i/len(firstNames)+i)%len(lastNames)]
	email := fmt.Sprintf("%s.%s%d@example.com", strings.ToLower(first), strings.ToLower(last), i)
	ai := attackIndex(i)
	fams := []json.RawMessage{fakekit.Object("name", families[i%len(families)], "score", ai*3/5)}
	if ai > 1000 {
		fams = append(fams, fakekit.Object("name", families[(i+2)%len(families)], "score", ai-ai*3/5))
	}
	famRaw := fakekit.Marshal(fams)
	return fakekit.Object(
		"identity", fakekit.Object(
			"guid", strings.ReplaceAll(a.uuid(), "-", "")[:24],
			"customerUserId", fmt.Sprintf("u%05d", i),
			"emails", []string{email},
			"name", first+" "+last,
			"department", departments[i%len(departments)],
			"location", "Example City",
			"title", "Staff",
			"vip", i%5 == 0,
		),
		"threatStatistics", fakekit.Object(
			"attackIndex", ai,
			"families", json.RawMessage(famRaw),
		),
	)
}

// BigRecord is a permitted click whose user agent makes it about size
// bytes.
func (a *API) BigRecord(size int) []byte {
	at := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	return fakekit.BigRecord(Click("big-1", "bigguid000000000000000000000001", Recipients[0], "phish", at, at, 1), "userAgent", size)
}

// WideRecord is a permitted click with about n leaf fields, the extra ones
// under "x_fake_attributes" (a field TAP does not send: it exists to test
// the field budget).
func (a *API) WideRecord(n int) []byte {
	at := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	return fakekit.WideRecord(Click("wide-1", "wideguid00000000000000000000001", Recipients[1], "phish", at, at, 2), "x_fake_attributes", n)
}
