#!/usr/bin/env bash
# Builds and runs the whole test suite: the normal build, the ASan+UBSan
# build (same tests), and the runtime's cross builds. Prints one closing line
# "N passed, N failed" and exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
passed=0
failed=0
logdir=build/test-logs
mkdir -p "$logdir"

# Runs ctest in a build dir and adds its counts.
run_ctest() {
  local dir=$1 name=$2
  echo "== $name: ctest in $dir"
  (cd "$dir" && ctest -j "$JOBS" --output-on-failure --timeout 900) 2>&1 | tee "$logdir/$name.log" | \
    grep -E '^( *[0-9]+/[0-9]+ Test| *[0-9]+% tests passed|The following tests FAILED|\s+[0-9]+ - )' || true
  local summary
  summary=$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$logdir/$name.log" | tail -1)
  if [ -z "$summary" ]; then
    echo "$name: ctest produced no summary"
    failed=$((failed + 1))
    return
  fi
  local n_failed n_total
  n_failed=$(echo "$summary" | sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/')
  n_total=$(echo "$summary" | sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\2/')
  passed=$((passed + n_total - n_failed))
  failed=$((failed + n_failed))
}

# Runs one build step; a failed build counts as one failure.
step() {
  local name=$1
  shift
  echo "== $name"
  if "$@" >"$logdir/$name.log" 2>&1; then
    return 0
  fi
  tail -40 "$logdir/$name.log"
  echo "$name: FAILED (log: $logdir/$name.log)"
  failed=$((failed + 1))
  return 1
}

if step build make --no-print-directory build; then
  run_ctest build unit
fi
if step build-asan make --no-print-directory build-asan; then
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 run_ctest build-asan asan
fi
for cpu in cortex-m0plus cortex-m4 cortex-m7 cortex-m33; do
  if step "cross-$cpu" make --no-print-directory cross CROSS_CPUS="$cpu"; then
    passed=$((passed + 1))
  fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
