"""The zarr 2 store (tensogram.zarr / tensogram_zarr): a .tgm message read as a
zarr group, and zarr groups written as .tgm messages."""

from __future__ import annotations

import numpy as np
import pytest

import tensogram

zarr = pytest.importorskip("zarr")
import tensogram_zarr  # noqa: E402
from tensogram_zarr import TensogramStore  # noqa: E402


def desc(shape, dtype="float32", **kw):
    return {"type": "ntensor", "shape": list(shape), "dtype": dtype, **kw}


@pytest.fixture
def tgm(tmp_path):
    path = str(tmp_path / "in.tgm")
    t2 = np.arange(12, dtype=np.float32).reshape(3, 4) + 273.15
    u = np.linspace(-5, 5, 12).reshape(3, 4)
    n = np.arange(5, dtype=np.int16)
    meta = {
        "base": [
            {"mars": {"param": "2t"}, "units": "K"},
            {"name": "wind/u", "dim_names": ["y", "x"]},
            {"mars": {"param": "2t"}},
        ],
        "centre": "ecmf",
    }
    with tensogram.TensogramFile.create(path) as f:
        f.append({"base": [{"name": "first"}]}, [(desc([2]), np.zeros(2, np.float32))])
        f.append(
            meta,
            [
                (desc([3, 4], compression="zstd"), t2),
                (desc([3, 4], "float64", encoding="simple_packing", sp_bits_per_value=24,
                      compression="szip", szip_rsi=32, szip_block_size=16, szip_flags=8), u),
                (desc([5], "int16", byte_order="big"), n.astype(">i2")),
            ],
        )
    return path, t2, u, n


def test_read_group(tgm, monkeypatch):
    path, t2, u, n = tgm
    decoded = []
    orig = tensogram.TensogramFile.file_decode_object
    monkeypatch.setattr(
        tensogram.TensogramFile, "file_decode_object",
        lambda f, m, o, **kw: decoded.append(o) or orig(f, m, o, **kw),
    )
    store = TensogramStore.open_tgm(path, message_index=1)
    root = zarr.open_group(store=store, mode="r")
    assert sorted(root.array_keys()) == ["2t", "2t_1", "wind_u"]
    assert decoded == []  # metadata only until a chunk is read
    np.testing.assert_array_equal(root["2t"][:], t2)
    assert decoded == [0]
    assert root["2t"].attrs["units"] == "K"
    assert root["2t"].attrs["_tensogram_compression"] == "zstd"
    assert root["2t"].chunks == (3, 4)
    got_u = root["wind_u"][1:, :2]
    full_u = tensogram.decode_object(tensogram.TensogramFile.open(path).read_message(1), 1)[2]
    np.testing.assert_array_equal(got_u, full_u[1:, :2])
    assert np.abs(full_u - u).max() < 1e-5
    assert root["wind_u"].attrs["_ARRAY_DIMENSIONS"] == ["y", "x"]
    np.testing.assert_array_equal(root["2t_1"][:], n)
    assert root.attrs["centre"] == "ecmf"
    assert root.attrs["_tensogram_wire_version"] == 3
    assert root.attrs["_tensogram_variables"] == ["2t", "wind_u", "2t_1"]
    with pytest.raises(PermissionError):
        root["2t"][0, 0] = 1
    store.close()


def test_variable_key_and_errors(tgm):
    path, *_ = tgm
    store = TensogramStore.open_tgm(path, message_index=1, variable_key="units")
    assert "K" in zarr.open_group(store=store, mode="r")
    with pytest.raises(IndexError, match="out of range"):
        TensogramStore.open_tgm(path, message_index=9)
    with pytest.raises(ValueError, match="message_index"):
        TensogramStore(path, message_index=-1)
    with pytest.raises(ValueError, match="invalid mode"):
        TensogramStore(path, mode="x")
    with pytest.raises(FileNotFoundError):
        TensogramStore.open_tgm(path + ".missing")
    with pytest.raises(OSError):
        TensogramStore.open_tgm("http://127.0.0.1:1/x.tgm")


def test_xarray_reads_the_store(tgm):
    xr = pytest.importorskip("xarray")
    path, t2, *_ = tgm
    ds = xr.open_zarr(TensogramStore.open_tgm(path, message_index=1), consolidated=False)
    assert ds["wind_u"].dims == ("y", "x")
    np.testing.assert_array_equal(ds["2t"].values, t2)


def test_write_group(tmp_path):
    path = str(tmp_path / "out.tgm")
    a = np.random.default_rng(1).random((100, 60)).astype(np.float32)
    b = np.array([1000, 925, 850, 700], dtype=np.float64)
    with TensogramStore(path, mode="w") as store:
        root = zarr.open_group(store=store, mode="w")
        root.attrs["experiment"] = "x1"
        # zarr's default Blosc compressor and a chunk grid that does not divide the shape
        z = root.create_dataset("temperature", data=a, chunks=(30, 25))
        z.attrs["units"] = "K"
        root.create_dataset("pressure", data=b, compressor=None)
    meta, objects = tensogram.decode(open(path, "rb").read())
    assert meta.extra == {"experiment": "x1"}
    names = [b_["name"] for b_ in meta.base]
    assert names == ["pressure", "temperature"]
    assert meta.base[1]["units"] == "K"
    np.testing.assert_array_equal(objects[1][1], a)
    np.testing.assert_array_equal(objects[0][1], b)
    # and back through the store
    root = zarr.open_group(store=TensogramStore.open_tgm(path), mode="r")
    np.testing.assert_array_equal(root["temperature"][:], a)


def test_round_trip_keeps_the_pipeline_and_append(tgm, tmp_path):
    src, t2, u, n = tgm
    dst = str(tmp_path / "copy.tgm")
    with TensogramStore(dst, mode="w") as out:
        zarr.copy_store(TensogramStore.open_tgm(src, message_index=1), out)
    _, descs = tensogram.decode_descriptors(open(dst, "rb").read())
    by = {d.compression: d for d in descs}
    assert set(by) == {"zstd", "szip", "none"}
    assert by["szip"].encoding == "simple_packing" and by["szip"].params["sp_bits_per_value"] == 24
    with TensogramStore(dst, mode="a") as out:
        root = zarr.open_group(store=out, mode="a")
        root.create_dataset("extra", data=np.arange(3.0), compressor=None, overwrite=True)
    with tensogram.TensogramFile.open(dst) as f:
        assert len(f) == 2


def test_alias_modules():
    import tensogram_zarr.mapping
    import tensogram_zarr.store

    assert tensogram_zarr.store is tensogram.zarr.store
    assert tensogram_zarr.mapping.sanitize_name("a/b\\c") == "a_b_c"
    assert tensogram_zarr.mapping.sanitize_name("") == "_"
