package emit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"

	"golang.org/x/time/rate"
)

// Sink hands complete event lines to Wazuh. Write returns only once the
// lines are delivered as far as the sink can know (stdout: written;
// queue: accepted by the socket): the runner saves the cursor after it.
type Sink interface {
	// Write delivers lines, each ending in '\n'. It is called with whole
	// pages and must not interleave concurrent calls.
	Write(ctx context.Context, lines []byte) error
	// Close releases the sink.
	Close() error
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

// Queue is the wazuh-queue sink: one datagram per event to Wazuh's local
// queue socket, framed "1:<location>:<event>" as Wazuh's own wodles do, so
// that events survive a manager restart that would lose buffered stdout.
type Queue struct {
	mu       sync.Mutex
	conn     *net.UnixConn
	header   []byte
	limiter  *rate.Limiter
	path     string
	sendBuff []byte
}

// NewQueue connects to the socket at path. location is "command_<tag>",
// the same location the command wodle would give, so rules match either
// way. eps paces the sends: the socket bypasses the wodle's max_eps.
func NewQueue(path, location string, eps int) (*Queue, error) {
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) {
			return nil, fmt.Errorf("connect to Wazuh's queue socket %s: %w (is wazuh-manager running on this host?)", path, err)
		}
		return nil, fmt.Errorf("connect to Wazuh's queue socket %s: %w", path, err)
	}
	if eps <= 0 {
		eps = 1000
	}
	return &Queue{
		conn:    conn,
		header:  []byte("1:" + escapeLocation(location) + ":"),
		limiter: rate.NewLimiter(rate.Limit(eps), eps),
		path:    path,
	}, nil
}

// escapeLocation escapes ':' as Wazuh's SendMSGAction does, so a location
// with a colon cannot shift the payload.
func escapeLocation(loc string) string {
	var b bytes.Buffer
	for i := 0; i < len(loc); i++ {
		if loc[i] == ':' {
			b.WriteByte('|')
		}
		b.WriteByte(loc[i])
	}
	return b.String()
}

// Write sends each line as a datagram. On an error the lines already sent
// stay sent; the runner keeps the cursor, so the page is sent again next
// run (at least once).
func (q *Queue) Write(ctx context.Context, lines []byte) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(lines) > 0 {
		end := bytes.IndexByte(lines, '\n')
		if end < 0 {
			end = len(lines)
		}
		line := lines[:end]
		lines = lines[min(end+1, len(lines)):]
		if len(line) == 0 {
			continue
		}
		if err := q.limiter.Wait(ctx); err != nil {
			return fmt.Errorf("send to %s: %w", q.path, err)
		}
		q.sendBuff = append(append(q.sendBuff[:0], q.header...), line...)
		if _, err := q.conn.Write(q.sendBuff); err != nil {
			switch {
			case errors.Is(err, syscall.ECONNREFUSED):
				return fmt.Errorf("send to Wazuh's queue socket %s: %w (wazuh-analysisd stopped? is wazuh-manager running?)", q.path, err)
			case errors.Is(err, syscall.EMSGSIZE):
				return fmt.Errorf("send to Wazuh's queue socket %s: a %d-byte event is larger than the socket accepts: %w (lower MAX_LINE_BYTES or raise net.core.wmem_max)", q.path, len(q.sendBuff), err)
			}
			return fmt.Errorf("send to Wazuh's queue socket %s: %w", q.path, err)
		}
	}
	return nil
}

// Close closes the socket.
func (q *Queue) Close() error { return q.conn.Close() }
