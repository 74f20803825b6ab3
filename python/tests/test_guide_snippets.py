"""The reference's Python guide, run against this package.

Every ```python block of the reference's docs/src/guide/python-api.md is
executed unchanged (read from the reference's source tree at test time;
skipped when that tree is absent).  Blocks that assume context the guide
leaves implicit (a message called ``msg``, a model object, an open async
file ``f``) get it from a small setup; blocks for features this build
does not have (remote access, batch reads of remote files, GRIB/NetCDF
conversion) must fail the documented way.  Indented async fragments run
inside an ``async def`` with ``f`` open.
"""

from __future__ import annotations

import asyncio
import os
import re
import textwrap

import numpy as np
import pytest
from conftest import reference_source

import tensogram

SOURCE = reference_source()
GUIDE = SOURCE / "docs" / "src" / "guide" / "python-api.md" if SOURCE else None
if GUIDE is None or not GUIDE.is_file():
    pytest.skip("the reference's Python guide is not available (set TGM_REFERENCE_SOURCE)",
                allow_module_level=True)

BLOCKS = re.findall(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)

# Context common to all blocks: a 3-object message whose object 0 has 400
# uncompressed float64 values, a buffer of several messages, and data.tgm.
PRELUDE = """
import asyncio
import numpy as np
import tensogram
_d0 = {"type": "ntensor", "shape": [400], "dtype": "float64"}
_d1 = {"type": "ntensor", "shape": [8], "dtype": "float32", "compression": "zstd"}
_d2 = {"type": "ntensor", "shape": [2, 3], "dtype": "int32"}
msg = tensogram.encode({"key": "value"}, [(_d0, np.arange(400.0)),
                                          (_d1, np.ones(8, np.float32)),
                                          (_d2, np.arange(6, dtype=np.int32).reshape(2, 3))])
buf = msg + msg + msg
shape = [16, 32]
data = np.linspace(0.0, 1.0, 16 * 32, dtype=np.float32).reshape(16, 32)
desc = {"type": "ntensor", "shape": [4], "dtype": "float32"}
payload = np.arange(4, dtype=np.float32)
objects = [(desc, payload), (desc, payload * 2)]
indices, offset = list(range(4)), 0
class _Model:
    def run(self, step):
        return np.full((5, 6), float(step), dtype=np.float32)
model = _Model()
"""

CONVERT_INPUTS = """
import numpy as _np
try:
    import eccodes as _ec
    _h = _ec.codes_grib_new_from_samples("regular_ll_sfc_grib2")
    with open("forecast.grib2", "wb") as _f:
        _f.write(_ec.codes_get_message(_h))
    _ec.codes_release(_h)
except ImportError:
    pass
try:
    import netCDF4 as _nc4
    with _nc4.Dataset("data.nc", "w") as _ds:
        _ds.createDimension("x", 4)
        _ds.createVariable("v", "f8", ("x",))[:] = _np.arange(4.0)
except ImportError:
    pass
"""

# (substring identifying a block, extra setup, expected exception, skip reason)
SPECIAL = [
    ("encode_pre_encoded(meta, [(desc, pre_compressed_bytes)])",
     "meta = {}\npre_compressed_bytes = payload.tobytes()", None, None),
    ("meta.version     #", "meta = tensogram.decode_metadata(msg)", None, None),
    ("open_remote(", "", OSError, None),  # remote access is not in this build
    ("file_decode_range_batch(", "", OSError, None),  # remote only: OSError locally
    ("import requests", "", None, "downloads from the network"),
    # The conversion blocks run on small inputs made here (an ecCodes
    # sample, a netCDF4 file); without a backend they raise RuntimeError.
    ("tensogram.__has_grib__:", CONVERT_INPUTS, None, None),
    ("tensogram.convert_grib(\n", CONVERT_INPUTS,
     None if tensogram.__has_grib__ else RuntimeError, None),
    ("tensogram.convert_netcdf(\n", CONVERT_INPUTS,
     None if tensogram.__has_netcdf__ else RuntimeError, None),
]


def classify(block: str):
    for marker, setup, exc, skip in SPECIAL:
        if marker in block:
            return setup, exc, skip
    return "", None, None


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    d = tmp_path_factory.mktemp("guide")
    old = os.getcwd()
    os.chdir(d)
    try:
        with tensogram.TensogramFile.create("data.tgm") as f:
            for i in range(4):
                f.append({"base": [{"i": i}]},
                         [({"type": "ntensor", "shape": [600], "dtype": "float64"},
                           np.arange(600.0) + i)])
        with tensogram.TensogramFile.create("forecast.tgm") as f:
            for step in range(12):
                f.append({"base": [{"step": step}]},
                         [({"type": "ntensor", "shape": [3], "dtype": "float32"},
                           np.full(3, step, dtype=np.float32))])
        yield d
    finally:
        os.chdir(old)


def run_block(block: str, setup: str):
    ns: dict = {}
    exec(compile(PRELUDE + setup, "<prelude>", "exec"), ns)
    if block.startswith((" ", "\t")):  # a fragment of an async function body
        body = textwrap.indent(textwrap.dedent(block), "    ")
        code = ("async def __snippet():\n"
                "    f = await tensogram.AsyncTensogramFile.open('data.tgm')\n"
                + body + "\n    return locals()\n")
        exec(compile(code, "<guide>", "exec"), ns)
        return asyncio.run(ns["__snippet"]())
    exec(compile(block, "<guide>", "exec"), ns)
    return ns


def test_the_guide_has_blocks():
    assert len(BLOCKS) >= 20


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_guide_block(index, workdir, capsys):
    block = BLOCKS[index]
    setup, exc, skip = classify(block)
    if skip:
        pytest.skip(skip)
    if exc is not None:
        with pytest.raises(exc):
            run_block(block, setup)
    else:
        run_block(block, setup)
