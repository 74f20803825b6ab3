"""GRIB to Tensogram with tensogram.convert_grib / convert_grib_buffer.

Converts a GRIB2 field (from a file and from bytes in memory), decodes the
result, checks both ways agree, and converts again with simple_packing +
zstd.  The input is a GRIB2 file named on the command line, or one of the
reference's sample files (TGM_SHARED_DIR or ../shared/reference/grib).
The converter is a feature of the build: without it
(tensogram.__has_grib__ is False) the example says so and stops.
"""

import os
import pathlib
import sys

import numpy as np

import tensogram

if not getattr(tensogram, "__has_grib__", False):
    print("convert_grib: not yet available in this build of tensogram "
          "(tensogram.__has_grib__ is False); nothing to do")
    sys.exit(0)


def grib_input():
    if len(sys.argv) > 1:
        return pathlib.Path(sys.argv[1])
    here = pathlib.Path(__file__).resolve().parent
    shared = os.environ.get("TGM_SHARED_DIR")
    for base in ([pathlib.Path(shared)] if shared else []) + [here.parents[2] / "shared" / "reference"]:
        candidate = base / "grib" / "2t.grib2"
        if candidate.is_file():
            return candidate
    return None


path = grib_input()
if path is None:
    print("no GRIB2 input: pass a file name, or set TGM_SHARED_DIR to the reference's samples")
    sys.exit(0)
print("input:", path, path.stat().st_size, "bytes")

from_file = tensogram.convert_grib(str(path))
from_buffer = tensogram.convert_grib_buffer(path.read_bytes())
print("convert_grib: %d message(s); convert_grib_buffer: %d" % (len(from_file), len(from_buffer)))

meta, objects = tensogram.decode(from_file[0])
desc, values = objects[0]
print("mars:", meta.base[0].get("mars"))
print("object: shape=%s dtype=%s min=%.2f max=%.2f" % (
    list(desc.shape), desc.dtype, np.nanmin(values), np.nanmax(values)))
_, objects_buf = tensogram.decode(from_buffer[0])
assert np.array_equal(values, objects_buf[0][1], equal_nan=True)

packed = tensogram.convert_grib(str(path), encoding="simple_packing", bits=16, compression="zstd")
print("simple_packing 16 bits + zstd: %d bytes (%.1f%% of the raw conversion)" % (
    len(packed[0]), 100.0 * len(packed[0]) / len(from_file[0])))
