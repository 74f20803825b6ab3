"""Data safety from Python (issue 12): byte-order conflicts, integers that do
not fit, negative indexes, metadata nesting, validation of hostile
messages, append_raw of non-messages."""

from __future__ import annotations

import time

import numpy as np
import pytest

import tensogram


def _desc(shape, dtype, **kw):
    d = {"type": "ntensor", "shape": list(shape), "dtype": dtype}
    d.update(kw)
    return d


# ---- item 7: an array whose byte order differs from the descriptor's ------------


@pytest.mark.parametrize("dtype", ["f8", "f4", "i2", "u4", "i8", "c8", "c16"])
@pytest.mark.parametrize("array_order", ["<", ">"])
@pytest.mark.parametrize("desc_order", ["little", "big"])
def test_byte_order_conflict_round_trip(dtype, array_order, desc_order):
    values = (np.arange(7) * 3 + 1).astype(array_order + dtype)
    kind = np.dtype(dtype)
    name = {"f": "float", "i": "int", "u": "uint", "c": "complex"}[kind.kind] + str(
        kind.itemsize * 8
    )
    msg = tensogram.encode({}, [(_desc([7], name, byte_order=desc_order), values)])
    meta, objects = tensogram.decode(msg)
    d, out = objects[0]
    assert d.byte_order == desc_order
    np.testing.assert_array_equal(out, values)  # the values, not the bytes
    # the stored bytes are in the descriptor's order
    wire = tensogram.decode(msg, native_byte_order=False).objects[0][1]
    expect = values.astype(values.dtype.newbyteorder("<" if desc_order == "little" else ">"))
    assert wire.tobytes() == expect.tobytes()


def test_byte_order_conflict_simple_packing_file_and_stream(tmp_path):
    values = np.linspace(-5.0, 5.0, 64).astype(">f8")
    sp = _desc(
        [64], "float64", byte_order="little", encoding="simple_packing", sp_bits_per_value=24
    )
    path = tmp_path / "bo.tgm"
    with tensogram.TensogramFile.create(path) as f:
        f.append({}, [(sp, values)])
        f.append({}, [(_desc([64], "float64", byte_order="little"), values)])
    with tensogram.TensogramFile.open(path) as f:
        np.testing.assert_allclose(f[0].objects[0][1], values, atol=1e-5)
        np.testing.assert_array_equal(f[1].objects[0][1], values)
    enc = tensogram.StreamingEncoder({})
    enc.write_object(_desc([64], "float64", byte_order="big"), values.astype("<f8"))
    msg = enc.finish()
    np.testing.assert_array_equal(tensogram.decode(msg).objects[0][1], values)


# ---- item 9: integers outside the range stored exactly ---------------------------


def _meta_round_trip(v):
    msg = tensogram.encode(
        {"base": [{"v": v}]}, [(_desc([1], "uint8"), np.zeros(1, np.uint8))]
    )
    return tensogram.decode_metadata(msg).base[0]["v"]


@pytest.mark.parametrize("v", [0, -1, 2**63 - 1, 2**63, 2**64 - 1, -(2**63), 1 << 40])
def test_integers_stored_exactly(v):
    got = _meta_round_trip(v)
    assert type(got) is int and got == v


@pytest.mark.parametrize("v", [2**64, -(2**63) - 1, -(2**64), 10**30, -(10**30)])
def test_integers_that_do_not_fit_raise(v):
    with pytest.raises(ValueError, match="outside the range stored exactly"):
        _meta_round_trip(v)
    with pytest.raises(ValueError, match="outside the range stored exactly"):
        tensogram.encode(
            {"_extra_": {"deep": [{"x": v}]}}, [(_desc([1], "uint8"), np.zeros(1, np.uint8))]
        )


def test_bools_and_numpy_integers_are_not_affected():
    assert _meta_round_trip(True) is True
    assert _meta_round_trip(np.uint64(2**64 - 1)) == 2**64 - 1
    assert _meta_round_trip(np.int64(-(2**63))) == -(2**63)


# ---- item 11: negative indexes, nesting ------------------------------------------


def _two_objects():
    return tensogram.encode(
        {},
        [
            (_desc([3], "int32"), np.array([1, 2, 3], np.int32)),
            (_desc([2], "float64"), np.array([0.5, 1.5])),
        ],
    )


def test_negative_object_index():
    msg = _two_objects()
    _, d, arr = tensogram.decode_object(msg, -1)
    assert d.dtype == "float64" and list(arr) == [0.5, 1.5]
    _, d, arr = tensogram.decode_object(msg, -2)
    assert list(arr) == [1, 2, 3]
    with pytest.raises(IndexError, match="object index -3 out of range"):
        tensogram.decode_object(msg, -3)
    assert list(tensogram.decode_range(msg, -2, [(1, 2)], join=True)) == [2, 3]


def test_negative_indexes_in_files(tmp_path):
    path = tmp_path / "neg.tgm"
    with tensogram.TensogramFile.create(path) as f:
        for k in range(3):
            f.append({"base": [{"k": k}, {}]}, [
                (_desc([3], "int32"), np.array([k, k, k], np.int32)),
                (_desc([2], "float64"), np.array([k, -k], np.float64)),
            ])
    with tensogram.TensogramFile.open(path) as f:
        assert f.decode_message(-1).metadata.base[0]["k"] == 2
        assert f.file_decode_metadata(-3).base[0]["k"] == 0
        assert list(f.file_decode_object(-1, -1)["data"]) == [2.0, -2.0]
        assert list(f.file_decode_range(-2, -2, [(0, 2)], join=True)) == [1, 1]
        assert f.read_message(-1) == f.read_message(2)
        assert len(f.file_decode_descriptors(-1)["descriptors"]) == 2
        with pytest.raises(IndexError):
            f.decode_message(-4)
        with pytest.raises(IndexError):
            f.file_decode_object(0, -3)


def _nest(depth):
    v = 1
    for _ in range(depth):
        v = {"k": v}
    return v


def test_metadata_nesting_limit_is_stated_and_enforced():
    one = [(_desc([1], "uint8"), np.zeros(1, np.uint8))]
    # _extra_ may hold 126 levels (itself included): 125 nested maps under it
    msg = tensogram.encode({"x": _nest(125)}, one)
    v = tensogram.decode_metadata(msg).extra["x"]
    for _ in range(124):
        v = v["k"]
    assert v == {"k": 1}
    with pytest.raises(ValueError, match="_extra_ holds 127 levels of maps and lists, at most 126"):
        tensogram.encode({"x": _nest(126)}, one)
    # base: the list and the entry count too
    tensogram.encode({"base": [{"v": _nest(124)}]}, one)
    with pytest.raises(ValueError, match="base holds 127 levels"):
        tensogram.encode({"base": [{"v": _nest(125)}]}, one)


# ---- item 8: validation memory bomb ------------------------------------------------


def _bomb():
    desc = _desc(
        [2**31],
        "float64",
        encoding="simple_packing",
        sp_bits_per_value=0,
        sp_reference_value=1.0,
        sp_binary_scale_factor=0,
        sp_decimal_scale_factor=0,
    )
    return tensogram.encode_pre_encoded({}, [(desc, b"")])


def test_validation_bomb_default_level_decodes_nothing():
    msg = _bomb()
    assert len(msg) == 656
    t0 = time.monotonic()
    report = tensogram.validate(msg)
    assert time.monotonic() - t0 < 5  # the previous code: 17 GB and a minute
    assert report["issues"] == [] and report["hash_verified"]


def test_validation_bomb_full_level_is_capped(tmp_path):
    msg = _bomb()
    report = tensogram.validate(msg, level="full")
    (issue,) = report["issues"]
    assert issue["code"] == "not_decoded" and issue["severity"] == "warning"
    assert "limit of 67108864 bytes" in issue["description"]
    report = tensogram.validate(msg, level="full", decode_limit=1 << 20)
    assert "limit of 1048576 bytes" in report["issues"][0]["description"]
    path = tmp_path / "bomb.tgm"
    path.write_bytes(msg)
    report = tensogram.validate_file(path, level="full")
    assert report["messages"][0]["issues"][0]["code"] == "not_decoded"
    with pytest.raises(ValueError):
        tensogram.validate(msg, decode_limit=0)
    with pytest.raises(ValueError):
        tensogram.validate(msg, decode_limit="lots")


def test_validation_budget_bounds_many_objects(tmp_path):
    # each 8 MiB object is under the automatic limit; 20 of them (a few KB
    # of blosc2) are over the budget of one call, 64 MiB: 12 are reported
    zeros = np.zeros(8 << 20, np.uint8)
    d = _desc([8 << 20], "uint8", compression="blosc2", blosc2_codec="lz4")
    msg = tensogram.encode({}, [(d, zeros)] * 20)
    assert len(msg) < 16384
    issues = tensogram.validate(msg)["issues"]
    assert [i["object_index"] for i in issues] == list(range(8, 20))
    assert all(i["code"] == "not_decoded" and i["severity"] == "warning" for i in issues)
    assert "decode budget of 67108864 bytes" in issues[0]["description"]
    # a file of two such messages shares one budget
    path = tmp_path / "budget.tgm"
    path.write_bytes(msg + msg)
    report = tensogram.validate_file(path)
    assert [len(m["issues"]) for m in report["messages"]] == [12, 20]
    # an explicit limit bounds each object only
    assert tensogram.validate(msg, decode_limit=8 << 20)["issues"] == []


# ---- item 10: append_raw takes complete messages only -------------------------------


def test_append_raw_refuses_non_messages(tmp_path):
    path = tmp_path / "raw.tgm"
    msg = _two_objects()
    with tensogram.TensogramFile.create(path) as f:
        f.append_raw(msg)
        with pytest.raises(ValueError, match="not part of a complete message"):
            f.append_raw(b"junk junk junk junk junk junk junk junk junk junk")
        with pytest.raises(ValueError):
            f.append_raw(msg[: len(msg) // 2])
        f.append_raw(msg + msg)
        assert len(f) == 3
        f.sync()
    assert path.stat().st_size == 3 * len(msg)
