package main

import "github.com/wodlekit/wodlekit/vendors/onepassword/fakeapi"

// onePassword fakes the 1Password Events API with a token holding all three
// features and the same backlog size on each stream.
func onePassword(c Config) Fake {
	events := map[string]int{}
	for _, f := range fakeapi.Features() {
		events[f] = c.Events
	}
	api := fakeapi.New(fakeapi.Options{
		Token: c.Token, Features: fakeapi.Features(), Events: events,
		Seed: c.Seed, Start: c.Start, Span: c.Span,
	})
	return Fake{Handler: api, Append: func(n int) {
		for _, f := range fakeapi.Features() {
			api.Append(f, n)
		}
	}, Secrets: map[string]string{"OP_EVENTS_TOKEN": c.Token}}
}
