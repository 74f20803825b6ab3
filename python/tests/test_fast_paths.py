"""The C fast paths of encode and decode give what the general path gives.

tensogram.encode first offers its arguments to the extension's
encode_fast, which handles plain inputs in C and returns None for anything
else; tensogram.decode does the same with decode_fast, whose Message builds
the metadata and descriptors of small messages on first use.  These tests
run the same inputs both ways (the general path forced by making the fast
function decline) and compare the bytes and the decoded objects, and check
that the inputs the fast path must not decide on are passed over.
"""

from __future__ import annotations

import copy
import json
import math
import pickle

import numpy as np
import pytest

import tensogram
from tensogram import _tensogram as _c

# Fixed provenance, so that two encodes of the same input give the same bytes.
PROVENANCE = json.dumps(
    {"encoder": {"name": "t", "version": "1"}, "time": "2026-01-01T00:00:00Z",
     "uuid": "00000000-0000-4000-8000-000000000000"}
)

DEFAULTS = ("xxh3", 0, False, False, None, None, None, None)


@pytest.fixture
def fixed_provenance(monkeypatch):
    monkeypatch.setenv("TENSOGRAM_PROVENANCE", PROVENANCE)


def general_encode(monkeypatch, meta, pairs, **kw):
    with monkeypatch.context() as m:
        m.setattr(_c, "encode_fast", lambda *a: None)
        return tensogram.encode(meta, pairs, **kw)


def fast(meta, pairs, *args):
    return _c.encode_fast(meta, pairs, *(args or DEFAULTS), None)


def d(shape, dtype="float32", **kw):
    return {"type": "ntensor", "shape": list(shape), "dtype": dtype, **kw}


A = np.arange(12, dtype=np.float32).reshape(3, 4)

FAST_CASES = {
    "empty metadata": ({}, [(d([3, 4]), A)]),
    "base and extra": ({"base": [{"name": "x", "i": 7}], "_extra_": {"run": 1}},
                       [(d([3, 4]), A)]),
    "extra alias and top-level keys": (
        {"extra": {"a": 1, "b": 2}, "b": "ignored", "c": [1, 2.5, None, True, False]},
        [(d([3, 4]), A)]),
    "_extra_ wins over extra": ({"_extra_": {"a": 1}, "extra": {"z": 9}, "q": 0},
                                [(d([3, 4]), A)]),
    "values": ({"base": [{
        "floats": [0.1, 1e16, -0.0, 1.5e-300, 2.0**70, 3.0],
        "non-finite": [math.nan, math.inf, -math.inf],
        "ints": [0, -1, 2**63 - 1, -(2**63), 2**64 - 1],
        "text": "a\"b\\c\nd\te\x00f\x1f\u00e9\u4e2d\U0001f600/",
        "nested": {"t": (1, (2, [3, {"k": {}}])), "e": [], "m": {}},
        "\u00e9 key \"q\"": None,
    }]}, [(d([3, 4]), A)]),
    "descriptor keys": ({}, [(d([3, 4], byte_order="little", strides=[4, 1], encoding="none",
                                filter="none", compression="none", hash="ignored",
                                ndim=99), A)]),
    "parameters": ({}, [(d([3, 4], compression="zstd", zstd_level=3,
                           custom={"x": [1, 2]}), A)]),
    "several objects and dtypes": ({"base": [{}, {"k": 1}, {}, {}]}, [
        (d([5], "uint8"), np.arange(5, dtype=np.uint8)),
        (d([2, 2], "complex64"), np.ones((2, 2), dtype=np.complex64)),
        (d([3], "float16"), np.array([1, 2, 3], dtype=np.float16)),
        (d([4], "int64"), np.array([-1, 0, 1, 2**62], dtype=np.int64)),
    ]),
    "bytes data and list pairs": ({}, [[d([4], "uint8"), b"\x01\x02\x03\x04"]]),
    "bool array": ({}, [(d([3], "uint8"), np.array([True, False, True]))]),
    "no objects": ({"x": 1}, []),
    "empty array": ({}, [(d([0]), np.zeros(0, dtype=np.float32))]),
    "0-d array": ({}, [(d([]), np.array(2.5, dtype=np.float32))]),
}


@pytest.mark.parametrize("case", list(FAST_CASES))
@pytest.mark.parametrize("hash_", ["xxh3", None])
def test_fast_encode_gives_the_general_bytes(case, hash_, fixed_provenance, monkeypatch):
    meta, pairs = FAST_CASES[case]
    out = fast(meta, pairs, hash_, 0, False, False, None, None, None, None)
    assert out is not None, "the fast path declined a plain input"
    assert out == general_encode(monkeypatch, meta, pairs, hash=hash_)
    assert tensogram.encode(meta, pairs, hash=hash_) == out


def test_fast_encode_of_a_large_message(fixed_provenance, monkeypatch):
    big = np.arange(1 << 18, dtype=np.float64)  # 2 MiB: past the scratch buffer
    pairs = [(d([1 << 18], "float64"), big)]
    out = fast({"x": 1}, pairs)
    assert out is not None
    assert out == general_encode(monkeypatch, {"x": 1}, pairs)
    zpairs = [(d([1 << 18], "float64", compression="zstd"), big)]
    assert fast({}, zpairs) == general_encode(monkeypatch, {}, zpairs)


class Meta(dict):
    pass


DECLINED = {
    "numpy scalar in metadata": ({"base": [{"v": np.float64(1.5)}]}, [(d([3, 4]), A)]),
    "dict subclass": (Meta(a=1), [(d([3, 4]), A)]),
    "int too large": ({"a": 2**64}, [(d([3, 4]), A)]),
    "int too small": ({"a": -(2**63) - 1}, [(d([3, 4]), A)]),
    "non-str key": ({"a": {1: 2}}, [(d([3, 4]), A)]),
    "bytes value": ({"a": b"x"}, [(d([3, 4]), A)]),
    "_reserved_ given": ({"_reserved_": {}}, [(d([3, 4]), A)]),
    "_reserved_ in base": ({"base": [{"_reserved_": 1}]}, [(d([3, 4]), A)]),
    "base not a list": ({"base": ({},)}, [(d([3, 4]), A)]),
    "metadata None": (None, [(d([3, 4]), A)]),
    "too deep": ({"a": json.loads("[" * 100 + "]" * 100)}, [(d([3, 4]), A)]),
    "lone surrogate": ({"a": "\ud800"}, [(d([3, 4]), A)]),
    "metadata-like descriptor key": ({}, [(d([3, 4], name="x"), A)]),
    "unknown dtype": ({}, [(d([3, 4], "float128"), A)]),
    "shape of bools": ({}, [({"type": "ntensor", "shape": [True], "dtype": "uint8"},
                             np.zeros(1, np.uint8))]),
    "negative shape": ({}, [(d([-1]), A)]),
    "missing type": ({}, [({"shape": [3, 4], "dtype": "float32"}, A)]),
    "bad byte order": ({}, [(d([3, 4], byte_order="middle"), A)]),
    "byte swap needed": ({}, [(d([3, 4], byte_order="big"), A)]),
    "big-endian array": ({}, [(d([3, 4]), A.astype(">f4"))]),
    "non-contiguous array": ({}, [(d([4]), np.arange(8, dtype=np.float32)[::2])]),
    "list data": ({}, [(d([2]), [1.0, 2.0])]),
    "user codec name": ({}, [(d([3, 4], compression="no-such-codec"), A)]),
    "NaN in data": ({}, [(d([2]), np.array([1.0, np.nan], dtype=np.float32))]),
    "pairs as a generator": ({}, ((d([3, 4]), A) for _ in range(1))),
    "pair of three": ({}, [(d([3, 4]), A, None)]),
    "shape mismatch": ({}, [(d([5]), A)]),
}


@pytest.mark.parametrize("case", list(DECLINED))
def test_fast_encode_declines_what_python_decides(case):
    meta, pairs = DECLINED[case]
    assert fast(meta, pairs) is None


@pytest.mark.parametrize(
    "args",
    [
        ("xxh3", 0, True, False, None, None, None, None),  # allow_nan
        ("xxh3", 0, False, 0, None, None, None, None),  # 0 is not False
        ("xxh3", 0, False, False, "rle", None, None, None),
        ("xxh3", 0, False, False, None, None, None, 16),
        ("xxh3", np.int64(0), False, False, None, None, None, None),
        ("xxh3", True, False, False, None, None, None, None),
        ("xxh3", -1, False, False, None, None, None, None),
        (b"xxh3", 0, False, False, None, None, None, None),
    ],
)
def test_fast_encode_declines_other_options(args):
    assert fast({}, [(d([3, 4]), A)], *args) is None
    assert _c.encode_fast({}, [(d([3, 4]), A)], *DEFAULTS, "footer") is None


def test_errors_are_the_general_paths(monkeypatch):
    for meta, pairs in (DECLINED["int too large"][0], [(d([3, 4]), A)]), (
        {}, [(d([5]), A)]
    ), ({}, [(d([2]), np.array([1.0, np.nan], dtype=np.float32))]):
        with pytest.raises(ValueError) as fast_err:
            tensogram.encode(meta, pairs)
        with pytest.raises(ValueError) as general_err:
            general_encode(monkeypatch, meta, pairs)
        assert str(fast_err.value) == str(general_err.value)


# ---- decode -------------------------------------------------------------------------------


def general_decode(monkeypatch, buf, **kw):
    with monkeypatch.context() as m:
        m.setattr(_c, "decode_fast", lambda *a: None)
        return tensogram.decode(buf, **kw)


def same_message(a, b):
    assert type(a) is type(b) is tensogram.Message
    # (repr: NaN values compare unequal)
    assert repr(a.metadata.to_dict()) == repr(b.metadata.to_dict())
    assert repr(a.metadata) == repr(b.metadata)
    assert len(a.objects) == len(b.objects)
    for (da, xa), (db, xb) in zip(a.objects, b.objects):
        assert isinstance(da, tensogram.DataObjectDescriptor)
        assert da == db and da.to_dict() == db.to_dict() and repr(da) == repr(db)
        assert xa.dtype == xb.dtype and xa.shape == xb.shape
        assert xa.tobytes() == xb.tobytes()


@pytest.mark.parametrize("case", ["base and extra", "values", "several objects and dtypes",
                                  "parameters", "no objects", "empty array", "0-d array"])
def test_fast_decode_gives_the_general_message(case, monkeypatch):
    msg = tensogram.encode(*FAST_CASES[case])
    out = _c.decode_fast(msg, True, 0, True, False)
    assert out is not None
    same_message(out, general_decode(monkeypatch, msg))
    same_message(tensogram.decode(msg), general_decode(monkeypatch, msg))
    for kw in ({"native_byte_order": False}, {"verify_hash": True}, {"threads": 2},
               {"restore_non_finite": False}):
        same_message(tensogram.decode(msg, **kw), general_decode(monkeypatch, msg, **kw))


def test_lazy_metadata_behaves_as_built(monkeypatch):
    msg = tensogram.encode({"base": [{"name": "x"}], "run": 3}, [(d([3, 4]), A)])
    meta, objects = tensogram.decode(msg)
    assert repr(meta) == repr(general_decode(monkeypatch, msg).metadata)
    assert meta["name"] == "x" and meta["run"] == 3 and "run" in meta
    meta.base[0]["name"] = "changed"  # the built values are kept: edits stay
    assert meta["name"] == "changed" and meta.base[0]["name"] == "changed"
    copied = copy.deepcopy(meta)
    assert copied == meta and copied.base is not meta.base
    assert pickle.loads(pickle.dumps(meta)) == meta
    desc = objects[0][0]
    assert desc.shape == [3, 4] and desc.dtype == "float32" and desc.params == {}
    assert pickle.loads(pickle.dumps(desc)) == desc
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        meta.nope
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        desc.nope


def test_each_lazy_value_is_built_from_its_own_message(monkeypatch):
    msgs = [tensogram.encode({"i": i}, [(d([1]), np.full(1, i, np.float32))]) for i in range(3)]
    decoded = [tensogram.decode(m) for m in msgs]
    del msgs
    for i, (meta, objects) in enumerate(decoded):
        assert meta["i"] == i and objects[0][1][0] == i


def test_large_message_decodes_the_same(monkeypatch):
    big = np.arange(1 << 18, dtype=np.float64)
    msg = tensogram.encode({"k": "v"}, [(d([1 << 18], "float64"), big)])
    out = tensogram.decode(msg)
    same_message(out, general_decode(monkeypatch, msg))
    meta = out.metadata
    del out
    assert meta["k"] == "v"


def test_fast_decode_declines_other_arguments():
    msg = tensogram.encode({}, [(d([3, 4]), A)])
    for args in ((bytearray(msg), True, 0, True, False), (memoryview(msg), True, 0, True, False),
                 (msg, True, True, True, False), (msg, True, -1, True, False),
                 (msg, True, 2**40, True, False), (msg, True, np.int64(0), True, False)):
        assert _c.decode_fast(*args) is None
    assert tensogram.decode(bytearray(msg)).objects[0][1].tolist() == A.tolist()
    with pytest.raises(TypeError):
        tensogram.decode(msg, threads=True)
    with pytest.raises(ValueError):
        tensogram.decode(msg, threads=-1)


def test_fast_decode_raises_the_librarys_errors(monkeypatch):
    msg = tensogram.encode({}, [(d([3, 4]), A)])
    bad = msg[:-8] + b"\x00" * 8
    with pytest.raises(ValueError) as fast_err:
        tensogram.decode(bad)
    with pytest.raises(ValueError) as general_err:
        general_decode(monkeypatch, bad)
    assert str(fast_err.value) == str(general_err.value)


def test_large_compressed_encode_gives_the_copying_paths_bytes(fixed_provenance):
    # Poorly compressible values fill most of the capacity the binding
    # allocates (the bytes object then keeps its block); well compressible
    # ones are shrunk.  once=True runs the library's own buffer and a copy.
    from tensogram._model import descriptor_dict, metadata_json

    rng = np.random.default_rng(7)
    for values in (rng.random(1 << 18), np.zeros(1 << 18)):
        desc = d([1 << 18], "float64", compression="zstd")
        msg = tensogram.encode({}, [(desc, values)])
        text = metadata_json({}, [descriptor_dict(desc)])
        mask = (False, False, None, None, None, None)
        copied = _c.encode(text, [values], "xxh3", 0, mask, False, False, None, True)
        assert msg == copied and len(msg) == len(copied)
        assert np.array_equal(tensogram.decode(msg).objects[0][1], values)


def general_decode_object(monkeypatch, buf, index, **kw):
    with monkeypatch.context() as m:
        m.setattr(_c, "decode_object_fast", lambda *a: None)
        return tensogram.decode_object(buf, index, **kw)


@pytest.mark.parametrize("case", ["values", "several objects and dtypes", "0-d array"])
def test_fast_decode_object_gives_the_general_result(case, monkeypatch):
    meta, pairs = FAST_CASES[case]
    msg = tensogram.encode(meta, pairs)
    for i in range(len(pairs)):
        assert _c.decode_object_fast(msg, i, True, 0, True, False) is not None
        for kw in ({}, {"native_byte_order": False}, {"verify_hash": True}, {"threads": 2}):
            fm, fd, fa = tensogram.decode_object(msg, i, **kw)
            gm, gd, ga = general_decode_object(monkeypatch, msg, i, **kw)
            assert repr(fm.to_dict()) == repr(gm.to_dict())
            assert fd == gd and fd.to_dict() == gd.to_dict()
            assert fa.dtype == ga.dtype and fa.shape == ga.shape and fa.tobytes() == ga.tobytes()


def test_decode_object_errors_and_other_indexes(monkeypatch):
    msg = tensogram.encode(*FAST_CASES["several objects and dtypes"])
    for args in ((msg, -1, True, 0, True, False), (msg, True, True, 0, True, False),
                 (msg, np.int64(1), True, 0, True, False), (bytearray(msg), 0, True, 0, True, False),
                 (msg, 0, True, -1, True, False)):
        assert _c.decode_object_fast(*args) is None
    assert tensogram.decode_object(msg, -1)[1].dtype == "int64"
    with pytest.raises(ValueError) as fast_err:
        tensogram.decode_object(msg, 9)
    with pytest.raises(ValueError) as general_err:
        general_decode_object(monkeypatch, msg, 9)
    assert str(fast_err.value) == str(general_err.value)


# ---- kept encoders (python/src/encache.c) -----------------------------------------------
#
# Without TENSOGRAM_PROVENANCE, encode_fast keeps a library encoder per
# metadata text it has seen twice and writes later messages with it.  Each
# message then has its own UUID and time: the bytes are compared with the
# general path's once both messages' provenance texts, and the hash of the
# frame holding them, are blanked (validate checks that hash).


def blank_provenance(msg: bytes) -> bytes:
    """msg with its provenance UUID and time text, and the 8 bytes before
    the end of their frame (its hash when hashed), overwritten."""
    report = tensogram.validate(msg, level="full")
    assert [i for i in report["issues"] if i["code"] != "no_hash_available"] == [], report
    r = tensogram.decode_metadata(msg).reserved
    out = bytearray(msg)
    for text in (r["uuid"], r["time"]):
        t = text.encode()
        assert out.count(t) == 1
        at = out.find(t)
        out[at:at + len(t)] = b"0" * len(t)
    end = out.find(b"ENDF", out.find(b"0" * 36))
    out[end - 8:end] = bytes(8)
    return bytes(out)


def cache_info():
    return _c._encoder_cache_info()


@pytest.fixture
def fresh_cache(monkeypatch):
    monkeypatch.delenv("TENSOGRAM_PROVENANCE", raising=False)
    _c._encoder_cache_reset()
    yield
    _c._encoder_cache_reset()


def check_uuid_v4(msg: bytes) -> str:
    u = tensogram.decode_metadata(msg).reserved["uuid"]
    assert len(u) == 36 and u[14] == "4" and u[19] in "89ab", u
    return u


@pytest.mark.parametrize("case", list(FAST_CASES))
@pytest.mark.parametrize("hash_", ["xxh3", None])
def test_kept_encoder_gives_the_general_bytes(case, hash_, fresh_cache, monkeypatch):
    meta, pairs = FAST_CASES[case]
    outs = [tensogram.encode(meta, pairs, hash=hash_) for _ in range(4)]
    info = cache_info()
    assert info["made"] == 1 and info["hits"] == 2 and info["missed"] == 1, info
    general = blank_provenance(general_encode(monkeypatch, meta, pairs, hash=hash_))
    for out in outs:
        assert blank_provenance(out) == general
    uuids = {check_uuid_v4(out) for out in outs}
    assert len(uuids) == len(outs)
    # The messages decode to the inputs.
    for out in outs:
        got = tensogram.decode(out)
        assert len(got.objects) == len(pairs)
        for (_, want), (_, arr) in zip(pairs, got.objects):
            if isinstance(want, bytes):
                want = np.frombuffer(want, dtype=np.uint8)
            assert np.array_equal(np.asarray(arr), np.asarray(want), equal_nan=True)


def test_kept_encoder_takes_new_data_each_call(fresh_cache, monkeypatch):
    meta = {"base": [{"name": "x"}]}
    desc = d([3, 8, 8])
    for k in range(6):
        arr = np.full((3, 8, 8), k, dtype=np.float32) + np.arange(192, dtype=np.float32).reshape(
            3, 8, 8)
        out = tensogram.encode(meta, [(desc, arr)])
        assert np.array_equal(tensogram.decode(out).objects[0][1], arr)
        assert blank_provenance(out) == blank_provenance(
            general_encode(monkeypatch, meta, [(desc, arr)]))
    assert cache_info()["hits"] == 4


def test_kept_encoder_errors_are_the_general_paths(fresh_cache, monkeypatch):
    meta = {"k": 1}
    good = np.array([1.0, 2.0], dtype=np.float32)
    bad = np.array([1.0, np.nan], dtype=np.float32)
    for _ in range(3):
        tensogram.encode(meta, [(d([2]), good)])
    assert cache_info()["hits"] == 1
    with pytest.raises(ValueError) as fast_err:
        tensogram.encode(meta, [(d([2]), bad)])
    with pytest.raises(ValueError) as general_err:
        general_encode(monkeypatch, meta, [(d([2]), bad)])
    assert str(fast_err.value) == str(general_err.value)
    # Payload of the wrong length for the kept descriptor (bytes data).
    for _ in range(3):
        tensogram.encode({}, [(d([4], "uint8"), b"abcd")])
    with pytest.raises(ValueError) as fast_err:
        tensogram.encode({}, [(d([4], "uint8"), b"abc")])
    with pytest.raises(ValueError) as general_err:
        general_encode(monkeypatch, {}, [(d([4], "uint8"), b"abc")])
    assert str(fast_err.value) == str(general_err.value)
    # The encoder is still usable after a failed message.
    hits = cache_info()["hits"]
    out = tensogram.encode(meta, [(d([2]), good)])
    assert cache_info()["hits"] == hits + 1
    assert np.array_equal(tensogram.decode(out).objects[0][1], good)


def test_kept_encoder_steps_aside_for_fixed_provenance(fresh_cache, monkeypatch):
    pairs = [(d([3, 4]), A)]
    for _ in range(3):
        tensogram.encode({"x": 1}, pairs)
    assert cache_info()["hits"] == 1
    monkeypatch.setenv("TENSOGRAM_PROVENANCE", PROVENANCE)
    out = tensogram.encode({"x": 1}, pairs)
    assert cache_info()["hits"] == 1
    assert out == general_encode(monkeypatch, {"x": 1}, pairs)
    assert tensogram.decode_metadata(out).reserved["uuid"] == json.loads(PROVENANCE)["uuid"]


def test_kept_encoders_keyed_on_text_and_options(fresh_cache, monkeypatch):
    # More metadata texts than kept encoders, in turn, and the same text
    # with other options: each message is its own input's.
    metas = [{"i": i} for i in range(12)]
    for _ in range(3):
        for m in metas:
            for h in ("xxh3", None):
                out = tensogram.encode(m, [(d([3, 4]), A)], hash=h, threads=1)
                assert blank_provenance(out) == blank_provenance(
                    general_encode(monkeypatch, m, [(d([3, 4]), A)], hash=h, threads=1))
    # Changed only in a value, then changed back.
    for i in (1, 2, 1, 1, 2, 2):
        out = tensogram.encode({"i": i}, [(d([3, 4]), A)])
        assert tensogram.decode_metadata(out).extra == {"i": i}


def test_kept_encoder_shared_by_threads(fresh_cache):
    import threading

    arrays = [np.arange(192, dtype=np.float32).reshape(3, 8, 8) * k for k in range(4)]
    big = [np.arange(5000, dtype=np.float32) * k for k in range(4)]  # GIL released
    results = [[] for _ in arrays]
    errors = []

    def work(k):
        try:
            for i in range(300):
                meta = {"base": [{"name": "x", "k": k, "i": i}]}  # one encoder, values set
                results[k].append((tensogram.encode(meta, [(d([3, 8, 8]), arrays[k])]),
                                   tensogram.encode(meta, [(d([5000]), big[k])])))
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(len(arrays))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    uuids = set()
    for k, outs in enumerate(results):
        for i, (small, large) in enumerate(outs):
            for out, want in ((small, arrays[k]), (large, big[k])):
                got = tensogram.decode(out)
                assert np.array_equal(got.objects[0][1], want)
                entry = {key: v for key, v in got.metadata.base[0].items() if key != "_reserved_"}
                assert entry == {"name": "x", "k": k, "i": i}
            uuids.add(check_uuid_v4(small))
            uuids.add(check_uuid_v4(large))
    assert len(uuids) == 2 * sum(len(o) for o in results)
    assert cache_info()["hits"] > 0


# Metadata that differs only in top-level values of base entries or of
# _extra_: one kept encoder, given the changed values (tgm_encoder_set_*).
def patched_series():
    out = []
    for k, (i, f, s) in enumerate([
        (7, 0.5, "a"), (8, 0.5, "a"), (9, 1e16, "b"), (10, -0.0, "b"), (-(2**63), 3.0, "é\"\n"),
        (2**63 - 1, 1.5e-300, "\u4e2d\U0001f600"), (0, 2.0**70, ""), (300, 0.1, "x" * 300),
        (7, 0.5, "a"),
    ]):
        out.append({
            "base": [{"name": s, "i": i, "f": f, "fixed": [1, 2]}, {"j": k}],
            "_extra_": {"run": i, "tag": s},
            "top": f,
        })
    return out


def test_kept_encoder_takes_changed_values(fresh_cache, monkeypatch):
    pairs = [(d([3, 4]), A), (d([2], "int64"), np.array([5, 6], dtype=np.int64))]
    series = patched_series()
    for _ in range(2):
        for meta in series:
            out = tensogram.encode(meta, pairs)
            assert blank_provenance(out) == blank_provenance(general_encode(monkeypatch, meta,
                                                                            pairs))
            md = tensogram.decode_metadata(out)
            assert md.base[0]["i"] == meta["base"][0]["i"]
            assert md.base[0]["name"] == meta["base"][0]["name"]
            assert md.extra == {"run": meta["_extra_"]["run"], "tag": meta["_extra_"]["tag"],
                                "top": meta["top"]}
    info = cache_info()
    assert info["made"] == 1 and info["missed"] == 1, info
    assert info["patched"] == info["hits"] == 2 * len(series) - 2, info


def test_kept_encoder_takes_any_changed_value(fresh_cache, monkeypatch):
    # Values other than int, float and str are given as their JSON text.
    values = ([1, 2], [1, 3], True, False, None, 2**64 - 1, 2**63, 1, "1", 1.0, {"k": 1},
              {"k": 2, "a": [None, {"z": 0.5, "y": "\u00e9"}]}, (1, "x"), [], {}, "NaN",
              -(2**63), [2**64 - 1, -1.5e300])
    metas = [{"base": [{"v": v, "w": 0}], "top": v} for v in values]
    pairs = [(d([3, 4]), A)]
    for _ in range(2):
        for meta in metas:
            out = tensogram.encode(meta, pairs)
            assert blank_provenance(out) == blank_provenance(general_encode(monkeypatch, meta,
                                                                            pairs))
    info = cache_info()
    assert info["made"] == 1 and info["missed"] == 1, info
    assert info["patched"] == info["hits"] == 2 * len(metas) - 2, info


def test_values_a_kept_encoder_is_not_given(fresh_cache, monkeypatch):
    # Non-finite floats (at any depth, and JSON text that merely might hold
    # one) and keys with NUL stay in the key: such metadata has encoders of
    # its own, and each message is still its own input's.
    metas = [{"base": [{"v": v}]} for v in (
        math.nan, math.inf, -math.inf, [1, math.nan], {"k": [math.inf]}, ["NaN"], 1,
    )] + [{"\x00k": 1}, {"\x00k": 2}, {"k" + str(i): i for i in range(20)},
          {"k" + str(i): i + 1 for i in range(20)}]
    pairs = [(d([3, 4]), A)]
    for meta in metas:
        for _ in range(3):
            out = tensogram.encode(meta, pairs)
            assert blank_provenance(out) == blank_provenance(general_encode(monkeypatch, meta,
                                                                            pairs))
    info = cache_info()
    assert info["hits"] == info["made"] > 0 and info["patched"] == 0, info


def test_metadata_seen_once_keeps_the_kept_encoders(fresh_cache, monkeypatch):
    pairs = [(d([3, 4]), A)]
    steady = [{"k%d" % i: j} for i in range(8) for j in range(2)]
    for meta in steady:  # eight layouts, an encoder each
        tensogram.encode(meta, pairs)
    assert cache_info()["made"] == 8
    for i in range(50):  # fifty more layouts, each seen once
        tensogram.encode({"once%d" % i: i}, pairs)
    hits = cache_info()["hits"]
    for meta in steady:
        tensogram.encode(meta, pairs)
    info = cache_info()
    # One of the eight gave its slot to the first new layout; the others kept theirs.
    assert info["hits"] - hits == 14 and info["made"] == 9, info


def test_kept_encoder_errors_with_changed_values(fresh_cache, monkeypatch):
    # A base entry for an object the message lacks: the general path's
    # error from every call, whatever the values.
    meta = {"base": [{"i": 1}, {"j": 1}]}
    with pytest.raises(ValueError) as general_err:
        general_encode(monkeypatch, meta, [(d([3, 4]), A)])
    for j in range(4):
        meta = {"base": [{"i": 1}, {"j": j}]}
        with pytest.raises(ValueError) as fast_err:
            tensogram.encode(meta, [(d([3, 4]), A)])
        assert str(fast_err.value) == str(general_err.value)
