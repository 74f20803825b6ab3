"""numcodecs codec ``tensogram``: each chunk becomes one Tensogram message.

Usable as a zarr (v2) compressor or filter::

    import numcodecs, zarr
    codec = numcodecs.get_codec({"id": "tensogram", "compression": "zstd", "zstd_level": 3})
    z = zarr.open("data.zarr", mode="w", shape=(1000, 1000), chunks=(100, 100),
                  dtype="f8", compressor=codec)

The configuration keys are the descriptor's pipeline keys: ``encoding``,
``filter``, ``compression`` and their parameters (``zstd_level``,
``shuffle_element_size``, ``sp_bits_per_value``, ``szip_rsi``, ``zfp_mode``,
...), plus ``hash`` ("xxh3" or None), ``threads``, ``allow_nan`` and
``allow_inf``.  The codec is registered with numcodecs through the
``numcodecs.codecs`` entry point, so ``numcodecs.get_codec`` finds it
without importing this module first.

Every chunk on disk is a complete message: its descriptor records the
chunk's shape and dtype, so any Tensogram reader can decode it.  Decoding
gives back exactly the bytes that were encoded (lossless pipelines), in
their original byte order; lossy pipelines (simple_packing, zfp, sz3) return
their reconstruction.  Element types outside Tensogram's (bool, datetime,
fixed-width strings, ...) are stored as their raw bytes (uint8).
"""

from __future__ import annotations

import sys

import numpy as np

from . import _api

try:
    from numcodecs.abc import Codec as _CodecBase
    from numcodecs.compat import ndarray_copy as _ndarray_copy
except ImportError:  # numcodecs is optional: the class still works standalone
    _CodecBase = object
    _ndarray_copy = None

_DTYPE_NAMES = {
    "f2": "float16",
    "f4": "float32",
    "f8": "float64",
    "c8": "complex64",
    "c16": "complex128",
    "i1": "int8",
    "i2": "int16",
    "i4": "int32",
    "i8": "int64",
    "u1": "uint8",
    "u2": "uint16",
    "u4": "uint32",
    "u8": "uint64",
}
_DEFAULTS = {"encoding": "none", "filter": "none", "compression": "none"}


class Tensogram(_CodecBase):
    """Encodes each array as one Tensogram message (see the module doc)."""

    codec_id = "tensogram"

    def __init__(
        self,
        encoding="none",
        filter="none",
        compression="none",
        hash="xxh3",
        threads=0,
        allow_nan=False,
        allow_inf=False,
        **params,
    ):
        for key in ("type", "shape", "strides", "dtype", "byte_order", "ndim"):
            if key in params:
                raise ValueError(
                    "'%s' is taken from each chunk; it cannot be configured" % key
                )
        self.encoding = encoding
        self.filter = filter
        self.compression = compression
        self.hash = hash
        self.threads = int(threads)
        self.allow_nan = bool(allow_nan)
        self.allow_inf = bool(allow_inf)
        self.params = dict(params)

    # ---- configuration ----------------------------------------------------------

    def get_config(self) -> dict:
        config = {
            "id": self.codec_id,
            "encoding": self.encoding,
            "filter": self.filter,
            "compression": self.compression,
            "hash": self.hash,
        }
        if self.threads:
            config["threads"] = self.threads
        if self.allow_nan:
            config["allow_nan"] = True
        if self.allow_inf:
            config["allow_inf"] = True
        config.update(self.params)
        return config

    @classmethod
    def from_config(cls, config) -> Tensogram:
        config = dict(config)
        config.pop("id", None)
        return cls(**config)

    def __eq__(self, other):
        return isinstance(other, Tensogram) and self.get_config() == other.get_config()

    def __hash__(self):
        return hash(repr(sorted(self.get_config().items(), key=lambda kv: kv[0])))

    def __repr__(self) -> str:
        args = ", ".join(
            "%s=%r" % (k, v) for k, v in self.get_config().items() if k != "id"
        )
        return "Tensogram(%s)" % args

    # ---- encode / decode ---------------------------------------------------------

    @staticmethod
    def _as_array(buf) -> np.ndarray:
        if isinstance(buf, np.ndarray):
            arr = buf
        else:
            try:
                arr = np.frombuffer(memoryview(buf), dtype=np.uint8)
            except TypeError:
                arr = np.asarray(buf)
        if arr.dtype.hasobject:
            raise TypeError("the tensogram codec cannot encode object arrays")
        # Memory order is what a chunk's bytes are: an F-ordered array is
        # the C-ordered layout of its transpose.
        if arr.flags.c_contiguous:
            return arr
        if arr.flags.f_contiguous:
            return arr.T
        return np.ascontiguousarray(arr)

    def encode(self, buf) -> bytes:
        arr = self._as_array(buf)
        dt = arr.dtype
        name = _DTYPE_NAMES.get("%s%d" % (dt.kind, dt.itemsize)) if dt.kind in "fciu" else None
        if name is None:
            # Anything else travels as its raw bytes.
            arr = arr.reshape(-1).view(np.uint8)
            name = "uint8"
        order = dt.byteorder
        if order == "|" or dt.itemsize == 1:
            byte_order = sys.byteorder
        elif order == "=":
            byte_order = sys.byteorder
        else:
            byte_order = "big" if order == ">" else "little"
        desc = {
            "type": "ntensor",
            "shape": list(arr.shape),
            "dtype": name,
            "byte_order": byte_order,
            "encoding": self.encoding,
            "filter": self.filter,
            "compression": self.compression,
        }
        desc.update(self.params)
        return _api.encode(
            {},
            [(desc, arr)],
            hash=self.hash,
            threads=self.threads,
            allow_nan=self.allow_nan,
            allow_inf=self.allow_inf,
        )

    def decode(self, buf, out=None):
        # Wire byte order in, same bytes out: relabel the values with the
        # byte order the message declares so that they read correctly.
        _, objects = _api.decode(buf, native_byte_order=False)
        if len(objects) != 1:
            raise ValueError(
                "a tensogram codec chunk holds one object, this message has %d" % len(objects)
            )
        desc, arr = objects[0]
        if arr.dtype.itemsize > 1 and desc.dtype not in ("bitmask",):
            want = ">" if desc.byte_order == "big" else "<"
            arr = arr.view(arr.dtype.newbyteorder(want))
        if out is None:
            return arr
        if _ndarray_copy is not None:
            return _ndarray_copy(arr, out)
        dest = np.asarray(out)
        np.copyto(dest.reshape(-1).view(np.uint8), arr.reshape(-1).view(np.uint8))
        return out


def _register() -> None:
    try:
        from numcodecs.registry import register_codec
    except ImportError:
        return
    register_codec(Tensogram)


_register()
