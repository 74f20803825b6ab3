"""Metadata, descriptors and messages on the Python side.

Decoded metadata arrives from the extension as plain dicts; `Metadata`
gives the reference binding's read-only mapping view over them.  Going
the other way, `metadata_json` and `descriptor_json` check caller dicts
the way the reference binding does and produce the JSON the C API reads.
"""

from __future__ import annotations

import json
import sys
import warnings
from collections import namedtuple
from collections.abc import Mapping

from . import _json

WIRE_VERSION = 3
RESERVED = "_reserved_"

Message = namedtuple("Message", ["metadata", "objects"])
Message.__doc__ = """A decoded message: ``metadata`` (Metadata) and ``objects``, a list of
(DataObjectDescriptor, numpy.ndarray) pairs.  Unpacks as ``meta, objects = msg``."""

_MISSING = object()


class Metadata:
    """Message metadata: ``version``, ``base`` (one dict per object),
    ``extra`` (message-level keys) and ``reserved`` (written by the library).

    Mapping access (``meta["key"]``, ``in``, ``get``, ``keys``, iteration)
    looks a top-level key up in ``base[0]``, ``base[1]``, ... (skipping their
    ``_reserved_``) and then in ``extra``; the first match wins.  Dotted
    paths go through :meth:`get_path`.
    """

    __slots__ = ("_base", "_extra", "_reserved", "_lazy")

    def __init__(self, base=None, extra=None, reserved=None):
        self._base = list(base or [])
        self._extra = dict(extra or {})
        self._reserved = dict(reserved or {})

    def __getattr__(self, name):
        # Reached only for slots not set yet: the metadata of a small
        # decoded message is built on first use (_lazy, from the extension).
        if name in _METADATA_SLOTS:
            lazy = object.__getattribute__(self, "_lazy")
            if lazy is not None:
                self._base, self._extra, self._reserved = lazy()
                self._lazy = None
            return object.__getattribute__(self, name)
        raise AttributeError("'%s' object has no attribute '%s'" % (type(self).__name__, name))

    @property
    def version(self) -> int:
        """Wire-format version of the message (always 3)."""
        return WIRE_VERSION

    @property
    def base(self) -> list:
        return self._base

    @property
    def extra(self) -> dict:
        return self._extra

    @property
    def reserved(self) -> dict:
        return self._reserved

    @property
    def num_objects(self) -> int:
        return len(self._base)

    def _flat(self, key):
        if key != RESERVED:
            for entry in self._base:
                if key in entry:
                    return entry[key]
        return self._extra.get(key, _MISSING)

    def _entries(self):
        seen = {}
        for entry in self._base:
            for k, v in entry.items():
                if k != RESERVED and k not in seen:
                    seen[k] = v
        for k, v in self._extra.items():
            if k not in seen:
                seen[k] = v
        return seen

    def __getitem__(self, key: str):
        if not isinstance(key, str):
            raise TypeError("metadata keys are strings, not %s" % type(key).__name__)
        v = self._flat(key)
        if v is _MISSING:
            raise KeyError(key)
        return v

    def __contains__(self, key) -> bool:
        return isinstance(key, str) and self._flat(key) is not _MISSING

    def get(self, key: str, default=None):
        v = self._flat(key) if isinstance(key, str) else _MISSING
        return default if v is _MISSING else v

    def keys(self) -> list:
        return list(self._entries().keys())

    def values(self) -> list:
        return list(self._entries().values())

    def items(self) -> list:
        return list(self._entries().items())

    def __iter__(self):
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._entries())

    # Dotted paths, with the library's scoping (see tgm_metadata_get).
    @staticmethod
    def _walk(section, segments, skip_reserved):
        if skip_reserved and segments[0] == RESERVED:
            return _MISSING
        v = section
        for seg in segments:
            if not isinstance(v, dict) or seg not in v:
                return _MISSING
            v = v[seg]
        return v

    def _lookup(self, path: str):
        if not path or path[0] == ".":
            return _MISSING
        segments = path.split(".")
        if segments[0] in ("_extra_", "extra"):
            if len(segments) == 1:
                return _MISSING
            return self._walk(self._extra, segments[1:], False)
        for entry in self._base:
            v = self._walk(entry, segments, True)
            if v is not _MISSING:
                return v
        return self._walk(self._extra, segments, False)

    def _lookup_at(self, obj: int, path: str):
        if not path or path[0] == "." or not 0 <= obj < len(self._base):
            return _MISSING
        return self._walk(self._base[obj], path.split("."), True)

    def has_path(self, path: str) -> bool:
        return self._lookup(path) is not _MISSING

    def get_path(self, path: str, default=None):
        v = self._lookup(path)
        return default if v is _MISSING else v

    def has_path_at(self, obj: int, path: str) -> bool:
        return self._lookup_at(obj, path) is not _MISSING

    def get_path_at(self, obj: int, path: str, default=None):
        v = self._lookup_at(obj, path)
        return default if v is _MISSING else v

    def to_dict(self) -> dict:
        """``{"base": [...], "_extra_": {...}, "_reserved_": {...}}``."""
        return {"base": self._base, "_extra_": self._extra, RESERVED: self._reserved}

    def __eq__(self, other):
        if not isinstance(other, Metadata):
            return NotImplemented
        return (self._base, self._extra, self._reserved) == (
            other._base,
            other._extra,
            other._reserved,
        )

    __hash__ = None

    def __repr__(self) -> str:
        return "Metadata(version=%d, base_len=%d, extra_keys=%r)" % (
            WIRE_VERSION,
            len(self._base),
            sorted(self._extra),
        )


_METADATA_SLOTS = frozenset(("_base", "_extra", "_reserved"))

Mapping.register(Metadata)

_DESC_FIELDS = (
    "type",
    "ndim",
    "shape",
    "strides",
    "dtype",
    "byte_order",
    "encoding",
    "filter",
    "compression",
)
# Keys of the decoded descriptor that are not encoding parameters.
_NOT_PARAMS = set(_DESC_FIELDS) | {"hash", "masks"}


class DataObjectDescriptor:
    """Describes one object: tensor layout (``obj_type``, ``ndim``, ``shape``,
    ``strides``, ``dtype``, ``byte_order``) and its encoding pipeline
    (``encoding``, ``filter``, ``compression`` and ``params``, every other
    key, e.g. ``sp_reference_value`` or ``zstd_level``)."""

    __slots__ = ("_d", "_lazy")

    def __init__(self, d: dict):
        self._d = d

    def __getattr__(self, name):
        # Reached only while _d is not set: a small decoded message's
        # descriptors are built on first use (_lazy, from the extension).
        if name == "_d":
            lazy = object.__getattribute__(self, "_lazy")
            if lazy is not None:
                self._d = lazy()
                self._lazy = None
            return object.__getattribute__(self, "_d")
        raise AttributeError("'%s' object has no attribute '%s'" % (type(self).__name__, name))

    @classmethod
    def _from_json(cls, d) -> DataObjectDescriptor:
        """From the extension's descriptor: a dict, or JSON text."""
        return cls(d if type(d) is dict else json.loads(d))

    obj_type = property(lambda self: self._d.get("type", ""))
    ndim = property(lambda self: self._d.get("ndim", len(self._d.get("shape", []))))
    shape = property(lambda self: list(self._d.get("shape", [])))
    strides = property(lambda self: list(self._d.get("strides", [])))
    dtype = property(lambda self: self._d.get("dtype", ""))
    byte_order = property(lambda self: self._d.get("byte_order", "little"))
    encoding = property(lambda self: self._d.get("encoding", "none"))
    filter = property(lambda self: self._d.get("filter", "none"))
    compression = property(lambda self: self._d.get("compression", "none"))

    @property
    def params(self) -> dict:
        return {k: v for k, v in self._d.items() if k not in _NOT_PARAMS}

    @property
    def hash(self):
        """Always None in wire format 3: hashes live in the frames."""
        return None

    def to_dict(self) -> dict:
        """Every key of the descriptor, usable as a descriptor for encode."""
        return dict(self._d)

    def __eq__(self, other):
        if not isinstance(other, DataObjectDescriptor):
            return NotImplemented
        return self._d == other._d

    __hash__ = None

    def __repr__(self) -> str:
        return (
            "DataObjectDescriptor(type='%s', shape=%r, dtype='%s', encoding='%s', "
            "compression='%s')"
            % (self.obj_type, self.shape, self.dtype, self.encoding, self.compression)
        )


# ---- caller dicts -> JSON ------------------------------------------------------

_DTYPES = {
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "complex64",
    "complex128",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "bitmask",
}
_U64 = (1 << 64) - 1

# Keys that look like application metadata: accepted as parameters (as the
# reference does) but with a warning pointing at base[i].
_METADATA_LIKE = (
    "name",
    "param",
    "shortName",
    "long_name",
    "description",
    "units",
    "dim_names",
    "mars",
    "cf",
    "product",
    "instrument",
)


def _u64_list(v, what: str) -> list:
    if isinstance(v, (str, bytes)) or not hasattr(v, "__iter__"):
        raise TypeError("descriptor '%s' must be a list of integers" % what)
    out = []
    for x in v:
        if not hasattr(x, "__index__") or isinstance(x, bool):
            raise TypeError("descriptor '%s' must be a list of integers, got %r" % (what, x))
        i = x.__index__()
        if i < 0 or i > _U64:
            raise ValueError("descriptor '%s' values must be in 0 .. 2**64-1, got %d" % (what, i))
        out.append(i)
    return out


def _str_key(d, key: str, default=None) -> str:
    v = d.get(key, default)
    if v is None and default is None:
        raise ValueError("descriptor missing '%s'" % key)
    if not isinstance(v, str):
        raise TypeError("descriptor '%s' must be a str, not %s" % (key, type(v).__name__))
    return v


def native_byte_order() -> str:
    return sys.byteorder


def descriptor_dict(d, byte_order_hint: str | None = None) -> dict:
    """Check a caller's descriptor and complete it (strides, byte order,
    pipeline defaults).  Returns a new dict: the fixed keys, then params."""
    if not isinstance(d, Mapping):
        raise ValueError("descriptor must be a dict, got %s" % type(d).__name__)
    obj_type = _str_key(d, "type")
    if "shape" not in d:
        raise ValueError("descriptor missing 'shape'")
    shape = _u64_list(d["shape"], "shape")
    dtype = _str_key(d, "dtype")
    if "strides" in d:
        strides = _u64_list(d["strides"], "strides")
    else:
        strides = [1] * len(shape)
        for i in range(len(shape) - 2, -1, -1):
            strides[i] = strides[i + 1] * shape[i + 1]
            if strides[i] > _U64:
                raise ValueError(
                    "strides overflow: cannot compute strides for shape %r" % (shape,)
                )
    if dtype not in _DTYPES:
        raise ValueError("unknown dtype: %s" % dtype)
    if "byte_order" in d:
        bo = d["byte_order"]
        if bo not in ("little", "big"):
            raise ValueError("unknown byte_order: '%s', expected 'little' or 'big'" % (bo,))
    else:
        bo = byte_order_hint or native_byte_order()
    out = {
        "type": obj_type,
        "ndim": len(shape),
        "shape": shape,
        "strides": strides,
        "dtype": dtype,
        "byte_order": bo,
        "encoding": _str_key(d, "encoding", "none"),
        "filter": _str_key(d, "filter", "none"),
        "compression": _str_key(d, "compression", "none"),
    }
    misplaced = []
    for k, v in d.items():
        if not isinstance(k, str):
            raise ValueError("descriptor keys must be strings, got %r" % (k,))
        if k in out or k == "hash":
            continue
        if k in _METADATA_LIKE:
            misplaced.append(k)
        out[k] = v
    if misplaced:
        warnings.warn(
            "descriptor contains application-metadata-like keys (%s), stored as encoding "
            "parameters (DataObjectDescriptor.params); application metadata belongs in "
            "meta['base'][i]" % ", ".join("'%s'" % k for k in misplaced),
            UserWarning,
            stacklevel=4,
        )
    return out


def descriptor_json(d: dict) -> str:
    """JSON of a completed descriptor (from descriptor_dict, whose fixed
    keys it has checked already: only the parameters are checked here)."""
    _json.check_values([v for k, v in d.items() if k not in _DESC_FIELDS_SET])
    return _json.text(d)


_DESC_FIELDS_SET = frozenset(_DESC_FIELDS)


def global_metadata(meta) -> dict:
    """The reference binding's rules for the metadata dict: ``base`` (a list
    of dicts without ``_reserved_``), ``_extra_`` or its alias ``extra``, any
    other top-level key into ``_extra_`` (an explicit ``_extra_`` entry wins),
    and no ``_reserved_``.  Returns {"base"?: [...], "_extra_": {...}}."""
    if meta is None:
        meta = {}
    if not isinstance(meta, Mapping):
        raise ValueError("metadata must be a dict, got %s" % type(meta).__name__)
    out = {}
    if "base" in meta:
        base = meta["base"]
        if not isinstance(base, list):
            raise ValueError("'base' must be a list of dicts")
        for entry in base:
            if not isinstance(entry, Mapping):
                raise ValueError("expected a dict")
            if RESERVED in entry:
                raise ValueError(
                    "base entries must not contain '%s' key — the encoder populates it" % RESERVED
                )
        out["base"] = base
    if "_extra_" in meta:
        extra = meta["_extra_"]
        if not isinstance(extra, Mapping):
            raise ValueError("'_extra_' must be a dict")
    elif "extra" in meta:
        extra = meta["extra"]
        if not isinstance(extra, Mapping):
            raise ValueError(
                "'extra' must be a dict when provided as a convenience alias for '_extra_'"
            )
    else:
        extra = {}
    if RESERVED in meta:
        raise ValueError(
            "'%s' must not be set by client code — the encoder populates it" % RESERVED
        )
    extra = dict(extra)
    for k, v in meta.items():
        if k in ("base", "_extra_", "extra"):
            continue
        if not isinstance(k, str):
            raise ValueError("metadata keys must be strings, got %r" % (k,))
        if k not in extra:
            extra[k] = v
    out["_extra_"] = extra
    return out


def metadata_json(meta, descriptors: list | None) -> str:
    """JSON document for tgm_encode / tgm_file_append (descriptors given)
    or the streaming encoder (descriptors None)."""
    g = global_metadata(meta)
    parts = []
    if "base" in g:
        parts.append('"base":' + _json.value(g["base"], "base"))
    parts.append('"_extra_":' + _json.value(g["_extra_"], "_extra_"))
    if descriptors is not None:
        parts.append('"descriptors":[' + ",".join(descriptor_json(d) for d in descriptors) + "]")
    return "{" + ",".join(parts) + "}"
