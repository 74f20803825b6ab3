"""User compression codecs written in Python.

A codec is a pair of functions registered under a name and an id, in the
manner of ``blosc2.register_codec``.  Once registered, any descriptor whose
``"compression"`` is that name is compressed by ``encoder`` after the
encoding and filter steps, and decompressed by ``decoder``::

    import zlib
    import tensogram

    def encoder(src, params):                 # src: read-only memoryview
        return zlib.compress(src, params.get("zz_level", 6))

    def decoder(src, out, params):            # out: writable, len(out) bytes
        out[:] = zlib.decompress(src)
        return len(out)

    tensogram.register_codec("zz", 200, encoder, decoder)
    desc = {"type": "ntensor", "shape": [1000], "dtype": "float64",
            "compression": "zz", "zz_level": 9}

See docs/python.md ("User codecs") for the full contract.
"""

from __future__ import annotations

import operator

from . import _tensogram as _c

__all__ = ["CodecParams", "list_codecs", "register_codec", "unregister_codec"]


class CodecParams(dict):
    """What a codec callback is told about the object.

    The mapping holds the descriptor's parameters: every key other than the
    format's own (type, ndim, shape, strides, dtype, byte_order, encoding,
    filter, compression, masks), so the codec's own keys ("zz_level") and
    ``"user_codec_id"``, which the encoder adds.  The attributes describe the
    call:

    ``codec_name``, ``codec_id``
        the registered name and id.
    ``dtype``, ``byte_order``, ``shape``
        the object's element type name, "little" / "big", shape (tuple).
    ``typesize``
        bytes per item of the stream the codec sees: the dtype's width, 1
        after the shuffle filter or for bitmask, the packed width after
        simple_packing.
    ``decoded_size``
        bytes of the whole uncompressed stream (encode: ``len(src)``;
        ``validate``: 0).
    ``threads``
        threads the callback may use internally (at least 1).

    A new object is made for every call; changing it has no effect.
    """

    __slots__ = (
        "codec_name",
        "codec_id",
        "dtype",
        "byte_order",
        "shape",
        "typesize",
        "decoded_size",
        "threads",
    )

    def __repr__(self) -> str:
        return "CodecParams(%s, codec_name=%r, dtype=%r, shape=%r, decoded_size=%r)" % (
            dict.__repr__(self),
            getattr(self, "codec_name", None),
            getattr(self, "dtype", None),
            getattr(self, "shape", None),
            getattr(self, "decoded_size", None),
        )


def _check_callable(fn, what: str, optional: bool) -> None:
    if fn is None and optional:
        return
    if not callable(fn):
        raise TypeError("%s must be callable, got %s" % (what, type(fn).__name__))


def register_codec(name, id, encoder, decoder, *, decode_range=None, validate=None) -> None:
    """Register a compression codec written in Python.

    ``name``: 1 to 63 characters from ``[A-Za-z0-9_.-]``, not a built-in
    compression name.  ``id``: 160 to 255 (the user range of c-blosc2).  A
    name has one id and an id one name; registering the same name, id and
    callables again does nothing, anything else already registered under the
    name or id raises ``ValueError``.

    ``encoder(src, params) -> bytes-like``: ``src`` is a read-only memoryview
    of the stream to compress (format "B"); return the compressed bytes
    (bytes, bytearray, memoryview or contiguous array; any length).

    ``decoder(src, out, params) -> int | bytes-like``: ``src`` is a read-only
    memoryview of the compressed bytes (from a message: check them), ``out``
    a writable memoryview of exactly ``params.decoded_size`` bytes.  Either
    fill ``out`` and return ``len(out)``, or return the decoded bytes (exactly
    ``len(out)`` of them).

    ``decode_range(src, out, offset, params) -> int | bytes-like``
    (optional): bytes ``[offset, offset + len(out))`` of the decompressed
    stream, as ``decoder``; makes ``decode_range`` work for the codec.

    ``validate(params)`` (optional): called when an object is encoded, before
    any data is compressed; raise (or return ``False``) to refuse the
    parameters.

    ``params`` is a :class:`CodecParams`.  The memoryviews are valid during
    the call only: they are released when the callback returns (a kept view
    raises ``ValueError`` when used), and a callback that keeps anything made
    from them (a slice, ``np.frombuffer(src)``) fails the call.  Callbacks may
    run on the library's worker threads (``threads > 1``), one at a time
    under the GIL.  An exception raised by a callback fails the encode or
    decode with ``ValueError`` ("CompressionError: ... user codec "name" (id
    N) decode: ZeroDivisionError: division by zero").
    """
    if not isinstance(name, str):
        raise TypeError("codec name must be a str, got %s" % type(name).__name__)
    if isinstance(id, bool):
        raise TypeError("codec id must be an int, got bool")
    try:
        id = operator.index(id)
    except TypeError:
        raise TypeError("codec id must be an int, got %s" % type(id).__name__) from None
    _check_callable(encoder, "encoder", False)
    _check_callable(decoder, "decoder", False)
    _check_callable(decode_range, "decode_range", True)
    _check_callable(validate, "validate", True)
    _c.register_codec(name, id, encoder, decoder, decode_range, validate, CodecParams)


def unregister_codec(name) -> None:
    """Remove a user codec (``ValueError`` when ``name`` is not registered).

    Encodes and decodes that start afterwards fail for the name as for any
    unknown compression; callbacks already running finish, and the library
    drops its references to the callables once the last of them returns.
    """
    if not isinstance(name, str):
        raise TypeError("codec name must be a str, got %s" % type(name).__name__)
    _c.unregister_codec(name)


def list_codecs() -> dict:
    """The registered user codecs as ``{name: id}``, ordered by id.

    Codecs registered from C (``tgm_register_codec``) are listed too;
    built-in compressions are not.
    """
    return dict(_c.list_codecs())
