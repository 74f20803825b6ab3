"""Every script in examples/python runs to completion."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import REPO

EXAMPLES = sorted((REPO / "examples" / "python").glob("*.py"))


# The examples the reference's Python guide lists, by the same names.
GUIDE = [
    "01_encode_decode.py",
    "02_mars_metadata.py",
    "02b_generic_metadata.py",
    "03_simple_packing.py",
    "04_multi_object.py",
    "05_file_api.py",
    "06_hash_and_errors.py",
    "07_iterators.py",
    "08_xarray_integration.py",
    "08_zarr_backend.py",
    "09_dask_distributed.py",
    "09_streaming_consumer.py",
    "11_encode_pre_encoded.py",
    "12_convert_netcdf.py",
    "13_validate.py",
    "15_async_operations.py",
    "17_convert_grib.py",
]


def test_examples_exist():
    names = {p.name for p in EXAMPLES}
    assert set(GUIDE) <= names, sorted(set(GUIDE) - names)


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(script, tmp_path):
    # A neutral working directory, so the source tree cannot shadow the
    # installed package.
    out = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                         text=True, timeout=300, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.strip(), "example printed nothing"
