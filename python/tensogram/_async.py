"""AsyncTensogramFile: the file API as asyncio coroutines, on the library's
asynchronous C API.

Every operation is one task of the library: its worker pool decodes (and,
for remote files, its network thread transfers) while the event loop runs.
Completion reaches the loop through one notifier per event loop: a file
descriptor watched with ``loop.add_reader`` that becomes readable when
tasks finish.  No Python thread waits for any task, so thousands of
operations may be pending at once, and ``asyncio.gather`` over one file
runs them concurrently.  Cancelling a coroutine (``task.cancel()``,
``asyncio.wait_for`` timing out) cancels its library task, whose work
stops.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import weakref

import numpy as np

from . import _api
from . import _tensogram as _c
from ._model import DataObjectDescriptor, Metadata

# ---- the per-loop reactor ----------------------------------------------------------


class _Reactor:
    """Library tasks awaited on one event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self._loop = loop
        self._notifier = _c.Notifier()
        self._tags = itertools.count(1)
        self._pending = {}  # tag -> (c task, future, convert)
        self._fd = self._notifier.fileno()
        loop.add_reader(self._fd, self._on_ready)

    def submit(self, ctask, convert=None) -> asyncio.Future:
        tag = next(self._tags)
        fut = self._loop.create_future()
        self._pending[tag] = (ctask, fut, convert)
        ctask.set_notifier(self._notifier, tag)
        fut.add_done_callback(lambda f: ctask.cancel() if f.cancelled() else None)
        return fut

    def _on_ready(self) -> None:
        while True:
            tags = self._notifier.drain(1024)
            if not tags:
                return
            for tag in tags:
                ctask, fut, convert = self._pending.pop(tag)
                if fut.done():  # cancelled by its awaiter: nothing to deliver
                    continue
                try:
                    value = ctask.result()
                    if convert is not None:
                        value = convert(value)
                except BaseException as exc:  # noqa: BLE001 - delivered to the awaiter
                    fut.set_exception(exc)
                else:
                    fut.set_result(value)

    def close(self) -> None:
        if not self._loop.is_closed():
            self._loop.remove_reader(self._fd)
        for ctask, fut, _ in self._pending.values():
            ctask.cancel()
            if not fut.done():
                fut.cancel()
        self._pending.clear()


_reactors: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _reactor() -> _Reactor:
    loop = asyncio.get_running_loop()
    r = _reactors.get(loop)
    if r is None:
        r = _Reactor(loop)
        _reactors[loop] = r
    return r


def _await(ctask, convert=None) -> asyncio.Future:
    return _reactor().submit(ctask, convert)


def pending_tasks() -> int:
    """Library tasks not yet finished in this process (monitoring)."""
    return _c.async_pending_tasks()


# ---- conversions (the synchronous API's, from the raw extension results) ---------------


def _object(raw) -> dict:
    (base, extra, reserved), text, arr = raw
    d = DataObjectDescriptor._from_json(text)
    return {"metadata": Metadata(base, extra, reserved), "descriptor": d,
            "data": _api._wrap_array(d, arr)}


def _descriptors(raw) -> dict:
    (base, extra, reserved), descs = raw
    return {"metadata": Metadata(base, extra, reserved),
            "descriptors": [DataObjectDescriptor._from_json(t) for t in descs]}


def _ranges(raw, join: bool):
    dtype, arrays = raw
    if join:
        joined = np.concatenate(arrays) if arrays else np.empty(0, arrays_dtype(dtype))
        return _api._range_arrays((dtype, [joined]), True)
    return _api._range_arrays((dtype, arrays), False)


def arrays_dtype(name: str):
    try:
        return np.dtype(name)
    except TypeError:
        return np.uint8


def _index(i, what: str) -> int:
    if isinstance(i, bool) or not hasattr(i, "__index__"):
        raise TypeError("%s must be an integer" % what)
    return i.__index__()


# ---- the file -----------------------------------------------------------------------------


class AsyncTensogramFile:
    """Async counterpart of :class:`TensogramFile`.

    Open with ``await AsyncTensogramFile.open(path_or_url)``.  ``len(f)``
    and ``async for`` need the message count, learnt without blocking the
    event loop by ``await f.message_count()`` first; before that ``len(f)``
    raises RuntimeError.
    """

    def __init__(self, handle, remote: bool):
        self._h = handle
        self._remote = remote
        self._count = None
        self._descs = {}  # msg index -> descriptors, for range dtypes

    @staticmethod
    def open(source, *, bidirectional=True):
        """Awaitable opening a local path, or a URL (http, https, s3, gs,
        az) remotely.  Argument types are checked at once."""
        _api._check_bool(bidirectional, "bidirectional")
        if isinstance(source, str) and _api.is_remote_url(source):
            return AsyncTensogramFile.open_remote(source, None, bidirectional=bidirectional)
        path = os.fspath(source)

        async def opening() -> AsyncTensogramFile:
            if not os.path.exists(path):
                raise FileNotFoundError(2, "No such file or directory", path)
            return AsyncTensogramFile(await _await(_c.async_open(path)), False)

        return opening()

    @staticmethod
    def open_remote(source, storage_options=None, *, bidirectional=True):
        """Awaitable opening a remote object; ``storage_options`` are the
        reference's keys (credentials, region, endpoint, ...)."""
        _api._check_bool(bidirectional, "bidirectional")
        opts = _api._storage_options(storage_options) or {}
        keys = [str(k) for k in opts]
        values = [str(opts[k]) for k in opts]
        url = str(source)

        async def opening() -> AsyncTensogramFile:
            handle = await _await(_c.async_open_remote(url, keys, values, bidirectional))
            return AsyncTensogramFile(handle, True)

        return opening()

    # -- operations -------------------------------------------------------------------

    async def message_count(self) -> int:
        if self._count is None:
            self._count = await _await(self._h.count())
        return self._count

    async def decode_message(
        self, index, native_byte_order=True, threads=0, restore_non_finite=True, verify_hash=False
    ) -> _api.Message:
        task = self._h.decode_message(
            _index(index, "index"), native_byte_order, _api._threads(threads),
            restore_non_finite, verify_hash,
        )
        return await _await(task, _api._message)

    async def file_decode_metadata(self, msg_index) -> Metadata:
        task = self._h.decode_metadata(_index(msg_index, "msg_index"))
        return await _await(task, lambda raw: Metadata(*raw))

    async def file_decode_descriptors(self, msg_index) -> dict:
        task = self._h.decode_descriptors(_index(msg_index, "msg_index"))
        return await _await(task, _descriptors)

    async def file_decode_object(
        self, msg_index, obj_index, native_byte_order=True, threads=0, verify_hash=False
    ) -> dict:
        task = self._h.decode_object(
            _index(msg_index, "msg_index"), _index(obj_index, "obj_index"), native_byte_order,
            _api._threads(threads), verify_hash,
        )
        return await _await(task, _object)

    async def _dtype(self, msg_index: int, obj_index: int) -> str:
        descs = self._descs.get(msg_index)
        if descs is None:
            descs = await self.file_decode_descriptors(msg_index)
            self._descs[msg_index] = descs
        objs = descs["descriptors"]
        if not 0 <= obj_index < len(objs):
            raise ValueError(
                "object index %d out of range (message has %d objects)" % (obj_index, len(objs))
            )
        return objs[obj_index].dtype

    async def file_decode_range(
        self, msg_index, obj_index, ranges, join=False, native_byte_order=True, threads=0
    ):
        m, o = _index(msg_index, "msg_index"), _index(obj_index, "obj_index")
        dtype = await self._dtype(m, o)
        task = self._h.decode_range(m, o, ranges, native_byte_order, _api._threads(threads), dtype)
        return await _await(task, lambda raw: _ranges(raw, bool(join)))

    async def file_decode_object_batch(
        self, msg_indices, obj_index, native_byte_order=True, threads=0, verify_hash=False
    ) -> list:
        """One object of each of several messages, as one library task: the
        reads of the whole batch are planned together (layouts in one batch,
        neighbouring frames merged into one request) and no thread waits on
        the network."""
        if not self._remote:
            raise OSError("file_decode_object_batch requires a remote backend (this file is local)")
        task = self._h.decode_object_batch(
            [_index(i, "msg_index") for i in msg_indices], _index(obj_index, "obj_index"),
            native_byte_order, _api._threads(threads), verify_hash,
        )
        return await _await(task, lambda objs: [_object(o) for o in objs])

    async def file_decode_range_batch(self, msg_indices, obj_index, ranges, **kwargs) -> list:
        """The same element ranges of one object of several messages."""
        if not self._remote:
            raise OSError("file_decode_range_batch requires a remote backend (this file is local)")
        return list(
            await asyncio.gather(*(self.file_decode_range(i, obj_index, ranges, **kwargs)
                                   for i in msg_indices))
        )

    async def prefetch_layouts(self, msg_indices) -> None:
        """Learn where the messages are and what they hold, together (for
        remote files, the round trips a first access would make)."""
        await _await(self._h.prefetch([_index(i, "msg_index") for i in msg_indices]))

    async def read_message(self, index) -> bytes:
        return await _await(self._h.read_message(_index(index, "index")))

    async def messages(self) -> list:
        count = await self.message_count()
        return list(await asyncio.gather(*(self.read_message(i) for i in range(count))))

    # -- the rest -----------------------------------------------------------------------

    def is_remote(self) -> bool:
        return self._remote

    def source(self) -> str:
        return self._h.path

    def close(self) -> None:
        """Release the handle (operations in flight finish first)."""

    async def __aenter__(self):
        return self

    async def __aexit__(self, exc_type=None, exc_val=None, exc_tb=None):
        self.close()
        return False

    def __len__(self) -> int:
        if self._count is None:
            raise RuntimeError("message count not yet known; call 'await f.message_count()' first")
        return self._count

    def __aiter__(self):
        return AsyncTensogramFileIter(self, len(self))

    def __repr__(self) -> str:
        return "AsyncTensogramFile(source='%s')" % self._h.path


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
