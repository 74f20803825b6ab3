"""Metadata of every object of a file, read without decoding any payload.

Per-object metadata is ``meta.base[i]`` without the encoder's
``_reserved_`` entry, completed by keys found only in the descriptor's
extra parameters (``desc.params``: files that put ``name`` or ``param`` in
the descriptor still name their variables).  Message-level metadata is
``meta.extra``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import tensogram
from tensogram._model import _NOT_PARAMS

RESERVED_KEY = "_reserved_"

# Descriptor parameters that belong to the encoding pipeline (packing
# parameters, codec settings, szip block offsets, mask locations): they
# describe how the bytes are stored, not the data, and differ from message
# to message (block offsets), so they are neither attributes nor merge keys.
_PIPELINE_PREFIXES = (
    "sp_", "szip_", "zstd_", "lz4_", "zfp_", "blosc2_", "sz3_", "shuffle_", "rle_", "roaring_",
)
_PIPELINE_KEYS = frozenset({"masks", "user_codec_id"})


def _is_pipeline_param(key: str) -> bool:
    return key in _PIPELINE_KEYS or key.startswith(_PIPELINE_PREFIXES)


@dataclass
class ObjectInfo:
    """One data object of a file, as the merge and naming logic sees it."""

    msg_index: int
    obj_index: int
    ndim: int
    shape: tuple[int, ...]
    dtype: str
    descriptor: Any  # tensogram.DataObjectDescriptor
    per_object_meta: dict[str, Any]
    common_meta: dict[str, Any]  # the message's extra metadata
    _merged: dict[str, Any] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def merged_meta(self) -> dict[str, Any]:
        """Message-level then per-object metadata (per-object keys win).
        Built once (the merge logic reads it many times); read-only."""
        merged = self._merged
        if merged is None:
            if self.common_meta:
                merged = {**self.common_meta, **self.per_object_meta}
            else:
                merged = self.per_object_meta
            self._merged = merged
        return merged


@dataclass
class FileIndex:
    """Every object of a file, in file order."""

    file_path: str
    objects: list[ObjectInfo] = field(default_factory=list)

    @property
    def message_count(self) -> int:
        return self.objects[-1].msg_index + 1 if self.objects else 0


def _desc_params(desc: Any) -> dict[str, Any]:
    """The descriptor's extra parameters, pipeline parameters left out, as
    a new dict ({} when none)."""
    params = getattr(desc, "params", None)
    if not isinstance(params, dict):
        return {}
    return {k: v for k, v in params.items() if not _is_pipeline_param(k)}


def _base_entry_from_meta(meta: Any, obj_index: int) -> dict[str, Any]:
    """``meta.base[obj_index]`` without ``_reserved_`` ({} when absent)."""
    base = getattr(meta, "base", None)
    if isinstance(base, list) and 0 <= obj_index < len(base):
        entry = base[obj_index]
        if isinstance(entry, Mapping):
            return {k: v for k, v in entry.items() if k != RESERVED_KEY}
    return {}


def _merge_per_object_meta(meta: Any, obj_index: int, desc: Any) -> dict[str, Any]:
    """The base entry, plus descriptor parameters for keys it lacks."""
    out = _base_entry_from_meta(meta, obj_index)
    for k, v in _desc_params(desc).items():
        out.setdefault(k, v)
    return out


def _extra_from_meta(meta: Any) -> dict[str, Any]:
    """``meta.extra`` as a new dict ({} when none)."""
    extra = getattr(meta, "extra", None)
    return dict(extra) if isinstance(extra, dict) and extra else {}


def _infos(msg_index: int, meta: Any, descriptors: list) -> list[ObjectInfo]:
    common = _extra_from_meta(meta)
    return [
        ObjectInfo(
            msg_index=msg_index,
            obj_index=i,
            ndim=d.ndim,
            shape=tuple(d.shape),
            dtype=d.dtype,
            descriptor=d,
            per_object_meta=_merge_per_object_meta(meta, i, d),
            common_meta=dict(common),
        )
        for i, d in enumerate(descriptors)
    ]


def open_source(path: str, storage_options: dict[str, Any] | None = None):
    """A TensogramFile for a local path or a remote URL."""
    if tensogram.is_remote_url(path):
        return tensogram.TensogramFile.open_remote(path, storage_options or {})
    return tensogram.TensogramFile.open(path)


def resolve_source(path: Any) -> str:
    """URLs unchanged; local paths made absolute (dask workers may run
    elsewhere in the file system tree)."""
    path = os.fspath(path)
    return path if tensogram.is_remote_url(path) else os.path.abspath(path)


# Keys of a descriptor that are not its parameters (the library's list).
_DESCRIPTOR_FIELDS = frozenset(_NOT_PARAMS)


def scan_file(file_path: str, storage_options: dict[str, Any] | None = None) -> FileIndex:
    """Index every object of every message of a file (metadata and
    descriptors only: each message's header and index frames are read, no
    payload).

    One call into the library reads every message (``scan_descriptors``:
    the base entries without ``_reserved_``, ``_extra_``, and each
    descriptor as a dict), so a file of many small messages costs about as
    much to index as to list with ``tensogram ls``."""
    resolved = resolve_source(file_path)
    index = FileIndex(file_path=resolved)
    with open_source(resolved, storage_options) as f:
        scanned = f._handle().scan_descriptors(False)
    objects = index.objects
    make_desc = tensogram.DataObjectDescriptor
    fields = _DESCRIPTOR_FIELDS
    for m, ((base, extra, _), descs) in enumerate(scanned):
        nbase = len(base)
        for i, d in enumerate(descs):
            per = base[i] if i < nbase else {}
            for k in d.keys() - fields:  # the descriptor's parameters
                if not _is_pipeline_param(k) and k not in per:
                    per[k] = d[k]
            shape = d.get("shape", ())
            objects.append(
                ObjectInfo(m, i, d.get("ndim", len(shape)), tuple(shape), d.get("dtype", ""),
                           make_desc(d), per, extra)
            )
    return index


def scan_message(raw_msg: bytes) -> list[ObjectInfo]:
    """Index the objects of one message held in memory (message index 0)."""
    meta, descriptors = tensogram.decode_descriptors(raw_msg)
    return _infos(0, meta, descriptors)
