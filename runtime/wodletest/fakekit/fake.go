package fakekit

import (
	"net/http"
	"time"
)

// Fake is a vendor's fake API as the conformance suite, the vendor's own
// tests and the demo drive it. vendors/<v>/fakeapi.API implements it
// directly (end the package with `var _ fakekit.Fake = (*API)(nil)`).
type Fake interface {
	http.Handler
	// Append adds n new events to every module's backlog, as if they had
	// just happened (inside the window the next run collects).
	Append(n int)
	// AppendRaw adds one record, as raw JSON, to one module's backlog,
	// stamped like Append; an unknown module panics (a test's mistake).
	AppendRaw(module string, raw []byte)
	// BigRecord returns a valid record of the fault module with one string
	// making it about size bytes (see the package's BigRecord).
	BigRecord(size int) []byte
	// WideRecord returns a valid record of the fault module with about n
	// leaf fields (see the package's WideRecord).
	WideRecord(n int) []byte
	// Requests returns every request the fake answered, in order (embed a
	// RequestLog to get it).
	Requests() []Request
}

// DemoConfig is what tools/fakeapi builds every vendor's demo fake from.
type DemoConfig struct {
	// Token is the one credential the demo hands out; a vendor with
	// several secrets derives them from it or fixes the non-secret ones.
	Token string
	// Events is the initial backlog per module.
	Events int
	// Seed makes the generated events deterministic.
	Seed int64
	// Start and Span place the backlog in time: evenly from Start to
	// Start+Span (Start+Span is about now).
	Start time.Time
	Span  time.Duration
	// URL is the fake's base URL, for a vendor whose credentials name an
	// endpoint of the API (Google's service account key names its token
	// endpoint); the fake listens there before it is built.
	URL string
}

// Demo is a running demo fake with the secrets it accepts.
type Demo struct {
	Fake
	// Secrets are the credentials the fake accepts, by the vendor's secret
	// keys (OP_EVENTS_TOKEN=...); tools/fakeapi writes them to the file
	// the wodle reads.
	Secrets map[string]string
	// Settings are the vendor settings the fake needs besides its base URL
	// (GWS_DELEGATED_ADMIN=...); tools/fakeapi writes them to the settings
	// file the demo and the lifecycle test pass to run.sh.
	Settings map[string]string
}

// DemoFunc builds a vendor's demo fake; every vendors/<v>/fakeapi exports
// one named Demo, and tools/fakeapi lists them one line per vendor.
type DemoFunc func(DemoConfig) Demo
