#!/usr/bin/env bash
# Fuzz one target with libFuzzer for a while, at the lowest CPU priority.
#
#   fuzz/run.sh <build-dir> <target> <seconds> [extra libFuzzer flags...]
#
# <build-dir> is configured with clang and -DTGM_FUZZ=ON -DTGM_SANITIZE=ON
# (docs/security.md).  The working corpus lives in <build-dir>/fuzz-work/
# <target>, seeded from fuzz/corpus/<target>; for the whole-message targets
# the reference's sample files (TGM_SHARED_DIR, default ../shared/reference)
# are read as extra seeds.  Crashes, leaks and timeouts land in
# <build-dir>/fuzz-work/artifacts/<target>/; the last lines of libFuzzer's
# log (execs, coverage) are printed at the end.  For long unattended runs
# add "-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1" so one
# finding does not end the run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$1"
target="$2"
seconds="$3"
shift 3
exe="$build/tests/$target"
[ -x "$exe" ] || { echo "no fuzz executable $exe (configure with -DTGM_FUZZ=ON)" >&2; exit 1; }
work="$build/fuzz-work/$target"
art="$build/fuzz-work/artifacts/$target"
mkdir -p "$work" "$art"
seeds=("$here/corpus/$target")
shared="${TGM_SHARED_DIR:-$here/../../shared/reference}"
case "$target" in
  fuzz_decode|fuzz_scan|fuzz_file|fuzz_validate)
    if [ -d "$shared" ]; then
      ref="$build/fuzz-work/reference-seeds"
      if [ ! -d "$ref" ]; then
        mkdir -p "$ref"
        find "$shared" -name '*.tgm' -size -256k | while read -r f; do
          ln -sf "$f" "$ref/$(echo "$f" | md5sum | cut -c1-16).tgm"
        done
      fi
      seeds+=("$ref")
    fi
    ;;
esac
log="$build/fuzz-work/$target.log"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
nice -n 19 "$exe" "$work" "${seeds[@]}" -max_total_time="$seconds" -timeout=10 \
  -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 -artifact_prefix="$art/" "$@" \
  >"$log" 2>&1 || true
grep -E "^#[0-9]+.*(DONE|pulse)|^#[0-9]+: cov|stat::|ERROR|SUMMARY|Test unit written|INFO: (fuzzed|exiting)" "$log" | tail -12
ls "$art" 2>/dev/null | sed 's/^/artifact: /' 
