"""The xarray backend: what a point selection decodes, and how long opening takes.

1. One grid point across 100 messages (361 x 720 float64 fields,
   simple_packing 16 bits + szip): the decode calls the backend makes and
   the bytes they return (counted by wrapping the TensogramFile methods),
   the compressed szip blocks (reference sample intervals) that hold the
   selected point in each message (from the descriptors' szip_block_offsets),
   and the time against decoding the 100 objects whole (in-run baseline).
2. Opening a 1,000-message file: ``xr.open_dataset`` (one message),
   ``open_datasets`` (every message, merged into one hypercube) and the
   library scan alone (``len(TensogramFile)``) and the object index
   ``open_datasets`` builds (``scanner.scan_file``), against ``tensogram ls``
   on the same file (a separate process, start-up included; its start-up,
   ``tensogram --version``, is also subtracted to give ls's own work).  Wall
   and CPU times.

    python bench/bench_xarray.py [--cli PATH] [--repeat N] [--only point|opening]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time

import numpy as np

import tensogram
import tensogram_xarray
import tensogram_xarray.scanner
import xarray as xr

SZIP = {"encoding": "simple_packing", "sp_bits_per_value": 16, "compression": "szip",
        "szip_rsi": 128, "szip_block_size": 16, "szip_flags": 8}


def best(fn, repeat):
    t = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        t = min(t, time.perf_counter() - t0)
    return t


def point_selection(tmp, repeat):
    path = os.path.join(tmp, "steps100.tgm")
    ny, nx = 361, 720
    lat = np.radians(np.linspace(90, -90, ny))[:, None]
    lon = np.radians(np.linspace(0, 359.5, nx))[None, :]
    with tensogram.TensogramFile.create(path) as f:
        for step in range(100):
            field = 273 + 30 * np.cos(lat) + 5 * np.sin(3 * lon + step / 10) * np.cos(2 * lat)
            f.append({"base": [{"mars": {"param": "2t", "step": step}}]},
                     [({"type": "ntensor", "shape": [ny, nx], "dtype": "float64", **SZIP}, field)])
    row, col = 180, 360
    element = row * nx + col

    calls = []
    cls = tensogram.TensogramFile
    orig_r, orig_o = cls.file_decode_range, cls.file_decode_object

    def counted_range(f, *a, **k):
        out = orig_r(f, *a, **k)
        calls.append(("range", np.asarray(out).nbytes))
        return out

    def counted_object(f, *a, **k):
        out = orig_o(f, *a, **k)
        calls.append(("object", out["data"].nbytes))
        return out

    cls.file_decode_range, cls.file_decode_object = counted_range, counted_object
    try:
        (ds,) = tensogram_xarray.open_datasets(path, variable_key="mars.param")
        series = ds["2t"][:, row, col].values
    finally:
        cls.file_decode_range, cls.file_decode_object = orig_r, orig_o
    assert series.shape == (100,)

    # The compressed szip blocks holding the point, message by message; then
    # every other payload byte of the file is overwritten and the point read
    # again: if it is still right, the decoder used only those blocks.
    blocks = 0
    data = bytearray(open(path, "rb").read())
    with tensogram.TensogramFile.open(path) as f:
        rsi_values = SZIP["szip_rsi"] * SZIP["szip_block_size"]
        k = element // rsi_values
        pos = 0
        for m in range(len(f)):
            raw = f.read_message(m)
            start = bytes(data).find(raw, pos)
            pos = start + len(raw)
            offs = f.file_decode_descriptors(m)["descriptors"][0].params["szip_block_offsets"]
            if k + 1 >= len(offs):
                raise SystemExit("point in the last RSI: choose another")
            ((p0, p1),) = ntensor_payloads(raw)
            keep0, keep1 = p0 + offs[k] // 8, p0 + (offs[k + 1] + 7) // 8
            blocks += keep1 - keep0
            for i in list(range(start + p0, start + keep0)) + list(range(start + keep1, start + p1)):
                data[i] ^= 0x5A
        whole = sum(f.file_decode_object(m, 0)["data"].nbytes for m in range(len(f)))
    damaged = path + ".damaged"
    with open(damaged, "wb") as fh:
        fh.write(data)
    (dd,) = tensogram_xarray.open_datasets(damaged, variable_key="mars.param")
    intact = np.array_equal(dd["2t"][:, row, col].values, series)

    (d,) = tensogram_xarray.open_datasets(path, variable_key="mars.param")
    t_open = best(lambda: tensogram_xarray.open_datasets(path, variable_key="mars.param"), repeat)
    t_point = best(lambda: d["2t"][:, row, col].values, repeat)  # not cached: read each time

    def full():
        with tensogram.TensogramFile.open(path) as f:
            for m in range(len(f)):
                f.file_decode_object(m, 0)

    t_full = best(full, repeat)
    kinds = sorted({c[0] for c in calls})
    decoded = sum(c[1] for c in calls)
    print("1. one grid point across 100 messages (361x720 float64, simple_packing 16 + szip)")
    print("   decode calls: %d (%s), bytes returned: %d" % (len(calls), "/".join(kinds), decoded))
    print("   compressed szip blocks holding the point: %d bytes (%.0f per message)"
          % (blocks, blocks / 100))
    print("   every other payload byte overwritten: point still read right: %s" % intact)
    print("   -> bytes the decoder used <= %.2fx the selection's compressed blocks"
          % (1.0 if intact else float("nan")))
    print("   (whole objects: %d bytes decoded)" % whole)
    print("   time: open_datasets %.1f ms; the point read %.2f ms; the 100 objects decoded "
          "whole %.1f ms (%.0fx the point read)"
          % (t_open * 1e3, t_point * 1e3, t_full * 1e3, t_full / t_point))


def ntensor_payloads(msg: bytes):
    """(start, end) of each data object's payload in a message (24-byte
    preamble; frames "FR", type, version, flags, length, 8-byte aligned; an
    NTensorFrame's payload runs from byte 16 to its cbor_offset)."""
    import struct

    spans, pos = [], 24
    while pos + 16 <= len(msg) - 24 and msg[pos : pos + 2] == b"FR":
        ftype = struct.unpack(">H", msg[pos + 2 : pos + 4])[0]
        (length,) = struct.unpack(">Q", msg[pos + 8 : pos + 16])
        if ftype == 9:
            (cbor_offset,) = struct.unpack(">Q", msg[pos + length - 20 : pos + length - 12])
            spans.append((pos + 16, pos + cbor_offset))
        pos += (length + 7) & ~7
    return spans


def opening(tmp, cli, repeat):
    path = os.path.join(tmp, "msgs1000.tgm")
    with tensogram.TensogramFile.create(path) as f:
        for i in range(1000):
            f.append({"base": [{"mars": {"param": "2t", "step": i % 100, "number": i // 100}}]},
                     [({"type": "ntensor", "shape": [91, 180], "dtype": "float32",
                        "compression": "zstd"}, np.full((91, 180), i, np.float32))])
    size = os.path.getsize(path)

    def ls():
        subprocess.run([cli, "ls", path], check=True, stdout=subprocess.DEVNULL)

    def startup():
        subprocess.run([cli, "--version"], check=True, stdout=subprocess.DEVNULL)

    def scan():
        with tensogram.TensogramFile.open(path) as f:
            len(f)

    def index():
        tensogram_xarray.scanner.scan_file(path)

    def one():
        xr.open_dataset(path, engine="tensogram").close()

    def merged():
        tensogram_xarray.open_datasets(path, variable_key="mars.param")

    # Wall time, and CPU time (steadier on a shared machine: the child's for
    # the CLI, this process's for the rest).
    t_ls, c_ls = best(ls, repeat), best_cpu(ls, repeat, child=True)
    c_start = best_cpu(startup, repeat, child=True)
    rows = [("tensogram ls (process)", t_ls, c_ls),
            ("tensogram --version (start-up)", best(startup, repeat), c_start)]
    for name, fn in (("TensogramFile scan", scan), ("xr.open_dataset (message 0)", one),
                     ("scan_file (the index alone)", index),
                     ("open_datasets (all 1,000, merged)", merged)):
        rows.append((name, best(fn, repeat), best_cpu(fn, repeat)))
    work = max(c_ls - c_start, 1e-9)
    print("2. opening a 1,000-message file (%.1f MB); ls's own work (CPU, start-up "
          "subtracted): %.2f ms" % (size / 1e6, work * 1e3))
    print("   %-36s %9s %6s %9s %6s %8s" % ("", "wall ms", "/ ls", "CPU ms", "/ ls", "/ ls work"))
    for name, t, c in rows:
        print("   %-36s %9.2f %6.2f %9.2f %6.2f %8.2f"
              % (name, t * 1e3, t / t_ls, c * 1e3, c / c_ls, c / work))


def best_cpu(fn, repeat, child=False):
    """Best CPU time (user + system) of fn: this process's, or its
    children's (a subprocess it waits for)."""
    import resource

    def now():
        if child:
            r = resource.getrusage(resource.RUSAGE_CHILDREN)
            return r.ru_utime + r.ru_stime
        return time.process_time()

    t = float("inf")
    for _ in range(repeat):
        t0 = now()
        fn()
        t = min(t, now() - t0)
    return t


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", default=os.environ.get("TENSOGRAM_CLI") or os.path.join(
        here, "..", "..", "build", "release", "tools", "cli", "tensogram"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--only", choices=("point", "opening"), default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.only != "opening":
            point_selection(tmp, args.repeat)
        if args.only != "point":
            opening(tmp, args.cli, args.repeat)


if __name__ == "__main__":
    main()
