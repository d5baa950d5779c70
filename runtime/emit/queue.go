package emit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"

	"golang.org/x/time/rate"
)

// ErrBlocked reports that Wazuh's queue socket did not take the events
// before the wait ended (the run deadline, a signal): analysisd is busy or
// hung. What was not confirmed stays uncommitted.
var ErrBlocked = errors.New("wazuh-analysisd did not take the events off its queue socket in time (analysisd busy or hung?)")

// Defaults of the queue sink's waits; tests shorten them.
const (
	// reconnectFor is how long a lost receiver is waited for: the time a
	// manager restart takes to bring analysisd back, bounded by the run.
	defaultReconnectFor = 2 * time.Minute
	// maxRecoveries bounds the reconnect-and-resend rounds of one call.
	maxRecoveries = 10
	// The drain poll starts fine (analysisd reads a page in microseconds)
	// and backs off, so a slow analysisd costs a few syscalls a second.
	pollFirst = 100 * time.Microsecond
	pollMax   = 5 * time.Millisecond
)

// aLongTimeAgo is a write deadline that interrupts a blocked send now.
var aLongTimeAgo = time.Unix(1, 0)

// Queue is the wazuh-queue sink: one datagram per event to Wazuh's local
// queue socket, framed "1:<location>:<event>" as Wazuh's own wodles do.
//
// A datagram that send() accepted is only queued in analysisd's socket,
// and analysisd discards what is queued when it stops. So Settle confirms
// that analysisd read everything written since the last Settle: the
// sender's SIOCOUTQ counter falls to zero once each datagram is read or
// discarded, and a zero-length datagram sent after that succeeds only if
// the same receiver is still there (it fails with ECONNREFUSED once that
// socket is closed; analysisd skips empty datagrams). If the receiver went
// away, Queue connects to the new one and sends the unconfirmed pages
// again: at least once, duplicates bounded by those pages.
type Queue struct {
	// sem serialises the calls; unlike a mutex, waiting for it stops
	// with the caller's context.
	sem      chan struct{}
	conn     *net.UnixConn
	header   []byte
	limiter  *rate.Limiter
	path     string
	sendBuff []byte
	// unsettled are the pages written since the last confirmed Settle,
	// kept to be sent again if their receiver went away.
	unsettled    [][]byte
	reconnectFor time.Duration
}

// NewQueue connects to the socket at path. location is "command_<tag>",
// the same location the command wodle would give, so rules match either
// way. eps paces the sends: the socket bypasses the wodle's max_eps.
func NewQueue(path, location string, eps int) (*Queue, error) {
	conn, err := dialQueue(path)
	if err != nil {
		return nil, err
	}
	if eps <= 0 {
		eps = 1000
	}
	return &Queue{
		sem:          make(chan struct{}, 1),
		conn:         conn,
		header:       []byte("1:" + escapeLocation(location) + ":"),
		limiter:      rate.NewLimiter(rate.Limit(eps), eps),
		path:         path,
		reconnectFor: defaultReconnectFor,
	}, nil
}

func dialQueue(path string) (*net.UnixConn, error) {
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) {
			return nil, fmt.Errorf("connect to Wazuh's queue socket %s: %w (is wazuh-manager running on this host?)", path, err)
		}
		return nil, fmt.Errorf("connect to Wazuh's queue socket %s: %w", path, err)
	}
	return conn, nil
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

func (q *Queue) lock(ctx context.Context) error {
	select {
	case q.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("send to Wazuh's queue socket %s: waiting for another module's page: %w", q.path, ctx.Err())
	}
}

func (q *Queue) unlock() { <-q.sem }

// Write sends each line as a datagram, paced, every send bounded by ctx.
// If analysisd restarts meanwhile, Write reconnects and sends the
// unconfirmed pages and this one again. On an error the lines already
// sent stay sent; the runner keeps the cursor, so the page comes again
// next run (at least once).
func (q *Queue) Write(ctx context.Context, lines []byte) error {
	if err := q.lock(ctx); err != nil {
		return err
	}
	defer q.unlock()
	page := bytes.Clone(lines)
	q.unsettled = append(q.unsettled, page)
	err := q.send(ctx, page)
	if receiverGone(err) {
		err = q.recover(ctx)
	}
	if err != nil {
		q.unsettled = q.unsettled[:len(q.unsettled)-1]
	}
	return err
}

// Settle waits until analysisd has read every page written since the last
// Settle: the sender's queue drained, then proof that the receiver that
// drained it is still the one connected. A receiver that went away is
// replaced and the pages sent again, and confirmed the same way.
func (q *Queue) Settle(ctx context.Context) error {
	if err := q.lock(ctx); err != nil {
		return err
	}
	defer q.unlock()
	if len(q.unsettled) == 0 {
		return nil
	}
	for round := 0; ; round++ {
		if err := q.drain(ctx); err != nil {
			return err
		}
		err := q.probe(ctx)
		if err == nil {
			clear(q.unsettled)
			q.unsettled = q.unsettled[:0]
			return nil
		}
		if !receiverGone(err) {
			return err
		}
		// Drained because analysisd closed its socket: what it had not
		// read was discarded.
		if round == maxRecoveries {
			return fmt.Errorf("send to Wazuh's queue socket %s: analysisd went away %d times before it read this page: %w", q.path, round+1, err)
		}
		if err := q.recover(ctx); err != nil {
			return err
		}
	}
}

// recover connects to the new receiver and sends every unconfirmed page
// again, as often as the receiver goes away while they are sent.
func (q *Queue) recover(ctx context.Context) error {
	for round := 0; ; round++ {
		if err := q.reconnect(ctx); err != nil {
			return err
		}
		var err error
		for _, page := range q.unsettled {
			if err = q.send(ctx, page); err != nil {
				break
			}
		}
		if err == nil || !receiverGone(err) {
			return err
		}
		if round == maxRecoveries {
			return fmt.Errorf("send to Wazuh's queue socket %s: analysisd went away %d times while a page was sent again: %w", q.path, round+1, err)
		}
	}
}

// reconnect replaces the connection, waiting for analysisd to come back
// for at most reconnectFor, and never past ctx.
func (q *Queue) reconnect(ctx context.Context) error {
	_ = q.conn.Close()
	ctx, cancel := context.WithTimeout(ctx, q.reconnectFor)
	defer cancel()
	wait := 20 * time.Millisecond
	for {
		conn, err := dialQueue(q.path)
		if err == nil {
			q.conn = conn
			return nil
		}
		if sleep(ctx, wait) != nil {
			// A closed connection stays in place: later calls fail on it
			// with a clear error rather than on nil.
			return fmt.Errorf("wazuh-analysisd went away and did not come back (%v): %w", ctx.Err(), err)
		}
		wait = min(2*wait, time.Second)
	}
}

// send writes page as datagrams, paced, each bounded by ctx.
func (q *Queue) send(ctx context.Context, page []byte) error {
	disarm := q.arm(ctx)
	defer disarm()
	for len(page) > 0 {
		end := bytes.IndexByte(page, '\n')
		if end < 0 {
			end = len(page)
		}
		line := page[:end]
		page = page[min(end+1, len(page)):]
		if len(line) == 0 {
			continue
		}
		if err := q.pace(ctx); err != nil {
			return fmt.Errorf("send to %s: %w", q.path, err)
		}
		q.sendBuff = append(append(q.sendBuff[:0], q.header...), line...)
		if _, err := q.conn.Write(q.sendBuff); err != nil {
			return q.sendError(ctx, err, len(q.sendBuff))
		}
	}
	return nil
}

// pace waits for the limiter's next slot, or for ctx.
func (q *Queue) pace(ctx context.Context) error {
	r := q.limiter.Reserve()
	if r.Delay() == 0 {
		return nil
	}
	if err := sleep(ctx, r.Delay()); err != nil {
		r.Cancel()
		return err
	}
	return nil
}

// sleep waits d, or until ctx ends and then returns its error.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// arm makes the connection's writes end with ctx: its deadline, and a
// deadline in the past once ctx is cancelled (a signal). disarm waits for
// that callback, so it cannot cut a later call's writes.
func (q *Queue) arm(ctx context.Context) (disarm func()) {
	conn := q.conn
	dl, _ := ctx.Deadline()
	_ = conn.SetWriteDeadline(dl)
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(fired)
		_ = conn.SetWriteDeadline(aLongTimeAgo)
	})
	return func() {
		if !stop() {
			<-fired
		}
		_ = conn.SetWriteDeadline(time.Time{})
	}
}

// drain waits until the kernel charges no byte of ours to the socket:
// every datagram was read, or discarded by a receiver that closed.
func (q *Queue) drain(ctx context.Context) error {
	wait := pollFirst
	for {
		n, err := q.outq()
		if err != nil {
			return fmt.Errorf("send to Wazuh's queue socket %s: read the send queue: %w", q.path, err)
		}
		if n == 0 {
			return nil
		}
		if err := sleep(ctx, wait); err != nil {
			return fmt.Errorf("send to Wazuh's queue socket %s: %w: %d bytes still unread when the wait ended: %w", q.path, ErrBlocked, n, err)
		}
		wait = min(2*wait, pollMax)
	}
}

// probe sends a zero-length datagram: it fails with ECONNREFUSED if the
// receiver closed its socket. It waits, bounded by ctx, if analysisd's
// queue is full of other senders' datagrams.
func (q *Queue) probe(ctx context.Context) error {
	disarm := q.arm(ctx)
	defer disarm()
	raw, err := q.conn.SyscallConn()
	if err != nil {
		return q.sendError(ctx, err, 0)
	}
	var sendErr error
	// RawConn.Write waits for the socket to be writable with the poller,
	// so the write deadline bounds it like any other send.
	if err := raw.Write(func(fd uintptr) bool {
		sendErr = syscall.Sendto(int(fd), nil, 0, nil)
		return sendErr != syscall.EAGAIN
	}); err != nil {
		return q.sendError(ctx, err, 0)
	}
	if sendErr != nil {
		return q.sendError(ctx, sendErr, 0)
	}
	return nil
}

func (q *Queue) sendError(ctx context.Context, err error, size int) error {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		cause := ctx.Err()
		if cause == nil {
			cause = context.DeadlineExceeded
		}
		return fmt.Errorf("send to Wazuh's queue socket %s: %w: %w", q.path, ErrBlocked, cause)
	case receiverGone(err):
		return fmt.Errorf("send to Wazuh's queue socket %s: %w (wazuh-analysisd stopped? is wazuh-manager running?)", q.path, err)
	case errors.Is(err, syscall.EMSGSIZE):
		return fmt.Errorf("send to Wazuh's queue socket %s: a %d-byte event is larger than the socket accepts: %w (lower MAX_LINE_BYTES or raise net.core.wmem_max)", q.path, size, err)
	}
	return fmt.Errorf("send to Wazuh's queue socket %s: %w", q.path, err)
}

// receiverGone tells whether err means the socket we were connected to is
// closed: ECONNREFUSED on the first send after, ENOTCONN on later ones
// (the kernel then forgets the dead peer).
func receiverGone(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOTCONN) || errors.Is(err, syscall.ECONNRESET)
}

// Close closes the socket.
func (q *Queue) Close() error {
	q.sem <- struct{}{}
	defer q.unlock()
	return q.conn.Close()
}
