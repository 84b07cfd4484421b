#!/bin/sh
# make fuzz / make fuzz-smoke: builds the fuzz-* targets with libFuzzer + AddressSanitizer (a separate debug
# build in .build-fuzz, only the targets needed) and runs each one, one process at a time.
#
#   bench/fuzz.sh                 every target for FUZZ_SECONDS (default 60) seconds
#   bench/fuzz.sh --smoke         every target for FUZZ_SMOKE_RUNS (default 3000) inputs (part of `make test`)
#   bench/fuzz.sh --runs N        every target for N inputs
#   bench/fuzz.sh --build-only    build, run nothing
#   FUZZ_TARGETS="bedrock archive" bench/fuzz.sh   a subset (names without the fuzz- prefix)
#   FUZZ_CONFIG=release bench/fuzz.sh             optimized build (~3x the executions per second; slower to build)
#
# Seeds: fixtures/fuzz/corpus/<target>/ and every regression input under fixtures/fuzz/regressions/<target>/
# (all run first, so the smoke re-checks every crash ever fixed). New corpus entries go to a scratch folder
# (FUZZ_WORK, default .build-fuzz/corpus/<target>/, kept between runs; the smoke starts from an empty
# .build-fuzz/smoke-corpus/ so its time does not grow), never into fixtures/. Crash, leak and timeout inputs go
# to FUZZ_ARTIFACTS (default fuzz-artifacts/). One summary line per target, and one tab-separated row per run
# appended to .build-fuzz/fuzz-runs.tsv (date, target, build, limit, seconds, executions, crashes) for
# fixtures/fuzz/STATS.md. Exit status 1 when any target found a crash.
set -eu
cd "$(dirname "$0")/.."

SWIFT=${SWIFT:-swift}
ALL_TARGETS="bedrock litellm-payload litellm-spend archive query-header config"
TARGETS=${FUZZ_TARGETS:-$ALL_TARGETS}
BUILD_PATH=${FUZZ_BUILD_PATH:-.build-fuzz}
WORK=${FUZZ_WORK:-$BUILD_PATH/corpus}
ARTIFACTS=${FUZZ_ARTIFACTS:-fuzz-artifacts}
CONFIG=${FUZZ_CONFIG:-debug}
mode=time
runs=""
case "${1:-}" in
  --smoke) mode=runs; runs=${FUZZ_SMOKE_RUNS:-3000}; WORK=${FUZZ_WORK:-$BUILD_PATH/smoke-corpus}; rm -rf "$WORK" ;;
  --runs) mode=runs; runs=${2:?--runs needs a count} ;;
  --build-only) mode=build ;;
  "") ;;
  *) echo "usage: bench/fuzz.sh [--smoke | --runs N | --build-only]" >&2; exit 2 ;;
esac
seconds=${FUZZ_SECONDS:-60}

# Largest input per target: decoders see one member's bytes, the archive reader whole small files.
max_len() {
  case "$1" in
    archive) echo 65536 ;;
    query-header) echo 4096 ;;
    config) echo 8192 ;;
    *) echo 16384 ;;
  esac
}

mkdir -p "$BUILD_PATH"
build_start=$(date +%s)
for target in $TARGETS; do
  # ld.gold warns about every ASan helper symbol it cannot export; those lines are noise.
  if ! "$SWIFT" build --build-path "$BUILD_PATH" -c "$CONFIG" -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING \
      --product "fuzz-$target" > "$BUILD_PATH/fuzz-build.log" 2>&1; then
    grep -v "ld.gold: warning: Cannot export local symbol" "$BUILD_PATH/fuzz-build.log" | tail -40 >&2
    echo "fuzz: build of fuzz-$target failed (full log: $BUILD_PATH/fuzz-build.log)" >&2
    exit 2
  fi
done
echo "fuzz: built $(echo $TARGETS | wc -w) targets in $(( $(date +%s) - build_start )) s ($BUILD_PATH/$CONFIG, libFuzzer + ASan)"
[ "$mode" = build ] && exit 0

mkdir -p "$WORK" "$ARTIFACTS"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
# The Swift runtime's own crash backtracer trips ASan after a fatalError; libFuzzer prints the stack.
export SWIFT_BACKTRACE=${SWIFT_BACKTRACE:-enable=no}
failed=""
total=0
for target in $TARGETS; do
  corpus="$WORK/$target"
  mkdir -p "$corpus"
  seeds="fixtures/fuzz/corpus/$target"
  regressions="fixtures/fuzz/regressions/$target"
  [ -d "$regressions" ] || regressions=""
  extra=""
  [ "$target" = query-header ] && extra="queries"   # the shipped query files, read in place (never copied)
  if [ "$mode" = runs ]; then limit="-runs=$runs"; else limit="-max_total_time=$seconds"; fi
  log="$WORK/$target.log"
  start=$(date +%s)
  status=0
  # The first folder receives new inputs; the fixture folders are only read.
  "$BUILD_PATH/$CONFIG/fuzz-$target" "$limit" -print_final_stats=1 -rss_limit_mb=2048 -timeout=30 \
      -max_len="$(max_len "$target")" -dict="fixtures/fuzz/$target.dict" -artifact_prefix="$ARTIFACTS/$target-" \
      "$corpus" "$seeds" $extra $regressions > "$log" 2>&1 || status=$?
  elapsed=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  execs=${execs:-0}
  total=$((total + execs))
  crashes=0
  if [ "$status" -ne 0 ]; then
    crashes=1
    failed="$failed $target"
    grep -E "^==[0-9]+==ERROR|SUMMARY:|Fatal error|Test unit written|deadly signal|Slowest unit|timeout" "$log" | head -8 >&2 || true
  fi
  entries=$(find "$corpus" -type f | wc -l)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$target" "$CONFIG" "${limit#-}" "$elapsed" "$execs" "$crashes" \
    >> "$BUILD_PATH/fuzz-runs.tsv"
  printf 'fuzz-%-16s %10s executions in %4s s (%s exec/s), corpus %s, %s\n' "$target" "$execs" "$elapsed" \
    "$(( execs / (elapsed > 0 ? elapsed : 1) ))" "$entries" \
    "$([ "$status" -eq 0 ] && echo "no crash" || echo "CRASH (exit $status; see $log and $ARTIFACTS/)")"
done
echo "fuzz: $total executions in total"
if [ -n "$failed" ]; then
  echo "fuzz: crashes in:$failed" >&2
  exit 1
fi
