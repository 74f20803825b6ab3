"""Metadata: the message-level dict rules and the Metadata mapping."""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping

import numpy as np
import pytest
from conftest import desc

import tensogram


def encode_meta(meta, n=1):
    pairs = [(desc([2]), np.zeros(2, dtype=np.float32))] * n
    return tensogram.encode(meta, pairs)


def test_sections_version_and_reserved():
    msg = encode_meta({"base": [{"mars": {"param": "2t", "levelist": 850}}],
                       "_extra_": {"source": "test"}, "experiment": "x1"})
    meta = tensogram.decode_metadata(msg)
    assert isinstance(meta, tensogram.Metadata) and isinstance(meta, Mapping)
    assert meta.version == 3
    assert meta.base[0]["mars"] == {"param": "2t", "levelist": 850}
    # The encoder records each object's tensor layout under _reserved_.
    assert meta.base[0]["_reserved_"]["tensor"]["shape"] == [2]
    assert meta.extra == {"source": "test", "experiment": "x1"}
    assert set(meta.reserved) >= {"encoder", "time", "uuid"}
    assert meta.reserved["encoder"]["version"] == tensogram.__library_version__
    assert repr(meta).startswith("Metadata(version=3, base_len=1")


def test_mapping_protocol_first_match_base_then_extra():
    msg = encode_meta({"base": [{"a": 1, "shared": "first"}, {"b": 2, "shared": "second"}],
                       "_extra_": {"shared": "extra", "c": 3}}, n=2)
    meta = tensogram.decode_metadata(msg)
    assert meta["a"] == 1 and meta["b"] == 2 and meta["c"] == 3
    assert meta["shared"] == "first"
    assert "a" in meta and "zzz" not in meta and "_reserved_" not in meta
    with pytest.raises(KeyError):
        meta["zzz"]
    with pytest.raises(KeyError):
        meta["_reserved_"]
    assert meta.get("zzz") is None and meta.get("zzz", 7) == 7 and meta.get("c") == 3
    assert meta.keys() == ["a", "shared", "b", "c"]
    assert meta.values() == [1, "first", 2, 3]
    assert meta.items() == list(zip(meta.keys(), meta.values()))
    assert list(meta) == meta.keys() and len(meta) == 4
    assert dict(meta.items())["shared"] == "first"


def test_dotted_paths():
    msg = encode_meta({"base": [{"mars": {"param": "2t", "step": 6}}, {"mars": {"param": "msl"}}],
                       "_extra_": {"mars": {"class": "od"}, "run": {"id": 9}}}, n=2)
    meta = tensogram.decode_metadata(msg)
    assert meta.get_path("mars.param") == "2t"  # first base entry wins
    # Each section is walked with the whole path: base[0] has no
    # mars.class, base[1] neither, so _extra_ answers.
    assert meta.get_path("mars.class") == "od"
    assert meta.get_path("extra.mars.class") == "od"
    assert meta.get_path("_extra_.run.id") == 9 and meta.get_path("run.id") == 9
    assert meta.get_path("nope.x", "dflt") == "dflt"
    assert meta.has_path("mars.step") and not meta.has_path("mars.nope")
    assert meta.get_path_at(1, "mars.param") == "msl"
    assert meta.get_path_at(1, "run.id") is None  # no extra fallback per object
    assert meta.has_path_at(0, "mars.step") and not meta.has_path_at(5, "mars")
    assert meta.get_path("_reserved_.tensor") is None  # hidden at the first segment
    assert meta.get_path("") is None and meta.get_path(".x") is None


def test_metadata_value_types_roundtrip_exactly():
    floats = [0.1 + 0.2, 273.15000000000003, 1e-320, 5e-324, 1.7976931348623157e308, -0.0,
              2.0 ** -1074 * 3]
    rng = np.random.default_rng(7)
    bits = rng.integers(0, 2**63, size=2000, dtype=np.uint64).view(np.float64)
    floats += [float(x) for x in bits if np.isfinite(x)]
    value = {"f": floats, "i": [0, -1, 2**63 - 1, -(2**63), 2**64 - 1], "b": [True, False],
             "n": None, "s": "héllo \"quoted\"\n\u00e9\u4e2d", "nested": {"l": [[1], {"x": []}]},
             "np": [np.float32(1.5), np.int64(-3), np.bool_(True), np.uint8(200)]}
    meta = tensogram.decode_metadata(encode_meta({"_extra_": value}))
    out = meta.extra
    pack = [struct.pack("<d", x) for x in floats]
    assert [struct.pack("<d", x) for x in out["f"]] == pack  # bit for bit
    assert out["i"] == value["i"]
    assert out["b"] == [True, False] and type(out["b"][0]) is bool
    assert out["n"] is None and out["s"] == value["s"]
    assert out["nested"] == {"l": [[1], {"x": []}]}
    assert out["np"] == [1.5, -3, True, 200]
    assert type(out["np"][1]) is int and type(out["np"][0]) is float
    # Integers past 64 bits raise instead of becoming floats (the reference
    # binding silently makes them floats; issue 12 item 9, test_safety.py).
    with pytest.raises(ValueError, match="outside the range stored exactly"):
        encode_meta({"big": 2**70})


def test_unrepresentable_values_raise_value_error():
    for bad in (b"bytes", object(), {1: "int key"}):
        with pytest.raises(ValueError):
            encode_meta({"_extra_": {"k": bad}})


def test_checks_reach_every_level_and_every_kind_of_container():
    """Integers and keys are checked wherever they sit: in lists, tuples,
    nested maps, Mapping subclasses, int subclasses, descriptors."""
    import collections
    import enum

    class Big(enum.IntEnum):
        V = 2**65

    for bad in ([1, [2, 2**64]], (0, -(2**63) - 1), {"a": {"b": [{"c": 2**70}]}},
                collections.OrderedDict(x=[Big.V]), [Big.V]):
        with pytest.raises(ValueError, match="outside the range stored exactly"):
            encode_meta({"_extra_": {"k": bad}})
        with pytest.raises(ValueError, match="outside the range stored exactly"):
            encode_meta({"base": [{"k": bad}]})
    for bad in ([{"ok": 1, 2: "int key"}], collections.OrderedDict([((1,), 2)])):
        with pytest.raises(ValueError, match="keys must be strings"):
            encode_meta({"_extra_": {"k": bad}})
    with pytest.raises(ValueError, match="outside the range stored exactly"):
        tensogram.encode({}, [({**desc([2]), "p": [1, 2**64]}, np.zeros(2, np.float32))])
    # At the edges of the range, and subclasses of the leaf types, pass.
    ok = {"k": [2**64 - 1, -(2**63), (True, None, "s", 1.5)],
          "od": collections.OrderedDict(a=1), "e": [enum.IntEnum("E", "A").A]}
    out = tensogram.decode_metadata(encode_meta({"_extra_": ok})).extra
    assert out["k"] == [2**64 - 1, -(2**63), [True, None, "s", 1.5]]
    assert out["od"] == {"a": 1} and out["e"] == [1]


def test_non_finite_floats_round_trip():
    value = {"nan": float("nan"), "inf": float("inf"), "ninf": -math.inf,
             "list": [1.5, math.nan, np.float32("inf")], "nested": {"x": -math.inf}}
    msg = encode_meta({"_extra_": value, "base": [{"v": math.nan}]})
    meta = tensogram.decode_metadata(msg)
    out = meta.extra
    assert math.isnan(out["nan"]) and out["inf"] == math.inf and out["ninf"] == -math.inf
    assert out["list"][0] == 1.5 and math.isnan(out["list"][1]) and out["list"][2] == math.inf
    assert out["nested"] == {"x": -math.inf}
    assert math.isnan(meta.base[0]["v"])
    # Stored as the reference stores f64 NaN / Inf: the shortest exact CBOR
    # float, half precision (f9 7e00, f9 7c00, f9 fc00).
    assert b"\x63nan\xf9\x7e\x00" in msg
    assert b"\x63inf\xf9\x7c\x00" in msg
    assert b"\x64ninf\xf9\xfc\x00" in msg
    # Every NaN becomes the quiet NaN (its sign and payload are not kept).
    neg_nan = struct.unpack("<d", struct.pack("<Q", 0xFFF8000000000001))[0]
    got = tensogram.decode_metadata(encode_meta({"k": neg_nan})).extra["k"]
    assert struct.pack("<d", got) == struct.pack("<Q", 0x7FF8000000000000)
    # The same through a file and the streaming encoder.
    enc = tensogram.StreamingEncoder({"k": math.inf})
    enc.write_preceder({"p": math.nan})
    enc.write_object(desc([1]), np.zeros(1, np.float32))
    m = tensogram.decode(enc.finish()).metadata
    assert m.extra["k"] == math.inf and math.isnan(m.base[0]["p"])


def test_global_metadata_rules():
    msg = encode_meta({"version": 99})
    assert tensogram.decode_metadata(msg).extra["version"] == 99  # free-form key
    msg = encode_meta({"version": 99, "_extra_": {"version": 1}})
    assert tensogram.decode_metadata(msg).extra["version"] == 1  # explicit _extra_ wins
    msg = encode_meta({"extra": {"alias": True}})
    assert tensogram.decode_metadata(msg).extra == {"alias": True}
    msg = encode_meta({"_extra_": {"wire": True}, "extra": {"alias": True}})
    assert tensogram.decode_metadata(msg).extra.get("wire") is True
    with pytest.raises(ValueError, match="'extra' must be a dict"):
        encode_meta({"extra": "x"})
    with pytest.raises(ValueError, match="'_extra_' must be a dict"):
        encode_meta({"_extra_": [1]})
    with pytest.raises(ValueError, match="_reserved_"):
        encode_meta({"_reserved_": {}})
    with pytest.raises(ValueError, match="_reserved_"):
        encode_meta({"base": [{"_reserved_": {}}]})
    with pytest.raises(ValueError, match="list of dicts"):
        encode_meta({"base": None})
    with pytest.raises(ValueError, match="expected a dict"):
        encode_meta({"base": ["not a dict"]})
    with pytest.raises(ValueError):
        encode_meta({"base": [{}, {}, {}]})  # more base entries than objects
    meta = tensogram.decode_metadata(encode_meta({"base": []}, n=2))
    assert len(meta.base) == 2  # filled in by the encoder


def test_unicode_keys_and_values():
    msg = encode_meta({"base": [{"température": "°C", "名前": "気温"}]})
    meta = tensogram.decode_metadata(msg)
    assert meta["température"] == "°C" and meta["名前"] == "気温"


def test_metadata_equality_and_to_dict():
    msg = encode_meta({"base": [{"a": 1}]})
    m1, m2 = tensogram.decode_metadata(msg), tensogram.decode(msg).metadata
    assert m1 == m2
    d = m1.to_dict()
    assert d["base"][0]["a"] == 1 and "_reserved_" in d and d["_extra_"] == {}


def test_decode_metadata_touches_no_payload():
    arr = np.arange(8, dtype=np.float32)
    msg = bytearray(tensogram.encode({"base": [{"k": "v"}]}, [(desc([8]), arr)]))
    pos = bytes(msg).find(arr.tobytes())
    msg[pos:pos + 32] = b"\xff" * 32  # corrupt the payload only
    assert tensogram.decode_metadata(bytes(msg))["k"] == "v"
