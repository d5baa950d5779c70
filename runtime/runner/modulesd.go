package runner

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/wodlekit/wodlekit/runtime/config"
	"github.com/wodlekit/wodlekit/runtime/state"
)

// modulesdComm is the name the kernel gives wazuh-modulesd
// (/proc/<pid>/comm); the process is found by name, not by an
// installation path, so a relocated Wazuh is found too.
const modulesdComm = "wazuh-modulesd"

// maxAncestors bounds the walk up the process tree: a pid loop in a
// hostile or broken /proc must not hang the run.
const maxAncestors = 64

// procInfo is what the walk needs of one process.
type procInfo struct {
	comm      string
	ppid      int
	startTime uint64
}

// readProc reads /proc/<pid>/comm and the parent and start time of
// /proc/<pid>/stat (fields 4 and 22). The command name inside stat may hold
// spaces and parentheses, so fields are counted after its last ')'.
func readProc(root string, pid int) (procInfo, error) {
	dir := filepath.Join(root, strconv.Itoa(pid))
	comm, err := os.ReadFile(filepath.Join(dir, "comm"))
	if err != nil {
		return procInfo{}, err
	}
	stat, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return procInfo{}, err
	}
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return procInfo{}, fmt.Errorf("%s/stat: no command name", dir)
	}
	fields := strings.Fields(string(stat[end+1:]))
	// fields[0] is field 3 (state): field n is fields[n-3].
	if len(fields) < 22-3+1 {
		return procInfo{}, fmt.Errorf("%s/stat: %d fields, want at least 22", dir, len(fields)+2)
	}
	ppid, err := strconv.Atoi(fields[4-3])
	if err != nil {
		return procInfo{}, fmt.Errorf("%s/stat: parent pid %q: %w", dir, fields[4-3], err)
	}
	start, err := strconv.ParseUint(fields[22-3], 10, 64)
	if err != nil {
		return procInfo{}, fmt.Errorf("%s/stat: start time %q: %w", dir, fields[22-3], err)
	}
	return procInfo{comm: strings.TrimRight(string(comm), "\n"), ppid: ppid, startTime: start}, nil
}

// bootID tells this boot from the others: pid and start time repeat across
// reboots (a service started at boot often gets the same pair).
func bootID(root string) string {
	b, err := os.ReadFile(filepath.Join(root, "sys", "kernel", "random", "boot_id"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// findModulesd returns the nearest wazuh-modulesd ancestor of pid (wrappers
// such as `timeout` or run.sh's bash may sit between), or nil when there is
// none. The walk stops at pid 1 or when /proc no longer has a process (a
// parent that exited: the orphan was given to init, which is not modulesd).
func findModulesd(root string, pid int) (*state.Owner, error) {
	p, err := readProc(root, pid)
	if err != nil {
		return nil, fmt.Errorf("reading process %d: %w", pid, err)
	}
	for range maxAncestors {
		if p.ppid <= 1 {
			return nil, nil
		}
		pid = p.ppid
		if p, err = readProc(root, pid); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, nil
			}
			return nil, fmt.Errorf("reading process %d: %w", pid, err)
		}
		if p.comm == modulesdComm {
			return &state.Owner{PID: pid, StartTime: p.startTime, BootID: bootID(root)}, nil
		}
	}
	return nil, fmt.Errorf("more than %d ancestors above process %d: /proc looks inconsistent", maxAncestors, pid)
}

// ownerRunning tells whether the process o names still runs: same pid, same
// start time, same boot, and still wazuh-modulesd.
func ownerRunning(root string, o state.Owner) bool {
	p, err := readProc(root, o.PID)
	return err == nil && p.comm == modulesdComm && p.startTime == o.StartTime && bootID(root) == o.BootID
}

// commitPlan is how a run commits: owner nil commits every page at once;
// otherwise pages stay pending until the next run of owner.
type commitPlan struct {
	owner *state.Owner
	// why explains the choice for the log.
	why string
}

// planCommit applies the COMMIT setting. Only the stdout sink under
// wazuh-modulesd needs the next-run commit: its output reaches Wazuh when
// the run has ended, and not at all if modulesd stops first.
func planCommit(cfg *config.Common, prefix, procRoot string, pid int) (commitPlan, error) {
	if cfg.Commit == "immediate" {
		return commitPlan{why: prefix + "COMMIT=immediate"}, nil
	}
	if cfg.Sink != "stdout" {
		return commitPlan{why: "sink " + cfg.Sink + " confirms delivery itself"}, nil
	}
	owner, err := findModulesd(procRoot, pid)
	switch {
	case owner != nil:
		return commitPlan{owner: owner, why: "started by " + modulesdComm + " " + owner.String()}, nil
	case cfg.Commit == "next-run" && err != nil:
		return commitPlan{}, fmt.Errorf("%sCOMMIT=next-run: cannot find the %s that runs this process: %w", prefix, modulesdComm, err)
	case cfg.Commit == "next-run":
		return commitPlan{}, fmt.Errorf("%sCOMMIT=next-run: no %s among the ancestors of this process; next-run works only under Wazuh's command wodle (use auto or immediate)", prefix, modulesdComm)
	case err != nil:
		return commitPlan{why: "no " + modulesdComm + " found (" + err.Error() + ")"}, nil
	}
	return commitPlan{why: "not started by " + modulesdComm}, nil
}
