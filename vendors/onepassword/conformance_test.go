package onepassword_test

import (
	"os"
	"testing"
	"time"

	"github.com/wodlekit/wodlekit/runtime/wodletest"
	"github.com/wodlekit/wodlekit/vendors/onepassword"
	"github.com/wodlekit/wodlekit/vendors/onepassword/fakeapi"
)

func TestMain(m *testing.M) { wodletest.Main(m, onepassword.New) }

const testToken = "ops_test-token-Zm9vYmFyYmF6cXV4LXNlY3JldA"

func newFake(_ testing.TB, perModule int) wodletest.Fake {
	events := map[string]int{}
	for _, f := range fakeapi.Features() {
		events[f] = perModule
	}
	return fakeapi.New(fakeapi.Options{
		Token: testToken, Features: fakeapi.Features(), Events: events, Seed: 1,
		// Inside the lookback whatever day the tests run.
		Start: time.Now().Add(-48 * time.Hour), Span: 24 * time.Hour,
	})
}

func harness() wodletest.Harness {
	return wodletest.Harness{
		Vendor:    onepassword.New,
		NewFake:   newFake,
		Secrets:   map[string]string{onepassword.TokenKey: testToken},
		PageSize:  10,
		IDField:   "uuid",
		Module:    "auditevents",
		FaultPath: "/api/v2/auditevents",
		Answers:   answers(),
		Exec:      []string{os.Args[0], "-test.run=^$"},
	}
}

// answers: every Events API page is {"cursor", "has_more", "items"}
// (the Events API reference), the cursor an opaque non-empty string.
func answers() []wodletest.Answer {
	var out []wodletest.Answer
	for _, f := range fakeapi.Features() {
		out = append(out, wodletest.Answer{Module: f, Path: "/api/v2/" + f,
			Records: []string{"items"}, Required: []string{"cursor", "has_more"}, Cursors: []string{"cursor"}})
	}
	return out
}

func TestConformance(t *testing.T) { wodletest.Conformance(t, harness()) }
