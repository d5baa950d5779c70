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
# Targets: the 60,000-event backlog >= 3x faster than pacing off was (0.9 s),
# peak RSS <= 16 MiB and flat, >= 400,000 events per CPU second, < 10 ms to
# the first request.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .bench
go build -o .bench/benchrun ./tools/fakeapi/benchrun
(cd cmd && go build -trimpath -tags wodlekit_cpuprofile -o ../.bench/onepassword-wodle-prof ./onepassword)
rm -f .bench/cpu-*.pprof
./.bench/benchrun -bin bin/onepassword-wodle \
	-sizes "${BENCH_SIZES:-10000,60000,100000,1000000}" \
	-runs "${BENCH_RUNS:-1}" -compare "${BENCH_COMPARE-60000}" \
	-profile-bin .bench/onepassword-wodle-prof -profile-dir .bench \
	-profile-sizes "${BENCH_PROFILE_SIZES-60000,1000000}"
