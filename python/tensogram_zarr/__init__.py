"""``tensogram_zarr``: the reference's package name for :mod:`tensogram.zarr`
(same module objects: ``tensogram_zarr.store``, ``tensogram_zarr.mapping``)."""

from __future__ import annotations

import sys

from tensogram.zarr import TensogramStore, mapping, store

for _mod in (mapping, store):
    sys.modules[__name__ + "." + _mod.__name__.rsplit(".", 1)[1]] = _mod
del _mod

__all__ = ["TensogramStore"]
