"""Tensogram: self-describing binary messages of N-dimensional tensors.

Python bindings of Tensogram for C (wire format version 3).  Arrays cross
the boundary as NumPy arrays; encoding reads C-contiguous arrays in place
and decoding hands out arrays over the library's decoded buffers, so large
tensors are not copied by the binding.

Quick start::

    import numpy as np, tensogram
    temps = np.full((100, 200), 273.15, dtype=np.float32)
    msg = tensogram.encode({}, [({"type": "ntensor", "shape": [100, 200],
                                  "dtype": "float32"}, temps)])
    meta, objects = tensogram.decode(msg)
    desc, array = objects[0]
"""

from . import _tensogram, _version
from ._api import (
    MessageIter,
    StreamingEncoder,
    TensogramFile,
    TensogramFileIter,
    compute_hash,
    compute_packing_params,
    decode,
    decode_descriptors,
    decode_metadata,
    decode_object,
    decode_range,
    decode_with_masks,
    doctor,
    encode,
    encode_pre_encoded,
    is_remote_url,
    iter_messages,
    scan,
    validate,
    validate_file,
)
from ._convert import (
    HAS_GRIB as __has_grib__,
    HAS_NETCDF as __has_netcdf__,
    convert_grib,
    convert_grib_buffer,
    convert_netcdf,
    convert_netcdf_buffer,
    convert_tenbin,
    to_grib,
    to_netcdf,
    to_tenbin,
)
from ._async import AsyncTensogramFile, AsyncTensogramFileIter
from ._codecs import CodecParams, list_codecs, register_codec, unregister_codec
from ._model import DataObjectDescriptor, Message, Metadata
from ._plot import plot
from ._tensogram import HashMismatchError, IntegrityError, MissingHashError
from ._tensogram import max_object_bytes, set_max_object_bytes

# The reference API level plus our library's version (tensogram/_version.py):
# "0.24.0+tgmc.0.1.0" satisfies requirements such as tensogram>=0.24,<0.25.
__version__ = _version.package_version(_tensogram.LIBRARY_VERSION)
__api_level__ = _version.API_LEVEL
__library_version__ = _tensogram.LIBRARY_VERSION
WIRE_VERSION = _tensogram.WIRE_VERSION

__all__ = [
    "AsyncTensogramFile",
    "AsyncTensogramFileIter",
    "CodecParams",
    "DataObjectDescriptor",
    "HashMismatchError",
    "IntegrityError",
    "Message",
    "MessageIter",
    "Metadata",
    "MissingHashError",
    "StreamingEncoder",
    "TensogramFile",
    "TensogramFileIter",
    "WIRE_VERSION",
    "compute_hash",
    "compute_packing_params",
    "convert_grib",
    "convert_grib_buffer",
    "convert_netcdf",
    "convert_netcdf_buffer",
    "convert_tenbin",
    "decode",
    "decode_descriptors",
    "decode_metadata",
    "decode_object",
    "decode_range",
    "decode_with_masks",
    "doctor",
    "encode",
    "encode_pre_encoded",
    "is_remote_url",
    "iter_messages",
    "list_codecs",
    "max_object_bytes",
    "plot",
    "register_codec",
    "scan",
    "set_max_object_bytes",
    "to_grib",
    "to_netcdf",
    "to_tenbin",
    "unregister_codec",
    "validate",
    "validate_file",
]
