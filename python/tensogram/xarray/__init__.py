"""xarray backend of Tensogram: ``xr.open_dataset(path, engine="tensogram")``.

Also importable as ``tensogram_xarray`` (the reference's package name), so
code written for the reference's ``tensogram-xarray`` runs unchanged.

- ``xr.open_dataset(path_or_url, engine="tensogram", ...)``: one message
  (``message_index``) as a Dataset; options ``dim_names``,
  ``variable_key``, ``merge_objects``, ``range_threshold``,
  ``storage_options``, ``verify_hash``, ``drop_variables``; ``chunks=``
  gives dask arrays.
- :func:`open_datasets`: every message of a file, merged into hypercubes.

Opening reads metadata only; indexing decodes only what it touches.  See
docs/xarray.md.
"""

from __future__ import annotations

from .backend import TensogramBackendEntrypoint
from .merge import open_datasets

__all__ = ["TensogramBackendEntrypoint", "open_datasets"]
