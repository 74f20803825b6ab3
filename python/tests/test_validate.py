"""validate, validate_file, doctor."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import desc

import tensogram


def good_message():
    return tensogram.encode({"base": [{"k": 1}]},
                            [(desc([64], "float64", compression="zstd"), np.arange(64.0))])


@pytest.mark.parametrize("level", ["quick", "default", "checksum", "full"])
def test_levels_on_a_good_message(level):
    report = tensogram.validate(good_message(), level=level)
    assert set(report) >= {"issues", "object_count", "hash_verified"}
    assert report["issues"] == [] and report["object_count"] == 1
    assert report["hash_verified"] is (level != "quick")


def test_check_canonical_and_defaults():
    msg = good_message()
    assert tensogram.validate(msg, level="full", check_canonical=True)["issues"] == []
    assert tensogram.validate(msg) == tensogram.validate(msg, "default", False)


def test_unknown_level_raises_value_error():
    with pytest.raises(ValueError, match="unknown validation level"):
        tensogram.validate(good_message(), level="paranoid")
    with pytest.raises(ValueError, match="quick, default, checksum, full"):
        tensogram.validate_file("whatever.tgm", level="x")


def test_corruption_is_reported_not_raised():
    msg = bytearray(good_message())
    payload_at = len(msg) // 2
    msg[payload_at] ^= 0xFF
    report = tensogram.validate(bytes(msg))
    assert report["issues"], report
    issue = report["issues"][0]
    assert {"code", "level", "severity", "description"} <= set(issue)
    assert report["hash_verified"] is False
    assert any(i["severity"] == "error" for i in report["issues"])
    garbage = tensogram.validate(b"not a message at all")
    assert garbage["issues"] and garbage["issues"][0]["severity"] == "error"


def test_validate_file(tmp_path):
    path = tmp_path / "v.tgm"
    msg = good_message()
    path.write_bytes(msg + msg + b"trailing junk")
    report = tensogram.validate_file(str(path), level="full")
    assert len(report["messages"]) == 2
    assert all(m["issues"] == [] and m["hash_verified"] for m in report["messages"])
    assert report["file_issues"], report
    fi = report["file_issues"][0]
    assert fi["byte_offset"] == 2 * len(msg) and fi["length"] == len(b"trailing junk")
    assert "description" in fi
    with pytest.raises(FileNotFoundError):
        tensogram.validate_file(str(tmp_path / "absent.tgm"))
    with pytest.raises(OSError):
        tensogram.validate_file(str(tmp_path))


def test_doctor_report():
    report = tensogram.doctor()
    assert set(report) >= {"build", "features", "self_test"}
    assert report["build"]["version"] == tensogram.__library_version__
    assert report["build"]["wire_version"] == tensogram.WIRE_VERSION
    names = {f["name"] for f in report["features"]}
    assert {"zstd", "lz4", "szip"} <= names
    assert all(t["outcome"] in ("ok", "skipped", "failed") for t in report["self_test"])
    assert not any(t["outcome"] == "failed" for t in report["self_test"])
