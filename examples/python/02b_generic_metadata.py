"""Metadata in any vocabulary: the library stores keys, it never reads them.

Two made-up namespaces ("product" and "instrument") describe a 2-D image;
CF, BIDS, DICOM or your own keys work the same way.  Lookups use dotted
paths; the same file opens in xarray with the variable named from
"product.name".
"""

import os
import tempfile

import numpy as np

import tensogram

image = np.random.default_rng(3).random((64, 96)).astype(np.float32)
meta = {
    "base": [
        {
            "product": {"name": "reflectance", "level": "L1b", "version": 4},
            "instrument": {"platform": "sat-7", "band": 3, "wavelength_nm": 645.5},
            "dim_names": ["row", "column"],
        }
    ],
    "campaign": "demo-2026",  # message-level key: stored under _extra_
}
desc = {"type": "ntensor", "shape": [64, 96], "dtype": "float32", "compression": "zstd"}
msg = tensogram.encode(meta, [(desc, image)])

decoded = tensogram.decode_metadata(msg)
print("product:", decoded.base[0]["product"])
print("band via dotted path:", decoded.get_path_at(0, "instrument.band"))
print("has instrument.gain?", decoded.has_path_at(0, "instrument.gain"))
print("message-level:", decoded.extra)
assert decoded.get_path_at(0, "product.name") == "reflectance"

try:
    import xarray as xr
except ImportError:
    print("xarray not installed (Debian: python3-xarray): skipping the xarray view")
    raise SystemExit(0)

path = os.path.join(tempfile.mkdtemp(), "image.tgm")
with open(path, "wb") as fh:
    fh.write(msg)
ds = xr.open_dataset(path, engine="tensogram", variable_key="product.name")
print(ds)
assert ds["reflectance"].dims == ("row", "column")
assert ds["reflectance"].attrs["instrument"]["band"] == 3
