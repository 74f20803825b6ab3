"""decode_descriptors, decode_object, decode_range, scan, iter_messages."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import desc

import tensogram


def three_objects():
    objs = [np.arange(10, dtype=np.float32), np.arange(20, dtype=np.int64).reshape(4, 5),
            np.linspace(0, 1, 7)]
    pairs = [(desc(o.shape, str(o.dtype)), o) for o in objs]
    return objs, tensogram.encode({"base": [{"i": 0}, {"i": 1}, {"i": 2}]}, pairs)


def test_decode_descriptors():
    _, msg = three_objects()
    meta, descs = tensogram.decode_descriptors(msg)
    assert meta.base[2]["i"] == 2
    assert [d.dtype for d in descs] == ["float32", "int64", "float64"]
    assert descs[1].shape == [4, 5]


def test_decode_object_each_index():
    objs, msg = three_objects()
    for i, expected in enumerate(objs):
        meta, d, arr = tensogram.decode_object(msg, index=i)
        np.testing.assert_array_equal(arr, expected)
        assert d.shape == list(expected.shape) and meta.base[i]["i"] == i
    with pytest.raises(ValueError):
        tensogram.decode_object(msg, 3)
    # negative indexes count from the end (issue 12 item 11; the reference
    # raises OverflowError)
    _, _, arr = tensogram.decode_object(msg, -1)
    np.testing.assert_array_equal(arr, objs[-1])
    with pytest.raises(IndexError):
        tensogram.decode_object(msg, -4)
    _, _, arr = tensogram.decode_object(msg, 1, verify_hash=True, threads=2)
    np.testing.assert_array_equal(arr, objs[1])


def test_decode_range_split_and_join():
    data = np.arange(400, dtype=np.float64)
    msg = tensogram.encode({}, [(desc([400], "float64"), data)])
    parts = tensogram.decode_range(msg, object_index=0, ranges=[(100, 50), (300, 25)])
    assert isinstance(parts, list) and len(parts) == 2
    np.testing.assert_array_equal(parts[0], data[100:150])
    np.testing.assert_array_equal(parts[1], data[300:325])
    joined = tensogram.decode_range(msg, 0, [(100, 50), (300, 25)], join=True)
    assert joined.shape == (75,)
    np.testing.assert_array_equal(joined, np.concatenate([data[100:150], data[300:325]]))
    assert tensogram.decode_range(msg, 0, []) == []
    assert tensogram.decode_range(msg, 0, [], join=True).shape == (0,)
    assert tensogram.decode_range(msg, 0, [(399, 1)])[0][0] == 399.0
    with pytest.raises(ValueError):
        tensogram.decode_range(msg, 0, [(390, 20)])
    with pytest.raises(ValueError):
        tensogram.decode_range(msg, 1, [(0, 1)])
    with pytest.raises((TypeError, ValueError)):
        tensogram.decode_range(msg, 0, [(1, 2, 3)])


@pytest.mark.parametrize("pipeline", [
    {},
    {"encoding": "simple_packing", "sp_bits_per_value": 24},
    {"compression": "szip", "szip_rsi": 32, "szip_block_size": 16, "szip_flags": 8,
     "encoding": "simple_packing", "sp_bits_per_value": 16},
    {"compression": "blosc2", "blosc2_codec": "zstd", "blosc2_clevel": 3},
    {"compression": "zfp", "zfp_mode": "fixed_rate", "zfp_rate": 32},
], ids=["none", "packing", "packing+szip", "blosc2", "zfp_fixed_rate"])
def test_decode_range_random_access_pipelines(pipeline):
    data = np.cumsum(np.random.default_rng(3).standard_normal(5000))
    msg = tensogram.encode({}, [(desc([5000], "float64", **pipeline), data)])
    full = tensogram.decode(msg).objects[0][1]
    got = tensogram.decode_range(msg, 0, [(1234, 100), (4900, 100)])
    np.testing.assert_array_equal(got[0], full[1234:1334])
    np.testing.assert_array_equal(got[1], full[4900:5000])


def test_decode_range_refuses_stream_compressors():
    data = np.arange(100, dtype=np.float32)
    msg = tensogram.encode({}, [(desc([100], compression="zstd"), data)])
    with pytest.raises(ValueError):
        tensogram.decode_range(msg, 0, [(0, 10)])


@pytest.mark.parametrize("dtype", ["int8", "uint16", "int32", "uint64", "float16",
                                   "complex64", "complex128"])
def test_decode_range_dtypes(dtype):
    data = (np.arange(64) % 100).astype(dtype)
    msg = tensogram.encode({}, [(desc([64], dtype), data)])
    part = tensogram.decode_range(msg, 0, [(10, 5)])[0]
    assert part.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(part, data[10:15])


def test_scan_and_iter_messages():
    msgs = [tensogram.encode({"base": [{"n": i}]}, [(desc([3]), np.full(3, i, np.float32))])
            for i in range(4)]
    buf = b"junk" + msgs[0] + msgs[1] + b"\x00" * 7 + msgs[2] + msgs[3] + b"tail"
    found = tensogram.scan(buf)
    assert len(found) == 4
    assert all(buf[o:o + n] == msgs[i] for i, (o, n) in enumerate(found))
    it = tensogram.iter_messages(buf)
    assert len(it) == 4 and repr(it) == "MessageIter(position=0, remaining=4)"
    values = [objects[0][1][0] for meta, objects in it]
    assert values == [0, 1, 2, 3] and len(it) == 0
    assert [m.metadata["n"] for m in tensogram.iter_messages(bytearray(buf))] == [0, 1, 2, 3]
    assert tensogram.scan(b"") == [] and list(tensogram.iter_messages(b"nothing")) == []


def test_iter_messages_verify_hash_fails_once_then_stops():
    good = tensogram.encode({}, [(desc([2]), np.ones(2, np.float32))])
    plain = tensogram.encode({}, [(desc([2]), np.ones(2, np.float32))], hash=None)
    it = tensogram.iter_messages(plain + good, verify_hash=True)
    with pytest.raises(tensogram.MissingHashError):
        next(it)
    assert len(next(it).objects) == 1  # the next message is still read
    with pytest.raises(StopIteration):
        next(it)


def test_buffers_of_any_kind_decode():
    arr = np.arange(6, dtype=np.int16)
    msg = tensogram.encode({}, [(desc([6], "int16"), arr)])
    for buf in (msg, bytearray(msg), memoryview(msg), np.frombuffer(msg, dtype=np.uint8)):
        np.testing.assert_array_equal(tensogram.decode(buf).objects[0][1], arr)
        assert tensogram.decode_metadata(buf).version == 3


def test_compute_hash():
    h = tensogram.compute_hash(b"hello world")
    assert h == tensogram.compute_hash(bytearray(b"hello world"), algo="xxh3")
    assert len(h) == 16 and int(h, 16) >= 0
    assert tensogram.compute_hash(b"") != h
    with pytest.raises(TypeError):
        tensogram.compute_hash(memoryview(b"x"))
    with pytest.raises(TypeError):
        tensogram.compute_hash(np.zeros(2))
    with pytest.raises(ValueError):
        tensogram.compute_hash(b"x", algo="sha1")


def test_compute_hash_matches_the_stored_object_hash():
    arr = np.arange(4, dtype=np.float32)
    msg = tensogram.encode({}, [(desc([4]), arr)])
    report = tensogram.validate(msg, level="default")
    assert report["hash_verified"] is True


def test_compute_packing_params_errors():
    with pytest.raises(TypeError):
        tensogram.compute_packing_params([1.0, 2.0], 16, 0)
    with pytest.raises(TypeError):
        tensogram.compute_packing_params(np.zeros(4, dtype=np.float32), 16, 0)
    with pytest.raises(ValueError):
        tensogram.compute_packing_params(np.array([1.0, np.nan]), 16, 0)
    p = tensogram.compute_packing_params(np.array([5.0, 5.0, 5.0]), 8, 1)
    assert p["sp_decimal_scale_factor"] == 1 and p["sp_bits_per_value"] == 8
