"""The numcodecs codec "tensogram" and its use by zarr (v2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import tensogram

numcodecs = pytest.importorskip("numcodecs")
from tensogram.codec import Tensogram  # noqa: E402


def test_entry_point_finds_the_codec_without_import():
    code = (
        "import sys, numcodecs\n"
        "assert 'tensogram' not in sys.modules\n"
        "c = numcodecs.get_codec({'id': 'tensogram', 'compression': 'zstd', 'zstd_level': 3})\n"
        "print(type(c).__module__, type(c).__name__, c.codec_id)\n"
    )
    # A neutral working directory: the source tree would shadow the install.
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd="/", check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["tensogram.codec", "Tensogram", "tensogram"]


def test_config_roundtrip():
    c = Tensogram(compression="zstd", zstd_level=5, filter="shuffle", shuffle_element_size=4)
    cfg = c.get_config()
    assert cfg == {"id": "tensogram", "encoding": "none", "filter": "shuffle",
                   "compression": "zstd", "hash": "xxh3", "zstd_level": 5,
                   "shuffle_element_size": 4}
    again = numcodecs.get_codec(cfg)
    assert isinstance(again, Tensogram) and again == c and hash(again) == hash(c)
    assert Tensogram.from_config(cfg) == c
    assert json.loads(json.dumps(cfg)) == cfg  # storable in .zarray
    assert "zstd_level=5" in repr(c)
    with pytest.raises(ValueError):
        Tensogram(dtype="float32")


@pytest.mark.parametrize("arr", [
    np.arange(24, dtype=np.float32).reshape(2, 3, 4),
    np.arange(10, dtype=">i4"),
    np.asfortranarray(np.arange(12, dtype=np.float64).reshape(3, 4)),
    np.array([True, False, True]),
    np.arange(4).astype("datetime64[s]"),
    np.array(7.5),
    np.zeros((0, 3), dtype=np.uint16),
], ids=["f32-3d", "big-endian", "fortran", "bool", "datetime", "scalar", "empty"])
def test_encode_is_a_message_and_decode_gives_the_bytes_back(arr):
    codec = Tensogram(compression="lz4")
    enc = codec.encode(arr)
    meta, objects = tensogram.decode(enc)  # every chunk is a valid message
    assert len(objects) == 1
    dec = codec.decode(enc)
    assert dec.tobytes() == (arr.T if not arr.flags.c_contiguous else arr).tobytes()
    out = np.empty_like(arr)
    codec.decode(enc, out=out)
    np.testing.assert_array_equal(out, arr)


def test_bytes_input_and_lossy_pipeline():
    codec = Tensogram()
    enc = codec.encode(b"\x01\x02\x03")
    assert bytes(codec.decode(enc)) == b"\x01\x02\x03"
    values = np.linspace(0.0, 100.0, 1000)
    lossy = Tensogram(encoding="simple_packing", sp_bits_per_value=16, compression="szip",
                      szip_rsi=32, szip_block_size=16, szip_flags=8)
    dec = lossy.decode(lossy.encode(values))
    assert dec.dtype == np.float64 and np.max(np.abs(dec - values)) < 100.0 / 65535 * 2


zarr = pytest.importorskip("zarr")


def chunk_files(root):
    return sorted(p for p in os.listdir(root) if not p.startswith("."))


def test_zarr_compressor_roundtrip_and_chunks_on_disk(tmp_path):
    path = str(tmp_path / "c.zarr")
    data = np.cumsum(np.random.default_rng(1).standard_normal((50, 70)), axis=1)
    codec = numcodecs.get_codec({"id": "tensogram", "compression": "zstd", "zstd_level": 3})
    z = zarr.open(path, mode="w", shape=data.shape, chunks=(20, 30), dtype="f8",
                  compressor=codec)
    z[:] = data
    np.testing.assert_array_equal(z[:], data)
    np.testing.assert_array_equal(z[5:45, 10:60], data[5:45, 10:60])
    names = chunk_files(path)
    assert len(names) == 3 * 3
    for name in names:
        with open(os.path.join(path, name), "rb") as fh:
            meta, objects = tensogram.decode(fh.read(), verify_hash=True)
        d, chunk = objects[0]
        assert d.shape == [20, 30] and d.compression == "zstd"  # edge chunks padded by zarr
        i, j = (int(x) for x in name.split("."))
        np.testing.assert_array_equal(
            chunk[: min(20, 50 - 20 * i), : min(30, 70 - 30 * j)],
            data[20 * i: 20 * i + 20, 30 * j: 30 * j + 30])
    with open(os.path.join(path, ".zarray")) as fh:
        assert json.load(fh)["compressor"]["id"] == "tensogram"
    # A fresh process reopens it from the stored config alone.
    code = ("import zarr, numpy as np; z = zarr.open(%r, mode='r'); "
            "print(float(np.asarray(z[:]).sum()))" % path)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd="/", check=False)
    assert out.returncode == 0, out.stderr
    assert float(out.stdout) == pytest.approx(float(data.sum()))


def test_zarr_filter_roundtrip(tmp_path):
    data = np.arange(1000, dtype=np.int32).reshape(10, 100)
    for compressor in (None, numcodecs.Zlib(level=1)):
        path = str(tmp_path / ("f%s.zarr" % (compressor is not None)))
        z = zarr.open(path, mode="w", shape=data.shape, chunks=(5, 40), dtype="i4",
                      filters=[Tensogram(compression="lz4")], compressor=compressor)
        z[:] = data
        np.testing.assert_array_equal(zarr.open(path, mode="r")[:], data)
        if compressor is None:
            for name in chunk_files(path):
                with open(os.path.join(path, name), "rb") as fh:
                    assert tensogram.decode(fh.read()).objects[0][0].shape == [5, 40]


def test_zarr_fortran_order_and_big_endian(tmp_path):
    data = np.arange(600, dtype=">f4").reshape(20, 30)
    path = str(tmp_path / "fo.zarr")
    z = zarr.open(path, mode="w", shape=data.shape, chunks=(8, 8), dtype=">f4", order="F",
                  compressor=Tensogram(compression="blosc2", blosc2_codec="lz4"))
    z[:] = data
    back = zarr.open(path, mode="r")[:]
    np.testing.assert_array_equal(back, data)
    assert back.dtype == np.dtype(">f4")


def test_zarr_in_memory_store_with_bool(tmp_path):
    z = zarr.zeros((16, 16), chunks=(4, 8), dtype=bool, compressor=Tensogram())
    z[3:9, 2:12] = True
    expected = np.zeros((16, 16), dtype=bool)
    expected[3:9, 2:12] = True
    np.testing.assert_array_equal(z[:], expected)
