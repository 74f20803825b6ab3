"""``tensogram_xarray``: the reference's package name for the xarray backend.

The implementation is :mod:`tensogram.xarray`; this package makes its
modules importable under the reference's names as well
(``tensogram_xarray.array``, ``.backend``, ``.coords``, ``.mapping``,
``.merge``, ``.scanner``, ``.store``).  They are the same module objects,
so patching one patches the other.
"""

from __future__ import annotations

import sys

import tensogram.xarray as _impl
from tensogram.xarray import array, backend, coords, mapping, merge, scanner, store
from tensogram.xarray import TensogramBackendEntrypoint, open_datasets

for _mod in (array, backend, coords, mapping, merge, scanner, store):
    sys.modules[__name__ + "." + _mod.__name__.rsplit(".", 1)[1]] = _mod
del _mod, _impl

__all__ = ["TensogramBackendEntrypoint", "open_datasets"]
