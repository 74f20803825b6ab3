"""Python metadata -> the JSON text the C library reads.

The C API takes metadata and descriptors as JSON.  Its parser reads every
float as the correctly rounded double of the decimal text, and Python
writes a float as the shortest text that rounds back to it, so floats
cross over unchanged.  Integers from -2**63 to 2**64 - 1 are stored
exactly; others raise ValueError (the reference binding silently turns them
into floats, which changes their value; neither it nor this library writes
CBOR bignums).  The accepted types are the
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


_INT_MIN = -(2**63)
_INT_MAX = 2**64 - 1


def _check_int(x) -> None:
    if not _INT_MIN <= x <= _INT_MAX:
        raise ValueError(
            "metadata integer %d is outside the range stored exactly (-2**63 to 2**64 - 1); "
            "store it as a string, or as a float if rounding is acceptable" % x
        )


# Types that need no check (exact types: subclasses take the general path).
_LEAVES = frozenset((str, float, bool, type(None)))


# A metadata document (the JSON given to the library, and the CBOR of a
# metadata frame) nests at most 127 levels, its own map included: each
# section under it (the base list, _extra_) at most 126.
MAX_SECTION_DEPTH = 126


def _check(v, what: str | None = None) -> None:
    """Map keys must be text (JSON would quietly turn 1 into "1"), integers
    must fit (the C parser would quietly make them floats), and, for a
    metadata section (``what``), nesting must fit the library's limit."""
    stack = [(v, 1)]
    deepest = 0
    while stack:
        x, depth = stack.pop()
        t = type(x)
        if t in _LEAVES:  # the common scalars, without the ABC checks below
            continue
        if t is dict or (t is not list and t is not tuple and isinstance(x, Mapping)):
            if depth > deepest:
                deepest = depth
            for k, item in x.items():
                if type(k) is not str and not isinstance(k, str):
                    raise ValueError(
                        "metadata map keys must be strings, got %s" % type(k).__name__
                    )
                if type(item) not in _LEAVES:
                    stack.append((item, depth + 1))
        elif isinstance(x, (list, tuple)):
            if depth > deepest:
                deepest = depth
            for item in x:
                ti = type(item)
                if ti is int:
                    if not _INT_MIN <= item <= _INT_MAX:
                        _check_int(item)
                elif ti not in _LEAVES:
                    stack.append((item, depth + 1))
        elif t is int or (isinstance(x, int) and not isinstance(x, bool)):
            _check_int(x)
    if what is not None and deepest > MAX_SECTION_DEPTH:
        raise ValueError(
            "metadata nests too deeply: %s holds %d levels of maps and lists, at most %d fit "
            "(a metadata document nests at most 127 levels, its own map included)"
            % (what, deepest, MAX_SECTION_DEPTH)
        )


def check_values(values: list) -> None:
    """The checks of ``value`` on each of ``values`` (no nesting limit)."""
    _check(values)


def value(v, section: str | None = None) -> str:
    """JSON text of one metadata value (``section``: "base" or "_extra_",
    checked against the nesting limit)."""
    _check(v, section)
    return text(v)


def text(v) -> str:
    """JSON text of a value already checked."""
    try:
        return _encoder.encode(v)
    except TypeError as e:  # non-string dict keys and the like
        raise ValueError("cannot convert metadata to CBOR: %s" % e) from None
