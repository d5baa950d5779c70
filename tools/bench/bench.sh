#!/usr/bin/env bash
# make bench: the 1Password binary with its default settings (pacing,
# prefetch, three modules) against its fake API over loopback, on the mix
# of issue 12 (three streams, 64-bit audit aux_ids, one 100 KB and one
# 400-field event), from 10,000 to 1,000,000 events, plus the 60,000-event
# backlog with pacing off for comparison. Prints a table of the release
# binary (bin/), then the same mix once more with a build that can profile
# itself (the release build cannot: runner/cpuprofile.go), leaving its CPU
# profiles in .bench/:
#   go tool pprof -top .bench/onepassword-wodle-prof .bench/cpu-default-60000-1-1.pprof
# BENCH_AGAINST=<another wodle binary> measures it too, each run alternating
# with bin/'s (ABBA), and prints both binaries' medians: the way to compare
# two builds on a machine whose speed drifts, e.g.
#   git stash; make build; cp bin/onepassword-wodle /tmp/old; git stash pop
#   make build; BENCH_AGAINST=/tmp/old BENCH_RUNS=9 BENCH_SIZES=60000 make bench
# Targets: the 60,000-event backlog >= 3x faster than pacing off was (0.9 s),
# peak RSS <= 16 MiB and flat, >= 400,000 events per CPU second, < 10 ms to
# the first request.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .bench
go build -o .bench/benchrun ./tools/fakeapi/benchrun
(cd cmd && go build -trimpath -tags wodlekit_cpuprofile -o ../.bench/onepassword-wodle-prof ./onepassword)
rm -f .bench/cpu-*.pprof
# BENCH_FSYNC_DELAY_US=5000 makes every fsync 5 ms slower, as on a spinning
# disk or a network volume (strace's fault injection; needs strace >= 5.3).
wrap=()
if [ -n "${BENCH_FSYNC_DELAY_US:-}" ]; then
	command -v strace >/dev/null || { echo "bench: BENCH_FSYNC_DELAY_US needs strace (apt-get install strace)" >&2; exit 2; }
	wrap=(strace -f --seccomp-bpf -o /dev/null -e trace=fsync -e "inject=fsync:delay_exit=${BENCH_FSYNC_DELAY_US}")
fi
"${wrap[@]}" ./.bench/benchrun -bin bin/onepassword-wodle \
	-sizes "${BENCH_SIZES:-10000,60000,100000,1000000}" \
	-runs "${BENCH_RUNS:-1}" -compare "${BENCH_COMPARE-60000}" \
	${BENCH_AGAINST:+-against "$BENCH_AGAINST"} \
	-profile-bin .bench/onepassword-wodle-prof -profile-dir .bench \
	-profile-sizes "${BENCH_PROFILE_SIZES-60000,1000000}"
