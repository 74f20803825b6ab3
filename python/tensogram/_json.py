"""Python metadata -> the JSON text the C library reads.

The C API takes metadata and descriptors as JSON.  Its parser reads every
float as the correctly rounded double of the decimal text, and Python
writes a float as the shortest text that rounds back to it, so floats
cross over unchanged.  Integers within 64 bits stay integers (larger ones
become floats, as in the reference binding).  The accepted types are the
reference binding's: str, bool, int, float, None, dicts and lists (tuples
too), plus NumPy scalars.  NaN and infinities go as the words NaN,
Infinity and -Infinity, an extension of JSON the library's metadata parser
accepts (they come back as the same float values; a NaN's sign and payload
are not kept: every NaN becomes the quiet NaN).  Map keys must be strings
and bytes values are refused: JSON has no spelling for either.
"""

from __future__ import annotations

import json
from collections.abc import Mapping


def _default(v):
    if type(v).__name__ == "bool_":  # numpy.bool_
        return bool(v)
    if hasattr(v, "__index__"):
        return int(v.__index__())
    if isinstance(v, Mapping):
        return dict(v)
    if hasattr(v, "__float__") and not isinstance(v, (bytes, bytearray, memoryview)):
        return float(v)
    raise ValueError("cannot convert %s to CBOR" % type(v).__name__)


_encoder = json.JSONEncoder(
    ensure_ascii=False, allow_nan=True, separators=(",", ":"), default=_default
)


def _check_keys(v) -> None:
    """Map keys must be text: JSON would quietly turn 1 into "1"."""
    stack = [v]
    while stack:
        x = stack.pop()
        if isinstance(x, Mapping):
            for k, item in x.items():
                if not isinstance(k, str):
                    raise ValueError(
                        "metadata map keys must be strings, got %s" % type(k).__name__
                    )
                if isinstance(item, (Mapping, list, tuple)):
                    stack.append(item)
        elif isinstance(x, (list, tuple)):
            stack.extend(i for i in x if isinstance(i, (Mapping, list, tuple)))


def value(v) -> str:
    """JSON text of one metadata value."""
    _check_keys(v)
    try:
        return _encoder.encode(v)
    except TypeError as e:  # non-string dict keys and the like
        raise ValueError("cannot convert metadata to CBOR: %s" % e) from None
