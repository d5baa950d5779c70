// Command benchrun measures a vendor binary end to end: the 1Password fake
// API in this process on loopback, the wodle as a child process limited to
// one core (GOMAXPROCS=1, pinned with taskset when available), its stdout
// read and counted here. It prints one line per backlog size: events,
// wall seconds, events per wall second, the wodle's CPU seconds (user +
// system) and events per CPU second, its peak RSS and output rate. On a
// 2-core machine the fake API and this reader share the other core, so
// events per CPU second is the wodle's own cost; events per wall second
// is bounded by the slower of the two processes.
//
//	benchrun -bin bin/onepassword-wodle -sizes 10000,100000,1000000
package main

import (
	"bytes"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wodlekit/wodlekit/vendors/onepassword/fakeapi"
)

func main() {
	bin := flag.String("bin", "bin/onepassword-wodle", "wodle binary to measure")
	sizes := flag.String("sizes", "10000,100000,1000000", "backlog sizes (events in one stream)")
	flag.Parse()
	// This process holds the whole backlog (a million events is about a
	// gigabyte of small objects): fewer collections of it keep the fake
	// API from setting the pace of what is measured, the wodle.
	debug.SetGCPercent(800)
	fmt.Printf("%10s %9s %12s %9s %14s %12s %10s %12s\n", "events", "seconds", "events/s", "cpu_s", "events/cpu_s", "peak_rss_MiB", "MiB/s", "fake_cpu_s")
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "benchrun: bad size %q\n", s)
			os.Exit(2)
		}
		if err := measure(*bin, n); err != nil {
			fmt.Fprintln(os.Stderr, "benchrun:", err)
			os.Exit(1)
		}
	}
}

func measure(bin string, n int) error {
	const token = "bench-token"
	api := fakeapi.New(fakeapi.Options{
		Token: token, Features: fakeapi.Features(), Events: map[string]int{"auditevents": n},
		Seed: 42, Start: time.Now().Add(-100 * time.Hour), Span: 99 * time.Hour,
	})
	// Generating the backlog leaves garbage and a large live heap: collect
	// it now, or the collector's work would land inside the measured run.
	runtime.GC()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	dir, err := os.MkdirTemp("", "benchrun-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	args := []string{bin, "--source", "auditevents"}
	if path, err := exec.LookPath("taskset"); err == nil {
		args = append([]string{path, "-c", "0"}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = []string{
		"GOMAXPROCS=1",
		"OP_EVENTS_TOKEN=" + token,
		"OP_BASE_URL=http://" + ln.Addr().String(),
		"OP_STATE_DIR=" + dir,
		"OP_LOG_FILE=" + dir + "/wodle.log",
		"OP_LOOKBACK_HOURS=120",
		"OP_PAGE_SIZE=1000",
		"OP_MAX_EVENTS_PER_RUN=0",
		"OP_MAX_BYTES_PER_RUN=0",
		"OP_MAX_RUNTIME=30m",
		"OP_REQUESTS_PER_MINUTE=-1",
	}
	// Go runtime knobs pass through, for experiments (GOGC=200 make bench).
	for _, k := range []string{"GOGC", "GOMEMLIMIT", "GODEBUG"} {
		if v, ok := os.LookupEnv(k); ok {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	selfBefore := selfCPU()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return err
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
	// Lines are counted in large reads: the reader must stay far faster
	// than the collector it measures. Summary lines are subtracted; the
	// marker is searched across read boundaries through a small carry.
	const marker = `"event_type":"run_summary"`
	lines, summaries, total := 0, 0, 0
	buf := make([]byte, 1<<20)
	carry := make([]byte, 0, 2*len(marker))
	for {
		n, err := out.Read(buf)
		chunk := buf[:n]
		total += n
		lines += bytes.Count(chunk, []byte{'\n'})
		joined := append(carry, chunk[:min(len(chunk), len(marker)-1)]...)
		summaries += bytes.Count(joined, []byte(marker)) + bytes.Count(chunk, []byte(marker))
		carry = append(carry[:0], chunk[max(0, len(chunk)-len(marker)+1):]...)
		if err != nil {
			break
		}
	}
	events := lines - summaries
	// The last samples are taken while the process lingers as a zombie-free
	// reader of nothing; close stop only after Wait.
	waitErr := cmd.Wait()
	close(stop)
	hwmKB := <-peak
	if waitErr != nil {
		return fmt.Errorf("wodle: %w", waitErr)
	}
	secs := time.Since(start).Seconds()
	driver := selfCPU() - selfBefore
	if events != n {
		return fmt.Errorf("wodle emitted %d events, want %d", events, n)
	}
	rss := float64(hwmKB) / 1024
	cpu := (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	fmt.Printf("%10d %9.3f %12.0f %9.3f %14.0f %12.1f %10.1f %12.3f\n", n, secs, float64(n)/secs, cpu, float64(n)/cpu, rss, float64(total)/secs/(1<<20), driver)
	return nil
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

// selfCPU is this process's CPU time (the fake API and the reader), in
// seconds: when it nears the wall time, the fake, not the wodle, sets the pace.
func selfCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
