#!/usr/bin/env bash
# Build the reference implementation's C++ test suite (cpp/tests of its
# source tree) against THIS library's installed C and C++ headers and
# shared library, and run it.  Nothing of the reference is copied into this
# repository: its test sources are copied to a scratch directory, built
# there with a CMake project written by this script (the reference's own
# CMakeLists fetches GoogleTest from the network; Debian's libgtest-dev is
# used instead), and removed afterwards.
#
# Usage: scripts/ref-cpp-tests.sh BUILD_DIR [REFERENCE_SOURCE]
#   BUILD_DIR         a configured and built build tree of this project
#   REFERENCE_SOURCE  the reference's source tree (default: ../ref beside the
#                     repository, or TGM_REFERENCE_SOURCE)
# Exit status 77 (skipped) when the reference sources, GoogleTest or a C++20
# compiler are missing.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:?usage: ref-cpp-tests.sh BUILD_DIR [REFERENCE_SOURCE]}" && pwd)"
ref="${2:-${TGM_REFERENCE_SOURCE:-$here/../ref}}"
if [ ! -f "$ref/cpp/tests/test_async_callback.cpp" ]; then
  echo "skipped: reference C++ tests not found under $ref/cpp/tests"
  exit 77
fi
if [ ! -f /usr/include/gtest/gtest.h ]; then
  echo "skipped: GoogleTest not installed (Debian: libgtest-dev)"
  exit 77
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/tgm-ref-cpp.XXXXXX")"
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
cp -r "$ref/cpp/tests" "$work/src"
cat > "$work/src/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.25)
project(tensogram_reference_cpp_tests CXX)
find_package(tensogram REQUIRED)
find_package(GTest REQUIRED)
find_package(Threads REQUIRED)
# The reference's tests include <tensogram.hpp>, <tensogram/async/*.hpp>
# and <tensogram.h>: the last is tensogram/tensogram.h here.
get_target_property(inc tensogram::tensogram INTERFACE_INCLUDE_DIRECTORIES)
# The reference's own flags (its sources have warnings of their own: no -Werror).
set(common_flags -Wall -Wextra -Wpedantic -Wno-unused-parameter)
function(suite name std)
  add_executable(${name} ${ARGN})
  set_target_properties(${name} PROPERTIES CXX_STANDARD ${std} CXX_STANDARD_REQUIRED ON
                        CXX_EXTENSIONS OFF)
  target_include_directories(${name} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR} ${inc}/tensogram)
  target_compile_definitions(${name} PRIVATE TENSOGRAM_ASYNC=1)
  target_compile_options(${name} PRIVATE ${common_flags})
  target_link_libraries(${name} PRIVATE tensogram::tensogram GTest::gtest GTest::gtest_main
                        Threads::Threads)
endfunction()
# The same grouping as the reference's own CMakeLists: the shutdown test
# alone (shutdown is final for the process), the coroutine test in C++20.
suite(tensogram_tests 17
  test_encode_decode.cpp test_metadata.cpp test_meta_value.cpp test_descriptor.cpp
  test_file.cpp test_iterators.cpp test_error.cpp test_edge_cases.cpp
  test_simple_packing.cpp test_streaming.cpp test_multi_dtype.cpp
  test_encode_pre_encoded.cpp test_validate.cpp test_allow_nan_inf.cpp
  test_decode_verify_hash.cpp
  test_async_callback.cpp test_async_stdfuture.cpp test_async_producer_consumer.cpp)
suite(tensogram_async_shutdown_tests 17 test_async_shutdown_during_flight.cpp)
suite(tensogram_async_coro_tests 20 test_async_coro.cpp)
CM
echo "== configure and build the reference's C++ tests against $prefix"
cmake -S "$work/src" -B "$work/b" -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/b" -j "${TGM_JOBS:-2}" >/dev/null
export LD_LIBRARY_PATH="$prefix/lib:$prefix/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# test_decode_verify_hash reads the reference's golden files at
# rust/tensogram/tests/golden relative to its working directory.
mkdir -p "$work/run/rust/tensogram/tests"
ln -s "$ref/rust/tensogram/tests/golden" "$work/run/rust/tensogram/tests/golden"
status=0
for t in tensogram_tests tensogram_async_shutdown_tests tensogram_async_coro_tests; do
  echo "== $t"
  (cd "$work/run" && "$work/b/$t" --gtest_brief=1) || status=1
done
exit $status
