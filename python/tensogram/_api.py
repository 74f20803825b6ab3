"""The module-level API: encode, decode, files, streaming, validation."""

from __future__ import annotations

import json
import os
import sys

import numpy as np

from . import _tensogram as _c
from ._model import (
    DataObjectDescriptor,
    Message,
    Metadata,
    descriptor_dict,
    descriptor_json,
    metadata_json,
)


try:  # bfloat16 arrays when ml_dtypes is installed, else raw uint16
    import ml_dtypes as _ml_dtypes

    _BFLOAT16 = np.dtype(_ml_dtypes.bfloat16)
except ImportError:  # pragma: no cover - depends on the environment
    _BFLOAT16 = None


# The classes decode_fast builds its results from.
_c._fast_init(Metadata, DataObjectDescriptor, Message, _BFLOAT16)


# ---- helpers ---------------------------------------------------------------------


def _threads(threads) -> int:
    if isinstance(threads, bool) or not hasattr(threads, "__index__"):
        raise TypeError("threads must be an int")
    t = threads.__index__()
    if t < 0:
        raise ValueError("threads must be >= 0")
    return t


_MASK_METHODS = _c.MASK_METHODS  # the library's list


def _mask_tuple(allow_nan, allow_inf, nan_m, pos_m, neg_m, threshold):
    for m in (nan_m, pos_m, neg_m):
        if m is not None and m not in _MASK_METHODS:
            raise ValueError(
                "unknown mask method %s (expected %s)"
                % (_quoted(m), " | ".join('"%s"' % n for n in _MASK_METHODS))
            )
    if threshold is not None:
        if isinstance(threshold, bool) or not hasattr(threshold, "__index__"):
            raise TypeError("small_mask_threshold_bytes must be an int or None")
        if threshold.__index__() < 0:
            raise ValueError("small_mask_threshold_bytes must be >= 0")
    return (bool(allow_nan), bool(allow_inf), nan_m, pos_m, neg_m, threshold)


def _quoted(s) -> str:
    return json.dumps(s) if isinstance(s, str) else repr(s)


_AGGREGATE = ("auto", "none", "header", "footer", "both")


def _aggregate(policy):
    """The aggregate hash frame placement for the C API: None (= "auto",
    the header for buffered encodes) or one of _AGGREGATE.  Only matters
    when hashing."""
    if policy is None:
        return None
    if not isinstance(policy, str):
        raise TypeError("aggregate_hash must be a str or None, not %s" % type(policy).__name__)
    if policy not in _AGGREGATE:
        raise ValueError(
            "unknown aggregate_hash policy %s; expected one of: 'auto', 'none', 'header', "
            "'footer', 'both'" % _quoted(policy)
        )
    return policy


def _array_payload(data):
    """(buffer, byte-order hint) for an array argument: C-contiguous arrays
    are passed as they are; anything else is made contiguous (one copy)."""
    arr = data if isinstance(data, np.ndarray) else np.asarray(data)
    if not arr.flags.c_contiguous:
        arr = np.ascontiguousarray(arr)
    hint = None
    bo = arr.dtype.byteorder
    if bo == ">" or (bo == "=" and sys.byteorder == "big"):
        hint = "big"
    elif bo == "<" or bo == "=":
        hint = "little"
    # Single-byte and byte-order-free types carry no order of their own.
    if arr.dtype.itemsize == 1 or bo == "|":
        hint = None
    if arr.dtype.kind not in "biufc" or arr.dtype.hasobject:
        if arr.dtype.hasobject:
            raise ValueError("object arrays cannot be encoded")
        # Other element types (e.g. ml_dtypes.bfloat16) go as their bytes.
        arr = arr.reshape(-1).view(np.uint8)
    return arr, hint


def _payload(data):
    """Raw-bytes view of one object's data (numpy array or bytes-like)."""
    if isinstance(data, (np.ndarray, np.generic)):
        return _array_payload(data)
    if isinstance(data, (bytes, bytearray)):
        return data, None
    try:
        mv = memoryview(data)
    except TypeError:
        raise ValueError(
            "data must be a numpy array or bytes, got %s" % type(data).__name__
        ) from None
    if not mv.c_contiguous:
        return mv.tobytes(), None
    return mv, None


def _in_descriptor_order(buf, hint, desc: dict):
    """The payload in the byte order its descriptor states.  An array whose
    own order differs (``>f8`` under ``"byte_order": "little"``) is
    converted, one copy, so that its values, not its bytes, are stored:
    the round trip gives the values back."""
    if hint is None or desc["byte_order"] == hint:
        return buf
    target = "<" if desc["byte_order"] == "little" else ">"
    return np.ascontiguousarray(buf.astype(buf.dtype.newbyteorder(target), copy=True))


def _pairs(descriptors_and_data, pre_encoded: bool):
    """Checked descriptors (dicts) and payload buffers of (desc, data) pairs."""
    if isinstance(descriptors_and_data, (str, bytes, dict)) or not hasattr(
        descriptors_and_data, "__iter__"
    ):
        raise ValueError("descriptors_and_data must be a list of (descriptor_dict, data) tuples")
    descs, datas = [], []
    for item in descriptors_and_data:
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise ValueError("each element must be a (descriptor_dict, data) tuple of length 2")
        desc, data = item
        if not isinstance(desc, dict):
            raise ValueError("first element of each pair must be a descriptor dict")
        if pre_encoded:
            if isinstance(data, (np.ndarray, np.generic)):
                raise ValueError(
                    "encode_pre_encoded requires bytes data (got %s) — the payload must "
                    "already be in its final wire form" % type(data).__name__
                )
            try:
                buf = memoryview(data)
            except TypeError:
                raise ValueError(
                    "encode_pre_encoded requires bytes data (got %s) — the payload must "
                    "already be in its final wire form" % type(data).__name__
                ) from None
            hint = None
            if not buf.c_contiguous:
                buf = buf.tobytes()
        else:
            buf, hint = _payload(data)
        d = descriptor_dict(desc, hint)
        descs.append(d)
        datas.append(_in_descriptor_order(buf, hint, d))
    return descs, datas


def _wrap_array(desc: DataObjectDescriptor, arr):
    if _BFLOAT16 is not None and desc.dtype == "bfloat16":
        return arr.view(_BFLOAT16)
    return arr


def _wrap_objects(objs) -> list:
    out = []
    for text, arr in objs:
        d = DataObjectDescriptor._from_json(text)
        out.append((d, _wrap_array(d, arr)))
    return out


def _message(result) -> Message:
    (base, extra, reserved), objs = result
    return Message(Metadata(base, extra, reserved), _wrap_objects(objs))


def _range_arrays(result, join: bool):
    dtype, arrays = result
    if _BFLOAT16 is not None and dtype == "bfloat16":
        arrays = [a.view(_BFLOAT16) for a in arrays]
    return arrays[0] if join else arrays


# ---- encoding ----------------------------------------------------------------------


def encode(
    global_meta_dict,
    descriptors_and_data,
    hash="xxh3",
    threads=0,
    allow_nan=False,
    allow_inf=False,
    nan_mask_method=None,
    pos_inf_mask_method=None,
    neg_inf_mask_method=None,
    small_mask_threshold_bytes=None,
    aggregate_hash=None,
) -> bytes:
    """Encode ``[(descriptor, array), ...]`` into one message (``bytes``).

    ``hash="xxh3"`` stores per-object hashes (``None`` stores none).  By
    default NaN and infinities are rejected; ``allow_nan`` / ``allow_inf``
    store them as bitmasks (``*_mask_method``: "none", "rle", "roaring",
    "lz4", "zstd", "blosc2").  ``aggregate_hash`` places the frame listing
    every object's hash: None / "auto" / "header", "footer", "both" or
    "none".  C-contiguous arrays are encoded without a copy; other arrays
    are copied once.
    """
    # Plain inputs with default options: checked and encoded in C; None
    # when the general path below must decide (same results, same errors).
    msg = _c.encode_fast(
        global_meta_dict,
        descriptors_and_data,
        hash,
        threads,
        allow_nan,
        allow_inf,
        nan_mask_method,
        pos_inf_mask_method,
        neg_inf_mask_method,
        small_mask_threshold_bytes,
        aggregate_hash,
    )
    if msg is not None:
        return msg
    aggregate = _aggregate(aggregate_hash)
    descs, datas = _pairs(descriptors_and_data, False)
    mask = _mask_tuple(
        allow_nan,
        allow_inf,
        nan_mask_method,
        pos_inf_mask_method,
        neg_inf_mask_method,
        small_mask_threshold_bytes,
    )
    return _c.encode(
        metadata_json(global_meta_dict, descs),
        datas,
        hash,
        _threads(threads),
        mask,
        False,
        all(_stored_as_is(d) for d in descs),
        aggregate,
        _user_codec(descs),
    )


def _stored_as_is(d: dict) -> bool:
    return d["encoding"] == "none" and d["filter"] == "none" and d["compression"] == "none"


# The format's compressions; any other name is a user codec's
# (register_codec), whose callbacks the library must run only once.
_BUILTIN_COMPRESSIONS = frozenset(_c.COMPRESSIONS)  # the library's list


def _user_codec(descs) -> bool:
    return any(d.get("compression") not in _BUILTIN_COMPRESSIONS for d in descs)


def encode_pre_encoded(global_meta_dict, descriptors_and_data, hash="xxh3", threads=0) -> bytes:
    """Encode payloads that are already in their final wire form (encoded
    and compressed as each descriptor says); hashes are computed.  The
    payloads are written straight into the message (no intermediate copy)."""
    descs, datas = _pairs(descriptors_and_data, True)
    return _c.encode(
        metadata_json(global_meta_dict, descs),
        datas,
        hash,
        _threads(threads),
        None,
        True,
        False,
        None,
        _user_codec(descs),
    )


# ---- decoding ----------------------------------------------------------------------


def decode(
    buf, native_byte_order=True, threads=0, restore_non_finite=True, verify_hash=False
) -> Message:
    """Decode a whole message -> ``Message(metadata, objects)``.

    The arrays view the decoded values without a copy.  With
    ``native_byte_order=False`` they hold the bytes in the wire's byte order
    (labelled with the native dtype, as the reference does)."""
    msg = _c.decode_fast(buf, native_byte_order, threads, restore_non_finite, verify_hash)
    if msg is not None:  # bytes and a plain thread count: the Message comes from C
        return msg
    return _message(
        _c.decode(buf, native_byte_order, _threads(threads), restore_non_finite, verify_hash)
    )


def decode_with_masks(buf, native_byte_order=True, threads=0) -> Message:
    """Decode without restoring NaN / Inf: the payloads hold the zeros the
    encoder substituted, and each object comes as
    ``(descriptor, array, masks)`` where ``masks`` maps "nan", "inf+" and
    "inf-" (the kinds the frame stores) to flat bool arrays of one flag per
    element.  One decode: the masks come from the library with the values."""
    (base, extra, reserved), objs, masks = _c.decode_with_masks(
        buf, native_byte_order, _threads(threads)
    )
    out = [(d, arr, m) for (d, arr), m in zip(_wrap_objects(objs), masks)]
    return Message(Metadata(base, extra, reserved), out)


def _index(index, count, what: str) -> int:
    """A sequence index: negative values count from the end, as in Python
    (``count`` is called only then); one still negative is an IndexError.
    Indexes past the end are left to the library (ValueError / the
    reference's error)."""
    if isinstance(index, bool) or not hasattr(index, "__index__"):
        raise TypeError("%s must be an integer, not %s" % (what, type(index).__name__))
    i = index.__index__()
    if i >= 0:
        return i
    n = count()
    if i + n < 0:
        raise IndexError("%s %d out of range (%d available)" % (what, i, n))
    return i + n


def _object_count(buf) -> int:
    return len(_c.decode_descriptors(buf)[1])


def decode_metadata(buf) -> Metadata:
    """Global metadata only; no payload is touched."""
    return Metadata(*_c.decode_metadata(buf))


def decode_descriptors(buf):
    """``(Metadata, [DataObjectDescriptor, ...])`` without decoding payloads."""
    (base, extra, reserved), descs = _c.decode_descriptors(buf)
    return Metadata(base, extra, reserved), [DataObjectDescriptor._from_json(t) for t in descs]


def decode_object(
    buf, index, native_byte_order=True, threads=0, restore_non_finite=True, verify_hash=False
):
    """One object -> ``(Metadata, DataObjectDescriptor, ndarray)`` (O(1)
    through the index frame).  ValueError when ``index`` is out of range."""
    r = _c.decode_object_fast(
        buf, index, native_byte_order, threads, restore_non_finite, verify_hash
    )
    if r is not None:  # bytes, plain index and thread count: the result comes from C
        return r
    index = _index(index, lambda: _object_count(buf), "object index")
    (base, extra, reserved), text, arr = _c.decode_object(
        buf, index, native_byte_order, _threads(threads), verify_hash, restore_non_finite
    )
    d = DataObjectDescriptor._from_json(text)
    return Metadata(base, extra, reserved), d, _wrap_array(d, arr)


def decode_range(
    buf,
    object_index,
    ranges,
    join=False,
    native_byte_order=True,
    threads=0,
    restore_non_finite=True,
):
    """Element ranges ``[(offset, count), ...]`` of one object: a list of
    flat arrays, or one concatenated array with ``join=True``.  Needs a
    pipeline with random access (no zstd/lz4 stream, no shuffle)."""
    object_index = _index(object_index, lambda: _object_count(buf), "object index")
    return _range_arrays(
        _c.decode_range(
            buf,
            object_index,
            ranges,
            bool(join),
            native_byte_order,
            _threads(threads),
            restore_non_finite,
        ),
        join,
    )


def scan(buf) -> list:
    """``[(offset, length), ...]`` of every complete message in ``buf``."""
    return _c.scan(buf)


class MessageIter:
    """Iterator over the messages of a buffer (from :func:`iter_messages`)."""

    def __init__(self, buf, verify_hash=False):
        # Immutable bytes are shared; anything else is copied once so later
        # changes by the caller cannot affect the iteration.
        self._buf = buf if isinstance(buf, bytes) else bytes(buf)
        self._offsets = _c.scan(self._buf)
        self._index = 0
        self._verify = bool(verify_hash)

    def __iter__(self):
        return self

    def __next__(self) -> Message:
        if self._index >= len(self._offsets):
            raise StopIteration
        off, length = self._offsets[self._index]
        self._index += 1  # a failing message is not retried
        view = memoryview(self._buf)[off : off + length]
        return _message(_c.decode(view, True, 0, True, self._verify))

    def __len__(self) -> int:
        return max(0, len(self._offsets) - self._index)

    def __repr__(self) -> str:
        return "MessageIter(position=%d, remaining=%d)" % (self._index, len(self))


def iter_messages(buf, *, verify_hash=False) -> MessageIter:
    """Iterate ``Message`` tuples over a buffer of concatenated messages."""
    return MessageIter(buf, verify_hash)


# ---- utilities -----------------------------------------------------------------------


def compute_hash(data, algo="xxh3") -> str:
    """Hex digest (16 characters for xxh3) of a bytes-like object."""
    # Like the reference: bytes or bytearray only; convert other buffers
    # with bytes(...) / ndarray.tobytes() first.
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(
            "compute_hash expects bytes or bytearray, not %s" % type(data).__name__
        )
    if algo is None:
        raise ValueError("algo must be a hash name such as 'xxh3'")
    return _c.compute_hash(data, algo)


def compute_packing_params(values, bits_per_value, decimal_scale_factor=0) -> dict:
    """simple_packing parameters for a 1-d float64 array, as descriptor
    keys: sp_reference_value, sp_binary_scale_factor,
    sp_decimal_scale_factor, sp_bits_per_value."""
    if not isinstance(values, np.ndarray) or values.dtype != np.float64 or values.ndim != 1:
        raise TypeError("values must be a 1-d numpy float64 array")
    if not values.flags.c_contiguous:
        values = np.ascontiguousarray(values)
    bits = int(bits_per_value)
    dsf = int(decimal_scale_factor)
    if not 0 <= bits <= 0xFFFFFFFF:
        raise ValueError("bits_per_value must be a non-negative integer")
    ref, bsf = _c.packing_params(values, bits, dsf)
    return {
        "sp_reference_value": ref,
        "sp_binary_scale_factor": bsf,
        "sp_decimal_scale_factor": dsf,
        "sp_bits_per_value": bits,
    }


_LEVELS = ("quick", "default", "checksum", "full")


def _level(level):
    if level not in _LEVELS:
        raise ValueError(
            "unknown validation level: '%s', expected one of: quick, default, checksum, full"
            % (level,)
        )
    return level


def _decode_limit(limit) -> int:
    """The C extension's form of ``decode_limit``: -1 for "auto", 0 for
    None (no limit), else a positive number of bytes."""
    if isinstance(limit, str):
        if limit != "auto":
            raise ValueError("decode_limit must be 'auto', None or a number of bytes, not %r"
                             % (limit,))
        return -1
    if limit is None:
        return 0
    if isinstance(limit, bool) or not hasattr(limit, "__index__") or limit.__index__() <= 0:
        raise ValueError("decode_limit must be 'auto', None or a positive number of bytes, not %r"
                         % (limit,))
    return limit.__index__()


def validate(buf, level="default", check_canonical=False, decode_limit="auto") -> dict:
    """Check one message; returns {"issues": [...], "object_count": n,
    "hash_verified": bool}.  Problems are reported, not raised.

    ``decode_limit``: objects that decode to more bytes are not decoded
    (a "not_decoded" warning says so), so that a few hundred hostile bytes
    cannot make validation allocate gigabytes.  "auto" (default): 64 MiB or
    64 times the message size, whichever is larger, and all objects of the
    call (every message of a file) together at most 64 MiB or 64 times the
    size of the input, so many objects cannot add up; None: no limit but the
    decoded-size cap (:func:`set_max_object_bytes`); or a number of bytes."""
    return json.loads(
        _c.validate(buf, _level(level), bool(check_canonical), _decode_limit(decode_limit))
    )


def validate_file(path, level="default", check_canonical=False, decode_limit="auto") -> dict:
    """Check every message of a file: {"file_issues": [...], "messages":
    [report, ...]}.  OSError when the file cannot be read.  ``decode_limit``
    as for :func:`validate`."""
    level = _level(level)
    limit = _decode_limit(decode_limit)
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(2, "No such file or directory", path)
    return json.loads(_c.validate_file(path, level, bool(check_canonical), limit))


def doctor() -> dict:
    """Build and environment report: {"build": ..., "features": [...],
    "self_test": [...]}."""
    return json.loads(_c.doctor())


def is_remote_url(source) -> bool:
    """True for URLs read remotely: http://, https://, s3://, s3a://, gs://,
    az://, azure:// (any case)."""
    return isinstance(source, str) and _c.is_remote_url(source)


def _check_bool(v, name: str) -> None:
    if not isinstance(v, bool):
        raise TypeError("%s must be a bool, not %s" % (name, type(v).__name__))


def _storage_options(opts) -> dict:
    """The reference's checks on storage_options: str keys, values that
    convert to str."""
    if opts is None:
        return {}
    if not isinstance(opts, dict):
        raise TypeError("storage_options must be a dict or None")
    out = {}
    for k, v in opts.items():
        if not isinstance(k, str):
            raise TypeError("storage_options keys must be str")
        try:
            out[k] = v if isinstance(v, str) else str(v)
        except Exception:
            raise ValueError(
                "storage_options value for key '%s' must be convertible to string" % k
            ) from None
    return out


def _storage_pairs(opts) -> tuple:
    return tuple(_storage_options(opts).items())


# ---- files -------------------------------------------------------------------------


def _index_list(msg_indices) -> list:
    if isinstance(msg_indices, (str, bytes)):
        raise TypeError("msg_indices must be a sequence of integers")
    return list(msg_indices)


class TensogramFile:
    """A ``.tgm`` file: a sequence of independent messages.

    ``len(f)`` counts messages; ``f[i]`` (negative indexes too) and
    ``f[a:b:c]`` decode them; iteration yields ``Message`` tuples.  The
    first access scans the file once; later reads are O(1).  The handle
    may be shared by threads.  Leaving a ``with`` block releases the OS
    resources; the object reopens the file if it is used again.
    """

    def __init__(self, path, handle, remote=None):
        self._path = path
        self._h = handle
        self._remote = remote  # (storage pairs, bidirectional) of a remote file

    @staticmethod
    def open(source, *, bidirectional=True) -> TensogramFile:
        """Open an existing file for reading (and appending); URLs
        (:func:`is_remote_url`) open remotely, as :meth:`open_remote`."""
        _check_bool(bidirectional, "bidirectional")  # local files: always both ways
        if is_remote_url(source):
            return TensogramFile.open_remote(source, bidirectional=bidirectional)
        path = os.fspath(source)
        if not os.path.exists(path):
            raise FileNotFoundError(2, "No such file or directory", path)
        return TensogramFile(path, _c.File(path, False))

    @staticmethod
    def open_remote(source, storage_options=None, *, bidirectional=True) -> TensogramFile:
        """Open a remote file (http(s)://, s3://, gs://, az://) read with
        range requests.  ``storage_options`` are the reference's keys
        (credentials, ``region``, ``endpoint``, ``timeout``, ...; see
        docs/remote.md); an unknown key raises ValueError.  Network and HTTP
        failures raise OSError ("RemoteError: ...")."""
        _check_bool(bidirectional, "bidirectional")
        pairs = _storage_pairs(storage_options)
        if not isinstance(source, str):
            raise TypeError("source must be a str URL")
        h = _c.File(source, remote=True, storage=pairs, bidirectional=bidirectional)
        return TensogramFile(source, h, remote=(pairs, bidirectional))

    @staticmethod
    def create(path) -> TensogramFile:
        """Create (or truncate) a file for writing."""
        path = os.fspath(path)
        return TensogramFile(path, _c.File(path, True))

    def _handle(self):
        if self._h is None or self._h.closed:
            if self._remote is not None:
                pairs, bidir = self._remote
                self._h = _c.File(self._path, remote=True, storage=pairs, bidirectional=bidir)
            else:
                self._h = _c.File(self._path, False)
        return self._h

    def close(self) -> None:
        if self._h is not None:
            self._h.close()
            self._h = None

    def message_count(self) -> int:
        return self._handle().count()

    def __len__(self) -> int:
        return self._handle().count()

    def append(
        self,
        global_meta_dict,
        descriptors_and_data,
        hash="xxh3",
        threads=0,
        allow_nan=False,
        allow_inf=False,
        nan_mask_method=None,
        pos_inf_mask_method=None,
        neg_inf_mask_method=None,
        small_mask_threshold_bytes=None,
        aggregate_hash=None,
    ) -> None:
        """Encode one message (as :func:`encode`) and append it."""
        aggregate = _aggregate(aggregate_hash)
        descs, datas = _pairs(descriptors_and_data, False)
        mask = _mask_tuple(
            allow_nan,
            allow_inf,
            nan_mask_method,
            pos_inf_mask_method,
            neg_inf_mask_method,
            small_mask_threshold_bytes,
        )
        self._handle().append(
            metadata_json(global_meta_dict, descs), datas, hash, _threads(threads), mask, aggregate
        )

    def append_raw(self, message) -> None:
        """Append already-encoded bytes: one or more complete messages
        (anything else raises ValueError and writes nothing)."""
        self._handle().append_raw(message)

    def sync(self) -> None:
        """Make the messages appended so far durable (fdatasync of the file,
        and of its directory when this handle created it).  Until then an
        append survives a crash of the process, not a power loss."""
        self._handle().sync()

    def decode_message(
        self,
        index,
        native_byte_order=True,
        threads=0,
        restore_non_finite=True,
        verify_hash=False,
    ) -> Message:
        h = self._handle()
        index = _index(index, h.count, "message index")
        return _message(
            h.decode_message(
                index, native_byte_order, _threads(threads), restore_non_finite, verify_hash
            )
        )

    def _msg_index(self, h, msg_index) -> int:
        return _index(msg_index, h.count, "message index")

    def _obj_index(self, h, msg_index, obj_index) -> int:
        return _index(obj_index, lambda: len(h.decode_descriptors(msg_index)[1]), "object index")

    def file_decode_metadata(self, msg_index) -> Metadata:
        h = self._handle()
        return Metadata(*h.decode_metadata(self._msg_index(h, msg_index)))

    def file_decode_descriptors(self, msg_index) -> dict:
        h = self._handle()
        (base, extra, reserved), descs = h.decode_descriptors(self._msg_index(h, msg_index))
        return {
            "metadata": Metadata(base, extra, reserved),
            "descriptors": [DataObjectDescriptor._from_json(t) for t in descs],
        }

    def file_decode_object(
        self, msg_index, obj_index, native_byte_order=True, threads=0, verify_hash=False
    ) -> dict:
        h = self._handle()
        msg_index = self._msg_index(h, msg_index)
        obj_index = self._obj_index(h, msg_index, obj_index)
        (base, extra, reserved), text, arr = h.decode_object(
            msg_index, obj_index, native_byte_order, _threads(threads), verify_hash
        )
        d = DataObjectDescriptor._from_json(text)
        return {
            "metadata": Metadata(base, extra, reserved),
            "descriptor": d,
            "data": _wrap_array(d, arr),
        }

    def file_decode_range(
        self, msg_index, obj_index, ranges, join=False, native_byte_order=True, threads=0
    ):
        h = self._handle()
        msg_index = self._msg_index(h, msg_index)
        obj_index = self._obj_index(h, msg_index, obj_index)
        return _range_arrays(
            h.decode_range(
                msg_index, obj_index, ranges, bool(join), native_byte_order, _threads(threads)
            ),
            join,
        )

    def file_decode_object_batch(
        self, msg_indices, obj_index, native_byte_order=True, threads=0, verify_hash=False
    ) -> list:
        """Object ``obj_index`` of each message, as :meth:`file_decode_object`
        dicts; the reads are issued together (concurrent range requests,
        neighbours coalesced).  Remote files only: OSError on a local file,
        as in the reference."""
        if self._remote is None:
            raise OSError("file_decode_object_batch requires a remote backend (this file is local)")
        results = self._handle().decode_object_batch(
            _index_list(msg_indices), obj_index, native_byte_order, _threads(threads), verify_hash
        )
        out = []
        for (base, extra, reserved), text, arr in results:
            d = DataObjectDescriptor._from_json(text)
            out.append(
                {
                    "metadata": Metadata(base, extra, reserved),
                    "descriptor": d,
                    "data": _wrap_array(d, arr),
                }
            )
        return out

    def file_decode_range_batch(
        self, msg_indices, obj_index, ranges, join=False, native_byte_order=True, threads=0
    ) -> list:
        """Element ranges of object ``obj_index`` of each message, as
        :meth:`file_decode_range` gives them, read together.  Remote files
        only (OSError on a local file).  :meth:`prefetch_layouts` first
        spares the per-message layout reads."""
        if self._remote is None:
            raise OSError("file_decode_range_batch requires a remote backend (this file is local)")
        results = self._handle().decode_range_batch(
            _index_list(msg_indices), obj_index, ranges, bool(join), native_byte_order,
            _threads(threads),
        )
        return [_range_arrays(r, join) for r in results]

    def prefetch_layouts(self, msg_indices) -> None:
        """Read the layouts (metadata, index) of these messages now, in one
        batch of concurrent requests; later reads of them need no layout
        request.  Local files: nothing to do."""
        if self._remote is not None:
            self._handle().prefetch_layouts(_index_list(msg_indices))

    def remote_stats(self) -> dict:
        """{"requests", "retries", "bytes"} a remote file has used so far."""
        return self._handle().remote_stats()

    def is_remote(self) -> bool:
        return self._remote is not None

    def source(self) -> str:
        return self._path

    @property
    def path(self) -> str:
        return self._path

    def read_message(self, index) -> bytes:
        """Raw bytes of message ``index`` (for forwarding or caching)."""
        h = self._handle()
        return h.read_message(self._msg_index(h, index))

    def messages(self) -> list:
        h = self._handle()
        return [h.read_message(i) for i in range(h.count())]

    def __getitem__(self, key):
        h = self._handle()
        count = h.count()
        if isinstance(key, slice):
            return [self.decode_message(i) for i in range(*key.indices(count))]
        if isinstance(key, bool) or not hasattr(key, "__index__"):
            raise TypeError("indices must be integers or slices")
        index = key.__index__()
        i = index + count if index < 0 else index
        if not 0 <= i < count:
            raise IndexError(
                "message index %d out of range for file with %d messages" % (index, count)
            )
        return self.decode_message(i)

    def __iter__(self):
        if self._remote is not None:
            # As the reference: iterate remote files by index.
            raise RuntimeError("iteration not supported on remote files")
        return TensogramFileIter(self._path)

    def __enter__(self):
        return self

    def __exit__(self, exc_type=None, exc_val=None, exc_tb=None):
        self.close()
        return False

    def __repr__(self) -> str:
        return "TensogramFile(source='%s')" % self._path


class TensogramFileIter:
    """Iterator over a file's messages; it owns its own handle."""

    def __init__(self, path):
        self._h = _c.File(path, False)
        self._count = self._h.count()
        self._index = 0

    def __iter__(self):
        return self

    def __next__(self) -> Message:
        if self._index >= self._count:
            self._h.close()
            raise StopIteration
        i = self._index
        self._index += 1
        return _message(self._h.decode_message(i, True, 0, True, False))

    def __len__(self) -> int:
        return max(0, self._count - self._index)

    def __repr__(self) -> str:
        return "TensogramFileIter(position=%d, remaining=%d)" % (self._index, len(self))


# ---- streaming ------------------------------------------------------------------------


class StreamingEncoder:
    """Builds one message in memory, one object frame at a time.

    ``finish()`` returns the message with total_length 0 in the preamble and
    postamble (streaming mode); ``finish_backfilled()`` writes the real
    length in both.  ``finish_and_reset*()`` return the message and start the
    next one on the same encoder.
    """

    def __init__(
        self,
        global_meta_dict,
        hash="xxh3",
        threads=0,
        allow_nan=False,
        allow_inf=False,
        nan_mask_method=None,
        pos_inf_mask_method=None,
        neg_inf_mask_method=None,
        small_mask_threshold_bytes=None,
        aggregate_hash=None,
    ):
        mask = _mask_tuple(
            allow_nan,
            allow_inf,
            nan_mask_method,
            pos_inf_mask_method,
            neg_inf_mask_method,
            small_mask_threshold_bytes,
        )
        self._enc = _c.StreamingEncoder(
            metadata_json(global_meta_dict, None),
            hash,
            _threads(threads),
            mask,
            _aggregate(aggregate_hash),
        )

    def write_object(self, descriptor, data) -> None:
        """Encode one object (numpy array or bytes) and write its frame."""
        buf, hint = _payload(data)
        d = descriptor_dict(descriptor, hint)
        self._enc.write(descriptor_json(d), _in_descriptor_order(buf, hint, d))

    def write_object_pre_encoded(self, descriptor, data) -> None:
        """Write an object whose bytes are already in their final form."""
        if isinstance(data, (np.ndarray, np.generic)):
            raise ValueError("write_object_pre_encoded requires bytes data")
        self._enc.write_pre_encoded(descriptor_json(descriptor_dict(descriptor)), data)

    def write_preceder(self, metadata) -> None:
        """Per-object metadata for the next object (stored in base[i])."""
        from . import _json

        self._enc.write_preceder(_json.value(dict(metadata)))

    @property
    def object_count(self) -> int:
        return self._enc.object_count

    @property
    def bytes_written(self) -> int:
        return self._enc.bytes_written

    def finish(self) -> bytes:
        return self._enc.finish(False)

    def finish_backfilled(self) -> bytes:
        return self._enc.finish(True)

    def finish_and_reset(self) -> bytes:
        return self._enc.finish_and_reset(False)

    def finish_and_reset_backfilled(self) -> bytes:
        return self._enc.finish_and_reset(True)
