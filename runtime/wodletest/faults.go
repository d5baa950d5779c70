package wodletest

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Fault is one scripted misbehaviour, served instead of (or around) the
// real answer of a fake API for one request.
type Fault struct {
	// Status, when non-zero, is answered instead of calling the fake.
	Status int
	// Header is added to the faulty answer (Retry-After, X-Rate-Limit-Reset).
	Header http.Header
	// Body is the faulty answer's body.
	Body string
	// Delay holds the request before answering (timeouts).
	Delay time.Duration
	// Reset closes the connection without an answer.
	Reset bool
	// Truncate lets the real fake answer but cuts its body in half, with
	// the full Content-Length announced (a connection lost mid-body).
	Truncate bool
	// Rewrite lets the real fake answer and serves rewrite(body) instead
	// of its body (an API or a proxy answering another shape).
	Rewrite func(body []byte) []byte
	// Path, when set, applies the fault only to requests for this path.
	Path string
}

// FaultInjector wraps a fake API and applies queued faults, one per
// request, in order; requests with no fault pending reach the fake.
type FaultInjector struct {
	next     http.Handler
	mu       sync.Mutex
	queue    []Fault
	requests int
}

// NewFaultInjector wraps h.
func NewFaultInjector(h http.Handler) *FaultInjector {
	return &FaultInjector{next: h}
}

// Push queues faults for the next matching requests.
func (f *FaultInjector) Push(faults ...Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queue = append(f.queue, faults...)
}

// Clear drops pending faults.
func (f *FaultInjector) Clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queue = nil
}

// Requests counts the requests seen, faulty or not.
func (f *FaultInjector) Requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

// Pending counts faults not yet served.
func (f *FaultInjector) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.queue)
}

func (f *FaultInjector) take(path string) (Fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	for i, ft := range f.queue {
		if ft.Path == "" || ft.Path == path {
			f.queue = append(f.queue[:i], f.queue[i+1:]...)
			return ft, true
		}
	}
	return Fault{}, false
}

// ServeHTTP applies the next fault or calls the fake.
func (f *FaultInjector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ft, ok := f.take(r.URL.Path)
	if !ok {
		f.next.ServeHTTP(w, r)
		return
	}
	if ft.Delay > 0 {
		select {
		case <-time.After(ft.Delay):
		case <-r.Context().Done():
			return
		}
	}
	switch {
	case ft.Reset:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
			}
		}
		return
	case ft.Truncate:
		rec := &recorder{header: http.Header{}}
		f.next.ServeHTTP(rec, r)
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		body := rec.body
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.statusOr200())
		_, _ = w.Write(body[:len(body)/2])
		if hj, ok := w.(http.Hijacker); ok {
			if conn, buf, err := hj.Hijack(); err == nil {
				_ = buf.Flush()
				_ = conn.Close()
			}
		}
		return
	case ft.Rewrite != nil:
		rec := &recorder{header: http.Header{}}
		f.next.ServeHTTP(rec, r)
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		body := ft.Rewrite(rec.body)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.statusOr200())
		_, _ = w.Write(body)
		return
	case ft.Status != 0:
		for k, v := range ft.Header {
			w.Header()[k] = v
		}
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(ft.Status)
		_, _ = w.Write([]byte(ft.Body))
		return
	}
	f.next.ServeHTTP(w, r)
}

type recorder struct {
	header http.Header
	status int
	body   []byte
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(code int)        { r.status = code }
func (r *recorder) Write(b []byte) (int, error) { r.body = append(r.body, b...); return len(b), nil }
func (r *recorder) statusOr200() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}
