"""Threads: the library's own (threads=N) and Python threads (GIL released)."""

import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

import tensogram

fields = [np.cumsum(np.random.default_rng(i).standard_normal(1 << 18)) for i in range(4)]
desc = {"type": "ntensor", "shape": [1 << 18], "dtype": "float64",
        "compression": "zstd", "zstd_level": 3}

for threads in (1, 2):
    t0 = time.perf_counter()
    msg = tensogram.encode({}, [(desc, f) for f in fields], threads=threads)
    print("threads=%d: %d bytes in %.0f ms" % (threads, len(msg), 1e3 * (time.perf_counter() - t0)))

# Independent calls from a thread pool run in parallel: the GIL is released.
with ThreadPoolExecutor(max_workers=2) as pool:
    t0 = time.perf_counter()
    messages = list(pool.map(lambda f: tensogram.encode({}, [(desc, f)]), fields))
    print("4 encodes on 2 Python threads: %.0f ms" % (1e3 * (time.perf_counter() - t0)))
for msg, field in zip(messages, fields):
    assert np.array_equal(tensogram.decode(msg).objects[0][1], field)
