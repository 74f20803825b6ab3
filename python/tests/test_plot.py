"""Quick-look pictures: `tensogram plot` (the C tool, libpng) and
tensogram.plot / xarray's .plot() (matplotlib).

The PNG written by the tool is decoded here with zlib alone, and its pixels
are compared with matplotlib's own viridis table (an independent
expectation): the field's area has the expected size, each pixel has the
colour of its data value, NaN cells are grey, north is up."""

from __future__ import annotations

import os
import re
import struct
import subprocess
import zlib

import numpy as np
import pytest

import tensogram

CLI = os.environ.get("TENSOGRAM_CLI")
GREY = (190, 190, 190)


def read_png(path):
    """8-bit RGB PNG -> (H, W, 3) uint8 (filters 0-4, no interlace)."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert (depth, ctype, interlace) == (8, 2, 0)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = width * 3
    out = np.zeros((height, stride), dtype=np.int32)
    prev = np.zeros(stride, dtype=np.int32)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = np.frombuffer(raw, np.uint8, stride, y * (stride + 1) + 1).astype(np.int32)
        cur = np.zeros(stride, dtype=np.int32)
        for x in range(stride):
            a = cur[x - 3] if x >= 3 else 0
            b = prev[x]
            c = prev[x - 3] if x >= 3 else 0
            if f == 0:
                p = 0
            elif f == 1:
                p = a
            elif f == 2:
                p = b
            elif f == 3:
                p = (a + b) // 2
            else:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                p = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            cur[x] = (line[x] + p) & 0xFF
        out[y] = cur
        prev = cur
    return out.reshape(height, width, 3).astype(np.uint8)


def desc(shape, dtype="float64", **kw):
    return {"type": "ntensor", "shape": list(shape), "dtype": dtype, **kw}


@pytest.fixture
def field_file(tmp_path):
    """latitude (30, south first), longitude (45), a 30x45 field with a NaN
    block in the northernmost rows, and a 3-D object (4, 30, 45)."""
    lat = np.linspace(-87, 87, 30)
    lon = np.arange(45) * 8.0
    field = np.add.outer(np.linspace(0, 1, 30), np.linspace(0, 2, 45)) * 10 + 250
    field[-5:, 10:20] = np.nan  # northern rows (latitude increases)
    cube = np.stack([field * 0 + k for k in range(4)])
    cube[:, 0, 0] = -1
    path = str(tmp_path / "field.tgm")
    with tensogram.TensogramFile.create(path) as f:
        f.append(
            {"base": [{"name": "latitude"}, {"name": "longitude"},
                      {"mars": {"param": "2t", "date": "20260401", "step": 12}, "units": "K"},
                      {"name": "levels"}]},
            [(desc([30]), lat), (desc([45]), lon),
             (desc([30, 45], compression="zstd"), field),
             (desc([4, 30, 45]), cube)],
            allow_nan=True,
        )
    return path, field, cube


def run_cli(*args):
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=60)


def geometry(stdout):
    m = re.search(r": (\d+)x(\d+), field (\d+)x(\d+) at \((\d+),(\d+)\)", stdout)
    return tuple(int(g) for g in m.groups())


def viridis(t):
    cm = pytest.importorskip("matplotlib").colormaps["viridis"]
    return np.round(np.asarray(cm(np.clip(t, 0, 1)))[..., :3] * 255)


needs_cli = pytest.mark.skipif(not CLI, reason="TENSOGRAM_CLI not set (run through ctest)")


@needs_cli
def test_cli_plot_pixels_follow_the_colour_map(field_file, tmp_path):
    path, field, _ = field_file
    out = str(tmp_path / "f.png")
    r = run_cli("plot", path, "--object", "2", "-o", out, "--width", "180", "--height", "180")
    assert r.returncode == 0, r.stderr
    assert "2t  20260401  step 12" in r.stdout and "min 250  max 280 K" in r.stdout
    width, height, mw, mh, mx, my = geometry(r.stdout)
    img = read_png(out)
    assert img.shape == (height, width, 3)
    assert (mw, mh) == (180, 120)  # 45x30 cells, magnified 4x to fit 180x180
    area = img[my : my + mh, mx : mx + mw].astype(float)
    north_up = field[::-1]  # latitude increases: the last row is drawn on top
    cells = np.repeat(np.repeat(north_up, 4, axis=0), 4, axis=1)
    nan = np.isnan(cells)
    assert (area[nan] == GREY).all()
    lo, hi = np.nanmin(field), np.nanmax(field)
    expected = viridis((cells[~nan] - lo) / (hi - lo))
    err = np.abs(area[~nan] - expected)
    assert err.max() <= 4 and err.mean() < 1.5
    assert not (area[~nan] == GREY).all(axis=1).any()
    # colour bar: the top has the maximum's colour, the bottom the minimum's
    bar = img[my : my + mh, mx + mw + 16 + 9]
    assert np.abs(bar[0] - viridis(1.0)).max() <= 4
    assert np.abs(bar[-1] - viridis(0.0)).max() <= 4


@needs_cli
def test_cli_plot_slice_of_3d_and_errors(field_file, tmp_path):
    path, _, cube = field_file
    out = str(tmp_path / "s.png")
    r = run_cli("plot", path, "--object", "3", "--index", "2", "-o", out)
    assert r.returncode == 0, r.stderr
    assert "min -1  max 2" in r.stdout  # slice 2: values 2 and the -1 corner
    r = run_cli("plot", path, "--object", "0", "-o", out)
    assert r.returncode == 1 and "1 dimension" in r.stderr
    r = run_cli("plot", path, "--object", "3", "--index", "9", "-o", out)
    assert r.returncode == 1 and "--index" in r.stderr
    r = run_cli("plot", path, "-m", "5")
    assert r.returncode == 1 and "out of range" in r.stderr
    r = run_cli("plot", path, "--width", "x")
    assert r.returncode == 2


def test_python_plot(field_file, tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    path, field, _ = field_file
    out = tmp_path / "p.png"
    ax = tensogram.plot(path, object=2, output=out)
    image = ax.get_images()[0]
    data = image.get_array()
    np.testing.assert_array_equal(data.mask, np.isnan(field[::-1]))
    np.testing.assert_array_equal(data.filled(0)[~data.mask], field[::-1][~np.isnan(field[::-1])])
    assert ax.get_title() == "2t  20260401  step 12"
    assert tuple(image.get_extent()) == (0.0, 352.0, -87.0, 87.0)
    assert image.cmap(np.ma.masked)[:3] == pytest.approx(tuple(c / 255 for c in GREY))
    assert out.stat().st_size > 1000
    ax3 = tensogram.plot(path, object=3, index=(1,))
    assert ax3.get_images()[0].get_array().max() == 1
    with pytest.raises(ValueError):
        tensogram.plot(path, object=0)


def test_xarray_plot_on_our_dataset(field_file, tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    xr = pytest.importorskip("xarray")
    matplotlib.use("Agg")
    ds = xr.open_dataset(field_file[0], engine="tensogram", variable_key="mars.param")
    artist = ds["2t"].plot()
    assert artist.axes.get_xlabel().startswith("longitude")
    assert artist.get_array().size == 30 * 45
    artist.figure.savefig(tmp_path / "x.png")
