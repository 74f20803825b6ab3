"""encode / decode: dtypes, pipelines, options, byte order, zero-copy."""

from __future__ import annotations

import gc
import sys
import tracemalloc

import numpy as np
import pytest
from conftest import desc, roundtrip

import tensogram

RNG = np.random.default_rng(12345)

INT_DTYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]
FLOAT_DTYPES = ["float16", "float32", "float64", "complex64", "complex128"]


def test_quickstart_roundtrip():
    temps = RNG.standard_normal((100, 200)).astype(np.float32) + 273.15
    msg = tensogram.encode({}, [(desc([100, 200]), temps)])
    assert isinstance(msg, bytes)
    assert msg[:8] == b"TENSOGRM" and msg[-8:] == b"39277777"
    result = tensogram.decode(msg)
    assert isinstance(result, tensogram.Message)
    meta, objects = result
    assert result.metadata is meta and result.objects is objects
    d, arr = objects[0]
    assert isinstance(d, tensogram.DataObjectDescriptor)
    assert arr.shape == (100, 200) and arr.dtype == np.float32
    np.testing.assert_array_equal(arr, temps)
    assert meta.version == 3 == tensogram.WIRE_VERSION


@pytest.mark.parametrize("dtype", INT_DTYPES + FLOAT_DTYPES)
def test_every_numpy_dtype_roundtrips(dtype):
    info = np.iinfo(dtype) if dtype in INT_DTYPES else None
    if info is not None:
        arr = RNG.integers(info.min, info.max, size=(7, 5), dtype=dtype, endpoint=True)
    elif dtype.startswith("complex"):
        arr = (RNG.standard_normal((7, 5)) + 1j * RNG.standard_normal((7, 5))).astype(dtype)
    else:
        arr = RNG.standard_normal((7, 5)).astype(dtype)
    _, d, out = roundtrip(arr)
    assert d.dtype == dtype and out.dtype == np.dtype(dtype) and out.shape == (7, 5)
    np.testing.assert_array_equal(out, arr)


def test_bitmask_dtype_returns_packed_bytes():
    packed = np.array([0b10110000, 0b01000000], dtype=np.uint8)  # 10 elements
    msg = tensogram.encode({}, [(desc([10], "bitmask"), packed)])
    _, objects = tensogram.decode(msg)
    d, out = objects[0]
    assert d.dtype == "bitmask" and d.shape == [10]
    assert out.dtype == np.uint8 and out.ndim == 1
    np.testing.assert_array_equal(out, packed)


def _has_codec(name: str) -> bool:
    try:
        feats = tensogram.doctor()["features"]
    except Exception:  # pragma: no cover
        return True
    states = {f.get("name"): f.get("state") for f in feats}
    return states.get(name, "on") == "on"


LOSSLESS = [
    ("zstd", {"compression": "zstd", "zstd_level": 5}),
    ("lz4", {"compression": "lz4"}),
    ("blosc2", {"compression": "blosc2", "blosc2_codec": "lz4", "blosc2_clevel": 5}),
    ("zstd", {"filter": "shuffle", "shuffle_element_size": 8, "compression": "zstd"}),
    ("szip", {"compression": "szip", "szip_rsi": 64, "szip_block_size": 16, "szip_flags": 8}),
]


@pytest.mark.parametrize("codec,pipeline", LOSSLESS, ids=[str(p) for _, p in LOSSLESS])
def test_lossless_pipelines_roundtrip(codec, pipeline):
    if not _has_codec(codec):
        pytest.skip("%s not built in" % codec)
    if codec == "szip":
        arr = RNG.integers(0, 60000, size=(64, 33)).astype(np.uint16)
    else:
        arr = np.cumsum(RNG.standard_normal((64, 33)), axis=1)
    msg, d, out = roundtrip(arr, **pipeline)
    for k, v in pipeline.items():
        if k in ("encoding", "filter", "compression"):
            assert getattr(d, k) == v
    np.testing.assert_array_equal(out, arr)
    assert d.params.get("shuffle_element_size", 8) == 8


def test_simple_packing_error_bound_and_params():
    values = np.linspace(250.0, 320.0, 4000).reshape(40, 100)
    params = tensogram.compute_packing_params(values.ravel(), bits_per_value=16,
                                              decimal_scale_factor=0)
    assert set(params) == {"sp_reference_value", "sp_binary_scale_factor",
                           "sp_decimal_scale_factor", "sp_bits_per_value"}
    assert params["sp_bits_per_value"] == 16 and params["sp_reference_value"] <= 250.0
    _, d, out = roundtrip(values, encoding="simple_packing", compression="zstd", **params)
    assert d.encoding == "simple_packing"
    assert d.params["sp_reference_value"] == params["sp_reference_value"]
    step = 2.0 ** params["sp_binary_scale_factor"]
    assert np.max(np.abs(out - values)) <= step
    # Only the bit width given: the library derives the rest.
    _, d2, out2 = roundtrip(values, encoding="simple_packing", sp_bits_per_value=12)
    assert "sp_reference_value" in d2.params
    assert np.max(np.abs(out2 - values)) < 70.0 / 4095 + 1e-9


def test_zfp_modes():
    if not _has_codec("zfp"):
        pytest.skip("zfp not built in")
    values = np.sin(np.linspace(0, 20, 64 * 64)).reshape(64, 64)
    _, _, out = roundtrip(values, compression="zfp", zfp_mode="fixed_accuracy", zfp_tolerance=0.01)
    assert np.max(np.abs(out - values)) <= 0.01
    _, d, out = roundtrip(values, compression="zfp", zfp_mode="fixed_rate", zfp_rate=16)
    assert d.params["zfp_rate"] == 16 and np.max(np.abs(out - values)) < 1e-2


def test_invalid_pipeline_combinations_raise_value_error():
    arr = np.ones(16, dtype=np.float64)
    with pytest.raises(ValueError):
        tensogram.encode({}, [(desc([16], "float64", compression="zfp", filter="shuffle",
                                    shuffle_element_size=8, zfp_mode="fixed_rate",
                                    zfp_rate=8), arr)])
    with pytest.raises(ValueError):
        tensogram.encode({}, [(desc([16], "float32", encoding="simple_packing",
                                    sp_bits_per_value=8), arr.astype(np.float32))])
    with pytest.raises(ValueError, match="unknown"):
        tensogram.encode({}, [(desc([16], "float64", compression="nope"), arr)])


def test_multi_object_message_keeps_order_and_types():
    spectrum = RNG.standard_normal(256)
    mask = np.array([1, 0, 1, 1, 0], dtype=np.uint8)
    grid = np.arange(12, dtype=np.int32).reshape(3, 4)
    msg = tensogram.encode({"base": [{"name": "spectrum"}, {"name": "mask"}, {}]}, [
        (desc([256], "float64", compression="zstd"), spectrum),
        (desc([5], "uint8"), mask),
        (desc([3, 4], "int32"), grid),
    ])
    meta, objects = tensogram.decode(msg)
    assert [o[0].dtype for o in objects] == ["float64", "uint8", "int32"]
    np.testing.assert_array_equal(objects[0][1], spectrum)
    np.testing.assert_array_equal(objects[1][1], mask)
    np.testing.assert_array_equal(objects[2][1], grid)
    assert meta.base[0]["name"] == "spectrum" and meta.base[1]["name"] == "mask"
    assert meta.num_objects == 3


def test_hash_options():
    arr = np.arange(10, dtype=np.float32)
    hashed = tensogram.encode({}, [(desc([10]), arr)])  # default: xxh3
    tensogram.decode(hashed, verify_hash=True)
    assert tensogram.validate(hashed)["hash_verified"] is True
    for off in (None, "none"):
        plain = tensogram.encode({}, [(desc([10]), arr)], hash=off)
        with pytest.raises(tensogram.MissingHashError) as e:
            tensogram.decode(plain, verify_hash=True)
        assert e.value.object_index == 0
        np.testing.assert_array_equal(tensogram.decode(plain).objects[0][1], arr)
    with pytest.raises(ValueError, match="hash"):
        tensogram.encode({}, [(desc([10]), arr)], hash="md5")


def test_threads_do_not_change_the_values():
    arr = np.cumsum(RNG.standard_normal((512, 512)), axis=0)
    pairs = [(desc([512, 512], "float64", compression="zstd"), arr)] * 3
    one = tensogram.encode({}, pairs, threads=1)
    four = tensogram.encode({}, pairs, threads=4)
    assert len(one) == len(four)
    for t in (0, 1, 3):
        _, objects = tensogram.decode(four, threads=t)
        for _, out in objects:
            np.testing.assert_array_equal(out, arr)
    with pytest.raises(ValueError):
        tensogram.encode({}, pairs, threads=-1)


def test_big_endian_input_array_is_stored_big_endian():
    arr = np.arange(6, dtype=">f8").reshape(2, 3)
    msg = tensogram.encode({}, [(desc([2, 3], "float64"), arr)])
    _, objects = tensogram.decode(msg)
    d, out = objects[0]
    assert d.byte_order == "big"
    np.testing.assert_array_equal(out, arr)  # native values
    _, objects = tensogram.decode(msg, native_byte_order=False)
    assert objects[0][1].tobytes() == arr.tobytes()  # the wire bytes


def test_native_byte_order_false_gives_wire_bytes():
    arr = np.arange(5, dtype=np.float32)
    msg = tensogram.encode_pre_encoded({}, [(desc([5], byte_order="big"),
                                             arr.byteswap().tobytes())])
    _, _, native = tensogram.decode_object(msg, 0)
    np.testing.assert_array_equal(native, arr)
    _, objects = tensogram.decode(msg, native_byte_order=False)
    np.testing.assert_array_equal(objects[0][1].byteswap(), arr)


def test_non_contiguous_and_fortran_inputs_are_encoded_in_c_order():
    base = np.arange(48, dtype=np.float64).reshape(6, 8)
    strided = base[::2, 1::3]
    fortran = np.asfortranarray(base)
    for arr in (strided, fortran, base.T):
        _, _, out = roundtrip(arr)
        np.testing.assert_array_equal(out, arr)
        assert out.flags.c_contiguous


def test_scalar_and_empty_arrays():
    _, d, out = roundtrip(np.array(3.5))
    assert d.shape == [] and out.shape == () and out[()] == 3.5
    _, d, out = roundtrip(np.zeros((0, 4), dtype=np.int16))
    assert d.shape == [0, 4] and out.shape == (0, 4)


def test_bytes_like_data_is_taken_as_raw_values():
    arr = np.arange(4, dtype=np.uint16)
    for data in (arr.tobytes(), bytearray(arr.tobytes()), memoryview(arr.tobytes())):
        msg = tensogram.encode({}, [(desc([4], "uint16"), data)])
        np.testing.assert_array_equal(tensogram.decode(msg).objects[0][1], arr)
    with pytest.raises(ValueError, match="does not match"):
        tensogram.encode({}, [(desc([5], "uint16"), arr.tobytes())])


def test_encode_argument_errors():
    arr = np.ones(2, dtype=np.float32)
    with pytest.raises(ValueError, match="tuple"):
        tensogram.encode({}, [desc([2])])
    with pytest.raises(ValueError, match="descriptor dict"):
        tensogram.encode({}, [("not a dict", arr)])
    with pytest.raises(ValueError, match="numpy array or bytes"):
        tensogram.encode({}, [(desc([2]), object())])
    with pytest.raises(ValueError):
        tensogram.encode({}, [(desc([2]), np.array([None, None], dtype=object))])
    with pytest.raises(ValueError):
        tensogram.encode("meta", [(desc([2]), arr)])


# ---- zero-copy properties ------------------------------------------------------


def test_decoded_arrays_view_the_library_buffer():
    a = np.arange(1000, dtype=np.float64)
    b = np.arange(10, dtype=np.int32)
    msg = tensogram.encode({}, [(desc([1000], "float64"), a), (desc([10], "int32"), b)])
    _, objects = tensogram.decode(msg)
    x, y = objects[0][1], objects[1][1]
    assert not x.flags.owndata and not y.flags.owndata
    assert type(x.base).__name__ == "PyCapsule"
    assert x.base is y.base  # one message handle owns both buffers
    assert x.flags.writeable and x.flags.c_contiguous
    x[0] = 42.0  # writable like an owned array
    del msg, objects
    gc.collect()
    assert x[0] == 42.0 and x[999] == 999.0 and y[9] == 9  # alive through the capsule


def _python_peak(fn) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_c_contiguous_input_is_not_copied():
    # Raw pipeline: the only Python allocation is the result, about the
    # size of the input; a copy of the input would double the peak.
    big = np.arange(4 * 1024 * 1024 // 8, dtype=np.float64)
    d = desc(big.shape, "float64")
    tensogram.encode({}, [(d, big)])  # warm up
    peak = _python_peak(lambda: tensogram.encode({}, [(d, big)]))
    assert big.nbytes <= peak < 1.25 * big.nbytes, peak
    # A strided view is copied exactly once.
    view = np.arange(2048 * 1024, dtype=np.float64).reshape(2048, 1024)[:, ::2]
    dv = desc(view.shape, "float64")
    peak = _python_peak(lambda: tensogram.encode({}, [(dv, view)]))
    assert 1.75 * view.nbytes <= peak < 2.25 * view.nbytes, peak


def test_raw_encode_result_is_exactly_sized_bytes():
    arr = np.arange(1 << 16, dtype=np.float32)
    msg = tensogram.encode({}, [(desc(arr.shape), arr)])
    assert sys.getsizeof(msg) - len(msg) < 64  # no slack left in the bytes object
    assert tensogram.scan(msg) == [(0, len(msg))]


def _hash_frames(msg):
    """(header hash frame, footer hash frame) flags of the preamble
    (WIRE_FORMAT §3.1: bits 4 and 5 of the big-endian flags at offset 10)."""
    flags = int.from_bytes(msg[10:12], "big")
    return bool(flags & 0x10), bool(flags & 0x20)


@pytest.mark.parametrize(
    "policy, frames",
    [(None, (True, False)), ("auto", (True, False)), ("header", (True, False)),
     ("footer", (False, True)), ("both", (True, True)), ("none", (False, False))],
)
def test_aggregate_hash_placement(policy, frames, tmp_path):
    arr = np.arange(6, dtype=np.float32)
    msg = tensogram.encode({}, [(desc([6]), arr)], aggregate_hash=policy)
    assert _hash_frames(msg) == frames
    meta, objects = tensogram.decode(msg, verify_hash=True)  # per-object hashes always
    np.testing.assert_array_equal(objects[0][1], arr)
    assert tensogram.validate(msg, level="checksum")["issues"] == []
    # Without hashing there is no aggregate frame, whatever the policy.
    assert _hash_frames(tensogram.encode({}, [(desc([6]), arr)], hash=None,
                                         aggregate_hash=policy)) == (False, False)
    path = str(tmp_path / "agg.tgm")
    with tensogram.TensogramFile.create(path) as f:
        f.append({}, [(desc([6]), arr)], aggregate_hash=policy)
        assert _hash_frames(f.read_message(0)) == frames


def test_aggregate_hash_errors():
    arr = np.zeros(2, dtype=np.float32)
    with pytest.raises(ValueError, match="unknown aggregate_hash policy \"sideways\""):
        tensogram.encode({}, [(desc([2]), arr)], aggregate_hash="sideways")
    with pytest.raises(TypeError):
        tensogram.encode({}, [(desc([2]), arr)], aggregate_hash=1)
    with pytest.raises(ValueError, match="aggregate_hash"):
        tensogram.encode({}, [(desc([2]), arr)], aggregate_hash="Header")


def test_pre_encoded_is_written_into_the_result():
    # The payloads go into the message's bytes object directly: the
    # result is exactly sized and holds each payload once.
    raw = np.arange(1 << 16, dtype=np.float32)
    payload = raw.tobytes()
    msg = tensogram.encode_pre_encoded({}, [(desc(raw.shape), payload)])
    assert sys.getsizeof(msg) - len(msg) < 64
    assert msg.count(payload[:4096]) == 1
    np.testing.assert_array_equal(tensogram.decode(msg, verify_hash=True).objects[0][1], raw)
