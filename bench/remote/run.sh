#!/usr/bin/env bash
# Remote-access benchmarks: nginx (started by tests/remote/harness.py) and a
# proxy adding a fixed latency to every request, both on 127.0.0.1, then
# bench_remote.  Results go to stdout (bench/README.md keeps a copy).
# Usage: bench/remote/run.sh BUILD_DIR [LATENCY_MS]
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(cd "$1" && pwd)"
latency="${2:-20}"
work="$build/bench-remote-work"
rm -rf "$work"
mkdir -p "$work"
shared="${TGM_SHARED_DIR:-$here/../shared/reference}"
if [ -d "$shared/remote-parity" ]; then export TGM_BENCH_REFERENCE=1; fi
exec /usr/bin/python3 "$here/tests/remote/harness.py" --work "$work" --servers nginx \
  --shared "$shared" -- \
  bash -c '
    set -euo pipefail
    port="${TGM_TEST_NGINX_HTTP##*:}"
    /usr/bin/python3 "$0" --upstream "$port" --latency-ms "$1" > "$2/proxy.port" &
    proxy=$!
    trap "kill $proxy 2>/dev/null || true" EXIT
    for _ in $(seq 100); do [ -s "$2/proxy.port" ] && break; sleep 0.05; done
    export TGM_BENCH_PROXY="http://127.0.0.1:$(cut -d" " -f2 "$2/proxy.port")"
    export TGM_BENCH_LATENCY_MS="$1"
    "$3"
  ' "$here/bench/remote/latency_proxy.py" "$latency" "$work" "$build/bench/bench_remote"
