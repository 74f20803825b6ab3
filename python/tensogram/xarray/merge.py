"""Many messages as few Datasets (``open_datasets``).

Every object of the file is indexed from metadata alone.  Coordinate
objects (by name) become coordinates shared by all Datasets.  The other
objects are grouped by (shape, dtype); each group becomes one Dataset:

- metadata keys with one value across the group become attributes;
- keys whose values differ become outer dimensions when every combination
  of their values occurs exactly once (a hypercube); a key whose values are
  mappings (``mars``) contributes the nested keys that differ
  (``mars.date``), named by their dotted path;
- with ``variable_key``, objects are first split into variables by the value
  at that path, each stacked along the keys that still differ;
- objects that form no hypercube stay separate variables.

Stacked variables are ``StackedBackendArray``s: indexing decodes only the
objects (and, where the pipeline allows, the element ranges) it touches,
and with dask each object is one chunk, decoded by its own task.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import xarray as xr
from xarray.core import indexing

import tensogram

from .array import StackedBackendArray, TensogramBackendArray
from .coords import detect_coords
from .mapping import (
    EXTRA_DIM_NAMES_KEY,
    STRUCTURAL_META_KEYS,
    parse_per_object_dim_names,
    resolve_dims_for_axes,
    resolve_variable_name,
    strip_structural_keys,
)
from .scanner import ObjectInfo, open_source, resolve_source, scan_file
from .store import _backend_array, _coordinate_variables, _index_sizes, _to_numpy_dtype

logger = logging.getLogger(__name__)


def open_datasets(
    path: str,
    *,
    dim_names: Sequence[str] | None = None,
    variable_key: str | None = None,
    range_threshold: float = 0.5,
    verify_hash: bool = False,
    storage_options: dict[str, Any] | None = None,
) -> list[xr.Dataset]:
    """Open every message of a file as a list of Datasets, one per group of
    compatible objects (see the module documentation).  Nothing is decoded."""
    path = resolve_source(path)
    file_index = scan_file(path, storage_options=storage_options)
    if not file_index.objects:
        return []

    shared_file = None
    if tensogram.is_remote_url(path):
        shared_file = open_source(path, storage_options)
    ctx = _Context(path, range_threshold, verify_hash, storage_options, shared_file)

    objects = file_index.objects
    coord_idx, var_idx, coord_dim = detect_coords([o.merged_meta for o in objects])
    found: dict[str, tuple] = {}
    for ci in coord_idx:
        obj, name = objects[ci], coord_dim[ci]
        if name in found:
            if found[name][2].shape != obj.shape:
                raise ValueError(
                    "coordinate %r has conflicting shapes: existing %s vs new %s "
                    "(msg_index=%d, obj_index=%d)"
                    % (name, found[name][2].shape, obj.shape, obj.msg_index, obj.obj_index)
                )
            continue  # the same coordinate repeated in another message
        found[name] = (ci, name, ctx.array(obj), obj.per_object_meta)
    coord_vars = _coordinate_variables(list(found.values()), dim_names, None)

    datasets = []
    for group in _group_by_structure([objects[i] for i in var_idx]):
        ds = _build_dataset_from_group(
            group,
            path,
            coord_vars,
            dim_names,
            variable_key,
            ctx.lock,
            range_threshold,
            verify_hash,
            storage_options,
            shared_file=shared_file,
            backend_arrays=ctx.arrays,
            _ctx=ctx,
        )
        if ds is not None:
            datasets.append(ds)
    if not datasets:
        datasets = [xr.Dataset(coords=coord_vars, attrs={"source": path})]
    if shared_file is not None:
        for ds in datasets:
            ds.set_close(ctx.close)
    return datasets


class _Context:
    """What every backing array of one open_datasets call shares."""

    def __init__(self, path, range_threshold, verify_hash, storage_options, shared_file):
        self.path = path
        self.range_threshold = range_threshold
        self.verify_hash = verify_hash
        self.storage_options = storage_options
        self.shared_file = shared_file
        self.lock = threading.Lock()
        self.arrays: list = []

    def array(self, obj: ObjectInfo, shape=None, dtype=None) -> TensogramBackendArray:
        return _new_array(
            obj,
            self.path,
            self.range_threshold,
            self.verify_hash,
            self.storage_options,
            self.shared_file,
            self.arrays,
            shape,
            dtype,
        )

    def __getstate__(self) -> dict:
        # Pickled with the arrays (dask): what makes new arrays, without the
        # open handle, the lock, or the arrays of this process.
        state = self.__dict__.copy()
        state.update(shared_file=None, lock=None, arrays=[])
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.lock = threading.Lock()

    def close(self) -> None:
        for arr in self.arrays:
            arr._shared_file = None
        self.arrays.clear()
        if self.shared_file is not None:
            self.shared_file.close()
            self.shared_file = None


def _new_array(
    obj, path, range_threshold, verify_hash, storage_options, shared_file, arrays, shape=None,
    dtype=None,
):
    arr = _backend_array(
        path,
        obj.msg_index,
        obj.obj_index,
        obj.descriptor,
        range_threshold=range_threshold,
        verify_hash=verify_hash,
        storage_options=storage_options,
        shared_file=shared_file,
        shape=obj.shape if shape is None else shape,
        dtype=_to_numpy_dtype(obj.dtype) if dtype is None else dtype,
    )
    if arrays is not None:
        arrays.append(arr)
    return arr


# ---- grouping -----------------------------------------------------------------------


def _group_by_structure(objects: list[ObjectInfo]) -> list[list[ObjectInfo]]:
    """Objects grouped by (shape, dtype), groups in order of first appearance."""
    groups: dict[tuple, list[ObjectInfo]] = defaultdict(list)
    for obj in objects:
        groups[(tuple(obj.shape), obj.dtype)].append(obj)
    return list(groups.values())


def _extract_meta_keys(objects: list[ObjectInfo]) -> dict[str, list[Any]]:
    """{key: [its value in each object (None when absent)]} for every
    top-level, non-structural metadata key, keys sorted."""
    metas = [o.merged_meta for o in objects]
    keys = sorted({k for m in metas for k in m if k not in STRUCTURAL_META_KEYS})
    return {k: [m.get(k) for m in metas] for k in keys}


_SCALARS = (str, int, float, bool, type(None))


def _make_hashable(val: Any) -> Any:
    """A hashable stand-in for a metadata value (dicts and lists become tuples)."""
    if type(val) in _SCALARS:
        return val
    if isinstance(val, Mapping):
        return tuple(sorted((k, _make_hashable(v)) for k, v in val.items()))
    if isinstance(val, (list, tuple)):
        return tuple(_make_hashable(v) for v in val)
    return val


def _partition_keys(
    key_values: dict[str, list[Any]],
) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """(keys with one value -> that value, keys whose values differ -> the values)."""
    constant: dict[str, Any] = {}
    varying: dict[str, list[Any]] = {}
    for k, values in key_values.items():
        # One value everywhere: every value equals the first (a comparison
        # in C, where hashing nested values costs a sort per object).
        first = values[0] if values else None
        try:
            same = all(v is first or v == first for v in values)
        except TypeError:  # a value that cannot be compared: keep it as an attribute
            same = True
        if not same:
            try:
                same = len({_make_hashable(v) for v in values}) <= 1
            except TypeError:  # unhashable even as a stand-in (e.g. a set of sets)
                same = True
        if same:
            constant[k] = first
        else:
            varying[k] = values
    return constant, varying


def _unique_values(values: list[Any]) -> list[Any]:
    """Distinct values in order of first appearance."""
    seen: set = set()
    out = []
    for v in values:
        h = _make_hashable(v)
        if h not in seen:
            seen.add(h)
            out.append(v)
    return out


def _try_hypercube(objects: list, varying: dict[str, list[Any]]) -> bool:
    """Whether the objects are as many as the combinations of the varying
    keys' values (when some combination is then missing, building the
    hypercube raises a ValueError naming it: a duplicated object is an
    error in the file, not something to paper over)."""
    if not varying:
        return True
    expected = 1
    for values in varying.values():
        expected *= len(_unique_values(values))
    return len(objects) == expected


def _split_by_key(objects: list[ObjectInfo], key: str) -> list[list[ObjectInfo]]:
    """Objects grouped by their value of the top-level key ``key``."""
    groups: dict[Any, list[ObjectInfo]] = defaultdict(list)
    for obj in objects:
        groups[_make_hashable(obj.merged_meta.get(key))].append(obj)
    return list(groups.values())


def _expand_nested(
    constant: dict[str, Any], varying: dict[str, list[Any]]
) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """Replace each varying key whose values are all mappings by its nested
    keys, named by dotted path: the ones that differ stay varying, the
    others join the constant attributes (nested under the key)."""
    constant = dict(constant)
    out: dict[str, list[Any]] = {}
    for key, values in varying.items():
        if not values or not all(isinstance(v, Mapping) for v in values):
            out[key] = values
            continue
        subs = sorted({s for v in values for s in v})
        sub_const, sub_vary = _partition_keys({s: [v.get(s) for v in values] for s in subs})
        if sub_const:
            constant[key] = sub_const
        sub_const2, sub_vary = _expand_nested({}, sub_vary)
        if sub_const2:
            constant.setdefault(key, {}).update(sub_const2)
        for s, vals in sub_vary.items():
            out["%s.%s" % (key, s)] = vals
    return constant, out


# ---- Datasets -----------------------------------------------------------------------


def _build_dataset_from_group(
    group: list[ObjectInfo],
    file_path: str,
    coord_vars: dict[str, xr.Variable],
    dim_names: Sequence[str] | None,
    variable_key: str | None,
    lock: threading.Lock,
    range_threshold: float = 0.5,
    verify_hash: bool = False,
    storage_options: dict[str, Any] | None = None,
    *,
    shared_file: Any = None,
    backend_arrays: list | None = None,
    _ctx: Any = None,
) -> xr.Dataset | None:
    """The Dataset of one group of same-shape, same-dtype objects (None
    for an empty group)."""
    if not group:
        return None
    if _ctx is None:
        _ctx = _Context(file_path, range_threshold, verify_hash, storage_options, shared_file)
        if backend_arrays is not None:
            _ctx.arrays = backend_arrays
    b = _Builder(
        file_path, coord_vars, dim_names, variable_key, range_threshold, verify_hash,
        storage_options, shared_file, backend_arrays, _ctx,
    )
    if len(group) == 1:
        obj = group[0]
        name = resolve_variable_name(obj.obj_index, obj.merged_meta, variable_key)
        b.add_single(name, obj, obj.merged_meta)
        return b.dataset(obj.common_meta)

    if variable_key is not None:
        by_name: dict[str, list[ObjectInfo]] = defaultdict(list)
        for obj in group:
            by_name[resolve_variable_name(obj.obj_index, obj.per_object_meta, variable_key)].append(
                obj
            )
        if len(by_name) > 1:
            constant, _ = _partition_keys(_extract_meta_keys(group))
            for name, members in by_name.items():
                b.add_variable(name, members, variable_key)
            return b.dataset(constant)

    constant, varying = _partition_keys(_extract_meta_keys(group))
    constant, varying = _expand_nested(constant, varying)
    if varying and _try_hypercube(group, varying):
        name = resolve_variable_name(group[0].obj_index, group[0].merged_meta, variable_key)
        b.add_stacked(name, group, varying, constant)
    else:
        b.add_flat(group)
    return b.dataset(constant)


class _Builder:
    """Collects the variables and coordinates of one Dataset."""

    def __init__(
        self, path, coord_vars, dim_names, variable_key, range_threshold, verify_hash,
        storage_options, shared_file, arrays, ctx=None,
    ):
        self.ctx = ctx
        self.path = path
        self.coords = dict(coord_vars)
        self.base_coords = coord_vars
        self.dim_names = dim_names
        self.variable_key = variable_key
        self.args = (path, range_threshold, verify_hash, storage_options, shared_file, arrays)
        self.data_vars: dict[str, xr.Variable] = {}

    def _array(self, obj, shape=None, dtype=None):
        return self.ctx.array(obj, shape, dtype)

    def _put(self, name: str, var: xr.Variable) -> None:
        final, n = name, 0
        while final in self.data_vars or final in self.coords:
            n += 1
            final = "%s_%d" % (name, n)
        if n:
            logger.warning("two variables are named %r; the later one is %r", name, final)
        self.data_vars[final] = var

    def add_single(self, name: str, obj: ObjectInfo, meta: Mapping[str, Any]) -> None:
        dims = _resolve_inner_dims([obj], obj.shape, user_dim_names=self.dim_names,
                                   coord_vars=self.base_coords)
        arr = self._array(obj)
        self._put(name, xr.Variable(dims, indexing.LazilyIndexedArray(arr),
                                    strip_structural_keys(meta)))

    def add_flat(self, group: list[ObjectInfo]) -> None:
        """One variable per object."""
        dims = _resolve_inner_dims(group, group[0].shape, user_dim_names=self.dim_names,
                                   coord_vars=self.base_coords)
        for obj in group:
            name = resolve_variable_name(obj.obj_index, obj.per_object_meta, self.variable_key)
            arr = self._array(obj)
            self._put(name, xr.Variable(dims, indexing.LazilyIndexedArray(arr),
                                        strip_structural_keys(obj.merged_meta)))

    def add_stacked(self, name, group, varying, attrs) -> None:
        """One variable over outer dimensions (the varying keys, sorted)."""
        inner_shape = tuple(group[0].shape)
        dtype = _to_numpy_dtype(group[0].dtype)
        inner_dims = _resolve_inner_dims(group, inner_shape, user_dim_names=self.dim_names,
                                         coord_vars=self.base_coords)
        keys = sorted(varying)
        # Each object's position along every outer dimension: the index of
        # its value among the distinct values, in order of appearance.
        labels = {}
        positions = []
        for k in keys:
            index_of: dict = {}
            pos_k = []
            for v in varying[k]:
                h = _make_hashable(v)
                p = index_of.get(h)
                if p is None:
                    p = index_of[h] = len(index_of)
                pos_k.append(p)
            labels[k] = _unique_values(varying[k])
            positions.append(pos_k)
        outer_shape = tuple(len(labels[k]) for k in keys)
        # Objects in C order of the outer shape (one per cell).
        strides = [math.prod(outer_shape[j + 1 :]) for j in range(len(keys))]
        cells: list = [None] * math.prod(outer_shape)
        for i, obj in enumerate(group):
            cells[sum(p[i] * st for p, st in zip(positions, strides))] = obj
        if any(c is None for c in cells):
            flat = cells.index(None)
            at = {}
            for k, st, n in zip(keys, strides, outer_shape):
                at[k] = labels[k][(flat // st) % n]
            raise ValueError("hypercube has a missing entry at %s in %s" % (at, self.path))
        # The backing arrays are made when a selection first reaches them.
        arrays = _LazyArrays(cells, self.ctx, inner_shape, dtype)
        stacked = StackedBackendArray(arrays, outer_shape, inner_shape, dtype)
        var = xr.Variable(tuple(keys) + inner_dims, indexing.LazilyIndexedArray(stacked),
                          strip_structural_keys(attrs))
        # dask: one chunk (one task) per object
        var.encoding["preferred_chunks"] = {k: 1 for k in keys}
        for k in keys:
            self.coords[k] = xr.Variable((k,), _label_array(labels[k]))
        self._put(name, var)

    def add_variable(self, name: str, members: list[ObjectInfo], variable_key: str) -> None:
        """One variable of a group split by ``variable_key``."""
        if len(members) == 1:
            self.add_single(name, members[0], members[0].merged_meta)
            return
        constant, varying = _partition_keys(_extract_meta_keys(members))
        constant, varying = _expand_nested(constant, varying)
        varying.pop(variable_key, None)
        if varying and _try_hypercube(members, varying):
            self.add_stacked(name, members, varying, constant)
            return
        logger.warning(
            "variable %r: %d %s, using only the first (dropping %d)",
            name,
            len(members),
            "objects cannot form a hypercube"
            if varying
            else "duplicate objects with no distinguishing metadata",
            len(members) - 1,
        )
        self.add_single(name, members[0], members[0].merged_meta)

    def dataset(self, attrs: Mapping[str, Any]) -> xr.Dataset:
        return xr.Dataset(self.data_vars, coords=self.coords, attrs=strip_structural_keys(attrs))


class _LazyArrays:
    """The backing arrays of a stacked variable, one per cell, each made on
    first use (a file of many messages opens without building a Python
    object per object for data nobody reads)."""

    def __init__(self, objects: list, ctx: _Context, shape, dtype):
        self._objects = objects
        self._made: list = [None] * len(objects)
        self._ctx = ctx
        self._shape = shape
        self._dtype = dtype
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._objects)

    def __getitem__(self, i: int):
        arr = self._made[i]
        if arr is None:
            with self._lock:
                arr = self._made[i]
                if arr is None:
                    arr = self._ctx.array(self._objects[i], self._shape, self._dtype)
                    self._made[i] = arr
        return arr

    def __iter__(self):
        return (self[i] for i in range(len(self._objects)))

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_lock"] = None
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()


def _label_array(values: list[Any]):
    """Coordinate labels as an array (objects when they are not scalars)."""
    import numpy as np

    if all(isinstance(v, (str, int, float, bool)) for v in values):
        return np.asarray(values)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


# ---- dimension names of a group -----------------------------------------------------


def _consistent_hint_meta(objects: Sequence[ObjectInfo], ndim: int) -> Mapping[str, Any] | None:
    """The per-object metadata carrying the group's ``dim_names`` hint when
    every object that has a valid one agrees (None otherwise, with a
    warning when they disagree)."""
    first = None
    distinct: list[list[str]] = []
    for obj in objects:
        hint = parse_per_object_dim_names(ndim, obj.per_object_meta)
        if hint is None:
            continue
        if first is None:
            first = obj.per_object_meta
        if hint not in distinct:
            distinct.append(hint)
    if len(distinct) > 1:
        logger.warning(
            "group has inconsistent per-object dim_names hints %s; "
            "falling back to coord/_extra_/generic resolution",
            distinct,
        )
        return None
    return first


def _consistent_extra_hint(objects: Sequence[ObjectInfo]) -> Any:
    """The messages' ``_extra_["dim_names"]`` when they agree (None
    otherwise, with a warning when they disagree)."""
    distinct: dict[Any, Any] = {}
    for obj in objects:
        raw = obj.common_meta.get(EXTRA_DIM_NAMES_KEY)
        if raw is not None:
            distinct.setdefault(_make_hashable(raw), raw)
    if len(distinct) > 1:
        logger.warning(
            "group has inconsistent _extra_ %s hints across messages (%d distinct); "
            "ignoring them",
            EXTRA_DIM_NAMES_KEY,
            len(distinct),
        )
        return None
    return next(iter(distinct.values()), None)


def _resolve_inner_dims(
    objects: Sequence[ObjectInfo],
    inner_shape: tuple[int, ...],
    *,
    user_dim_names: Sequence[str] | None,
    coord_vars: Mapping[str, xr.Variable],
) -> tuple[str, ...]:
    """Dimension names of a group's objects (the module ``mapping``'s
    priority chain); a name that names a coordinate of another length is
    replaced by ``obj_<i>_dim_<axis>`` (with a warning when it came from a
    hint or the caller)."""
    coord_sizes = _index_sizes(dict(coord_vars))
    axes = resolve_dims_for_axes(
        tuple(inner_shape),
        user_dim_names=user_dim_names,
        coord_dim_sizes=coord_sizes,
        per_object_meta=_consistent_hint_meta(objects, len(inner_shape)),
        extra_dim_names_hint=_consistent_extra_hint(objects),
    )
    first = objects[0].obj_index if objects else 0
    out = []
    for axis, ((name, generic), size) in enumerate(zip(axes, inner_shape)):
        if name in coord_sizes and coord_sizes[name] != size:
            if not generic:
                logger.warning(
                    "dim name %r at axis %d size %d conflicts with coord %r size %d; "
                    "renaming to obj_%d_dim_%d",
                    name, axis, size, name, coord_sizes[name], first, axis,
                )
            out.append("obj_%d_dim_%d" % (first, axis))
        else:
            out.append(name)
    return tuple(out)
