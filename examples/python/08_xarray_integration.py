"""Tensogram files in xarray: engine "tensogram", lazy and partial reads.

1. one message with coordinate objects (latitude, longitude) and two fields;
2. 24 messages (one per forecast step) merged into one hypercube;
3. a point time series decoded from 24 messages without decoding the fields.
"""

import os
import tempfile

import numpy as np

import tensogram

try:
    import xarray as xr
except ImportError:
    print("xarray not installed (Debian: python3-xarray): nothing to show")
    raise SystemExit(0)

import tensogram_xarray  # the reference's name; tensogram.xarray is the same package

tmp = tempfile.mkdtemp()
lat = np.linspace(90, -90, 91)
lon = np.arange(0, 360, 2.0)


def field(step):
    la, lo = np.meshgrid(np.radians(lat), np.radians(lon), indexing="ij")
    return 273.15 + 30 * np.cos(la) + 5 * np.sin(lo + step / 4)


def desc(shape, **kw):
    return {"type": "ntensor", "shape": list(shape), "dtype": "float64", **kw}


packed = {"encoding": "simple_packing", "sp_bits_per_value": 16, "compression": "szip",
          "szip_rsi": 128, "szip_block_size": 16, "szip_flags": 8}

# 1. coordinates travel as objects named latitude / longitude
path = os.path.join(tmp, "analysis.tgm")
with tensogram.TensogramFile.create(path) as f:
    f.append(
        {"base": [{"name": "latitude", "units": "degrees_north"},
                  {"name": "longitude", "units": "degrees_east"},
                  {"mars": {"param": "2t"}, "units": "K"},
                  {"mars": {"param": "msl"}, "units": "Pa"}],
         "centre": "ecmf"},
        [(desc([91]), lat), (desc([180]), lon),
         (desc([91, 180], **packed), field(0)),
         (desc([91, 180], **packed), 101325 + 500 * np.sin(np.radians(lat))[:, None] + 0 * lon)],
    )
ds = xr.open_dataset(path, engine="tensogram", variable_key="mars.param")
print(ds)
print("2t at 50N 10E:", float(ds["2t"].sel(latitude=50, longitude=10)), "K")

# 2. one message per step, merged along the varying metadata key
path = os.path.join(tmp, "forecast.tgm")
with tensogram.TensogramFile.create(path) as f:
    for step in range(0, 72, 3):
        f.append({"base": [{"mars": {"param": "2t", "date": "20260401", "step": step}}]},
                 [(desc([91, 180], **packed), field(step))])
(fc,) = tensogram_xarray.open_datasets(path, variable_key="mars.param",
                                        dim_names=["latitude", "longitude"])
print(fc)

# 3. a point through all steps: each message decodes one element (decode_range)
series = fc["2t"][:, 20, 5].values
print("2t at one grid point, steps 0..69:", np.round(series[:6], 2), "...")
with tensogram.TensogramFile.open(path) as f:
    direct = [f.decode_message(i).objects[0][1][20, 5] for i in range(len(f))]
assert np.array_equal(series, direct)
