"""The ``engine="tensogram"`` of ``xarray.open_dataset`` (registered through
the ``xarray.backends`` entry point of the package)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

import xarray as xr
from xarray.backends import BackendEntrypoint

from .store import TensogramDataStore


class TensogramBackendEntrypoint(BackendEntrypoint):
    """Open a message of a ``.tgm`` file (or URL) as an ``xarray.Dataset``.

    ``xr.open_dataset(path, engine="tensogram", dim_names=None,
    variable_key=None, message_index=0, merge_objects=False,
    range_threshold=0.5, storage_options=None, verify_hash=False)``;
    ``chunks={}`` gives dask arrays (one chunk per object).
    """

    description = "Open Tensogram .tgm files in xarray"
    url = "https://github.com/ecmwf/tensogram"
    open_dataset_parameters = (
        "filename_or_obj",
        "drop_variables",
        "dim_names",
        "variable_key",
        "message_index",
        "merge_objects",
        "range_threshold",
        "storage_options",
        "verify_hash",
    )

    def open_dataset(  # type: ignore[override]
        self,
        filename_or_obj: str | os.PathLike,
        *,
        drop_variables: Iterable[str] | None = None,
        dim_names: Sequence[str] | None = None,
        variable_key: str | None = None,
        message_index: int = 0,
        merge_objects: bool = False,
        range_threshold: float = 0.5,
        storage_options: dict[str, Any] | None = None,
        verify_hash: bool = False,
    ) -> xr.Dataset:
        """One message as a Dataset (``merge_objects=True``: the first
        Dataset of :func:`open_datasets` over the whole file).

        ``verify_hash`` checks the hash of every object decoded whole; a
        partial read (``decode_range``) cannot, so set ``range_threshold=0``
        to make every read a whole, verified one.
        """
        if not isinstance(filename_or_obj, (str, os.PathLike)):
            raise TypeError(
                "the tensogram engine opens paths and URLs, not %s" % type(filename_or_obj).__name__
            )
        path = os.fspath(filename_or_obj)
        if isinstance(message_index, bool) or not isinstance(message_index, int):
            raise TypeError("message_index must be an int")
        if message_index < 0:
            raise ValueError("message_index must be >= 0, got %d" % message_index)
        if not 0.0 <= float(range_threshold) <= 1.0:
            raise ValueError("range_threshold must be between 0 and 1, got %r" % range_threshold)

        if merge_objects:
            from .merge import open_datasets

            found = open_datasets(
                path,
                dim_names=dim_names,
                variable_key=variable_key,
                range_threshold=range_threshold,
                storage_options=storage_options,
                verify_hash=verify_hash,
            )
            return found[0] if found else xr.Dataset()

        store = TensogramDataStore(
            file_path=path,
            msg_index=message_index,
            dim_names=dim_names,
            variable_key=variable_key,
            range_threshold=range_threshold,
            storage_options=storage_options,
            verify_hash=verify_hash,
        )
        try:
            ds = store.build_dataset(drop_variables=set(drop_variables or ()) or None)
        except BaseException:
            store.close()
            raise
        ds.set_close(store.close)
        return ds

    def guess_can_open(self, filename_or_obj: Any) -> bool:  # type: ignore[override]
        """True for names ending in ``.tgm`` (any case)."""
        try:
            return os.path.splitext(os.fspath(filename_or_obj))[1].lower() == ".tgm"
        except TypeError:
            return False
