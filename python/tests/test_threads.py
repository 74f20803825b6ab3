"""The GIL is released during library work, so threads run in parallel."""

from __future__ import annotations

import sys
import threading
import time

import numpy as np
import pytest
from conftest import desc

import tensogram


def _max_gap_while(worker) -> tuple[float, float]:
    """Run worker() in a thread; return (its duration, the longest pause the
    main thread saw between two of its own loop iterations meanwhile)."""
    box = {}

    def run():
        t0 = time.perf_counter()
        worker()
        box["duration"] = time.perf_counter() - t0

    old = sys.getswitchinterval()
    sys.setswitchinterval(0.001)
    try:
        t = threading.Thread(target=run)
        t.start()
        last = time.perf_counter()
        gap = 0.0
        while t.is_alive():
            now = time.perf_counter()
            gap = max(gap, now - last)
            last = now
        t.join()
    finally:
        sys.setswitchinterval(old)
    return box["duration"], gap


@pytest.mark.parametrize("op", ["encode", "decode"])
def test_main_thread_keeps_running_during_library_calls(op):
    data = np.cumsum(np.random.default_rng(0).standard_normal(1 << 21))
    d = desc(data.shape, "float64", compression="zstd", zstd_level=15)
    msg = tensogram.encode({}, [(d, data)])
    if op == "encode":
        def work():
            tensogram.encode({}, [(d, data)])
    else:
        def work():
            for _ in range(20):
                tensogram.decode(msg)
    duration, gap = _max_gap_while(work)
    if duration < 0.1:
        pytest.skip("library call too fast (%.3fs) to tell" % duration)
    # Holding the GIL for the call would stall this thread for all of it.
    assert gap < duration / 2, (duration, gap)


def test_threads_argument_accepts_budgets():
    data = np.arange(1 << 18, dtype=np.float64)
    d = desc(data.shape, "float64", compression="lz4")
    for threads in (0, 1, 2, 8):
        msg = tensogram.encode({}, [(d, data)], threads=threads)
        np.testing.assert_array_equal(tensogram.decode(msg, threads=threads).objects[0][1], data)
    with pytest.raises((TypeError, ValueError)):
        tensogram.decode(msg, threads=-3)
    with pytest.raises(TypeError):
        tensogram.encode({}, [(d, data)], threads="2")
