package runner

import "runtime/debug"

// MemoryLimit is the soft memory limit of a run unless the administrator
// set GOMEMLIMIT. It caps the heap when pages are large (a thousand
// records at the 60 KB line budget make 60 MB bodies), where GOGC alone
// would let it grow to twice their size; on make bench's mix the run
// stays well under it (GCPercent sets the pace there). The limit counts
// the Go runtime's own memory too (about 4 MiB of metadata, stacks and
// reserved tables), not the binary's file pages (about 8 MiB of RSS).
// Measured earlier on that mix (60,000 events, CPU seconds, peak RSS):
// 24 MiB 0.32-0.34 s, 18.6-20.0 MiB; 16 MiB 0.32-0.34 s, 18.0-18.2 MiB;
// 14 MiB 0.37-0.39 s, 16.9-17.3 MiB; 12 MiB 0.61-0.64 s, 15.7-15.9 MiB,
// the collector running almost without pause.
const MemoryLimit = 16 << 20

// GCPercent is the collector's GOGC unless the administrator set GOGC.
// A run's live heap is small and fixed (about 3 MiB: one page body and
// its tables, the line buffer, the state's recent IDs, the HTTP client),
// so Go's default of 100 let the heap grow to twice that before each
// collection, and the pages it touched stayed resident. With the garbage
// of a page cut by a fifth (PageRecords, IDs sized once) a run collects as often
// at 50 as it did at 100 (8-12 collections for make bench's 60,000
// events), and peaks about 1 MiB lower. With a run's first pages' memory
// sized once rather than grown by doubling (docs/architecture.md, "One
// run", step 4), that run allocates 6.4-6.7 MB instead of 9.0-9.3 and
// collects 5-6 times instead of 8-10. Measured again after the ID
// windows' rework (benchrun -against, GOGC=100 against the default, 4 runs
// each): 100 takes 10% less CPU at 60,000 events and 4% less at 1,000,000,
// but peaks at 16.4 MiB there instead of 15.6, over the 16 MiB a wodle is
// allowed; GOGC=100 until the first page, then 50, saved nothing and
// peaked higher (both measured before the sizing above). After it and the
// string-stop bitmap (benchrun -against, 6 runs each, the release build):
// 100 made no difference at 60,000 events (medians 0.158 and 0.159 CPU
// seconds) and took 10% less at 1,000,000 (2.23 against 2.48 s), peaking
// 0.6-1.0 MiB higher (15.4-15.7 MiB at a million): a gain only for large
// backlogs, paid with most of the margin under 16 MiB, so 50 stays.
const GCPercent = 50

// setMemoryDefaults applies MemoryLimit and GCPercent where the
// environment (lookup) does not set GOMEMLIMIT or GOGC.
func setMemoryDefaults(lookup func(string) (string, bool)) {
	if _, set := lookup("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(MemoryLimit)
	}
	if _, set := lookup("GOGC"); !set {
		debug.SetGCPercent(GCPercent)
	}
}
