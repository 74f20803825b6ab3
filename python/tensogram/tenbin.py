"""webdataset's tenbin (``.ten``) format, read and written in C.

The functions have the names and arguments of webdataset's
``webdataset.tenbin`` module (``encode_buffer``, ``decode_buffer``,
``encode_list``, ``decode_list``, ``encode_chunks``, ``decode_chunks``,
``write``, ``read``, ``save``, ``load`` and the ZMQ helpers
``zsend_single``, ``zrecv_single``, ``zsend_multipart``, ``zrecv_multipart``,
which take pyzmq sockets), so ``from tensogram import tenbin`` can replace
``from webdataset import tenbin``.  The bridge to Tensogram is
:func:`to_tensogram` (one message, one object per array) and
:func:`from_tensogram`.

Where this module differs from webdataset's, on purpose:

- ``uint32`` arrays are written with the code ``u4`` and read back
  (webdataset's table misspells the type name, so it refuses them).
- 0-d arrays round-trip (webdataset writes them but its reader fails).
- Byte order: tenbin files are in the writer's native order with no
  marker.  Reading recognises the order from the first chunk's length
  (``byte_order="auto"``, the default; or force ``"little"``, ``"big"``,
  ``"native"``); writing uses little endian unless told otherwise.
  Decoded arrays carry their byte order in their dtype.
- Truncated or malformed input raises ``ValueError`` naming the offset;
  every length is checked before use.
- ``infos`` given as a list is checked against the decoded names
  (webdataset's check raises on the first pair, whatever it holds).
"""

from __future__ import annotations

import struct
import sys

import numpy as np

from . import _tensogram as _c
from ._convert import convert_tenbin, to_tenbin

__all__ = [
    "decode_buffer",
    "decode_chunks",
    "decode_list",
    "encode_buffer",
    "encode_chunks",
    "encode_list",
    "from_tensogram",
    "load",
    "read",
    "save",
    "to_tensogram",
    "write",
    "zrecv_multipart",
    "zrecv_single",
    "zsend_multipart",
    "zsend_single",
]

long_to_short = {
    "float16": "f2",
    "float32": "f4",
    "float64": "f8",
    "int8": "i1",
    "int16": "i2",
    "int32": "i4",
    "int64": "i8",
    "uint8": "u1",
    "uint16": "u2",
    "uint32": "u4",
    "uint64": "u8",
}
short_to_long = {v: k for k, v in long_to_short.items()}

magic_str = "~TenBin~"
magic_bytes = magic_str.encode("ascii")

_ORDERS = {"auto": 0, "little": 1, "big": 2, "native": 3}

try:  # the ZMQ helpers only need socket objects; say whether pyzmq is there
    import zmq as _zmq  # noqa: F401

    HAS_ZMQ = True
except ImportError:  # pragma: no cover - depends on the environment
    HAS_ZMQ = False


def roundup(n, k=64):
    """``n`` rounded up to a multiple of ``k`` (the chunk padding)."""
    return k * ((n + k - 1) // k)


def _order(byte_order, reading):
    allowed = ("auto", "little", "big", "native") if reading else ("little", "big", "native")
    if byte_order not in allowed:
        raise ValueError("byte_order must be one of %s, got %r" % (allowed, byte_order))
    return _ORDERS[byte_order]


def _infos_for(arrays, infos):
    if infos is None:
        return [""] * len(arrays)
    infos = list(infos)
    if len(infos) != len(arrays):
        raise ValueError(
            "length of list %d must match length of infos %d" % (len(arrays), len(infos))
        )
    return infos


def _entries(arrays, infos):
    out = []
    for i, (a, info) in enumerate(zip(arrays, _infos_for(arrays, infos))):
        a = np.asarray(a)
        name = a.dtype.name
        if name not in long_to_short:
            raise ValueError("unsupported array type %s (array %d)" % (a.dtype, i))
        if not isinstance(info, str):
            raise ValueError("info %d must be a str" % i)
        if not a.flags.c_contiguous:  # (np.ascontiguousarray would make 0-d arrays 1-d)
            a = a.copy(order="C")
        big = a.dtype.byteorder == ">" or (a.dtype.byteorder == "=" and sys.byteorder == "big")
        out.append((name, a.shape, info, a.reshape(-1).view(np.uint8), big))
    return out


def encode_buffer(l, infos=None, byte_order="little"):  # noqa: E741 - webdataset's name
    """A list of arrays as one ``.ten`` buffer (``bytes``)."""
    if not isinstance(l, list):
        raise ValueError("requires list")
    return _c.tenbin_write(_entries(l, infos), _order(byte_order, False))


def _arrays(buf, entries):
    out = []
    for dtype, shape, _info, offset, nbytes, big in entries:
        dt = np.dtype(dtype).newbyteorder(">" if big else "<")
        count = nbytes // dt.itemsize
        a = np.frombuffer(buf, dtype=dt, count=count, offset=offset)
        out.append(a.reshape(shape))
    return out


def _check_infos(data, found, infos):
    if infos is False or infos is None:
        return data
    if infos is True:
        return data, found
    if not isinstance(infos, (tuple, list)):
        raise ValueError("required_infos must be tuple or list")
    for required, actual in zip(infos, found):
        if required != actual:
            raise ValueError("actual info %r doesn't match required info %r" % (actual, required))
    return data


def decode_buffer(buf, infos=False, byte_order="auto"):
    """The arrays of a ``.ten`` buffer (NumPy arrays viewing ``buf``);
    ``infos=True`` returns ``(arrays, infos)``."""
    entries = _c.tenbin_read(buf, _order(byte_order, True))
    return _check_infos(_arrays(buf, entries), [e[2] for e in entries], infos)


def _header(name, shape, info):
    if len(info) > 8:
        raise ValueError("info %r is longer than the 8 bytes tenbin stores" % (info,))
    code = long_to_short[name].encode("ascii").ljust(8, b"\0")
    words = [len(shape)] + [int(d) for d in shape]
    return code + info.encode("ascii").ljust(8, b"\0") + struct.pack("<%dq" % len(words), *words)


def encode_list(l, infos=None):  # noqa: E741 - webdataset's name
    """``[header, data, header, data, ...]`` byte strings (little endian):
    the chunks of :func:`encode_buffer` without their framing."""
    out = []
    for name, shape, info, data, big in _entries(l, infos):
        if big:
            dt = np.dtype(name)
            data = data.view(dt.newbyteorder(">")).astype(dt.newbyteorder("<")).view(np.uint8)
        out += [_header(name, shape, info), data.tobytes()]
    return out


def decode_list(l, infos=False):  # noqa: E741 - webdataset's name
    """Arrays from ``[header, data, ...]`` byte strings (little endian)."""
    if len(l) % 2 != 0:
        raise ValueError("decode_list needs header and data chunks in pairs")
    buf = encode_chunks(l)
    return decode_buffer(buf, infos=infos, byte_order="little")


def encode_chunks(l):  # noqa: E741 - webdataset's name
    """Byte strings framed as tenbin chunks (magic, int64 length, padding)."""
    out = bytearray()
    for b in l:
        b = memoryview(b).cast("B")
        out += magic_bytes + struct.pack("<q", len(b)) + b + b"\0" * (roundup(len(b)) - len(b))
    return bytes(out)


def decode_chunks(buf):
    """The byte strings of the chunks of ``buf`` (little endian lengths)."""
    mv = memoryview(buf).cast("B")
    out, off = [], 0
    while off < len(mv):
        if mv[off:off + 8] != magic_bytes:
            raise ValueError("tenbin: no \"~TenBin~\" magic at offset %d" % off)
        if off + 16 > len(mv):
            raise ValueError("tenbin: truncated chunk at offset %d" % off)
        (n,) = struct.unpack("<q", mv[off + 8:off + 16])
        if n < 0 or off + 16 + n > len(mv):
            raise ValueError("tenbin: chunk at offset %d claims %d bytes (truncated)" % (off, n))
        out.append(bytes(mv[off + 16:off + 16 + n]))
        off += 16 + roundup(n)
    return out


def write(stream, l, infos=None, byte_order="little"):  # noqa: E741 - webdataset's name
    """Write arrays to a binary stream as tenbin chunks."""
    stream.write(encode_buffer(list(l), infos=infos, byte_order=byte_order))


def _read_exact(stream, n, what):
    data = stream.read(n)
    if data is None or len(data) != n:
        raise ValueError("tenbin: premature end of stream in %s" % what)
    return data


def _read_chunk(stream, endian):
    head = stream.read(8)
    if not head:
        return None
    if head != magic_bytes:
        raise ValueError("tenbin: magic number does not match")
    (n,) = struct.unpack(endian + "q", _read_exact(stream, 8, "a chunk length"))
    if n < 0:
        raise ValueError("tenbin: negative chunk length")
    data = _read_exact(stream, n, "chunk data")
    pad = roundup(n) - n
    if pad:
        stream.read(pad)  # the last chunk's padding may be cut short
    return data


def read(stream, n=sys.maxsize, infos=False, byte_order="little"):
    """Read up to ``n`` arrays from a binary stream (chunk by chunk)."""
    endian = ">" if byte_order == "big" or (byte_order == "native" and sys.byteorder == "big") \
        else "<"
    chunks = []
    for _ in range(n):
        header = _read_chunk(stream, endian)
        if header is None:
            break
        data = _read_chunk(stream, endian)
        if data is None:
            raise ValueError("tenbin: premature EOF (a header without its data)")
        chunks += [header, data]
    framed = bytearray()
    for b in chunks:
        framed += magic_bytes + struct.pack(endian + "q", len(b)) + b + \
            b"\0" * (roundup(len(b)) - len(b))
    order = "big" if endian == ">" else "little"
    return decode_buffer(bytes(framed), infos=infos, byte_order=order)


def save(fname, *args, infos=None, nocheck=False, byte_order="little"):
    """Save arrays to a ``.ten`` file."""
    if not nocheck and not str(fname).endswith(".ten"):
        raise ValueError("file name should end in .ten")
    with open(fname, "wb") as stream:
        write(stream, list(args), infos=infos, byte_order=byte_order)


def load(fname, infos=False, nocheck=False, byte_order="auto"):
    """The arrays of a ``.ten`` file."""
    if not nocheck and not str(fname).endswith(".ten"):
        raise ValueError("file name should end in .ten")
    with open(fname, "rb") as stream:
        return decode_buffer(stream.read(), infos=infos, byte_order=byte_order)


def zsend_single(socket, l, infos=None):  # noqa: E741 - webdataset's name
    """Send arrays as a single-part ZMQ message."""
    return socket.send(encode_buffer(list(l), infos=infos))


def zrecv_single(socket, infos=False):
    """Receive arrays sent by :func:`zsend_single`."""
    return decode_buffer(socket.recv(), infos=infos)


def zsend_multipart(socket, l, infos=None):  # noqa: E741 - webdataset's name
    """Send arrays as a multipart ZMQ message (header and data parts)."""
    return socket.send_multipart(encode_list(list(l), infos=infos))


def zrecv_multipart(socket, infos=False):
    """Receive arrays sent by :func:`zsend_multipart`."""
    return decode_list(socket.recv_multipart(), infos=infos)


def to_tensogram(buf, **options):
    """One Tensogram message from a ``.ten`` buffer (see
    :func:`tensogram.convert_tenbin` for the options, ``output`` among
    them: the message written to a file instead of returned)."""
    return convert_tenbin(buf, **options)


def from_tensogram(message, byte_order="little", output=None):
    """A ``.ten`` buffer from one Tensogram message, or with ``output`` (a
    path) the ``.ten`` written there (see :func:`tensogram.to_tenbin`)."""
    return to_tenbin(message, byte_order=byte_order, output=output)
