"""GRIB-style simple packing: quantise to N bits, then compress with szip."""

import numpy as np

import tensogram

lat = np.linspace(-90, 90, 181)[:, None]
lon = np.linspace(0, 359, 360)[None, :]
field = 273.15 + 30.0 * np.cos(np.radians(lat)) + 2.0 * np.sin(np.radians(3 * lon))

params = tensogram.compute_packing_params(field.ravel(), bits_per_value=16,
                                          decimal_scale_factor=0)
print("packing parameters:", params)
desc = {"type": "ntensor", "shape": list(field.shape), "dtype": "float64",
        "encoding": "simple_packing", "compression": "szip",
        "szip_rsi": 128, "szip_block_size": 16, "szip_flags": 8, **params}
msg = tensogram.encode({}, [(desc, field)])
decoded = tensogram.decode(msg).objects[0][1]
print("%d bytes for %d float64 values (%.1f bits/value), max error %.2e K"
      % (len(msg), field.size, 8.0 * len(msg) / field.size, np.max(np.abs(decoded - field))))

# Only the bit width given: the encoder derives the other parameters itself.
auto = dict(desc)
for key in ("sp_reference_value", "sp_binary_scale_factor"):
    auto.pop(key)
assert np.allclose(tensogram.decode(tensogram.encode({}, [(auto, field)])).objects[0][1],
                   decoded)

# szip keeps random access: read one row without decoding the rest.
row = tensogram.decode_range(msg, 0, [(90 * 360, 360)], join=True)
print("row 90 (equator) mean: %.3f" % row.mean())
