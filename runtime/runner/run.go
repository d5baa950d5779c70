package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/wodlekit/wodlekit/runtime/config"
	"github.com/wodlekit/wodlekit/runtime/emit"
	"github.com/wodlekit/wodlekit/runtime/httpx"
	"github.com/wodlekit/wodlekit/runtime/internal/idwindow"
	"github.com/wodlekit/wodlekit/runtime/secret"
	"github.com/wodlekit/wodlekit/runtime/state"
	"github.com/wodlekit/wodlekit/runtime/version"
)

// collection is one run of the default command.
type collection struct {
	vendor Vendor
	cfg    *config.Common
	env    *Env
	enc    *emit.Encoder
	sink   emit.Sink
	store  *state.Store
	log    *slog.Logger
	// all starts every module from the lookback; all and dryRun save
	// nothing (see saves).
	all, dryRun bool
	since       time.Time
	started     time.Time
	// stop is closed by SIGTERM/SIGINT: modules finish the page in hand,
	// save and stop.
	stop <-chan struct{}
	// events and bytes count what all modules delivered: the caps are per
	// run because Wazuh buffers the whole run's output (64 MiB at most).
	events, bytes atomic.Int64
	// bodies and lines are the page bodies and the line buffer, reused
	// from page to page by every module (see pagebuf.go).
	bodies *pageBuffers
	lines  *lineBuffer
	// sinkFailed records that a page could not be delivered.
	sinkMu     sync.Mutex
	sinkFailed error
	// fallback, when set, takes the runtime events (errors, summaries)
	// the sink cannot: stdout, the command wodle's channel, for the queue
	// sink.
	fallback emit.Sink
	// sinkStuck records that the sink did not take a runtime event.
	sinkStuck atomic.Bool
	// logFailures counts failed log writes (logx), reported in every summary.
	logFailures *atomic.Int64
	// out counts every byte handed to a sink with an output limit (stdout:
	// vendor and runtime events); pageLimit and eventLimit are where pages
	// and runtime events stop being written (0: no limit).
	out                   atomic.Int64
	pageLimit, eventLimit int64
	// halted is set by the first sink or state failure: every module stops
	// before delivering another page, so a full disk or a closed stdout
	// does not grow the replay of the next run.
	halted atomic.Bool
	// begun delivers the outcome of the state's first write, made while
	// the modules start (nil when the run saves nothing); saved waits for
	// it once, keeping it in beginErr.
	begun     <-chan error
	beginOnce sync.Once
	beginErr  error
}

// saved waits for the state's first write and tells whether it succeeded.
// Nothing is delivered or emitted before it: a run whose state cannot be
// written (a full disk) halts and delivers nothing, and its only event is
// the one runCollect then emits.
func (c *collection) saved() bool {
	if c.begun == nil {
		return true
	}
	c.beginOnce.Do(func() {
		if c.beginErr = <-c.begun; c.beginErr != nil {
			c.halted.Store(true)
		}
	})
	return c.beginErr == nil
}

// moduleRun is the bookkeeping of one module in one run.
type moduleRun struct {
	summaryEvent
	stats httpx.Stats
}

func (c *collection) runAll(ctx context.Context, modules []Module) {
	// A plain group, not WithContext: one module's failure is its own error
	// event and must not cancel the others.
	var g errgroup.Group
	for _, m := range modules {
		g.Go(func() error {
			c.runModule(ctx, m)
			return nil
		})
	}
	_ = g.Wait()
}

func (c *collection) newSummary(name string) *moduleRun {
	mode := "incremental"
	switch {
	case c.all:
		mode = "all"
	case c.dryRun:
		mode = "dry_run"
	}
	return &moduleRun{summaryEvent: summaryEvent{
		EventType: "run_summary", Module: name, Status: "ok", Mode: mode,
		Instance: c.cfg.Instance, Version: version.Version,
	}}
}

// runModule collects one module until it is caught up or a limit stops
// it. A panic or error becomes an error event and leaves the cursor where
// the last delivered page put it.
func (c *collection) runModule(ctx context.Context, m Module) {
	name := m.Name()
	mr := c.newSummary(name)
	log := c.log.With("module", name)
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			log.Error("module panicked", "panic", p, "stack", string(debug.Stack()))
			c.emitError(name, kindPanic, 0, fmt.Sprintf("module %s panicked: %v", name, p))
			mr.Status = failedOrPartial(mr)
			mr.StoppedBy = "error"
		}
		c.finishSummary(mr, start)
	}()
	ctx = httpx.WithStats(ctx, &mr.stats)

	if p, ok := m.(Preparer); ok {
		if err := p.Prepare(ctx); err != nil {
			if errors.Is(err, ErrSkip) {
				mr.Status, mr.StoppedBy, mr.Message = "skipped", "skipped", c.scrub(err.Error())
				log.Warn("module skipped", "reason", mr.Message)
				return
			}
			c.moduleError(mr, log, err)
			return
		}
	}

	var cursor json.RawMessage
	if !c.all {
		cursor = c.store.Cursor(name)
	}
	if cursor == nil {
		mr.Since = c.since.UTC().Format(time.RFC3339)
		log.Info("no saved cursor: starting from the lookback", "since", mr.Since, "all", c.all)
	}
	ps := c.newPageScratch()
	// A prefetch and a commit each run beside the module's loop, one at a
	// time, on goroutines that live as long as the module (see helper).
	fetcher, committer := startHelper(), startHelper()
	defer fetcher.stop()
	defer committer.stop()
	// The state of a delivered page is written while the next page is
	// fetched, and the next page is delivered only once that write
	// succeeded, so a kill still replays at most the page in flight (a
	// power cut: at most state.durableEvery of pages, see Store.Commit).
	var inflight chan error
	waitCommit := func() bool {
		if inflight == nil {
			return true
		}
		err := <-inflight
		inflight = nil
		if err != nil {
			c.halted.Store(true)
			c.emitError(name, kindState, 0, c.scrub(err.Error())+"; the run stops before delivering more, so the next run replays as little as possible")
			mr.Status, mr.StoppedBy = failedOrPartial(mr), "error"
			return false
		}
		mr.CursorSaved = true
		return true
	}
	defer waitCommit()
	// With Vendor.Prefetch the next page is fetched while this one is
	// encoded and delivered, so the vendor and the runner work at the same
	// time. It is abandoned (cancelled, waited for) on every way out.
	var ahead chan fetched
	pctx, pcancel := context.WithCancel(ctx)
	// The body of the page in hand (see pagebuf.go), given back on every
	// way out, like a prefetched page's.
	var lease *pageLease
	defer func() {
		pcancel()
		if ahead != nil {
			(<-ahead).lease.release()
		}
		lease.release()
	}()
	for page := 1; ; page++ {
		if reason := c.stopReason(ctx, mr); reason != "" {
			mr.StoppedBy = reason
			if reason == "deadline" || reason == "signal" {
				log.Warn("stopping at a page boundary", "reason", reason, "pages", mr.Pages)
			}
			return
		}
		var pg *Page
		var err error
		if ahead != nil {
			f := <-ahead
			ahead, pg, err, lease = nil, f.page, f.err, f.lease
		} else {
			lease = c.bodies.lease()
			pg, err = m.Fetch(withPageLease(ctx, lease), PageRequest{Cursor: cursor, Since: c.since, Now: c.started, Page: page})
		}
		if err != nil {
			if reason := c.interrupted(ctx); reason != "" && !errors.Is(err, httpx.ErrDeadline) {
				mr.StoppedBy = reason
				log.Warn("stopped while fetching; the page in flight will be fetched again next run", "reason", reason)
				return
			}
			c.moduleError(mr, log, err)
			return
		}
		if err := checkCursor(pg.Next); err != nil {
			c.moduleError(mr, log, DecodeError(fmt.Errorf("module %s: %w", name, err)))
			return
		}
		// Nothing goes out before the state's first write is on disk.
		if !c.saved() {
			mr.StoppedBy = "error"
			return
		}
		// De-duplication below needs the previous page's IDs committed.
		if !waitCommit() {
			return
		}
		// Another module's failure to save or deliver may have come while
		// this page was fetched: it is not delivered either.
		if c.halted.Load() {
			mr.StoppedBy = "error"
			log.Warn("not delivering a fetched page: the run stops after a state or sink failure", "page", page)
			return
		}
		// The page goes out in chunks, so its room under the output limit
		// is claimed before the first one: a bound of its size, settled to
		// the real size once it is delivered.
		bound := c.pageBound(pg.Records)
		if !c.reserve(bound, true) {
			mr.StoppedBy = "max_bytes"
			log.Warn("stopping before a page that could pass Wazuh's 64 MiB output limit; it comes next run",
				"output_bytes", c.out.Load(), "page_bound", bound)
			return
		}
		// The cursor outlives the page's body (see pagebuf.go).
		next := bytes.Clone(pg.Next)
		if c.vendor.Prefetch && c.worthPrefetch(ctx, mr, pg) {
			ahead = make(chan fetched, 1)
			req, l, out := PageRequest{Cursor: next, Since: c.since, Now: c.started, Page: page + 1}, c.bodies.lease(), ahead
			fetcher.do(func() {
				p, err := m.Fetch(withPageLease(pctx, l), req)
				out <- fetched{p, err, l}
			})
		}
		size, pageEvents, ids, derr := c.deliverPage(ctx, name, mr, pg.Records, ps)
		if derr != nil {
			c.sinkStopped(ctx, mr, log, derr)
			return
		}
		c.settle(bound, int64(size))
		// The page is done with: its lines are delivered, and what the
		// state write needs is copied (the cursor) or strings of their own
		// (the IDs). Its body may now take another page.
		lease.release()
		mr.Bytes += int64(size)
		mr.Pages++
		c.events.Add(int64(pageEvents))
		c.bytes.Add(int64(size))
		if !c.saves() {
			cursor = next
		} else {
			inflight = make(chan error, 1)
			done := inflight
			committer.do(func() { done <- c.store.Commit(name, next, ids) })
			cursor = next
		}
		if pg.Note != "" {
			mr.Message = pg.Note
		}
		log.Debug("page delivered", "page", page, "records", len(pg.Records), "more", pg.More)
		if !pg.More {
			mr.StoppedBy = "caught_up"
			return
		}
		if pg.Wait > 0 {
			if err := c.pause(ctx, pg.Wait); err != nil {
				mr.StoppedBy = c.interrupted(ctx)
				return
			}
		}
	}
}

// pageScratch is a module's bookkeeping of one page, kept from page to
// page.
type pageScratch struct {
	// runSeen holds every ID delivered in the run when nothing is saved
	// (it then does repeats' work too); otherwise the state's recent-ID
	// set does it, and it is nil.
	runSeen map[string]struct{}
	// repeats finds the page's repeated IDs; nil when runSeen is not.
	repeats *idwindow.Repeats
	// dup tells, record by record, whether the state's recent IDs hold
	// its ID or, when the run saves, an earlier record of the page has it.
	dup []bool
	// hashed are the page's IDs, record by record, each hashed once for
	// the state's lookup, the page's set and the commit.
	hashed []idwindow.ID
	// ids are the IDs the page in hand commits. Store.Commit keeps the
	// strings (their own memory, not the body's), not the slice, and the next page is delivered only
	// once the commit returned (runModule's waitCommit): the slice is
	// reused rather than left as 24 KB of garbage a page.
	ids []idwindow.ID
}

func (c *collection) newPageScratch() *pageScratch {
	ps := &pageScratch{}
	if c.saves() {
		ps.repeats = &idwindow.Repeats{}
	} else {
		ps.runSeen = map[string]struct{}{}
	}
	return ps
}

// deliverPage encodes the records of a page that are not duplicates and
// hands their lines to the sink, in chunks of the run's one line buffer,
// all before the page's cursor is saved (see pagebuf.go). It returns the
// bytes and events delivered and the IDs to commit with the page (none
// when the run saves nothing); err is the sink's.
func (c *collection) deliverPage(ctx context.Context, name string, mr *moduleRun, records []Record, ps *pageScratch) (size, events int, ids []idwindow.ID, err error) {
	if len(records) == 0 {
		// A caught-up module's page: nothing to encode, so no line buffer
		// (128 KiB, made at its first use).
		return 0, 0, nil, nil
	}
	lines := c.lines.take()
	defer func() { c.lines.give(lines) }()
	// The page's tables are sized once to the page, not grown by appends
	// (a dozen doublings each in a run's first pages).
	ids = ps.ids[:0]
	if ps.repeats != nil {
		ids = slices.Grow(ids, len(records))
	}
	defer func() { ps.ids = ids[:0] }()
	// The state's recent IDs and the page's own are looked up for the
	// whole page at once, before any record is encoded: in this tight loop
	// the page's set stays in the cache, from which each record's encoding
	// pushed it out when the two took turns.
	ps.dup, ps.hashed = ps.dup[:0], ps.hashed[:0]
	if !c.all {
		ps.dup, ps.hashed = slices.Grow(ps.dup, len(records)), slices.Grow(ps.hashed, len(records))
		for _, rec := range records {
			ps.hashed = append(ps.hashed, idwindow.Of(rec.ID))
		}
		ps.dup = c.store.SeenEach(name, ps.hashed, ps.dup)
	}
	if ps.repeats != nil {
		ps.repeats.Mark(ps.hashed, ps.dup)
	}
	for i, rec := range records {
		if rec.ID != "" {
			dup := !c.all && ps.dup[i]
			if !dup && ps.runSeen != nil {
				// One hash: the set grows only when the ID is new.
				n := len(ps.runSeen)
				ps.runSeen[rec.ID] = struct{}{}
				dup = len(ps.runSeen) == n
			}
			if dup {
				mr.Duplicates++
				continue
			}
			if ps.repeats != nil {
				ids = append(ids, ps.hashed[i])
			}
		}
		var marks emit.Marks
		var eerr error
		lines, marks, eerr = c.enc.AppendShaped(lines, rec.Raw, rec.EventType, rec.Shape)
		if eerr != nil {
			// Only a record of keys and numbers far over the budget gets
			// here; it is reported with its ID rather than cut invalid.
			c.emitError(name, kindEncode, 0, fmt.Sprintf("event %q could not be brought within the line budget: %v", rec.ID, eerr))
			continue
		}
		mr.Events++
		events++
		mr.Truncated += marks.Truncated
		mr.Folded += marks.Folded
		mr.BigInts += marks.BigInts
		if len(lines) >= deliverChunk {
			if err = c.sink.Write(ctx, lines); err != nil {
				return size, events, ids, err
			}
			size += len(lines)
			lines = lines[:0]
		}
	}
	err = c.endPage(ctx, lines, size > 0)
	size += len(lines)
	return size, events, ids, err
}

// saves tells whether cursors are written: not in --all (a backfill from
// the lookback) nor in --dry-run (a look at what the next run would bring).
func (c *collection) saves() bool { return !c.all && !c.dryRun }

// helper runs a module's jobs of one kind (prefetches, commits), one at a
// time, on one goroutine for the module's life. A goroutine started for
// each page began with a small stack and grew it again through the
// decoder's or the state's calls every time (runtime.morestack was about
// 2% of a backlog's CPU); this one keeps the stack it grew.
type helper struct{ jobs chan func() }

func startHelper() *helper {
	// One slot: a module starts a job only once the previous one of its
	// kind delivered its result, so do never waits.
	h := &helper{jobs: make(chan func(), 1)}
	go func() {
		for job := range h.jobs {
			job()
		}
	}()
	return h
}

func (h *helper) do(job func()) { h.jobs <- job }

// stop lets the goroutine end once its job, if any, is done.
func (h *helper) stop() { close(h.jobs) }

// fetched is the outcome of a prefetched page.
type fetched struct {
	page  *Page
	err   error
	lease *pageLease
}

// worthPrefetch tells whether the page after pg will be wanted: more
// remains, the vendor asked for no pause, and no limit will stop the run
// after pg. A page fetched and then dropped would only cost a request.
func (c *collection) worthPrefetch(ctx context.Context, mr *moduleRun, pg *Page) bool {
	if !pg.More || pg.Wait > 0 || c.stopReason(ctx, mr) != "" {
		return false
	}
	if n := c.cfg.MaxEventsPerRun; n > 0 && c.events.Load()+int64(len(pg.Records)) >= int64(n) {
		return false
	}
	if n := c.cfg.MaxBytesPerRun; n > 0 {
		size := int64(0)
		for _, r := range pg.Records {
			size += int64(len(r.Raw))
		}
		if c.bytes.Load()+size >= n {
			return false
		}
	}
	return true
}

func failedOrPartial(mr *moduleRun) string {
	if mr.Pages > 0 {
		return "partial"
	}
	return "failed"
}

func (c *collection) moduleError(mr *moduleRun, log *slog.Logger, err error) {
	kind, status := classify(err)
	msg := c.scrub(err.Error())
	log.Error("module failed; cursor unchanged", "kind", kind, "err", msg)
	c.emitError(mr.Module, kind, status, msg)
	mr.Status, mr.StoppedBy = failedOrPartial(mr), "error"
	if kind == kindDeadline {
		mr.StoppedBy = "deadline"
	}
}

// stopReason is checked before every page: limits stop at a boundary.
// The caps are shared by all modules, so they apply only after a module's
// first page: otherwise a module that starts a moment later than a busy
// sibling would fetch nothing, run after run.
func (c *collection) stopReason(ctx context.Context, mr *moduleRun) string {
	if r := c.interrupted(ctx); r != "" {
		return r
	}
	if c.halted.Load() {
		return "error"
	}
	if mr.Pages == 0 {
		return ""
	}
	if n := c.cfg.MaxEventsPerRun; n > 0 && c.events.Load() >= int64(n) {
		return "max_events"
	}
	if n := c.cfg.MaxBytesPerRun; n > 0 && c.bytes.Load() >= n {
		return "max_bytes"
	}
	return ""
}

func (c *collection) interrupted(ctx context.Context) string {
	select {
	case <-c.stop:
		return "signal"
	default:
	}
	// A signal also cancels ctx, but closes stop first: a cancelled ctx
	// with stop open is the run deadline.
	if ctx.Err() != nil {
		return "deadline"
	}
	return ""
}

func (c *collection) pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-c.stop:
		return errSignal
	}
}

var errSignal = errors.New("stopped by signal")

// deliver hands a page to the sink and, for a sink that can tell
// (emit.Settler), waits until Wazuh took it: only then may its cursor be
// committed. Both are bounded by the run deadline and by signals, so a
// sink that blocks cannot hold the run past them.
func (c *collection) deliver(ctx context.Context, lines []byte) error {
	if len(lines) == 0 {
		return nil
	}
	if err := c.sink.Write(ctx, lines); err != nil {
		return err
	}
	if s, ok := c.sink.(emit.Settler); ok {
		return s.Settle(ctx)
	}
	return nil
}

// reserve counts n more bytes of output if they end within the limit for
// pages or for runtime events: Wazuh would not read past it. Modules
// deliver concurrently, so the count is claimed before the write.
func (c *collection) reserve(n int64, page bool) bool {
	limit := c.eventLimit
	if page {
		limit = c.pageLimit
	}
	if limit <= 0 {
		return true
	}
	for {
		cur := c.out.Load()
		if cur+n > limit {
			return false
		}
		if c.out.CompareAndSwap(cur, cur+n) {
			return true
		}
	}
}

// pageBound is at least the size of the lines of records: a line is at
// most the line budget, and below it at most twice its record (folding
// escapes quotes) plus the envelope, event_type and budget marker.
func (c *collection) pageBound(records []Record) int64 {
	if c.pageLimit <= 0 {
		return 0
	}
	envelope := 2*len(c.vendor.Name) + 512
	n := int64(0)
	for _, r := range records {
		n += int64(min(2*len(r.Raw)+len(r.EventType)+envelope, c.cfg.MaxLineBytes+1))
	}
	return n
}

// settle replaces a page's reserved bound by the size it had.
func (c *collection) settle(bound, size int64) {
	if c.pageLimit <= 0 {
		return
	}
	if size > bound {
		c.log.Error("a page was larger than its bound: the output count is corrected", "bound", bound, "size", size)
	}
	c.out.Add(size - bound)
}

// sinkStopped ends a module whose page did not reach Wazuh; the cursor
// stays before the page. Only an interrupted wait for the pacer or for
// another module's page is a plain stop: a sink that did not take the
// page (blocked, gone) fails the run with an error event, which goes to
// the fallback sink since this one is failing.
func (c *collection) sinkStopped(ctx context.Context, mr *moduleRun, log *slog.Logger, err error) {
	if reason := c.interrupted(ctx); reason != "" && !errors.Is(err, emit.ErrBlocked) {
		mr.StoppedBy = reason
		log.Warn("stopped before the page reached Wazuh; it is sent again next run", "reason", reason, "err", err)
		return
	}
	c.fail(err)
	mr.Status, mr.StoppedBy = failedOrPartial(mr), "error"
	msg := c.scrub(err.Error())
	if reason := c.interrupted(ctx); reason != "" {
		msg += "; stopped by " + reason
	}
	msg += "; the cursor stays before this page"
	log.Error("events could not be delivered; the cursor stays before this page", "err", err)
	c.emitError(mr.Module, kindSink, 0, msg)
}

// fail records that events could not be delivered: the exit status says
// so, and no module delivers another page.
func (c *collection) fail(err error) {
	c.halted.Store(true)
	c.sinkMu.Lock()
	defer c.sinkMu.Unlock()
	if c.sinkFailed == nil {
		c.sinkFailed = err
	}
}

// failed returns the sink's first failure, if any.
func (c *collection) failed() error {
	c.sinkMu.Lock()
	defer c.sinkMu.Unlock()
	return c.sinkFailed
}

// runtimeEventWait bounds the send of one error or summary event: they
// must go out after the deadline or a signal too, but never hang the exit.
const runtimeEventWait = 5 * time.Second

func (c *collection) emitError(module, kind string, status int, msg string) {
	ev := errorEvent{EventType: "error", Module: module, ErrorKind: kind, ErrorMessage: msg,
		HTTPStatus: status, Instance: c.cfg.Instance, Version: version.Version}
	c.emitRuntime(ev)
}

func (c *collection) finishSummary(mr *moduleRun, start time.Time) {
	mr.DurationSeconds = roundSeconds(time.Since(start))
	mr.Requests = mr.stats.Requests.Load()
	mr.Retries = mr.stats.Retries.Load()
	mr.RateLimited = mr.stats.RateLimited.Load()
	mr.WaitSeconds = roundSeconds(time.Duration(mr.stats.WaitNanos.Load()))
	if mr.StoppedBy == "" {
		mr.StoppedBy = "caught_up"
	}
	if c.logFailures != nil {
		mr.LogWriteFailures = c.logFailures.Load()
	}
	c.log.Info("module done", "module", mr.Module, "status", mr.Status, "events", mr.Events,
		"pages", mr.Pages, "duplicates", mr.Duplicates, "stopped_by", mr.StoppedBy)
	c.emitRuntime(mr.summaryEvent)
}

func roundSeconds(d time.Duration) float64 {
	return float64(d.Round(time.Millisecond)) / float64(time.Second)
}

// emitRuntime writes a runtime event (error, summary) through the same
// encoder and sink as vendor events.
func (c *collection) emitRuntime(v any) {
	if !c.saved() {
		c.log.Error("runtime event not emitted: the state could not be written, the run reports only that", "event", fmt.Sprintf("%+v", v))
		return
	}
	raw, err := marshal(v)
	if err != nil {
		c.log.Error("marshal runtime event", "err", err)
		return
	}
	line, _, err := c.enc.AppendRecord(nil, raw, "")
	if err != nil {
		c.log.Error("encode runtime event", "err", err)
		return
	}
	// Once the sink failed a page or a runtime event, runtime events go
	// straight to the fallback: the error saying so must not wait on the
	// failing sink, and a run's summaries must not wait once each.
	if c.fallback != nil && (c.failed() != nil || c.sinkStuck.Load()) {
		c.writeFallback(line)
		return
	}
	if !c.reserve(int64(len(line)), false) {
		c.log.Error("runtime event dropped: it would pass Wazuh's 64 MiB output limit", "event", string(line))
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), runtimeEventWait)
	defer cancel()
	if err := c.sink.Write(ctx, line); err != nil {
		if c.fallback == nil {
			c.fail(err)
			c.log.Error("runtime event could not be delivered", "err", err)
			return
		}
		c.sinkStuck.Store(true)
		c.log.Warn("runtime events go to stdout: the sink did not take one", "err", err)
		c.writeFallback(line)
	}
}

func (c *collection) writeFallback(line []byte) {
	if err := c.fallback.Write(context.Background(), line); err != nil {
		c.fail(err)
		c.log.Error("runtime event could not be delivered", "err", err)
	}
}

// scrub removes every secret value from a message: vendors sometimes echo
// request data in error bodies.
func (c *collection) scrub(msg string) string {
	return scrubSecrets(c.env.Secrets, msg)
}

func scrubSecrets(b secret.Bag, msg string) string {
	for _, k := range b.Keys() {
		if s, ok := b.Get(k); ok && len(s.Reveal()) >= 4 {
			msg = strings.ReplaceAll(msg, s.Reveal(), "[REDACTED]")
		}
	}
	return msg
}

// marshal encodes a runtime event without HTML escaping: Wazuh shows the
// text, and "\u003ctimeout\u003e" helps nobody.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}
