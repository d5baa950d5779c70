package emit

import (
	"context"
	"fmt"
	"io"
	"sync"
)

// Sink hands complete event lines to Wazuh. Write returns once the lines
// are handed over as far as the sink can know (stdout: written; queue:
// accepted by the socket); a sink that can learn more implements Settler,
// and the runner saves the cursor only after both.
type Sink interface {
	// Write delivers lines, each ending in '\n'. It is called with whole
	// lines (a page in one or more calls, all before its cursor is saved)
	// and must not interleave concurrent calls.
	Write(ctx context.Context, lines []byte) error
	// Close releases the sink.
	Close() error
}

// Settler is a sink that can confirm that what it was given reached
// Wazuh itself, not only a buffer on the way (the queue sink: analysisd
// read the datagrams).
type Settler interface {
	// Settle returns nil once every line written before the call has been
	// taken by Wazuh; it returns an error if that cannot be confirmed
	// before ctx ends, and the cursor must then stay.
	Settle(ctx context.Context) error
}

// Writer is the stdout sink: what Wazuh's command wodle reads.
type Writer struct {
	mu sync.Mutex
	w  io.Writer
}

// NewWriter returns a sink writing to w (os.Stdout in production).
func NewWriter(w io.Writer) *Writer {
	growPipe(w)
	return &Writer{w: w}
}

// Write writes the lines in one call; signals never split it, because the
// runner only reacts to them between pages.
func (s *Writer) Write(_ context.Context, lines []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.w.Write(lines); err != nil {
		return fmt.Errorf("write events to stdout: %w", err)
	}
	return nil
}

// Close does nothing: stdout belongs to the process.
func (s *Writer) Close() error { return nil }
