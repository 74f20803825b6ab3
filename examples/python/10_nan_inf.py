"""Non-finite values: refused by default, or stored as bitmasks."""

import numpy as np

import tensogram

values = np.array([1.0, np.nan, 3.0, np.inf, -np.inf, 6.0])
desc = {"type": "ntensor", "shape": [6], "dtype": "float64"}
try:
    tensogram.encode({}, [(desc, values)])
except ValueError as e:
    print("refused:", str(e)[:60], "...")

msg = tensogram.encode({}, [(desc, values)], allow_nan=True, allow_inf=True,
                       nan_mask_method="roaring", small_mask_threshold_bytes=0)
print("restored:", tensogram.decode(msg).objects[0][1])
print("as stored:", tensogram.decode(msg, restore_non_finite=False).objects[0][1])

meta, objects = tensogram.decode_with_masks(msg)
desc_out, payload, masks = objects[0]
for kind, mask in masks.items():
    print("%-5s at %s" % (kind, np.flatnonzero(mask).tolist()))
