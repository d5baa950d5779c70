//go:build unix

package jsonrec

import (
	"syscall"
	"testing"
	"time"
)

// cpuClock reads the process's CPU time, user and system, of every thread
// (the garbage collector's included): on a shared machine it moves much
// less than wall time with the load of other processes.
func cpuClock() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time per operation since start as cpu-ns/op.
func reportCPU(b *testing.B, start time.Duration) {
	if b.N > 0 && start > 0 {
		b.ReportMetric(float64(cpuClock()-start)/float64(b.N), "cpu-ns/op")
	}
}
