"""Payloads packed elsewhere go into a message as they are (encode_pre_encoded).

Here the "elsewhere" is NumPy: simple_packing stores each value as an
N-bit unsigned integer X with value = (R + X * 2**E) / 10**D, MSB first.
With 16 bits that is just a big-endian uint16 array.
"""

import numpy as np

import tensogram

values = np.cumsum(np.random.default_rng(3).standard_normal(10000))
params = tensogram.compute_packing_params(values, bits_per_value=16, decimal_scale_factor=0)
R = params["sp_reference_value"]
E = params["sp_binary_scale_factor"]
D = params["sp_decimal_scale_factor"]
packed = np.round((values * 10.0**D - R) / 2.0**E).astype(">u2").tobytes()

desc = {"type": "ntensor", "shape": [values.size], "dtype": "float64",
        "encoding": "simple_packing", **params}
msg = tensogram.encode_pre_encoded({"base": [{"source": "packed by numpy"}]}, [(desc, packed)])
decoded = tensogram.decode(msg, verify_hash=True).objects[0][1]  # hashes were computed
print("%d packed bytes -> message of %d bytes; max error %.2e (step %.2e)"
      % (len(packed), len(msg), np.max(np.abs(decoded - values)), 2.0**E))

# The library's own packing of the same values decodes identically.
same = tensogram.decode(tensogram.encode({}, [(desc, values)])).objects[0][1]
assert np.array_equal(decoded, same)
print("identical to tensogram.encode's packing")
