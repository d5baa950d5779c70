package emit

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/wodlekit/wodlekit/runtime/internal/cpuclock"
	"github.com/wodlekit/wodlekit/runtime/jsonrec"
)

// auditRecords returns n 1Password-like records of ~750 bytes each.
func auditRecords(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = fmt.Appendf(nil, `{"uuid":"56YE2TYN2VFYRLNSHKP%07d","timestamp":"2024-05-01T10:%02d:%02d.%09dZ",`+
			`"category":"success","type":"credentials_ok","country":"CA","target_user":{"uuid":"IR7VJHJ36JHINBFAD7V2T5MP3E","name":"Jane Doe","email":"jane.doe@example.com","type":"user"},`+
			`"client":{"app_name":"1Password for Web","app_version":"1109001","platform_name":"Chrome","platform_version":"124.0.6367.91","os_name":"MacOSX","os_version":"14.4.1","ip_address":"203.0.113.%d"},`+
			`"location":{"country":"CA","region":"Ontario","city":"Toronto","latitude":43.6532,"longitude":-79.3832},"account_uuid":"VZSYVT2LGHTBWBQGUJAIZVRABM",`+
			`"details":null,"aux_id":%d,"aux_uuid":"GS7VAMMA5K6COGVRVEJXJW3XQZ","action":"join","object_type":"gm","risk":{"score":%d,"reasons":["new_device","new_ip"]}}`,
			i, i%60, i%60, i*7919%1000000000, i%250, 9932+i, i%100)
	}
	return out
}

// BenchmarkAppendRecord is the fast path (event_type added, nothing else
// changed) with the shape computed by the encoder, and with it known as
// the runner gives it (jsonrec finds it while decoding).
func BenchmarkAppendRecord(b *testing.B) {
	recs := auditRecords(1000)
	total := 0
	shapes := make([]jsonrec.Shape, len(recs))
	for i, r := range recs {
		total += len(r)
		shapes[i] = jsonrec.ShapeOf(r)
	}
	e := NewEncoder(Options{Integration: "onepassword"})
	buf := make([]byte, 0, 1<<20)
	for _, shape := range []string{"computed", "known"} {
		b.Run(shape, func(b *testing.B) {
			b.SetBytes(int64(total))
			b.ReportAllocs()
			start := cpuclock.Now()
			for b.Loop() {
				buf = buf[:0]
				for i, r := range recs {
					sh := shapes[i]
					if shape == "computed" {
						sh = jsonrec.Shape{}
					}
					var m Marks
					var err error
					buf, m, err = e.AppendShaped(buf, r, "signinattempt", sh)
					if err != nil || m.Changed() {
						b.Fatalf("slow path or error: %+v %v", m, err)
					}
				}
			}
			cpuclock.Report(b, start)
			b.ReportMetric(float64(b.N)*1000/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(total)/1000, "bytes/record")
		})
	}
}

func BenchmarkAppendRecordSlow(b *testing.B) {
	// ~100 KB: a big description string, a big nested map and a big int.
	var r strings.Builder
	r.WriteString(`{"uuid":"x","id":12345678901,"description":"` + strings.Repeat("lorem ipsum é ", 5000) + `","attrs":{`)
	for i := range 300 {
		if i > 0 {
			r.WriteByte(',')
		}
		fmt.Fprintf(&r, `"attr%03d":{"value":"%s","n":%d}`, i, strings.Repeat("v", 100), i)
	}
	r.WriteString(`}}`)
	raw := []byte(r.String())
	e := NewEncoder(Options{Integration: "onepassword"})
	out, m, err := e.AppendRecord(nil, raw, "t")
	if err != nil || m.Truncated == 0 || m.Folded == 0 || len(out) > 60000 {
		b.Fatalf("want a truncated and folded line: %+v %v (%d bytes)", m, err, len(out))
	}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	start := cpuclock.Now()
	for b.Loop() {
		out, _, _ = e.AppendRecord(out[:0], raw, "t")
	}
	cpuclock.Report(b, start)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkDecodeAndAppend is the whole per-page path: decode, then one
// line per record.
func BenchmarkDecodeAndAppend(b *testing.B) {
	var page bytes.Buffer
	page.WriteString(`{"cursor":"c","has_more":true,"items":[`)
	page.Write(bytes.Join(auditRecords(1000), []byte(",")))
	page.WriteString(`]}`)
	spec := &jsonrec.Spec{Arrays: map[string]string{"items": "signinattempt"}, Fields: []string{"uuid"}}
	e := NewEncoder(Options{Integration: "onepassword"})
	buf := make([]byte, 0, 1<<20)
	b.SetBytes(int64(page.Len()))
	start := cpuclock.Now()
	for b.Loop() {
		p, err := jsonrec.Decode(bytes.NewReader(page.Bytes()), spec)
		if err != nil {
			b.Fatal(err)
		}
		buf = buf[:0]
		for _, it := range p.Items {
			buf, _, _ = e.AppendRecord(buf, it.Raw, it.Kind)
		}
	}
	cpuclock.Report(b, start)
	b.ReportMetric(float64(b.N)*1000/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkAppendBigInts is the commonest change, a 64-bit ID, on the
// splicing fast path and on the tree path it replaced.
func BenchmarkAppendBigInts(b *testing.B) {
	recs := auditRecords(1000)
	shapes := make([]jsonrec.Shape, len(recs))
	for i, r := range recs {
		recs[i] = bytes.Replace(r, []byte(`"aux_id":`), []byte(`"aux_id":922337203685477`), 1)
		shapes[i] = jsonrec.ShapeOf(recs[i])
		if !shapes[i].BigInts {
			b.Fatalf("record %d has no big integer", i)
		}
	}
	e := NewEncoder(Options{Integration: "onepassword"})
	buf := make([]byte, 0, 1<<20)
	for _, path := range []string{"splice", "tree"} {
		b.Run(path, func(b *testing.B) {
			b.ReportAllocs()
			start := cpuclock.Now()
			for b.Loop() {
				buf = buf[:0]
				for i, r := range recs {
					var m Marks
					var err error
					if path == "splice" {
						buf, m, err = e.AppendShaped(buf, r, "audit_event", shapes[i])
					} else {
						buf, m, err = e.slowPath(buf, r, "audit_event", true)
					}
					if err != nil || m.BigInts != 1 {
						b.Fatalf("%+v %v", m, err)
					}
				}
			}
			cpuclock.Report(b, start)
			b.ReportMetric(float64(b.N)*1000/b.Elapsed().Seconds(), "records/s")
		})
	}
}
