"""TensogramFile: create, append, count, index, slices, iteration, reads."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest
from conftest import desc

import tensogram


def test_create_append_and_len(tmp_path):
    path = tmp_path / "out.tgm"
    with tensogram.TensogramFile.create(path) as f:
        assert len(f) == 0 and f.message_count() == 0
        for step in range(5):
            data = np.full((2, 3), step, dtype=np.float32)
            f.append({"base": [{"step": step}]}, [(desc([2, 3], compression="zstd"), data)])
            assert len(f) == step + 1
        assert f.source() == str(path) and not f.is_remote()
        assert repr(f) == "TensogramFile(source='%s')" % path
    assert os.path.getsize(path) > 0
    assert len(tensogram.TensogramFile.open(str(path))) == 5


def test_index_negative_index_and_slices(three_message_file):
    with tensogram.TensogramFile.open(three_message_file) as f:
        meta, objects = f[0]
        assert meta["index"] == 0 and objects[0][1][0] == 0.0
        assert f[-1].metadata["index"] == 2 and f[-3].metadata["index"] == 0
        with pytest.raises(IndexError):
            f[3]
        with pytest.raises(IndexError):
            f[-4]
        with pytest.raises(TypeError):
            f["0"]
        assert [m.metadata["index"] for m in f[1:]] == [1, 2]
        assert [m.metadata["index"] for m in f[::-1]] == [2, 1, 0]
        assert [m.metadata["index"] for m in f[0:3:2]] == [0, 2]
        assert f[5:9] == []
        assert isinstance(f[0:1][0], tensogram.Message)


def test_iteration_uses_its_own_handle(three_message_file):
    f = tensogram.TensogramFile.open(three_message_file)
    it = iter(f)
    assert len(it) == 3 and repr(it) == "TensogramFileIter(position=0, remaining=3)"
    seen = [objects[0][1][0] for meta, objects in it]
    assert seen == [0.0, 1.0, 2.0]
    f.close()
    assert [m.metadata["index"] for m in f] == [0, 1, 2]  # reopened on use


def test_read_message_and_messages(three_message_file):
    with tensogram.TensogramFile.open(three_message_file) as f:
        raw = f.read_message(1)
        assert raw[:8] == b"TENSOGRM"
        assert tensogram.decode(raw).metadata["index"] == 1
        all_raw = f.messages()
        assert len(all_raw) == 3 and all_raw[1] == raw
        with pytest.raises(ValueError):
            f.read_message(7)
    with open(three_message_file, "rb") as fh:
        assert fh.read() == b"".join(all_raw)


def test_decode_message_options(tmp_path):
    path = str(tmp_path / "opts.tgm")
    data = np.array([1.0, np.nan, 3.0])
    with tensogram.TensogramFile.create(path) as f:
        f.append({}, [(desc([3], "float64"), data)], allow_nan=True, hash=None)
        f.append({}, [(desc([3], "float64", byte_order="big"), np.arange(3, dtype=">f8"))])
    with tensogram.TensogramFile.open(path) as f:
        _, objects = f.decode_message(0)
        assert np.isnan(objects[0][1][1])
        _, objects = f.decode_message(0, restore_non_finite=False)
        assert objects[0][1][1] == 0.0
        with pytest.raises(tensogram.MissingHashError):
            f.decode_message(0, verify_hash=True)
        _, objects = f.decode_message(1, native_byte_order=False, threads=2)
        np.testing.assert_array_equal(objects[0][1].byteswap(), [0.0, 1.0, 2.0])


def test_file_decode_helpers(three_message_file):
    with tensogram.TensogramFile.open(three_message_file) as f:
        meta = f.file_decode_metadata(2)
        assert isinstance(meta, tensogram.Metadata) and meta["index"] == 2
        d = f.file_decode_descriptors(1)
        assert d["metadata"]["index"] == 1 and d["descriptors"][0].shape == [10]
        r = f.file_decode_object(1, 0, verify_hash=True)
        assert set(r) == {"metadata", "descriptor", "data"}
        np.testing.assert_array_equal(r["data"], np.ones(10, dtype=np.float32))
        parts = f.file_decode_range(2, 0, [(0, 2), (8, 2)])
        assert [p.tolist() for p in parts] == [[2.0, 2.0], [2.0, 2.0]]
        assert f.file_decode_range(2, 0, [(0, 2), (8, 2)], join=True).shape == (4,)
        with pytest.raises(ValueError):
            f.file_decode_object(0, 1)
        with pytest.raises(OSError, match="remote"):
            f.file_decode_object_batch([0, 1], 0)
        with pytest.raises(OSError, match="remote"):
            f.file_decode_range_batch([0, 1], 0, [(0, 1)], join=True)


def test_open_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        tensogram.TensogramFile.open(str(tmp_path / "missing.tgm"))
    with pytest.raises(OSError):
        tensogram.TensogramFile.open(str(tmp_path))  # a directory
    # URLs open remotely; nobody listens on 127.0.0.1:9 (nothing here
    # leaves the machine).
    with pytest.raises(OSError, match="RemoteError"):
        tensogram.TensogramFile.open("http://127.0.0.1:9/data.tgm")
    with pytest.raises(OSError, match="RemoteError"):
        tensogram.TensogramFile.open_remote(
            "s3://bucket/key.tgm",
            {"region": "x", "endpoint": "http://127.0.0.1:9", "allow_http": "true"},
        )
    with pytest.raises(TypeError):
        tensogram.TensogramFile.open(str(tmp_path / "x"), bidirectional="yes")
    with pytest.raises(ValueError, match="convertible to string"):
        class Bad:
            def __str__(self):
                raise RuntimeError("no")
        tensogram.TensogramFile.open_remote("s3://b/k", {"k": Bad()})
    assert tensogram.is_remote_url("s3://b/k") and not tensogram.is_remote_url("/tmp/x")


def test_scan_skips_garbage_between_messages(tmp_path):
    msg = tensogram.encode({}, [(desc([2]), np.ones(2, np.float32))])
    path = tmp_path / "mixed.tgm"
    path.write_bytes(msg + b"garbage" + msg + b"trailing")
    with tensogram.TensogramFile.open(str(path)) as f:
        assert len(f) == 2


def test_append_raw_and_reopen_after_close(tmp_path):
    path = str(tmp_path / "raw.tgm")
    msg = tensogram.encode({"base": [{"k": 1}]}, [(desc([2]), np.ones(2, np.float32))])
    f = tensogram.TensogramFile.create(path)
    f.append_raw(msg)
    f.close()
    f.append_raw(msg)  # reopened transparently
    assert len(f) == 2 and f[1].metadata["k"] == 1
    f.close()


def test_concurrent_reads_from_threads(tmp_path):
    path = str(tmp_path / "many.tgm")
    with tensogram.TensogramFile.create(path) as f:
        for i in range(16):
            f.append({}, [(desc([1000], "float64", compression="zstd"),
                           np.full(1000, float(i)))])
    f = tensogram.TensogramFile.open(path)
    errors, results = [], {}

    def worker(k):
        try:
            for i in range(k, 16, 4):
                results[i] = f.decode_message(i).objects[0][1][0]
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and results == {i: float(i) for i in range(16)}
