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


def _big_file(path, n=1 << 20, count=8):
    with tensogram.TensogramFile.create(path) as f:
        for i in range(count):
            data = np.cumsum(np.random.default_rng(i).standard_normal(n))
            f.append({"base": [{"i": i}]}, [(desc([n], "float64", compression="zstd"), data)])


def test_gather_many_operations_on_one_handle_without_threads(tmp_path):
    """1,000 operations in flight on one file: results equal the synchronous
    ones, and no Python thread is created to wait for them (the library's
    workers run them; one descriptor wakes the loop)."""
    path = str(tmp_path / "many.tgm")
    with tensogram.TensogramFile.create(path) as f:
        for i in range(20):
            f.append({"base": [{"i": i}, {"j": -i}]},
                     [(desc([500], "float32"), np.arange(500, dtype=np.float32) + i),
                      (desc([64], "int64", compression="lz4"), np.arange(64) * i)])
    sync = tensogram.TensogramFile.open(path)
    threads_before = threading.active_count()
    seen_pending = []

    async def main():
        f = await tensogram.AsyncTensogramFile.open(path)
        coros = [f.file_decode_object(k % 20, k % 2) for k in range(1000)]
        gathered = asyncio.gather(*coros)
        await asyncio.sleep(0)
        seen_pending.append(tensogram._async.pending_tasks())
        return await gathered

    results = run(main())
    assert threading.active_count() == threads_before
    assert seen_pending[0] >= 1
    for k, r in enumerate(results):
        want = sync.file_decode_object(k % 20, k % 2)
        assert np.array_equal(r["data"], want["data"])
        assert r["descriptor"].dtype == want["descriptor"].dtype


def test_event_loop_runs_while_the_library_decodes(tmp_path):
    path = str(tmp_path / "big.tgm")
    _big_file(path)
    ticks = []

    async def ticker(stop):
        while not stop.is_set():
            ticks.append(time.monotonic())
            await asyncio.sleep(0.001)

    async def main():
        stop = asyncio.Event()
        t = asyncio.ensure_future(ticker(stop))
        f = await tensogram.AsyncTensogramFile.open(path)
        results = await asyncio.gather(*(f.file_decode_object(i, 0) for i in range(8)))
        stop.set()
        await t
        return results

    t0 = time.monotonic()
    results = run(main())
    elapsed = time.monotonic() - t0
    assert [r["metadata"]["i"] for r in results] == list(range(8))
    # The loop kept turning while 64 MiB were decoded on the library's threads.
    assert len(ticks) >= 3 and elapsed > 0


def test_cancelling_a_coroutine_cancels_the_library_task(tmp_path):
    path = str(tmp_path / "big.tgm")
    _big_file(path, n=1 << 21, count=2)

    async def main():
        f = await tensogram.AsyncTensogramFile.open(path)
        tasks = [asyncio.ensure_future(f.decode_message(i % 2)) for i in range(16)]
        await asyncio.sleep(0)
        assert tensogram._async.pending_tasks() >= 1
        for t in tasks:
            t.cancel()
        for t in tasks:
            with pytest.raises(asyncio.CancelledError):
                await t
        # Cancelled library tasks resolve at once; nothing is left pending.
        for _ in range(200):
            if tensogram._async.pending_tasks() == 0:
                break
            await asyncio.sleep(0.01)
        assert tensogram._async.pending_tasks() == 0
        # wait_for's timeout cancels the same way; the handle stays usable.
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(f.decode_message(0), timeout=0.0001)
        meta, objects = await f.decode_message(1)
        assert meta["i"] == 1 and objects[0][1].shape == (1 << 21,)

    run(main())


def test_ranges_and_prefetch(three_message_file):
    async def main():
        f = await tensogram.AsyncTensogramFile.open(three_message_file)
        await f.prefetch_layouts([0, 1, 2])
        await f.prefetch_layouts([])
        with pytest.raises(ValueError):
            await f.prefetch_layouts([7])
        parts = await f.file_decode_range(2, 0, [(0, 2), (5, 3)])
        assert [p.tolist() for p in parts] == [[2.0, 2.0], [2.0, 2.0, 2.0]]
        joined = await f.file_decode_range(2, 0, [(0, 2), (5, 3)], join=True)
        assert joined.tolist() == [2.0] * 5
        with pytest.raises(ValueError):
            await f.file_decode_range(2, 3, [(0, 1)])

    run(main())


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
