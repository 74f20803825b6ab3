#!/usr/bin/env python3
"""Generate known-bad Tensogram messages, one file per defect.

Every file is built from scratch here (hand-assembled frames and CBOR), so
the expected outcome is independent of the library under test.  The
manifest maps each file to the error code decoding must return and a
substring of the message.  Run from this directory:  python3 gen_bad.py
"""
import json
import struct



def cbor_head(major, arg):
    if arg < 24:
        return bytes([major << 5 | arg])
    for ai, fmt, lim in ((24, ">B", 0xFF), (25, ">H", 0xFFFF), (26, ">I", 0xFFFFFFFF)):
        if arg <= lim:
            return bytes([major << 5 | ai]) + struct.pack(fmt, arg)
    return bytes([major << 5 | 27]) + struct.pack(">Q", arg)


def cbor(v):
    """Canonical CBOR of a small Python value (dict keys sorted canonically)."""
    if isinstance(v, bool):
        return b"\xf5" if v else b"\xf4"
    if v is None:
        return b"\xf6"
    if isinstance(v, int):
        return cbor_head(0, v) if v >= 0 else cbor_head(1, -1 - v)
    if isinstance(v, float):
        return b"\xfb" + struct.pack(">d", v)
    if isinstance(v, str):
        b = v.encode()
        return cbor_head(3, len(b)) + b
    if isinstance(v, bytes):
        return cbor_head(2, len(v)) + v
    if isinstance(v, list):
        return cbor_head(4, len(v)) + b"".join(cbor(x) for x in v)
    if isinstance(v, dict):
        items = sorted(((cbor(k), cbor(x)) for k, x in v.items()), key=lambda kv: kv[0])
        return cbor_head(5, len(items)) + b"".join(k + x for k, x in items)
    raise TypeError(v)


def pad8(b):
    return b + b"\0" * ((8 - len(b) % 8) % 8)


def frame(ftype, body, flags=0, total=None):
    tl = 16 + len(body) + 12 if total is None else total
    return pad8(b"FR" + struct.pack(">HHHQ", ftype, 1, flags, tl) + body + b"\0" * 8 + b"ENDF")


def data_frame(payload, desc, flags=1, cbor_offset=None, total=None):
    d = cbor(desc)
    co = 16 + len(payload) if cbor_offset is None else cbor_offset
    tl = 16 + len(payload) + len(d) + 20 if total is None else total
    body = payload + d
    return pad8(b"FR" + struct.pack(">HHHQ", 9, 1, flags, tl) + body +
                struct.pack(">QQ", co, 0) + b"ENDF")


def desc(**over):
    d = {"type": "ntensor", "ndim": 1, "shape": [4], "strides": [1], "dtype": "float32",
         "byte_order": "little", "encoding": "none", "filter": "none", "compression": "none"}
    d.update(over)
    for k in [k for k, v in d.items() if v is ...]:
        del d[k]
    return d


PAYLOAD = struct.pack("<4f", 1, 2, 3, 4)
META = frame(1, cbor({"base": [{"name": "x"}]}))


def message(frames, flags=0x01, total=None, post_total=None, ffo=None, version=3):
    body = b"".join(frames)
    n = 24 + len(body) + 24
    tl = n if total is None else total
    pt = tl if post_total is None else post_total
    ff = 24 + len(body) if ffo is None else ffo
    return (b"TENSOGRM" + struct.pack(">HHIQ", version, flags, 0, tl) + body +
            struct.pack(">QQ", ff, pt) + b"39277777")


GOOD = message([META, data_frame(PAYLOAD, desc())])

cases = {}


def case(name, data, code, text):
    cases[name] = {"code": code, "contains": text}
    with open(name, "wb") as f:
        f.write(data)


# --- preamble / postamble -------------------------------------------------
case("empty.tgm", b"", "FRAMING", "too short for preamble")
case("wrong_magic.tgm", b"TENSOGRX" + GOOD[8:], "FRAMING", "invalid magic")
case("version_2.tgm", GOOD[:8] + struct.pack(">H", 2) + GOOD[10:], "FRAMING",
     "unsupported message version 2")
case("truncated_half.tgm", GOOD[: len(GOOD) // 2], "FRAMING", "exceeds buffer size")
case("end_magic_corrupt.tgm", GOOD[:-8] + b"39277778", "FRAMING", "end magic")
case("postamble_total_mismatch.tgm", message([META, data_frame(PAYLOAD, desc())],
     post_total=len(GOOD) - 1), "FRAMING", "does not match preamble total_length")
# SEC-001: non-zero total_length below the 48-byte minimum.
case("sec001_total_length_10.tgm", b"TENSOGRM" + struct.pack(">HHIQ", 3, 0, 0x524D0003, 10) +
     b"\0" * 40, "FRAMING", "smaller than the minimum message size")
# SEC-002 / SEC-007: total_length near u64::MAX.
case("sec002_total_length_huge.tgm", b"TENSOGRM" + struct.pack(">HHIQ", 3, 0, 0, 2**64 - 1) +
     b"\0" * 40, "FRAMING", "exceeds buffer size")
# --- frames --------------------------------------------------------------
# SEC-004 / SEC-006: a frame claiming total_length u64::MAX.
huge = b"FR" + struct.pack(">HHHQ", 9, 1, 0, 2**64 - 1)
case("sec004_frame_total_huge.tgm", message([META, pad8(huge + b"\0" * 16)], flags=0x81),
     "FRAMING", "exceeds the")
case("frame_type_4.tgm", message([META, frame(4, b"\xa0")]), "FRAMING", "reserved frame type 4")
case("frame_type_12.tgm", message([META, frame(12, b"\xa0")]), "FRAMING", "unknown frame type: 12")
case("frame_total_below_minimum.tgm",
     message([META, pad8(b"FR" + struct.pack(">HHHQ", 1, 1, 0, 20) + b"\0" * 12)]),
     "FRAMING", "smaller than the minimum")
case("missing_endf.tgm", message([META, frame(2, cbor({"offsets": [], "lengths": []}))[:-8] +
                                  b"ENDX\0\0\0\0"]), "FRAMING", "missing ENDF")
case("cbor_offset_out_of_range.tgm",
     message([META, data_frame(PAYLOAD, desc(), cbor_offset=5)]), "FRAMING",
     "cbor_offset 5 out of valid range")
case("header_after_data.tgm", message([META, data_frame(PAYLOAD, desc()), META]), "FRAMING",
     "frames must appear in order")
case("data_after_footer.tgm",
     message([META, frame(7, cbor({})), data_frame(PAYLOAD, desc())]), "FRAMING",
     "frames must appear in order")
case("dangling_preceder.tgm",
     message([META, data_frame(PAYLOAD, desc()), frame(8, cbor({"base": [{"a": 1}]}))],
             flags=0x41), "FRAMING", "dangling PrecederMetadata")
case("two_preceders.tgm",
     message([META, frame(8, cbor({"base": [{"a": 1}]})), frame(8, cbor({"base": [{"a": 2}]})),
              data_frame(PAYLOAD, desc())], flags=0x41), "FRAMING",
     "PrecederMetadata must be followed by a data-object frame")
case("preceder_two_entries.tgm",
     message([META, frame(8, cbor({"base": [{"a": 1}, {"b": 2}]})), data_frame(PAYLOAD, desc())],
             flags=0x41), "METADATA", "exactly 1 entry")
case("no_metadata_frame.tgm", message([data_frame(PAYLOAD, desc())], flags=0),
     "METADATA", "no metadata frame")
case("base_longer_than_objects.tgm",
     message([frame(1, cbor({"base": [{}, {}]})), data_frame(PAYLOAD, desc())]), "METADATA",
     "2 entries but message contains 1 objects")
# --- metadata CBOR ---------------------------------------------------------
case("metadata_not_a_map.tgm", message([frame(1, cbor([1, 2])), data_frame(PAYLOAD, desc())]),
     "METADATA", "not a map")
case("metadata_truncated_cbor.tgm", message([frame(1, b"\xa1\x64base\x81\xa1\x61"),
                                             data_frame(PAYLOAD, desc())]), "METADATA", "")
case("cbor_depth_bomb.tgm", message([frame(1, b"\xa1\x61a" + b"\x81" * 5000 + b"\x00"),
                                     data_frame(PAYLOAD, desc())]), "METADATA", "nesting")
case("cbor_huge_array_claim.tgm",
     message([frame(1, b"\xa1\x64base\x9b" + struct.pack(">Q", 2**62)), data_frame(PAYLOAD, desc())]),
     "METADATA", "")
case("extra_key_ambiguous.tgm",
     message([frame(1, cbor({"_extra_": {"k": 1}, "k": 2})), data_frame(PAYLOAD, desc())]),
     "METADATA", "ambiguous metadata")
# --- descriptors --------------------------------------------------------------
case("descriptor_missing_dtype.tgm", message([META, data_frame(PAYLOAD, desc(dtype=...))]),
     "METADATA", "missing field `dtype`")
case("descriptor_unknown_dtype.tgm", message([META, data_frame(PAYLOAD, desc(dtype="float8"))]),
     "METADATA", "unknown variant `float8`")
case("descriptor_negative_ndim.tgm", message([META, data_frame(PAYLOAD, desc(ndim=-1))]),
     "METADATA", "ndim")
case("descriptor_ndim_mismatch.tgm", message([META, data_frame(PAYLOAD, desc(ndim=2))]),
     "METADATA", "ndim 2 does not match shape.len() 1")
case("descriptor_strides_mismatch.tgm",
     message([META, data_frame(PAYLOAD, desc(strides=[1, 1]))]), "METADATA",
     "strides.len() 2 does not match shape.len() 1")
case("descriptor_empty_type.tgm", message([META, data_frame(PAYLOAD, desc(type=""))]),
     "METADATA", "obj_type must not be empty")
case("shape_product_overflow.tgm",
     message([META, data_frame(PAYLOAD, desc(ndim=2, shape=[2**40, 2**40], strides=[2**40, 1]))]),
     "METADATA", "shape product overflow")
case("payload_size_mismatch.tgm", message([META, data_frame(PAYLOAD[:12], desc())]),
     "ENCODING", "descriptor claims 16 decoded byte(s) but frame payload is 12 byte(s)")
case("mask_past_region.tgm",
     message([META, data_frame(PAYLOAD, desc(masks={"nan": {"method": "none", "offset": 10,
                                                           "length": 100}}))]),
     "FRAMING", "exceeds payload region size")
case("mask_offset_overflow.tgm",
     message([META, data_frame(PAYLOAD, desc(masks={"nan": {"method": "none", "offset": 2**64 - 1,
                                                           "length": 2}}))]),
     "FRAMING", "overflow")
case("unknown_compression.tgm", message([META, data_frame(PAYLOAD, desc(compression="brotli"))]),
     "ENCODING", "unknown compression: brotli")
case("index_lengths_mismatch.tgm",
     message([META, frame(2, cbor({"offsets": [1, 2], "lengths": [1]})),
              data_frame(PAYLOAD, desc())], flags=0x05), "METADATA",
     "offsets.len() (2) != lengths.len() (1)")

with open("good.tgm", "wb") as f:
    f.write(GOOD)
with open("MANIFEST.json", "w") as f:
    json.dump(cases, f, indent=1, sort_keys=True)
    f.write("\n")
with open("manifest.inc", "w") as f:
    f.write("/* generated by gen_bad.py: BAD(file, expected error, message substring) */\n")
    for name in sorted(cases):
        c = cases[name]
        f.write(f'BAD("{name}", TGM_ERROR_{c["code"]}, "{c["contains"]}")\n')
print(f"wrote {len(cases)} files")
