"""Shared fixtures and helpers of the tensogram Python tests."""

from __future__ import annotations

import os
import pathlib

import numpy as np
import pytest

import tensogram

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent


def shared_dir() -> pathlib.Path | None:
    """The reference's sample files (TGM_SHARED_DIR or ../shared/reference)."""
    d = os.environ.get("TGM_SHARED_DIR")
    path = pathlib.Path(d) if d else REPO.parent / "shared" / "reference"
    return path if path.is_dir() else None


def reference_source() -> pathlib.Path | None:
    """The reference implementation's source tree, when present beside the
    repository (TGM_REFERENCE_SOURCE or ../ref); tests that read it skip
    otherwise."""
    d = os.environ.get("TGM_REFERENCE_SOURCE")
    path = pathlib.Path(d) if d else REPO.parent / "ref"
    return path if path.is_dir() else None


def desc(shape, dtype="float32", **kw) -> dict:
    return {"type": "ntensor", "shape": list(shape), "dtype": dtype, **kw}


def roundtrip(arr, **kw):
    """Encode one array with descriptor keys kw; return (msg, desc, decoded)."""
    d = desc(arr.shape, str(arr.dtype) if arr.dtype != np.bool_ else "uint8", **kw)
    msg = tensogram.encode({}, [(d, arr)])
    _, objects = tensogram.decode(msg)
    return msg, objects[0][0], objects[0][1]


@pytest.fixture
def three_message_file(tmp_path):
    """A .tgm file with 3 messages: float32 [10] filled with 0, 1, 2."""
    path = str(tmp_path / "three.tgm")
    with tensogram.TensogramFile.create(path) as f:
        for i in range(3):
            f.append(
                {"base": [{"index": i}]},
                [(desc([10]), np.full(10, float(i), dtype=np.float32))],
            )
    return path
