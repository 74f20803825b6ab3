"""Remote files over HTTP: a range-serving HTTP server in this process (on
127.0.0.1), the file read remotely compared with the same file read locally.

The server runs on a Python thread, so every remote call also shows that
the binding releases the GIL while it waits on the network: otherwise the
server could not answer."""

from __future__ import annotations

import http.server
import os
import re
import threading

import numpy as np
import pytest
from conftest import desc

import tensogram


class _Server:
    def __init__(self, root):
        self.root = root
        self.requests = []
        self.hold = None  # an Event the handler waits on, when set
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt, *args):
                pass

            def do_GET(self):
                outer.requests.append((self.path, self.headers.get("Range")))
                if outer.hold is not None:
                    outer.hold.wait(10)
                path = os.path.join(outer.root, self.path.lstrip("/"))
                if not os.path.isfile(path):
                    body = b"<Error><Code>NoSuchKey</Code></Error>"
                    self.send_response(404)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                with open(path, "rb") as fh:
                    data = fh.read()
                m = re.fullmatch(r"bytes=(\d+)-(\d+)", self.headers.get("Range", ""))
                start, end = int(m.group(1)), min(int(m.group(2)) + 1, len(data))
                chunk = data[start:end]
                self.send_response(206)
                self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end - 1, len(data)))
                self.send_header("Content-Length", str(len(chunk)))
                self.send_header("ETag", '"%d"' % len(data))
                self.end_headers()
                self.wfile.write(chunk)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def server(tmp_path):
    s = _Server(str(tmp_path))
    yield s
    s.close()


def _write(tmp_path, name="data.tgm", n=6, size=1000):
    path = str(tmp_path / name)
    with tensogram.TensogramFile.create(path) as f:
        for i in range(n):
            a = (np.arange(size, dtype=np.float64) + 1000 * i).reshape(10, size // 10)
            b = np.full(7, i, dtype=np.int32)
            f.append(
                {"base": [{"step": i}, {"name": "b"}]},
                [
                    (desc(a.shape, "float64"), a),
                    (desc(b.shape, "int32"), b),
                ],
            )
    return path


def test_remote_matches_local(server, tmp_path):
    path = _write(tmp_path)
    url = server.url + "/data.tgm"
    assert tensogram.is_remote_url(url) and not tensogram.is_remote_url(path)
    with tensogram.TensogramFile.open(path) as lf, tensogram.TensogramFile.open(url) as rf:
        assert rf.is_remote() and not lf.is_remote()
        assert rf.source() == url
        assert rf.message_count() == lf.message_count() == 6 == len(rf)
        for i in range(6):
            assert rf.file_decode_metadata(i).base == lf.file_decode_metadata(i).base
            rd, ld = rf.file_decode_descriptors(i), lf.file_decode_descriptors(i)
            assert [d.shape for d in rd["descriptors"]] == [d.shape for d in ld["descriptors"]]
            for j in range(2):
                r, l = rf.file_decode_object(i, j), lf.file_decode_object(i, j)
                np.testing.assert_array_equal(r["data"], l["data"])
                assert r["metadata"].base == l["metadata"].base
            np.testing.assert_array_equal(
                rf.file_decode_range(i, 0, [(3, 5), (90, 10)], join=True),
                lf.file_decode_range(i, 0, [(3, 5), (90, 10)], join=True),
            )
            assert rf.read_message(i) == lf.read_message(i)
            meta, objects = rf.decode_message(i)
            np.testing.assert_array_equal(objects[1][1], np.full(7, i, dtype=np.int32))
        assert rf[-1].metadata.base[0]["step"] == 5
        assert rf.messages() == lf.messages()


def test_batches_and_prefetch(server, tmp_path):
    _write(tmp_path, n=20)
    with tensogram.TensogramFile.open_remote(server.url + "/data.tgm") as f:
        idx = [19, 0, 7, 7, 12]
        f.prefetch_layouts(idx)
        before = f.remote_stats()["requests"]
        batch = f.file_decode_object_batch(idx, 0)
        assert f.remote_stats()["requests"] - before <= 2  # coalesced
        for k, i in enumerate(idx):
            single = f.file_decode_object(i, 0)
            np.testing.assert_array_equal(batch[k]["data"], single["data"])
            assert batch[k]["metadata"].base[0]["step"] == i
        ranges = f.file_decode_range_batch(idx, 1, [(1, 3)], join=False)
        for k, i in enumerate(idx):
            assert len(ranges[k]) == 1 and ranges[k][0].tolist() == [i, i, i]
        joined = f.file_decode_range_batch(idx, 0, [(0, 2), (5, 1)], join=True)
        assert joined[0].tolist() == [19000.0, 19001.0, 19005.0]
        assert f.file_decode_object_batch([], 0) == []
        with pytest.raises(ValueError, match="out of range"):
            f.file_decode_object_batch([0, 99], 0)


def test_local_batches_refused_as_in_the_reference(tmp_path):
    path = _write(tmp_path, n=2)
    with tensogram.TensogramFile.open(path) as f:
        with pytest.raises(OSError, match="remote backend"):
            f.file_decode_object_batch([0, 1], 0)
        with pytest.raises(OSError, match="remote backend"):
            f.file_decode_range_batch([0, 1], 0, [(0, 1)])
        f.prefetch_layouts([0, 1])  # nothing to do locally


def test_errors(server, tmp_path):
    _write(tmp_path, n=1)
    with pytest.raises(ValueError, match="unknown storage option 'no_such_key'"):
        tensogram.TensogramFile.open_remote(server.url + "/data.tgm", {"no_such_key": "1"})
    with pytest.raises(ValueError, match="timeout"):
        tensogram.TensogramFile.open_remote(server.url + "/data.tgm", {"timeout": "ten seconds"})
    with pytest.raises(OSError, match="RemoteError.*HTTP 404"):
        tensogram.TensogramFile.open(server.url + "/missing.tgm")
    with pytest.raises(OSError, match="invalid"):
        tensogram.TensogramFile.open("http://[invalid]/x.tgm")
    with tensogram.TensogramFile.open_remote(
        server.url + "/data.tgm", {"timeout": "10s", "max_retries": 2, "allow_http": True}
    ) as f:
        with pytest.raises(RuntimeError, match="iteration not supported"):
            iter(f)
        with pytest.raises(OSError, match="read-only"):
            f.append_raw(f.read_message(0))


def test_gil_released_while_waiting(server, tmp_path):
    """The request waits on an Event only this thread sets: that works only
    if the waiting call let go of the GIL."""
    _write(tmp_path, n=1)
    f = tensogram.TensogramFile.open_remote(server.url + "/data.tgm")
    f.message_count()
    server.hold = threading.Event()
    result = {}

    def worker():
        result["data"] = f.read_message(0)

    t = threading.Thread(target=worker)
    t.start()
    while not any(p == "/data.tgm" for p, _ in server.requests[-1:]):
        pass
    server.hold.set()
    t.join(10)
    assert not t.is_alive() and len(result["data"]) > 0
    f.close()


def test_async_remote(server, tmp_path):
    import asyncio

    _write(tmp_path, n=3)

    async def main():
        f = await tensogram.AsyncTensogramFile.open(server.url + "/data.tgm")
        assert f.is_remote()
        await f.prefetch_layouts([0, 1, 2])
        objs = await f.file_decode_object_batch([0, 2], 1)
        assert objs[1]["data"].tolist() == [2] * 7
        counts = await asyncio.gather(*(f.file_decode_metadata(i) for i in range(3)))
        assert [m.base[0]["step"] for m in counts] == [0, 1, 2]
        f.close()

    asyncio.run(main())


def test_batch_of_300_messages_in_few_requests(server, tmp_path):
    """One object of each of 300 messages, layouts prefetched: the batch is
    one library call (sync) or one library task (async) whose reads are
    merged, so it costs a handful of requests (at most 4, each one round
    trip, all in flight together) rather than 300."""
    import asyncio

    _write(tmp_path, n=300, size=10000)  # 80 KB objects: not in the layout reads
    url = server.url + "/data.tgm"
    idx = list(range(300))
    with tensogram.TensogramFile.open_remote(url) as f:
        f.prefetch_layouts(idx)
        n0 = len(server.requests)
        want = f.file_decode_object_batch(idx, 0)
        assert 1 <= len(server.requests) - n0 <= 4

    async def main():
        af = await tensogram.AsyncTensogramFile.open(url)
        await af.prefetch_layouts(idx)
        n0 = len(server.requests)
        got = await af.file_decode_object_batch(idx, 0, verify_hash=True)
        assert 1 <= len(server.requests) - n0 <= 4
        af.close()
        return got

    got = asyncio.run(main())
    assert len(got) == 300
    for k in idx:
        np.testing.assert_array_equal(got[k]["data"], want[k]["data"])
        assert got[k]["metadata"].base[0]["step"] == k
