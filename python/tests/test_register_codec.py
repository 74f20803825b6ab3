"""User codecs written in Python: register_codec / unregister_codec / list_codecs.

The codecs are written here: a zlib codec (returns bytes, decoder returns
the decoded bytes), a keyed XOR codec over NumPy (decoder writes into
``out``; position-independent, so it has a ``decode_range``) and a few
broken ones.  Expected values come from the inputs themselves (round trips)
and from zlib / NumPy computing the same transform independently.
"""

from __future__ import annotations

import gc
import subprocess
import sys
import threading
import time
import weakref
import zlib

import numpy as np
import pytest

import tensogram

ZZ_ID = 200
X8_ID = 201


@pytest.fixture
def registry():
    """Registers codecs for one test and removes whatever is left after it."""
    names = []

    def register(name, id, encoder, decoder, **kw):
        tensogram.register_codec(name, id, encoder, decoder, **kw)
        names.append(name)

    yield register
    for name in names:
        if name in tensogram.list_codecs():
            tensogram.unregister_codec(name)
    assert not set(names) & set(tensogram.list_codecs())


def desc(shape, dtype="float64", **kw):
    return {"type": "ntensor", "shape": list(shape), "dtype": dtype, **kw}


# ---- the codecs -----------------------------------------------------------------------


def zz_encode(src, params):
    return zlib.compress(src, params.get("zz_level", 6))


def zz_decode(src, out, params):
    return zlib.decompress(src)


def x8_key(params):
    return params.get("x8_key", 0x5A)


def x8_encode(src, params):
    return np.frombuffer(src, np.uint8) ^ np.uint8(x8_key(params))


def x8_decode(src, out, params):
    np.bitwise_xor(np.frombuffer(src, np.uint8), np.uint8(x8_key(params)),
                   out=np.frombuffer(out, np.uint8))
    return len(out)


def x8_range(src, out, offset, params):
    part = np.frombuffer(src, np.uint8)[offset:offset + len(out)]
    np.bitwise_xor(part, np.uint8(x8_key(params)), out=np.frombuffer(out, np.uint8))
    return len(out)


@pytest.fixture
def zz(registry):
    registry("zz", ZZ_ID, zz_encode, zz_decode)


@pytest.fixture
def x8(registry):
    registry("x8", X8_ID, x8_encode, x8_decode, decode_range=x8_range)


def payload_of(msg, arr_bytes):
    """Whether the raw bytes occur in the message (stored uncompressed)."""
    return bytes(arr_bytes) in msg


# ---- round trips ---------------------------------------------------------------------


def test_zlib_round_trip_and_payload_is_zlib(zz):
    values = np.repeat(np.arange(50, dtype=np.float64), 40)
    msg = tensogram.encode({}, [(desc([2000], compression="zz", zz_level=9), values)],
                           hash=None)
    assert zlib.compress(values.tobytes(), 9) in msg   # the codec's bytes went to the wire
    assert len(msg) < values.nbytes // 4
    meta, objects = tensogram.decode(msg)
    d, out = objects[0]
    assert d.compression == "zz"
    assert d.params == {"zz_level": 9, "user_codec_id": ZZ_ID}
    np.testing.assert_array_equal(out, values)


@pytest.mark.parametrize("dtype", ["uint8", "int16", "float32", "float64", "complex64"])
def test_xor_round_trip_dtypes_and_filters(x8, dtype):
    rng = np.random.default_rng(1)
    values = (rng.standard_normal(300) * 100).astype(dtype)
    for extra in ({}, {"filter": "shuffle", "shuffle_element_size": values.itemsize}):
        d = desc([300], dtype, compression="x8", x8_key=17, **extra)
        msg = tensogram.encode({}, [(d, values)], hash=None)
        if not extra:
            assert (values.view(np.uint8) ^ np.uint8(17)).tobytes() in msg
        np.testing.assert_array_equal(tensogram.decode(msg).objects[0][1], values)


def test_multi_object_message_mixing_codecs(zz, x8):
    a = np.linspace(0, 1, 500)
    b = np.arange(64, dtype=np.int32).reshape(8, 8)
    c = np.full(10, 7, dtype=np.uint16)
    msg = tensogram.encode({"base": [{"i": 0}, {"i": 1}, {"i": 2}, {"i": 3}]}, [
        (desc([500], compression="zz"), a),
        (desc([8, 8], "int32", compression="x8", x8_key=3), b),
        (desc([10], "uint16"), c),
        (desc([500], compression="lz4"), a),
    ])
    objects = tensogram.decode(msg).objects
    assert [o[0].compression for o in objects] == ["zz", "x8", "none", "lz4"]
    for (d, got), want in zip(objects, [a, b, c, a]):
        np.testing.assert_array_equal(got, want)
    _, d1, got1 = tensogram.decode_object(msg, 1)
    np.testing.assert_array_equal(got1, b)


def test_empty_object(x8):
    msg = tensogram.encode({}, [(desc([0], "float32", compression="x8"), np.zeros(0, np.float32))])
    out = tensogram.decode(msg).objects[0][1]
    assert out.shape == (0,) and out.dtype == np.float32


def test_encoder_may_return_any_bytes_like(registry):
    def make(kind):
        def enc(src, params):
            if kind == "bytearray":
                return bytearray(src)
            if kind == "memoryview":
                return src                      # the input itself: copied before release
            if kind == "array":
                return np.frombuffer(src, np.uint8).view(np.float64).copy()
            return bytes(src)
        return enc

    def dec(src, out, params):
        out[:] = src
        return out                               # bytes-like of the right size: accepted

    values = np.arange(32, dtype=np.float64)
    for i, kind in enumerate(["bytes", "bytearray", "memoryview", "array"]):
        name = "same%d" % i
        registry(name, 210 + i, make(kind), dec)
        msg = tensogram.encode({}, [(desc([32], compression=name), values)], hash=None)
        assert values.tobytes() in msg
        np.testing.assert_array_equal(tensogram.decode(msg).objects[0][1], values)


def test_each_callback_runs_once_per_object(registry):
    calls = []

    def enc(src, params):
        calls.append("encode")
        return bytes(src) * 3                   # expands well past any first guess

    def dec(src, out, params):
        calls.append("decode")
        return bytes(src[:len(out)])

    registry("big", 232, enc, dec, validate=lambda params: calls.append("validate"))
    values = np.arange(100000, dtype=np.float64)
    msg = tensogram.encode({}, [(desc([100000], compression="big"), values)])
    np.testing.assert_array_equal(tensogram.decode(msg).objects[0][1], values)
    assert calls == ["validate", "encode", "decode"]
    calls.clear()
    tensogram.encode_pre_encoded({}, [(desc([4], compression="big"), bytes(32))])
    assert calls == ["validate"]


# ---- what callbacks are told ------------------------------------------------------------


def test_params_contents(registry):
    seen = []

    def enc(src, params):
        seen.append(("encode", dict(params), params, len(src)))
        return bytes(src)

    def dec(src, out, params):
        seen.append(("decode", dict(params), params, len(out)))
        out[:] = src
        return len(out)

    def validate(params):
        seen.append(("validate", dict(params), params, None))

    registry("spy", 230, enc, dec, validate=validate)
    values = np.arange(24, dtype=">f4").reshape(4, 6)
    d = desc([4, 6], "float32", byte_order="big", filter="shuffle", shuffle_element_size=4,
             compression="spy", spy_level=3, spy_name="a\u00e9", spy_list=[1, 2.5, None])
    msg = tensogram.encode({}, [(d, values)], threads=1)
    np.testing.assert_array_equal(tensogram.decode(msg).objects[0][1], values)
    assert [s[0] for s in seen] == ["validate", "encode", "decode"]
    expected = {"shuffle_element_size": 4, "spy_level": 3, "spy_name": "a\u00e9",
                "spy_list": [1, 2.5, None], "user_codec_id": 230}
    for what, plain, params, n in seen:
        assert isinstance(params, tensogram.CodecParams) and isinstance(params, dict)
        assert plain == expected, what
        assert params.codec_name == "spy" and params.codec_id == 230
        assert params.dtype == "float32" and params.byte_order == "big"
        assert params.shape == (4, 6)
        assert params.typesize == 1            # after the shuffle filter
        assert params.threads >= 1
        assert params.decoded_size == (0 if what == "validate" else 96)
        if n is not None:
            assert n == 96
    assert "spy" in repr(seen[1][2])


def test_typesize_without_filter(registry):
    sizes = []

    def enc(src, params):
        sizes.append(params.typesize)
        return bytes(src)

    registry("ts", 231, enc, lambda s, o, p: s)
    for dtype, size in (("int16", 2), ("float64", 8), ("complex128", 16)):
        tensogram.encode({}, [(desc([3], dtype, compression="ts"), np.zeros(3, dtype))])
        assert sizes[-1] == size


# ---- errors from callbacks -------------------------------------------------------------


def test_encoder_exception_becomes_value_error(registry):
    def enc(src, params):
        raise RuntimeError("boom at %d" % len(src))

    registry("bad", 170, enc, zz_decode)
    with pytest.raises(ValueError) as ei:
        tensogram.encode({}, [(desc([4], compression="bad"), np.zeros(4))])
    msg = str(ei.value)
    assert msg.startswith("CompressionError: ")
    assert 'user codec "bad" (id 170) encode: RuntimeError: boom at 32' in msg


def test_decoder_exception_same_class_as_builtin_codec_failure(registry):
    class CorruptStream(Exception):
        pass

    def dec(src, out, params):
        raise CorruptStream("bad header byte 0x%02x" % src[0])

    registry("bad", 171, zz_encode, dec)
    msg = tensogram.encode({}, [(desc([8], compression="bad"), np.ones(8))], hash=None)
    with pytest.raises(ValueError) as user:
        tensogram.decode(msg)
    text = str(user.value)
    assert text.startswith("CompressionError: ")
    assert ('user codec "bad" (id 171) decode: CorruptStream: bad header byte 0x%02x'
            % zlib.compress(np.ones(8).tobytes())[0]) in text

    # A built-in codec given a stream it cannot decode: the same class and
    # family.  Pre-encoded payloads are written as given.
    garbage = b"\xff" * 64             # encoding "none": the decoded size
    ref = tensogram.encode_pre_encoded({}, [(desc([8], compression="lz4"), garbage)], hash=None)
    with pytest.raises(ValueError) as builtin:
        tensogram.decode(ref)
    assert type(builtin.value) is type(user.value)
    assert str(builtin.value).startswith("CompressionError: ")
    # the same garbage through the user codec
    mine = tensogram.encode_pre_encoded({}, [(desc([8], compression="bad"), garbage)], hash=None)
    with pytest.raises(ValueError, match=r"CompressionError: .*CorruptStream: bad header byte "
                                         r"0xff"):
        tensogram.decode(mine)


def test_exception_in_validate_refuses_parameters(registry):
    def validate(params):
        if not 0 <= params.get("x8_key", 0) <= 255:
            raise ValueError("x8_key must be 0..255, got %r" % params["x8_key"])

    registry("x8", X8_ID, x8_encode, x8_decode, validate=validate)
    with pytest.raises(ValueError) as ei:
        tensogram.encode({}, [(desc([4], compression="x8", x8_key=300), np.zeros(4))])
    text = str(ei.value)
    assert text.startswith("EncodingError: ")
    assert 'user codec "x8" (id 201) refused the parameters' in text
    assert "ValueError: x8_key must be 0..255, got 300" in text
    tensogram.encode({}, [(desc([4], compression="x8", x8_key=255), np.zeros(4))])
    with pytest.raises(ValueError, match="refused the parameters"):   # pre-encoded too
        tensogram.encode_pre_encoded({}, [(desc([4], compression="x8", x8_key=256), bytes(32))])


def test_validate_returning_false_refuses(registry):
    registry("no", 172, zz_encode, zz_decode, validate=lambda params: False)
    with pytest.raises(ValueError, match="refused the parameters.*validate returned False"):
        tensogram.encode({}, [(desc([4], compression="no"), np.zeros(4))])


def test_wrong_decoded_sizes(registry):
    cases = {
        "short": (lambda s, o, p: len(o) - 1, r"returned 31, but must fill all of out: return 32"),
        "nothing": (lambda s, o, p: None, r"returned None: it must return the number of bytes "
                                       r"written to out \(32\) or the decoded bytes"),
        "zero": (lambda s, o, p: 0, r"returned 0, but must fill all of out"),
        "longb": (lambda s, o, p: bytes(33), r"returned 33 bytes, expected 32"),
        "shortb": (lambda s, o, p: b"", r"returned 0 bytes, expected 32"),
        "text": (lambda s, o, p: "x" * 32, r"returned str: it must return"),
        "neg": (lambda s, o, p: np.int64(-1), r"returned (np\.int64\()?-1\)?, but must fill"),
    }
    values = np.arange(4, dtype=np.float64)
    for i, (name, (dec, pattern)) in enumerate(cases.items()):
        registry(name, 180 + i, lambda s, p: bytes(s), dec)
        msg = tensogram.encode({}, [(desc([4], compression=name), values)])
        with pytest.raises(ValueError, match=r"CompressionError: .*user codec \"%s\" \(id %d\) "
                                             r"decode: the decoder %s" % (name, 180 + i, pattern)):
            tensogram.decode(msg)
    # numpy integers are counts too
    registry("npint", 190, lambda s, p: bytes(s),
             lambda s, o, p: (o.__setitem__(slice(None), s), np.int64(len(o)))[1])
    msg = tensogram.encode({}, [(desc([4], compression="npint"), values)])
    np.testing.assert_array_equal(tensogram.decode(msg).objects[0][1], values)


def test_encoder_returning_non_bytes(registry):
    registry("num", 191, lambda s, p: 42, zz_decode)
    with pytest.raises(ValueError, match=r"encode: the encoder must return a bytes-like object "
                                         r".*got int"):
        tensogram.encode({}, [(desc([4], compression="num"), np.zeros(4))])
    registry("nope", 192, lambda s, p: None, zz_decode)
    with pytest.raises(ValueError, match=r"got NoneType"):
        tensogram.encode({}, [(desc([4], compression="nope"), np.zeros(4))])


def test_keyboard_interrupt_in_callback_is_not_swallowed():
    # In a child process: the interrupt must not reach pytest.
    code = (
        "import numpy as np, tensogram\n"
        "def enc(src, params):\n"
        "    raise KeyboardInterrupt\n"
        "tensogram.register_codec('ki', 200, enc, lambda s, o, p: s)\n"
        "try:\n"
        "    try:\n"
        "        tensogram.encode({}, [({'type': 'ntensor', 'shape': [2], 'dtype': 'float64',\n"
        "                                'compression': 'ki'}, np.zeros(2))])\n"
        "    except ValueError as e:\n"
        "        for _ in range(100000):\n"
        "            pass\n"
        "except KeyboardInterrupt as ki:\n"
        "    ctx = ki.__context__\n"
        "    print('interrupted', ctx is None or 'encode: KeyboardInterrupt' in str(ctx))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd="/", check=False, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "interrupted True"


# ---- registry rules -------------------------------------------------------------------


def test_list_codecs_ordered_by_id(registry):
    before = tensogram.list_codecs()
    registry("b_codec", 250, zz_encode, zz_decode)
    registry("a_codec", 161, zz_encode, zz_decode)
    now = tensogram.list_codecs()
    assert now == {**before, "a_codec": 161, "b_codec": 250}
    assert list(now.values()) == sorted(now.values())
    assert "zstd" not in now and "none" not in now


def test_conflicts_and_idempotence(registry):
    registry("zz", ZZ_ID, zz_encode, zz_decode)
    # the same registration again: nothing happens, one unregister removes it
    tensogram.register_codec("zz", ZZ_ID, zz_encode, zz_decode)
    assert tensogram.list_codecs()["zz"] == ZZ_ID
    with pytest.raises(ValueError, match=r'InvalidArgument: .*"zz" is already registered with id '
                                         r'200 \(asked for id 201\)'):
        tensogram.register_codec("zz", 201, zz_encode, zz_decode)
    with pytest.raises(ValueError, match=r'InvalidArgument: .*codec id 200 is already registered '
                                         r'as "zz" \(asked for "other"\)'):
        tensogram.register_codec("other", ZZ_ID, zz_encode, zz_decode)
    with pytest.raises(ValueError, match=r'"zz" \(id 200\) is already registered with other '
                                         r'callbacks'):
        tensogram.register_codec("zz", ZZ_ID, zz_encode, x8_decode)
    with pytest.raises(ValueError, match="other callbacks"):
        tensogram.register_codec("zz", ZZ_ID, zz_encode, zz_decode, validate=lambda p: None)
    tensogram.unregister_codec("zz")
    assert "zz" not in tensogram.list_codecs()
    with pytest.raises(ValueError, match=r'InvalidArgument: .*codec "zz" is not registered'):
        tensogram.unregister_codec("zz")
    # free again under both name and id
    registry("zz", ZZ_ID, x8_encode, x8_decode)


@pytest.mark.parametrize("name", ["none", "szip", "zstd", "lz4", "blosc2", "zfp", "sz3", "rle",
                                  "roaring"])
def test_builtin_names_are_reserved(name):
    with pytest.raises(ValueError, match=r'InvalidArgument: .*"%s" is a built-in compression '
                                         r'name' % name):
        tensogram.register_codec(name, 200, zz_encode, zz_decode)
    assert name not in tensogram.list_codecs()


def test_extension_lists_are_the_librarys():
    # The package checks names against these (read from the C library at
    # import); the expected tuples here are an independent copy.
    assert tensogram._tensogram.COMPRESSIONS == ("none", "szip", "zstd", "lz4", "blosc2", "zfp",
                                                 "sz3", "rle", "roaring")
    assert tensogram._tensogram.MASK_METHODS == ("none", "rle", "roaring", "lz4", "zstd",
                                                 "blosc2")


def test_bad_names_and_ids():
    for name, pattern in (("", "empty"), ("a b", "outside"), ("x" * 64, "longer than 63"),
                          ("caf\u00e9", "outside")):
        with pytest.raises(ValueError, match=pattern):
            tensogram.register_codec(name, 200, zz_encode, zz_decode)
    with pytest.raises(ValueError):
        tensogram.register_codec("nul\0x", 200, zz_encode, zz_decode)
    for id in (0, 159, 256, -1, 2**40):
        with pytest.raises(ValueError, match=r"outside the user range 160\.\.255"):
            tensogram.register_codec("ok", id, zz_encode, zz_decode)
    assert tensogram.list_codecs().get("ok") is None
    with pytest.raises(TypeError):
        tensogram.register_codec(b"ok", 200, zz_encode, zz_decode)
    with pytest.raises(TypeError):
        tensogram.register_codec("ok", "200", zz_encode, zz_decode)
    with pytest.raises(TypeError):
        tensogram.register_codec("ok", True, zz_encode, zz_decode)
    with pytest.raises(TypeError, match="encoder must be callable"):
        tensogram.register_codec("ok", 200, None, zz_decode)
    with pytest.raises(TypeError, match="decode_range must be callable"):
        tensogram.register_codec("ok", 200, zz_encode, zz_decode, decode_range=3)
    with pytest.raises(TypeError):
        tensogram.unregister_codec(200)
    assert "ok" not in tensogram.list_codecs()
    tensogram.register_codec("ok", np.uint8(200), zz_encode, zz_decode)   # any integer
    tensogram.unregister_codec("ok")


def test_unregister_then_decode_fails_naming_the_codec(registry):
    registry("zz", ZZ_ID, zz_encode, zz_decode)
    msg = tensogram.encode({}, [(desc([4], compression="zz"), np.arange(4.0))])
    tensogram.unregister_codec("zz")
    with pytest.raises(ValueError) as ei:
        tensogram.decode(msg)
    assert str(ei.value).startswith("EncodingError: ")
    assert 'compression "zz" is not registered as a user codec' in str(ei.value)
    with pytest.raises(ValueError, match="not registered as a user codec"):
        tensogram.encode({}, [(desc([4], compression="zz"), np.arange(4.0))])
    # the descriptors (no payload decoded) still read
    assert tensogram.decode_descriptors(msg)[1][0].compression == "zz"
    # the same name under another id is another codec: refused
    registry("zz", 205, zz_encode, zz_decode)
    with pytest.raises(ValueError, match=r"user_codec_id is 200 but the registered codec \"zz\" "
                                         r"has id 205"):
        tensogram.decode(msg)


# ---- buffers ----------------------------------------------------------------------------


def test_view_kept_after_the_call_is_released(registry):
    kept = []

    def enc(src, params):
        assert src.readonly and src.format == "B" and src.ndim == 1
        kept.append(src)
        return bytes(src)

    def dec(src, out, params):
        assert src.readonly and not out.readonly and len(out) == params.decoded_size
        kept.append(out)
        out[:] = src
        return len(out)

    registry("keep", 220, enc, dec)
    values = np.arange(16, dtype=np.float32)
    msg = tensogram.encode({}, [(desc([16], "float32", compression="keep"), values)])
    np.testing.assert_array_equal(tensogram.decode(msg).objects[0][1], values)
    assert len(kept) == 2
    for view in kept:
        with pytest.raises(ValueError, match="released"):
            view[0]
        with pytest.raises(ValueError, match="released"):
            len(view)
        with pytest.raises(ValueError, match="released"):
            bytes(view)
        with pytest.raises(ValueError):
            np.frombuffer(view, np.uint8)
    with pytest.raises(ValueError, match="released"):
        kept[1][0] = 1


@pytest.mark.parametrize("what", ["array", "slice", "memoryview", "out_array"])
def test_buffer_derived_and_kept_fails_the_call(registry, what):
    leaked = []

    def enc(src, params):
        if what == "array":
            leaked.append(np.frombuffer(src, np.uint8))
        elif what == "slice":
            leaked.append(src[2:])
        elif what == "memoryview":
            leaked.append(memoryview(src))
        return bytes(src)

    def dec(src, out, params):
        if what == "out_array":
            leaked.append(np.frombuffer(out, np.uint8))
        out[:] = src
        return len(out)

    registry("leaky", 221, enc, dec)
    values = np.arange(8, dtype=np.float64)
    d = desc([8], compression="leaky")
    if what == "out_array":
        msg = tensogram.encode({}, [(d, values)])
        with pytest.raises(ValueError, match=r'user codec "leaky" \(id 221\) decode: the decoder '
                                             r'kept a reference to its output \(out\) buffer'):
            tensogram.decode(msg)
    else:
        with pytest.raises(ValueError, match=r'user codec "leaky" \(id 221\) encode: the encoder '
                                             r'kept a reference to its input \(src\) buffer'):
            tensogram.encode({}, [(d, values)])
    assert len(leaked) == 1
    # The leaked object points at memory the library has reused: never read
    # it (that is what the error is about); just drop it.
    leaked.clear()


def test_local_arrays_and_exceptions_do_not_count_as_kept(registry):
    def enc(src, params):
        a = np.frombuffer(src, np.uint8)
        view = src[1:]
        if params.get("fail"):
            raise ValueError("failing with locals %d %d" % (a.size, len(view)))
        return (a + 0).tobytes()

    registry("loc", 222, enc, lambda s, o, p: s)
    values = np.arange(8, dtype=np.float64)
    msg = tensogram.encode({}, [(desc([8], compression="loc"), values)])
    np.testing.assert_array_equal(tensogram.decode(msg).objects[0][1], values)
    with pytest.raises(ValueError, match=r"encode: ValueError: failing with locals 64 63$"):
        tensogram.encode({}, [(desc([8], compression="loc", fail=True), values)])


# ---- partial decode, files, streams, numcodecs, validation ------------------------------


def test_decode_range_through_the_callback(registry):
    offsets = []

    def rng(src, out, offset, params):
        offsets.append((offset, len(out)))
        return x8_range(src, out, offset, params)

    registry("x8", X8_ID, x8_encode, x8_decode, decode_range=rng)
    values = np.arange(100, dtype=np.float32) * 1.5
    msg = tensogram.encode({}, [(desc([100], "float32", compression="x8", x8_key=9), values)])
    parts = tensogram.decode_range(msg, 0, [(2, 3), (50, 10)])
    np.testing.assert_array_equal(parts[0], values[2:5])
    np.testing.assert_array_equal(parts[1], values[50:60])
    assert offsets == [(8, 12), (200, 40)]
    joined = tensogram.decode_range(msg, 0, [(0, 1), (99, 1)], join=True)
    np.testing.assert_array_equal(joined, values[[0, 99]])


def test_decode_range_without_callback_is_refused(zz):
    msg = tensogram.encode({}, [(desc([10], compression="zz"), np.arange(10.0))])
    with pytest.raises(ValueError, match=r"CompressionError: .*range decode not supported for "
                                         r"this compressor \(zz\)"):
        tensogram.decode_range(msg, 0, [(0, 2)])


def test_file_append_and_read(zz, x8, tmp_path):
    path = str(tmp_path / "codecs.tgm")
    arrays = [np.arange(i * 10, i * 10 + 30, dtype=np.float64) for i in range(4)]
    with tensogram.TensogramFile.create(path) as f:
        for i, a in enumerate(arrays):
            f.append({"base": [{"i": i}]},
                     [(desc([30], compression="zz" if i % 2 else "x8"), a)], threads=2)
    with tensogram.TensogramFile.open(path) as f:
        assert len(f) == 4
        for i, a in enumerate(arrays):
            np.testing.assert_array_equal(f.decode_message(i).objects[0][1], a)
        np.testing.assert_array_equal(f.file_decode_range(2, 0, [(5, 4)])[0], arrays[2][5:9])
    report = tensogram.validate_file(path, level="full")
    assert all(m["issues"] == [] for m in report["messages"]), report


def test_streaming_encoder(zz, x8):
    enc = tensogram.StreamingEncoder({}, threads=2)
    a = np.linspace(-1, 1, 200)
    b = np.arange(12, dtype=np.int64)
    enc.write_object(desc([200], compression="zz", zz_level=1), a)
    enc.write_object(desc([12], "int64", compression="x8", x8_key=1), b)
    msg = enc.finish_backfilled()
    objects = tensogram.decode(msg).objects
    np.testing.assert_array_equal(objects[0][1], a)
    np.testing.assert_array_equal(objects[1][1], b)
    issues = tensogram.validate(msg, level="full")["issues"]
    assert [i for i in issues if i["severity"] == "error"] == []


def test_numcodecs_codec_with_a_registered_compression(x8):
    from tensogram.codec import Tensogram

    codec = Tensogram(compression="x8", x8_key=33)
    chunk = np.arange(60, dtype=np.float32).reshape(6, 10)
    enc = codec.encode(chunk)
    assert (chunk.view(np.uint8) ^ np.uint8(33)).tobytes() in enc
    np.testing.assert_array_equal(np.asarray(codec.decode(enc)).reshape(6, 10), chunk)
    numcodecs = pytest.importorskip("numcodecs")
    again = numcodecs.get_codec({"id": "tensogram", "compression": "x8", "x8_key": 33})
    out = np.empty_like(chunk)
    again.decode(again.encode(chunk), out=out)
    np.testing.assert_array_equal(out, chunk)


# ---- threads ----------------------------------------------------------------------------


def test_threads_two_with_many_objects(registry):
    threads_seen = set()
    lock = threading.Lock()

    def note():
        with lock:
            threads_seen.add(threading.get_ident())
        time.sleep(0.002)                 # lets the other worker take the GIL

    def enc(src, params):
        note()
        return x8_encode(src, params)

    def dec(src, out, params):
        note()
        return x8_decode(src, out, params)

    registry("x8", X8_ID, enc, dec)
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal(1024) for _ in range(16)]      # 128 KiB in all
    pairs = [(desc([1024], compression="x8", x8_key=i), a) for i, a in enumerate(arrays)]
    msg = tensogram.encode({}, pairs, threads=2)
    assert len(threads_seen) >= 2
    threads_seen.clear()
    objects = tensogram.decode(msg, threads=2).objects
    assert len(threads_seen) >= 2
    for (d, got), want in zip(objects, arrays):
        np.testing.assert_array_equal(got, want)
    # single-threaded encode writes the same message body
    again = tensogram.encode({}, pairs, threads=1)
    assert [o[1].tobytes() for o in tensogram.decode(again).objects] == \
        [a.tobytes() for a in arrays]


def test_python_threads_encoding_concurrently(zz, x8):
    errors = []
    arrays = [np.full(3000, i, dtype=np.float64) for i in range(6)]

    def work(k):
        try:
            for _ in range(10):
                pairs = [(desc([3000], compression="zz" if (i + k) % 2 else "x8"), a)
                         for i, a in enumerate(arrays)]
                msg = tensogram.encode({}, pairs, threads=2)
                for (d, got), want in zip(tensogram.decode(msg, threads=2).objects, arrays):
                    np.testing.assert_array_equal(got, want)
        except Exception as e:  # collected for the main thread
            errors.append(e)

    ts = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert errors == []


def test_callbacks_may_call_the_package(x8, registry):
    """A codec whose stream is itself a Tensogram message (compressed with x8)."""

    def enc(src, params):
        return tensogram.encode({}, [(desc([len(src)], "uint8", compression="x8"),
                                      np.frombuffer(src, np.uint8))], threads=2)

    def dec(src, out, params):
        inner = tensogram.decode(bytes(src), threads=2).objects[0][1]
        return inner.tobytes()

    registry("nested", 233, enc, dec)
    values = np.arange(20000, dtype=np.float64)
    msg = tensogram.encode({}, [(desc([20000], compression="nested"), values),
                                (desc([20000], compression="nested"), values * 2)], threads=2)
    objects = tensogram.decode(msg, threads=2).objects
    np.testing.assert_array_equal(objects[0][1], values)
    np.testing.assert_array_equal(objects[1][1], values * 2)


# ---- references -------------------------------------------------------------------------


def test_callables_freed_after_unregister():
    freed = []
    rounds = 200
    for i in range(rounds):
        key = i % 256

        def enc(src, params, key=key):
            return np.frombuffer(src, np.uint8) ^ np.uint8(key)

        def dec(src, out, params, key=key):
            np.bitwise_xor(np.frombuffer(src, np.uint8), np.uint8(key),
                           out=np.frombuffer(out, np.uint8))
            return len(out)

        def rng(src, out, offset, params):
            return len(out)

        def validate(params):
            return None

        for fn in (enc, dec, rng, validate):
            weakref.finalize(fn, freed.append, i)
        tensogram.register_codec("tmp", 240, enc, dec, decode_range=rng, validate=validate)
        if i % 25 == 0:
            values = np.arange(i, i + 5, dtype=np.float64)
            msg = tensogram.encode({}, [(desc([5], compression="tmp"), values)])
            np.testing.assert_array_equal(tensogram.decode(msg).objects[0][1], values)
        del enc, dec, rng, validate, fn
        assert freed.count(i) == 0              # the registry holds them
        tensogram.unregister_codec("tmp")
        assert freed.count(i) == 4, i          # dropped at once, without a gc pass
    gc.collect()
    assert len(freed) == 4 * rounds
    assert "tmp" not in tensogram.list_codecs()


def test_unregister_from_inside_a_callback_defers_the_release():
    freed = []
    calls = []

    def dec(src, out, params):
        tensogram.unregister_codec("self")      # allowed; this call still finishes
        calls.append(params.codec_name in tensogram.list_codecs())
        out[:] = src
        return len(out)

    def enc(src, params):
        return bytes(src)

    weakref.finalize(dec, freed.append, "dec")
    tensogram.register_codec("self", 241, enc, dec)
    values = np.arange(3, dtype=np.float64)
    msg = tensogram.encode({}, [(desc([3], compression="self"), values)])
    del dec, enc
    np.testing.assert_array_equal(tensogram.decode(msg).objects[0][1], values)
    assert calls == [False]
    assert freed == ["dec"]                      # released when the callback returned
    with pytest.raises(ValueError, match="not registered as a user codec"):
        tensogram.decode(msg)
