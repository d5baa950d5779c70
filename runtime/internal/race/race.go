//go:build race

// Package race tells tests whether the race detector is on: it changes
// what escapes and so what allocates, and testing.AllocsPerRun's counts
// with it (make test-go runs the allocation tests without it too).
package race

// Enabled is true in a build with -race.
const Enabled = true
