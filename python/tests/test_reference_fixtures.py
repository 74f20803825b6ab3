"""Messages written by the reference implementation (../shared/reference).

Skipped when the sample files are absent.  Each pipeline case must decode
to the reference's own decoding, bit for bit, and encoding the same input
here must decode to it as well.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import shared_dir

import tensogram

SHARED = shared_dir()
if SHARED is None:
    pytest.skip("reference sample files not found (set TGM_SHARED_DIR)", allow_module_level=True)

CODECS = SHARED / "codecs"
MANIFEST = json.loads((CODECS / "MANIFEST.json").read_text()) if CODECS.is_dir() else []
CASES = [c for c in MANIFEST if "reference_encode_error" not in c]


def switched_off():
    """Codecs the doctor report lists as not built in (e.g. sz3)."""
    return {f["name"] for f in tensogram.doctor()["features"] if f.get("state") == "off"}


def needs(case) -> str | None:
    comp = case["descriptor"].get("compression", "none")
    return comp if comp in switched_off() else None


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_reference_message_decodes_bit_for_bit(case):
    missing = needs(case)
    if missing:
        pytest.skip("codec %s not built in" % missing)
    name = case["name"]
    msg = (CODECS / (name + ".tgm")).read_bytes()
    expected = (CODECS / (name + ".out.bin")).read_bytes()
    meta, objects = tensogram.decode(msg, verify_hash=True)
    d, arr = objects[0]
    assert d.shape == case["descriptor"]["shape"] and d.dtype == case["descriptor"]["dtype"]
    assert arr.tobytes() == expected
    assert tensogram.validate(msg, level="full")["issues"] == []


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_encoding_the_reference_input_decodes_the_same(case):
    missing = needs(case)
    if missing:
        pytest.skip("codec %s not built in" % missing)
    name = case["name"]
    raw = (CODECS / (name + ".in.bin")).read_bytes()
    expected = (CODECS / (name + ".out.bin")).read_bytes()
    desc = {"type": "ntensor", **case["descriptor"]}
    desc.setdefault("byte_order", "little")
    options = dict(case["options"])
    msg = tensogram.encode({}, [(desc, raw)], **options)
    _, objects = tensogram.decode(msg)
    assert objects[0][1].tobytes() == expected


GOLDEN = SHARED / "golden"


@pytest.mark.skipif(not GOLDEN.is_dir(), reason="no golden directory")
@pytest.mark.parametrize("name", ["hash_xxh3", "mars_metadata", "multi_object",
                                  "multi_object_xxh3", "simple_f32", "multi_message"])
def test_golden_files(name):
    buf = (GOLDEN / (name + ".tgm")).read_bytes()
    messages = list(tensogram.iter_messages(buf, verify_hash="xxh3" in name))
    assert messages
    for meta, objects in messages:
        assert meta.version == 3
        for d, arr in objects:
            assert list(arr.shape) == d.shape or d.dtype == "bitmask"
    if name == "multi_message":
        assert len(messages) > 1
    if name.startswith("multi_object"):
        assert len(messages[0].objects) > 1
    if name == "mars_metadata":
        assert any("mars" in b for b in messages[0].metadata.base)


REMOTE = SHARED / "remote-parity"
COUNTS = {"single-msg": 1, "two-msg": 2, "ten-msg": 10, "hundred-msg": 100,
          "thousand-msg": 1000}


@pytest.mark.skipif(not REMOTE.is_dir(), reason="no remote-parity directory")
@pytest.mark.parametrize("name", sorted(COUNTS) + sorted(k + "-footer" for k in COUNTS
                                                         if k != "two-msg"))
def test_multi_message_files(name):
    path = REMOTE / (name + ".tgm")
    if not path.is_file():
        pytest.skip("%s absent" % path.name)
    with tensogram.TensogramFile.open(str(path)) as f:
        n = len(f)
        assert n == COUNTS[name.replace("-footer", "")]
        for i in sorted({0, n // 2, n - 1}):
            meta, objects = f[i]
            assert objects and meta.version == 3
        report = tensogram.validate_file(str(path), level="quick")
        assert len(report["messages"]) == n and report["file_issues"] == []


def test_metadata_parity_fixture():
    path = SHARED / "fixtures" / "metadata_parity.tgm"
    if not path.is_file():
        pytest.skip("metadata_parity.tgm absent")
    buf = path.read_bytes()
    meta = tensogram.decode_metadata(buf)
    full = tensogram.decode(buf).metadata
    assert meta.version == 3 and full.base
    for key in full.keys():
        assert full[key] == full.get(key)


def test_streaming_tail_fixture():
    path = REMOTE / "streaming-tail.tgm"
    if not path.is_file():
        pytest.skip("streaming-tail.tgm absent")
    with tensogram.TensogramFile.open(str(path)) as f:
        assert len(f) >= 1
        for meta, objects in f:
            assert meta.version == 3


MASK_CASES = [c for c in CASES if c["options"].get("allow_nan") or c["options"].get("allow_inf")]


@pytest.mark.parametrize("case", MASK_CASES, ids=[c["name"] for c in MASK_CASES])
def test_reference_masks(case):
    """decode_with_masks on the reference's messages: the masks are the
    positions of NaN / +Inf / -Inf in the encoder's input (complex: NaN in
    either part, else +Inf in either, else -Inf), the payload that input
    with those elements zeroed."""
    name = case["name"]
    msg = (CODECS / (name + ".tgm")).read_bytes()
    dtype = np.dtype(case["descriptor"]["dtype"]).newbyteorder("<")
    raw = np.frombuffer((CODECS / (name + ".in.bin")).read_bytes(), dtype=dtype)
    parts = [raw.real, raw.imag] if dtype.kind == "c" else [raw]
    nan = np.zeros(raw.size, bool)
    pos = np.zeros(raw.size, bool)
    neg = np.zeros(raw.size, bool)
    for p in parts:
        nan |= np.isnan(p)
    for p in parts:
        pos |= np.isposinf(p) & ~nan
    for p in parts:
        neg |= np.isneginf(p) & ~nan & ~pos
    _, objects = tensogram.decode_with_masks(msg)
    d, payload, masks = objects[0]
    expected = {k: m for k, m in (("nan", nan), ("inf+", pos), ("inf-", neg)) if m.any()}
    assert set(masks) == set(expected)
    for k, m in expected.items():
        assert masks[k].dtype == np.bool_ and masks[k].shape == (raw.size,)
        np.testing.assert_array_equal(masks[k], m)
    zeroed = raw.astype(dtype.newbyteorder("="))
    zeroed[nan | pos | neg] = 0
    assert payload.tobytes() == zeroed.tobytes()
    # The restored decode is still the reference's output.
    restored = tensogram.decode_object(msg, 0)[2]
    assert restored.tobytes() == (CODECS / (name + ".out.bin")).read_bytes()
    unrestored = tensogram.decode_object(msg, 0, restore_non_finite=False)[2]
    assert unrestored.tobytes() == zeroed.tobytes()


SZ3_DIR = SHARED / "sz3"
SZ3_CASES = (json.loads((SZ3_DIR / "MANIFEST.json").read_text()) if SZ3_DIR.is_dir() else [])


@pytest.mark.parametrize("case", SZ3_CASES, ids=[c["name"] for c in SZ3_CASES])
def test_reference_sz3_messages(case):
    """The reference's sz3 messages decode bit for bit, and encoding their
    input gives the same payload (SZ3's stream, byte for byte)."""
    if "sz3" in switched_off():
        pytest.skip("codec sz3 not built in")
    name = case["name"]
    msg = (SZ3_DIR / (name + ".tgm")).read_bytes()
    expected = (SZ3_DIR / (name + ".out.bin")).read_bytes()
    _, objects = tensogram.decode(msg, verify_hash=True)
    d, arr = objects[0]
    assert d.shape == case["descriptor"]["shape"]
    assert arr.tobytes() == expected
    raw = (SZ3_DIR / (name + ".in.bin")).read_bytes()
    desc = {"type": "ntensor", "byte_order": "little", **case["descriptor"]}
    mine = tensogram.encode({}, [(desc, raw)])
    _, back = tensogram.decode(mine)
    assert back[0][1].tobytes() == expected
    # The payload, SZ3's stream, is the reference's byte for byte: it sits
    # in the message followed by the descriptor frame's tail.
    stream = msg[msg.index(b"\x10\xf3\x42\xf3"):]
    theirs = stream[:16 + int.from_bytes(stream[8:16], "little")]
    assert theirs in mine


@pytest.mark.parametrize("mode,bound", [("abs", 1e-3), ("rel", 1e-4), ("psnr", 70.0)])
def test_sz3_round_trip_within_bound(mode, bound):
    if "sz3" in switched_off():
        pytest.skip("codec sz3 not built in")
    x = np.linspace(0, 20, 5000)
    values = 280 + 30 * np.sin(x) + 0.01 * np.cos(37 * x)
    desc = {"type": "ntensor", "shape": [50, 100], "dtype": "float64", "encoding": "none",
            "filter": "none", "compression": "sz3", "sz3_error_bound_mode": mode,
            "sz3_error_bound": bound}
    msg = tensogram.encode({}, [(desc, values.reshape(50, 100))])
    _, objects = tensogram.decode(msg)
    back = objects[0][1].reshape(-1)
    rng = values.max() - values.min()
    eb = {"abs": bound, "rel": bound * rng,
          "psnr": rng * 10 ** (-(bound + 10 * np.log10(1 - 2.0 / 3 * 0.99)) / 20)}[mode]
    assert np.max(np.abs(back - values)) <= eb
    with pytest.raises(ValueError, match="only supports dtype=float64"):
        desc32 = dict(desc, dtype="float32")
        tensogram.encode({}, [(desc32, values.astype(np.float32).reshape(50, 100))])
