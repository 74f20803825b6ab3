"""Per-message cost of small tensors from Python (the ML-sample case).

One 3 x 8 x 8 float32 tensor (768 bytes) with one small base entry, xxh3
on: microseconds per call of ``tensogram.encode``, ``tensogram.decode``,
``tensogram.decode_object`` and ``tensogram.decode_metadata`` (process CPU
time, mean of N calls, best of 5), against in-run baselines.  Encode is
timed three ways: the same metadata every call; the same but for a value
(``base[0]["i"]`` counting up: the binding's kept encoder is given the new
value); and a new metadata layout every call (a new key each time: nothing
kept applies, the message is encoded from its JSON text).  Baselines:

- the bare C call (in a loop inside the extension, timed the same way:
  what the library itself costs): for the first two encode rows the
  library's encoder handle (``tgm_encoder_encode``, after
  ``tgm_encoder_set_i64`` in the second), which the binding keeps per
  metadata layout; for the third ``tgm_encode_with_options`` with a new
  text every call (the library keeps the compiled form of texts it sees
  again, which a new layout never is); for decode
  ``tgm_decode`` on the same bytes;
- the same tensor as a tenbin record (webdataset's ``.ten`` format: a
  header chunk of dtype code, info, rank and shape, then the data chunk,
  each behind a magic and a length and padded to 64 bytes), written and
  read by a pure-Python coder in this file, in the style of webdataset's
  ``tenbin.py``;
- webdataset's own ``tenbin.py`` (``encode_buffer`` / ``decode_buffer``)
  when given (``--webdataset PATH``: the file, or a webdataset source tree;
  default ``$TGM_WEBDATASET_SRC``), imported from outside this tree.

"x tenbin" is the tenbin time over ours: above 1, Tensogram is faster.

    python bench/bench_small.py [--calls N] [--webdataset PATH]
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import os
import struct
import sys
import time

import numpy as np

import tensogram
from tensogram import _tensogram as _c
from tensogram import tenbin as c_tenbin
from tensogram._model import descriptor_dict, metadata_json

# ---- a tenbin (.ten) coder in pure Python -----------------------------------------------

MAGIC = b"~TenBin~"
CODES = {"float16": "f2", "float32": "f4", "float64": "f8", "int8": "i1", "int16": "i2",
         "int32": "i4", "int64": "i8", "uint8": "u1", "uint16": "u2", "uint32": "u4",
         "uint64": "u8"}
NAMES = {v: k for k, v in CODES.items()}


def _word(s: str) -> int:
    """Up to 8 ASCII characters as the native int64 a tenbin header holds."""
    return struct.unpack("=q", s.encode("ascii").ljust(8, b"\0"))[0]


def _text(w) -> str:
    return struct.pack("=q", int(w)).decode("ascii").rstrip("\0")


def _padded(n: int) -> int:
    return (n + 63) // 64 * 64


def tenbin_encode(arrays, infos=None) -> bytearray:
    """Arrays -> one .ten buffer: per array, a header chunk and a data chunk."""
    chunks = []
    for i, a in enumerate(arrays):
        if a.dtype.name not in CODES or a.ndim >= 10:
            raise ValueError("unsupported array %d" % i)
        info = infos[i] if infos else ""
        head = np.array([_word(CODES[a.dtype.name]), _word(info), a.ndim, *a.shape], dtype="i8")
        chunks += [head.data, np.ascontiguousarray(a).data]
    out = bytearray(sum(16 + _padded(c.nbytes) for c in chunks))
    pos = 0
    for c in chunks:
        out[pos:pos + 8] = MAGIC
        out[pos + 8:pos + 16] = struct.pack("=q", c.nbytes)
        out[pos + 16:pos + 16 + c.nbytes] = c
        pos += 16 + _padded(c.nbytes)
    return out


def tenbin_decode(buf) -> list:
    """A .ten buffer -> its arrays (views of buf)."""
    chunks, pos, total = [], 0, len(buf)
    while pos < total:
        if buf[pos:pos + 8] != MAGIC:
            raise ValueError("no tenbin magic at %d" % pos)
        (n,) = struct.unpack_from("=q", buf, pos + 8)
        chunks.append(memoryview(buf)[pos + 16:pos + 16 + n])
        pos += 16 + _padded(n)
    out = []
    for head, data in zip(chunks[::2], chunks[1::2]):
        h = np.frombuffer(head, dtype="i8")
        dtype = np.dtype(NAMES[_text(h[0])])
        shape = tuple(int(x) for x in h[3:3 + int(h[2])])
        out.append(np.frombuffer(data, dtype=dtype).reshape(shape))
    return out


def load_webdataset(path):
    """webdataset's tenbin module from a checkout or file (bench/bench_tenbin.py's loader)."""
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location(
        "bench_tenbin", os.path.join(here, "..", "..", "bench", "bench_tenbin.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.load_webdataset(path)


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
    ap.add_argument("--webdataset", default=os.environ.get("TGM_WEBDATASET_SRC"))
    args = ap.parse_args()
    wds = load_webdataset(args.webdataset)

    arr = np.arange(192, dtype=np.float32).reshape(3, 8, 8)
    meta = {"base": [{"name": "x", "i": 7}]}
    desc = {"type": "ntensor", "shape": [3, 8, 8], "dtype": "float32"}
    msg = tensogram.encode(meta, [(desc, arr)])
    rec = tenbin_encode([arr])
    assert np.array_equal(tensogram.decode(msg).objects[0][1], arr)
    assert np.array_equal(tenbin_decode(rec)[0], arr)
    # The coder above writes the .ten format: the library's reader agrees.
    assert np.array_equal(c_tenbin.decode_buffer(bytes(rec))[0], arr)
    assert bytes(c_tenbin.encode_buffer([arr])) == bytes(rec)

    text = metadata_json(meta, [descriptor_dict(desc)])
    raw = arr.tobytes()

    def c_call(op, arg, data):
        return min(_c.c_call_seconds(op, arg, data, args.calls, True) for _ in range(5))

    c_enc = c_call("encode_new", text, raw)
    c_kept = c_call("encoder", text, raw)
    c_set = c_call("encoder_set", text, raw)
    c_dec = c_call("decode", "", msg)
    pairs = [(desc, arr)]
    enc = per_call(lambda: tensogram.encode(meta, pairs), args.calls)
    counting = itertools.cycle([{"base": [{"name": "x", "i": i}]} for i in range(1000)])
    enc_set = per_call(lambda: tensogram.encode(next(counting), pairs), args.calls)
    layouts = itertools.cycle([{"base": [{"name": "x", "i%d" % i: 7}]} for i in range(args.calls)])
    enc_new = per_call(lambda: tensogram.encode(next(layouts), pairs), args.calls)
    dec = per_call(lambda: tensogram.decode(msg), args.calls)
    tb_enc = per_call(lambda: tenbin_encode([arr]), args.calls)
    rows = [
        ("encode", enc, c_kept, tb_enc),
        ("  values change", enc_set, c_set, tb_enc),
        ("  new layout", enc_new, c_enc, tb_enc),
        ("decode", dec, c_dec, per_call(lambda: tenbin_decode(rec), args.calls)),
        ("decode_object", per_call(lambda: tensogram.decode_object(msg, 0), args.calls), None,
         None),
        ("decode_metadata", per_call(lambda: tensogram.decode_metadata(msg), args.calls), None,
         None),
    ]
    wrow = {}
    if wds is not None:
        wrec = wds.encode_buffer([arr])
        assert np.array_equal(wds.decode_buffer(wrec)[0], arr)
        w_enc = per_call(lambda: wds.encode_buffer([arr]), args.calls)
        wrow = {"encode": w_enc, "  values change": w_enc, "  new layout": w_enc,
                "decode": per_call(lambda: wds.decode_buffer(wrec), args.calls)}
    print("3x8x8 float32 (768 B), one base entry, xxh3; CPU us per call, mean of %d, best of 5"
          % args.calls)
    print("%-16s %8s %8s %7s %10s %9s %10s %9s" % (
        "", "Python", "bare C", "Py / C", "tenbin-py", "x tenbin", "webdataset", "x wds"))

    def us(x):
        return "%.2f" % (x * 1e6) if x else "-"

    def ratio(x, y):
        return "%.2fx" % (x / y) if x and y else "-"

    for name, py, c, tb in rows:
        w = wrow.get(name)
        print("%-16s %8.2f %8s %7s %10s %9s %10s %9s" % (
            name, py * 1e6, us(c), ratio(py, c), us(tb), ratio(tb, py), us(w), ratio(w, py)))
    print("(x tenbin, x wds above 1: the pure-Python tenbin coder is slower than Tensogram;")
    print(" bare C: tgm_encoder_encode, after tgm_encoder_set_i64 for 'values change';")
    print(" tgm_encode_with_options with a new text each call for 'new layout'; tgm_decode)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
