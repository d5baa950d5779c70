package googleworkspace_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/wodlekit/wodlekit/runtime/wodletest"
	"github.com/wodlekit/wodlekit/vendors/google_workspace"
	"github.com/wodlekit/wodlekit/vendors/google_workspace/fakeapi"
)

func TestMain(m *testing.M) { wodletest.Main(m, googleworkspace.New) }

func newFake(_ testing.TB, perModule int) wodletest.Fake {
	return newAPI(fakeapi.Options{Events: perModule, Seed: 1, Start: time.Now().Add(-48 * time.Hour), Span: 24 * time.Hour})
}

func harness() wodletest.Harness {
	// Every application answers the same shape: "items" left out when
	// empty (Google's documented JSON omits empty lists), "kind" always
	// there, "nextPageToken" absent on the last page and never empty.
	var answers []wodletest.Answer
	for _, app := range fakeapi.Apps() {
		answers = append(answers, wodletest.Answer{Module: app, Path: fakeapi.PathPrefix + app,
			Omittable: []string{"items"}, Required: []string{"kind"}, Cursors: []string{"nextPageToken"}})
	}
	return wodletest.Harness{
		Vendor:  googleworkspace.New,
		NewFake: newFake,
		Secrets: map[string]string{googleworkspace.KeyKey: string(testKey(wodletest.FakeURL).JSON)},
		// Windows end at the run's start: what Append adds just before a
		// run is in its window.
		Env:      wodletest.Env{"GWS_DELEGATED_ADMIN": testAdmin, "GWS_LAG": "0s"},
		PageSize: 10,
		RecordID: func(r map[string]any) string {
			return fmt.Sprint(wodletest.Field(r, "id.time"), "/", wodletest.Field(r, "id.uniqueQualifier"), "/", wodletest.Field(r, "id.applicationName"))
		},
		Module:    "login",
		FaultPath: fakeapi.PathPrefix + "login",
		Answers:   answers,
		Exec:      []string{os.Args[0], "-test.run=^$"},
	}
}

func TestConformance(t *testing.T) { wodletest.Conformance(t, harness()) }
