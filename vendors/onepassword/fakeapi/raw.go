package fakeapi

import "bytes"

// AppendRaw adds a record as given (a big or wide event, a polymorphic
// field) after a feature's existing events, for tests that need an exact
// shape in the stream.
func (a *API) AppendRaw(feature string, raw []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s, ok := a.streams[feature]
	if !ok {
		panic("fakeapi: unknown feature " + feature)
	}
	next := a.opts.Start
	if len(s.times) > 0 {
		next = s.times[len(s.times)-1].Add(s.step)
	}
	s.times = append(s.times, next)
	s.events = append(s.events, bytes.Clone(raw))
}
