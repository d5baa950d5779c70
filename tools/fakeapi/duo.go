package main

import (
	"time"

	"github.com/wodlekit/wodlekit/vendors/duo/fakeapi"
)

// demoMaxPerLog keeps each Duo log within one full page: Duo's log
// endpoints allow about one request a minute, so a larger backlog is
// collected over several runs (proven in vendors/duo's tests), which the
// demo's "second run emits nothing new" check would read as a replay.
const demoMaxPerLog = 900

// duoLogs fakes the Duo Admin API logs with the token as the secret key
// and Duo's observed limit of two requests a minute per log endpoint.
func duoLogs(c Config) Fake {
	const ikey = "DIWODLEKITDEMOIKEY01"
	n := min(c.Events, demoMaxPerLog)
	events := map[string]int{}
	for _, l := range fakeapi.Logs() {
		events[l] = n
	}
	// Duo serves only events older than two minutes: a backlog reaching up
	// to now would let events cross that line between two demo runs, and a
	// second run would rightly collect them. End it five minutes ago.
	const settled = 5 * time.Minute
	api := fakeapi.New(fakeapi.Options{
		IKey: ikey, SKey: c.Token, Events: events, Seed: c.Seed, Start: c.Start.Add(-settled), Span: c.Span,
		RequestsPerMinute: 2,
	})
	return Fake{Handler: api, Append: func(n int) {
		for _, l := range fakeapi.Logs() {
			api.Append(l, n)
		}
	}, Secrets: map[string]string{"DUO_IKEY": ikey, "DUO_SKEY": c.Token}}
}
