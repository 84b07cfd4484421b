#!/bin/sh
# make bench-replay: the threshold sweep on BENCH_ROWS (10M) seeded scored requests, medians of
# BENCH_REPEATS (5), against a standard-library sort + scan measured in the same process; plus the full
# evaluation (router, per-call oracle and per-dollar oracle sweeps and every metric). Also the 5-fold
# cross-fit of the built-in predictor on RouteLLM MMLU when ../shared/routing-data is there.
# The Makefile target builds the release binaries first; this script builds nothing.
set -eu
cd "$(dirname "$0")/.."
for bin in replay-bench routeledger; do
  if [ ! -x .build/release/$bin ]; then
    echo "missing .build/release/$bin: run 'make bench-replay'" >&2
    exit 2
  fi
done
.build/release/replay-bench --n "${BENCH_ROWS:-10000000}" --repeats "${BENCH_REPEATS:-5}"
mmlu=../shared/routing-data/routellm-evals/pairs.csv
if [ -f "$mmlu" ]; then
  echo "replay on RouteLLM MMLU (14,037 prompts, 5-fold cross-fit, 1,000 bootstrap resamples):"
  start=$(date +%s.%N)
  .build/release/routeledger replay --labels "$mmlu" --format json > /dev/null
  end=$(date +%s.%N)
  python3 -c "print(f'  wall {float($end) - float($start):.2f} s')"
fi
