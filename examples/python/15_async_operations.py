"""Decode many objects of one file concurrently with asyncio."""

import asyncio
import os
import tempfile
import time

import numpy as np

import tensogram

path = os.path.join(tempfile.mkdtemp(), "steps.tgm")
with tensogram.TensogramFile.create(path) as f:
    for step in range(8):
        data = np.cumsum(np.random.default_rng(step).standard_normal(1 << 19))
        desc = {"type": "ntensor", "shape": [data.size], "dtype": "float64",
                "compression": "zstd"}
        f.append({"base": [{"step": step}]}, [(desc, data)])


async def main():
    async with await tensogram.AsyncTensogramFile.open(path) as f:
        count = await f.message_count()  # needed before len(f) and async for
        print("messages:", count, "len:", len(f))

        t0 = time.perf_counter()
        results = await asyncio.gather(*(f.file_decode_object(i, 0) for i in range(count)))
        print("gathered %d objects in %.1f ms" % (len(results), 1e3 * (time.perf_counter() - t0)))
        print("steps:", [r["metadata"]["step"] for r in results])

        meta, objects = await f.decode_message(3)
        print("message 3 mean: %.3f" % objects[0][1].mean())
        async for meta, objects in f:
            pass
        print("async iteration done; last step", meta["step"])

        # A coroutine cancelled by a timeout cancels its task in the library:
        # the decode stops and the handle stays usable.
        try:
            await asyncio.wait_for(f.decode_message(0), timeout=1e-4)
        except asyncio.TimeoutError:
            print("decode_message(0) timed out and was cancelled")
        print("message 0 still decodes:", (await f.file_decode_object(0, 0))["data"].shape)


asyncio.run(main())
