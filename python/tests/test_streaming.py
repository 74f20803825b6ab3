"""StreamingEncoder: frames written one object at a time, in memory."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from conftest import desc

import tensogram


def lengths(msg: bytes):
    """(preamble total_length, postamble total_length): WIRE_FORMAT §3, §7."""
    return struct.unpack(">Q", msg[16:24])[0], struct.unpack(">Q", msg[-16:-8])[0]


def objects_for_stream():
    return [
        (desc([4], "float32"), np.arange(4, dtype=np.float32)),
        (desc([2, 3], "int16", compression="zstd"), np.arange(6, dtype=np.int16).reshape(2, 3)),
        (desc([5], "float64", encoding="simple_packing", sp_bits_per_value=16),
         np.linspace(0, 1, 5)),
    ]


def test_finish_is_streaming_mode_and_decodes():
    enc = tensogram.StreamingEncoder({"base": [{"name": "a"}, {"name": "b"}, {"name": "c"}]},
                                     hash="xxh3")
    for d, data in objects_for_stream():
        enc.write_object(d, data)
    assert enc.object_count == 3 and enc.bytes_written > 0
    msg = enc.finish()
    assert lengths(msg) == (0, 0)
    meta, objects = tensogram.decode(msg, verify_hash=True)
    assert [m["name"] for m in meta.base] == ["a", "b", "c"]
    np.testing.assert_array_equal(objects[0][1], np.arange(4, dtype=np.float32))
    np.testing.assert_array_equal(objects[1][1], np.arange(6, dtype=np.int16).reshape(2, 3))
    assert np.max(np.abs(objects[2][1] - np.linspace(0, 1, 5))) < 1e-4
    assert tensogram.scan(msg) == [(0, len(msg))]
    # The footer index gives O(1) object access.
    np.testing.assert_array_equal(tensogram.decode_object(msg, 1)[2], objects[1][1])


def test_finish_backfilled_writes_the_real_length():
    enc = tensogram.StreamingEncoder({})
    enc.write_object(desc([4]), np.ones(4, dtype=np.float32))
    msg = enc.finish_backfilled()
    assert lengths(msg) == (len(msg), len(msg))
    report = tensogram.validate(msg, level="full")
    assert report["hash_verified"] is True
    assert [i for i in report["issues"] if i["severity"] == "error"] == []


def test_equivalent_to_buffered_encode():
    pairs = objects_for_stream()
    enc = tensogram.StreamingEncoder({"_extra_": {"k": "v"}})
    for d, data in pairs:
        enc.write_object(d, data)
    streamed = tensogram.decode(enc.finish())
    buffered = tensogram.decode(tensogram.encode({"_extra_": {"k": "v"}}, pairs))
    assert streamed.metadata.extra == buffered.metadata.extra == {"k": "v"}
    for (d1, a1), (d2, a2) in zip(streamed.objects, buffered.objects):
        assert d1 == d2
        np.testing.assert_array_equal(a1, a2)


def test_pre_encoded_and_preceder():
    raw = np.arange(3, dtype=np.uint8).tobytes()
    enc = tensogram.StreamingEncoder({}, hash=None)
    enc.write_preceder({"note": "first"})
    enc.write_object_pre_encoded(desc([3], "uint8"), raw)
    enc.write_object(desc([2], "uint8"), b"\x07\x08")
    meta, objects = tensogram.decode(enc.finish())
    assert meta.base[0]["note"] == "first"
    assert objects[0][1].tolist() == [0, 1, 2] and objects[1][1].tolist() == [7, 8]
    with pytest.raises(ValueError):
        tensogram.StreamingEncoder({}).write_object_pre_encoded(desc([3], "uint8"),
                                                                np.zeros(3, np.uint8))


def test_finish_and_reset_produces_a_sequence():
    enc = tensogram.StreamingEncoder({"_extra_": {"run": 1}})
    out = []
    for i in range(3):
        enc.write_object(desc([2]), np.full(2, i, dtype=np.float32))
        out.append(enc.finish_and_reset() if i % 2 == 0 else enc.finish_and_reset_backfilled())
    assert lengths(out[0]) == (0, 0) and lengths(out[1]) == (len(out[1]),) * 2
    values = [m.objects[0][1][0] for m in tensogram.iter_messages(b"".join(out))]
    assert values == [0.0, 1.0, 2.0]
    # (decode_metadata reads the header metadata frame, written before the
    # provenance is known; the footer's full metadata comes with decode.)
    uuids = {tensogram.decode(m).metadata.reserved["uuid"] for m in out}
    assert len(uuids) == 3  # each message has its own provenance


def test_use_after_finish_raises_runtime_error():
    enc = tensogram.StreamingEncoder({})
    enc.write_object(desc([1]), np.zeros(1, np.float32))
    enc.finish()
    for call in (lambda: enc.finish(), lambda: enc.finish_backfilled(),
                 lambda: enc.write_object(desc([1]), np.zeros(1, np.float32)),
                 lambda: enc.finish_and_reset()):
        with pytest.raises(RuntimeError, match="already finished"):
            call()


def test_bad_input_leaves_the_encoder_usable():
    enc = tensogram.StreamingEncoder({})
    with pytest.raises(ValueError):
        enc.write_object(desc([3]), np.zeros(2, dtype=np.float32))  # size mismatch
    with pytest.raises(ValueError):
        enc.write_object(desc([1], "float64"), np.array([np.nan]))  # NaN refused
    enc.write_object(desc([2]), np.zeros(2, dtype=np.float32))
    assert len(tensogram.decode(enc.finish()).objects) == 1


def test_streaming_options():
    enc = tensogram.StreamingEncoder({}, allow_nan=True, nan_mask_method="rle",
                                     small_mask_threshold_bytes=0, threads=2)
    enc.write_object(desc([3], "float64"), np.array([1.0, np.nan, 2.0]))
    d, arr = tensogram.decode(enc.finish()).objects[0]
    assert np.isnan(arr[1]) and d.to_dict()["masks"]["nan"]["method"] == "rle"
    with pytest.raises(ValueError):
        tensogram.StreamingEncoder({}, aggregate_hash="header")
    with pytest.raises(ValueError):
        tensogram.StreamingEncoder({}, aggregate_hash="sideways")
    enc = tensogram.StreamingEncoder({}, aggregate_hash="none")
    enc.write_object(desc([1]), np.zeros(1, np.float32))
    assert len(tensogram.decode(enc.finish()).objects) == 1
