"""GRIB and NetCDF conversion: probe availability before calling."""

import tensogram

print("GRIB converter:", tensogram.__has_grib__, " NetCDF converter:", tensogram.__has_netcdf__)
if tensogram.__has_grib__:
    messages = tensogram.convert_grib("forecast.grib2")
else:
    try:
        tensogram.convert_grib("forecast.grib2")
    except RuntimeError as e:
        print("convert_grib:", e)
if not tensogram.__has_netcdf__:
    try:
        tensogram.convert_netcdf("data.nc", split_by="variable")
    except RuntimeError as e:
        print("convert_netcdf:", str(e).split(":")[0])
