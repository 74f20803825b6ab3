"""The guide's dtype table: what each Tensogram dtype decodes to."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from conftest import desc

import tensogram

TABLE = {
    "float16": np.float16, "float32": np.float32, "float64": np.float64,
    "complex64": np.complex64, "complex128": np.complex128,
    "int8": np.int8, "int16": np.int16, "int32": np.int32, "int64": np.int64,
    "uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64,
}


@pytest.mark.parametrize("name", sorted(TABLE))
def test_dtype_table(name):
    arr = np.arange(6).astype(TABLE[name])
    msg = tensogram.encode({}, [(desc([6], name), arr)])
    d, out = tensogram.decode(msg).objects[0]
    assert d.dtype == name and out.dtype == np.dtype(TABLE[name])
    np.testing.assert_array_equal(out, arr)


def bfloat16_bits(values) -> np.ndarray:
    """bfloat16 = the upper half of a float32 (exact for these values)."""
    return (np.asarray(values, dtype=np.float32).view(np.uint32) >> 16).astype(np.uint16)


@pytest.mark.skipif(importlib.util.find_spec("ml_dtypes") is not None,
                    reason="ml_dtypes installed: bfloat16 decodes to ml_dtypes.bfloat16")
def test_bfloat16_without_ml_dtypes_is_uint16():
    bits = bfloat16_bits([1.0, -2.5, 0.15625, 3.0e38])
    msg = tensogram.encode({}, [(desc([4], "bfloat16"), bits)])
    d, out = tensogram.decode(msg).objects[0]
    assert d.dtype == "bfloat16" and out.dtype == np.uint16
    np.testing.assert_array_equal(out, bits)
    part = tensogram.decode_range(msg, 0, [(1, 2)], join=True)
    assert part.dtype == np.uint16 and part.tolist() == bits[1:3].tolist()


def test_bfloat16_with_ml_dtypes():
    ml_dtypes = pytest.importorskip("ml_dtypes")
    values = np.array([1.0, -2.5, 0.15625], dtype=ml_dtypes.bfloat16)
    msg = tensogram.encode({}, [(desc([3], "bfloat16"), values)])
    _, out = tensogram.decode(msg).objects[0]
    assert out.dtype == np.dtype(ml_dtypes.bfloat16)
    np.testing.assert_array_equal(out.astype(np.float32), [1.0, -2.5, 0.15625])


def test_bool_arrays_travel_as_bytes():
    flags = np.array([True, False, True])
    msg = tensogram.encode({}, [(desc([3], "uint8"), flags)])
    assert tensogram.decode(msg).objects[0][1].tolist() == [1, 0, 1]
