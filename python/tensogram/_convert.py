"""GRIB, NetCDF and tenbin conversion (libtensogram_convert).

The functions mirror the reference's Python API: ``convert_grib``,
``convert_grib_buffer``, ``convert_netcdf``, ``to_grib`` and ``to_netcdf``,
plus ``convert_netcdf_buffer``, ``convert_tenbin`` and ``to_tenbin``.
Errors: ``FileNotFoundError`` for a missing input path, ``ValueError`` for a
bad option or an input the converter cannot use (no GRIB message, no
variable, record splitting without an unlimited dimension, NaN where
simple_packing cannot take it), ``RuntimeError`` when ecCodes or netCDF-C
itself fails (a corrupt file) or when the package was built without the
backend, ``OSError`` for other I/O failures.  Conversion warnings (a
skipped variable, ...) are issued with :func:`warnings.warn`.
"""

from __future__ import annotations

import mmap
import os
import tempfile
import warnings

from . import _tensogram as _c

HAS_GRIB = bool(_c.HAS_GRIB)
HAS_NETCDF = bool(_c.HAS_NETCDF)

_NO_GRIB = (
    "tensogram was built without GRIB support: ecCodes was not found when the package was "
    "built.  Install it (Debian: apt install libeccodes-dev) and reinstall the package."
)
_NO_NETCDF = (
    "tensogram was built without NetCDF support: netCDF-C was not found when the package was "
    "built.  Install it (Debian: apt install libnetcdf-dev) and reinstall the package."
)

_GROUPINGS = {"merge_all": 0, "one_to_one": 1}
_SPLITS = {"file": 0, "variable": 1, "record": 2}
_ORDERS = {"auto": 0, "little": 1, "big": 2, "native": 3}
_MASK_METHODS = _c.MASK_METHODS  # the library's list


def _hash(hash):
    if hash is None or hash == "xxh3":
        return hash
    raise ValueError("unknown hash algorithm %r: expected 'xxh3' or None" % (hash,))


def _int(v, what, lo, hi):
    if isinstance(v, bool) or not hasattr(v, "__index__"):
        raise TypeError("%s must be an int" % what)
    v = v.__index__()
    if not lo <= v <= hi:
        raise ValueError("%s must be between %d and %d, got %d" % (what, lo, hi, v))
    return v


def _options(
    encoding,
    bits,
    filter,
    compression,
    compression_level,
    threads,
    hash,
    allow_nan,
    allow_inf,
    nan_mask_method,
    pos_inf_mask_method,
    neg_inf_mask_method,
    small_mask_threshold_bytes,
    grouping=0,
    all_keys=False,
    split_by=0,
    cf=False,
    byte_order=0,
):
    for name, v in (("encoding", encoding), ("filter", filter), ("compression", compression)):
        if not isinstance(v, str):
            raise TypeError("%s must be a str" % name)
    for m in (nan_mask_method, pos_inf_mask_method, neg_inf_mask_method):
        if m is not None and m not in _MASK_METHODS:
            raise ValueError("unknown mask method %r (expected one of %s)" % (m, _MASK_METHODS))
    if small_mask_threshold_bytes is not None:
        _int(small_mask_threshold_bytes, "small_mask_threshold_bytes", 0, 2**62)
    mask = (
        bool(allow_nan),
        bool(allow_inf),
        nan_mask_method,
        pos_inf_mask_method,
        neg_inf_mask_method,
        small_mask_threshold_bytes,
    )
    # bits above 64 reach the library, which names the limit (as the
    # reference does); 0 and negative values are refused here.
    bits = 0 if bits is None else _int(bits, "bits", 1, 2**32 - 1)
    level = None if compression_level is None else _int(compression_level, "compression_level",
                                                        -(2**31), 2**31 - 1)
    threads = _int(threads, "threads", 0, 2**32 - 1)
    return (encoding, bits, filter, compression, level, threads, _hash(hash), mask, grouping,
            bool(all_keys), split_by, bool(cf), byte_order)


def _warn(msgs):
    for m in msgs:
        warnings.warn(m, UserWarning, stacklevel=3)


def _path(path):
    p = os.fspath(path)
    if isinstance(p, bytes):
        p = os.fsdecode(p)
    if not os.path.exists(p):
        raise FileNotFoundError("no such file: %s" % p)
    return p


def _grouping(grouping):
    if grouping not in _GROUPINGS:
        raise ValueError("grouping must be 'one_to_one' or 'merge_all', got %r" % (grouping,))
    return _GROUPINGS[grouping]


def _split(split_by):
    if split_by not in _SPLITS:
        raise ValueError("split_by must be 'file', 'variable' or 'record', got %r" % (split_by,))
    return _SPLITS[split_by]


def convert_grib(
    path,
    *,
    grouping="merge_all",
    preserve_all_keys=False,
    encoding="none",
    bits=None,
    filter="none",
    compression="none",
    compression_level=None,
    threads=0,
    hash="xxh3",
    allow_nan=False,
    allow_inf=False,
    nan_mask_method=None,
    pos_inf_mask_method=None,
    neg_inf_mask_method=None,
    small_mask_threshold_bytes=None,
) -> list:
    """Convert a GRIB file to Tensogram messages: ``list[bytes]``.

    ``grouping="merge_all"`` puts every GRIB message of the file in one
    Tensogram message (one float64 object each); ``"one_to_one"`` gives one
    message per GRIB message.  ``base[i]["mars"]`` holds the MARS keys,
    ``base[i]["grib_repro"]`` what :func:`to_grib` needs, and with
    ``preserve_all_keys`` ``base[i]["grib"]`` the other ecCodes namespaces.
    Points missing from a GRIB bitmap are NaN (stored with a NaN mask).
    The pipeline options are those of the CLI's ``convert-grib``;
    ``threads`` also decodes several GRIB messages at once.
    """
    opts = _options(encoding, bits, filter, compression, compression_level, threads, hash,
                    allow_nan, allow_inf, nan_mask_method, pos_inf_mask_method,
                    neg_inf_mask_method, small_mask_threshold_bytes,
                    grouping=_grouping(grouping), all_keys=preserve_all_keys)
    if not HAS_GRIB:
        raise RuntimeError(_NO_GRIB)
    msgs, warns = _c.convert("grib_file", _path(path), opts)
    _warn(warns)
    return msgs


def convert_grib_buffer(
    buffer,
    *,
    grouping="merge_all",
    preserve_all_keys=False,
    encoding="none",
    bits=None,
    filter="none",
    compression="none",
    compression_level=None,
    threads=0,
    hash="xxh3",
    allow_nan=False,
    allow_inf=False,
    nan_mask_method=None,
    pos_inf_mask_method=None,
    neg_inf_mask_method=None,
    small_mask_threshold_bytes=None,
) -> list:
    """:func:`convert_grib` from memory: any bytes-like object (``bytes``,
    ``bytearray``, ``memoryview``, ``numpy.uint8`` array), e.g. a byte-range
    download.  Bytes around the GRIB messages are skipped."""
    opts = _options(encoding, bits, filter, compression, compression_level, threads, hash,
                    allow_nan, allow_inf, nan_mask_method, pos_inf_mask_method,
                    neg_inf_mask_method, small_mask_threshold_bytes,
                    grouping=_grouping(grouping), all_keys=preserve_all_keys)
    if not HAS_GRIB:
        raise RuntimeError(_NO_GRIB)
    msgs, warns = _c.convert("grib_buffer", buffer, opts)
    _warn(warns)
    return msgs


def convert_netcdf(
    path,
    *,
    split_by="file",
    cf=False,
    encoding="none",
    bits=None,
    filter="none",
    compression="none",
    compression_level=None,
    threads=0,
    hash="xxh3",
    allow_nan=False,
    allow_inf=False,
    nan_mask_method=None,
    pos_inf_mask_method=None,
    neg_inf_mask_method=None,
    small_mask_threshold_bytes=None,
) -> list:
    """Convert a NetCDF file (NetCDF-3 or NetCDF-4, groups included) to
    Tensogram messages: ``list[bytes]``.

    ``split_by``: ``"file"`` (one message), ``"variable"`` (one message per
    variable) or ``"record"`` (one message per step of the unlimited
    dimension).  Packed variables are unpacked to float64, with fill values
    as NaN (always allowed: they are NetCDF's missing data).  ``cf=True``
    lifts the 16 CF attributes of the allow-list into ``base[i]["cf"]``.
    """
    opts = _options(encoding, bits, filter, compression, compression_level, threads, hash,
                    allow_nan, allow_inf, nan_mask_method, pos_inf_mask_method,
                    neg_inf_mask_method, small_mask_threshold_bytes, split_by=_split(split_by),
                    cf=cf)
    if not HAS_NETCDF:
        raise RuntimeError(_NO_NETCDF)
    msgs, warns = _c.convert("netcdf_file", _path(path), opts)
    _warn(warns)
    return msgs


def convert_netcdf_buffer(
    buffer,
    *,
    split_by="file",
    cf=False,
    encoding="none",
    bits=None,
    filter="none",
    compression="none",
    compression_level=None,
    threads=0,
    hash="xxh3",
    allow_nan=False,
    allow_inf=False,
    nan_mask_method=None,
    pos_inf_mask_method=None,
    neg_inf_mask_method=None,
    small_mask_threshold_bytes=None,
) -> list:
    """:func:`convert_netcdf` from a bytes-like object (netCDF-C's in-memory
    open)."""
    opts = _options(encoding, bits, filter, compression, compression_level, threads, hash,
                    allow_nan, allow_inf, nan_mask_method, pos_inf_mask_method,
                    neg_inf_mask_method, small_mask_threshold_bytes, split_by=_split(split_by),
                    cf=cf)
    if not HAS_NETCDF:
        raise RuntimeError(_NO_NETCDF)
    msgs, warns = _c.convert("netcdf_buffer", buffer, opts)
    _warn(warns)
    return msgs


def _message_list(messages):
    if isinstance(messages, (bytes, bytearray, memoryview)):
        return [messages]
    return list(messages)


def to_grib(messages, *, threads=0) -> bytes:
    """GRIB bytes rebuilt from Tensogram messages made by :func:`convert_grib`
    (a list of messages, or one): every object becomes one GRIB message with
    its original headers; NaN values become points missing from a bitmap."""
    if not HAS_GRIB:
        raise RuntimeError(_NO_GRIB)
    return _c.to_grib(_message_list(messages), _int(threads, "threads", 0, 2**32 - 1))


def to_netcdf(messages, path, *, threads=0) -> None:
    """Write the variables of Tensogram messages made by :func:`convert_netcdf`
    (any ``split_by``) into one NetCDF-4 file at ``path``, with dimensions,
    groups, attributes and packing restored.  The file is written under a
    temporary name and renamed into place: a failure leaves no partial file."""
    if not HAS_NETCDF:
        raise RuntimeError(_NO_NETCDF)
    _c.to_netcdf(_message_list(messages), os.fspath(path),
                 _int(threads, "threads", 0, 2**32 - 1))


class _Mapped:
    """A file's bytes, mapped read-only when it can be (else read)."""

    def __init__(self, path):
        self._fh = open(_path(path), "rb")
        self._map = None
        try:
            if os.fstat(self._fh.fileno()).st_size > 0:
                self._map = mmap.mmap(self._fh.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):
            self._map = None
        self.data = self._map if self._map is not None else self._fh.read()

    def __enter__(self):
        return self.data

    def __exit__(self, *exc):
        self.data = None
        if self._map is not None:
            self._map.close()
        self._fh.close()


def _write_file(path, write):
    """write(fd) into a temporary file beside ``path``, synced and renamed
    over it on success (removed on failure): ``path`` is never partial."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".",
                               suffix=".tmp")
    try:
        try:
            mode = os.stat(path).st_mode & 0o7777
        except FileNotFoundError:
            mask = os.umask(0)
            os.umask(mask)
            mode = 0o666 & ~mask
        os.fchmod(fd, mode)
        n = write(fd)
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(tmp, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    dfd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)
    return n


def convert_tenbin(
    source,
    *,
    output=None,
    byte_order="auto",
    encoding="none",
    bits=None,
    filter="none",
    compression="none",
    compression_level=None,
    threads=0,
    hash="xxh3",
    allow_nan=False,
    allow_inf=False,
    nan_mask_method=None,
    pos_inf_mask_method=None,
    neg_inf_mask_method=None,
    small_mask_threshold_bytes=None,
) -> bytes:
    """One Tensogram message from a webdataset ``.ten`` buffer or file
    (``source``: bytes-like or a path, which is mapped): one object per
    array, a non-empty info name in ``base[i]["name"]``.  ``byte_order``:
    ``"auto"`` (read from the file's first chunk), ``"little"``, ``"big"``
    or ``"native"``.  With ``output`` (a path) the message is written there
    instead of returned, never assembled in memory (the arrays go from the
    source to the file), through a temporary file renamed into place; the
    length written is returned."""
    if byte_order not in _ORDERS:
        raise ValueError("byte_order must be one of %s, got %r" % (tuple(_ORDERS), byte_order))
    opts = _options(encoding, bits, filter, compression, compression_level, threads, hash,
                    allow_nan, allow_inf, nan_mask_method, pos_inf_mask_method,
                    neg_inf_mask_method, small_mask_threshold_bytes,
                    byte_order=_ORDERS[byte_order])
    def run(buf):
        if output is None:
            msg, warns = _c.convert_tenbin(buf, opts)
        else:
            msg, warns = _write_file(output, lambda fd: _c.convert_tenbin(buf, opts, fd))
        _warn(warns)
        return msg

    if isinstance(source, (str, os.PathLike)):
        with _Mapped(source) as buf:
            return run(buf)
    return run(source)


def to_tenbin(message, *, output=None, byte_order="little", threads=0) -> bytes:
    """A webdataset ``.ten`` buffer holding the objects of one Tensogram
    message (``base[i]["name"]``, at most 8 ASCII bytes, as the info name).
    ``message``: bytes-like, or the path of a file holding one message
    (mapped).  With ``output`` (a path) the ``.ten`` is written there
    instead of returned, raw objects straight from the message, through a
    temporary file renamed into place; the length written is returned."""
    if byte_order not in ("little", "big", "native"):
        raise ValueError("byte_order must be 'little', 'big' or 'native', got %r" % (byte_order,))
    order = _ORDERS[byte_order]
    nthreads = _int(threads, "threads", 0, 2**32 - 1)

    def run(buf):
        if output is None:
            return _c.to_tenbin(buf, order, nthreads)
        return _write_file(output, lambda fd: _c.to_tenbin(buf, order, nthreads, fd))

    if isinstance(message, (str, os.PathLike)):
        with _Mapped(message) as buf:
            return run(buf)
    return run(message)
