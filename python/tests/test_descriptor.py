"""Descriptor dicts going in, DataObjectDescriptor coming out."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest
from conftest import desc

import tensogram


def one(d, arr):
    return tensogram.decode(tensogram.encode({}, [(d, arr)])).objects[0]


def test_descriptor_attributes():
    arr = np.zeros((3, 4, 5), dtype=np.float64)
    d, _ = one(desc([3, 4, 5], "float64", compression="zstd", zstd_level=7), arr)
    assert d.obj_type == "ntensor" and d.ndim == 3
    assert d.shape == [3, 4, 5] and d.strides == [20, 5, 1]
    assert d.dtype == "float64" and d.byte_order == sys.byteorder
    assert (d.encoding, d.filter, d.compression) == ("none", "none", "zstd")
    assert d.params == {"zstd_level": 7}
    assert d.hash is None  # wire format 3 keeps hashes in the frames
    assert repr(d) == ("DataObjectDescriptor(type='ntensor', shape=[3, 4, 5], dtype='float64', "
                       "encoding='none', compression='zstd')")
    again, _ = one(d.to_dict(), arr)  # a decoded descriptor encodes again
    assert again == d


def test_defaults_and_explicit_values():
    arr = np.zeros(6, dtype=np.uint8)
    d, _ = one({"type": "ntensor", "shape": [6], "dtype": "uint8"}, arr)
    assert d.strides == [1] and d.encoding == "none" and d.filter == "none"
    d, _ = one(desc([2, 3], "uint8", strides=[3, 1], byte_order="little"), arr)
    assert d.strides == [3, 1] and d.byte_order == "little"
    d, _ = one(desc([6], "uint8", ndim=99, hash="ignored"), arr)
    assert d.ndim == 1 and "hash" not in d.params and "ndim" not in d.params


@pytest.mark.parametrize("missing", ["type", "shape", "dtype"])
def test_missing_required_keys(missing):
    d = desc([2])
    del d[missing]
    with pytest.raises(ValueError, match="missing '%s'" % missing):
        tensogram.encode({}, [(d, np.zeros(2, dtype=np.float32))])


def test_invalid_values():
    arr = np.zeros(2, dtype=np.float32)
    with pytest.raises(ValueError, match="unknown dtype"):
        tensogram.encode({}, [(desc([2], "float128"), arr)])
    with pytest.raises(ValueError, match="byte_order"):
        tensogram.encode({}, [(desc([2], byte_order="middle"), arr)])
    with pytest.raises(ValueError):
        tensogram.encode({}, [(desc([-2]), arr)])
    with pytest.raises(TypeError):
        tensogram.encode({}, [(desc("22"), arr)])
    with pytest.raises(ValueError, match="strides overflow"):
        tensogram.encode({}, [(desc([2**40, 2**40, 2**40]), arr)])
    with pytest.raises(ValueError, match="does not match"):
        tensogram.encode({}, [(desc([3]), arr)])


def test_metadata_like_keys_warn_but_are_kept_as_params():
    arr = np.zeros(2, dtype=np.float32)
    with pytest.warns(UserWarning, match="'units'"):
        d, _ = one(desc([2], units="K"), arr)
    assert d.params == {"units": "K"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        one(desc([2], zstd_level=3, compression="zstd"), arr)  # pipeline keys: no warning


def test_masks_are_not_params():
    arr = np.array([1.0, np.nan, 3.0])
    msg = tensogram.encode({}, [(desc([3], "float64"), arr)], allow_nan=True,
                           small_mask_threshold_bytes=0)
    d = tensogram.decode_descriptors(msg)[1][0]
    assert "masks" not in d.params and "nan" in d.to_dict()["masks"]
