package fakekit

import (
	"net/http"
	"slices"
	"sync"
	"time"
)

// Request is what a fake recorded of one request.
type Request struct {
	Method, Path string
	// Query is the raw query string as received.
	Query string
	// Header is a copy of the request's headers (Authorization included:
	// tests check what the collector signed).
	Header http.Header
	// Status is the status the fake answered (200 when it wrote a body
	// without a status).
	Status int
	// At is when the fake received it, on the fake's clock.
	At time.Time
}

// RequestLog records the requests a fake answered; a fake embeds it (the
// zero value is ready) to implement Fake.Requests. Safe for concurrent
// use. It keeps every request: a fake lives for a test or a demo.
type RequestLog struct {
	mu   sync.Mutex
	reqs []Request
}

// Record serves r with serve and logs it with the status serve answered;
// at is the fake's clock reading.
func (l *RequestLog) Record(w http.ResponseWriter, r *http.Request, at time.Time, serve http.HandlerFunc) {
	sw := &statusWriter{ResponseWriter: w}
	serve(sw, r)
	if sw.status == 0 {
		sw.status = http.StatusOK
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reqs = append(l.reqs, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
		Header: r.Header.Clone(), Status: sw.status, At: at})
}

// Requests returns the recorded requests, in order.
func (l *RequestLog) Requests() []Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.reqs)
}

// Count is how many requests reached path (any method, any outcome).
func (l *RequestLog) Count(path string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.reqs {
		if r.Path == path {
			n++
		}
	}
	return n
}

// statusWriter remembers the status a handler answered.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (Flush, Hijack).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
