package okta_test

import (
	"os"
	"testing"
	"time"

	"github.com/wodlekit/wodlekit/runtime/wodletest"
	"github.com/wodlekit/wodlekit/vendors/okta"
	"github.com/wodlekit/wodlekit/vendors/okta/fakeapi"
)

func TestMain(m *testing.M) { wodletest.Main(m, okta.New) }

const testToken = "00TeSt-SSWS-token-Zm9vYmFyYmF6cXV4c2VjcmV0"

func newFake(_ testing.TB, n int) wodletest.Fake {
	return fakeapi.New(fakeapi.Options{
		Token: testToken, Events: n, Seed: 1,
		// Inside the lookback whatever day the tests run.
		Start: time.Now().Add(-48 * time.Hour), Span: 24 * time.Hour,
	})
}

func harness() wodletest.Harness {
	return wodletest.Harness{
		Vendor:    okta.New,
		NewFake:   newFake,
		Secrets:   map[string]string{okta.TokenKey: testToken},
		PageSize:  10,
		IDField:   "uuid",
		Module:    "system",
		FaultPath: "/api/v1/logs",
		// A System Log page is a bare array of LogEvents; the cursor is
		// the Link header's next URL, not in the body.
		Answers: []wodletest.Answer{{Module: "system", Path: "/api/v1/logs", Array: true}},
		// One module: a backlog of 60 would be used up before the later kills.
		KillBacklog: 400,
		Exec:        []string{os.Args[0], "-test.run=^$"},
	}
}

func TestConformance(t *testing.T) { wodletest.Conformance(t, harness()) }
