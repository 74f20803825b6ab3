"""Quick-look pictures with matplotlib: ``tensogram.plot(...)``.

The same picture as ``tensogram plot`` of the command-line tool: the last
two axes of an object as rows and columns (``index`` picks the position
along the axes before them), viridis between the finite minimum and
maximum, NaN in grey, a colour bar labelled with the object's ``units``,
a title from its metadata, and north up when the message holds latitude /
longitude objects (then the axes are labelled in degrees).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from . import _api

NAN_COLOUR = (190 / 255, 190 / 255, 190 / 255)  # as the command-line tool


def _object_name(meta: dict) -> str | None:
    for path in ("name", "mars.param", "param", "mars.shortName", "shortName"):
        node: Any = meta
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node is not None:
            return str(node)
    return None


def _title(meta: dict, msg: int, obj: int) -> str:
    mars = meta.get("mars") if isinstance(meta.get("mars"), dict) else {}
    parts = [_object_name(meta) or "message %d object %d" % (msg, obj)]
    if "levelist" in mars:
        parts.append("%s%s" % (mars["levelist"], " hPa" if mars.get("levtype") == "pl" else ""))
    if "date" in mars:
        parts.append(" ".join(str(mars[k]) for k in ("date", "time") if k in mars))
    step = mars.get("step", meta.get("step"))
    if step is not None:
        parts.append("step %s" % step)
    return "  ".join(parts)


def _coordinate(metas, descs, kind: str, n: int):
    names = ("lat", "latitude") if kind == "lat" else ("lon", "longitude")
    for k, (m, d) in enumerate(zip(metas, descs)):
        name = _object_name(m)
        if name and name.lower() in names and list(d.shape) == [n]:
            return k
    return None


def _field(source, message: int, obj: int):
    """(raw message, metadata, descriptors, per-object metadata list)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        raw = bytes(source)
    else:
        with _api.TensogramFile.open(os.fspath(source)) as f:
            raw = f.read_message(message)
    meta, descs = _api.decode_descriptors(raw)
    metas = [
        {k: v for k, v in (meta.base[i] if i < len(meta.base) else {}).items() if k != "_reserved_"}
        for i in range(len(descs))
    ]
    if not 0 <= obj < len(descs):
        raise IndexError("object %d out of range (message has %d)" % (obj, len(descs)))
    return raw, meta, descs, metas


def plot(
    source,
    *,
    message: int = 0,
    object: int = 0,  # noqa: A002 - the CLI's option name
    index=None,
    ax=None,
    output=None,
    cmap: str = "viridis",
    title: str | None = None,
    **imshow_kwargs,
):
    """Draw object ``object`` of message ``message`` of ``source`` (a path,
    or the bytes of one message) with matplotlib; returns the Axes.

    ``index``: positions along the leading axes of an N-D object (default
    0 each).  ``ax``: the Axes to draw into (default: a new figure).
    ``output``: also save the figure there (PNG, PDF...).  Extra keywords go
    to ``Axes.imshow``.  For xarray Datasets opened with
    ``engine="tensogram"``, xarray's own ``ds[name].plot()`` works as well.
    """
    import matplotlib
    import matplotlib.pyplot as plt

    raw, meta, descs, metas = _field(source, message, object)
    _, desc, arr = _api.decode_object(raw, object)
    if desc.ndim < 2:
        raise ValueError(
            "object %d has %d dimension(s); plot draws 2-D fields (or 2-D slices)"
            % (object, desc.ndim)
        )
    arr = np.asarray(arr)
    lead = tuple(index or ()) + (0,) * (desc.ndim - 2 - len(tuple(index or ())))
    if len(lead) != desc.ndim - 2:
        raise ValueError("index has %d positions for %d leading axes" % (len(index), desc.ndim - 2))
    field = arr[lead].astype(np.float64) if arr.dtype.kind != "c" else None
    if field is None:
        raise TypeError("cannot plot complex values")
    rows, cols = field.shape

    extent = None
    lat_k = _coordinate(metas, descs, "lat", rows)
    if lat_k is None and _coordinate(metas, descs, "lat", cols) is not None:
        if _coordinate(metas, descs, "lon", rows) is not None:
            field = field.T  # (longitude, latitude) -> rows of latitude
            rows, cols = field.shape
            lat_k = _coordinate(metas, descs, "lat", rows)
    if lat_k is not None:
        lat = np.asarray(_api.decode_object(raw, lat_k)[2], dtype=np.float64)
        if lat[0] < lat[-1]:
            field = field[::-1]
            lat = lat[::-1]
        lon_k = _coordinate(metas, descs, "lon", cols)
        if lon_k is not None:
            lon = np.asarray(_api.decode_object(raw, lon_k)[2], dtype=np.float64)
            extent = (lon[0], lon[-1], lat[-1], lat[0])

    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 8 * rows / cols * 0.8 + 1))
    colours = matplotlib.colormaps[cmap].copy()
    colours.set_bad(NAN_COLOUR)
    finite = field[np.isfinite(field)]
    vmin = float(finite.min()) if finite.size else 0.0
    vmax = float(finite.max()) if finite.size else 1.0
    kw = {"cmap": colours, "vmin": vmin, "vmax": vmax, "interpolation": "nearest",
          "aspect": "auto"}
    if extent is not None:
        kw["extent"] = extent
    kw.update(imshow_kwargs)
    image = ax.imshow(np.ma.masked_invalid(field), **kw)
    bar = ax.figure.colorbar(image, ax=ax)
    units = metas[object].get("units") or (metas[object].get("cf") or {}).get("units")
    if units:
        bar.set_label(str(units))
    ax.set_title(title if title is not None else _title(metas[object], message, object))
    if extent is not None:
        ax.set_xlabel("longitude")
        ax.set_ylabel("latitude")
    if output is not None:
        ax.figure.savefig(os.fspath(output))
    return ax
