#!/usr/bin/env bash
# Install what is needed, build, and run the main job on a built-in example:
# encode a 721x1440 temperature field (simple_packing 16 bits + szip) into
# quickstart.tgm, show it with the `tensogram` tool, and decode it back.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
bash scripts/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
out="${1:-build/quickstart.tgm}"
echo "== encode, decode, range-read (examples/c/quickstart.c)"
build/release/examples/c/example_quickstart "$out"
if [ -x build/release/tools/cli/tensogram ]; then
  echo "== tensogram info $out"
  build/release/tools/cli/tensogram info "$out"
  echo "== tensogram ls $out"
  build/release/tools/cli/tensogram ls "$out"
  echo "== tensogram validate --full $out"
  build/release/tools/cli/tensogram validate --full "$out"
  echo "== tensogram plot $out (a quick-look PNG beside it)"
  build/release/tools/cli/tensogram plot "$out" -o "${out%.tgm}.png" --width 480 --height 240
fi
