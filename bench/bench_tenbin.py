"""tenbin in Python: tensogram.tenbin next to webdataset's own tenbin module.

    python3 bench/bench_tenbin.py [--webdataset PATH] [--records N]

PATH is webdataset's tenbin.py, or a webdataset source tree holding
src/webdataset/tenbin.py (default: $TGM_WEBDATASET_SRC).  It is imported from
there, never from this tree; without it only our figures are printed.

Small records (webdataset's typical sample: a 32x32x3 uint8 image and an
int64 label): CPU microseconds per record for encode_buffer and
decode_buffer, and for the conversions to and from a Tensogram message.
Large arrays (4 float32 arrays of 64 MiB): GB/s of array bytes for the same
calls, twice: with malloc's defaults (each output is new memory the kernel
zeroes, which bounds the figures on some machines), then with glibc told to
keep freed memory (mallopt, as a long-running loader's heap would).  Best of
several runs; process CPU time for the small records (stable on a busy
machine), wall time for the large arrays.
"""

import argparse
import ctypes
import ctypes.util
import importlib.util
import os
import sys
import time

import numpy as np

from tensogram import tenbin as ours


def load_webdataset(path):
    if not path:
        return None
    if os.path.isdir(path):
        for sub in (("src", "webdataset", "tenbin.py"), ("webdataset", "tenbin.py")):
            if os.path.isfile(os.path.join(path, *sub)):
                path = os.path.join(path, *sub)
                break
    if not os.path.isfile(path):
        print("webdataset tenbin not found at %s" % path, file=sys.stderr)
        return None
    spec = importlib.util.spec_from_file_location("wds_tenbin", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def per_record(fn, n, reps=5):
    best = float("inf")
    for _ in range(reps):
        t0 = time.process_time()
        for _ in range(n):
            fn()
        best = min(best, time.process_time() - t0)
    return best / n * 1e6


def gbps(fn, nbytes, reps=3):
    fn()  # warm
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return nbytes / best / 1e9


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--webdataset", default=os.environ.get("TGM_WEBDATASET_SRC"))
    ap.add_argument("--records", type=int, default=20000)
    args = ap.parse_args()
    wds = load_webdataset(args.webdataset)
    n = args.records

    image = np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)
    label = np.array([3], dtype=np.int64)
    sample = [image, label]
    buf = ours.encode_buffer(sample, infos=["image", "label"])
    if wds is not None:
        assert bytes(wds.encode_buffer(sample, infos=["image", "label"])) == bytes(buf)
    msg = ours.to_tensogram(buf, hash=None)

    print("small records (32x32x3 uint8 + int64 label, %d bytes), CPU us per record:" % len(buf))
    rows = [
        ("encode_buffer", lambda: ours.encode_buffer(sample), None),
        ("decode_buffer", lambda: ours.decode_buffer(buf), None),
        (".ten -> Tensogram (to_tensogram, no hash)", lambda: ours.to_tensogram(buf, hash=None),
         None),
        ("Tensogram -> .ten (from_tensogram)", lambda: ours.from_tensogram(msg), None),
    ]
    if wds is not None:
        rows[0] = (rows[0][0], rows[0][1], lambda: wds.encode_buffer(sample))
        rows[1] = (rows[1][0], rows[1][1], lambda: wds.decode_buffer(buf))
    for name, fn, theirs in rows:
        t_ours = per_record(fn, n)
        line = "  %-44s tensogram.tenbin %6.2f" % (name, t_ours)
        if theirs is not None:
            t_wds = per_record(theirs, n)
            line += "   webdataset %6.2f   (ratio %.2f)" % (t_wds, t_ours / t_wds)
        print(line)

    big = [np.arange(16 << 20, dtype=np.float32) * (i + 1) for i in range(4)]
    nbytes = sum(a.nbytes for a in big)
    bigbuf = ours.encode_buffer(big)
    bigmsg = ours.to_tensogram(bigbuf, hash=None)
    large(wds, big, nbytes, bigbuf, bigmsg, "malloc defaults")
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's malloc.h
    if libc.mallopt(m_mmap_threshold, 1 << 30) and libc.mallopt(m_trim_threshold, 1 << 30):
        large(wds, big, nbytes, bigbuf, bigmsg, "freed memory kept by malloc")


def large(wds, big, nbytes, bigbuf, bigmsg, label):
    print("large arrays (4 float32 arrays of 64 MiB, %.0f MB), %s, GB/s:" % (nbytes / 1e6, label))

    def materialise(arrays):
        # decode_buffer gives views of the buffer; sum() touches every byte
        return [a.sum() for a in arrays]

    rows = [
        ("encode_buffer", lambda: ours.encode_buffer(big),
         (lambda: wds.encode_buffer(big)) if wds else None),
        ("decode_buffer (+ reading every value)",
         lambda: materialise(ours.decode_buffer(bigbuf)),
         (lambda: materialise(wds.decode_buffer(bigbuf))) if wds else None),
        (".ten -> Tensogram (no hash)", lambda: ours.to_tensogram(bigbuf, hash=None), None),
        (".ten -> Tensogram (xxh3)", lambda: ours.to_tensogram(bigbuf), None),
        ("Tensogram -> .ten", lambda: ours.from_tensogram(bigmsg), None),
        ("round trip .ten -> Tensogram -> .ten (no hash)",
         lambda: ours.from_tensogram(ours.to_tensogram(bigbuf, hash=None)), None),
    ]
    for name, fn, theirs in rows:
        line = "  %-44s tensogram.tenbin %6.2f" % (name, gbps(fn, nbytes))
        if theirs is not None:
            line += "   webdataset %6.2f" % gbps(theirs, nbytes)
        print(line)


if __name__ == "__main__":
    main()
