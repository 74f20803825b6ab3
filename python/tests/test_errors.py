"""The guide's exception table, row by row, and the converter stubs."""

from __future__ import annotations

import os

import numpy as np
import pytest
from conftest import desc

import tensogram


def tampered_message():
    arr = np.arange(16, dtype=np.float32)
    msg = bytearray(tensogram.encode({}, [(desc([16]), arr)]))
    at = bytes(msg).find(arr.tobytes())
    msg[at + 5] ^= 0x01  # flip one payload bit; the stored hash no longer matches
    return bytes(msg)


def test_exception_hierarchy():
    assert issubclass(tensogram.IntegrityError, RuntimeError)
    assert issubclass(tensogram.HashMismatchError, tensogram.IntegrityError)
    assert issubclass(tensogram.MissingHashError, tensogram.IntegrityError)
    assert issubclass(FileNotFoundError, OSError)


def test_runtime_error_hash_mismatch_with_details():
    msg = tampered_message()
    with pytest.raises(RuntimeError) as e:
        tensogram.decode(msg, verify_hash=True)
    err = e.value
    assert isinstance(err, tensogram.HashMismatchError)
    assert err.object_index == 0
    assert len(err.expected) == 16 and len(err.actual) == 16 and err.expected != err.actual
    assert tensogram.compute_hash(b"") != err.actual
    with pytest.raises(tensogram.HashMismatchError):
        tensogram.decode_object(msg, 0, verify_hash=True)
    tensogram.decode(msg)  # without verification the (altered) values decode


def test_value_error_rows():
    arr = np.ones(4, dtype=np.float64)
    with pytest.raises(ValueError, match="unknown dtype"):
        tensogram.encode({}, [(desc([4], "float80"), arr)])
    with pytest.raises(ValueError):  # NaN in simple packing
        tensogram.encode({}, [(desc([2], "float64", encoding="simple_packing",
                                    sp_bits_per_value=16), np.array([1.0, np.nan]))])
    with pytest.raises(ValueError):  # NaN without allow_nan
        tensogram.encode({}, [(desc([2], "float64"), np.array([1.0, np.nan]))])
    with pytest.raises(ValueError, match="unknown validation level"):
        tensogram.validate(b"", level="bogus")
    with pytest.raises(ValueError, match="FramingError"):
        tensogram.decode(b"TENSOGRM" + b"\x00" * 40)
    with pytest.raises(ValueError):
        tensogram.decode(b"")
    with pytest.raises(ValueError):
        tensogram.decode(tensogram.encode({}, [(desc([4], "float64"), arr)])[:-30])


def test_oserror_and_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        tensogram.TensogramFile.open(str(tmp_path / "nope.tgm"))
    blocked = tmp_path / "ro"
    blocked.mkdir()
    os.chmod(blocked, 0o500)
    try:
        if os.access(blocked, os.W_OK):  # running as root: permissions do not bind
            pytest.skip("permission checks do not apply to this user")
        with pytest.raises(OSError):
            tensogram.TensogramFile.create(str(blocked / "x.tgm"))
    finally:
        os.chmod(blocked, 0o700)


def test_oserror_when_creating_in_a_missing_directory(tmp_path):
    with pytest.raises(OSError):
        tensogram.TensogramFile.create(str(tmp_path / "no" / "such" / "dir.tgm"))


def test_key_and_index_errors(three_message_file):
    meta = tensogram.decode_metadata(
        tensogram.encode({"base": [{"a": 1}]}, [(desc([1]), np.zeros(1, np.float32))]))
    with pytest.raises(KeyError):
        meta["missing"]
    with tensogram.TensogramFile.open(three_message_file) as f:
        with pytest.raises(IndexError):
            f[10]


def test_converter_errors(tmp_path):
    """The reference's error classes: FileNotFoundError for a missing input,
    ValueError for unusable input, RuntimeError without the backend."""
    missing_grib = lambda: tensogram.convert_grib(str(tmp_path / "x.grib2"))  # noqa: E731
    garbage_grib = lambda: tensogram.convert_grib_buffer(b"nothing to see here")  # noqa: E731
    missing_nc = lambda: tensogram.convert_netcdf(str(tmp_path / "x.nc"))  # noqa: E731
    no_msgs = lambda: tensogram.to_netcdf([], str(tmp_path / "y.nc"))  # noqa: E731
    plain = tensogram.encode({}, [({"type": "ntensor", "shape": [2], "dtype": "float64"},
                                   np.zeros(2))])
    if tensogram.__has_grib__:
        with pytest.raises(FileNotFoundError):
            missing_grib()
        with pytest.raises(ValueError, match="no GRIB messages"):
            garbage_grib()
        with pytest.raises(ValueError, match="grib_repro"):
            tensogram.to_grib([plain])
    else:
        for call in (missing_grib, garbage_grib, lambda: tensogram.to_grib([])):
            with pytest.raises(RuntimeError, match="built without GRIB"):
                call()
    if tensogram.__has_netcdf__:
        with pytest.raises(FileNotFoundError):
            missing_nc()
        with pytest.raises(ValueError, match="no messages"):
            no_msgs()
        with pytest.raises(ValueError, match="convert-netcdf"):
            tensogram.to_netcdf([plain], str(tmp_path / "z.nc"))
        assert not (tmp_path / "z.nc").exists()
        bad = tmp_path / "bad.nc"
        bad.write_bytes(b"CDF\x01" + b"\xff" * 60)
        with pytest.raises(RuntimeError, match="netcdf error"):
            tensogram.convert_netcdf(str(bad))
    else:
        for call in (missing_nc, no_msgs):
            with pytest.raises(RuntimeError, match="built without NetCDF"):
                call()


def test_module_constants():
    assert tensogram.WIRE_VERSION == 3
    assert tensogram.__library_version__.count(".") == 2
    assert tensogram.__version__ == "%s+tgmc.%s" % (
        tensogram.__api_level__,
        tensogram.__library_version__,
    )
    for name in tensogram.__all__:
        assert hasattr(tensogram, name), name


def test_decoded_size_cap():
    arr = np.arange(4096, dtype=np.float64)  # 32 KiB decoded
    msg = tensogram.encode({}, [(desc([4096], dtype="float64"), arr)])
    before = tensogram.max_object_bytes()
    try:
        tensogram.set_max_object_bytes(32768)
        assert tensogram.max_object_bytes() == 32768
        assert np.array_equal(tensogram.decode(msg).objects[0][1], arr)
        tensogram.set_max_object_bytes(32767)
        with pytest.raises(ValueError, match="more than the limit of 32767 bytes"):
            tensogram.decode(msg)
        with pytest.raises(ValueError, match="limit"):
            tensogram.decode_object(msg, 0)
        # a range within the cap still decodes
        part = tensogram.decode_range(msg, 0, [(0, 10)])
        assert np.array_equal(part[0], arr[:10])
        tensogram.set_max_object_bytes(0)
        assert tensogram.max_object_bytes() == 0
        assert tensogram.decode(msg).objects[0][1].nbytes == 32768
    finally:
        tensogram.set_max_object_bytes(before)
