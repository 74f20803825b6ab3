"""Python overhead of the tensogram binding over the bare C calls.

For 16 MiB arrays, times the Python API (tensogram.encode / decode /
decode_object / TensogramFile) against the C function it wraps, called
inside the extension with the same inputs (no Python in between).  Reports
the best of N runs of each, the two measured in alternation, and the
overhead in percent.  Times are process CPU time (steady on a shared
machine, where wall time is not); --wall uses wall-clock time instead.

    python bench/bench_overhead.py [--iterations N] [--mib M]

The goal is an overhead below 5%: the binding passes C-contiguous arrays
to the library without copying them, encodes straight into the returned
bytes object and hands decoded values to NumPy without a copy.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np
import tensogram
from tensogram import _tensogram as _c
from tensogram._model import descriptor_dict, metadata_json


WALL = False


def c_seconds(op, meta, data):
    """One bare C call, timed inside the extension on the benchmark's clock."""
    return _c.c_call_seconds(op, meta, data, 1, not WALL)


def paired(c_call, py_call, iterations):
    """Best times of the C call and of the Python call, measured in
    alternation so that both see the same machine conditions."""
    clock = time.perf_counter if WALL else time.process_time
    best_c = best_py = float("inf")
    py_call()  # warm up (first-touch page faults, lazy imports)
    for _ in range(iterations):
        best_c = min(best_c, c_call())
        t0 = clock()
        py_call()
        best_py = min(best_py, clock() - t0)
    return best_c, best_py


def row(name, c_seconds, py_seconds, nbytes):
    overhead = (py_seconds - c_seconds) / c_seconds * 100.0
    gbps = nbytes / py_seconds / 1e9
    print(
        "%-40s C %8.3f ms   Python %8.3f ms   overhead %+6.2f%%   (%.2f GB/s)"
        % (name, c_seconds * 1e3, py_seconds * 1e3, overhead, gbps)
    )
    return overhead


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iterations", type=int, default=15)
    ap.add_argument("--mib", type=int, default=16)
    ap.add_argument("--wall", action="store_true", help="wall-clock instead of CPU time")
    args = ap.parse_args(argv)
    global WALL
    WALL = args.wall

    n = args.mib * 1024 * 1024 // 8
    rng = np.random.default_rng(42)
    smooth = np.cumsum(rng.standard_normal(n)).astype(np.float64)
    cases = [
        ("raw float64", {}),
        ("zstd level 3", {"compression": "zstd", "zstd_level": 3}),
        ("packing 16 bit + szip", {
            "encoding": "simple_packing", "sp_bits_per_value": 16, "compression": "szip",
            "szip_rsi": 128, "szip_block_size": 16, "szip_flags": 8,
        }),
    ]
    print("tensogram %s, %d MiB float64 arrays, best of %d runs, %s time"
          % (tensogram.__version__, args.mib, args.iterations, "wall" if WALL else "CPU"))
    worst = 0.0
    for name, pipeline in cases:
        desc = {"type": "ntensor", "shape": [n], "dtype": "float64", **pipeline}
        full = descriptor_dict(desc)
        mjson = metadata_json({}, [full])
        try:
            c_seconds("encode", mjson, smooth)
        except ValueError as e:  # codec not built in
            print("%-34s skipped (%s)" % (name, e))
            continue
        c_enc, py_enc = paired(lambda: c_seconds("encode", mjson, smooth),
                               lambda: tensogram.encode({}, [(desc, smooth)]), args.iterations)
        worst = max(worst, row("encode " + name, c_enc, py_enc, smooth.nbytes))

        msg = tensogram.encode({}, [(desc, smooth)])
        c_dec, py_dec = paired(lambda: c_seconds("decode", "", msg),
                               lambda: tensogram.decode(msg), args.iterations)
        worst = max(worst, row("decode " + name, c_dec, py_dec, smooth.nbytes))
        c_dec, py_obj = paired(lambda: c_seconds("decode", "", msg),
                               lambda: tensogram.decode_object(msg, 0), args.iterations)
        row("decode_object " + name, c_dec, py_obj, smooth.nbytes)

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bench.tgm")
        desc = {"type": "ntensor", "shape": [n], "dtype": "float64"}
        with tensogram.TensogramFile.create(path) as f:
            f.append({}, [(desc, smooth)])
        msg = tensogram.encode({}, [(desc, smooth)])
        with tensogram.TensogramFile.open(path) as f:
            len(f)
            c_dec, py_file = paired(lambda: c_seconds("decode", "", msg),
                                    lambda: f.decode_message(0), args.iterations)
        row("TensogramFile.decode_message raw", c_dec, py_file, smooth.nbytes)

    print("worst encode/decode overhead: %+.2f%% (goal < 5%%)" % worst)
    return 0


if __name__ == "__main__":
    sys.exit(main())
