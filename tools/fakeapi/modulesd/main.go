// Command modulesd is a stand-in for wazuh-modulesd's command wodle
// (Wazuh 4.x, src/wazuh_modules/wm_command.c and wm_exec.c), written from
// the facts in the project's reference, for the lifecycle test. Built or
// copied to a file named wazuh-modulesd, its process name is the one the
// collectors look for among their ancestors.
//
// What it does, as wm_command_main does: run the command (no shell) in its
// own session with stdout and stderr on one pipe and stdin on /dev/null;
// keep the output in memory, at most 64 MiB (past that, stop reading and
// close the pipe); on -timeout send SIGTERM to the command's process group
// (no SIGKILL) and keep the partial output; once the command has exited,
// send every non-empty line to the analysisd datagram socket as
// "1:command_<tag>:<line>" (cut at 65,535 bytes), sleeping 1/max_eps before
// each; sleep until the next interval (counted from the previous start) and
// loop. On SIGTERM or SIGINT, as its exit handler does: SIGTERM to the
// running command's process group, SIGKILL after -kill-timeout, and exit;
// the buffered output is never sent.
//
// It prints its phases on stdout for the test to follow:
//
//	run <n> pid <pid>
//	forward <n> lines <k>
//	sleep <n>
//
//	modulesd -socket queue -tag okta -interval 1s -max-eps 100 -- /path/run.sh
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// Wazuh's limits (wmodules.h, defs.h).
const (
	stringMax = 64 << 20 // WM_STRING_MAX: output kept of one run
	bufferMax = 1024     // WM_BUFFER_MAX: one read of the pipe
	osMaxStr  = 65536    // OS_MAXSTR: a message is cut to 65,535 bytes
)

func main() {
	os.Exit(run(os.Args[1:]))
}

type options struct {
	socket, tag             string
	interval, timeout, kill time.Duration
	maxEPS                  int
	command                 []string
}

func run(args []string) int {
	fl := flag.NewFlagSet("modulesd", flag.ContinueOnError)
	var o options
	fl.StringVar(&o.socket, "socket", "", "analysisd's queue socket (unixgram)")
	fl.StringVar(&o.tag, "tag", "", "wodle <tag>: messages get location command_<tag>")
	fl.DurationVar(&o.interval, "interval", 2*time.Second, "wodle <interval>, counted from the previous start")
	fl.DurationVar(&o.timeout, "timeout", 0, "wodle <timeout> (0: none)")
	fl.DurationVar(&o.kill, "kill-timeout", 10*time.Second, "wazuh_modules.kill_timeout: SIGTERM to SIGKILL on exit (0: SIGKILL at once)")
	fl.IntVar(&o.maxEPS, "max-eps", 100, "wazuh_modules.max_eps (1-1000)")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	o.command = fl.Args()
	if o.socket == "" || len(o.command) == 0 || o.maxEPS < 1 || o.maxEPS > 1000 || o.interval <= 0 || o.timeout < 0 || o.kill < 0 {
		fmt.Fprintln(os.Stderr, "modulesd: need -socket, a command after the flags, -max-eps 1-1000 and positive durations")
		return 2
	}
	d := &daemon{o: o, say: os.Stdout}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sigs
		d.exit()
	}()
	d.loop()
	return 0
}

type daemon struct {
	o   options
	say io.Writer

	mu      sync.Mutex
	child   int  // pid (and process group) of the running command, 0 when none
	exiting bool // set by the exit handler: no new command starts
	conn    *net.UnixConn
}

func (d *daemon) status(format string, args ...any) {
	fmt.Fprintf(d.say, format+"\n", args...)
}

// loop is wm_command_main: run, wait, forward, sleep.
func (d *daemon) loop() {
	for n := 1; ; n++ {
		start := time.Now()
		out, ok := d.runOnce(n)
		if !ok {
			d.wait()
			return
		}
		lines := splitLines(out)
		d.status("forward %d lines %d", n, len(lines))
		for _, l := range lines {
			time.Sleep(time.Second / time.Duration(d.o.maxEPS))
			d.send(l)
		}
		d.status("sleep %d", n)
		if next := start.Add(d.o.interval); time.Now().Before(next) {
			time.Sleep(time.Until(next))
		}
	}
}

// runOnce runs the command and returns its output; false when the daemon
// is exiting (the output is then discarded).
func (d *daemon) runOnce(n int) ([]byte, bool) {
	rd, wr, err := os.Pipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, "modulesd: pipe:", err)
		return nil, true
	}
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		fmt.Fprintln(os.Stderr, "modulesd:", err)
		return nil, true
	}
	cmd := exec.Command(d.o.command[0], d.o.command[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, wr, wr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	d.mu.Lock()
	if d.exiting {
		d.mu.Unlock()
		return nil, false
	}
	err = cmd.Start()
	if err == nil {
		d.child = cmd.Process.Pid
	}
	d.mu.Unlock()
	wr.Close()
	devnull.Close()
	if err != nil {
		rd.Close()
		fmt.Fprintln(os.Stderr, "modulesd: start:", err)
		return nil, true
	}
	d.status("run %d pid %d", n, cmd.Process.Pid)

	// The reader ends when every holder of the pipe has closed it, or at
	// the string limit, when it stops reading and closes its end.
	var out bytes.Buffer
	read := make(chan struct{})
	go func() {
		defer close(read)
		defer rd.Close()
		buf := make([]byte, bufferMax)
		for {
			k, err := rd.Read(buf)
			if out.Len()+k > stringMax {
				fmt.Fprintln(os.Stderr, "modulesd: String limit reached.")
				out.Write(buf[:stringMax-out.Len()])
				return
			}
			out.Write(buf[:k])
			if err != nil {
				return
			}
		}
	}()
	var timeout <-chan time.Time
	if d.o.timeout > 0 {
		t := time.NewTimer(d.o.timeout)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-read:
	case <-timeout:
		fmt.Fprintln(os.Stderr, "modulesd: Timeout overtaken.")
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		<-read
	}
	_ = cmd.Wait()
	d.mu.Lock()
	d.child = 0
	exiting := d.exiting
	d.mu.Unlock()
	return out.Bytes(), !exiting
}

// exit is the exit handler (wm_kill_children): SIGTERM to the running
// command's group, SIGKILL after the kill timeout, then exit.
func (d *daemon) exit() {
	d.mu.Lock()
	d.exiting = true
	pid := d.child
	d.mu.Unlock()
	if pid != 0 {
		if d.o.kill > 0 {
			_ = syscall.Kill(-pid, syscall.SIGTERM)
			deadline := time.Now().Add(d.o.kill)
			for time.Now().Before(deadline) && syscall.Kill(-pid, 0) == nil {
				time.Sleep(10 * time.Millisecond)
			}
		}
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
	os.Exit(0)
}

// wait blocks forever: the exit handler ends the process.
func (d *daemon) wait() { select {} }

// splitLines is strtok_r(output, "\n"): empty lines are skipped and "\r"
// is kept.
func splitLines(out []byte) [][]byte {
	var lines [][]byte
	for _, l := range bytes.Split(out, []byte{'\n'}) {
		if len(l) > 0 {
			lines = append(lines, l)
		}
	}
	return lines
}

// send is wm_sendmsg: "1:command_<tag>:<line>", cut to OS_MAXSTR-1 bytes;
// a failure is only logged, and the next message tries to reconnect.
func (d *daemon) send(line []byte) {
	msg := append([]byte("1:command_"+d.o.tag+":"), line...)
	if len(msg) > osMaxStr-1 {
		msg = msg[:osMaxStr-1]
	}
	if d.conn == nil {
		c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: d.o.socket, Net: "unixgram"})
		if err != nil {
			fmt.Fprintln(os.Stderr, "modulesd: connect to queue:", err)
			return
		}
		d.conn = c
	}
	if _, err := d.conn.Write(msg); err != nil {
		fmt.Fprintln(os.Stderr, "modulesd: send:", err)
		if !errors.Is(err, syscall.EAGAIN) {
			d.conn.Close()
			d.conn = nil
		}
	}
}
