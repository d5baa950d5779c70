package main

import (
	"math"

	"github.com/wodlekit/wodlekit/vendors/proofpoint_tap/fakeapi"
)

// proofpointTAP fakes the TAP SIEM and People APIs: the backlog spread
// over the whole hours the span covers, a VAP report of one user per 20
// events, and the token as the service secret.
func proofpointTAP(c Config) Fake {
	hours := max(1, int(math.Ceil(c.Span.Hours())))
	principal := "demo-principal"
	api := fakeapi.New(fakeapi.Options{
		Principal: principal, Secret: c.Token, Seed: uint64(c.Seed),
		SIEM: c.Events, People: max(1, c.Events/20), PerHour: max(1, (c.Events+hours-1)/hours),
	})
	return Fake{Handler: api, Append: api.Append,
		Secrets: map[string]string{"TAP_PRINCIPAL": principal, "TAP_SECRET": c.Token}}
}
