package jsonrec

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/wodlekit/wodlekit/runtime/internal/cpuclock"
)

// auditPage builds a 1Password-like events page of n records of ~750
// bytes: nested objects, strings, ints, a null, nanosecond timestamps.
func auditPage(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"cursor":"aGVsbG8gd29ybGQgY3Vyc29yIHZhbHVl","has_more":true,"items":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"uuid":"56YE2TYN2VFYRLNSHKP%07d","timestamp":"2024-05-01T10:%02d:%02d.%09dZ",`+
			`"category":"success","type":"credentials_ok","country":"CA","target_user":{"uuid":"IR7VJHJ36JHINBFAD7V2T5MP3E","name":"Jane Doe","email":"jane.doe@example.com","type":"user"},`+
			`"client":{"app_name":"1Password for Web","app_version":"1109001","platform_name":"Chrome","platform_version":"124.0.6367.91","os_name":"MacOSX","os_version":"14.4.1","ip_address":"203.0.113.%d"},`+
			`"location":{"country":"CA","region":"Ontario","city":"Toronto","latitude":43.6532,"longitude":-79.3832},"account_uuid":"VZSYVT2LGHTBWBQGUJAIZVRABM",`+
			`"details":null,"aux_id":%d,"aux_uuid":"GS7VAMMA5K6COGVRVEJXJW3XQZ","action":"join","object_type":"gm","risk":{"score":%d,"reasons":["new_device","new_ip"]}}`,
			i, i%60, i%60, i*7919%1000000000, i%250, 9932+i, i%100)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

func BenchmarkDecodePage(b *testing.B) {
	page := auditPage(1000)
	spec := &Spec{Arrays: map[string]string{"items": "signinattempt"}, Fields: []string{"uuid", "timestamp"}}
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	cpu := cpuclock.Now()
	for b.Loop() {
		p, err := Decode(bytes.NewReader(page), spec)
		if err != nil || len(p.Items) != 1000 {
			b.Fatalf("%d records, %v", len(p.Items), err)
		}
	}
	cpuclock.Report(b, cpu)
	b.ReportMetric(float64(b.N)*1000/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(len(page))/1000, "bytes/record")
}

// BenchmarkDecodeReusing is BenchmarkDecodePage with the body and the
// decoder's tables kept from page to page (Scratch), as the runner does.
func BenchmarkDecodeReusing(b *testing.B) {
	spec := &Spec{Arrays: map[string]string{"items": "signinattempt"}, Fields: []string{"uuid", "timestamp"}}
	benchScratch(b, auditPage(1000), 1000, spec)
}

// benchScratch decodes page, of n records, again and again into one
// Scratch.
func benchScratch(b *testing.B, page []byte, n int, spec *Spec) {
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	var s Scratch
	cpu := cpuclock.Now()
	for b.Loop() {
		p, err := s.Decode(bytes.NewReader(page), spec, int64(len(page)))
		if err != nil || len(p.Items) != n {
			b.Fatalf("%d records, %v", len(p.Items), err)
		}
	}
	cpuclock.Report(b, cpu)
	b.ReportMetric(float64(b.N)*float64(n)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(len(page))/float64(n), "bytes/record")
}

// onePasswordPage builds a page of n records shaped as 1Password's Events
// API sends them (vendors/onepassword/fakeapi makes the same shapes): sign-in
// attempts, item usages and audit events in turn, with 26-character UUIDs,
// RFC 3339 timestamps of varying precision, short names and a few longer
// strings, and an audit aux_id beyond 32 bits as in make bench's mix. The
// values vary from record to record so that strings end at every offset
// of an eight-byte word.
func onePasswordPage(n int) []byte {
	const base32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	x := uint64(0x9e3779b97f4a7c15)
	next := func() uint64 { // xorshift: deterministic, no shared state
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		return x
	}
	uuid := func() string {
		var u [26]byte
		for i := range u {
			u[i] = base32[next()%32]
		}
		return string(u[:])
	}
	people := []string{`"name":"Ada Okonkwo","email":"ada.okonkwo@example.com"`, `"name":"Nadia Petrova-Quist","email":"nadia.petrova-quist@example.com"`, `"name":"Gideon O'Malley","email":"gideon.omalley@example.com"`, `"name":"Kwame Mensah","email":"kwame.mensah@example.com"`}
	clients := []string{
		`"app_name":"1Password Browser Extension","app_version":"20255","platform_name":"Chrome","platform_version":"124.0.6367.91","os_name":"MacOSX","os_version":"14.4.1"`,
		`"app_name":"1Password for Linux","app_version":"81000042","platform_name":"Ubuntu","platform_version":"24.04","os_name":"Linux","os_version":"6.8.0-31-generic"`,
		`"app_name":"1Password CLI","app_version":"2027101","platform_name":"Go","platform_version":"1.22.2","os_name":"Linux","os_version":"5.15.0-105-generic"`,
	}
	places := []string{`"country":"CA","region":"Ontario","city":"Toronto","latitude":43.6532,"longitude":-79.3832`, `"country":"US","region":"New York","city":"Brooklyn","latitude":40.6782,"longitude":-73.9442`, `"country":"BR","region":"Sao Paulo","city":"Campinas","latitude":-22.9099,"longitude":-47.0626`}
	fracs := []string{"", ".283", ".283114", ".283114907"}
	var b bytes.Buffer
	b.WriteString(`{"cursor":"aGVsbG8gd29ybGQgY3Vyc29yIHZhbHVl","has_more":true,"items":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		r := next()
		ts := fmt.Sprintf("2026-03-01T%02d:%02d:%02d%sZ", i/3600%24, i/60%60, i%60, fracs[r%4])
		who, cl, pl := people[r>>8%4], clients[r>>16%3], places[r>>24%3]
		ip := fmt.Sprintf("203.0.113.%d", 1+r>>32%253)
		switch i % 3 {
		case 0:
			fmt.Fprintf(&b, `{"uuid":"%s","session_uuid":"%s","timestamp":"%s","country":"CA","category":"success","type":"credentials_ok","details":null,`+
				`"target_user":{"uuid":"%s",%s,"type":"user"},"client":{%s,"ip_address":"%s"},"location":{%s},"account_uuid":"WODLEKITFAKEACCOUNT7QZP3A4Y"}`,
				uuid(), uuid(), ts, uuid(), who, cl, ip, pl)
		case 1:
			fmt.Fprintf(&b, `{"uuid":"%s","timestamp":"%s","used_version":%d,"vault_uuid":"%s","item_uuid":"%s","action":"fill",`+
				`"user":{"uuid":"%s",%s},"client":{%s,"ip_address":"%s"},"location":{%s},"account_uuid":"WODLEKITFAKEACCOUNT7QZP3A4Y"}`,
				uuid(), ts, 1+r>>40%23, uuid(), uuid(), uuid(), who, cl, ip, pl)
		default:
			fmt.Fprintf(&b, `{"uuid":"%s","timestamp":"%s","actor_uuid":"%s","actor_details":{"uuid":"%s",%s},"actor_type":"user",`+
				`"actor_account_uuid":"WODLEKITFAKEACCOUNT7QZP3A4Y","account_uuid":"WODLEKITFAKEACCOUNT7QZP3A4Y","action":"grant","object_type":"uva","object_uuid":"%s",`+
				`"object_details":{"uuid":"%s","name":"Infrastructure Secrets"},"aux_id":%d,"aux_uuid":"%s","aux_details":{"uuid":"%s",%s},`+
				`"aux_info":"view_items,create_items,edit_items,archive_items,delete_items,view_and_copy_passwords",`+
				`"session":{"uuid":"%s","login_time":"2026-02-28T21:%02d:%02d-03:00","device_uuid":"%s","ip":"%s"},"location":{%s}}`,
				uuid(), ts, uuid(), uuid(), who, uuid(), uuid(), 1<<62+r>>2, uuid(), uuid(), who, uuid(), i%60, r%60, uuid(), ip, pl)
		}
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// BenchmarkDecodeOnePassword decodes a page of 1Password-shaped records
// with the 1Password collector's spec, reusing the scratch as the runner
// does: the decode as make bench's profile sees it.
func BenchmarkDecodeOnePassword(b *testing.B) {
	page := onePasswordPage(1000)
	if err := validate(page); err != nil {
		b.Fatal(err)
	}
	spec := &Spec{Arrays: map[string]string{"items": ""}, Fields: []string{"uuid"}, Members: []Member{
		{Path: "cursor", Type: String, NonEmpty: true},
		{Path: "has_more", Type: Bool},
	}}
	benchScratch(b, page, 1000, spec)
}
