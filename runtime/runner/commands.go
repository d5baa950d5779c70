package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/wodlekit/wodlekit/runtime/config"
	"github.com/wodlekit/wodlekit/runtime/state"
)

// metadata is what the package builder reads from a binary.
type metadata struct {
	Name            string           `json:"name"`
	Title           string           `json:"title"`
	Description     string           `json:"description"`
	EnvPrefix       string           `json:"env_prefix"`
	Modules         []string         `json:"modules,omitempty"`
	Settings        []config.Setting `json:"settings"`
	Secrets         []secretMeta     `json:"secrets"`
	DefaultInterval string           `json:"default_interval"`
	DefaultTimeout  string           `json:"default_timeout"`
}

type secretMeta struct {
	Key      string `json:"key"`
	Help     string `json:"help"`
	Optional bool   `json:"optional,omitempty"`
}

// Timing returns the wodle interval, the ossec.conf <timeout> below it and
// the run deadline below that, so Wazuh's SIGTERM is a last resort.
func (v Vendor) Timing() (interval, timeout, runtime time.Duration) {
	interval = v.Interval
	if interval <= 0 {
		interval = 5 * time.Minute
	}
	timeout = interval - interval/15
	runtime = timeout - timeout/7
	return interval, timeout.Truncate(time.Second), runtime.Truncate(time.Second)
}

func printMetadata(v Vendor, io IO) int {
	interval, timeout, runtimeDeadline := v.Timing()
	settings := config.Settings(v.EnvPrefix, &config.Common{})
	for i := range settings {
		switch settings[i].Env {
		case v.EnvPrefix + "BASE_URL":
			settings[i].Default = v.DefaultBaseURL
			settings[i].Required = v.DefaultBaseURL == "" && v.ResolveBaseURL == nil
		case v.EnvPrefix + "STATE_DIR":
			settings[i].Default = strings.ReplaceAll(settings[i].Default, "{vendor}", v.Name)
		case v.EnvPrefix + "MAX_RUNTIME":
			settings[i].Default = runtimeDeadline.String()
		case v.EnvPrefix + "PAGE_SIZE":
			if v.MaxPageSize > 0 {
				settings[i].Default = fmt.Sprint(v.MaxPageSize)
			}
		}
	}
	if v.Settings != nil {
		settings = append(settings, config.Settings(v.EnvPrefix, v.Settings)...)
	}
	m := metadata{
		Name: v.Name, Title: v.Title, Description: v.Description, EnvPrefix: v.EnvPrefix,
		Settings: settings, DefaultInterval: interval.String(), DefaultTimeout: timeout.String(),
	}
	for _, s := range v.Secrets {
		m.Secrets = append(m.Secrets, secretMeta(s))
	}
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		fmt.Fprintf(io.Stderr, "metadata: %v\n", err)
		return ExitFailed
	}
	fmt.Fprintln(io.Stdout, string(out))
	return ExitOK
}

// runCheck validates everything a run needs and makes one cheap call per
// module, printing a verdict per step for a person at a terminal.
func runCheck(v Vendor, io IO, flags runFlags) int {
	say := func(format string, args ...any) { fmt.Fprintf(io.Stdout, format+"\n", args...) }
	s, cfgErr := loadConfig(v, io, &flags)
	if err := s.openLog(v, io); err != nil {
		say("FAIL log file: %v", err)
		return ExitUsage
	}
	defer func() { _ = s.closeLog() }()
	for _, w := range s.warnings {
		say("WARN %s", w)
	}
	if cfgErr != nil {
		for _, line := range strings.Split(cfgErr.Error(), "\n") {
			say("FAIL config: %s", line)
		}
		return ExitUsage
	}
	say("ok   config: base URL %s, instance %s, state %s, sink %s", s.cfg.BaseURL, s.cfg.Instance, s.cfg.StateFile, s.cfg.Sink)
	if err := s.loadSecrets(v, io); err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			say("FAIL secrets: %s", line)
		}
		return ExitUsage
	}
	for _, w := range s.secretWarnings {
		say("WARN secrets: %s", w)
	}
	for _, k := range s.secrets.Keys() {
		say("ok   secret %s: from the %s", k, s.secrets.Tier(k))
	}
	_, modules, err := s.buildEnv(v, io)
	if err != nil {
		say("FAIL %s", scrubSecrets(s.secrets, oneLine(err)))
		return ExitUsage
	}
	list, origin := s.sources(v, flags)
	modules, err = selectModules(modules, list, origin)
	if err != nil {
		say("FAIL %v", err)
		return ExitUsage
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.RequestTimeout*2)
	defer cancel()
	failed, skipped := 0, 0
	for _, m := range modules {
		if p, ok := m.(Preparer); ok {
			if err := p.Prepare(ctx); err != nil {
				if errors.Is(err, ErrSkip) {
					skipped++
					say("SKIP module %s: %s", m.Name(), scrubSecrets(s.secrets, err.Error()))
					continue
				}
				failed++
				say("FAIL module %s: %s", m.Name(), verdict(scrubSecrets(s.secrets, err.Error()), err))
				continue
			}
		}
		ch, ok := m.(Checker)
		if !ok {
			say("ok   module %s: nothing to check", m.Name())
			continue
		}
		what, err := ch.Check(ctx)
		if err != nil {
			failed++
			say("FAIL module %s: %s", m.Name(), verdict(scrubSecrets(s.secrets, err.Error()), err))
			continue
		}
		say("ok   module %s: %s", m.Name(), what)
	}
	switch {
	case failed > 0:
		say("check failed: %d of %d modules cannot collect", failed, len(modules))
		return ExitFailed
	case skipped == len(modules):
		say("check failed: no module can collect with these credentials")
		return ExitFailed
	}
	say("check passed: %d modules ready, %d skipped", len(modules)-skipped, skipped)
	return ExitOK
}

// verdict adds the likely fix to an error a person will read.
func verdict(msg string, err error) string {
	kind, status := classify(err)
	switch {
	case kind == kindAuth && status == 401:
		return msg + " (the credentials were refused: check the secret's value and that it was not revoked)"
	case kind == kindAuth && status == 403:
		return msg + " (authenticated, but not allowed: the credentials lack the permission for this module)"
	case kind == kindNetwork:
		return msg + " (network: check BASE_URL, DNS, proxy and firewall)"
	}
	return msg
}

func runStateShow(v Vendor, io IO) int {
	s, cfgErr := loadConfig(v, io, nil)
	if cfgErr != nil {
		fmt.Fprintf(io.Stderr, "invalid configuration: %v\n", cfgErr)
		return ExitUsage
	}
	store, notices, err := state.Open(s.cfg.StateFile, state.Options{Vendor: v.Name, Instance: s.cfg.Instance, RecentMax: v.DedupWindow})
	if err != nil {
		fmt.Fprintf(io.Stderr, "state: %v\n", err)
		if errors.Is(err, state.ErrForeign) {
			return ExitUsage
		}
		return ExitFailed
	}
	defer store.Close()
	for _, n := range notices {
		fmt.Fprintf(io.Stderr, "%s: %s\n", n.Level, n.Message)
	}
	snap := store.Snapshot()
	out, err := json.MarshalIndent(snap, "", "  ")
	if err != nil {
		fmt.Fprintf(io.Stderr, "state: %v\n", err)
		return ExitFailed
	}
	fmt.Fprintf(io.Stdout, "# %s\n%s\n", s.cfg.StateFile, out)
	for _, line := range describeCursors(snap, io.procRoot()) {
		fmt.Fprintf(io.Stdout, "# %s\n", line)
	}
	return ExitOK
}

// describeCursors says, for a person, which cursor each module resumes from
// and who decides the fate of the pending ones.
func describeCursors(f state.File, procRoot string) []string {
	names := make([]string, 0, len(f.Modules))
	for n := range f.Modules {
		names = append(names, n)
	}
	sort.Strings(names)
	var lines []string
	var pending []string
	for _, n := range names {
		ms := f.Modules[n]
		line := fmt.Sprintf("module %s: committed cursor %s", n, cursorText(ms.Cursor))
		if ms.Pending != nil {
			line += fmt.Sprintf("; pending cursor %s (%d IDs)", cursorText(ms.Pending.Cursor), len(ms.Pending.Recent))
			pending = append(pending, n)
		}
		lines = append(lines, line)
	}
	if len(pending) == 0 {
		return append(lines, "no pending cursors: every module resumes from its committed cursor")
	}
	if f.PendingOwner == nil {
		return append(lines, "pending cursors without an owner: the next run discards them and resumes from the committed cursors")
	}
	o := *f.PendingOwner
	status := "no longer runs (manager restarted or crashed, or host rebooted)"
	if ownerRunning(procRoot, o) {
		status = "is running"
	}
	return append(lines, fmt.Sprintf("pending cursors of %s belong to the run started by %s %s, which %s: "+
		"the next run it starts commits them (it forwarded their events by then); any other run discards them and collects those events again",
		strings.Join(pending, ", "), modulesdComm, o, status))
}

func cursorText(c json.RawMessage) string {
	if c == nil {
		return "none (starts from the lookback)"
	}
	return string(c)
}

func runStateReset(v Vendor, io IO, module string, yes bool) int {
	s, cfgErr := loadConfig(v, io, nil)
	if cfgErr != nil {
		fmt.Fprintf(io.Stderr, "invalid configuration: %v\n", cfgErr)
		return ExitUsage
	}
	if !yes {
		fmt.Fprintf(io.Stderr, "state reset forgets saved cursors of %s; the next run starts from the lookback (%v hours). Add --yes to confirm.\n", s.cfg.StateFile, s.cfg.LookbackHours)
		return ExitUsage
	}
	release, err := state.Lock(s.cfg.StateFile)
	if err != nil {
		fmt.Fprintf(io.Stderr, "state: %v\n", err)
		return ExitFailed
	}
	defer func() { _ = release() }()
	store, _, err := state.Open(s.cfg.StateFile, state.Options{Vendor: v.Name, Instance: s.cfg.Instance, RecentMax: v.DedupWindow})
	if err == nil {
		err = store.Reset(module)
	}
	if err != nil {
		fmt.Fprintf(io.Stderr, "state: %v\n", err)
		return ExitFailed
	}
	what := "every module"
	if module != "" {
		what = "module " + module
	}
	fmt.Fprintf(io.Stdout, "reset %s in %s\n", what, s.cfg.StateFile)
	return ExitOK
}
