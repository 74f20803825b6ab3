"""A .tgm file of many messages: append, count, index, slice, iterate."""

import os
import tempfile

import numpy as np

import tensogram

path = os.path.join(tempfile.mkdtemp(), "forecast.tgm")
with tensogram.TensogramFile.create(path) as f:
    for step in range(0, 24, 6):
        field = np.full((10, 20), 280.0 + step, dtype=np.float32)
        desc = {"type": "ntensor", "shape": [10, 20], "dtype": "float32", "compression": "lz4"}
        f.append({"base": [{"step": step}]}, [(desc, field)])

with tensogram.TensogramFile.open(path) as f:
    print("messages:", len(f))
    meta, objects = f[-1]
    print("last step:", meta["step"], "mean", float(objects[0][1].mean()))
    print("steps 0 and 12:", [m.metadata["step"] for m in f[0:3:2]])
    for meta, objects in f:
        print("step %2d -> %s" % (meta["step"], objects[0][1].shape))
    one = f.file_decode_object(1, 0)
    print("file_decode_object:", one["metadata"]["step"], one["data"].dtype)
    raw = f.read_message(0)  # bytes, e.g. for forwarding
    print("raw message 0: %d bytes" % len(raw))
