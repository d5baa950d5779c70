#!/usr/bin/env bash
# make bench: the 1Password binary against its fake API over loopback,
# 1,000-event pages of realistic events, per-run caps off, one core.
# Targets: >= 250,000 events/s and a peak RSS under 40 MiB, flat from
# 10,000 to 1,000,000 events.
set -euo pipefail
cd "$(dirname "$0")/../.."
go build -o .bench-benchrun ./tools/fakeapi/benchrun
trap 'rm -f .bench-benchrun' EXIT
./.bench-benchrun -bin bin/onepassword-wodle -sizes "${BENCH_SIZES:-10000,100000,1000000}"
