"""NetCDF to Tensogram with tensogram.convert_netcdf, and back with to_netcdf.

Writes a small CF NetCDF file (packed temperature on an unlimited time
dimension x lat x lon), converts it (one message per variable, CF
attributes kept, zstd), reads the result, splits it by record, and writes
a NetCDF-4 file back from the messages: the packed variable comes back
packed, with its attributes.  The converter is a feature of the build:
when it is not there (tensogram.__has_netcdf__ is False), or the netCDF4
module needed to write the input is missing, the example says so and
stops.
"""

import os
import sys
import tempfile

import numpy as np

import tensogram

if not tensogram.__has_netcdf__:
    print("convert_netcdf: this build of tensogram has no NetCDF support "
          "(tensogram.__has_netcdf__ is False); nothing to do")
    sys.exit(0)
try:
    import netCDF4
except ImportError:
    print("netCDF4 is not installed (Debian: python3-netcdf4): cannot write the input file")
    sys.exit(0)

tmp = tempfile.mkdtemp()
nc_path = os.path.join(tmp, "demo.nc")
tgm_path = os.path.join(tmp, "demo.tgm")

rng = np.random.default_rng(12)
with netCDF4.Dataset(nc_path, "w", format="NETCDF4") as ds:
    ds.Conventions = "CF-1.10"
    ds.title = "convert_netcdf example"
    ds.createDimension("time", None)  # unlimited: records
    for name, size in (("lat", 10), ("lon", 16)):
        ds.createDimension(name, size)
    lat = ds.createVariable("lat", "f4", ("lat",))
    lat.units, lat.standard_name = "degrees_north", "latitude"
    lat[:] = np.linspace(-90, 90, 10)
    lon = ds.createVariable("lon", "f4", ("lon",))
    lon.units, lon.standard_name = "degrees_east", "longitude"
    lon[:] = np.linspace(0, 337.5, 16)
    time = ds.createVariable("time", "f8", ("time",))
    time.units, time.calendar = "days since 2000-01-01", "gregorian"
    time[:] = np.arange(4)
    temp = ds.createVariable("temperature", "i2", ("time", "lat", "lon"), fill_value=-32768)
    temp.units, temp.standard_name = "K", "air_temperature"
    temp.scale_factor, temp.add_offset = 0.01, 273.15
    temp[:] = 273.15 + 10 * rng.standard_normal((4, 10, 16))
print("wrote", nc_path, os.path.getsize(nc_path), "bytes")

messages = tensogram.convert_netcdf(nc_path, split_by="variable", cf=True, compression="zstd")
with open(tgm_path, "wb") as fh:
    for msg in messages:
        fh.write(msg)
print("convert_netcdf: %d message(s), %d bytes" % (len(messages), os.path.getsize(tgm_path)))

with tensogram.TensogramFile.open(tgm_path) as f:
    for i, (meta, objects) in enumerate(f):
        for j, (desc, arr) in enumerate(objects):
            entry = meta.base[j] if j < len(meta.base) else {}
            print("  message %d object %d: %-12s shape=%s dtype=%s cf=%s" % (
                i, j, entry.get("name", "?"), list(desc.shape), desc.dtype,
                sorted((entry.get("cf") or {}).keys())))

with netCDF4.Dataset(nc_path) as ds:
    expected = ds["temperature"][:].filled(np.nan)
found = None
with tensogram.TensogramFile.open(tgm_path) as f:
    for meta, objects in f:
        for j, (desc, arr) in enumerate(objects):
            if meta.base[j].get("name") == "temperature":
                found = arr
assert found is not None and np.allclose(found, expected, equal_nan=True)
print("temperature matches the NetCDF values")

# One message per record of the unlimited dimension; each repeats the
# static variables (lat, lon).
records = tensogram.convert_netcdf(nc_path, split_by="record")
print("split_by='record': %d message(s)" % len(records))

# Back to NetCDF-4 from the per-variable messages.
back_path = os.path.join(tmp, "back.nc")
tensogram.to_netcdf(messages, back_path)
with netCDF4.Dataset(nc_path) as a, netCDF4.Dataset(back_path) as b:
    a.set_auto_maskandscale(False)
    b.set_auto_maskandscale(False)
    ta, tb = a["temperature"], b["temperature"]
    assert tb.dtype == ta.dtype and tb.dimensions == ta.dimensions
    assert np.array_equal(ta[:], tb[:])
    assert tb.scale_factor == ta.scale_factor and tb.add_offset == ta.add_offset
    print("to_netcdf: %s, temperature back as %s%s with scale_factor %g, add_offset %g" % (
        back_path, tb.dtype, tb.dimensions, tb.scale_factor, tb.add_offset))
