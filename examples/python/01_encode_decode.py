"""Encode a 2-D field into a Tensogram message and decode it back."""

import numpy as np

import tensogram

# A 2-D temperature field in kelvin.
temps = 273.15 + 10.0 * np.random.default_rng(0).standard_normal((100, 200)).astype(np.float32)
descriptor = {"type": "ntensor", "shape": [100, 200], "dtype": "float32"}

message = tensogram.encode({}, [(descriptor, temps)])
print("encoded %d values into %d bytes" % (temps.size, len(message)))

meta, objects = tensogram.decode(message)
desc, array = objects[0]
print("decoded", desc, "->", array.shape, array.dtype)
assert np.array_equal(array, temps)

# The same with compression: lossless zstd at level 9.
compressed = tensogram.encode({}, [(dict(descriptor, compression="zstd", zstd_level=9), temps)])
print("zstd: %d bytes (%.1f%% of raw)" % (len(compressed), 100.0 * len(compressed) / temps.nbytes))
assert np.array_equal(tensogram.decode(compressed).objects[0][1], temps)
