package main

// File safety of the real binary (issue 10 section 4). The binary runs as
// root in directories whose parents the wazuh user can write. These tests
// build it, let an unprivileged user plant a symlink and a hard link at every
// name it writes, run it as root, and check that it refused with a clear error
// and that no file outside its directories changed. The rules are the
// runtime's (safefs), the same for every vendor: one binary stands for all.

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// binary is the command built once for every test (TestMain).
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wodle-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "onepassword-wodle")
	cmd := exec.Command("go", "build", "-trimpath", "-o", binary, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// closedURL is a loopback URL nothing listens on: a run that gets past its
// file checks fails fast on the network instead of reaching anything.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

type runResult struct {
	code           int
	stdout, stderr string
}

func runBinary(t *testing.T, bin string, env []string, stderr *os.File) runResult {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin"}, env...)
	var out, errb bytes.Buffer
	cmd.Stdout = &out
	if stderr != nil {
		cmd.Stderr = stderr
	} else {
		cmd.Stderr = &errb
	}
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return runResult{code, out.String(), errb.String()}
}

// events parses the binary's stdout lines into the records inside the namespace.
func events(t *testing.T, stdout string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line struct {
			Onepassword map[string]any `json:"onepassword"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil || line.Onepassword == nil {
			t.Fatalf("stdout line is not a onepassword event: %q (%v)", sc.Text(), err)
		}
		out = append(out, line.Onepassword)
	}
	return out
}

// snapshot hashes every file under dir with its mode, size and mtime.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		h := ""
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h = fmt.Sprintf("%x", sha256.Sum256(b))
		}
		out[p] = fmt.Sprintf("%v %d %d %s", fi.Mode(), fi.Size(), fi.ModTime().UnixNano(), h)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// nobody is the unprivileged user that plants the links.
func nobody(t *testing.T) (uid, gid int) {
	t.Helper()
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody:", err)
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	return uid, gid
}

// asUser runs a command as uid:gid with no supplementary groups.
func asUser(t *testing.T, uid, gid int, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("as uid %d: %s %v: %v\n%s", uid, name, args, err, out)
	}
}

func chownChmod(t *testing.T, path string, uid, gid int, mode os.FileMode) {
	t.Helper()
	if err := os.Chown(path, uid, gid); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// layout is the packaged layout in miniature: wazuh/ stands for Wazuh's own
// directories (/var/ossec/var/wodles, /var/ossec/logs), which the
// unprivileged user can write; state/ and logs/ are ours inside it; outside/
// holds files such as ossec.conf (root:nogroup 0660: the unprivileged user can
// hard-link them, as the wazuh user can link root:wazuh 0660 files).
type layout struct {
	root, wazuh, state, logs, outside string
}

func newLayout(t *testing.T, uid, gid int) layout {
	t.Helper()
	// t.TempDir's parent is 0700: the unprivileged user could not reach it.
	root, err := os.MkdirTemp("", "wodle-filesafety-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	l := layout{root: root, wazuh: filepath.Join(root, "wazuh"), outside: filepath.Join(root, "outside")}
	l.state, l.logs = filepath.Join(l.wazuh, "state"), filepath.Join(l.wazuh, "logs")
	for _, d := range []string{l.wazuh, l.state, l.logs, l.outside} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	chownChmod(t, l.wazuh, 0, gid, 0o770)
	chownChmod(t, l.outside, 0, 0, 0o755)
	for _, n := range []string{"ossec.conf", "shadow", "client.keys"} {
		p := filepath.Join(l.outside, n)
		if err := os.WriteFile(p, []byte("<"+n+"> do not touch\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		chownChmod(t, p, 0, gid, 0o660)
	}
	return l
}

func (l layout) env(url string, extra ...string) []string {
	return append([]string{
		"OP_EVENTS_TOKEN=not-a-real-token", "OP_BASE_URL=" + url,
		"OP_STATE_DIR=" + l.state, "OP_LOG_FILE=" + filepath.Join(l.logs, "onepassword.log"),
		"OP_DEBUG=3", "OP_LOG_MAX_BYTES=2048", "OP_RETRY_ATTEMPTS=1", "OP_RETRY_BACKOFF=10ms", "OP_MAX_RUNTIME=60s",
	}, extra...)
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: the binary must run as root while an unprivileged user plants links (CI runs as root)")
	}
}

// refused checks a run that must stop before collecting: exit 1 or 2, one
// error event whose message contains every part of want, nothing else.
func refused(t *testing.T, r runResult, want ...string) {
	t.Helper()
	evs := events(t, r.stdout)
	if r.code == 0 || len(evs) != 1 || evs[0]["event_type"] != "error" {
		t.Fatalf("want a refusal (one error event, exit != 0), got exit %d:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	msg, _ := evs[0]["error_message"].(string)
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error message %q lacks %q", msg, w)
		}
	}
}

// Every path the binary writes, planted as a symlink and as a hard link by
// an unprivileged user while the directories were still writable by it (the
// layout before this release: root:wazuh 0770), then the directories made
// root:root 0700 as run.sh now does: the binary refuses, and nothing outside
// changes.
func TestPlantedLinksAsUnprivilegedUser(t *testing.T) {
	requireRoot(t)
	uid, gid := nobody(t)
	bin := binary
	url := closedURL(t)
	paths := []struct{ name, dir, file string }{
		{"lock", "state", "default.state.json.lock"},
		{"state", "state", "default.state.json"},
		{"temporary", "state", "default.state.json.tmp-4f2a9c1b7d3e"},
		{"prev", "state", "default.state.json.prev"},
		{"prev temporary", "state", "default.state.json.prev.tmp"},
		{"corrupt aside", "state", "default.state.json.corrupt-20260101T000000Z"},
		{"log", "logs", "onepassword.log"},
		{"rotated log", "logs", "onepassword.log.1"},
	}
	for _, p := range paths {
		for _, kind := range []string{"symlink", "hardlink"} {
			t.Run(p.name+"/"+kind, func(t *testing.T) {
				l := newLayout(t, uid, gid)
				dir := l.state
				if p.dir == "logs" {
					dir = l.logs
				}
				chownChmod(t, dir, uid, gid, 0o700)
				planted := filepath.Join(dir, p.file)
				target := filepath.Join(l.outside, "ossec.conf")
				if kind == "symlink" {
					asUser(t, uid, gid, "ln", "-s", target, planted)
				} else {
					asUser(t, uid, gid, "ln", target, planted)
				}
				chownChmod(t, dir, 0, 0, 0o700)
				before := snapshot(t, l.outside)
				r := runBinary(t, bin, l.env(url), nil)
				what := "symbolic link"
				if kind == "hardlink" {
					what = "hard links"
				}
				if after := snapshot(t, l.outside); fmt.Sprint(after) != fmt.Sprint(before) {
					t.Errorf("a file outside changed:\nbefore %v\nafter  %v", before, after)
				}
				refused(t, r, "refusing "+planted, what)
			})
		}
	}
}

// The directories themselves: left writable by the unprivileged user, or
// swapped by it for a symlink (it can write their parent, as the wazuh user
// can write /var/ossec/logs): refused, nothing written through them.
func TestUnsafeDirectoriesAsUnprivilegedUser(t *testing.T) {
	requireRoot(t)
	uid, gid := nobody(t)
	bin := binary
	url := closedURL(t)
	for _, which := range []string{"state", "logs"} {
		t.Run(which+"/writable", func(t *testing.T) {
			l := newLayout(t, uid, gid)
			d := filepath.Join(l.wazuh, which)
			chownChmod(t, d, 0, gid, 0o770)
			before := [2]map[string]string{snapshot(t, l.outside), snapshot(t, d)}
			r := runBinary(t, bin, l.env(url), nil)
			refused(t, r, "refusing "+d, "writable by its group")
			if after := [2]map[string]string{snapshot(t, l.outside), snapshot(t, d)}; fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("files changed:\nbefore %v\nafter  %v", before, after)
			}
		})
		t.Run(which+"/swapped", func(t *testing.T) {
			l := newLayout(t, uid, gid)
			d := filepath.Join(l.wazuh, which)
			asUser(t, uid, gid, "mv", d, d+".old")
			asUser(t, uid, gid, "ln", "-s", l.outside, d)
			before := snapshot(t, l.outside)
			r := runBinary(t, bin, l.env(url), nil)
			if after := snapshot(t, l.outside); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("a file outside changed:\nbefore %v\nafter  %v", before, after)
			}
			refused(t, r, "refusing "+d, "symbolic link")
		})
	}
}

// With safe directories the same run goes ahead: the refusals above come
// from the planted links, not from the layout. Its files are created 0600.
func TestSafeLayoutRuns(t *testing.T) {
	requireRoot(t)
	uid, gid := nobody(t)
	bin := binary
	l := newLayout(t, uid, gid)
	r := runBinary(t, bin, l.env(closedURL(t)), nil)
	for _, e := range events(t, r.stdout) {
		if e["event_type"] == "error" && e["error_kind"] != "network" {
			t.Errorf("unexpected error: %v", e)
		}
	}
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.stdout)
	}
	for _, p := range []string{filepath.Join(l.state, "default.state.json.lock"), filepath.Join(l.logs, "onepassword.log")} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v, want mode 0600", p, fi, err)
		}
	}
}

// Section 5: a log that cannot be written is counted in the run summary.
// The binary logs to stderr (no LOG_FILE) and stderr is /dev/full, where
// every write fails with ENOSPC, as on a full disk. LOG_FILE=/dev/full itself
// is refused: it is not a regular file.
func TestLogWriteFailuresInSummary(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full:", err)
	}
	defer full.Close()
	bin := binary
	state := filepath.Join(t.TempDir(), "state")
	env := []string{"OP_EVENTS_TOKEN=not-a-real-token", "OP_BASE_URL=" + closedURL(t), "OP_STATE_DIR=" + state,
		"OP_DEBUG=3", "OP_RETRY_ATTEMPTS=1", "OP_RETRY_BACKOFF=10ms", "OP_MAX_RUNTIME=60s"}

	r := runBinary(t, bin, env, full)
	var summaries int
	for _, e := range events(t, r.stdout) {
		if e["event_type"] != "run_summary" {
			continue
		}
		summaries++
		n, _ := e["log_write_failures"].(float64)
		if n < 1 {
			t.Errorf("summary of %v does not count the failed log writes: %v", e["module"], e)
		}
	}
	if summaries == 0 {
		t.Fatalf("no run summary:\n%s", r.stdout)
	}

	// The same run with a writable stderr reports no failure (the field is absent).
	r = runBinary(t, bin, env, nil)
	for _, e := range events(t, r.stdout) {
		if _, ok := e["log_write_failures"]; ok && e["event_type"] == "run_summary" {
			t.Errorf("failures reported with a working log: %v", e)
		}
	}

	r = runBinary(t, bin, append(env, "OP_LOG_FILE=/dev/full"), nil)
	refused(t, r, "refusing /dev/full", "not a regular file (a character device)")
}
