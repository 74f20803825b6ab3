"""Tensogram's codecs against numcodecs, the codecs a zarr user picks instead.

Encodes and decodes one 16 MiB float32 field (a smooth 2-D pattern plus
noise, seed 42) through ``tensogram.encode`` / ``tensogram.decode`` and
through numcodecs (Debian's python3-numcodecs 0.11: c-blosc 1.x, liblz4,
libzstd) at the same codec, level and shuffle, one thread on both sides.
Prints MB/s over the uncompressed bytes (best of N runs, the two sides
measured in alternation), the compression ratio of each, and ours as a
ratio to numcodecs (above 1: we are faster): the ratio of the two best
times, then the median over the N pairs of the ratio within each pair (the
two calls of a pair run back to back, under the same load).

    python bench/bench_numcodecs.py [--runs N] [--mib M] [--hash xxh3]
    python bench/bench_numcodecs.py --field 0.01 --dump f.bin   # the raw float32 field, for C benchmarks

Our side writes a complete message (preamble, CBOR metadata, index, frame
lengths) and, with ``--hash xxh3``, hashes the payload; numcodecs writes
the bare compressed stream and hashes nothing, so the default here is
``hash=None``.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import tensogram

try:
    import numcodecs
    from numcodecs import LZ4, Blosc, Zstd
except ImportError:  # pragma: no cover - depends on the machine
    print("skipped: numcodecs is not installed (Debian: python3-numcodecs)")
    sys.exit(0)


def field(mib: int, kind: str = "noise") -> np.ndarray:
    """A smooth float32 field (280 K +- 30 K) plus +-0.1 K uniform noise, C
    order, `mib` MiB.  kind "noise": as is (its low mantissa bits are random,
    so byte-level LZ codecs find few matches without a shuffle); "0.01":
    rounded to 0.01 K, as observations are stored (values repeat)."""
    n = mib * 1024 * 1024 // 4
    side = int(np.sqrt(n))
    rows = n // side
    y = np.linspace(0.0, 8.0 * np.pi, rows)[:, None]
    x = np.linspace(0.0, 8.0 * np.pi, side)[None, :]
    smooth = 280.0 + 30.0 * np.sin(y) * np.cos(x)
    rng = np.random.default_rng(42)
    values = smooth + rng.uniform(-0.1, 0.1, size=(rows, side))
    if kind == "0.01":
        values = np.round(values, 2)
    return np.ascontiguousarray(values.astype(np.float32))


# (row name, our descriptor's pipeline keys, numcodecs codec)
ROWS = [
    ("lz4", {"compression": "lz4"}, lambda: LZ4(acceleration=1)),
    ("zstd level 3, no filter", {"compression": "zstd", "zstd_level": 3}, lambda: Zstd(level=3)),
    (
        "shuffle + zstd 3",
        {"filter": "shuffle", "shuffle_element_size": 4, "compression": "zstd", "zstd_level": 3},
        lambda: Blosc(cname="zstd", clevel=3, shuffle=Blosc.SHUFFLE),
    ),
    (
        "blosc2 lz4, clevel 5, shuffle",
        {"compression": "blosc2", "blosc2_codec": "lz4", "blosc2_clevel": 5},
        lambda: Blosc(cname="lz4", clevel=5, shuffle=Blosc.SHUFFLE),
    ),
    (
        "blosc2 blosclz, clevel 5, shuffle",
        {"compression": "blosc2", "blosc2_codec": "blosclz", "blosc2_clevel": 5},
        lambda: Blosc(cname="blosclz", clevel=5, shuffle=Blosc.SHUFFLE),
    ),
]


CLOCKS = {"cpu": time.thread_time, "wall": time.perf_counter}


def best_pair(ours, theirs, runs, clock):
    """Best times of two calls measured in alternation, and the median over
    the pairs of theirs / ours."""
    ours()
    theirs()
    b_ours = b_theirs = float("inf")
    ratios = []
    for _ in range(runs):
        t0 = clock()
        ours()
        t1 = clock()
        theirs()
        t2 = clock()
        b_ours = min(b_ours, t1 - t0)
        b_theirs = min(b_theirs, t2 - t1)
        if t1 > t0:
            ratios.append((t2 - t1) / (t1 - t0))
    ratios.sort()
    median = ratios[len(ratios) // 2] if ratios else float("nan")
    return b_ours, b_theirs, median


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--mib", type=int, default=16)
    ap.add_argument("--hash", default=None, help="our per-object hash (default: none)")
    ap.add_argument("--only", default=None, help="run the rows whose name contains this")
    ap.add_argument("--field", choices=("noise", "0.01"), default="0.01")
    ap.add_argument("--dump", default=None, help="write the field (raw float32) to this file and stop")
    ap.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="cpu",
        help="cpu: this thread's CPU time (steady on a shared machine; both sides run on "
        "the calling thread); wall: elapsed time",
    )
    args = ap.parse_args(argv)

    # numcodecs' Blosc runs c-blosc's own threads unless told otherwise.
    numcodecs.blosc.use_threads = False
    numcodecs.blosc.set_nthreads(1)

    arr = field(args.mib, args.field)
    if args.dump:
        arr.tofile(args.dump)
        return 0
    nbytes = arr.nbytes
    mb = nbytes / 1e6
    print(
        "tensogram %s vs numcodecs %s: %d MiB float32 field (%s), one thread, best of %d, "
        "%s clock, hash %s"
        % (
            tensogram.__version__,
            numcodecs.__version__,
            args.mib,
            args.field,
            args.runs,
            args.clock,
            args.hash,
        )
    )
    print(
        "%-34s %19s %19s %13s %13s %15s"
        % ("pipeline", "ours enc/dec MB/s", "numcodecs MB/s", "ratio best", "ratio median", "sizes ours/nc")
    )
    for name, pipeline, make in ROWS:
        if args.only and args.only not in name:
            continue
        desc = {"type": "ntensor", "shape": list(arr.shape), "dtype": "float32", **pipeline}
        codec = make()

        def enc_ours():
            return tensogram.encode({}, [(desc, arr)], hash=args.hash, threads=1)

        def enc_nc():
            return codec.encode(arr)

        msg = enc_ours()
        comp = enc_nc()
        back = tensogram.decode(msg, threads=1).objects[0][1]
        if not np.array_equal(back, arr):
            print("%s: our round trip differs" % name)
            return 1
        if not np.array_equal(np.frombuffer(codec.decode(comp), np.float32).reshape(arr.shape), arr):
            print("%s: numcodecs round trip differs" % name)
            return 1

        def dec_ours():
            return tensogram.decode(msg, threads=1)

        def dec_nc():
            return codec.decode(comp)

        te_o, te_n, me = best_pair(enc_ours, enc_nc, args.runs, CLOCKS[args.clock])
        td_o, td_n, md = best_pair(dec_ours, dec_nc, args.runs, CLOCKS[args.clock])
        print(
            "%-34s %9.0f / %7.0f %9.0f / %7.0f %6.2f / %4.2f %6.2f / %4.2f %7.3f / %5.3f"
            % (
                name,
                mb / te_o,
                mb / td_o,
                mb / te_n,
                mb / td_n,
                te_n / te_o,
                td_n / td_o,
                me,
                md,
                nbytes / len(msg),
                nbytes / len(comp),
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
