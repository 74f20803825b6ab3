"""Per-message cost of small tensors from Python (the ML-sample case).

One 3 x 8 x 8 float32 tensor (768 bytes) with one small base entry, xxh3
on: microseconds per call of ``tensogram.encode``, ``tensogram.decode`` and
``tensogram.decode_metadata`` (process CPU time, mean of N calls, best of
5), against two in-run baselines:

- the bare C call the binding wraps (``tgm_encode_with_options`` /
  ``tgm_decode`` on the same bytes, best single call, timed inside the
  extension: what the library itself costs);
- a tenbin-style record in pure Python (webdataset's approach: a fixed
  header of magic, dtype, rank and shape, then the raw bytes; decoded with
  ``np.frombuffer``), written here for the comparison.

    python bench/bench_small.py [--calls N]
"""

from __future__ import annotations

import argparse
import struct
import time

import numpy as np

import tensogram
from tensogram import _tensogram as _c
from tensogram._model import descriptor_dict, metadata_json

MAGIC = b"~TenBin~"
CODES = {np.dtype("float32"): b"f4  ", np.dtype("float64"): b"f8  ", np.dtype("int64"): b"i8  "}
DTYPES = {v: k for k, v in CODES.items()}


def tenbin_encode(a: np.ndarray) -> bytes:
    a = np.ascontiguousarray(a)
    head = MAGIC + CODES[a.dtype] + struct.pack("<Q", a.ndim) + struct.pack(
        "<%dQ" % a.ndim, *a.shape)
    return head + a.tobytes()


def tenbin_decode(buf: bytes) -> np.ndarray:
    if buf[:8] != MAGIC:
        raise ValueError("not a tenbin record")
    dtype = DTYPES[buf[8:12]]
    (rank,) = struct.unpack_from("<Q", buf, 12)
    shape = struct.unpack_from("<%dQ" % rank, buf, 20)
    return np.frombuffer(buf, dtype, offset=20 + 8 * rank).reshape(shape)


def per_call(fn, calls, reps=5):
    fn()
    best = float("inf")
    for _ in range(reps):
        t0 = time.process_time()
        for _ in range(calls):
            fn()
        best = min(best, (time.process_time() - t0) / calls)
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=20000)
    args = ap.parse_args()

    arr = np.arange(192, dtype=np.float32).reshape(3, 8, 8)
    meta = {"base": [{"name": "x", "i": 7}]}
    desc = {"type": "ntensor", "shape": [3, 8, 8], "dtype": "float32"}
    msg = tensogram.encode(meta, [(desc, arr)])
    rec = tenbin_encode(arr)
    assert np.array_equal(tensogram.decode(msg).objects[0][1], arr)
    assert np.array_equal(tenbin_decode(rec), arr)

    text = metadata_json(meta, [descriptor_dict(desc)])
    c_enc = min(_c.c_call_seconds("encode", text, arr.tobytes(), args.calls), 1e9)
    c_dec = min(_c.c_call_seconds("decode", "", msg, args.calls), 1e9)
    rows = [
        ("encode", per_call(lambda: tensogram.encode(meta, [(desc, arr)]), args.calls), c_enc,
         per_call(lambda: tenbin_encode(arr), args.calls)),
        ("decode", per_call(lambda: tensogram.decode(msg), args.calls), c_dec,
         per_call(lambda: tenbin_decode(rec), args.calls)),
        ("decode_metadata", per_call(lambda: tensogram.decode_metadata(msg), args.calls), None,
         None),
    ]
    print("3x8x8 float32 (768 B), one base entry, xxh3; CPU us per call, mean of %d, best of 5"
          % args.calls)
    print("%-16s %9s %9s %9s %12s %9s" % ("", "Python", "bare C", "Py / C", "tenbin-py", "/ ours"))
    for name, py, c, tb in rows:
        print("%-16s %9.2f %9s %9s %12s %9s" % (
            name, py * 1e6, "%.2f" % (c * 1e6) if c else "-", "%.1fx" % (py / c) if c else "-",
            "%.2f" % (tb * 1e6) if tb else "-", "%.2fx" % (tb / py) if tb else "-"))
    print("(/ ours above 1: the pure-Python tenbin record is slower than Tensogram)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
