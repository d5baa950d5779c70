package wodletest

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Response is one scripted answer of a Script.
type Response struct {
	// Status defaults to 200.
	Status int
	// Header is sent as given (Link, Retry-After, X-Rate-Limit-*).
	Header http.Header
	// Body is sent as given; Content-Type defaults to application/json.
	Body string
	// Delay holds the answer (timeouts, pacing).
	Delay time.Duration
}

// Script is a declarative fake API: for each "METHOD /path" the answers to
// give, in order. It is for vendor tests that need an exact sequence of
// pages, headers and statuses rather than a stateful fake; a request with
// no answer left fails the test's expectations with a 599 naming it.
type Script struct {
	mu       sync.Mutex
	answers  map[string][]Response
	requests []Recorded
}

// Recorded is a request a Script received, body included.
type Recorded struct {
	Method string
	URL    *url.URL
	Header http.Header
	Body   []byte
}

// NewScript returns an empty script.
func NewScript() *Script { return &Script{answers: map[string][]Response{}} }

// On queues answers for requests to method and path (query ignored).
func (s *Script) On(method, path string, answers ...Response) *Script {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := method + " " + path
	s.answers[key] = append(s.answers[key], answers...)
	return s
}

// Requests returns the requests served so far, in order.
func (s *Script) Requests() []Recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Recorded(nil), s.requests...)
}

// Left counts the answers not yet given.
func (s *Script) Left() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, a := range s.answers {
		n += len(a)
	}
	return n
}

// ServeHTTP gives the next answer for the request's method and path.
func (s *Script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.Method + " " + r.URL.Path
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	s.mu.Lock()
	s.requests = append(s.requests, Recorded{Method: r.Method, URL: r.URL, Header: r.Header.Clone(), Body: body})
	queue := s.answers[key]
	var a Response
	ok := len(queue) > 0
	if ok {
		a, s.answers[key] = queue[0], queue[1:]
	}
	s.mu.Unlock()
	if !ok {
		http.Error(w, fmt.Sprintf("wodletest.Script: no answer left for %s", key), 599)
		return
	}
	if a.Delay > 0 {
		select {
		case <-time.After(a.Delay):
		case <-r.Context().Done():
			return
		}
	}
	for k, v := range a.Header {
		w.Header()[k] = v
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	if a.Status == 0 {
		a.Status = http.StatusOK
	}
	w.WriteHeader(a.Status)
	_, _ = w.Write([]byte(a.Body))
}
