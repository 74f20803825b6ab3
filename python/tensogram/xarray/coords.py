"""Which objects of a message are coordinate arrays.

An object whose name (``name``, else ``param``, else ``mars.param`` of its
per-object metadata) is one of the well-known coordinate names below,
compared without regard to case, is a coordinate: it labels a dimension of
that (canonical) name instead of becoming a data variable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

# alias (lower case) -> the dimension it labels
CANONICAL_DIM: dict[str, str] = {
    "lat": "latitude",
    "latitude": "latitude",
    "lon": "longitude",
    "longitude": "longitude",
    "x": "x",
    "y": "y",
    "time": "time",
    "level": "level",
    "pressure": "pressure",
    "height": "height",
    "depth": "depth",
    "frequency": "frequency",
    "step": "step",
}

KNOWN_COORD_NAMES: frozenset[str] = frozenset(CANONICAL_DIM)


def _get_object_name(meta: Mapping[str, Any]) -> str | None:
    """The identifying name of an object: ``name``, ``param`` or ``mars.param``."""
    for key in ("name", "param"):
        if key in meta:
            return str(meta[key])
    mars = meta.get("mars")
    if isinstance(mars, Mapping) and "param" in mars:
        return str(mars["param"])
    return None


def detect_coords(
    object_metas: Sequence[Mapping[str, Any]],
) -> tuple[list[int], list[int], dict[int, str]]:
    """Split object indexes into (coordinates, data variables, {coord index: dim name})."""
    coords: list[int] = []
    variables: list[int] = []
    dim_of: dict[int, str] = {}
    for i, meta in enumerate(object_metas):
        name = _get_object_name(meta)
        dim = CANONICAL_DIM.get(name.lower()) if name is not None else None
        if dim is None:
            variables.append(i)
        else:
            coords.append(i)
            dim_of[i] = dim
    return coords, variables, dim_of
