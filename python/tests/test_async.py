"""AsyncTensogramFile (plain asyncio.run; no pytest plugin needed)."""

from __future__ import annotations

import asyncio
import threading
import time

import numpy as np
import pytest
from conftest import desc

import tensogram


def run(coro):
    return asyncio.run(coro)


def test_open_decode_and_helpers(three_message_file):
    async def main():
        f = await tensogram.AsyncTensogramFile.open(three_message_file)
        assert not f.is_remote() and f.source() == three_message_file
        assert repr(f) == "AsyncTensogramFile(source='%s')" % three_message_file
        meta, objects = await f.decode_message(1)
        assert meta["index"] == 1 and objects[0][1][0] == 1.0
        r = await f.file_decode_object(2, 0)
        assert r["data"].shape == (10,) and r["data"][0] == 2.0
        assert (await f.file_decode_metadata(0))["index"] == 0
        d = await f.file_decode_descriptors(0)
        assert d["descriptors"][0].dtype == "float32"
        parts = await f.file_decode_range(1, 0, [(2, 3)], join=True)
        assert parts.tolist() == [1.0, 1.0, 1.0]
        raw = await f.read_message(0)
        assert tensogram.decode(raw).metadata["index"] == 0
        assert len(await f.messages()) == 3
        await f.prefetch_layouts([0, 1, 2])

    run(main())


def test_len_needs_message_count_first(three_message_file):
    async def main():
        f = await tensogram.AsyncTensogramFile.open(three_message_file)
        with pytest.raises(RuntimeError, match="message_count"):
            len(f)
        with pytest.raises(RuntimeError):
            f.__aiter__()
        assert await f.message_count() == 3
        assert len(f) == 3
        seen = [objects[0][1][0] async for meta, objects in f]
        assert seen == [0.0, 1.0, 2.0]

    run(main())


def test_gather_runs_operations_concurrently_on_one_handle(tmp_path):
    path = str(tmp_path / "big.tgm")
    n = 1 << 20
    with tensogram.TensogramFile.create(path) as f:
        for i in range(8):
            data = np.cumsum(np.random.default_rng(i).standard_normal(n))
            f.append({"base": [{"i": i}]}, [(desc([n], "float64", compression="zstd"), data)])

    threads_used = set()
    original = tensogram.TensogramFile.file_decode_object

    def tracking(self, *args, **kwargs):
        threads_used.add(threading.get_ident())
        time.sleep(0.05)  # hold the worker so the others must run elsewhere
        return original(self, *args, **kwargs)

    async def main():
        f = await tensogram.AsyncTensogramFile.open(path)
        tensogram.TensogramFile.file_decode_object = tracking
        try:
            results = await asyncio.gather(*(f.file_decode_object(i, 0) for i in range(8)))
        finally:
            tensogram.TensogramFile.file_decode_object = original
        assert [r["metadata"]["i"] for r in results] == list(range(8))
        assert all(r["data"].shape == (n,) for r in results)

    run(main())
    assert threading.get_ident() not in threads_used
    assert len(threads_used) >= 4  # the calls overlapped on several pool threads


def test_context_manager_and_errors(tmp_path, three_message_file):
    async def main():
        async with await tensogram.AsyncTensogramFile.open(three_message_file) as f:
            assert await f.message_count() == 3
        with pytest.raises(FileNotFoundError):
            await tensogram.AsyncTensogramFile.open(str(tmp_path / "missing.tgm"))
        f = await tensogram.AsyncTensogramFile.open(three_message_file)
        with pytest.raises(OSError, match="remote"):
            await f.file_decode_object_batch([0, 1], 0)
        with pytest.raises(OSError, match="remote"):
            await f.file_decode_range_batch([0], 0, [(0, 1)], join=True)
        with pytest.raises(OSError):
            await tensogram.AsyncTensogramFile.open_remote("http://127.0.0.1:9/x.tgm")
        with pytest.raises(ValueError):
            await f.decode_message(10)

    run(main())
    # Argument types are checked when the call is made, before awaiting.
    with pytest.raises(TypeError):
        tensogram.AsyncTensogramFile.open(three_message_file, bidirectional=1)
    with pytest.raises(TypeError):
        tensogram.AsyncTensogramFile.open_remote("s3://b/k", bidirectional="yes")


def test_async_iterator_object(three_message_file):
    async def main():
        f = await tensogram.AsyncTensogramFile.open(three_message_file)
        await f.message_count()
        it = f.__aiter__()
        assert len(it) == 3 and repr(it).startswith("AsyncTensogramFileIter(position=0")
        first = await it.__anext__()
        assert first.metadata["index"] == 0 and len(it) == 2

    run(main())
