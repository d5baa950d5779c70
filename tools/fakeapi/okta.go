package main

import "github.com/wodlekit/wodlekit/vendors/okta/fakeapi"

// oktaSystemLog fakes the Okta System Log for an API token (SSWS); the
// OAuth service app flow needs a key pair and is covered by the vendor's
// own tests.
func oktaSystemLog(c Config) Fake {
	api := fakeapi.New(fakeapi.Options{Token: c.Token, Events: c.Events, Seed: c.Seed, Start: c.Start, Span: c.Span})
	return Fake{Handler: api, Append: api.Append, Secrets: map[string]string{"OKTA_API_TOKEN": c.Token}}
}
