"""Several tensors in one message; read one object, or a few elements."""

import numpy as np

import tensogram

spectrum = np.random.default_rng(1).standard_normal(256)
mask = np.array([1, 0, 1, 1, 0], dtype=np.uint8)
levels = np.arange(137, dtype=np.int32)
msg = tensogram.encode({"base": [{"name": "spectrum"}, {"name": "mask"}, {"name": "levels"}]}, [
    ({"type": "ntensor", "shape": [256], "dtype": "float64", "compression": "zstd"}, spectrum),
    ({"type": "ntensor", "shape": [5], "dtype": "uint8"}, mask),
    ({"type": "ntensor", "shape": [137], "dtype": "int32"}, levels),
])

meta, descriptors = tensogram.decode_descriptors(msg)  # layout only
for i, d in enumerate(descriptors):
    print(i, meta.base[i]["name"], d.shape, d.dtype, d.compression)

meta, desc, arr = tensogram.decode_object(msg, index=2)  # O(1) through the index frame
print("object 2:", desc.dtype, arr[:5], "...")

parts = tensogram.decode_range(msg, object_index=2, ranges=[(10, 3), (100, 2)])
print("ranges:", [p.tolist() for p in parts])
joined = tensogram.decode_range(msg, 2, [(10, 3), (100, 2)], join=True)
assert joined.tolist() == [10, 11, 12, 100, 101]
