"""Names: of dimensions (``dim_names`` keyword and hints in the metadata)
and of variables (``variable_key`` and the default lookup chain).

Dimension names of one data variable come from, highest priority first:

1. the ``dim_names=[...]`` keyword of the open call;
2. a coordinate whose length equals the axis length;
3. the object's own hint ``base[i]["dim_names"]`` (a list of exactly ndim
   distinct non-empty strings; anything else is ignored);
4. the message hint ``_extra_["dim_names"]``: a list of ndim names, or a
   ``{length: name}`` mapping;
5. ``dim_<axis>``, marked as a generic fallback so that callers may rename
   it when two variables would give it different lengths.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

logger = logging.getLogger(__name__)

PER_OBJECT_DIM_NAMES_KEY = "dim_names"
EXTRA_DIM_NAMES_KEY = "dim_names"

# Keys that shape the Dataset rather than describe the data: they are not
# copied into attributes and never become merge dimensions.
STRUCTURAL_META_KEYS: frozenset[str] = frozenset({PER_OBJECT_DIM_NAMES_KEY})

# Default variable-name lookup, in priority order (the zarr store uses the
# same chain, so both name a file's objects alike).
_VARIABLE_NAME_KEYS = ("name", "mars.param", "param", "mars.shortName", "shortName")


def strip_structural_keys(meta: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``meta`` without the structural keys."""
    return {k: v for k, v in meta.items() if k not in STRUCTURAL_META_KEYS}


def resolve_dim_names(ndim: int, user_dim_names: Sequence[str] | None) -> list[str]:
    """``user_dim_names`` (which must have ``ndim`` entries), else ``dim_0``, ``dim_1``..."""
    if user_dim_names is None:
        return ["dim_%d" % i for i in range(ndim)]
    names = list(user_dim_names)
    if len(names) != ndim:
        raise ValueError(
            "dim_names has %d entries but tensor has %d dimensions. Provide exactly %d names."
            % (len(names), ndim, ndim)
        )
    return names


def parse_per_object_dim_names(
    ndim: int, obj_meta: Mapping[str, Any] | None
) -> list[str] | None:
    """The object's ``dim_names`` hint when it is valid, else None.

    Valid: a list or tuple (not a string) of exactly ``ndim`` distinct,
    non-empty strings.  Invalid hints are ignored (logged at DEBUG), so a
    file with a bad hint still opens.
    """
    if not obj_meta:
        return None
    raw = obj_meta.get(PER_OBJECT_DIM_NAMES_KEY)
    if raw is None:
        return None
    if isinstance(raw, (str, bytes, bytearray)) or not isinstance(raw, Sequence):
        why = "not a list (%s)" % type(raw).__name__
    elif len(raw) != ndim:
        why = "%d names for %d axes" % (len(raw), ndim)
    elif not all(isinstance(n, str) and n for n in raw):
        why = "a name that is empty or not a string"
    elif len(set(raw)) != ndim:
        why = "repeated names %r" % (list(raw),)
    else:
        return list(raw)
    logger.debug("ignoring the per-object %s hint: %s", PER_OBJECT_DIM_NAMES_KEY, why)
    return None


def parse_extra_dim_names_hint(ndim: int, raw: Any) -> list[str] | dict[int, str]:
    """The message-level hint: a list of ``ndim`` names, or ``{length: name}``.

    Anything unusable gives an empty dict.
    """
    if isinstance(raw, list):
        try:
            names = [str(n) for n in raw]
        except (TypeError, ValueError):
            return {}
        return names if len(names) == ndim else {}
    if isinstance(raw, dict):
        try:
            return {int(k): str(v) for k, v in raw.items()}
        except (TypeError, ValueError):
            return {}
    return {}


def resolve_dims_for_axes(
    shape: tuple[int, ...],
    *,
    user_dim_names: Sequence[str] | None,
    coord_dim_sizes: Mapping[str, int],
    per_object_meta: Mapping[str, Any] | None,
    extra_dim_names_hint: Any,
) -> list[tuple[str, bool]]:
    """``(name, is_generic_fallback)`` for each axis (priority chain in the module doc).

    A name is used at most once per variable: an axis whose candidate is
    already taken goes on down the chain.
    """
    if user_dim_names is not None:
        return [(n, False) for n in resolve_dim_names(len(shape), user_dim_names)]

    coords_by_size: dict[int, list[str]] = {}
    for name, size in coord_dim_sizes.items():
        coords_by_size.setdefault(size, []).append(name)
    own = parse_per_object_dim_names(len(shape), per_object_meta)
    extra = parse_extra_dim_names_hint(len(shape), extra_dim_names_hint)

    taken: set[str] = set()
    out: list[tuple[str, bool]] = []
    for axis, size in enumerate(shape):
        candidates = list(coords_by_size.get(size, ()))
        if own is not None:
            candidates.append(own[axis])
        if isinstance(extra, list):
            candidates.append(extra[axis])
        elif size in extra:
            candidates.append(extra[size])
        name = next((c for c in candidates if c not in taken), None)
        if name is None:
            out.append(("dim_%d" % axis, True))
        else:
            taken.add(name)
            out.append((name, False))
    return out


def _resolve_dotted(meta: Any, dotted_key: str) -> Any:
    """The value at a dotted path (``"mars.param"``) of nested dicts, or None."""
    node = meta
    for part in dotted_key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def resolve_variable_name(
    obj_index: int, per_object_meta: Mapping[str, Any] | None, variable_key: str | None
) -> str:
    """The variable name of an object: the value at ``variable_key`` when it
    is set and present, else the first of ``name``, ``mars.param``,
    ``param``, ``mars.shortName``, ``shortName``, else ``object_<index>``."""
    meta = per_object_meta or {}
    keys = ((variable_key,) if variable_key else ()) + _VARIABLE_NAME_KEYS
    for key in keys:
        value = _resolve_dotted(meta, key)
        if value is not None:
            return str(value)
    return "object_%d" % obj_index
