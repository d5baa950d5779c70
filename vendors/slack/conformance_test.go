package slack_test

import (
	"os"
	"testing"
	"time"

	"github.com/wodlekit/wodlekit/runtime/wodletest"
	"github.com/wodlekit/wodlekit/vendors/slack"
	"github.com/wodlekit/wodlekit/vendors/slack/fakeapi"
)

func TestMain(m *testing.M) { wodletest.Main(m, slack.New) }

// testToken is shaped like a Slack user token and valid only against the fake.
const testToken = "xoxp-1111111111-2222222222-3333333333-0123456789abcdef0123456789abcdef"

func newFake(_ testing.TB, n int) wodletest.Fake {
	return fakeapi.New(fakeapi.Options{
		Token: testToken, Events: n, Seed: 1,
		// Inside the lookback whatever day the tests run; two entries a
		// second so that seconds straddle pages.
		Start: time.Now().Add(-48 * time.Hour), Span: 24 * time.Hour, SameSecond: 2,
	})
}

func harness() wodletest.Harness {
	return wodletest.Harness{
		Vendor:    slack.New,
		NewFake:   newFake,
		Secrets:   map[string]string{slack.TokenKey: testToken},
		PageSize:  10,
		IDField:   "id",
		Module:    "logs",
		FaultPath: fakeapi.Path,
		// One module: the kill test's nine kills need a backlog of many
		// pages to land mid-sweep.
		KillBacklog: 300,
		// An answer is {"entries":[...],"response_metadata":{"next_cursor":"..."}}.
		// next_cursor is not declared a cursor: Slack's "" is a real last
		// page, not an empty cursor (a number there is refused by the
		// vendor's own page contract, see TestBrokenPagesKeepTheCursor).
		Answers: []wodletest.Answer{{Module: "logs", Path: fakeapi.Path, Records: []string{"entries"}}},
		Exec:    []string{os.Args[0], "-test.run=^$"},
	}
}

func TestConformance(t *testing.T) { wodletest.Conformance(t, harness()) }
