#!/usr/bin/env bash
# The module edges of src/README.md, checked: every #include of a module's
# header ("module/file.h") in src/, and in the directories above the
# library, must follow an edge the tables there allow.  The tables are the
# only source: add a module or an edge by editing src/README.md.
#
#   module table   | `name/` | job | `dep`, `dep`, ... (or —) |
#   outside table  | `dir/`  | who | `public` and/or module names, or `any` |
#
# Also fails on a directory of src/ the module table does not list, and on
# an exported function (tgm_*, not tgm__*) defined in src/ outside the
# modules of the line "Exported (`tgm_*`) functions are defined only in:".
# Usage: scripts/check-includes.sh [-v]   (-v: list edges allowed but unused)
set -euo pipefail
cd "$(dirname "$0")/.."
verbose=0
[ "${1:-}" = "-v" ] && verbose=1

table=src/README.md
# module<TAB>allowed-space-separated, from the rows of both tables.
rows="$(awk -F'|' '
  /^\| *`[A-Za-z0-9_.\/-]+\/` *\|/ {
    name = $2; gsub(/[ `]/, "", name); sub(/\/$/, "", name)
    deps = $(NF - 1); allowed = ""
    while (match(deps, /`[A-Za-z0-9_]+`/)) {
      allowed = allowed " " substr(deps, RSTART + 1, RLENGTH - 2)
      deps = substr(deps, RSTART + RLENGTH)
    }
    print name "\t" allowed
  }' "$table")"

if [ -z "$rows" ]; then
  echo "check-includes: no module table found in $table" >&2
  exit 1
fi

declare -A allowed=()
while IFS=$'\t' read -r name deps; do
  allowed["$name"]="$deps"
done <<<"$rows"

# Every module directory must be in the table.
modules=()
bad=0
for d in src/*/; do
  m="$(basename "$d")"
  modules+=("$m")
  if [ -z "${allowed[$m]+set}" ]; then
    echo "check-includes: src/$m/ is not in the module table of $table" >&2
    bad=1
  fi
done
is_module() {
  local x
  for x in "${modules[@]}"; do [ "$x" = "$1" ] && return 0; done
  return 1
}

declare -A used=()
# check <owner> <file>: each "module/..." include of the file.
check() {
  local owner="$1" file="$2" line dep
  while IFS= read -r line; do
    dep="${line#*#include*[\"<]}"
    dep="${dep%%/*}"
    is_module "$dep" || continue
    [ "$dep" = "$owner" ] && continue
    used["$owner $dep"]=1
    case " ${allowed[$owner]} " in
      *" any "* | *" $dep "*) ;;
      *)
        echo "check-includes: $file includes $dep/ but $owner may depend only on:${allowed[$owner]:- nothing} ($table)" >&2
        bad=1
        ;;
    esac
  done < <(grep -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*["<][A-Za-z0-9_]+/' "$file" || true)
}

for m in "${modules[@]}"; do
  while IFS= read -r f; do
    check "$m" "$f"
  done < <(find "src/$m" -type f \( -name '*.c' -o -name '*.h' \) | sort)
done

# Directories above the library (rows naming a path that is not a module).
for owner in "${!allowed[@]}"; do
  is_module "$owner" && continue
  if [ ! -d "$owner" ]; then
    echo "check-includes: $table lists $owner/, which does not exist" >&2
    bad=1
    continue
  fi
  while IFS= read -r f; do
    check "$owner" "$f"
  done < <(find "$owner" -type f \( -name '*.c' -o -name '*.h' -o -name '*.cpp' -o -name '*.cc' \) \
           -not -path '*/corpus/*' | sort)
done

# Exported functions: defined only in the modules the README names.
exporters="$(awk '/^Exported \(`tgm_\*`\) functions are defined only in:/ { on = 1 }
  on { line = line " " $0 } on && /;/ { exit }
  END { sub(/;.*/, "", line); sub(/.*defined only in:/, "", line)
        while (match(line, /`[a-z0-9_]+\/`/)) {
          printf "%s ", substr(line, RSTART + 1, RLENGTH - 3); line = substr(line, RSTART + RLENGTH) } }' "$table")"
if [ -z "$exporters" ]; then
  echo "check-includes: no list of exporting modules found in $table" >&2
  bad=1
fi
for m in "${modules[@]}"; do
  case " $exporters " in *" $m "*) continue ;; esac
  while IFS= read -r hit; do
    echo "check-includes: $hit defines an exported function, but only$exporters may ($table)" >&2
    bad=1
  done < <(grep -nE '^[A-Za-z_][A-Za-z0-9_ ]*[ *]tgm_[a-z0-9][A-Za-z0-9_]*\(' \
             $(find "src/$m" -type f -name '*.c' | sort) /dev/null |
           grep -vE ':[0-9]+:(static|typedef|extern) ' | grep -vE ';[[:space:]]*$' |
           sed -E 's/^([^:]+:[0-9]+):.*[ *](tgm_[A-Za-z0-9_]*)\(.*/\1 (\2)/' || true)
done

if [ "$verbose" = 1 ]; then
  for m in "${modules[@]}"; do
    for dep in ${allowed[$m]}; do
      [ -z "${used["$m $dep"]+set}" ] && echo "check-includes: note: $m may depend on $dep but does not"
    done
  done
fi
if [ "$bad" = 0 ]; then
  echo "check-includes: ${#modules[@]} modules and ${#allowed[@]} table rows, every include follows an edge of $table; exported functions only in:$exporters"
fi
exit "$bad"
