package duo_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/wodlekit/wodlekit/runtime/wodletest"
	"github.com/wodlekit/wodlekit/vendors/duo"
	"github.com/wodlekit/wodlekit/vendors/duo/fakeapi"
)

func TestMain(m *testing.M) { wodletest.Main(m, duo.New) }

// Test credentials: shaped like Duo's, valid only against the fake.
const (
	testIKey = "DIWODLEKITTESTIKEY01"
	testSKey = "wodlekitTestSecretKey0123456789abcdefABCD"
)

func fakeOptions(perModule int) fakeapi.Options {
	events := map[string]int{}
	for _, l := range fakeapi.Logs() {
		events[l] = perModule
	}
	return fakeapi.Options{
		IKey: testIKey, SKey: testSKey, Events: events, Seed: 7,
		// Inside the lookback whatever day the tests run, and older than
		// Duo's two-minute delay.
		Start: time.Now().Add(-48 * time.Hour), Span: 24 * time.Hour,
		AdminLimit: 10,
	}
}

func newFake(_ testing.TB, perModule int) wodletest.Fake {
	return fakeapi.New(fakeOptions(perModule))
}

// recordID identifies a record of any of the four logs for the suite's
// exactly-once checks.
func recordID(e map[string]any) string {
	for _, k := range []string{"txid", "telephony_id", "activity_id"} {
		if s, _ := e[k].(string); s != "" {
			return k + ":" + s
		}
	}
	if e["action"] != nil && e["timestamp"] != nil {
		return fmt.Sprintf("admin:%v|%v|%v|%v", e["timestamp"], e["action"], e["object"], e["description"])
	}
	return ""
}

func harness() wodletest.Harness {
	return wodletest.Harness{
		Vendor:  duo.New,
		NewFake: newFake,
		Secrets: map[string]string{duo.IKeyKey: testIKey, duo.SKeyKey: testSKey},
		// The suite paces with REQUESTS_PER_MINUTE (off, or 600 for its
		// SIGTERM test); Duo's per-endpoint budget would make it minutes long.
		Env:       wodletest.Env{"DUO_REQUESTS_PER_MINUTE_PER_ENDPOINT": "0"},
		PageSize:  10,
		IDField:   "txid",
		RecordID:  recordID,
		Module:    "authentication",
		FaultPath: fakeapi.Path(fakeapi.Authentication),
		Answers:   answers(),
		Exec:      []string{os.Args[0], "-test.run=^$"},
	}
}

// answers: {"stat":"OK","response":...}; v2 logs answer an object with
// the log's array and metadata (next_offset absent or null on the last
// page), the v1 administrator log an array.
func answers() []wodletest.Answer {
	v2 := func(log, array string) wodletest.Answer {
		return wodletest.Answer{Module: log, Path: fakeapi.Path(log), Records: []string{array},
			Required: []string{"stat", "response.metadata"}, Cursors: []string{"response.metadata.next_offset"}}
	}
	return []wodletest.Answer{
		v2(fakeapi.Authentication, "response.authlogs"),
		v2(fakeapi.Telephony, "response.items"),
		v2(fakeapi.Activity, "response.items"),
		{Module: fakeapi.Administrator, Path: fakeapi.Path(fakeapi.Administrator), Records: []string{"response"}, Required: []string{"stat"}},
	}
}

func TestConformance(t *testing.T) { wodletest.Conformance(t, harness()) }
