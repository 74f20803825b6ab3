"""Statistics over a 4-D field (time x level x lat x lon) kept in 4 .tgm files,
computed by dask on a local cluster of 2 worker processes.

Each file holds one time: latitude, longitude and one object per pressure
level.  xarray opens them lazily (chunks={}: one dask chunk per object);
the workers decode only the objects their tasks need.
"""

import os
import tempfile
import time

import numpy as np

import tensogram

try:
    import dask
    import dask.array as da
    import xarray as xr
except ImportError:
    print("xarray / dask not installed (Debian: python3-xarray python3-dask): nothing to do")
    raise SystemExit(0)

LEVELS = [1000, 925, 850, 700, 500, 400, 300, 200, 100, 50]
NLAT, NLON = 73, 144

def main():
    # Worker processes import this file again: everything runs under main().
    tmp = tempfile.mkdtemp()
    lat = np.linspace(90, -90, NLAT)
    lon = np.linspace(0, 357.5, NLON)


    def desc(shape, **kw):
        return {"type": "ntensor", "shape": list(shape), "dtype": "float64", **kw}


    paths = []
    for day in range(4):
        path = os.path.join(tmp, "t_2026040%d.tgm" % (day + 1))
        rng = np.random.default_rng(day)
        objects = [(desc([NLAT]), lat), (desc([NLON]), lon)]
        base = [{"name": "latitude"}, {"name": "longitude"}]
        for lev in LEVELS:
            t = 288 - 6.5 * (1000 - lev) / 100 + rng.standard_normal((NLAT, NLON))
            objects.append((desc([NLAT, NLON], compression="zstd"), t))
            base.append({"name": "t_%dhPa" % lev, "units": "K", "level": lev})
        with tensogram.TensogramFile.create(path) as f:
            f.append({"base": base, "date": "2026040%d" % (day + 1)}, objects)
        paths.append(path)

    datasets = [xr.open_dataset(p, engine="tensogram", chunks={}) for p in paths]
    names = ["t_%dhPa" % lev for lev in LEVELS]
    cube = da.stack([da.stack([ds[n].data for n in names]) for ds in datasets])
    print("4-D cube:", cube.shape, "chunks per axis:", [len(c) for c in cube.chunks])

    try:
        from distributed import Client, LocalCluster
    except ImportError:
        Client = None

    t0 = time.perf_counter()
    if Client is not None:
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None, host="127.0.0.1") as cluster, Client(cluster):
            mean, std, lo, hi = dask.compute(cube.mean(), cube.std(), cube.min(), cube.max())
            profile = cube.mean(axis=(0, 2, 3)).compute()
        where = "a LocalCluster of 2 worker processes"
    else:
        mean, std, lo, hi = dask.compute(cube.mean(), cube.std(), cube.min(), cube.max())
        profile = cube.mean(axis=(0, 2, 3)).compute()
        where = "the threaded scheduler (python3-distributed not installed)"
    print("computed on %s in %.2f s" % (where, time.perf_counter() - t0))
    print("mean %.2f K  std %.2f K  min %.2f K  max %.2f K" % (mean, std, lo, hi))
    for lev, t in zip(LEVELS, profile):
        print("  %4d hPa  %.2f K" % (lev, t))
    expected = np.mean([[ds[n].values for n in names] for ds in datasets])
    assert abs(mean - expected) < 1e-9


if __name__ == "__main__":
    main()
