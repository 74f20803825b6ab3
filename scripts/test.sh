#!/usr/bin/env bash
# Build and run every test: C unit/golden/interop tests and the fuzz corpus
# replays (release build with warnings as errors, then again under
# AddressSanitizer + UBSan with allocation-failure injection), the
# installed-package consumer test, CLI scenarios (also under valgrind), the
# concurrency and async tests (C and C++) under ThreadSanitizer, and the
# Python package.
# Usage: scripts/test.sh            (everything)
#        TGM_SKIP_SANITIZERS=1 scripts/test.sh   (skip the ASan+UBSan pass)
#        TGM_SKIP_VALGRIND=1 scripts/test.sh     (skip the valgrind pass over the CLI)
#        TGM_SKIP_TSAN=1 scripts/test.sh         (skip the ThreadSanitizer pass)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
bash scripts/install-deps.sh

echo "== house rules: clang-format"
bash scripts/check-format.sh
echo "== house rules: module edges (src/README.md)"
bash scripts/check-includes.sh

jobs="$(nproc 2>/dev/null || echo 2)"

echo "== release build (-Werror) and tests"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DTGM_WERROR=ON >/dev/null
cmake --build build/release -j "$jobs"
ctest --test-dir build/release --output-on-failure -j "$jobs"

echo "== installed package: pkg-config and CMake consumers"
bash scripts/check-install.sh build/release

if [ "${TGM_SKIP_VALGRIND:-0}" != "1" ]; then
  echo "== valgrind over the CLI scenarios (memory errors and leaks fail them)"
  TGM_CLI_WRAPPER="valgrind -q --vgdb=no --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect" \
    ctest --test-dir build/release --output-on-failure -j "$jobs" -L cli
fi

if [ "${TGM_SKIP_SANITIZERS:-0}" != "1" ]; then
  echo "== AddressSanitizer + UBSan build and tests (with allocation-failure injection)"
  cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DTGM_WERROR=ON -DTGM_SANITIZE=ON \
        -DTGM_ALLOC_INJECTION=ON -DTGM_BUILD_BENCH=OFF >/dev/null
  cmake --build build/asan -j "$jobs"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build/asan --output-on-failure -j "$jobs"
fi
if [ "${TGM_SKIP_TSAN:-0}" != "1" ]; then
  echo "== ThreadSanitizer: threads sharing buffers and a file, the async engine"
  cmake -S . -B build/tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTGM_WERROR=ON -DTGM_TSAN=ON \
        -DTGM_BUILD_BENCH=OFF -DTGM_BUILD_CLI=OFF -DTGM_BUILD_EXAMPLES=OFF >/dev/null
  # the converters' worker / commit threads and the per-thread encode cache too
  # (converter tests only where ecCodes / netCDF-C were found)
  tsan_targets="test_concurrency test_async test_cpp_async test_cpp_coro test_remote_async
    test_direct_readers test_encode_cache test_encode_fill test_encode_fill_range test_encode_fd test_hash
    convert_test_grib convert_test_netcdf convert_test_tenbin"
  known=$(cmake --build build/tsan --target help)
  build_targets=""
  for t in $tsan_targets; do
    if grep -q "^\.\.\. $t\$" <<<"$known"; then build_targets="$build_targets $t"; fi
  done
  # shellcheck disable=SC2086
  cmake --build build/tsan -j "$jobs" --target $build_targets
  TSAN_OPTIONS=halt_on_error=1 ctest --test-dir build/tsan --output-on-failure \
    -R '^(test_concurrency|test_async|test_cpp_async|test_cpp_coro|remote_async|test_direct_readers|test_encode_cache|test_encode_fill|test_encode_fill_range|test_encode_fd|test_hash|convert_test_grib|convert_test_netcdf|convert_test_tenbin)$'
fi
echo "== all tests passed"
