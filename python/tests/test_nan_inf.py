"""NaN / Inf: allow_nan, allow_inf, mask methods, restore, decode_with_masks."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import desc

import tensogram

VALUES = np.array([1.0, np.nan, 3.0, np.inf, -np.inf, 6.0, np.nan, 8.0])


def encode(values, dtype="float64", **kw):
    return tensogram.encode({}, [(desc([len(values)], dtype), values.astype(dtype))], **kw)


def test_non_finite_values_are_refused_by_default():
    with pytest.raises(ValueError):
        encode(VALUES)
    with pytest.raises(ValueError):
        encode(VALUES, allow_nan=True)  # infinities still refused
    with pytest.raises(ValueError):
        encode(np.array([1.0, np.inf]), allow_nan=True)


@pytest.mark.parametrize("method", ["none", "rle", "roaring", "lz4", "zstd", "blosc2"])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "complex64"])
def test_masks_restore_exactly(method, dtype):
    msg = encode(VALUES, dtype, allow_nan=True, allow_inf=True, nan_mask_method=method,
                 pos_inf_mask_method=method, neg_inf_mask_method=method,
                 small_mask_threshold_bytes=0)
    d, out = tensogram.decode(msg).objects[0]
    expected = VALUES.astype(dtype)
    if dtype.startswith("complex"):
        # Restoration writes the kind's canonical value to both components.
        expected = np.zeros(len(VALUES), dtype=dtype)
        expected.real = VALUES
        expected.imag = np.where(np.isfinite(VALUES), 0.0, VALUES)
    np.testing.assert_array_equal(out, expected)  # NaN positions compare equal
    masks = d.to_dict()["masks"]
    assert {m["method"] for m in masks.values()} == {method}
    _, raw = tensogram.decode(msg, restore_non_finite=False).objects[0]
    finite = np.isfinite(VALUES)
    np.testing.assert_array_equal(raw[finite], expected[finite])
    assert np.all(raw[~finite] == 0)


def test_small_masks_fall_back_to_none():
    msg = encode(VALUES, allow_nan=True, allow_inf=True)  # 1-byte masks < 128 bytes
    d = tensogram.decode_descriptors(msg)[1][0]
    assert {m["method"] for m in d.to_dict()["masks"].values()} == {"none"}


def test_unknown_mask_method_lists_the_accepted_names():
    with pytest.raises(ValueError, match="unknown mask method") as e:
        encode(VALUES, allow_nan=True, allow_inf=True, nan_mask_method="zip")
    for name in ("none", "rle", "roaring", "lz4", "zstd", "blosc2"):
        assert '"%s"' % name in str(e.value)
    with pytest.raises(ValueError):
        encode(VALUES, allow_nan=True, allow_inf=True, small_mask_threshold_bytes=-1)


def test_decode_with_masks():
    msg = encode(VALUES, allow_nan=True, allow_inf=True)
    meta, objects = tensogram.decode_with_masks(msg)
    d, payload, masks = objects[0]
    assert set(masks) == {"nan", "inf+", "inf-"}
    np.testing.assert_array_equal(masks["nan"], np.isnan(VALUES))
    np.testing.assert_array_equal(masks["inf+"], np.isposinf(VALUES))
    np.testing.assert_array_equal(masks["inf-"], np.isneginf(VALUES))
    assert masks["nan"].dtype == np.bool_
    assert np.all(payload[~np.isfinite(VALUES)] == 0)
    only_nan = encode(np.array([np.nan, 1.0]), allow_nan=True)
    assert set(tensogram.decode_with_masks(only_nan).objects[0][2]) == {"nan"}
    plain = encode(np.array([1.0, 2.0]))
    assert tensogram.decode_with_masks(plain).objects[0][2] == {}


def test_decode_with_masks_packing_edges_and_dtypes():
    # Element counts around byte boundaries; complex and half floats; the
    # masks come packed from the library and are unpacked exactly.
    rng = np.random.default_rng(7)
    for n in (1, 7, 8, 9, 15, 16, 17, 1000):
        vals = rng.standard_normal(n)
        kinds = rng.integers(0, 4, n)
        vals[kinds == 1] = np.nan
        vals[kinds == 2] = np.inf
        vals[kinds == 3] = -np.inf
        for dtype in ("float64", "float16", "complex128"):
            v = vals.astype(dtype)
            if dtype == "complex128":
                v.imag = np.where(kinds == 0, 2.0, 0.0)  # finite imaginary parts
            msg = encode(v, dtype, allow_nan=True, allow_inf=True, nan_mask_method="rle",
                         pos_inf_mask_method="roaring", neg_inf_mask_method="none",
                         small_mask_threshold_bytes=0)
            _, payload, masks = tensogram.decode_with_masks(msg).objects[0]
            want = {"nan": kinds == 1, "inf+": kinds == 2, "inf-": kinds == 3}
            assert set(masks) == {k for k, m in want.items() if m.any()}
            for k, m in masks.items():
                assert m.shape == (n,)
                np.testing.assert_array_equal(m, want[k])
            assert np.all(payload[kinds != 0] == 0)
            np.testing.assert_array_equal(payload[kinds == 0], v[kinds == 0])


def test_decode_with_masks_multi_object_and_byte_order():
    a = np.array([1.0, np.nan], dtype=">f4")
    b = np.arange(3, dtype=np.int16)
    c = np.array([-np.inf, 2.0, 3.0])
    msg = tensogram.encode({}, [(desc([2], "float32", byte_order="big"), a),
                                (desc([3], "int16"), b), (desc([3], "float64"), c)],
                           allow_nan=True, allow_inf=True)
    meta, objects = tensogram.decode_with_masks(msg)
    assert [sorted(m) for _, _, m in objects] == [["nan"], [], ["inf-"]]
    assert objects[0][1].tolist() == [1.0, 0.0]
    assert objects[1][1].tolist() == [0, 1, 2]
    assert objects[2][1].tolist() == [0.0, 2.0, 3.0]
    _, objects = tensogram.decode_with_masks(msg, native_byte_order=False, threads=2)
    assert objects[0][1].tobytes() == b"\x3f\x80\x00\x00\x00\x00\x00\x00"
    assert objects[0][2]["nan"].tolist() == [False, True]


def test_restore_option_on_selective_decodes():
    msg = encode(VALUES, allow_nan=True, allow_inf=True)
    _, _, arr = tensogram.decode_object(msg, 0, restore_non_finite=False)
    assert arr[1] == 0 and arr[3] == 0
    _, _, arr = tensogram.decode_object(msg, 0)
    assert np.isnan(arr[1]) and np.isposinf(arr[3])
    part = tensogram.decode_range(msg, 0, [(0, 4)], join=True)
    assert np.isnan(part[1]) and np.isposinf(part[3])
    part = tensogram.decode_range(msg, 0, [(0, 4)], join=True, restore_non_finite=False)
    assert part.tolist() == [1.0, 0.0, 3.0, 0.0]
    parts = tensogram.decode_range(msg, 0, [(1, 1), (4, 3)], restore_non_finite=False)
    assert [p.tolist() for p in parts] == [[0.0], [0.0, 6.0, 0.0]]
    parts = tensogram.decode_range(msg, 0, [(1, 1), (4, 3)])
    assert np.isnan(parts[0][0]) and np.isneginf(parts[1][0]) and np.isnan(parts[1][2])
    with pytest.raises(ValueError):
        tensogram.decode_object(msg, 1, restore_non_finite=False)
    with pytest.raises(ValueError):
        tensogram.decode_range(msg, 0, [(6, 3)], restore_non_finite=False)
    # Only the requested object is decoded: a second object the selective
    # paths never touch may be damaged.
    two = tensogram.encode({}, [(desc([8], "float64"), VALUES),
                                (desc([8], "float64", compression="zstd"), np.zeros(8))],
                           allow_nan=True, allow_inf=True, hash=None)
    bad = bytearray(two)
    zpos = bad.find(b"\x28\xb5\x2f\xfd")  # the zstd frame magic
    assert zpos > 0
    bad[zpos:zpos + 4] = b"\0\0\0\0"
    with pytest.raises(ValueError):
        tensogram.decode(bytes(bad), restore_non_finite=False)
    _, _, arr = tensogram.decode_object(bytes(bad), 0, restore_non_finite=False)
    assert arr[1] == 0 and arr[7] == 8
    part = tensogram.decode_range(bytes(bad), 0, [(5, 2)], join=True, restore_non_finite=False)
    assert part.tolist() == [6.0, 0.0]


def test_append_with_masks(tmp_path):
    path = str(tmp_path / "m.tgm")
    with tensogram.TensogramFile.create(path) as f:
        f.append({}, [(desc([8], "float64"), VALUES)], allow_nan=True, allow_inf=True,
                  nan_mask_method="rle")
        np.testing.assert_array_equal(f[0].objects[0][1], VALUES)
