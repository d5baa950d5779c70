#!/usr/bin/env bash
# make bench: the 1Password binary with its default settings (pacing,
# prefetch, three modules) against its fake API over loopback, on the mix
# of issue 12 (three streams, 64-bit audit aux_ids, one 100 KB and one
# 400-field event), from 10,000 to 1,000,000 events, plus the 60,000-event
# backlog with pacing off for comparison. Prints a table and leaves one CPU
# profile per run in .bench/ (go tool pprof bin/onepassword-wodle .bench/cpu-default-60000-1.pprof).
# Targets: the 60,000-event backlog >= 3x faster than pacing off was (0.9 s),
# peak RSS <= 16 MiB and flat, >= 400,000 events per CPU second, < 10 ms to
# the first request.
set -euo pipefail
cd "$(dirname "$0")/../.."
go build -o .bench-benchrun ./tools/fakeapi/benchrun
trap 'rm -f .bench-benchrun' EXIT
mkdir -p .bench
./.bench-benchrun -bin bin/onepassword-wodle -profile-dir .bench \
	-sizes "${BENCH_SIZES:-10000,60000,100000,1000000}" \
	-runs "${BENCH_RUNS:-1}" -compare "${BENCH_COMPARE-60000}"
