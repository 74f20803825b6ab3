"""zarr arrays whose chunks are Tensogram messages (numcodecs codec)."""

import os
import tempfile

import numpy as np

import tensogram

try:
    import numcodecs
    import zarr
except ImportError:
    print("zarr / numcodecs not installed (Debian: python3-zarr python3-numcodecs); skipping")
    raise SystemExit(0)

# Found through the numcodecs.codecs entry point: no import of the codec needed.
codec = numcodecs.get_codec({"id": "tensogram", "compression": "zstd", "zstd_level": 5})
print(codec)

path = os.path.join(tempfile.mkdtemp(), "field.zarr")
data = np.cumsum(np.random.default_rng(2).standard_normal((256, 512)), axis=1)
z = zarr.open(path, mode="w", shape=data.shape, chunks=(64, 128), dtype="f8", compressor=codec)
z[:] = data
assert np.array_equal(zarr.open(path, mode="r")[:], data)

chunk = os.path.join(path, "1.2")
with open(chunk, "rb") as fh:
    meta, objects = tensogram.decode(fh.read())
print("chunk 1.2 is a Tensogram message:", objects[0][0], "hash verified:",
      tensogram.validate(open(chunk, "rb").read())["hash_verified"])

# As a filter in front of another compressor.
z2 = zarr.zeros((100, 100), chunks=(50, 50), dtype="i4",
                filters=[tensogram.codec.Tensogram()], compressor=numcodecs.Zlib())
z2[:] = np.arange(10000).reshape(100, 100)
print("filter round trip ok:", int(z2[99, 99]))

# ---- A .tgm file as a zarr group (tensogram_zarr.TensogramStore, zarr 2 store) ----
from tensogram_zarr import TensogramStore  # also tensogram.zarr.TensogramStore

tgm = os.path.join(tempfile.mkdtemp(), "fields.tgm")
with TensogramStore(tgm, mode="w") as store:  # closing writes one message
    root = zarr.open_group(store=store, mode="w")
    root.attrs["experiment"] = "zarr-demo"
    t = root.create_dataset("temperature", data=data.astype(np.float32), chunks=(64, 128))
    t.attrs["units"] = "K"
    root.create_dataset("pressure", data=np.array([1000.0, 925.0, 850.0, 700.0]))
with tensogram.TensogramFile.open(tgm) as f:
    print("written: %d message, objects %s" % (
        len(f), [b["name"] for b in f.file_decode_metadata(0).base]))

root = zarr.open_group(store=TensogramStore.open_tgm(tgm), mode="r")
print("arrays:", sorted(root.array_keys()), "group attrs:", dict(root.attrs))
assert np.array_equal(root["temperature"][10:20, :5], data.astype(np.float32)[10:20, :5])
print("temperature units:", root["temperature"].attrs["units"])
