"""tensogram.tenbin: webdataset's tenbin API over the C reader / writer, and
the tenbin <-> Tensogram conversions."""

from __future__ import annotations

import hashlib
import io
import json

import numpy as np
import pytest
from conftest import shared_dir

import tensogram
from tensogram import tenbin

SHARED = shared_dir()
TENBIN = SHARED / "tenbin" if SHARED else None


def cases():
    if TENBIN is None or not (TENBIN / "MANIFEST.json").exists():
        return []
    return json.loads((TENBIN / "MANIFEST.json").read_text())["cases"]


@pytest.mark.parametrize("case", cases(), ids=[c["name"] for c in cases()])
def test_reference_files(case):
    """The 18 files webdataset wrote: the expected arrays (dtype, shape,
    info, bytes), and written back byte for byte."""
    raw = (TENBIN / ("%s.ten" % case["name"])).read_bytes()
    arrays, infos = tenbin.decode_buffer(raw, infos=True)
    assert len(arrays) == len(case["arrays"])
    for k, (a, want) in enumerate(zip(arrays, case["arrays"])):
        assert a.dtype.name == want["dtype"]
        assert list(a.shape) == want["shape"]
        assert infos[k] == want["info"]
        data = np.ascontiguousarray(a).tobytes()
        assert len(data) == want["nbytes"]
        assert hashlib.sha256(data).hexdigest() == want["sha256"]
        assert data == (TENBIN / ("%s.%d.bin" % (case["name"], k))).read_bytes()
    assert tenbin.encode_buffer(list(arrays), infos=infos) == raw
    assert tenbin.load(str(TENBIN / ("%s.ten" % case["name"])))[0].shape == arrays[0].shape


@pytest.mark.parametrize("case", cases(), ids=[c["name"] for c in cases()])
def test_reference_files_through_tensogram(case):
    raw = (TENBIN / ("%s.ten" % case["name"])).read_bytes()
    nonfinite = case["name"] == "nan_inf"
    if nonfinite:
        with pytest.raises(ValueError, match="NaN"):
            tenbin.to_tensogram(raw)
    msg = tenbin.to_tensogram(raw, allow_nan=nonfinite, allow_inf=nonfinite)
    meta, objects = tensogram.decode(msg)
    for k, ((desc, arr), want) in enumerate(zip(objects, case["arrays"])):
        assert list(desc.shape) == want["shape"] and desc.dtype == want["dtype"]
        assert meta.base[k].get("name", "") == want["info"]
        want_bytes = (TENBIN / ("%s.%d.bin" % (case["name"], k))).read_bytes()
        assert np.ascontiguousarray(arr).tobytes() == want_bytes
    assert tenbin.from_tensogram(msg) == raw


def test_webdataset_api_semantics(tmp_path):
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    b = np.array([7], dtype=np.int64)
    buf = tenbin.encode_buffer([a, b], infos=["image", "label"])
    got = tenbin.decode_buffer(buf)
    assert isinstance(got, list) and np.array_equal(got[0], a) and np.array_equal(got[1], b)
    data, infos = tenbin.decode_buffer(buf, infos=True)
    assert infos == ["image", "label"]
    assert tenbin.decode_buffer(buf, infos=["image", "label"])[0].shape == (3, 4)
    with pytest.raises(ValueError, match="doesn't match"):
        tenbin.decode_buffer(buf, infos=["image", "other"])
    with pytest.raises(ValueError, match="requires list"):
        tenbin.encode_buffer((a, b))
    with pytest.raises(ValueError, match="must match"):
        tenbin.encode_buffer([a, b], infos=["one"])
    with pytest.raises(ValueError, match="unsupported array type"):
        tenbin.encode_buffer([np.zeros(2, dtype=np.complex64)])
    with pytest.raises(ValueError):
        tenbin.encode_buffer([a], infos=["ninechars"])
    # Streams, files, the .ten suffix check.
    stream = io.BytesIO()
    tenbin.write(stream, [a, b], infos=["x", "y"])
    stream.write(tenbin.encode_buffer([b]))
    stream.seek(0)
    assert [x.shape for x in tenbin.read(stream, n=2)] == [(3, 4), (1,)]
    assert [x.shape for x in tenbin.read(stream)] == [(1,)]
    path = str(tmp_path / "s.ten")
    tenbin.save(path, a, b, infos=["a", "b"])
    assert np.array_equal(tenbin.load(path)[1], b)
    with pytest.raises(ValueError, match=r"\.ten"):
        tenbin.save(str(tmp_path / "s.bin"), a)
    tenbin.save(str(tmp_path / "s.bin"), a, nocheck=True)
    # Chunk and list level helpers.
    assert len(tenbin.decode_chunks(buf)) == 4
    parts = tenbin.encode_list([a, b], infos=["a", "b"])
    assert len(parts) == 4
    assert tenbin.encode_chunks(parts) == tenbin.encode_buffer([a, b], infos=["a", "b"])
    assert np.array_equal(tenbin.decode_list(parts)[0], a)


def test_what_webdataset_cannot_do():
    """uint32, 0-d arrays and big-endian files, read back with the order
    recognised from the file; truncation and corruption raise ValueError."""
    u = np.array([1, 2**32 - 1, 7], dtype=np.uint32)
    s = np.array(-2.5)
    big = np.arange(6, dtype=">i4").reshape(2, 3)
    for order in ("little", "big"):
        buf = tenbin.encode_buffer([u, s, big], byte_order=order)
        got = tenbin.decode_buffer(buf)
        assert got[0].dtype.name == "uint32" and np.array_equal(got[0], u)
        assert got[1].shape == () and got[1] == s
        assert np.array_equal(got[2], big)
        assert got[0].dtype.byteorder in ("<", ">", "=")
        other = "big" if order == "little" else "little"
        with pytest.raises(ValueError, match="tenbin"):
            tenbin.decode_buffer(buf, byte_order=other)
    buf = tenbin.encode_buffer([u])
    for cut in (5, 17, 40, 100):  # the last chunk's padding may be cut short
        with pytest.raises(ValueError, match="tenbin"):
            tenbin.decode_buffer(buf[:cut])
    with pytest.raises(ValueError, match="not a .ten file"):
        tenbin.decode_buffer(b"definitely not tenbin data")


def test_conversion_options_and_names():
    v = np.linspace(-5, 5, 100)
    buf = tenbin.encode_buffer([v], infos=["wave"])
    msg = tensogram.convert_tenbin(buf, encoding="simple_packing", bits=20, compression="zstd")
    meta, objects = tensogram.decode(msg)
    desc, arr = objects[0]
    assert desc.encoding == "simple_packing" and desc.compression == "zstd"
    assert meta.base[0]["name"] == "wave"
    assert np.max(np.abs(arr - v)) < 10 / 2**19
    long_name = tensogram.encode({"base": [{"name": "temperature"}]},
                                 [({"type": "ntensor", "shape": [2], "dtype": "float32"},
                                   np.zeros(2, dtype=np.float32))])
    with pytest.raises(ValueError, match="temperature"):
        tensogram.to_tenbin(long_name)
    assert tenbin.decode_buffer(tensogram.to_tenbin(msg, byte_order="big"))[0].dtype.byteorder \
        in (">",)


def test_zmq_helpers():
    zmq = pytest.importorskip("zmq")
    ctx = zmq.Context.instance()
    a = np.arange(6, dtype=np.uint8).reshape(2, 3)
    b = np.array([1.5, 2.5])
    for send, recv in ((tenbin.zsend_single, tenbin.zrecv_single),
                       (tenbin.zsend_multipart, tenbin.zrecv_multipart)):
        push = ctx.socket(zmq.PAIR)
        pull = ctx.socket(zmq.PAIR)
        push.bind("inproc://tenbin-%s" % send.__name__)
        pull.connect("inproc://tenbin-%s" % send.__name__)
        send(push, [a, b], infos=["a", "b"])
        got, infos = recv(pull, infos=True)
        assert infos == ["a", "b"]
        assert np.array_equal(got[0], a) and np.array_equal(got[1], b)
        push.close()
        pull.close()


PROVENANCE = (
    '{"encoder":{"name":"tensogram","version":"0.0.0"},"time":"2026-01-01T00:00:00Z",'
    '"uuid":"00000000-0000-4000-8000-000000000000"}'
)


def test_file_to_file(tmp_path, monkeypatch):
    """output=: the bytes the buffer functions return, written from the
    mapped source into a file that appears only complete; a failure leaves
    the destination as it was and no temporary file."""
    monkeypatch.setenv("TENSOGRAM_PROVENANCE", PROVENANCE)
    arrays = [np.arange(300000, dtype=np.float32).reshape(600, 500), np.array([7], np.int64)]
    src = tmp_path / "in.ten"
    src.write_bytes(tenbin.encode_buffer(arrays, infos=["x", "label"]))
    for h in ("xxh3", None):
        want = tensogram.convert_tenbin(src.read_bytes(), hash=h)
        assert tensogram.convert_tenbin(src, hash=h) == want  # from the mapped path
        n = tensogram.convert_tenbin(src, output=tmp_path / "out.tgm", hash=h)
        assert n == len(want) and (tmp_path / "out.tgm").read_bytes() == want
        n = tenbin.to_tensogram(src.read_bytes(), output=tmp_path / "out2.tgm", hash=h)
        assert (tmp_path / "out2.tgm").read_bytes() == want
    want_msg = (tmp_path / "out.tgm").read_bytes()
    for order in ("little", "big"):
        want = tensogram.to_tenbin(want_msg, byte_order=order)
        n = tensogram.to_tenbin(tmp_path / "out.tgm", output=tmp_path / "back.ten",
                                byte_order=order)
        assert n == len(want) and (tmp_path / "back.ten").read_bytes() == want
        n = tenbin.from_tensogram(want_msg, byte_order=order, output=tmp_path / "b2.ten")
        assert (tmp_path / "b2.ten").read_bytes() == want
    assert tensogram.to_tenbin(want_msg) == src.read_bytes()
    # Failures: the destination keeps its old content, no temporary is left.
    (tmp_path / "keep.tgm").write_bytes(b"old")
    (tmp_path / "bad.ten").write_bytes(src.read_bytes()[:150])
    with pytest.raises(ValueError, match="truncated"):
        tensogram.convert_tenbin(tmp_path / "bad.ten", output=tmp_path / "keep.tgm")
    with pytest.raises(ValueError):
        tensogram.to_tenbin(b"not a message", output=tmp_path / "keep.tgm")
    assert (tmp_path / "keep.tgm").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == []
