package jsonrec

import (
	"bytes"
	"fmt"
	"testing"
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
	for b.Loop() {
		p, err := Decode(bytes.NewReader(page), spec)
		if err != nil || len(p.Items) != 1000 {
			b.Fatalf("%d records, %v", len(p.Items), err)
		}
	}
	b.ReportMetric(float64(b.N)*1000/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(len(page))/1000, "bytes/record")
}

// BenchmarkDecodeReusing is BenchmarkDecodePage with the body and the
// decoder's tables kept from page to page (Scratch), as the runner does.
func BenchmarkDecodeReusing(b *testing.B) {
	page := auditPage(1000)
	spec := &Spec{Arrays: map[string]string{"items": "signinattempt"}, Fields: []string{"uuid", "timestamp"}}
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	var s Scratch
	for b.Loop() {
		p, err := s.Decode(bytes.NewReader(page), spec, int64(len(page)))
		if err != nil || len(p.Items) != 1000 {
			b.Fatalf("%d records, %v", len(p.Items), err)
		}
	}
	b.ReportMetric(float64(b.N)*1000/b.Elapsed().Seconds(), "records/s")
}
