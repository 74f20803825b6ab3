"""zarr store of Tensogram files: ``tensogram.zarr.TensogramStore``.

Also importable as ``tensogram_zarr`` (the reference's package name)::

    import zarr
    from tensogram_zarr import TensogramStore
    root = zarr.open_group(store=TensogramStore.open_tgm("data.tgm"), mode="r")
    t = root["2t"][:]

The store is a zarr **2** store (``MutableMapping``, Debian's zarr 2.13).
The reference ships a zarr 3 store; a zarr 3 store is not built yet: it
will be a second module beside ``store.py`` using the format-neutral
``mapping.py``.  See docs/zarr.md.
"""

from .store import TensogramStore

__all__ = ["TensogramStore"]
