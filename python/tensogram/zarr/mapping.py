"""Tensogram <-> zarr metadata, independent of the zarr format version.

The store modules (``store.py`` for zarr 2) lay these out in their format's
key space; a zarr 3 store can reuse everything here, including the zarr 3
``zarr.json`` documents (``build_group_zarr_json``, ``build_array_zarr_json``,
``parse_array_zarr_json``), which need no zarr installed.

Naming (as the reference's ``tensogram-zarr``): an object's array is named
by ``variable_key`` when given, else the first of ``name``, ``mars.param``,
``param``, ``mars.shortName``, ``shortName`` in its metadata (``base[i]``,
completed by non-pipeline descriptor keys), else ``object_<i>``; ``/`` and
``\\`` become ``_``, an empty name ``_``, and repeated names get ``_1``,
``_2``...  Attributes: the group has the message's ``_extra_`` plus
``_tensogram_wire_version`` and ``_tensogram_variables``; each array has the
object's metadata plus ``_tensogram_encoding``, ``_tensogram_filter``,
``_tensogram_compression`` and ``_tensogram_params`` (the descriptor's
pipeline parameters).
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from ..xarray.mapping import parse_per_object_dim_names, resolve_variable_name as _name_chain

RESERVED_KEY = "_reserved_"
ATTR_PREFIX = "_tensogram_"

_TGM_TO_NUMPY: dict[str, str] = {
    "float16": "<f2",
    "bfloat16": "<V2",  # raw 2-byte values (ml_dtypes.bfloat16 reads them)
    "float32": "<f4",
    "float64": "<f8",
    "complex64": "<c8",
    "complex128": "<c16",
    "int8": "|i1",
    "int16": "<i2",
    "int32": "<i4",
    "int64": "<i8",
    "uint8": "|u1",
    "uint16": "<u2",
    "uint32": "<u4",
    "uint64": "<u8",
    "bitmask": "|u1",  # the packed bytes
}

_NUMPY_TO_TGM: dict[str, str] = {
    "f2": "float16",
    "f4": "float32",
    "f8": "float64",
    "c8": "complex64",
    "c16": "complex128",
    "i1": "int8",
    "i2": "int16",
    "i4": "int32",
    "i8": "int64",
    "u1": "uint8",
    "u2": "uint16",
    "u4": "uint32",
    "u8": "uint64",
}


def tgm_dtype_to_numpy(tgm_dtype: str) -> np.dtype:
    """Little-endian NumPy dtype of a Tensogram dtype (ValueError when unknown)."""
    found = _TGM_TO_NUMPY.get(tgm_dtype)
    if found is None:
        raise ValueError("unsupported TGM dtype: %r" % (tgm_dtype,))
    return np.dtype(found)


def numpy_dtype_to_tgm(dtype: Any) -> str:
    """Tensogram dtype of a NumPy dtype, either byte order (ValueError when none)."""
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return "uint8"
    found = _NUMPY_TO_TGM.get(dt.kind + str(dt.itemsize))
    if found is None:
        raise ValueError("unsupported numpy dtype: %r" % (dt,))
    return found


def resolve_variable_name(
    obj_index: int,
    per_object_meta: dict[str, Any] | None,
    common_meta: dict[str, Any] | None = None,
    variable_key: str | None = None,
) -> str:
    """The array name of an object (``common_meta`` is accepted for the
    reference's signature and not searched: names come from the object)."""
    return _name_chain(obj_index, per_object_meta, variable_key)


def sanitize_name(name: str) -> str:
    """A single key segment: ``/`` and ``\\`` replaced by ``_``; ``_`` if empty."""
    out = name.replace("/", "_").replace("\\", "_")
    return out or "_"


def unique_names(raw: list[str]) -> list[str]:
    """Sanitised names, repeats suffixed ``_1``, ``_2``..."""
    seen: set[str] = set()
    out = []
    for name in raw:
        base = sanitize_name(name)
        candidate, n = base, 0
        while candidate in seen:
            n += 1
            candidate = "%s_%d" % (base, n)
        seen.add(candidate)
        out.append(candidate)
    return out


def json_safe(obj: Any) -> Any:
    """Non-finite floats as the strings "NaN", "Infinity", "-Infinity"
    (zarr's JSON spelling); NumPy scalars as Python ones."""
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return "NaN" if math.isnan(obj) else ("Infinity" if obj > 0 else "-Infinity")
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, (bytes, bytearray)):
        return obj.hex()
    return obj


def group_attributes(meta: Any, names: list[str]) -> dict[str, Any]:
    attrs = dict(getattr(meta, "extra", None) or {})
    attrs[ATTR_PREFIX + "wire_version"] = getattr(meta, "version", 3)
    attrs[ATTR_PREFIX + "variables"] = list(names)
    return attrs


def array_attributes(desc: Any, per_object_meta: dict[str, Any]) -> dict[str, Any]:
    attrs = dict(per_object_meta)
    if desc.params:
        attrs[ATTR_PREFIX + "params"] = dict(desc.params)
    attrs[ATTR_PREFIX + "encoding"] = desc.encoding
    attrs[ATTR_PREFIX + "filter"] = desc.filter
    attrs[ATTR_PREFIX + "compression"] = desc.compression
    return attrs


def dimension_names(desc: Any, per_object_meta: dict[str, Any]) -> list[str]:
    """The object's ``dim_names`` hint when valid, else ``dim_0``... (written
    as ``_ARRAY_DIMENSIONS`` so that xarray's zarr engine names them)."""
    ndim = len(desc.shape)
    return parse_per_object_dim_names(ndim, per_object_meta) or ["dim_%d" % i for i in range(ndim)]


def default_fill_value(dtype: np.dtype) -> Any:
    return float("nan") if dtype.kind in "fc" else 0


# Parameters the encoder derives from the data; not carried over when an
# array read from one file is written to another.
_DERIVED_PARAMS = frozenset({"szip_block_offsets", "sp_reference_value", "sp_binary_scale_factor"})


def descriptor_for_write(name: str, array: np.ndarray, attrs: dict[str, Any]) -> tuple[dict, dict]:
    """(descriptor, base entry) for writing ``array`` with ``attrs``: the
    pipeline comes from ``_tensogram_*`` attributes (an array read from a
    .tgm file keeps its encoding), default none/none/none."""
    try:
        dtype = numpy_dtype_to_tgm(array.dtype)
    except ValueError as exc:
        raise ValueError("array %r: %s" % (name, exc)) from None
    desc: dict[str, Any] = {
        "type": "ntensor",
        "shape": list(array.shape),
        "dtype": dtype,
        "byte_order": "little",
        "encoding": attrs.get(ATTR_PREFIX + "encoding", "none"),
        "filter": attrs.get(ATTR_PREFIX + "filter", "none"),
        "compression": attrs.get(ATTR_PREFIX + "compression", "none"),
    }
    for k, v in (attrs.get(ATTR_PREFIX + "params") or {}).items():
        if k not in _DERIVED_PARAMS:
            desc[k] = v
    base = {
        k: v
        for k, v in attrs.items()
        if not k.startswith(ATTR_PREFIX) and k not in (RESERVED_KEY, "_ARRAY_DIMENSIONS")
    }
    dims = attrs.get("_ARRAY_DIMENSIONS")
    if (
        isinstance(dims, list)
        and len(dims) == array.ndim
        and dims != ["dim_%d" % i for i in range(array.ndim)]
    ):
        base.setdefault("dim_names", dims)
    return desc, base


# ---- zarr 3 documents (zarr.json) --------------------------------------------------
#
# Plain dictionaries and JSON bytes, shared with the reference's
# tensogram-zarr (same names, same documents), so that a zarr 3 store and
# tools that read its key space agree.  zarr 3's data_type names are
# Tensogram's own, except bitmask (its packed bytes: uint8).


def tgm_dtype_to_zarr(tgm_dtype: str) -> str:
    """zarr 3 ``data_type`` of a Tensogram dtype (ValueError when unknown)."""
    if tgm_dtype not in _TGM_TO_NUMPY:
        raise ValueError("unsupported TGM dtype: %r" % (tgm_dtype,))
    return "uint8" if tgm_dtype == "bitmask" else tgm_dtype


def zarr_dtype_to_tgm(zarr_dtype: str) -> str:
    """Tensogram dtype of a zarr 3 ``data_type`` (ValueError when none)."""
    if zarr_dtype == "bitmask" or zarr_dtype not in _TGM_TO_NUMPY:
        raise ValueError("unsupported Zarr dtype: %r" % (zarr_dtype,))
    return zarr_dtype


def _default_fill_value(zarr_dtype: str) -> Any:
    """NaN for floating and complex data types, else 0."""
    floating = zarr_dtype.startswith(("float", "bfloat", "complex"))
    return float("nan") if floating else 0


def _json_safe_metadata(obj: Any) -> Any:
    """``obj`` with every non-finite float spelled as zarr 3 does
    ("NaN", "Infinity", "-Infinity"), in dicts, lists and tuples."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return "NaN" if math.isnan(obj) else ("Infinity" if obj > 0 else "-Infinity")
    if isinstance(obj, dict):
        return {k: _json_safe_metadata(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe_metadata(v) for v in obj]
    return obj


def serialize_zarr_json(meta: dict[str, Any]) -> bytes:
    """UTF-8 JSON of a zarr.json document: strict JSON (non-finite floats
    as zarr's strings, NumPy scalars as numbers), keys sorted, compact."""
    return json.dumps(
        json_safe(_json_safe_metadata(meta)), separators=(",", ":"), sort_keys=True, allow_nan=False
    ).encode("utf-8")


def deserialize_zarr_json(data: bytes) -> dict[str, Any]:
    """The document in ``data``; ValueError naming its size and first
    bytes when it is not JSON."""
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(
            "invalid zarr.json content (%d bytes, starts %s): %s"
            % (len(data), bytes(data[:80]).hex(), exc)
        ) from exc


def build_group_zarr_json(meta: Any, variable_names: list[str]) -> dict[str, Any]:
    """The group document of a message (attributes: ``group_attributes``)."""
    return {
        "zarr_format": 3,
        "node_type": "group",
        "attributes": group_attributes(meta, variable_names),
    }


def build_array_zarr_json(desc: Any, per_object_meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """The array document of an object: one chunk of the whole shape,
    little-endian bytes, no zarr codec (the data is decoded by Tensogram),
    the object's metadata and pipeline as attributes (plus its hash as
    ``_tensogram_hash`` when it has one)."""
    data_type = tgm_dtype_to_zarr(desc.dtype)
    shape = [int(n) for n in desc.shape]
    attrs = array_attributes(desc, dict(per_object_meta or {}))
    digest = getattr(desc, "hash", None)
    if digest:
        attrs[ATTR_PREFIX + "hash"] = digest
    return {
        "zarr_format": 3,
        "node_type": "array",
        "shape": shape,
        "data_type": data_type,
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": list(shape) or [1]}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
        "fill_value": _default_fill_value(data_type),
        "attributes": attrs,
    }


def parse_array_zarr_json(zarr_meta: dict[str, Any]) -> dict[str, Any]:
    """What writing an object needs from an array document: ``shape``,
    ``dtype`` (Tensogram), ``byte_order`` (of its ``bytes`` codec),
    ``encoding`` / ``filter`` / ``compression`` (from the ``_tensogram_*``
    attributes, default "none") and ``attrs`` (the other attributes, without
    ``_tensogram_*`` ones).  ``zarr_meta`` is not modified."""
    byte_order = "little"
    for codec in zarr_meta.get("codecs", []):
        if codec.get("name") == "bytes":
            byte_order = (codec.get("configuration") or {}).get("endian", "little")
    attrs = zarr_meta.get("attributes", {})
    return {
        "shape": zarr_meta["shape"],
        "dtype": zarr_dtype_to_tgm(zarr_meta["data_type"]),
        "byte_order": byte_order,
        "encoding": attrs.get(ATTR_PREFIX + "encoding", "none"),
        "filter": attrs.get(ATTR_PREFIX + "filter", "none"),
        "compression": attrs.get(ATTR_PREFIX + "compression", "none"),
        "attrs": {k: v for k, v in attrs.items() if not k.startswith(ATTR_PREFIX)},
    }
