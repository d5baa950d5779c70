//go:build linux

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wodlekit/wodlekit/runtime/wodletest/fakekit"
	duofake "github.com/wodlekit/wodlekit/vendors/duo/fakeapi"
	mimecastfake "github.com/wodlekit/wodlekit/vendors/mimecast/fakeapi"
	tapfake "github.com/wodlekit/wodlekit/vendors/proofpoint_tap/fakeapi"
	slackfake "github.com/wodlekit/wodlekit/vendors/slack/fakeapi"
)

// The lifecycle test runs each vendor's packaged run.sh under a stand-in of
// wazuh-modulesd's command loop (./modulesd) against the vendor's fake API,
// stops the stand-in at random moments in the three ways production does,
// and checks at a stand-in analysisd socket that every event of the backlog
// arrived at least once, with duplicates within one run's output per stop.
// `make test-lifecycle` (part of `make test`) and `make soak` run it; it
// needs the built binaries and the package renderer, so plain `go test`
// skips it.
const (
	envRestarts = "WODLEKIT_LIFECYCLE_RESTARTS" // stops per vendor; unset skips the test
	envRoot     = "WODLEKIT_ROOT"               // repository with bin/<v>-wodle and tools/pkgbuild/bin/pkgbuild
	envSeed     = "WODLEKIT_LIFECYCLE_SEED"     // replays one sequence of stops
	envCommit   = "WODLEKIT_LIFECYCLE_COMMIT"   // <PREFIX>COMMIT for the runs (immediate shows the loss)
)

// The stand-in's settings: short enough for many stops in a test, with the
// same shape as Wazuh's (a run's lines take longer to forward than to
// collect, as 100 lines a second do in production).
const (
	lcInterval    = 500 * time.Millisecond
	lcMaxEPS      = 400
	lcKillTimeout = 2 * time.Second
	lcPageSize    = 10
	lcCap         = 40 // MAX_EVENTS_PER_RUN: a backlog takes many runs
)

func TestLifecycle(t *testing.T) {
	restarts, err := strconv.Atoi(os.Getenv(envRestarts))
	if err != nil || restarts < 1 {
		t.Skipf("%s is not set: make test-lifecycle and make soak run this test (it needs make build and the package renderer)", envRestarts)
	}
	root := os.Getenv(envRoot)
	if root == "" {
		t.Fatalf("%s must name the repository root", envRoot)
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(envSeed); s != "" {
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("%s: %v", envSeed, err)
		}
	}
	t.Logf("lifecycle: seed %d (%s=%d replays it), %d stops per vendor", seed, envSeed, seed, restarts)
	tools := t.TempDir()
	// The process name the collectors look for is the file's name.
	modulesd := filepath.Join(tools, "wazuh-modulesd")
	if out, err := exec.Command("go", "build", "-o", modulesd, "./modulesd").CombinedOutput(); err != nil {
		t.Fatalf("building the wazuh-modulesd stand-in: %v\n%s", err, out)
	}
	for i, v := range names() {
		t.Run(v, func(t *testing.T) {
			lc := newLifecycle(t, root, v, modulesd, restarts, rand.New(rand.NewPCG(seed, uint64(i))))
			lc.run()
		})
	}
}

// lcFakes are the fakes the test serves: the demo's, except Duo's, Slack's,
// Mimecast's and TAP's without their request limits (the vendors' own pacing is off
// too): hundreds of runs must not wait out a minute's or a day's budget
// (TAP allows 50 People requests a day; a soak replays the VAP report
// more often than that, and the report would then wait for the next day).
func lcFakes() map[string]fakekit.DemoFunc {
	m := vendors()
	m["duo"] = func(c fakekit.DemoConfig) fakekit.Demo {
		const ikey = "DIWODLEKITLIFECYCLE1"
		events := map[string]int{}
		for _, l := range duofake.Logs() {
			events[l] = c.Events
		}
		api := duofake.New(duofake.Options{IKey: ikey, SKey: c.Token, Events: events, Seed: c.Seed,
			Start: c.Start.Add(-5 * time.Minute), Span: c.Span})
		return fakekit.Demo{Fake: api, Secrets: map[string]string{"DUO_IKEY": ikey, "DUO_SKEY": c.Token}}
	}
	m["proofpoint_tap"] = func(c fakekit.DemoConfig) fakekit.Demo {
		hours := max(1, int((c.Span+time.Hour-1)/time.Hour))
		const principal = "lifecycle-principal"
		api := tapfake.New(tapfake.Options{Principal: principal, Secret: c.Token, Seed: uint64(c.Seed),
			SIEM: c.Events, People: max(1, c.Events/20), PerHour: max(1, (c.Events+hours-1)/hours),
			SIEMBudget: 1 << 30, PeopleBudget: 1 << 30})
		return fakekit.Demo{Fake: api, Secrets: map[string]string{"TAP_PRINCIPAL": principal, "TAP_SECRET": c.Token}}
	}
	m["slack"] = func(c fakekit.DemoConfig) fakekit.Demo {
		api := slackfake.New(slackfake.Options{Token: c.Token, Events: c.Events, Seed: c.Seed, Start: c.Start, Span: c.Span, SameSecond: 3})
		return fakekit.Demo{Fake: api, Secrets: map[string]string{"SLACK_TOKEN": c.Token}}
	}
	m["mimecast"] = func(c fakekit.DemoConfig) fakekit.Demo {
		const id = "lifecycle-client-id"
		api := mimecastfake.New(mimecastfake.Options{ClientID: id, ClientSecret: c.Token, Events: c.Events, Seed: c.Seed,
			Start: c.Start, Span: c.Span, FileEvents: 20})
		return fakekit.Demo{Fake: api, Secrets: map[string]string{"MIMECAST_CLIENT_ID": id, "MIMECAST_CLIENT_SECRET": c.Token}}
	}
	return m
}

// lcExtra are vendor settings the test needs: no request budgets.
var lcExtra = map[string][]string{
	"duo":            {"DUO_REQUESTS_PER_MINUTE_PER_ENDPOINT=0"},
	"proofpoint_tap": {"TAP_SIEM_DAILY_BUDGET=1000000", "TAP_PEOPLE_DAILY_BUDGET=1000000"},
}

type lifecycle struct {
	t         *testing.T
	v, dir    string
	bin       string
	runsh     string
	settings  string
	modulesd  string
	restarts  int
	rng       *rand.Rand
	reference map[string]bool // every record line of the backlog
	modules   int
	// maxForward is the most lines one run forwarded, over every
	// wazuh-modulesd of the test.
	maxForward int

	rx       *analysisd
	md       *exec.Cmd
	status   *statusLog
	cmu      sync.Mutex
	children map[int]bool // every command process group started, for the cleanup
}

func newLifecycle(t *testing.T, root, v, modulesd string, restarts int, rng *rand.Rand) *lifecycle {
	dir := t.TempDir()
	lc := &lifecycle{t: t, v: v, dir: dir, bin: filepath.Join(root, "bin", v+"-wodle"), modulesd: modulesd,
		restarts: restarts, rng: rng, children: map[int]bool{}}
	if _, err := os.Stat(lc.bin); err != nil {
		t.Fatalf("%v (run make build first)", err)
	}
	// A backlog that takes about two runs per stop, so stops land while
	// there is still something to lose.
	perStream := lcCap * (restarts + 3) / 2
	// TAP answers one hour per page: spread its backlog over 20 hours so a
	// page is a few events, not the whole backlog.
	span := 50 * time.Minute
	if v == "proofpoint_tap" {
		span = 20 * time.Hour
	}
	// The server listens before the fake is built: a fake whose
	// credentials name one of its endpoints needs its URL.
	var fake fakekit.Demo
	built := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-built
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	fake = lcFakes()[v](fakekit.DemoConfig{Token: "lifecycle-" + v, Events: perStream, Seed: 11,
		Start: time.Now().Add(-span).UTC(), Span: span, URL: srv.URL})
	close(built)
	var secrets strings.Builder
	for k, val := range fake.Secrets {
		fmt.Fprintf(&secrets, "%s=%s\n", k, val)
	}
	writeFile(t, filepath.Join(dir, "secrets.env"), secrets.String(), 0o600)

	meta, err := exec.Command(lc.bin, "metadata").Output()
	if err != nil {
		t.Fatalf("%s metadata: %v", lc.bin, err)
	}
	var m struct {
		EnvPrefix string `json:"env_prefix"`
	}
	if err := json.Unmarshal(meta, &m); err != nil || m.EnvPrefix == "" {
		t.Fatalf("metadata: %v", err)
	}
	p := m.EnvPrefix
	pkg := filepath.Join(dir, "pkg")
	if out, err := exec.Command(filepath.Join(root, "tools", "pkgbuild", "bin", "pkgbuild"), "render", "-repo", root, "-vendor", v, "-out", pkg).CombinedOutput(); err != nil {
		t.Fatalf("rendering the package (make pkgbuild-tool first): %v\n%s", err, out)
	}
	_ = filepath.WalkDir(pkg, func(path string, d os.DirEntry, err error) error {
		if err == nil && d.Name() == "run.sh" {
			lc.runsh = path
		}
		return nil
	})
	if lc.runsh == "" {
		t.Fatal("the rendered package has no run.sh")
	}
	if err := os.Chmod(lc.runsh, 0o750); err != nil {
		t.Fatal(err)
	}
	settings := []string{
		p + "BASE_URL=" + srv.URL, p + "STATE_DIR=" + filepath.Join(dir, "state"), p + "LOG_FILE=" + filepath.Join(dir, "log", v+".log"),
		p + "SECRETS_FILE=" + filepath.Join(dir, "secrets.env"), p + "LOOKBACK_HOURS=24", p + "MAX_RUNTIME=30s", p + "DEBUG=1",
		p + "PAGE_SIZE=" + strconv.Itoa(lcPageSize), p + "MAX_EVENTS_PER_RUN=" + strconv.Itoa(lcCap), p + "REQUESTS_PER_MINUTE=-1",
	}
	for k, val := range fake.Settings {
		settings = append(settings, k+"="+val)
	}
	settings = append(settings, lcExtra[v]...)
	if c := os.Getenv(envCommit); c != "" {
		settings = append(settings, p+"COMMIT="+c)
	}
	lc.settings = filepath.Join(dir, v+".env")
	writeFile(t, lc.settings, strings.Join(settings, "\n")+"\n", 0o640)

	// The backlog as one uninterrupted collection sees it.
	ref := exec.Command(lc.bin, "--all")
	ref.Env = append(os.Environ(), settings...)
	ref.Env = append(ref.Env, p+"STATE_DIR="+filepath.Join(dir, "reference"), p+"MAX_EVENTS_PER_RUN=0")
	out, err := ref.Output()
	if err != nil {
		t.Fatalf("reference run: %v", err)
	}
	lc.reference = map[string]bool{}
	mods := map[string]bool{}
	for _, line := range bytes.Split(out, []byte{'\n'}) {
		switch kind, module := lc.kind(line); kind {
		case "":
		case "run_summary":
			mods[module] = true
		case "error":
			t.Fatalf("reference run: %s", line)
		default:
			lc.reference[string(line)] = true
		}
	}
	lc.modules = len(mods)
	if len(lc.reference) < lcCap*restarts/2 {
		t.Fatalf("reference run collected %d events: too few for %d stops", len(lc.reference), restarts)
	}
	lc.rx = listenAnalysisd(t, filepath.Join(dir, "queue"), "1:command_"+v+":")
	return lc
}

// kind is a line's event_type ("" for a line that is not an event of v)
// and module.
func (lc *lifecycle) kind(line []byte) (string, string) {
	if len(line) == 0 {
		return "", ""
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(line, &top); err != nil {
		return "garbled", ""
	}
	var ns struct {
		EventType string `json:"event_type"`
		Module    string `json:"module"`
	}
	if err := json.Unmarshal(top[lc.v], &ns); err != nil {
		return "garbled", ""
	}
	if ns.EventType == "run_summary" || ns.EventType == "error" {
		return ns.EventType, ns.Module
	}
	return "record", ""
}

// stop ways and moments.
var (
	lcWays   = []string{"restart", "crash", "host"}
	lcPhases = []string{"run", "forward", "sleep"}
)

func (lc *lifecycle) run() {
	t := lc.t
	defer lc.cleanup()
	lc.start()
	ways, moments := map[string]int{}, map[string]int{}
	for i := 0; i < lc.restarts; i++ {
		phase := lcPhases[lc.rng.IntN(len(lcPhases))]
		way := lcWays[lc.rng.IntN(len(lcWays))]
		st := lc.status.waitPhase(t, phase)
		var delay time.Duration
		switch phase {
		case "run":
			delay = time.Duration(lc.rng.Int64N(int64(60 * time.Millisecond)))
		case "forward":
			delay = time.Duration(lc.rng.Int64N(int64(time.Second*time.Duration(st.lines+1)/lcMaxEPS) + 1))
		case "sleep":
			// The stand-in sleeps until the interval after the run's start.
			if left := time.Until(st.runAt.Add(lcInterval)); left > 0 {
				delay = time.Duration(lc.rng.Int64N(int64(left)))
			}
		}
		time.Sleep(delay)
		moments[lc.status.current().phase]++
		ways[way]++
		lc.stop(way)
		lc.start()
	}
	// Then let it run until the backlog is in, or until it has caught up
	// (runs that bring nothing but their summaries) and so will bring
	// nothing more.
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) && lc.missing() > 0 && lc.status.idle() < 5 {
		time.Sleep(100 * time.Millisecond)
	}
	lc.stop("restart")

	received, lines := lc.rx.lines()
	distinct := map[string]bool{}
	var garbled, foreign, records int
	for _, l := range lines {
		switch kind, _ := lc.kind([]byte(l)); kind {
		case "record":
			records++
			distinct[l] = true
			if !lc.reference[l] {
				foreign++
			}
		case "garbled":
			garbled++
		}
	}
	lost := 0
	for l := range lc.reference {
		if !distinct[l] {
			lost++
		}
	}
	dups := records - len(distinct)
	// A duplicate is a line forwarded twice, so one stop can duplicate at
	// most what one forwarded run held: the largest forward seen (summary
	// lines included) bounds it. Not cap+modules*page: Duo's administrator
	// log and TAP's hourly windows answer with more than a page.
	runOutput := lc.maxForward
	bound := lc.restarts * runOutput
	t.Logf("lifecycle %s: %d stops (restart %d, crash %d, host %d; during a run %d, forwarding %d, sleeping %d); "+
		"backlog %d events, %d datagrams, %d event lines received, lost %d, duplicates %d (bound %d = %d stops x %d, one run's output)",
		lc.v, lc.restarts, ways["restart"], ways["crash"], ways["host"], moments["run"], moments["forward"], moments["sleep"],
		len(lc.reference), received, records, lost, dups, bound, lc.restarts, runOutput)
	if lost > 0 {
		t.Errorf("%d of %d events never reached analysisd", lost, len(lc.reference))
		shown := 0
		for l := range lc.reference {
			if !distinct[l] && shown < 5 {
				shown++
				t.Logf("lost: %.300s", l)
			}
		}
		keep := filepath.Join(os.TempDir(), "wodlekit-lifecycle-"+lc.v)
		_ = os.RemoveAll(keep)
		if err := os.CopyFS(keep, os.DirFS(lc.dir)); err == nil {
			t.Logf("the wodle's log, state and the stand-in's log are kept in %s", keep)
		}
	}
	if dups > bound {
		t.Errorf("%d duplicates, more than one run's output (%d) per stop", dups, runOutput)
	}
	if garbled > 0 || foreign > 0 {
		t.Errorf("%d lines that are not JSON events and %d events not in the backlog reached analysisd", garbled, foreign)
	}
}

func (lc *lifecycle) missing() int {
	_, lines := lc.rx.lines()
	seen := map[string]bool{}
	for _, l := range lines {
		seen[l] = true
	}
	n := 0
	for l := range lc.reference {
		if !seen[l] {
			n++
		}
	}
	return n
}

// start starts a new wazuh-modulesd (a new process: a new identity).
func (lc *lifecycle) start() {
	t := lc.t
	md := exec.Command(lc.modulesd, "-socket", lc.rx.path, "-tag", lc.v, "-interval", lcInterval.String(),
		"-max-eps", strconv.Itoa(lcMaxEPS), "-kill-timeout", lcKillTimeout.String(), "--", lc.runsh)
	md.Env = append(os.Environ(), "WODLE_CONFIG_FILE="+lc.settings, "WODLE_BINARY="+lc.bin)
	md.Dir = lc.dir
	logf, err := os.OpenFile(filepath.Join(lc.dir, "modulesd.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	md.Stderr = logf
	out, err := md.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := md.Start(); err != nil {
		t.Fatal(err)
	}
	lc.md = md
	lc.status = followStatus(out, lc.modules+1, func(pid int) {
		lc.cmu.Lock()
		lc.children[pid] = true
		lc.cmu.Unlock()
	})
}

// stop stops wazuh-modulesd the way production does.
func (lc *lifecycle) stop(way string) {
	t := lc.t
	switch way {
	case "restart": // systemd's KillMode=process: SIGTERM to modulesd only
		_ = lc.md.Process.Signal(syscall.SIGTERM)
	case "crash": // modulesd dies; its command is orphaned
		_ = lc.md.Process.Kill()
	case "host": // a cgroup or host kill: everything at once
		for _, pid := range lc.childPIDs() {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
		_ = lc.md.Process.Kill()
	}
	done := make(chan struct{})
	go func() { _ = lc.md.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(lcKillTimeout + 30*time.Second):
		t.Fatalf("wazuh-modulesd did not exit after %s", way)
	}
	lc.status.wait()
	lc.status.mu.Lock()
	lc.maxForward = max(lc.maxForward, lc.status.maxLines)
	lc.status.mu.Unlock()
}

func (lc *lifecycle) childPIDs() []int {
	lc.cmu.Lock()
	defer lc.cmu.Unlock()
	var out []int
	for pid := range lc.children {
		out = append(out, pid)
	}
	return out
}

// cleanup kills whatever is left: modulesd and orphaned commands.
func (lc *lifecycle) cleanup() {
	if lc.md != nil && lc.md.ProcessState == nil {
		_ = lc.md.Process.Kill()
		_ = lc.md.Wait()
	}
	for _, pid := range lc.childPIDs() {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
}

// statusLog follows the stand-in's phase lines.
type statusLog struct {
	mu   sync.Mutex
	seq  int
	cur  phaseLine
	used int
	done chan struct{}
	// idleRuns counts the runs in a row that forwarded at most quiet
	// lines (their summaries and an error event): caught up.
	quiet, idleRuns int
	// maxLines is the most lines one run forwarded.
	maxLines int
}

type phaseLine struct {
	phase string
	run   int
	pid   int
	lines int
	// runAt is when the run this line belongs to was seen starting.
	runAt time.Time
}

func followStatus(r interface{ Read([]byte) (int, error) }, quiet int, child func(int)) *statusLog {
	s := &statusLog{done: make(chan struct{}), quiet: quiet}
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) < 2 {
				continue
			}
			p := phaseLine{phase: f[0]}
			p.run, _ = strconv.Atoi(f[1])
			if len(f) == 4 {
				n, _ := strconv.Atoi(f[3])
				switch f[2] {
				case "pid":
					p.pid = n
					child(n)
				case "lines":
					p.lines = n
				}
			}
			s.mu.Lock()
			p.runAt = s.cur.runAt
			if p.phase == "run" {
				p.runAt = time.Now()
			}
			s.seq++
			s.cur = p
			if p.phase == "forward" {
				s.maxLines = max(s.maxLines, p.lines)
				s.idleRuns++
				if p.lines > s.quiet {
					s.idleRuns = 0
				}
			}
			s.mu.Unlock()
		}
	}()
	return s
}

func (s *statusLog) idle() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.idleRuns
}

func (s *statusLog) current() phaseLine {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}

// waitPhase waits for the stand-in to enter phase anew.
func (s *statusLog) waitPhase(t *testing.T, phase string) phaseLine {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		if s.seq > s.used && s.cur.phase == phase {
			s.used = s.seq
			p := s.cur
			s.mu.Unlock()
			return p
		}
		s.mu.Unlock()
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("wazuh-modulesd never entered phase %q", phase)
	return phaseLine{}
}

func (s *statusLog) wait() { <-s.done }

// analysisd is the stand-in analysisd: it reads the queue socket and keeps
// every datagram's payload.
type analysisd struct {
	path   string
	prefix string
	mu     sync.Mutex
	got    []string
	n      int
}

func listenAnalysisd(t *testing.T, path, prefix string) *analysisd {
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	a := &analysisd{path: path, prefix: prefix}
	go func() {
		buf := make([]byte, 70000)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			msg := string(buf[:n])
			a.mu.Lock()
			a.n++
			if rest, ok := strings.CutPrefix(msg, prefix); ok {
				a.got = append(a.got, rest)
			} else {
				a.got = append(a.got, msg)
			}
			a.mu.Unlock()
		}
	}()
	return a
}

// lines returns the number of datagrams and their payloads.
func (a *analysisd) lines() (int, []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.n, append([]string(nil), a.got...)
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}
