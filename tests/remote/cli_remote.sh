#!/usr/bin/env bash
# The CLI on remote inputs (run by tests/remote/harness.py with nginx):
# every read-only command, and copy / split as sources, give on a URL
# exactly what they give on the same file read locally.
# Usage: cli_remote.sh TENSOGRAM_BINARY SHARED_DIR WORK_DIR [CLI_HELPER]
set -uo pipefail
tg="$1"
shared="$2"
work="$3"
helper="${4:-}"
base="${TGM_TEST_NGINX_HTTPS:?no nginx (run through harness.py)}"
ca="${TGM_TEST_NGINX_CA:?}"
if [ ! -d "$shared/remote-parity" ]; then
  echo "skipped: no reference files in $shared"
  exit 77
fi
mkdir -p "$work"
export SSL_CERT_FILE="$ca"
pass=0
fail=0
check() { # name, then the command's status (0 = ok)
  if [ "$2" -eq 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi
}
same() { # name, local command, remote command (the file name is replaced by F in both outputs)
  local name="$1" loc="$2" rem="$3"
  local a b
  a="$(eval "$loc" 2>&1 | sed "s#$shared/#F/#g")"
  b="$(eval "$rem" 2>&1 | sed "s#$base/ref/#F/#g")"
  if [ "$a" == "$b" ] && [ -n "$a" ]; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL: $name"
    diff <(echo "$a") <(echo "$b") | head -10
  fi
}

for f in remote-parity/ten-msg.tgm remote-parity/hundred-msg-footer.tgm remote-parity/streaming-tail.tgm \
         remote-parity/two-msg.tgm; do
  L="$shared/$f"
  R="$base/ref/$f"
  same "info $f" "$tg info $L" "$tg info $R"
  same "ls $f" "$tg ls $L" "$tg ls $R"
  same "ls -j $f" "$tg ls -j $L" "$tg ls -j $R"
  same "dump $f" "$tg dump $L" "$tg dump $R"
  same "dump -j $f" "$tg dump -j $L" "$tg dump -j $R"
  same "validate $f" "$tg validate --full $L" "$tg validate --full $R"
  same "validate --json $f" "$tg validate --json $L" "$tg validate --json $R"
  rm -f "$work/l.tgm" "$work/r.tgm"
  "$tg" copy "$L" "$work/l.tgm" >/dev/null 2>&1
  "$tg" copy "$R" "$work/r.tgm" >/dev/null 2>&1
  cmp -s "$work/l.tgm" "$work/r.tgm"
  check "copy $f" $?
done
# get, and split, on a reference file with several objects per message
for f in $(cd "$shared" && ls grib-out/*/out.tgm | head -3); do
  same "get $f" "$tg get -p shortName,step $shared/$f" "$tg get -p shortName,step $base/ref/$f"
  rm -rf "$work/sl" "$work/sr"
  mkdir -p "$work/sl" "$work/sr"
  "$tg" split --output "$work/sl/part_[index].tgm" "$shared/$f" >/dev/null 2>&1
  "$tg" split --output "$work/sr/part_[index].tgm" "$base/ref/$f" >/dev/null 2>&1
  diff -r "$work/sl" "$work/sr" >/dev/null && [ -n "$(ls "$work/sl")" ]
  check "split $f" $?
done
# options: given to the library, checked by it
"$tg" ls --storage-option timeout=20s --storage-option max_retries=2 \
  "$base/ref/remote-parity/two-msg.tgm" >/dev/null 2>&1
check "storage options accepted" $?
out="$("$tg" ls --storage-option no_such_key=1 "$base/ref/remote-parity/two-msg.tgm" 2>&1)"
[ $? -eq 1 ] && [[ "$out" == *"unknown storage option 'no_such_key'"* ]]
check "unknown storage option: an error naming the key" $?
"$tg" ls --storage-option missing-equals "$base/ref/remote-parity/two-msg.tgm" >/dev/null 2>&1
[ $? -eq 2 ]
check "malformed --storage-option: usage error" $?
out="$("$tg" ls "$base/ref/no-such-file.tgm" 2>&1)"
[ $? -eq 1 ] && [[ "$out" == *"HTTP 404"* ]]
check "missing remote file: HTTP 404 in the error" $?
# validation of a remote file obeys the decode limit (issue 12 item 8):
# 20 blosc2 objects of 8 MiB of zeros, 12 of them past the 64 MiB budget
if [ -n "$helper" ]; then
  "$helper" gen budget "${TGM_TEST_NGINX_GEN:?}/budget.tgm" >/dev/null
  out="$("$tg" validate "$base/gen/budget.tgm" 2>&1)"
  [ $? -eq 0 ] && [ "$(grep -c 'decode budget of 67108864 bytes' <<<"$out")" -eq 12 ]
  check "remote validate: decode budget" $?
  out="$("$tg" validate --decode-limit none "$base/gen/budget.tgm" 2>&1)"
  [ $? -eq 0 ] && [ "$(grep -c 'WARNING' <<<"$out")" -eq 0 ]
  check "remote validate: --decode-limit none" $?
fi
unset SSL_CERT_FILE
out="$("$tg" ls "$base/ref/remote-parity/two-msg.tgm" 2>&1)"
[ $? -eq 1 ] && [[ "$out" == *"certificate"* ]]
check "untrusted certificate: an error" $?
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
