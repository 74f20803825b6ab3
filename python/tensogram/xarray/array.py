"""Lazily decoded arrays: one object (``TensogramBackendArray``) and a
hypercube of objects across messages (``StackedBackendArray``).

Nothing is decoded until xarray (or dask) indexes an array.  Then only the
objects the selection touches are decoded, and when the object's pipeline
supports partial decoding (``decode_range``: no shuffle filter, compression
none, szip, blosc2 or zfp in fixed-rate mode) and the selection is a small
part of the object (at most ``range_threshold`` of its elements), only the
element ranges holding the selection are decoded: the library then
decompresses only the szip reference-sample intervals, blosc2 blocks or zfp
blocks that hold them.  Point selections (integer indexes) and strided
slices qualify too.

The arrays keep the file path, never an open handle across pickling, so
dask can ship their tasks to other processes and machines.  Reads share one
library file handle per file and process (the library's handle serves
concurrent readers; its decoding releases the GIL).
"""

from __future__ import annotations

import collections
import logging
import math
import os
import threading
from itertools import product as iterproduct
from typing import Any

import numpy as np
from xarray.backends import BackendArray
from xarray.core import indexing

import tensogram

logger = logging.getLogger(__name__)

DEFAULT_RANGE_THRESHOLD = 0.5

_RANDOM_ACCESS_COMPRESSORS = frozenset({"none", "szip", "blosc2", "zfp"})
_RANGE_BLOCKING_FILTERS = frozenset({"shuffle"})


def _supports_range_decode(descriptor: Any) -> bool:
    """Whether the object's pipeline allows ``decode_range``."""
    if getattr(descriptor, "filter", "none") in _RANGE_BLOCKING_FILTERS:
        return False
    if getattr(descriptor, "dtype", None) == "bitmask":
        return False
    compression = getattr(descriptor, "compression", "none")
    if compression not in _RANDOM_ACCESS_COMPRESSORS:
        return False
    if compression == "zfp":
        params = getattr(descriptor, "params", None) or {}
        return params.get("zfp_mode") == "fixed_rate"
    return True


def _range_granule(descriptor: Any, itemsize: int) -> int:
    """Elements that one partial read decodes at least (an szip reference
    sample interval, a blosc2 block, a zfp block): ranges closer together
    than this are read as one."""
    params = getattr(descriptor, "params", None) or {}
    compression = getattr(descriptor, "compression", "none")
    try:
        if compression == "szip":
            return max(1, int(params.get("szip_rsi", 128)) * int(params.get("szip_block_size", 16)))
        if compression == "blosc2":
            return max(1, 32768 // max(1, itemsize))
        if compression == "zfp":
            return 4
    except (TypeError, ValueError):
        pass
    return max(1, 64 // max(1, itemsize))


def _is_contiguous_slice(key: tuple) -> bool:
    """True when every entry of ``key`` is a slice of step 1 (or None)."""
    return all(isinstance(k, slice) and k.step in (None, 1) for k in key)


def _nd_slice_to_flat_ranges(
    shape: tuple[int, ...], key: tuple[slice, ...]
) -> tuple[list[tuple[int, int]], tuple[int, ...]]:
    """Flat ``(offset, count)`` element ranges of a unit-step N-D slice of a
    C-ordered array, in order, adjacent ranges merged; and the slice's shape.

    The innermost axis whose slice is not the whole axis ("split" axis)
    bounds the contiguous runs: each combination of indexes of the axes
    outside it gives one run of (split-axis width x inner axes' sizes).
    """
    bounds = [slc.indices(n)[:2] for slc, n in zip(key, shape)]
    out_shape = tuple(max(0, stop - start) for start, stop in bounds)
    if math.prod(out_shape) == 0:
        return [], out_shape
    split = next(
        (ax for ax in range(len(shape) - 1, -1, -1) if bounds[ax] != (0, shape[ax])), None
    )
    if split is None:
        return [(0, math.prod(shape))], out_shape
    inner = math.prod(shape[split + 1 :])
    run = out_shape[split] * inner
    first = bounds[split][0] * inner
    strides = [math.prod(shape[ax + 1 :]) for ax in range(split)]
    ranges: list[tuple[int, int]] = []
    for idx in iterproduct(*(range(*bounds[ax]) for ax in range(split))):
        start = first + sum(i * s for i, s in zip(idx, strides))
        if ranges and ranges[-1][0] + ranges[-1][1] == start:
            ranges[-1] = (ranges[-1][0], ranges[-1][1] + run)
        else:
            ranges.append((start, run))
    return ranges, out_shape


def _expand_key_to_indices(key: tuple, shape: tuple[int, ...]) -> list[list[int]]:
    """Each key entry (slice, int, or anything else = whole axis) as its list of indexes."""
    out: list[list[int]] = []
    for k, n in zip(key, shape):
        if isinstance(k, slice):
            out.append(list(range(*k.indices(n))))
        elif isinstance(k, (int, np.integer)):
            out.append([int(k) + n if k < 0 else int(k)])
        else:
            out.append(list(range(n)))
    return out


# ---- selection -> element ranges --------------------------------------------------


def _axis_indices(k: Any, n: int) -> tuple[np.ndarray, bool]:
    """(indexes along the axis, whether the axis stays in the result)."""
    if isinstance(k, slice):
        return np.arange(*k.indices(n), dtype=np.int64), True
    i = int(k)
    return np.array([i + n if i < 0 else i], dtype=np.int64), False


def _selection_ranges(
    shape: tuple[int, ...], key: tuple
) -> tuple[np.ndarray, np.ndarray, tuple[int, ...], tuple[int, ...]]:
    """Exact flat ranges of a basic selection (ints and slices of any step).

    Returns (starts, counts, shape of the selection with every axis kept,
    shape of the result).  Ranges come in C order of the selection.
    """
    axes = [_axis_indices(k, n) for k, n in zip(key, shape)]
    idx = [a for a, _ in axes]
    full_shape = tuple(len(a) for a in idx)
    out_shape = tuple(len(a) for a, keep in axes if keep)
    nd = len(shape)
    # Contiguous runs: trailing whole axes, and the split axis when unit-step.
    split = nd - 1
    while split >= 0 and len(idx[split]) == shape[split]:
        split -= 1
    inner = math.prod(shape[split + 1 :])
    if split < 0:
        return (np.zeros(1, np.int64), np.full(1, inner, np.int64), full_shape, out_shape)
    sel = idx[split]
    if len(sel) > 1 and not np.all(np.diff(sel) == 1):
        lead = split + 1  # one run per selected index of the split axis
        run = inner
    else:
        lead = split  # one run of the whole split-axis selection
        run = len(sel) * inner
    strides = np.array([math.prod(shape[ax + 1 :]) for ax in range(nd)], dtype=np.int64)
    starts = np.zeros(1, dtype=np.int64)
    for ax in range(lead):
        starts = (starts[:, None] + idx[ax][None, :] * strides[ax]).ravel()
    if lead == split:
        starts = starts + sel[0] * strides[split]
    counts = np.full(len(starts), run, dtype=np.int64)
    return starts, counts, full_shape, out_shape


def _coalesce(starts: np.ndarray, counts: np.ndarray, max_gap: int):
    """Merge ranges whose gap is at most ``max_gap`` elements: returns
    (merged starts, merged counts, index of the merged range of each input)."""
    if len(starts) <= 1:
        return starts, counts, np.zeros(len(starts), dtype=np.int64)
    gaps = starts[1:] - (starts[:-1] + counts[:-1])
    new = np.concatenate(([True], gaps > max_gap))
    group = np.cumsum(new) - 1
    first = np.flatnonzero(new)
    last = np.concatenate((first[1:] - 1, [len(starts) - 1]))
    m_starts = starts[first]
    m_counts = starts[last] + counts[last] - m_starts
    return m_starts, m_counts, group


def _gather_positions(starts, counts, m_starts, m_counts, group) -> np.ndarray:
    """Positions, in the joined decoded buffer of the merged ranges, of every
    element of the original ranges (in order)."""
    m_base = np.concatenate(([0], np.cumsum(m_counts)[:-1]))
    offs = m_base[group] + (starts - m_starts[group])
    total = int(counts.sum())
    run_start = np.concatenate(([0], np.cumsum(counts)[:-1]))
    return np.arange(total, dtype=np.int64) - np.repeat(run_start - offs, counts)


# ---- file handles -------------------------------------------------------------------

_HANDLES_MAX = 32
_handles: collections.OrderedDict = collections.OrderedDict()
_handles_lock = threading.Lock()
_handles_pid = os.getpid()


def _local_handle(path: str):
    """A TensogramFile for a local path, shared by every reader of this
    process.  It is reopened (and the file scanned again) whenever the
    file's identity, size or modification time changed, and after a fork.
    Callers must not close it."""
    global _handles_pid
    st = os.stat(path)
    sig = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    with _handles_lock:
        if _handles_pid != os.getpid():
            _handles.clear()  # the parent's handles stay with the parent
            _handles_pid = os.getpid()
        hit = _handles.get(path)
        if hit is not None and hit[0] == sig:
            _handles.move_to_end(path)
            return hit[1]
    f = tensogram.TensogramFile.open(path)
    with _handles_lock:
        _handles[path] = (sig, f)
        _handles.move_to_end(path)
        while len(_handles) > _HANDLES_MAX:
            _handles.popitem(last=False)
    return f


class TensogramBackendArray(BackendArray):
    """One data object of one message, decoded on demand."""

    def __init__(
        self,
        file_path: str,
        msg_index: int,
        obj_index: int,
        shape: tuple[int, ...],
        dtype: np.dtype,
        supports_range: bool,
        *,
        range_threshold: float = DEFAULT_RANGE_THRESHOLD,
        lock: threading.Lock | None = None,
        storage_options: dict[str, Any] | None = None,
        shared_file: Any | None = None,
        verify_hash: bool = False,
        range_granule: int = 1,
    ):
        path = os.fspath(file_path)
        self._is_remote = tensogram.is_remote_url(path)
        self.file_path = path if self._is_remote or os.path.isabs(path) else os.path.abspath(path)
        self.msg_index = int(msg_index)
        self.obj_index = int(obj_index)
        self.shape = tuple(int(n) for n in shape)
        self.dtype = np.dtype(dtype)
        self.supports_range = bool(supports_range)
        self.range_threshold = float(range_threshold)
        self.storage_options = storage_options
        self.verify_hash = bool(verify_hash)
        self.range_granule = max(1, int(range_granule))
        # Reads need no lock (the library's handle is thread-safe); the
        # argument is accepted for code written for the reference.
        self._shared_file = shared_file

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_shared_file"] = None
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._shared_file = None

    def __repr__(self) -> str:
        return "TensogramBackendArray(%r, msg=%d, obj=%d, shape=%s, dtype=%s)" % (
            self.file_path,
            self.msg_index,
            self.obj_index,
            self.shape,
            self.dtype,
        )

    def __getitem__(self, key: indexing.ExplicitIndexer) -> np.ndarray:
        return indexing.explicit_indexing_adapter(
            key, self.shape, indexing.IndexingSupport.BASIC, self._raw_indexing_method
        )

    def _get_file(self):
        """The shared handle when there is one, else a TensogramFile (opened
        afresh for remote sources, from the process-wide cache for local files)."""
        if self._shared_file is not None:
            return self._shared_file
        if self._is_remote:
            return tensogram.TensogramFile.open_remote(self.file_path, self.storage_options or {})
        return _local_handle(self.file_path)

    def _raw_indexing_method(self, key: tuple) -> np.ndarray:
        key = tuple(key) + (slice(None),) * (len(self.shape) - len(key))
        if self._shared_file is not None or not self._is_remote:
            return self._read_from_file(self._get_file(), key, tensogram)
        with self._get_file() as f:
            return self._read_from_file(f, key, tensogram)

    def _read_from_file(self, f, key: tuple, tensogram) -> np.ndarray:
        if self.supports_range and self.shape:
            try:
                got = self._read_ranges(f, key)
            except (ValueError, RuntimeError, OSError) as exc:
                logger.debug(
                    "decode_range failed for %s msg=%d obj=%d, falling back to full decode: %s",
                    self.file_path,
                    self.msg_index,
                    self.obj_index,
                    exc,
                )
                got = None
            if got is not None:
                return got
        decode_object = getattr(f, "file_decode_object", None)
        if decode_object is not None:
            arr = decode_object(self.msg_index, self.obj_index, verify_hash=self.verify_hash)["data"]
        else:  # a file-like object that only hands out whole messages
            raw = f.read_message(self.msg_index)
            arr = tensogram.decode_object(raw, self.obj_index, verify_hash=self.verify_hash)[2]
        return np.asarray(np.asarray(arr).reshape(self.shape)[key])

    def _read_ranges(self, f, key: tuple) -> np.ndarray | None:
        """The selection through decode_range, or None when a full decode is
        the better choice (selection above the threshold, empty object)."""
        total = math.prod(self.shape)
        if total == 0:
            return None
        starts, counts, full_shape, out_shape = _selection_ranges(self.shape, key)
        if math.prod(full_shape) == 0:
            return np.empty(out_shape, dtype=self.dtype)
        order = np.argsort(starts, kind="stable")  # negative steps give falling offsets
        m_starts, m_counts, sorted_group = _coalesce(
            starts[order], counts[order], self.range_granule
        )
        if int(m_counts.sum()) / total > self.range_threshold:
            return None
        group = np.empty_like(sorted_group)
        group[order] = sorted_group
        # Hashes cover whole objects: a partial read cannot check them
        # (range_threshold=0 forces full, verified reads).
        flat = f.file_decode_range(
            self.msg_index,
            obj_index=self.obj_index,
            ranges=list(zip(m_starts.tolist(), m_counts.tolist())),
            join=True,
            native_byte_order=True,
        )
        flat = np.asarray(flat)
        if len(m_starts) != len(starts) or not np.array_equal(m_starts, starts):
            flat = flat[_gather_positions(starts, counts, m_starts, m_counts, group)]
        return flat.reshape(out_shape)


class StackedBackendArray(BackendArray):
    """Objects of equal shape stacked along outer (metadata) dimensions.

    ``arrays`` holds one backing array per outer position, in C order of the
    outer shape (a list, or a sequence that makes each array when it is
    first indexed).  Indexing decodes only the backing arrays it selects,
    each with the inner part of the selection.
    """

    def __init__(
        self,
        arrays: list,
        outer_shape: tuple[int, ...],
        inner_shape: tuple[int, ...],
        dtype: np.dtype,
    ):
        outer_shape = tuple(int(n) for n in outer_shape)
        if len(arrays) != math.prod(outer_shape):
            raise ValueError(
                "StackedBackendArray: expected %d backing arrays for outer_shape=%s, got %d"
                % (math.prod(outer_shape), outer_shape, len(arrays))
            )
        # A sequence that makes its arrays on first use is kept as it is.
        lazy = not isinstance(arrays, (list, tuple)) and hasattr(arrays, "__getitem__")
        self._arrays = arrays if lazy and hasattr(arrays, "__len__") else list(arrays)
        self._outer_shape = outer_shape
        self._inner_shape = tuple(int(n) for n in inner_shape)
        self.shape = self._outer_shape + self._inner_shape
        self.dtype = np.dtype(dtype)

    def __getitem__(self, key: indexing.ExplicitIndexer) -> np.ndarray:
        return indexing.explicit_indexing_adapter(
            key, self.shape, indexing.IndexingSupport.BASIC, self._raw_indexing_method
        )

    def _raw_indexing_method(self, key: tuple) -> np.ndarray:
        key = tuple(key) + (slice(None),) * (len(self.shape) - len(key))
        n_outer = len(self._outer_shape)
        outer_key, inner_key = key[:n_outer], key[n_outer:]
        picks = _expand_key_to_indices(outer_key, self._outer_shape)
        kept = [len(p) for p, k in zip(picks, outer_key) if isinstance(k, slice)]
        inner_out = tuple(
            len(range(*k.indices(n)))
            for k, n in zip(inner_key, self._inner_shape)
            if isinstance(k, slice)
        )
        result = np.empty(tuple(len(p) for p in picks) + inner_out, dtype=self.dtype)
        for pos, combo in enumerate(iterproduct(*picks)):
            flat = int(np.ravel_multi_index(combo, self._outer_shape)) if combo else 0
            out_at = np.unravel_index(pos, result.shape[:n_outer]) if n_outer else ()
            result[tuple(out_at)] = self._arrays[flat]._raw_indexing_method(inner_key)
        return result.reshape(tuple(kept) + inner_out)
