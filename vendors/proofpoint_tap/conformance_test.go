package proofpointtap_test

import (
	"os"
	"testing"

	"github.com/wodlekit/wodlekit/runtime/wodletest"
	proofpointtap "github.com/wodlekit/wodlekit/vendors/proofpoint_tap"
	"github.com/wodlekit/wodlekit/vendors/proofpoint_tap/fakeapi"
)

func TestMain(m *testing.M) { wodletest.Main(m, proofpointtap.New) }

const (
	testPrincipal = "tap-principal-7f3e2a91-conformance"
	testSecret    = "tap-secret-Zm9vYmFyYmF6cXV4LXNlY3JldA"
	// pageSize is the suite's PAGE_SIZE: the People API pages by it, and
	// the fake puts that many SIEM records in each hour so that a one-hour
	// slice is the SIEM's page.
	pageSize = 10
)

func newFake(_ testing.TB, perModule int) wodletest.Fake {
	return fakeapi.New(fakeapi.Options{
		Principal: testPrincipal, Secret: testSecret, Seed: 1,
		SIEM: perModule, People: perModule, PerHour: pageSize,
		// The suite runs the binary dozens of times against one fake; the
		// budget tests below use TAP's real numbers.
		SIEMBudget: 1_000_000, PeopleBudget: 1_000_000,
	})
}

func harness() wodletest.Harness {
	return wodletest.Harness{
		Vendor:  proofpointtap.New,
		NewFake: newFake,
		Secrets: map[string]string{proofpointtap.PrincipalKey: testPrincipal, proofpointtap.SecretKey: testSecret},
		Env: wodletest.Env{
			// A day, not TAP's 7: an empty SIEM backlog costs one request
			// (one page) per hour of lookback.
			"TAP_LOOKBACK_HOURS": "24",
			// The VAP report is a snapshot collected once a day; the suite
			// needs every run to read it to see appended users.
			"TAP_PEOPLE_PERIOD":       "0s",
			"TAP_SIEM_DAILY_BUDGET":   "1000000",
			"TAP_PEOPLE_DAILY_BUDGET": "1000000",
		},
		PageSize:  pageSize,
		IDField:   "id",
		Module:    "siem",
		FaultPath: "/v2/siem/all",
		// /v2/siem/all answers its four arrays always, empty or not; the
		// VAP report its users and the report's interval.
		Answers: []wodletest.Answer{
			{Module: "siem", Path: "/v2/siem/all", Records: []string{"clicksPermitted", "clicksBlocked", "messagesDelivered", "messagesBlocked"}},
			{Module: "people", Path: "/v2/people/vap", Records: []string{"users"}, Required: []string{"interval"}},
		},
		// Two modules: a backlog of 60 each is used up before the later
		// kills; 200 SIEM records still fit the day of lookback (20 hours).
		KillBacklog: 200,
		// One saved slice per hour of the day of lookback, plus the People report.
		EmptyPages: 25,
		Exec:       []string{os.Args[0], "-test.run=^$"},
	}
}

func TestConformance(t *testing.T) { wodletest.Conformance(t, harness()) }
