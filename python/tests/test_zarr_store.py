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


def _count_decodes(monkeypatch):
    decoded = []
    orig = tensogram.TensogramFile.file_decode_object
    monkeypatch.setattr(
        tensogram.TensogramFile, "file_decode_object",
        lambda f, m, o, **kw: decoded.append(o) or orig(f, m, o, **kw),
    )
    return decoded


def test_chunk_decoded_once_and_kept(tgm, monkeypatch):
    path, t2, _u, _n = tgm
    decoded = _count_decodes(monkeypatch)
    store = TensogramStore.open_tgm(path, message_index=1)
    assert sorted(store._chunk_index) == ["2t/0.0", "2t_1/0", "wind_u/0.0"]
    keys = sorted(store)
    root = zarr.open_group(store=store, mode="r")
    for _ in range(3):  # zarr reads the whole chunk for each selection
        np.testing.assert_array_equal(root["2t"][1, 1:3], t2[1, 1:3])
    assert decoded == [0]
    assert "2t/0.0" in store._keys and "2t/0.0" not in store._chunk_index
    assert sorted(store) == keys and len(store) == len(keys)  # no key twice
    store.close()
    assert store._chunk_index == {} and store._file is None


def test_empty_file_is_an_empty_group(tmp_path):
    path = str(tmp_path / "empty.tgm")
    open(path, "wb").close()
    with TensogramStore.open_tgm(path) as store:
        root = zarr.open_group(store=store, mode="r")
        assert list(root.array_keys()) == [] and dict(root.attrs) == {}
        assert store._file is None


def test_store_interface_queries(tgm, tmp_path):
    import asyncio

    path, *_ = tgm

    async def collect(it):
        return [k async for k in it]

    store = TensogramStore.open_tgm(path, message_index=1)
    assert store.read_only and not store.supports_writes and not store.supports_deletes
    assert store.supports_listing
    assert asyncio.run(store.exists("2t/0.0")) and asyncio.run(store.exists("2t/.zarray"))
    assert not asyncio.run(store.exists("2t/1.0"))
    assert sorted(asyncio.run(collect(store.list()))) == sorted(store)
    assert sorted(asyncio.run(collect(store.list_prefix("wind_u/")))) == [
        "wind_u/.zarray", "wind_u/.zattrs", "wind_u/0.0"]
    assert sorted(asyncio.run(collect(store.list_dir("")))) == [
        ".zattrs", ".zgroup", "2t/", "2t_1/", "wind_u/"]
    assert sorted(asyncio.run(collect(store.list_dir("2t")))) == [".zarray", ".zattrs", "0.0"]
    assert store._chunk_index  # listing decodes nothing
    other = TensogramStore.open_tgm(path)
    assert store == other  # the same file and mode, compared without decoding
    assert other._chunk_index and store._chunk_index
    out = TensogramStore(str(tmp_path / "w.tgm"), mode="w")
    assert out.supports_writes and out.supports_deletes and not out.read_only
    out._open_sync()  # already open: nothing happens
    assert out != store
    out.close()


def test_remote_store_reads_lazily(tgm, tmp_path, monkeypatch):
    import shutil

    from test_remote import _Server

    path, t2, _u, n = tgm
    server = _Server(str(tmp_path))
    try:
        shutil.copy(path, str(tmp_path / "r.tgm"))
        url = server.url + "/r.tgm"
        decoded = _count_decodes(monkeypatch)
        store = TensogramStore.open_tgm(url, message_index=1)
        assert store._file is not None and len(store._chunk_index) == 3
        assert not [k for k in store._keys if k.endswith(("/0.0", "/0"))]
        root = zarr.open_group(store=store, mode="r")
        assert decoded == []
        np.testing.assert_array_equal(root["2t_1"][:], n)
        np.testing.assert_array_equal(root["2t"][:], t2)
        np.testing.assert_array_equal(root["2t"][:], t2)
        assert decoded == [2, 0]  # each when first read, once
        assert sorted(store._chunk_index) == ["wind_u/0.0"]
        with pytest.raises(ValueError, match="remote URLs do not support"):
            TensogramStore(url, mode="a")
        store.close()
        assert store._file is None and store._chunk_index == {}
    finally:
        server.close()


def test_zarr3_documents():
    import json
    import types
    import math

    from tensogram_zarr import mapping as m

    msg = tensogram.encode(
        {"base": [{"mars": {"param": "2t"}, "units": "K"}], "centre": "ecmf"},
        [(desc([3, 4], "float64", encoding="simple_packing", sp_bits_per_value=16,
               compression="szip", szip_rsi=32, szip_block_size=16, szip_flags=8),
          np.linspace(0, 1, 12).reshape(3, 4))],
        hash="xxh3",
    )
    meta, descs = tensogram.decode_descriptors(msg)
    assert descs[0].hash is None  # decode_descriptors does not read the hashes
    group = m.build_group_zarr_json(meta, ["2t"])
    assert group["zarr_format"] == 3 and group["node_type"] == "group"
    assert group["attributes"]["centre"] == "ecmf"
    assert group["attributes"]["_tensogram_variables"] == ["2t"]
    arr = m.build_array_zarr_json(descs[0], {"units": "K"})
    assert arr["shape"] == [3, 4] and arr["data_type"] == "float64"
    assert arr["chunk_grid"]["configuration"]["chunk_shape"] == [3, 4]
    assert arr["codecs"] == [{"name": "bytes", "configuration": {"endian": "little"}}]
    assert math.isnan(arr["fill_value"])
    assert arr["attributes"]["_tensogram_encoding"] == "simple_packing"
    assert "_tensogram_hash" not in arr["attributes"]
    d = descs[0]
    hashed = types.SimpleNamespace(shape=d.shape, dtype=d.dtype, params=d.params,
                                   encoding=d.encoding, filter=d.filter,
                                   compression=d.compression, hash={"type": "xxh3", "value": "00ff"})
    assert m.build_array_zarr_json(hashed)["attributes"]["_tensogram_hash"] == hashed.hash
    assert arr["attributes"]["_tensogram_params"]["sp_bits_per_value"] == 16
    raw = m.serialize_zarr_json(arr)
    assert b"NaN" in raw and json.loads(raw)["fill_value"] == "NaN"  # strict JSON
    back = m.parse_array_zarr_json(m.deserialize_zarr_json(raw))
    assert back == {"shape": [3, 4], "dtype": "float64", "byte_order": "little",
                    "encoding": "simple_packing", "filter": "none", "compression": "szip",
                    "attrs": {"units": "K"}}
    assert m.tgm_dtype_to_zarr("bitmask") == "uint8" and m.tgm_dtype_to_zarr("bfloat16") == "bfloat16"
    assert m._default_fill_value("int32") == 0 and math.isnan(m._default_fill_value("complex64"))
    assert m._json_safe_metadata([float("inf"), (float("-inf"),), {"a": 1.5}]) == [
        "Infinity", ["-Infinity"], {"a": 1.5}]
    with pytest.raises(ValueError, match="unsupported Zarr dtype"):
        m.zarr_dtype_to_tgm("bitmask")
    with pytest.raises(ValueError, match="unsupported TGM dtype"):
        m.tgm_dtype_to_zarr("float128")
    with pytest.raises(ValueError, match="invalid zarr.json content"):
        m.deserialize_zarr_json(b"{not json")
