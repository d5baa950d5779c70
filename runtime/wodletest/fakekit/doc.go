// Package fakekit is the shared toolkit of the vendors' fake APIs
// (vendors/<v>/fakeapi): the one Fake interface every fake implements, so
// that the conformance suite (wodletest.Harness) and the demo server
// (tools/fakeapi) drive every vendor the same way; a seeded generator
// (Gen, Pick); a time-ordered backlog with late indexing (Backlog); a
// request log (RequestLog); and the helpers that enlarge and widen a
// generated record for the budget tests (BigRecord, WideRecord,
// CountLeaves).
//
// A new vendor's fake, in outline:
//
//	type API struct {
//		fakekit.RequestLog // Requests() and Count(path) for the tests
//		mu   sync.Mutex
//		gen  *fakekit.Gen
//		logs map[string]*fakekit.Backlog // one per module
//	}
//
//	func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
//		a.Record(w, r, a.now(), a.serve)
//	}
//	func (a *API) Append(n int)                         { ... every module ... }
//	func (a *API) AppendRaw(module string, raw []byte)  { ... }
//	func (a *API) BigRecord(size int) []byte { return fakekit.BigRecord(a.sample(1), "message", size) }
//	func (a *API) WideRecord(n int) []byte   { return fakekit.WideRecord(a.sample(2), "details", n) }
//
//	var _ fakekit.Fake = (*API)(nil)
//
//	// Demo is the fake tools/fakeapi serves: one line there names it.
//	func Demo(c fakekit.DemoConfig) fakekit.Demo { ... }
//
// The package has no dependency on "testing", so the demo binary links it.
package fakekit
