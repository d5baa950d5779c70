package runner

import (
	"context"
	"io"
	"sync"

	"github.com/wodlekit/wodlekit/runtime/emit"
	"github.com/wodlekit/wodlekit/runtime/jsonrec"
)

// A page's records are slices of its body (jsonrec), about a megabyte for
// a thousand records, and its lines another megabyte. Left as garbage page
// after page, three modules with prefetch kept six live bodies, three line
// buffers and as much dead memory before each collection. So the run
// reuses a fixed number of bodies and one line buffer. A body comes with
// the decoder's tables (jsonrec.Scratch: the page's Items, captured
// fields, big-integer offsets) and the vendor's Records (PageRecords),
// which live exactly as long as its records.
//
// The release protocol: a module's Fetch carries a lease (pageLease); the
// first FetchPage of that Fetch takes a body from the run's pool when the
// response arrives (not before: a module waiting for its budget or a retry
// holds nothing), and the runner gives it back only once nothing points
// into it any more, that is once the page's lines were delivered (they are
// copies) and its cursor copied for the state write (the recent IDs are
// strings of their own). A prefetched page holds its body until it is
// delivered in turn; every way out of a module gives its leases back.
// IO.PoisonPages overwrites every body given back and empties its tables
// and records, so that any breach shows in the output; the test kit sets
// it on every run.
//
// Lines are encoded into one buffer for the whole run, delivered to the
// sink in chunks (deliverChunk) rather than a page at a time.

// pageBodies is the number of bodies of a run. One is enough: a body is
// taken only once an answer arrives, so every module's requests (and the
// vendor's time to answer them, most of a page's wall time against a real
// API) still overlap, and only reading, decoding and encoding a page, a
// few milliseconds of CPU, take turns; on make bench's mix a second body
// cost 0.8-1.3 MiB of peak RSS (a megabyte of body and tables, and the
// heap grown to twice that) for no measurable CPU or wall time.
const pageBodies = 1

// pageBuffer is the memory of one page: its body, the decoder's tables
// (jsonrec.Scratch) and the vendor's records (PageRecords).
type pageBuffer struct {
	scratch jsonrec.Scratch
	records []Record
}

// pageBuffers is the run's pool of page bodies.
type pageBuffers struct {
	slots  chan *pageBuffer
	poison bool
}

func newPageBuffers(n int, poison bool) *pageBuffers {
	p := &pageBuffers{slots: make(chan *pageBuffer, n), poison: poison}
	for range n {
		p.slots <- &pageBuffer{}
	}
	return p
}

// pageLease is what one Fetch may take from the pool: at most one body.
type pageLease struct {
	pool *pageBuffers
	body *pageBuffer
	// taken is set once a page was decoded into body: a second FetchPage
	// in the same Fetch decodes into new memory.
	taken bool
	// recordsTaken is set once PageRecords lent body's records: a second
	// call in the same Fetch gets new memory, not the same slice again.
	recordsTaken bool
}

// lease starts the lease of one Fetch; nil pools lend nothing.
func (p *pageBuffers) lease() *pageLease {
	if p == nil {
		return nil
	}
	return &pageLease{pool: p}
}

// acquire waits for a free body, or for ctx to end.
func (l *pageLease) acquire(ctx context.Context) (*pageBuffer, error) {
	select {
	case b := <-l.pool.slots:
		return b, nil
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

// release gives the body back once nothing points into it; it is safe on
// a nil lease and to call twice.
func (l *pageLease) release() {
	if l == nil || l.body == nil {
		return
	}
	b := l.body
	l.body = nil
	if l.pool.poison {
		b.scratch.Wipe('#')
		clear(b.records[:cap(b.records)])
	}
	l.pool.slots <- b
}

type pageLeaseKey struct{}

// withPageLease lends l to the FetchPage calls of one Fetch.
func withPageLease(ctx context.Context, l *pageLease) context.Context {
	if l == nil {
		return ctx
	}
	return context.WithValue(ctx, pageLeaseKey{}, l)
}

// decodePage decodes into a body of the run's pool when the Fetch has a
// lease not yet used, and into new memory otherwise (the check command, a
// second page in one Fetch). size is the body's length when known (-1
// otherwise), so that a body grows once to fit rather than doubling past.
func decodePage(ctx context.Context, body io.Reader, size int64, spec *jsonrec.Spec) (*jsonrec.Page, error) {
	l, _ := ctx.Value(pageLeaseKey{}).(*pageLease)
	if l == nil || l.taken {
		return jsonrec.Decode(body, spec)
	}
	b, err := l.acquire(ctx)
	if err != nil {
		return nil, err
	}
	p, err := b.scratch.Decode(body, spec, size)
	l.body = b
	if err != nil {
		// No record points into a failed page: a retry may take a body.
		l.release()
		return nil, err
	}
	l.taken = true
	return p, nil
}

// PageRecords returns n zeroed records for the page a Fetch builds from
// what FetchPage decoded: the records kept with that page's body when the
// Fetch has one (they point into the body, so they live exactly as long),
// new memory otherwise (the check command, a Fetch without FetchPage, a
// second call in one Fetch). A thousand-record page allocated 104 KB of
// them, the largest garbage of a run left.
func PageRecords(ctx context.Context, n int) []Record {
	l, _ := ctx.Value(pageLeaseKey{}).(*pageLease)
	if l == nil || l.body == nil || l.recordsTaken {
		return make([]Record, n)
	}
	l.recordsTaken = true
	b := l.body
	if cap(b.records) < n {
		b.records = make([]Record, n)
		return b.records
	}
	b.records = b.records[:n]
	clear(b.records)
	return b.records
}

// deliverChunk is how many bytes of lines the runner gathers before
// handing them to the sink: a page's lines (a megabyte or more) need not
// all be in memory at once, only all delivered before its cursor is saved.
// A sink error midway leaves the cursor before the page, which is sent
// again whole next run (at least once, as with a partial write). 64 KiB
// writes to stdout's 1 MiB pipe cost no measurable CPU over 256 KiB ones
// and keep the buffer at about 128 KiB with the default line budget.
const deliverChunk = 64 << 10

// endPage delivers the last chunk of a page's lines; when earlier chunks
// went out already, an empty last chunk still waits for the sink to take
// them (emit.Settler).
func (c *collection) endPage(ctx context.Context, lines []byte, started bool) error {
	if len(lines) == 0 && started {
		if s, ok := c.sink.(emit.Settler); ok {
			return s.Settle(ctx)
		}
		return nil
	}
	return c.deliver(ctx, lines)
}

// lineBuffer is the run's one line buffer. A module holds it from
// encoding a page to the page's delivery: the sink takes one page at a
// time anyway, and encoding a page costs about a millisecond.
type lineBuffer struct {
	mu  sync.Mutex
	buf []byte
	// size is deliverChunk plus room for one line at the byte budget.
	size int
}

func newLineBuffer(maxLine int) *lineBuffer {
	return &lineBuffer{size: deliverChunk + maxLine + 4<<10}
}

// take locks the buffer for one page.
func (l *lineBuffer) take() []byte {
	l.mu.Lock()
	if cap(l.buf) < l.size {
		l.buf = make([]byte, 0, l.size)
	}
	return l.buf[:0]
}

// give returns the buffer, grown or not, and unlocks it.
func (l *lineBuffer) give(b []byte) {
	l.buf = b[:0]
	l.mu.Unlock()
}
