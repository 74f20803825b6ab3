#!/usr/bin/env bash
# Build the reference implementation's Fortran tests (fortran/test/test_*.f90
# of its source tree) and its Fortran examples against THIS library's
# installed `tensogram` module (tensogram.mod, libtensogram_f) and shared
# library, and run them as the reference's own CMakeLists does: the positive
# tests must exit 0, the guard tests must stop with their message.  The
# reference's sources are copied to a scratch directory, never into this
# repository, and removed afterwards.
#
# Usage: scripts/ref-fortran-tests.sh BUILD_DIR [REFERENCE_SOURCE]
# Exit status 77 (skipped) without the reference sources or gfortran.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:?usage: ref-fortran-tests.sh BUILD_DIR [REFERENCE_SOURCE]}" && pwd)"
ref="${2:-${TGM_REFERENCE_SOURCE:-$here/../ref}}"
fc="${FC:-gfortran}"
if [ ! -f "$ref/fortran/test/test_roundtrip.f90" ]; then
  echo "skipped: reference Fortran tests not found under $ref/fortran/test"
  exit 77
fi
if ! command -v "$fc" >/dev/null; then
  echo "skipped: no Fortran compiler ($fc)"
  exit 77
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/tgm-ref-fortran.XXXXXX")"
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
if [ ! -f "$prefix/include/tensogram.mod" ]; then
  echo "the build has no Fortran module (configure with a Fortran compiler)" >&2
  exit 1
fi
libdir="$prefix/lib"
[ -d "$libdir" ] || libdir="$prefix/lib/x86_64-linux-gnu"
mkdir "$work/src" "$work/run"
cp "$ref"/fortran/test/test_*.f90 "$work/src/"
cp "$ref"/examples/fortran/*.f90 "$work/src/" 2>/dev/null || true
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

# The reference's flags for its tests (Fortran 2018), without -Werror:
# gfortran 12 warns about the tests' own reallocating assignments
# (-Wmaybe-uninitialized), which a newer compiler does not.
compile() {
  "$fc" -std=f2018 -Wall -Wextra -I"$prefix/include" "$work/src/$1.f90" \
        -L"$libdir" -ltensogram_f -ltensogram -o "$work/$1"
}

pass=0
fail=0
check() { # name, command..., with $expect a regex (or empty for exit 0)
  local name="$1" expect="$2"
  shift 2
  local out status=0
  out="$(cd "$work/run" && "$@" 2>&1)" || status=$?
  if { [ -z "$expect" ] && [ $status -eq 0 ]; } ||
     { [ -n "$expect" ] && [ $status -ne 0 ] && grep -Eq "$expect" <<<"$out"; }; then
    echo "PASS $name"
    pass=$((pass + 1))
  else
    echo "FAIL $name (exit $status)"
    printf '%s\n' "$out" | tail -5
    fail=$((fail + 1))
  fi
}

for t in test_roundtrip test_dtype_rank test_ranks test_file_api test_metadata \
         test_streaming test_edge_cases test_errors; do
  compile "$t"
  check "$t" "" "$work/$t"
done
# test_metadata_value's last check expects the reference's encoder name in
# _reserved_.encoder ("tensogram"); this library writes "tensogram-c"
# (docs/pipeline.md).  TENSOGRAM_PROVENANCE with a version string makes it
# write {"name": "tensogram", "version": ...} instead.
compile test_metadata_value
check test_metadata_value "" env TENSOGRAM_PROVENANCE='{"encoder":"0.24.0"}' \
  "$work/test_metadata_value"
for ex in encode_decode file_api streaming; do
  if [ -f "$work/src/$ex.f90" ]; then
    compile "$ex"
    check "example_$ex" "" "$work/$ex"
  fi
done
compile test_copy_guard
check test_copy_guard "tensogram_message is non-copyable" "$work/test_copy_guard"
compile test_guards
for mode in buffer message file metadata stream; do
  name="$mode"
  [ "$mode" = stream ] && name=streaming_encoder
  check "guard_$mode" "tensogram_$name is non-copyable" "$work/test_guards" "$mode"
done
check guard_check_ctx "tensogram: guard-context" "$work/test_guards" check_ctx
check guard_check_noctx "tensogram: " "$work/test_guards" check_noctx
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
