#!/usr/bin/env bash
# Hardening configurations (docs/security.md):
#   1. allocation-failure injection + ASan/UBSan: test_alloc_failure,
#      test_bounds and the fuzz corpus replays (ctest label "fuzz");
#   2. ThreadSanitizer: test_concurrency;
#   3. with clang and FUZZ_SECONDS > 0: a short libFuzzer run of every target.
# Usage: fuzz/sanitizer-checks.sh [build-root]      (default: build)
#        FUZZ_SECONDS=30 fuzz/sanitizer-checks.sh    (adds step 3)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
root="${1:-build}"
jobs="$(nproc 2>/dev/null || echo 2)"
common=(-DTGM_BUILD_BENCH=OFF -DTGM_BUILD_CLI=OFF -DTGM_BUILD_EXAMPLES=OFF)

echo "== allocation-failure injection + ASan/UBSan"
cmake -S . -B "$root/inj" -DCMAKE_BUILD_TYPE=Debug -DTGM_WERROR=ON -DTGM_SANITIZE=ON \
      -DTGM_ALLOC_INJECTION=ON "${common[@]}" >/dev/null
cmake --build "$root/inj" -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir "$root/inj" --output-on-failure -j "$jobs" \
        -R '^(test_alloc_failure|test_bounds|fuzz_.*)$'

echo "== ThreadSanitizer"
cmake -S . -B "$root/tsan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTGM_WERROR=ON -DTGM_TSAN=ON \
      "${common[@]}" >/dev/null
cmake --build "$root/tsan" -j "$jobs" --target test_concurrency
TSAN_OPTIONS=halt_on_error=1 "$root/tsan/tests/test_concurrency"

if [ "${FUZZ_SECONDS:-0}" -gt 0 ] && command -v clang >/dev/null; then
  echo "== libFuzzer, ${FUZZ_SECONDS}s per target"
  CC=clang CXX=clang++ cmake -S . -B "$root/fuzz" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DTGM_FUZZ=ON -DTGM_SANITIZE=ON "${common[@]}" >/dev/null
  targets=$(cd fuzz && ls fuzz_*.c | sed 's/\.c$//')
  # shellcheck disable=SC2086
  cmake --build "$root/fuzz" -j "$jobs" --target $targets
  for t in $targets; do
    echo "-- $t"
    bash fuzz/run.sh "$root/fuzz" "$t" "$FUZZ_SECONDS"
    if ls "$root/fuzz/fuzz-work/artifacts/$t"/* >/dev/null 2>&1; then
      echo "findings in $root/fuzz/fuzz-work/artifacts/$t" >&2
      exit 1
    fi
  done
fi
echo "== hardening checks passed"
