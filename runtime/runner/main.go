package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/alecthomas/kong"
	"github.com/sethvargo/go-envconfig"

	"github.com/wodlekit/wodlekit/runtime/config"
	"github.com/wodlekit/wodlekit/runtime/emit"
	"github.com/wodlekit/wodlekit/runtime/httpx"
	"github.com/wodlekit/wodlekit/runtime/logx"
	"github.com/wodlekit/wodlekit/runtime/secret"
	"github.com/wodlekit/wodlekit/runtime/state"
	"github.com/wodlekit/wodlekit/runtime/version"
)

// Exit statuses: 0 when the run completed (module failures are error
// events), 2 for bad usage or configuration, 1 for anything else.
const (
	ExitOK     = 0
	ExitFailed = 1
	ExitUsage  = 2
)

// IO is the process's outside world; tests replace it.
type IO struct {
	Args   []string
	Stdout io.Writer
	Stderr io.Writer
	Lookup func(string) (string, bool)
	// Signals delivers SIGTERM/SIGINT; nil installs the real handler.
	Signals <-chan os.Signal
	Now     func() time.Time
	// PoisonPages overwrites each page body when the runner releases it
	// for reuse, so that anything still pointing into it shows as garbage
	// in the output; the test kit sets it on every run.
	PoisonPages bool
	// ProcRoot is where process information is read ("" means /proc) and
	// PID this process's pid there (0 means os.Getpid()): tests give a
	// fake tree to play a run started by wazuh-modulesd.
	ProcRoot string
	PID      int
	// pageLimit replaces config.StdoutPageLimit in tests (0: keep it), so
	// the output limit is tried without writing 63 MiB.
	pageLimit int64
	// stateHook is state.Options.Hook for tests: a full disk on demand.
	stateHook func(step string, tmp *os.File) error
}

func (io IO) procRoot() string {
	if io.ProcRoot == "" {
		return "/proc"
	}
	return io.ProcRoot
}

func (io IO) pid() int {
	if io.PID == 0 {
		return os.Getpid()
	}
	return io.PID
}

// Main runs a vendor binary and returns its exit status:
// `os.Exit(runner.Main(onepassword.New))`.
func Main(newVendor func() Vendor) int {
	setMemoryDefaults(os.LookupEnv)
	if path := os.Getenv(CPUProfileEnv); path != "" {
		stop, err := startCPUProfile(path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", CPUProfileEnv, err)
			return ExitUsage
		}
		defer stop()
	}
	return Run(newVendor(), IO{
		Args: os.Args[1:], Stdout: os.Stdout, Stderr: os.Stderr, Lookup: os.LookupEnv,
	})
}

// CPUProfileEnv names a file to write a CPU profile of the whole process
// to (`go tool pprof`), for make bench. It is read from the environment the
// administrator or the benchmark controls, never from a settings file, and
// only by a binary built with the wodlekit_cpuprofile tag (cpuprofile.go).
const CPUProfileEnv = "WODLEKIT_CPU_PROFILE"

// runFlags are the default command's flags.
type runFlags struct {
	Source   *string  `help:"Modules to collect: a comma list, or all (overrides SOURCES)." placeholder:"LIST"`
	All      bool     `short:"a" help:"Backfill/test mode: ignore saved cursors and do not update them."`
	DryRun   bool     `help:"Collect from the saved cursors and print the events, but save nothing: the next run brings the same events again."`
	Lookback *float64 `short:"l" help:"Hours to look back on a first run or with --all (overrides LOOKBACK_HOURS)." placeholder:"HOURS"`
	Debug    *int     `short:"d" help:"Log level 0-3 (overrides DEBUG)." placeholder:"N"`
}

type cli struct {
	Run      runFlags `cmd:"" default:"withargs" help:"Collect new events and print them for Wazuh (the default command)."`
	Check    runFlags `cmd:"" help:"Check configuration, credentials and access with one cheap call per module."`
	Version  struct{} `cmd:"" help:"Print the version."`
	State    stateCmd `cmd:"" help:"Show or reset the saved cursors."`
	Metadata struct{} `cmd:"" hidden:"" help:"Print the vendor's settings as JSON (used by the package builder)."`
}

type stateCmd struct {
	Show  struct{} `cmd:"" help:"Print the state file."`
	Reset struct {
		Source string `help:"Module to reset (default: every module)." placeholder:"MODULE"`
		Yes    bool   `help:"Confirm: the next run starts again from the lookback."`
	} `cmd:"" help:"Forget saved cursors so the next run starts from the lookback."`
}

// exitRequest carries kong's wish to exit (after --help) out of Parse.
type exitRequest int

// Run is Main with its outside world given.
func Run(v Vendor, io IO) (code int) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(exitRequest); ok {
				code = int(e)
				return
			}
			panic(r)
		}
	}()
	if io.Now == nil {
		io.Now = time.Now
	}
	if err := v.Validate(); err != nil {
		// A programming error of the vendor package: its own tests (and
		// the conformance suite) fail on it before any release.
		fmt.Fprintf(io.Stderr, "%s-wodle: internal error: %v\n", v.Name, err)
		return ExitFailed
	}
	if len(io.Args) == 0 {
		// How wazuh-modulesd runs it: the default command without flags,
		// which needs no CLI model (kong builds it by reflection, about
		// 0.7 ms of a run's start); TestNoArgumentsAreTheDefaultRun
		// checks that kong reads no arguments the same way.
		return runCollect(v, io, runFlags{})
	}
	var c cli
	parser, err := newParser(v, io, &c)
	if err != nil {
		fmt.Fprintf(io.Stderr, "internal error: %v\n", err)
		return ExitFailed
	}
	kctx, err := parser.Parse(io.Args)
	if err != nil {
		fmt.Fprintf(io.Stderr, "%s: %v\n", v.Name+"-wodle", err)
		return ExitUsage
	}
	if kctx.Command() == "" {
		return ExitOK // --help
	}
	switch kctx.Command() {
	case "version":
		fmt.Fprintf(io.Stdout, "%s-wodle %s (%s, %s)\n", v.Name, version.Version, version.Project, runtime.Version())
		return ExitOK
	case "metadata":
		return printMetadata(v, io)
	case "check":
		return runCheck(v, io, c.Check)
	case "state show":
		return runStateShow(v, io)
	case "state reset":
		return runStateReset(v, io, c.State.Reset.Source, c.State.Reset.Yes)
	default:
		return runCollect(v, io, c.Run)
	}
}

// newParser builds the command line's model into c.
func newParser(v Vendor, io IO, c *cli) (*kong.Kong, error) {
	return kong.New(c,
		kong.Name(v.Name+"-wodle"),
		kong.Description(fmt.Sprintf("%s for Wazuh: %s", v.Title, v.Description)),
		kong.Writers(io.Stdout, io.Stderr),
		kong.Exit(func(code int) { panic(exitRequest(code)) }),
		kong.UsageOnError(),
	)
}

// setup is what every command but version needs: config, logger, secrets.
type setup struct {
	cfg      *config.Common
	settings any
	log      *slog.Logger
	closeLog func() error
	secrets  secret.Bag
	warnings []string
	// secretWarnings are also shown by check (a secrets file others can read).
	secretWarnings []string
	// logFailures counts log writes that failed, for the run summaries.
	logFailures atomic.Int64
}

func loadConfig(v Vendor, io IO, flags *runFlags) (*setup, error) {
	ctx := context.Background()
	lookup := envconfig.LookuperFunc(func(k string) (string, bool) { return io.Lookup(k) })
	cfg := &config.Common{}
	var errs []error
	var unparsed map[string]bool
	if err := config.Process(ctx, v.EnvPrefix, lookup, cfg); err != nil {
		errs = append(errs, err)
		var pe *config.ParseError
		if errors.As(err, &pe) {
			unparsed = pe.Fields
		}
	}
	if flags != nil {
		if flags.Lookback != nil {
			cfg.LookbackHours = *flags.Lookback
		}
		if flags.Debug != nil {
			cfg.Debug = *flags.Debug
		}
	}
	// Vendor settings are read first so that a base URL can derive from
	// them; their errors are still reported after the common ones.
	var settings any
	var settingsErr error
	if v.Settings != nil {
		settings = v.Settings
		if err := config.Process(ctx, v.EnvPrefix, lookup, settings); err != nil {
			settingsErr = err
		} else if val, ok := settings.(interface{ Validate() error }); ok {
			settingsErr = val.Validate()
		}
	}
	defaultBase := v.DefaultBaseURL
	if v.ResolveBaseURL != nil && settingsErr == nil {
		if u := v.ResolveBaseURL(&Env{Settings: settings}); u != "" {
			defaultBase = u
		}
	}
	warnings, err := cfg.Finish(v.EnvPrefix, config.Rules{
		Vendor: v.Name, DefaultBaseURL: defaultBase, AllowedHosts: v.AllowedHosts,
		MaxLookback: v.MaxLookback, MaxPageSize: v.MaxPageSize, Unparsed: unparsed,
	})
	if err != nil {
		errs = append(errs, err)
	}
	if settingsErr != nil {
		errs = append(errs, settingsErr)
	}
	return &setup{cfg: cfg, settings: settings, warnings: warnings}, errors.Join(errs...)
}

// openLog opens the configured log; with a broken config it still logs to
// whatever it can (file if set, else stderr).
func (s *setup) openLog(v Vendor, io IO) error {
	log, closeFn, err := logx.New(logx.Options{
		Debug: s.cfg.Debug, File: s.cfg.LogFile, MaxBytes: s.cfg.LogMaxBytes, Stderr: io.Stderr, Failures: &s.logFailures,
		Attrs: []slog.Attr{slog.String("vendor", v.Name), slog.String("instance", s.cfg.Instance)},
	})
	if err != nil {
		s.log, s.closeLog = slog.New(slog.NewTextHandler(io.Stderr, nil)), func() error { return nil }
		return err
	}
	s.log, s.closeLog = log, closeFn
	for _, w := range s.warnings {
		s.log.Warn(w)
	}
	return nil
}

func (s *setup) loadSecrets(v Vendor, io IO) error {
	keys := make([]secret.KeySpec, 0, len(v.Secrets))
	for _, k := range v.Secrets {
		keys = append(keys, secret.KeySpec{Key: k.Key, Optional: k.Optional})
	}
	bag, warnings, err := secret.Chain{Lookup: io.Lookup, File: s.cfg.SecretsFile, CredentialsDir: s.cfg.CredentialsDir}.Load(keys)
	for _, w := range warnings {
		s.log.Warn(w)
	}
	s.secretWarnings = warnings
	if err != nil {
		return err
	}
	for _, k := range bag.Keys() {
		s.log.Debug("secret loaded", "key", k, "from", string(bag.Tier(k)))
	}
	s.secrets = bag
	return nil
}

// fatal reports a problem that stops the run before collection: one error
// event on stdout (Wazuh turns it into an alert) and the log.
func fatal(v Vendor, io IO, s *setup, kind, msg string) {
	instance := "default"
	if s != nil && s.cfg != nil && s.cfg.Instance != "" {
		instance = s.cfg.Instance
	}
	if s != nil && s.log != nil {
		s.log.Error(msg, "kind", kind)
	}
	enc := emit.NewEncoder(emit.Options{Integration: v.Name})
	raw, _ := marshal(errorEvent{EventType: "error", Module: "runtime", ErrorKind: kind, ErrorMessage: msg, Instance: instance, Version: version.Version})
	if line, _, err := enc.AppendRecord(nil, raw, ""); err == nil {
		_, _ = io.Stdout.Write(line)
	}
}

func (s *setup) client(v Vendor) (*httpx.Client, error) {
	return httpx.New(httpx.Options{
		BaseURL:        s.cfg.BaseURL,
		UserAgent:      fmt.Sprintf("%s/%s (%s)", version.Project, version.Version, v.Name),
		RequestTimeout: s.cfg.RequestTimeout,
		// Headers must come within the attempt's budget too.
		ResponseHeaderTimeout: min(s.cfg.RequestTimeout, 30*time.Second),
		ProxyURL:              s.cfg.ProxyURL,
		CAFile:                s.cfg.CAFile,
		RetryFloor:            v.RetryFloor,
		RetryFloorMax:         v.RetryFloorMax,
		MaxAttempts:           s.cfg.RetryAttempts,
		BackoffBase:           s.cfg.RetryBackoff,
		Policy:                v.RateLimit,
		Logger:                s.log,
	})
}

// buildEnv creates the HTTP client, the authenticator and the modules.
func (s *setup) buildEnv(v Vendor, io IO) (*Env, []Module, error) {
	hc, err := s.client(v)
	if err != nil {
		return nil, nil, err
	}
	hc.Pace("", budget(v, s.cfg.RequestsPerMin)...)
	env := &Env{Config: s.cfg, Settings: s.settings, Secrets: s.secrets, HTTP: hc, Log: s.log, Now: io.Now}
	if v.Auth != nil {
		a, err := v.Auth(env)
		if err != nil {
			return nil, nil, fmt.Errorf("credentials: %w", err)
		}
		env.HTTP = hc.WithAuth(a)
	}
	modules, err := v.Modules(env)
	if err != nil {
		return nil, nil, err
	}
	if err := ValidateModules(modules); err != nil {
		return nil, nil, fmt.Errorf("internal error: %w", err)
	}
	return env, modules, nil
}

// budget is the run's default request budget as the vendor counts it:
// REQUESTS_PER_MINUTE (when set) replaces the per-minute limit, -1 turns
// pacing off; the hourly limit is the vendor's.
func budget(v Vendor, perMinute int) []httpx.Limit {
	rpm := v.RequestsPerMinute
	if perMinute != 0 {
		rpm = perMinute
	}
	if rpm <= 0 {
		return nil
	}
	limits := []httpx.Limit{{N: rpm, Window: time.Minute}}
	if v.RequestsPerHour > 0 {
		limits = append(limits, httpx.Limit{N: v.RequestsPerHour, Window: time.Hour})
	}
	return limits
}

// sources is the module list a run asked for, and where it came from, for
// the error message: --source wins over the SOURCES setting.
func (s *setup) sources(v Vendor, flags runFlags) (list, origin string) {
	if flags.Source != nil {
		return *flags.Source, "--source"
	}
	return s.cfg.Sources, v.EnvPrefix + "SOURCES"
}

// selectModules keeps the modules named in source (a comma list, or all).
func selectModules(all []Module, source, origin string) ([]Module, error) {
	source = strings.TrimSpace(source)
	if source == "" || source == "all" {
		return all, nil
	}
	byName := map[string]Module{}
	var names []string
	for _, m := range all {
		byName[m.Name()] = m
		names = append(names, m.Name())
	}
	var out []Module
	seen := map[string]bool{}
	for _, n := range strings.Split(source, ",") {
		n = strings.TrimSpace(n)
		m, ok := byName[n]
		if !ok {
			return nil, fmt.Errorf("%s: unknown module %q (modules: %s, or all)", origin, n, strings.Join(names, ", "))
		}
		if !seen[n] {
			out = append(out, m)
			seen[n] = true
		}
	}
	return out, nil
}

func runCollect(v Vendor, io IO, flags runFlags) int {
	s, cfgErr := loadConfig(v, io, &flags)
	if err := s.openLog(v, io); err != nil {
		fatal(v, io, s, kindConfig, fmt.Sprintf("log file: %v", err))
		return ExitUsage
	}
	defer func() { _ = s.closeLog() }()
	if cfgErr != nil {
		fatal(v, io, s, kindConfig, "invalid configuration: "+oneLine(cfgErr))
		return ExitUsage
	}
	if err := s.loadSecrets(v, io); err != nil {
		fatal(v, io, s, kindConfig, "secrets: "+oneLine(err))
		return ExitUsage
	}
	env, modules, err := s.buildEnv(v, io)
	if err != nil {
		fatal(v, io, s, kindConfig, scrubSecrets(s.secrets, oneLine(err)))
		return ExitUsage
	}
	list, origin := s.sources(v, flags)
	modules, err = selectModules(modules, list, origin)
	if err != nil {
		fatal(v, io, s, kindConfig, err.Error())
		return ExitUsage
	}

	saves := !flags.All && !flags.DryRun
	plan, err := planCommit(s.cfg, v.EnvPrefix, io.procRoot(), io.pid())
	if err != nil && saves {
		fatal(v, io, s, kindConfig, err.Error())
		return ExitUsage
	}
	s.log.Info("commit", "pending_until_next_run", plan.owner != nil && saves, "why", plan.why)

	started := io.Now()
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.MaxRuntime)
	defer cancel()
	stop := make(chan struct{})
	sigs := io.Signals
	if sigs == nil {
		ch := make(chan os.Signal, 2)
		signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
		defer signal.Stop(ch)
		sigs = ch
		// Without this the Go runtime kills the process on a write to a
		// closed stdout (Wazuh stops reading past 64 MiB, or died): the
		// write must fail instead, so the run stops with its cursor kept
		// and says why in the log.
		signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case sig := <-sigs:
			s.log.Warn("signal received: finishing the page in hand, saving state and exiting", "signal", fmt.Sprint(sig))
			close(stop)
			cancel()
		case <-done:
		}
	}()

	release, err := lockState(ctx, s, plan, stop)
	if err != nil {
		fatal(v, io, s, kindState, err.Error())
		return ExitFailed
	}
	defer func() { _ = release() }()
	store, notices, err := state.Open(s.cfg.StateFile, state.Options{Vendor: v.Name, Instance: s.cfg.Instance, RecentMax: v.DedupWindow, Now: io.Now, Hook: io.stateHook})
	if errors.Is(err, state.ErrForeign) {
		fatal(v, io, s, kindConfig, err.Error())
		return ExitUsage
	}
	if err != nil {
		fatal(v, io, s, kindState, err.Error())
		return ExitFailed
	}
	defer store.Close()
	// The outcome of the previous run is settled in memory here and saved
	// while the modules start (below).
	res, err := store.Begin(plan.owner, false)
	if err != nil {
		fatal(v, io, s, kindState, "recording the previous run's outcome: "+err.Error())
		return ExitFailed
	}
	logResolution(s.log, res)

	var sink, fallback emit.Sink = emit.NewWriter(io.Stdout), nil
	if s.cfg.Sink == "wazuh-queue" {
		q, err := emit.NewQueue(s.cfg.QueueSocket, "command_"+s.cfg.Tag, s.cfg.QueueEPS)
		if err != nil {
			fatal(v, io, s, kindSink, err.Error())
			return ExitFailed
		}
		// The binary still runs under the command wodle, which forwards
		// its stdout: a way for the error events that does not go
		// through the socket that failed.
		sink, fallback = q, sink
	}
	defer func() { _ = sink.Close() }()

	c := &collection{
		vendor: v, cfg: s.cfg, env: env, sink: sink, fallback: fallback, store: store, log: s.log, logFailures: &s.logFailures,
		all: flags.All, dryRun: flags.DryRun, since: started.Add(-s.cfg.Lookback()), started: started, stop: stop,
		bodies: newPageBuffers(pageBodies, io.PoisonPages), lines: newLineBuffer(s.cfg.MaxLineBytes),
		enc: emit.NewEncoder(emit.Options{Integration: v.Name, MaxLineBytes: s.cfg.MaxLineBytes, MaxFields: s.cfg.MaxFields}),
	}
	if s.cfg.Sink == "stdout" {
		// Runtime events may use the margin above the page limit, never
		// the last line's worth below Wazuh's own limit.
		c.pageLimit, c.eventLimit = config.StdoutPageLimit, config.WazuhOutputMax-int64(s.cfg.MaxLineBytes)
		if io.pageLimit > 0 {
			c.pageLimit, c.eventLimit = io.pageLimit, io.pageLimit+(c.eventLimit-c.pageLimit)
		}
	}
	if saves {
		// The state is written once before anything is delivered, so that
		// a run that cannot save it (a full disk) delivers nothing; the
		// write (two fsyncs) overlaps the modules' start, their first
		// requests included: nothing is emitted before it is on disk
		// (collection.saved).
		begun := make(chan error, 1)
		go func() { begun <- store.Save() }()
		c.begun = begun
	}
	for _, n := range notices {
		if n.Level == "error" {
			c.emitError("runtime", kindState, 0, n.Message)
		}
		s.log.Warn(n.Message)
	}
	c.runAll(ctx, modules)
	if !c.saved() {
		fatal(v, io, s, kindState, "recording the previous run's outcome: "+c.beginErr.Error())
		return ExitFailed
	}
	if saves {
		// Pages were written as they were delivered but synced only now
		// and then; the run's end makes all of them durable.
		if err := store.Sync(); err != nil {
			if !c.halted.Load() { // a failed commit was reported already
				c.emitError("runtime", kindState, 0, c.scrub(err.Error())+
					"; the cursors are written but may not be on disk: a power cut before the system flushes them replays this run")
			}
			s.log.Error("state could not be synced", "err", err)
			return ExitFailed
		}
	}
	if c.sinkFailed != nil {
		s.log.Error("events could not be delivered", "err", c.sinkFailed)
		return ExitFailed
	}
	return ExitOK
}

// lockWait bounds how long a run started by wazuh-modulesd waits for the
// lock: after a manager restart the old run (sent SIGTERM, SIGKILL 10 s
// later) or an orphan of a crashed modulesd (its writes to the dead pipe fail
// at its next page) may still hold it for a few seconds.
const lockWait = 30 * time.Second

// lockState takes the instance lock. A run started by wazuh-modulesd waits
// for a previous run that still holds it, up to lockWait (and the run
// deadline, and signals); any other run fails at once, as a person running
// it by hand wants to know. Nothing is lost by waiting or by giving up: the
// state is read only once the lock is held.
func lockState(ctx context.Context, s *setup, plan commitPlan, stop <-chan struct{}) (func() error, error) {
	release, err := state.Lock(s.cfg.StateFile)
	if err == nil || plan.owner == nil || !errors.Is(err, state.ErrLocked) {
		return release, err
	}
	s.log.Warn("another run holds the lock (a run of the previous wazuh-modulesd?): waiting for it", "max_wait", lockWait.String())
	deadline := time.NewTimer(lockWait)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-deadline.C:
			return nil, fmt.Errorf("%w; waited %v for it: this run collects nothing, the next one resumes", err, lockWait)
		case <-ctx.Done():
			return nil, fmt.Errorf("%w; stopped waiting for it (deadline or signal): this run collects nothing", err)
		case <-stop:
			return nil, fmt.Errorf("%w; stopped waiting for it (signal): this run collects nothing", err)
		case <-tick.C:
		}
		release, err = state.Lock(s.cfg.StateFile)
		if err == nil || !errors.Is(err, state.ErrLocked) {
			return release, err
		}
	}
}

// logResolution says what became of the previous run's pending cursors.
func logResolution(log *slog.Logger, res state.Resolution) {
	if res.Owner == nil {
		return
	}
	if len(res.Promoted) > 0 {
		log.Info("the previous run's output was forwarded by this same wazuh-modulesd: its cursors are committed",
			"modules", strings.Join(res.Promoted, ","), "owner", res.Owner.String())
	}
	if len(res.Discarded) > 0 {
		log.Warn("the previous run was started by another wazuh-modulesd (manager restarted or crashed, or host rebooted), or this run was not started by one: its output may never have reached Wazuh, so its cursors are dropped and its events collected again (duplicates, never a loss)",
			"modules", strings.Join(res.Discarded, ","), "owner", res.Owner.String())
	}
}

func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}
