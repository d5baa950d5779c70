// Package cpuclock lets benchmarks report the CPU time of an operation
// (cpu-ns/op) beside its wall time: on a machine shared with other
// processes, CPU time moves much less than wall time with their load.
package cpuclock

import (
	"testing"
	"time"
)

// Report reports the process's CPU time per operation since start (a Now
// taken before the benchmark loop) as cpu-ns/op.
func Report(b *testing.B, start time.Duration) {
	if b.N > 0 && start > 0 {
		b.ReportMetric(float64(Now()-start)/float64(b.N), "cpu-ns/op")
	}
}
