// Command benchrun measures a vendor binary end to end, with the settings a
// new user gets: the 1Password fake API in this process on loopback, the
// wodle as a child process with its default pacing, prefetch and
// modules, its stdout read and counted here.
//
// The backlog is the mix of issue 12: three streams of n/3 events each in
// 1,000-record pages, every audit event carrying a 64-bit aux_id, plus one
// 100 KB and one 400-field audit event. The per-run caps are off so that
// each size is one run (the 50,000-event default would split the larger
// ones); everything else is the vendor's default.
//
// It prints one table row per run: wall seconds, events per wall second,
// the wodle's CPU seconds (user + system) and events per CPU second, its
// peak RSS, the time from starting the process to the fake's first
// request, and the requests the fake saw. The table measures the release
// binary, which cannot profile itself (see runner's cpuprofile.go); with
// -profile-bin (a build with -tags wodlekit_cpuprofile) the sizes of
// -profile-sizes are run once more with it, each run writing a CPU profile
// to -profile-dir (`go tool pprof <profile-bin> <file>`), on rows marked
// "profiled".
//
// With -runs above 1 or -against, a second table gives each setting's
// medians. -against measures a second binary too, its runs alternating
// with -bin's in the order ABBA (rows marked "/B"): on a busy or virtual machine the same
// binary's CPU time drifts by a quarter within minutes, so only runs
// interleaved this way compare two builds.
//
//	benchrun -bin bin/onepassword-wodle -sizes 10000,60000,1000000 -runs 3
//	benchrun -bin old-wodle -against bin/onepassword-wodle -sizes 60000 -runs 9 -compare ""
package main

import (
	"bytes"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/wodlekit/wodlekit/runtime/wodletest/fakekit"
	"github.com/wodlekit/wodlekit/vendors/onepassword/fakeapi"
)

// config is one measured run's settings.
type config struct {
	bin        string
	b          bool // the -against binary
	events     int
	pacingOff  bool
	profileDir string // set for a profiled run
	run        int
	stderr     bool
}

func main() {
	bin := flag.String("bin", "bin/onepassword-wodle", "wodle binary to measure")
	sizes := flag.String("sizes", "10000,60000,100000,1000000", "backlog sizes (events over the three streams)")
	runs := flag.Int("runs", 1, "runs of each size")
	compare := flag.String("compare", "60000", "sizes also measured with pacing off (OP_REQUESTS_PER_MINUTE=-1), comma list; empty for none")
	profileBin := flag.String("profile-bin", "", "the wodle built with -tags wodlekit_cpuprofile, for the profiled runs; empty for none")
	profileSizes := flag.String("profile-sizes", "60000", "sizes run once more with -profile-bin, with default settings")
	profileDir := flag.String("profile-dir", ".bench", "directory for the profiled runs' CPU profiles (cpu-default-<events>-<run>.pprof)")
	stderr := flag.Bool("stderr", false, "pass the wodle's stderr through (GODEBUG=gctrace=1 and the like)")
	against := flag.String("against", "", "a second wodle binary, its runs alternating with -bin's, ABBA (rows marked /B)")
	flag.Parse()
	// This process holds the whole backlog (a million events is about a
	// gigabyte of small objects): fewer collections of it keep the fake
	// API from setting the pace of what is measured, the wodle.
	debug.SetGCPercent(800)
	if *profileBin != "" {
		if err := os.MkdirAll(*profileDir, 0o755); err != nil {
			fail(err)
		}
	}
	fmt.Printf("| %-10s | %9s | %8s | %10s | %7s | %12s | %8s | %12s | %8s |\n",
		"settings", "events", "wall_s", "events/s", "cpu_s", "events/cpu_s", "rss_MiB", "first_req_ms", "requests")
	fmt.Printf("|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n", dashes(12), dashes(11), dashes(10), dashes(12), dashes(9), dashes(14), dashes(10), dashes(14), dashes(10))
	var compared []int
	if *compare != "" {
		compared = parseSizes(*compare)
	}
	jobs := plan(config{bin: *bin, stderr: *stderr}, *against, parseSizes(*sizes), compared, *runs)
	if *profileBin != "" && *profileSizes != "" {
		for _, n := range parseSizes(*profileSizes) {
			jobs = append(jobs, config{bin: *profileBin, events: n, profileDir: *profileDir, run: 1, stderr: *stderr})
		}
	}
	var rows []row
	for _, j := range jobs {
		r, err := measure(j)
		if err != nil {
			fail(err)
		}
		rows = append(rows, r)
	}
	if *runs > 1 || *against != "" {
		printMedians(rows)
	}
}

// row is one measured run, as its table row shows it.
type row struct {
	label          string
	events         int
	wall, cpu, rss float64
	firstMS        float64
}

// printMedians prints, for each setting and size in the order first met,
// the medians of its runs and their range of events per CPU second.
func printMedians(rows []row) {
	type key struct {
		label  string
		events int
	}
	var order []key
	groups := map[key][]row{}
	for _, r := range rows {
		k := key{r.label, r.events}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	fmt.Printf("\nmedians of the runs above\n\n")
	fmt.Printf("| %-12s | %9s | %4s | %8s | %7s | %12s | %17s | %8s | %12s |\n",
		"settings", "events", "runs", "wall_s", "cpu_s", "events/cpu_s", "events/cpu_s min-max", "rss_MiB", "first_req_ms")
	fmt.Printf("|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n", dashes(14), dashes(11), dashes(6), dashes(10), dashes(9), dashes(14), dashes(22), dashes(10), dashes(14))
	for _, k := range order {
		g := groups[k]
		field := func(f func(row) float64) []float64 {
			var v []float64
			for _, r := range g {
				v = append(v, f(r))
			}
			return v
		}
		rate := field(func(r row) float64 { return float64(r.events) / r.cpu })
		fmt.Printf("| %-12s | %9d | %4d | %8.3f | %7.3f | %12.0f | %9.0f-%-10.0f | %8.1f | %12.1f |\n",
			k.label, k.events, len(g),
			median(field(func(r row) float64 { return r.wall })),
			median(field(func(r row) float64 { return r.cpu })),
			median(rate), slices.Min(rate), slices.Max(rate),
			median(field(func(r row) float64 { return r.rss })),
			median(field(func(r row) float64 { return r.firstMS })))
	}
}

// median is the middle of v, or the mean of its two middle values.
func median(v []float64) float64 {
	v = slices.Clone(v)
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// plan lists the runs: runs of each size with base's binary and settings,
// then of each compared size with pacing off. With against, each run of
// base's binary is paired with the same run of against: first on odd runs,
// second on even ones (ABBA), so that neither binary always runs right
// after the other.
func plan(base config, against string, sizes, compared []int, runs int) []config {
	var jobs []config
	pair := func(c config) {
		if against == "" {
			jobs = append(jobs, c)
			return
		}
		b := c
		b.bin, b.b = against, true
		if c.run%2 == 0 {
			c, b = b, c
		}
		jobs = append(jobs, c, b)
	}
	for _, pacingOff := range []bool{false, true} {
		list := sizes
		if pacingOff {
			list = compared
		}
		for _, n := range list {
			for r := 1; r <= runs; r++ {
				c := base
				c.events, c.run, c.pacingOff = n, r, pacingOff
				pair(c)
			}
		}
	}
	return jobs
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "benchrun:", err)
	os.Exit(1)
}

func dashes(n int) string { return strings.Repeat("-", n) }

func parseSizes(list string) []int {
	var out []int
	for _, s := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 3 {
			fail(fmt.Errorf("bad size %q: want an integer of at least 3", s))
		}
		out = append(out, n)
	}
	return out
}

var auxIDRE = regexp.MustCompile(`"aux_id":-?[0-9]+`)

// backlog builds the fake with the mix and returns it with the number of
// events the wodle must emit.
func backlog(n int) (*fakeapi.API, int) {
	const token = "bench-token"
	per := n / 3
	start := time.Now().Add(-100 * time.Hour)
	api := fakeapi.New(fakeapi.Options{
		Token: token, Features: fakeapi.Features(),
		Events: map[string]int{fakeapi.FeatureSignInAttempts: per, fakeapi.FeatureItemUsages: per},
		Seed:   42, Start: start, Span: 99 * time.Hour,
	})
	rng := fakekit.NewGen(42, 3)
	audit := n - 2*per
	step := 99 * time.Hour / time.Duration(audit)
	for i := range audit {
		ev := fakeapi.GenerateEvent(fakeapi.FeatureAuditEvents, i, rng, start.Add(time.Duration(i)*step))
		// Beyond 2^53: the value Wazuh's decoder would round, which the
		// collector must rewrite as a string.
		big := `"aux_id":` + strconv.FormatUint(1<<62+rng.Uint64N(1<<62), 10)
		if auxIDRE.Match(ev) {
			ev = auxIDRE.ReplaceAllLiteral(ev, []byte(big))
		} else {
			ev = append([]byte("{"+big+","), ev[1:]...)
		}
		api.AppendRaw(fakeapi.FeatureAuditEvents, ev)
	}
	api.AppendRaw(fakeapi.FeatureAuditEvents, api.BigRecord(100_000))
	api.AppendRaw(fakeapi.FeatureAuditEvents, api.WideRecord(400))
	return api, 2*per + audit + 2
}

// firstRequest records when the fake saw its first request.
type firstRequest struct {
	h     http.Handler
	at    atomic.Int64
	count atomic.Int64
}

func (f *firstRequest) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.count.Add(1) == 1 {
		f.at.Store(time.Now().UnixNano())
	}
	f.h.ServeHTTP(w, r)
}

func measure(c config) (row, error) {
	api, want := backlog(c.events)
	// Generating the backlog leaves garbage and a large live heap: collect
	// it now, or the collector's work would land inside the measured run,
	// and hand the freed pages back now, or the background scavenger
	// would: with a collection alone, the first request of a
	// million-event run came a median 7.0 ms after the start (4.3-10.0,
	// six runs), against 4.7 ms (3.7-7.0) with the pages handed back, while
	// no production parent of a wodle frees a gigabyte as it starts one.
	debug.FreeOSMemory()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return row{}, err
	}
	fr := &firstRequest{h: api}
	srv := &http.Server{Handler: fr, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	dir, err := os.MkdirTemp("", "benchrun-")
	if err != nil {
		return row{}, err
	}
	defer os.RemoveAll(dir)

	mode := "default"
	if c.pacingOff {
		mode = "pacing-off"
	}
	label := mode
	if c.profileDir != "" {
		label = "profiled"
	}
	if c.b {
		label += "/B"
	}
	// With the stdout sink a run stops before 63 MiB of output (Wazuh reads
	// 64 MiB of a run at most), so a large backlog takes several runs, as
	// in production; they are measured together.
	start := time.Now()
	events, hwmKB, cpu := 0, int64(0), 0.0
	for runs := 1; events < want; runs++ {
		r, err := runOnce(c, mode, ln.Addr().String(), dir, runs)
		if err != nil {
			return row{}, err
		}
		if r.events == 0 || runs > 100 {
			return row{}, fmt.Errorf("wodle emitted %d events in %d runs, want %d", events, runs, want)
		}
		events += r.events
		hwmKB = max(hwmKB, r.hwmKB)
		cpu += r.cpu
	}
	secs := time.Since(start).Seconds()
	if events != want {
		return row{}, fmt.Errorf("wodle emitted %d events, want %d", events, want)
	}
	firstMS := float64(fr.at.Load()-start.UnixNano()) / 1e6
	rss := float64(hwmKB) / 1024
	fmt.Printf("| %-10s | %9d | %8.3f | %10.0f | %7.3f | %12.0f | %8.1f | %12.1f | %8d |\n",
		label, want, secs, float64(want)/secs, cpu, float64(want)/cpu, rss, firstMS, fr.count.Load())
	return row{label: label, events: want, wall: secs, cpu: cpu, rss: rss, firstMS: firstMS}, nil
}

// oneRun is what one run of the wodle did.
type oneRun struct {
	events int
	hwmKB  int64
	cpu    float64
}

// runOnce runs the wodle once against the fake at addr, its state in dir.
func runOnce(c config, mode, addr, dir string, n int) (oneRun, error) {
	cmd := exec.Command(c.bin)
	cmd.Env = []string{
		"OP_EVENTS_TOKEN=bench-token",
		"OP_BASE_URL=http://" + addr,
		"OP_STATE_DIR=" + dir,
		"OP_LOG_FILE=" + dir + "/wodle.log",
		"OP_LOOKBACK_HOURS=120",
		"OP_MAX_EVENTS_PER_RUN=0",
		"OP_MAX_BYTES_PER_RUN=66060288",
		"OP_MAX_RUNTIME=30m",
	}
	if c.pacingOff {
		cmd.Env = append(cmd.Env, "OP_REQUESTS_PER_MINUTE=-1")
	}
	if c.profileDir != "" {
		cmd.Env = append(cmd.Env, "WODLEKIT_CPU_PROFILE="+filepath.Join(c.profileDir, fmt.Sprintf("cpu-%s-%d-%d-%d.pprof", mode, c.events, c.run, n)))
	}
	// Go runtime knobs pass through, for experiments (GOGC=200 make bench).
	for _, k := range []string{"GOGC", "GOMEMLIMIT", "GODEBUG", "GOMAXPROCS"} {
		if v, ok := os.LookupEnv(k); ok {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	if c.stderr {
		cmd.Stderr = os.Stderr
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return oneRun{}, err
	}
	if err := cmd.Start(); err != nil {
		return oneRun{}, err
	}
	// ru_maxrss would report this process's size: Linux keeps it across
	// fork and exec. VmHWM belongs to the child's own address space.
	peak := make(chan int64, 1)
	stop := make(chan struct{})
	go func() {
		var hwm int64
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			if kb := vmHWM(cmd.Process.Pid); kb > hwm {
				hwm = kb
			}
			select {
			case <-stop:
				peak <- hwm
				return
			case <-t.C:
			}
		}
	}()
	lines, summaries, err := countLines(out)
	if err != nil {
		return oneRun{}, err
	}
	waitErr := cmd.Wait()
	close(stop)
	hwmKB := <-peak
	if waitErr != nil {
		return oneRun{}, fmt.Errorf("wodle: %w", waitErr)
	}
	return oneRun{events: lines - summaries, hwmKB: hwmKB, cpu: (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()}, nil
}

// countLines counts the lines of r and the run_summary lines among them,
// in large reads: the reader must stay far faster than the collector it
// measures. The marker is searched across read boundaries through a carry.
func countLines(r interface{ Read([]byte) (int, error) }) (lines, summaries int, err error) {
	const marker = `"event_type":"run_summary"`
	buf := make([]byte, 1<<20)
	carry := make([]byte, 0, 2*len(marker))
	for {
		n, rerr := r.Read(buf)
		chunk := buf[:n]
		lines += bytes.Count(chunk, []byte{'\n'})
		joined := append(carry, chunk[:min(len(chunk), len(marker)-1)]...)
		summaries += bytes.Count(joined, []byte(marker)) + bytes.Count(chunk, []byte(marker))
		carry = append(carry[:0], chunk[max(0, len(chunk)-len(marker)+1):]...)
		if rerr != nil {
			return lines, summaries, nil
		}
	}
}

// vmHWM reads the peak resident set size of pid in KiB (0 once it exited).
func vmHWM(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb
		}
	}
	return 0
}
