"""Per-object metadata (base), message-level metadata (extra), and lookups."""

import numpy as np

import tensogram

t2m = np.full((3, 4), 288.0, dtype=np.float32)
msl = np.full((3, 4), 101325.0, dtype=np.float32)
meta_in = {
    # One dict per object, in object order.
    "base": [
        {"mars": {"class": "od", "param": "2t", "levtype": "sfc"}, "units": "K"},
        {"mars": {"class": "od", "param": "msl", "levtype": "sfc"}, "units": "Pa"},
    ],
    # Message-level keys; top-level keys other than base/_extra_ land here too.
    "_extra_": {"producer": "example"},
    "run": "2026-01-01T00Z",
}
grid = {"type": "ntensor", "shape": [3, 4], "dtype": "float32"}
msg = tensogram.encode(meta_in, [(grid, t2m), (grid, msl)])

meta = tensogram.decode_metadata(msg)  # no payload is decoded
print("version", meta.version, "objects", meta.num_objects)
print("extra:", meta.extra)
print("first match of 'units':", meta["units"])           # base[0] first
print("per object:", [meta.get_path_at(i, "mars.param") for i in range(meta.num_objects)])
print("dotted path:", meta.get_path("mars.levtype"), meta.get_path("extra.producer"))
print("tensor layout recorded by the encoder:", meta.base[1]["_reserved_"]["tensor"])
print("provenance:", sorted(meta.reserved))
assert meta.get("missing", "default") == "default"
