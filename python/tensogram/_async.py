"""AsyncTensogramFile: the file API as asyncio coroutines.

Each operation runs in a thread pool.  The C calls release the GIL and the
library's file handle serves concurrent readers, so operations awaited
together (``asyncio.gather``) on one handle really run at the same time.
"""

from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from . import _api

_pool = None
_pool_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(
                max_workers=max(4, (os.cpu_count() or 1) * 2),
                thread_name_prefix="tensogram-async",
            )
        return _pool


async def _run(fn, *args):
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_executor(), lambda: fn(*args))


class AsyncTensogramFile:
    """Async counterpart of :class:`TensogramFile`.

    ``len(f)`` and ``async for`` need the message count, which is found
    without blocking the event loop by ``await f.message_count()`` first;
    before that ``len(f)`` raises RuntimeError.
    """

    def __init__(self, sync_file: _api.TensogramFile):
        self._f = sync_file
        self._count = None

    @staticmethod
    def open(source, *, bidirectional=True):
        """Awaitable opening a local file or a URL (arguments are checked at
        once)."""
        _api._check_bool(bidirectional, "bidirectional")

        async def opening() -> AsyncTensogramFile:
            f = await _run(lambda: _api.TensogramFile.open(source, bidirectional=bidirectional))
            return AsyncTensogramFile(f)

        return opening()

    @staticmethod
    def open_remote(source, storage_options=None, *, bidirectional=True):
        """Awaitable opening a remote file (argument types are checked at
        once); the network waits run in the pool, off the event loop."""
        _api._check_bool(bidirectional, "bidirectional")
        opts = _api._storage_options(storage_options)

        async def opening() -> AsyncTensogramFile:
            f = await _run(
                lambda: _api.TensogramFile.open_remote(source, opts, bidirectional=bidirectional)
            )
            return AsyncTensogramFile(f)

        return opening()

    async def message_count(self) -> int:
        if self._count is None:
            self._count = await _run(self._f.message_count)
        return self._count

    async def decode_message(
        self, index, native_byte_order=True, threads=0, verify_hash=False
    ) -> _api.Message:
        return await _run(
            lambda: self._f.decode_message(
                index, native_byte_order, threads, verify_hash=verify_hash
            )
        )

    async def file_decode_metadata(self, msg_index):
        return await _run(self._f.file_decode_metadata, msg_index)

    async def file_decode_descriptors(self, msg_index) -> dict:
        return await _run(self._f.file_decode_descriptors, msg_index)

    async def file_decode_object(
        self, msg_index, obj_index, native_byte_order=True, threads=0, verify_hash=False
    ) -> dict:
        return await _run(
            self._f.file_decode_object, msg_index, obj_index, native_byte_order, threads,
            verify_hash,
        )

    async def file_decode_range(
        self, msg_index, obj_index, ranges, join=False, native_byte_order=True, threads=0
    ):
        return await _run(
            self._f.file_decode_range, msg_index, obj_index, ranges, join, native_byte_order,
            threads,
        )

    async def file_decode_object_batch(self, msg_indices, obj_index, **kwargs):
        """Remote backends only: OSError on a local file."""
        if not self._f.is_remote():
            return self._f.file_decode_object_batch(msg_indices, obj_index, **kwargs)
        return await _run(lambda: self._f.file_decode_object_batch(msg_indices, obj_index, **kwargs))

    async def file_decode_range_batch(self, msg_indices, obj_index, ranges, **kwargs):
        """Remote backends only: OSError on a local file."""
        if not self._f.is_remote():
            return self._f.file_decode_range_batch(msg_indices, obj_index, ranges, **kwargs)
        return await _run(
            lambda: self._f.file_decode_range_batch(msg_indices, obj_index, ranges, **kwargs)
        )

    async def prefetch_layouts(self, msg_indices) -> None:
        """Reads the layouts of these messages in one batch (remote files);
        local files: one scan."""
        if self._f.is_remote():
            await _run(self._f.prefetch_layouts, list(msg_indices))
        else:
            await self.message_count()

    async def read_message(self, index) -> bytes:
        return await _run(self._f.read_message, index)

    async def messages(self) -> list:
        count = await self.message_count()
        return list(await asyncio.gather(*(self.read_message(i) for i in range(count))))

    def is_remote(self) -> bool:
        return self._f.is_remote()

    def source(self) -> str:
        return self._f.source()

    def close(self) -> None:
        self._f.close()

    async def __aenter__(self):
        return self

    async def __aexit__(self, exc_type=None, exc_val=None, exc_tb=None):
        self._f.close()
        return False

    def __len__(self) -> int:
        if self._count is None:
            raise RuntimeError("message count not yet known; call 'await f.message_count()' first")
        return self._count

    def __aiter__(self):
        return AsyncTensogramFileIter(self, len(self))

    def __repr__(self) -> str:
        return "AsyncTensogramFile(source='%s')" % self._f.source()


class AsyncTensogramFileIter:
    """``async for meta, objects in f`` (from AsyncTensogramFile)."""

    def __init__(self, f: AsyncTensogramFile, count: int):
        self._f = f
        self._count = count
        self._index = 0

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self._index >= self._count:
            raise StopAsyncIteration
        i = self._index
        self._index += 1
        return await self._f.decode_message(i)

    def __len__(self) -> int:
        return max(0, self._count - self._index)

    def __repr__(self) -> str:
        return "AsyncTensogramFileIter(position=%d, remaining=%d)" % (self._index, len(self))

