package mimecast_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/wodlekit/wodlekit/runtime/wodletest"
	"github.com/wodlekit/wodlekit/vendors/mimecast"
	"github.com/wodlekit/wodlekit/vendors/mimecast/fakeapi"
)

func TestMain(m *testing.M) { wodletest.Main(m, mimecast.New) }

// The credentials of an API 2.0 application, valid only against the fake.
const (
	testClientID     = "mc-test-client-7f3a9c"
	testClientSecret = "mc-test-secret-Zm9vYmFyYmF6cXV4"
)

var testSecrets = map[string]string{mimecast.ClientIDKey: testClientID, mimecast.ClientSecretKey: testClientSecret}

func newFake(_ testing.TB, n int) wodletest.Fake {
	return fakeapi.New(fakeapi.Options{ClientID: testClientID, ClientSecret: testClientSecret, Events: n, Seed: 1,
		Start: time.Now().Add(-48 * time.Hour), Span: 24 * time.Hour})
}

// recordID identifies a record for the suite: an audit event by its id,
// a SIEM event by the collector's composite key.
func recordID(r map[string]any) string {
	if id, ok := r["id"].(string); ok {
		return id
	}
	if r["processingId"] == nil {
		return ""
	}
	return fmt.Sprintf("%v|%v|%v|%v", r["type"], r["processingId"], r["aggregateId"], r["timestamp"])
}

func harness() wodletest.Harness {
	return wodletest.Harness{
		Vendor:    mimecast.New,
		NewFake:   newFake,
		Secrets:   testSecrets,
		PageSize:  10,
		RecordID:  recordID,
		Module:    "siem",
		FaultPath: fakeapi.BatchPath,
		// The kill test's nine kills must land mid-backlog: SIEM pages
		// are per type, so the backlog spans fewer pages than the total.
		KillBacklog: 150,
		// An empty backlog still lists each type once.
		EmptyPages: len(mimecast.Types),
		Answers: []wodletest.Answer{
			// {"value":[...],"@nextPage":"...","isCaughtUp":false}
			{Module: "siem", Path: fakeapi.BatchPath, Records: []string{"value"}, Required: []string{"isCaughtUp"}, Cursors: []string{"@nextPage"}},
			// {"meta":{"pagination":{"next":"..."}},"data":[...],"fail":[]}; next
			// is not a cursor here: its absence ends the window.
			{Module: "audit", Path: fakeapi.AuditPath, Records: []string{"data"}, Required: []string{"meta"}},
		},
		Exec: []string{os.Args[0], "-test.run=^$"},
	}
}

func TestConformance(t *testing.T) { wodletest.Conformance(t, harness()) }
