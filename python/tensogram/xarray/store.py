"""One message as an xarray Dataset (``TensogramDataStore``).

Opening reads the message's metadata and descriptors only.  Objects named
like coordinates (``latitude``, ``lon``, ``time``...) become coordinates;
the others become data variables over lazily decoded arrays.  Metadata
goes to attributes: ``meta.extra`` and the wire version on the Dataset,
each object's metadata on its variable.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr
from xarray.core import indexing

import tensogram

from .array import (
    TensogramBackendArray,
    _local_handle,
    _range_granule,
    _supports_range_decode,
)
from .coords import detect_coords
from .mapping import (
    EXTRA_DIM_NAMES_KEY,
    resolve_dims_for_axes,
    resolve_variable_name,
    strip_structural_keys,
)
from .scanner import _extra_from_meta, _merge_per_object_meta, open_source, resolve_source

logger = logging.getLogger(__name__)

try:  # bfloat16 as a real type when ml_dtypes is there, else its raw bits
    import ml_dtypes

    _BFLOAT16 = np.dtype(ml_dtypes.bfloat16)
except ImportError:
    _BFLOAT16 = np.dtype("uint16")

_DTYPE_MAP: dict[str, np.dtype] = {
    name: np.dtype(name)
    for name in (
        "float16 float32 float64 complex64 complex128 "
        "int8 int16 int32 int64 uint8 uint16 uint32 uint64"
    ).split()
}
_DTYPE_MAP["bfloat16"] = _BFLOAT16
_DTYPE_MAP["bitmask"] = np.dtype("uint8")  # the packed bytes


def _to_numpy_dtype(tgm_dtype: str) -> np.dtype:
    """The NumPy dtype of a Tensogram dtype name (TypeError when unknown)."""
    found = _DTYPE_MAP.get(str(tgm_dtype).lower())
    if found is not None:
        return found
    try:
        return np.dtype(tgm_dtype)
    except TypeError as exc:
        raise TypeError("unsupported tensogram dtype %r: %s" % (tgm_dtype, exc)) from exc


def _backend_array(
    path: str,
    msg_index: int,
    obj_index: int,
    descriptor: Any,
    *,
    range_threshold: float,
    verify_hash: bool,
    storage_options: dict[str, Any] | None,
    shared_file: Any = None,
    lock: Any = None,
    shape: tuple[int, ...] | None = None,
    dtype: np.dtype | None = None,
) -> TensogramBackendArray:
    np_dtype = dtype if dtype is not None else _to_numpy_dtype(descriptor.dtype)
    return TensogramBackendArray(
        file_path=path,
        msg_index=msg_index,
        obj_index=obj_index,
        shape=tuple(shape if shape is not None else descriptor.shape),
        dtype=np_dtype,
        supports_range=_supports_range_decode(descriptor),
        range_threshold=range_threshold,
        lock=lock,
        storage_options=storage_options,
        shared_file=shared_file,
        verify_hash=verify_hash,
        range_granule=_range_granule(descriptor, np_dtype.itemsize),
    )


@dataclass
class _DataVarPlan:
    """A data variable before its final dimension names are known."""

    obj_index: int
    var_name: str
    shape: tuple[int, ...]
    dims_with_provenance: list[tuple[str, bool]]  # (name, is generic dim_<axis>)
    backend_array: Any
    var_attrs: dict[str, Any]


def _disambiguate_fallback_dims(
    plans: list[_DataVarPlan], coord_dim_sizes: dict[str, int]
) -> list[tuple[str, ...]]:
    """Final dimension names of each plan: a name claimed at two lengths
    (by two variables, or a variable and a coordinate) is replaced by
    ``obj_<i>_dim_<axis>`` on the axes where it does not fit, except on
    axes that match the coordinate of that name.  Renaming a name that came
    from a hint or the caller (not a generic ``dim_<axis>``) is logged as a
    warning, once per name."""
    lengths: dict[str, set[int]] = {name: {size} for name, size in coord_dim_sizes.items()}
    for plan in plans:
        for (name, _), size in zip(plan.dims_with_provenance, plan.shape):
            lengths.setdefault(name, set()).add(size)
    clashing = {name for name, sizes in lengths.items() if len(sizes) > 1}

    warned: set[str] = set()
    out: list[tuple[str, ...]] = []
    for plan in plans:
        dims = []
        for axis, ((name, generic), size) in enumerate(zip(plan.dims_with_provenance, plan.shape)):
            if name not in clashing or coord_dim_sizes.get(name) == size:
                dims.append(name)
                continue
            if not generic and name not in warned:
                warned.add(name)
                logger.warning(
                    "dimension name %r is claimed at conflicting sizes %s; the axes that "
                    "do not fit get object-local names obj_<i>_dim_<axis> (check the "
                    "dim_names keyword, _extra_ or per-object dim_names hints)",
                    name,
                    sorted(lengths[name]),
                )
            dims.append("obj_%d_dim_%d" % (plan.obj_index, axis))
        out.append(tuple(dims))
    return out


def _unique_name(name: str, *taken) -> str:
    """``name``, or ``name_1``, ``name_2``... when an earlier object took it
    (two objects of one message never replace each other)."""
    candidate, n = name, 0
    while any(candidate in t for t in taken):
        n += 1
        candidate = "%s_%d" % (name, n)
    if n:
        logger.warning("two objects are named %r; the later one is %r", name, candidate)
    return candidate


def _index_sizes(coords: dict[str, xr.Variable]) -> dict[str, int]:
    """Lengths of the coordinates that label a dimension of their own name."""
    return {name: v.shape[0] for name, v in coords.items() if v.dims == (name,)}


def _coordinate_variables(
    found: list[tuple[int, str, Any, dict[str, Any]]],
    user_dim_names: Sequence[str] | None,
    extra_hint: Any,
) -> dict[str, xr.Variable]:
    """Coordinate variables from (object index, dimension name, backing array,
    metadata): a 1-D object labels the dimension of its name; a 0-D one is a
    scalar coordinate; an N-D one (a curvilinear latitude, say) is a
    coordinate over the dimensions its axes resolve to."""
    coords: dict[str, xr.Variable] = {}
    later = []
    for obj_index, name, arr, meta in found:
        if len(arr.shape) == 1:
            dims: tuple[str, ...] = (name,)
        elif not arr.shape:
            dims = ()
        else:
            later.append((obj_index, name, arr, meta))
            continue
        coords[name] = xr.Variable(
            dims, indexing.LazilyIndexedArray(arr), strip_structural_keys(meta)
        )
    for obj_index, name, arr, meta in later:
        user = user_dim_names if user_dim_names is not None and len(user_dim_names) == len(
            arr.shape
        ) else None
        axes = resolve_dims_for_axes(
            arr.shape,
            user_dim_names=user,
            coord_dim_sizes=_index_sizes(coords),
            per_object_meta=meta,
            extra_dim_names_hint=extra_hint,
        )
        coords[name] = xr.Variable(
            tuple(n for n, _ in axes), indexing.LazilyIndexedArray(arr), strip_structural_keys(meta)
        )
    return coords


class TensogramDataStore:
    """Reads one message of a file (or URL) and builds its Dataset."""

    def __init__(
        self,
        file_path: str,
        msg_index: int = 0,
        dim_names: Sequence[str] | None = None,
        variable_key: str | None = None,
        range_threshold: float = 0.5,
        storage_options: dict[str, Any] | None = None,
        verify_hash: bool = False,
    ):
        self.file_path = resolve_source(file_path)
        self._is_remote = tensogram.is_remote_url(self.file_path)
        self.msg_index = msg_index
        self.dim_names = dim_names
        self.variable_key = variable_key
        self.range_threshold = range_threshold
        self.storage_options = storage_options
        self.verify_hash = verify_hash
        self._backend_arrays: list[TensogramBackendArray] = []
        # Local files: the process-wide handle the lazy arrays read through
        # too, so the file is scanned once.  Remote: one handle shared by
        # this Dataset's arrays, closed with it.
        if self._is_remote:
            self._file = open_source(self.file_path, storage_options)
        else:
            self._file = _local_handle(self.file_path)
        try:
            self._meta, self._descriptors = self._read_metadata()
        except BaseException:
            self.close()
            raise

    def _read_metadata(self) -> tuple[Any, list]:
        count = len(self._file)
        if not 0 <= self.msg_index < count:
            raise ValueError(
                "message_index %d out of range: %s has %d message(s)"
                % (self.msg_index, self.file_path, count)
            )
        found = self._file.file_decode_descriptors(self.msg_index)
        return found["metadata"], found["descriptors"]

    def _get_common_meta(self) -> dict[str, Any]:
        """Dataset attributes: the message's extra metadata (structural keys
        left out) and ``tensogram_wire_version``."""
        attrs = strip_structural_keys(_extra_from_meta(self._meta))
        attrs["tensogram_wire_version"] = getattr(self._meta, "version", tensogram.WIRE_VERSION)
        return attrs

    def _get_per_object_meta(self, obj_index: int, desc: Any) -> dict[str, Any]:
        base = getattr(self._meta, "base", None)
        if isinstance(base, list) and obj_index >= len(base):
            logger.warning(
                "meta.base has %d entries but object index %d requested; "
                "per-object metadata will be empty for this object",
                len(base),
                obj_index,
            )
        return _merge_per_object_meta(self._meta, obj_index, desc)

    def _extra_dim_names_hint(self) -> Any:
        extra = getattr(self._meta, "extra", None)
        return extra.get(EXTRA_DIM_NAMES_KEY) if isinstance(extra, dict) else None

    def _array(self, obj_index: int) -> TensogramBackendArray:
        arr = _backend_array(
            self.file_path,
            self.msg_index,
            obj_index,
            self._descriptors[obj_index],
            range_threshold=self.range_threshold,
            verify_hash=self.verify_hash,
            storage_options=self.storage_options,
            shared_file=self._file if self._is_remote else None,
        )
        self._backend_arrays.append(arr)
        return arr

    def build_dataset(self, drop_variables: set[str] | None = None) -> xr.Dataset:
        """The Dataset of the message (no payload decoded)."""
        metas = [self._get_per_object_meta(i, d) for i, d in enumerate(self._descriptors)]
        coord_idx, var_idx, coord_dim = detect_coords(metas)

        hint = self._extra_dim_names_hint()
        coords = _coordinate_variables(
            [(ci, coord_dim[ci], self._array(ci), metas[ci]) for ci in coord_idx],
            self.dim_names,
            hint,
        )
        coord_sizes = _index_sizes(coords)

        plans: list[_DataVarPlan] = []
        for vi in var_idx:
            name = resolve_variable_name(vi, metas[vi], self.variable_key)
            if drop_variables and name in drop_variables:
                continue
            desc = self._descriptors[vi]
            shape = tuple(desc.shape)
            plans.append(
                _DataVarPlan(
                    obj_index=vi,
                    var_name=name,
                    shape=shape,
                    dims_with_provenance=resolve_dims_for_axes(
                        shape,
                        user_dim_names=self.dim_names,
                        coord_dim_sizes=coord_sizes,
                        per_object_meta=metas[vi],
                        extra_dim_names_hint=hint,
                    ),
                    backend_array=self._array(vi),
                    var_attrs=strip_structural_keys(metas[vi]),
                )
            )
        data_vars = {}
        for plan, dims in zip(plans, _disambiguate_fallback_dims(plans, coord_sizes)):
            var = xr.Variable(dims, indexing.LazilyIndexedArray(plan.backend_array), plan.var_attrs)
            data_vars[_unique_name(plan.var_name, data_vars, coords)] = var
        return xr.Dataset(data_vars, coords=coords, attrs=self._get_common_meta())

    def close(self) -> None:
        for arr in self._backend_arrays:
            arr._shared_file = None
        self._backend_arrays.clear()
        if self._file is not None and self._is_remote:
            self._file.close()
        self._file = None
