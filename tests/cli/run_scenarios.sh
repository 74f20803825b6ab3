#!/usr/bin/env bash
# run_scenarios.sh - run one CLI scenario file and compare every command's
# stdout, stderr and exit status with the expectations written under it.
#
# Scenario file format (tests/cli/*.t):
#   $ <command>        a command, run by bash in a scratch directory that is
#                      shared by all commands of the file
#   > <line>           an expected line of standard output (">" alone: empty)
#   ! <line>           an expected line of standard error
#   [exit N]           the expected exit status when it is not 0
#   ... (re)           suffix: the rest of the line is a bash regular expression
#   #require ref       the file needs the reference's sample files; the test
#                      reports itself skipped (exit 77) when they are absent
#   #require strace    the file traces system calls (skipped without strace)
#   anything else      comment
# Expected lines are listed stdout first, then stderr, then the status.
#
# Environment: TENSOGRAM (the tool), CLI_HELPER (tests/cli/cli_helper), REF
# (the reference's shared sample files), TGM_CLI_WRAPPER (optional: a command
# the tool is run under, e.g. "valgrind -q --error-exitcode=99"; any report
# it prints on stderr, or its exit status, fails the scenario).  Commands can use $REF and $SRC
# (the directory of this script).
set -u
scenario=$1
: "${TENSOGRAM:?set TENSOGRAM to the tensogram binary}"
: "${CLI_HELPER:?set CLI_HELPER to the cli_helper binary}"
for bin in "$TENSOGRAM" "$CLI_HELPER"; do
    [ -x "$bin" ] || { echo "error: '$bin' is not an executable (build it first)"; exit 1; }
done
REF=${REF:-}
SRC=$(cd "$(dirname "$0")" && pwd)
export REF SRC

if grep -q '^#require ref' "$scenario" && [ ! -d "$REF/golden" ]; then
    echo "skipped: the reference sample files are not at '$REF'"
    exit 77
fi
if grep -q '^#require strace' "$scenario" && ! strace -f -o /dev/null true >/dev/null 2>&1; then
    echo "skipped: strace is missing or may not trace here (Debian: strace)"
    exit 77
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/tgm-cli-XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/bin" "$work/run"
if [ -n "${TGM_CLI_WRAPPER:-}" ]; then
    printf '#!/usr/bin/env bash\nexec %s %q "$@"\n' "$TGM_CLI_WRAPPER" "$TENSOGRAM" \
        >"$work/bin/tensogram"
    chmod +x "$work/bin/tensogram"
else
    ln -s "$TENSOGRAM" "$work/bin/tensogram"
fi
ln -s "$CLI_HELPER" "$work/bin/cli_helper"
export PATH="$work/bin:$PATH" LC_ALL=C
# The tool reads these; the scenarios set them explicitly when they need them.
unset TENSOGRAM_THREADS TENSOGRAM_ALLOW_NAN TENSOGRAM_ALLOW_INF TENSOGRAM_NAN_MASK_METHOD \
      TENSOGRAM_POS_INF_MASK_METHOD TENSOGRAM_NEG_INF_MASK_METHOD TENSOGRAM_SMALL_MASK_THRESHOLD

failures=0
commands=0
cmd=""
cmd_line=0
expected=()

line_matches() { # expected actual
    local exp=$1 act=$2
    if [[ $exp == *" (re)" ]]; then
        local re=${exp% (re)}
        [[ $act =~ ^${re}$ ]]
    else
        [[ $exp == "$act" ]]
    fi
}

run_block() {
    [ -z "$cmd" ] && return
    commands=$((commands + 1))
    (cd "$work/run" && bash -c "$cmd") >"$work/out" 2>"$work/err" </dev/null
    local rc=$?
    local actual=()
    local l
    while IFS= read -r l || [ -n "$l" ]; do
        if [ -z "$l" ]; then actual+=(">"); else actual+=("> $l"); fi
    done <"$work/out"
    while IFS= read -r l || [ -n "$l" ]; do
        if [ -z "$l" ]; then actual+=("!"); else actual+=("! $l"); fi
    done <"$work/err"
    [ "$rc" -ne 0 ] && actual+=("[exit $rc]")
    local ok=1 i
    if [ "${#actual[@]}" -ne "${#expected[@]}" ]; then
        ok=0
    else
        for ((i = 0; i < ${#actual[@]}; i++)); do
            line_matches "${expected[$i]}" "${actual[$i]}" || { ok=0; break; }
        done
    fi
    if [ "$ok" -eq 0 ]; then
        failures=$((failures + 1))
        echo "FAIL ${scenario##*/}:$cmd_line: \$ $cmd"
        echo "--- expected"
        printf '%s\n' "${expected[@]+"${expected[@]}"}"
        echo "--- actual"
        printf '%s\n' "${actual[@]+"${actual[@]}"}"
        echo
    fi
}

n=0
while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1))
    case "$line" in
    '$ '*)
        run_block
        cmd=${line#'$ '}
        cmd_line=$n
        expected=()
        ;;
    '>' | '> '* | '!' | '! '* | '[exit '*)
        expected+=("$line")
        ;;
    esac
done <"$scenario"
run_block

echo "${scenario##*/}: $commands commands, $failures failed"
[ "$failures" -eq 0 ]
