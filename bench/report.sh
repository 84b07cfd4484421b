#!/bin/sh
# make bench-report: `routeledger report` metrics vs the same aggregates as plain SQL GROUP BYs in SQLite,
# on a cached synthetic ledger of 10M invocations (bench/make_ledger.py). Needs only python3 (stdlib).
# The Makefile target builds .build/release/routeledger first; this script builds nothing.
# Knobs: BENCH_ROWS (10000000), BENCH_DAYS (30), BENCH_START (2025-11-16), BENCH_SEED, BENCH_REPEATS (5).
set -eu
cd "$(dirname "$0")/.."
if [ ! -x .build/release/routeledger ]; then
  echo "missing .build/release/routeledger: run 'swift build -c release --product routeledger' (make bench-report does)" >&2
  exit 2
fi
mkdir -p bench-data
exec python3 bench/report_bench.py "$@"
