"""A zarr 2 store (``MutableMapping``) over one message of a ``.tgm`` file.

Read (``mode="r"``, or :meth:`TensogramStore.open_tgm`): the message is a
zarr group; each object is an array of one chunk (chunk shape = shape),
decoded when zarr first asks for that chunk (local and remote files alike)
and kept from then on.  A file without messages is an empty group.  Keys::

    .zgroup  .zattrs                       the group (message metadata)
    <name>/.zarray  <name>/.zattrs         an array (descriptor, object metadata)
    <name>/0.0                             its one chunk (little-endian, no compressor)

Write (``mode="w"``; ``"a"`` appends to an existing file): zarr writes
its keys into the store; :meth:`close` turns the group into one message
(arrays of any chunking and zarr compressor are assembled and decoded
first) and writes it.  Arrays read from a ``.tgm`` file keep their
encoding when written back (``_tensogram_*`` attributes).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import AsyncIterator, Iterator, MutableMapping
from typing import Any

import numpy as np

import tensogram

from ..xarray.scanner import _base_entry_from_meta, _desc_params
from . import mapping

_log = logging.getLogger(__name__)

_META_KEYS = (".zarray", ".zattrs", ".zgroup")


def _dumps(obj: Any) -> bytes:
    return json.dumps(mapping.json_safe(obj), sort_keys=True, allow_nan=False).encode()


def _loads(data: Any, key: str) -> dict:
    try:
        return json.loads(bytes(data))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(
            "invalid JSON for %r (%d bytes, starts %s): %s"
            % (key, len(data), bytes(data[:40]).hex(), exc)
        ) from exc


def _dimensions(names, descriptors, metas) -> list[list[str]]:
    """``_ARRAY_DIMENSIONS`` of each array: its ``dim_names`` hint, else
    ``dim_<axis>``; a name given two lengths becomes ``obj_<i>_dim_<axis>``
    where it does not fit (as the xarray backend names them), so that
    xarray's zarr engine opens the group."""
    from ..xarray.store import _DataVarPlan, _disambiguate_fallback_dims

    plans = []
    for i, (name, desc, m) in enumerate(zip(names, descriptors, metas)):
        hint = mapping.dimension_names(desc, m)
        generic = hint == ["dim_%d" % a for a in range(len(desc.shape))]
        plans.append(
            _DataVarPlan(i, name, tuple(desc.shape), [(d, generic) for d in hint], None, {})
        )
    return [list(d) for d in _disambiguate_fallback_dims(plans, {})]


class TensogramStore(MutableMapping):
    """zarr 2 store of one Tensogram message: ``zarr.open_group(store=...)``."""

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        mode: str = "r",
        message_index: int = 0,
        variable_key: str | None = None,
        storage_options: dict[str, Any] | None = None,
    ) -> None:
        if isinstance(path, os.PathLike):
            path = os.fspath(path)
        if not isinstance(path, str) or not path:
            raise ValueError("path must be a non-empty string, got %r" % (path,))
        if mode not in ("r", "w", "a"):
            raise ValueError("invalid mode %r; expected 'r', 'w', or 'a'" % (mode,))
        if isinstance(message_index, bool) or not isinstance(message_index, int):
            raise TypeError("message_index must be an int")
        if message_index < 0:
            raise ValueError("message_index must be >= 0, got %d" % message_index)
        self._remote = tensogram.is_remote_url(path)
        if self._remote and mode != "r":
            raise ValueError("remote URLs do not support mode=%r; use mode='r'" % mode)
        self._path = path
        self._mode = mode
        self._message_index = message_index
        self._variable_key = variable_key
        self._storage_options = storage_options
        self._keys: dict[str, bytes] = {}  # metadata keys (and written chunks)
        # Chunks not decoded yet: chunk key -> object index.  A decoded
        # chunk moves to _keys (the reference's names for both).
        self._chunk_index: dict[str, int] = {}
        self._file: Any = None
        self._variable_names: list[str] = []
        self._dirty = False
        self._is_open = False
        self._open_sync()

    @classmethod
    def open_tgm(
        cls,
        path: str,
        *,
        message_index: int = 0,
        variable_key: str | None = None,
        storage_options: dict[str, Any] | None = None,
    ) -> TensogramStore:
        """A read-only store over message ``message_index`` of ``path``."""
        return cls(
            path,
            mode="r",
            message_index=message_index,
            variable_key=variable_key,
            storage_options=storage_options,
        )

    # ---- reading -----------------------------------------------------------------

    def _open_sync(self) -> None:
        """Read the message's metadata (the constructor calls it; calling
        it again on an open store does nothing)."""
        if self._is_open:
            return
        if self._mode == "w":
            self._is_open = True
            return
        if self._remote:
            self._file = tensogram.TensogramFile.open_remote(
                self._path, self._storage_options or {}
            )
        else:
            if not os.path.exists(self._path):
                if self._mode == "a":  # appending to a file that does not exist yet
                    self._is_open = True
                    return
                raise FileNotFoundError(2, "No such file or directory", self._path)
            self._file = tensogram.TensogramFile.open(self._path)
        count = len(self._file)
        if count == 0:  # an empty file: an empty group
            self._keys[".zgroup"] = _dumps({"zarr_format": 2})
            self._keys[".zattrs"] = _dumps({})
            self._file.close()
            self._file = None
            self._is_open = True
            return
        if self._message_index >= count:
            raise IndexError(
                "message_index %d out of range: %s has %d message(s)"
                % (self._message_index, self._path, count)
            )
        try:
            found = self._file.file_decode_descriptors(self._message_index)
        except ValueError as exc:
            raise ValueError(
                "%s message %d is not a valid message: %s" % (self._path, self._message_index, exc)
            ) from exc
        meta, descriptors = found["metadata"], found["descriptors"]
        metas = []
        for i, desc in enumerate(descriptors):
            m = _base_entry_from_meta(meta, i)
            for k, v in _desc_params(desc).items():
                m.setdefault(k, v)
            metas.append(m)
        names = mapping.unique_names(
            [mapping.resolve_variable_name(i, m, None, self._variable_key) for i, m in enumerate(metas)]
        )
        self._variable_names = names
        self._keys[".zgroup"] = _dumps({"zarr_format": 2})
        self._keys[".zattrs"] = _dumps(mapping.group_attributes(meta, names))
        dims = _dimensions(names, descriptors, metas)
        for i, (name, desc, m) in enumerate(zip(names, descriptors, metas)):
            dtype = mapping.tgm_dtype_to_numpy(desc.dtype)
            shape = [int(n) for n in desc.shape]
            self._keys[name + "/.zarray"] = _dumps(
                {
                    "zarr_format": 2,
                    "shape": shape,
                    "chunks": [max(1, n) for n in shape] or [1],
                    "dtype": dtype.str,
                    "compressor": None,
                    "filters": None,
                    "fill_value": mapping.default_fill_value(dtype),
                    "order": "C",
                    "dimension_separator": ".",
                }
            )
            attrs = mapping.array_attributes(desc, m)
            attrs["_ARRAY_DIMENSIONS"] = dims[i]
            self._keys[name + "/.zattrs"] = _dumps(attrs)
            if 0 not in shape:
                self._chunk_index[name + "/" + (".".join("0" * len(shape)) or "0")] = i
        self._is_open = True

    def _decode_chunk(self, key: str) -> bytes | None:
        """The chunk ``key`` decoded (and kept in ``_keys``); None when it
        is not a chunk waiting to be decoded."""
        obj = self._chunk_index.get(key)
        if obj is None or self._file is None:
            return None
        name = key.split("/", 1)[0]
        try:
            arr = self._file.file_decode_object(self._message_index, obj)["data"]
        except (ValueError, RuntimeError) as exc:
            raise ValueError(
                "%s message %d object %d (%s): %s"
                % (self._path, self._message_index, obj, name, exc)
            ) from exc
        arr = np.asarray(arr)
        little = arr.dtype.newbyteorder("<")
        if arr.dtype != little and arr.dtype.byteorder not in ("|", "="):
            arr = arr.astype(little)
        elif arr.dtype.byteorder == "=" and np.little_endian is False:
            arr = arr.astype(little)
        data = np.ascontiguousarray(arr).tobytes()
        self._keys[key] = data
        self._chunk_index.pop(key, None)
        return data

    # ---- MutableMapping -------------------------------------------------------------

    def __getitem__(self, key: str) -> bytes:
        if key in self._keys:
            return self._keys[key]
        data = self._decode_chunk(key)
        if data is None:
            raise KeyError(key)
        return data

    def __contains__(self, key: object) -> bool:
        return key in self._keys or key in self._chunk_index

    def __setitem__(self, key: str, value: Any) -> None:
        if self._mode == "r":
            raise PermissionError("TensogramStore opened read-only (mode='r')")
        data = bytes(memoryview(value).cast("B")) if not isinstance(value, bytes) else value
        if key.endswith(_META_KEYS):
            _loads(data, key)  # refuse invalid JSON at once
        self._chunk_index.pop(key, None)
        self._keys[key] = data
        self._dirty = True

    def __delitem__(self, key: str) -> None:
        if self._mode == "r":
            raise PermissionError("TensogramStore opened read-only (mode='r')")
        if key not in self:
            raise KeyError(key)
        self._keys.pop(key, None)
        self._chunk_index.pop(key, None)
        self._dirty = True

    def __iter__(self) -> Iterator[str]:
        yield from list(self._keys) + list(self._chunk_index)

    def __len__(self) -> int:
        return len(self._keys) + len(self._chunk_index)

    # ---- the zarr 3 store interface's queries (as the reference's store) ----------

    async def exists(self, key: str) -> bool:
        return key in self

    async def list(self) -> AsyncIterator[str]:
        for key in list(self):
            yield key

    async def list_prefix(self, prefix: str) -> AsyncIterator[str]:
        for key in list(self):
            if key.startswith(prefix):
                yield key

    async def list_dir(self, prefix: str) -> AsyncIterator[str]:
        """The entries directly under ``prefix``: keys, and directories
        with a trailing ``/``."""
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        seen: set[str] = set()
        for key in list(self):
            if key.startswith(prefix):
                rest = key[len(prefix) :]
                entry = rest[: rest.index("/") + 1] if "/" in rest else rest
                if entry and entry not in seen:
                    seen.add(entry)
                    yield entry

    @property
    def read_only(self) -> bool:
        return self._mode == "r"

    @property
    def supports_writes(self) -> bool:
        return self._mode in ("w", "a")

    @property
    def supports_deletes(self) -> bool:
        return self._mode in ("w", "a")

    @property
    def supports_listing(self) -> bool:
        return True

    def __eq__(self, other: object) -> bool:
        # The same file in the same mode (a Mapping would compare contents,
        # decoding every object).
        if not isinstance(other, TensogramStore):
            return NotImplemented
        return self._path == other._path and self._mode == other._mode

    __hash__ = None  # mutable

    def listdir(self, path: str = "") -> list[str]:
        prefix = path.rstrip("/") + "/" if path else ""
        return sorted({k[len(prefix) :].split("/", 1)[0] for k in self if k.startswith(prefix)})

    def rmdir(self, path: str = "") -> None:
        prefix = path.rstrip("/") + "/" if path else ""
        for k in [k for k in self if k.startswith(prefix)]:
            del self[k]

    def getsize(self, path: str = "") -> int:
        if path in self._keys:
            return len(self._keys[path])
        return sum(len(v) for k, v in self._keys.items() if k.startswith(path))

    # ---- lifecycle ---------------------------------------------------------------

    @property
    def path(self) -> str:
        return self._path

    @property
    def mode(self) -> str:
        return self._mode

    @property
    def variable_names(self) -> list[str]:
        return list(self._variable_names)

    def close(self) -> None:
        """Write the group as a message (write and append modes, when
        something was written); the store is closed even when that fails."""
        try:
            if self._dirty and self._mode in ("w", "a"):
                self._flush_to_tgm()
                self._dirty = False
        finally:
            if self._file is not None:
                self._file.close()
                self._file = None
            self._chunk_index.clear()
            self._is_open = False

    def __enter__(self) -> TensogramStore:
        return self

    def __exit__(self, exc_type, exc_val, exc_tb) -> None:
        if exc_type is None:
            self.close()
            return
        try:
            self.close()
        except Exception:  # keep the original exception
            _log.warning("writing %r failed while handling an exception", self._path, exc_info=True)

    def __repr__(self) -> str:
        return "TensogramStore(%r, mode=%r)" % (self._path, self._mode)

    # ---- writing -----------------------------------------------------------------

    def _assemble(self, name: str, zarray: dict) -> np.ndarray:
        """The whole array ``name`` from its chunks (any chunk grid, zarr
        compressor and filters; missing chunks hold the fill value)."""
        import numcodecs

        dtype = np.dtype(zarray["dtype"])
        shape = tuple(zarray["shape"])
        chunks = tuple(zarray["chunks"]) if shape else ()
        order = zarray.get("order", "C")
        sep = zarray.get("dimension_separator", ".") or "."
        fill = zarray.get("fill_value")
        if isinstance(fill, str):
            fill = {"NaN": np.nan, "Infinity": np.inf, "-Infinity": -np.inf}.get(fill, 0)
        out = np.full(shape, fill if fill is not None else 0, dtype=dtype)
        compressor = zarray.get("compressor")
        codecs = [numcodecs.get_codec(c) for c in (zarray.get("filters") or [])]
        comp = numcodecs.get_codec(compressor) if compressor else None
        grid = [range(0, max(1, -(-n // c))) for n, c in zip(shape, chunks)]
        import itertools

        for pos in itertools.product(*grid):
            key = name + "/" + (sep.join(str(p) for p in pos) if pos else "0")
            if key not in self:
                continue
            raw = self[key]  # written by zarr, or (append mode) read from the file
            buf = comp.decode(raw) if comp else raw
            for codec in reversed(codecs):
                buf = codec.decode(buf)
            block = np.frombuffer(bytes(memoryview(buf).cast("B")), dtype=dtype)
            expected = int(np.prod(chunks)) if chunks else 1
            if block.size != expected:
                raise ValueError(
                    "array %r chunk %s: %d bytes, expected %d"
                    % (name, key, block.nbytes, expected * dtype.itemsize)
                )
            block = block.reshape(chunks, order=order) if chunks else block.reshape(())
            sel = tuple(slice(p * c, min(n, (p + 1) * c)) for p, c, n in zip(pos, chunks, shape))
            out[sel] = block[tuple(slice(0, s.stop - s.start) for s in sel)]
        return out

    def _flush_to_tgm(self) -> None:
        group_attrs = _loads(self._keys[".zattrs"], ".zattrs") if ".zattrs" in self._keys else {}
        names = sorted(
            k[: -len("/.zarray")] for k in self._keys if k.endswith("/.zarray") and "/" in k
        )
        if not names:
            _log.warning("no arrays to write to %s", self._path)
            return
        objects, base = [], []
        for name in names:
            zarray = _loads(self._keys[name + "/.zarray"], name + "/.zarray")
            attrs_key = name + "/.zattrs"
            attrs = _loads(self._keys[attrs_key], attrs_key) if attrs_key in self._keys else {}
            arr = self._assemble(name, zarray)
            if arr.dtype.byteorder == ">" or (arr.dtype.byteorder == "=" and not np.little_endian):
                arr = arr.astype(arr.dtype.newbyteorder("<"))
            desc, entry = mapping.descriptor_for_write(name, arr, attrs)
            entry.setdefault("name", name)
            objects.append((desc, np.ascontiguousarray(arr)))
            base.append(entry)
        extra = {
            k: v
            for k, v in group_attrs.items()
            if not k.startswith(mapping.ATTR_PREFIX) and k not in ("base", "_reserved_", "_extra_")
        }
        meta = {"base": base, **extra}
        if self._mode == "w":
            with tensogram.TensogramFile.create(self._path) as f:
                f.append(meta, objects)
        else:  # the library's append: whole messages only, a failed write rolled back
            opener = (
                tensogram.TensogramFile.open
                if os.path.exists(self._path)
                else tensogram.TensogramFile.create
            )
            with opener(self._path) as f:
                f.append(meta, objects)
