"""blosc2 with the lz4 inner codec against c-blosc 1.x (numcodecs' Blosc).

Our blosc2 frames drive lz4 as c-blosc 1.x does: acceleration 10 - clevel
and c-blosc 1.x's block sizes (see docs on the blosc2 codec).  The chunk
formats differ (c-blosc2's 32-byte header against c-blosc 1.x's 16 bytes,
and c-blosc2 writes a stream that is one repeated byte as a run token), but
behind the headers both are a table of block starts followed, per block,
by its byte streams, each a 32-bit size and the bytes.  So every lz4 stream
of our chunk must be the very bytes c-blosc 1.21 (Debian numcodecs 0.11)
writes for the same input, level and shuffle, and every block size the
one c-blosc 1.x picks: an independent encoder's output, compared stream by
stream, for every level and several item sizes.
"""

from __future__ import annotations

import struct

import numpy as np
import pytest

import tensogram

numcodecs = pytest.importorskip("numcodecs")
from numcodecs import Blosc  # noqa: E402

FRAME_MAGIC = b"\x9e\xa8b2frame\x00"


def _values(n: int, dtype: str) -> np.ndarray:
    """A smooth field rounded to 0.01 (values repeat, as in observations), as dtype."""
    t = np.linspace(0.0, 40.0 * np.pi, n)
    rng = np.random.default_rng(7)
    v = np.round(280.0 + 30.0 * np.sin(t) + rng.uniform(-0.1, 0.1, n), 2)
    if dtype in ("float32", "float64"):
        return v.astype(dtype)
    if dtype == "int16":
        return np.round((v - 280.0) * 100.0).astype(np.int16)
    return np.round((v - 250.0) * 4.0).astype(np.uint8)


def _our_chunk(arr: np.ndarray, clevel: int) -> bytes:
    desc = {
        "type": "ntensor",
        "shape": list(arr.shape),
        "dtype": str(arr.dtype),
        "compression": "blosc2",
        "blosc2_codec": "lz4",
        "blosc2_clevel": clevel,
    }
    msg = tensogram.encode({}, [(desc, arr)], hash=None, threads=1)
    back = tensogram.decode(msg, threads=1).objects[0][1]
    np.testing.assert_array_equal(back, arr)
    at = msg.find(FRAME_MAGIC)
    assert at >= 0, "no blosc2 frame in the message"
    frame = msg[at:]
    assert frame[10] == 0xD2
    header_len = struct.unpack(">I", frame[11:15])[0]
    return frame[header_len:]  # the frame's only chunk


def _streams(chunk: bytes, header_len: int, nbytes: int, blocksize: int, split: bool, ts: int):
    """Per block, the list of (csize, stream bytes) of a c-blosc / c-blosc2 chunk."""
    nblocks = -(-nbytes // blocksize)
    starts = struct.unpack("<%di" % nblocks, chunk[header_len : header_len + 4 * nblocks])
    blocks = []
    for j, start in enumerate(starts):
        bsize = min(blocksize, nbytes - j * blocksize)
        leftover = bsize < blocksize
        nstreams = ts if split and not leftover else 1
        pos = start
        streams = []
        for _ in range(nstreams):
            (csize,) = struct.unpack("<i", chunk[pos : pos + 4])
            pos += 4
            if csize < 0:  # c-blosc2 run token: one byte follows
                streams.append((csize, chunk[pos : pos + 1]))
                pos += 1
            else:
                streams.append((csize, chunk[pos : pos + csize]))
                pos += csize
        blocks.append((bsize, streams))
    return blocks


@pytest.mark.parametrize("dtype", ["uint8", "int16", "float32", "float64"])
def test_lz4_streams_are_c_blosc_1s(dtype):
    numcodecs.blosc.use_threads = False
    for n_items, clevel in [(400_003, c) for c in range(1, 10)] + [(5_000, 5), (20_000, 9)]:
        arr = _values(n_items, dtype)
        ts = arr.dtype.itemsize
        nbytes = arr.nbytes
        ours = _our_chunk(arr, clevel)
        theirs = Blosc(cname="lz4", clevel=clevel, shuffle=Blosc.SHUFFLE, blocksize=0).encode(arr)
        what = "%s n=%d clevel %d" % (dtype, n_items, clevel)

        # Headers: the same decoded size and block size, lz4, shuffle.
        assert struct.unpack("<I", ours[4:8])[0] == nbytes, what
        assert struct.unpack("<I", theirs[4:8])[0] == nbytes, what
        bs_ours = struct.unpack("<I", ours[8:12])[0]
        bs_theirs = struct.unpack("<I", theirs[8:12])[0]
        assert bs_ours == bs_theirs, "%s: block size %d, c-blosc 1.x %d" % (what, bs_ours, bs_theirs)
        assert ours[2] >> 5 == 1 and theirs[2] >> 5 == 1, what  # lz4 format
        assert ours[2] & 0x02 == 0 and theirs[2] & 0x02 == 0, what  # not stored verbatim
        split = not (ours[2] & 0x10)
        assert split == (not (theirs[2] & 0x10)), what
        assert ours[3] == ts and theirs[3] == ts, what

        shuffled_blocks = []
        raw = arr.view(np.uint8)
        for j in range(0, nbytes, bs_ours):
            blk = raw[j : j + bs_ours]
            if len(blk) == bs_ours and ts > 1:
                blk = blk.reshape(-1, ts).T.reshape(-1)
            shuffled_blocks.append(blk.tobytes())

        a = _streams(ours, 32, nbytes, bs_ours, split, ts)
        b = _streams(theirs, 16, nbytes, bs_theirs, split, ts)
        assert len(a) == len(b), what
        runs = compressed = 0
        for j, ((bsize, sa), (_, sb)) in enumerate(zip(a, b)):
            assert len(sa) == len(sb), what
            neblock = bsize // len(sa)
            for k, (x, y) in enumerate(zip(sa, sb)):
                expect = shuffled_blocks[j][k * neblock : (k + 1) * neblock]
                if x[0] <= 0:
                    # c-blosc2's run of one byte (size 0: zeros, else minus
                    # the byte, then a token); c-blosc 1.x compresses it
                    runs += 1
                    assert expect == bytes([(-x[0]) & 0xFF]) * neblock, (what, j, k)
                else:
                    assert x == y, "%s: block %d stream %d differs (%d vs %d bytes)" % (
                        what,
                        j,
                        k,
                        x[0],
                        y[0],
                    )
                    compressed += x[0] < neblock
        # the comparison is not vacuous: lz4 compressed streams on every case
        assert compressed > 0, what
