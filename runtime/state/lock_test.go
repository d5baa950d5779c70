package state

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const helperEnv = "WODLEKIT_STATE_LOCK_HELPER"

// TestMain lets the test binary act as a second process holding the lock:
// flock is per open file description, and only a real other process proves
// the cross-run guarantee.
func TestMain(m *testing.M) {
	if path := os.Getenv(helperEnv); path != "" {
		release, err := Lock(path)
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(3)
		}
		fmt.Println("locked")
		// Hold the lock until the parent closes stdin (or kills us).
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
		if err := release(); err != nil {
			os.Exit(4)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestLockInProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new", "s.json")
	release, err := Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path + ".lock")
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("lock file: %v %v", fi, err)
	}
	if di, _ := os.Stat(filepath.Dir(path)); di.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode %v", di.Mode())
	}
	_, err = Lock(path)
	want := fmt.Sprintf("another run of %s is in progress (lock %s.lock, held by pid %d)", path, path, os.Getpid())
	if err == nil || err.Error() != want || !errors.Is(err, ErrLocked) {
		t.Fatalf("second lock: %v\nwant %s", err, want)
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	if err := release(); err != nil {
		t.Fatal("second release:", err)
	}
	r2, err := Lock(path)
	if err != nil {
		t.Fatal("relock after release:", err)
	}
	_ = r2()
}

func TestLockAcrossProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	for _, kill := range []bool{false, true} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), helperEnv+"="+path)
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil || strings.TrimSpace(line) != "locked" {
			t.Fatalf("helper: %q %v", line, err)
		}
		_, err = Lock(path)
		if err == nil || !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "held by pid "+strconv.Itoa(cmd.Process.Pid)) {
			t.Fatalf("lock held by child %d: %v", cmd.Process.Pid, err)
		}
		if kill {
			// A killed run leaves its lock file (with its pid) behind: it must not block the next run.
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		} else {
			stdin.Close()
			if err := cmd.Wait(); err != nil {
				t.Fatal("helper:", err)
			}
		}
		release, err := Lock(path)
		if err != nil {
			t.Fatalf("kill=%v: relock after child ended: %v", kill, err)
		}
		if b, _ := os.ReadFile(path + ".lock"); strings.TrimSpace(string(b)) != strconv.Itoa(os.Getpid()) {
			t.Fatalf("lock file holds %q", b)
		}
		if err := release(); err != nil {
			t.Fatal(err)
		}
	}
}
