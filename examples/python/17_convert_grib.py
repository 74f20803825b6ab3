"""GRIB to Tensogram and back: convert_grib, convert_grib_buffer, to_grib.

Converts a GRIB file (one float64 object per GRIB message, MARS keys in
base[i]["mars"]), converts the same bytes from memory (as after a
byte-range download), packs the fields with simple_packing + szip, and
rebuilds the GRIB file from the Tensogram messages: ecCodes gives back the
same messages.

Input: a GRIB file named on the command line; otherwise two fields made
here from ecCodes' own samples with python3-eccodes (2 m temperature and a
500 hPa field with a few missing points).  The converter is a feature of
the build: without it (tensogram.__has_grib__ is False) the example says so
and stops.
"""

import os
import sys
import tempfile

import numpy as np

import tensogram

if not tensogram.__has_grib__:
    print("convert_grib: this build of tensogram has no GRIB support "
          "(tensogram.__has_grib__ is False); nothing to do")
    sys.exit(0)

tmp = tempfile.mkdtemp()


def make_input(path):
    """Two GRIB 2 messages from ecCodes samples, with smooth fields."""
    import eccodes

    with open(path, "wb") as out:
        for sample, short_name, level, missing in (("regular_ll_sfc_grib2", "2t", None, False),
                                                   ("regular_ll_pl_grib2", "t", 500, True)):
            h = eccodes.codes_grib_new_from_samples(sample)
            eccodes.codes_set(h, "shortName", short_name)
            if level is not None:
                eccodes.codes_set(h, "level", level)
            n = eccodes.codes_get_size(h, "values")
            lat = np.linspace(-1, 1, n)
            values = 280.0 + 25.0 * np.cos(np.pi * lat) + np.sin(np.arange(n) / 7.0)
            if missing:  # points missing from the field: a bitmap
                eccodes.codes_set(h, "bitmapPresent", 1)
                values[::50] = eccodes.codes_get(h, "missingValue")
            eccodes.codes_set_values(h, values)
            out.write(eccodes.codes_get_message(h))
            eccodes.codes_release(h)


if len(sys.argv) > 1:
    path = sys.argv[1]
else:
    path = os.path.join(tmp, "fields.grib2")
    try:
        make_input(path)
    except ImportError:
        print("python3-eccodes is not installed: pass a GRIB file on the command line")
        sys.exit(0)
raw = open(path, "rb").read()
print("input: %s, %d bytes" % (path, len(raw)))

# One Tensogram message holding every GRIB message (grouping="merge_all"),
# or one message each (grouping="one_to_one").
messages = tensogram.convert_grib(path)
meta, objects = tensogram.decode(messages[0])
print("convert_grib: %d message(s), %d object(s)" % (len(messages), len(objects)))
for entry, (desc, values) in zip(meta.base, objects):
    mars = entry["mars"]
    print("  param=%s levtype=%s levelist=%s grid=%s shape=%s  min=%.2f max=%.2f  %d missing" % (
        mars.get("param"), mars.get("levtype"), mars.get("levelist", "-"), mars.get("grid"),
        list(desc.shape), np.nanmin(values), np.nanmax(values), int(np.isnan(values).sum())))

# The same from memory: any bytes-like object (bytes, memoryview, numpy).
from_buffer = tensogram.convert_grib_buffer(memoryview(raw), grouping="one_to_one")
assert len(from_buffer) == len(objects)
for (_, values), msg in zip(objects, from_buffer):
    _, objs = tensogram.decode(msg)
    assert np.array_equal(values, objs[0][1], equal_nan=True)
print("convert_grib_buffer (one_to_one): %d message(s), same values" % len(from_buffer))

# Every ecCodes namespace, and a packed encoding.
all_keys = tensogram.convert_grib(path, preserve_all_keys=True)
grib = tensogram.decode_metadata(all_keys[0]).base[0]["grib"]
print("preserve_all_keys: namespaces", sorted(grib))
packed = tensogram.convert_grib(path, encoding="simple_packing", bits=16, compression="szip",
                                threads=2)
_, packed_objects = tensogram.decode(packed[0])
worst = max(float(np.nanmax(np.abs(p[1] - o[1]))) for p, o in zip(packed_objects, objects))
print("simple_packing 16 bits + szip: %d bytes (raw float64: %d), max error %.2g" % (
    len(packed[0]), len(messages[0]), worst))

# Back to GRIB: the original messages, header and values.
back = tensogram.to_grib(messages)
print("to_grib: %d bytes, %s" % (len(back), "identical to the input" if back == raw else
                                  "the same fields"))
out = os.path.join(tmp, "back.grib2")
with open(out, "wb") as fh:
    fh.write(back)
again = tensogram.convert_grib(out)
_, objects_again = tensogram.decode(again[0])
for (_, a), (_, b) in zip(objects, objects_again):
    assert np.array_equal(a, b, equal_nan=True)
print("converted again: same values")
