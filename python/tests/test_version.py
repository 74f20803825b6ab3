"""The package version names the reference API level it implements."""

from __future__ import annotations

import importlib.metadata

import pytest

import tensogram

packaging = pytest.importorskip("packaging")
from packaging.specifiers import SpecifierSet  # noqa: E402
from packaging.version import Version  # noqa: E402


def test_version_is_pep440_and_reference_level():
    v = Version(tensogram.__version__)
    assert v.release[:2] == (0, 24) and v.local.startswith("tgmc.")
    assert str(v) == tensogram.__version__
    assert v.public == tensogram.__api_level__


@pytest.mark.parametrize("spec", [">=0.24,<0.25", ">=0.24.0,<0.25", "~=0.24.0", "==0.24.*"])
def test_reference_pins_accept_it(spec):
    assert SpecifierSet(spec).contains(tensogram.__version__)


def test_installed_distribution_reports_it():
    assert importlib.metadata.version("tensogram") == tensogram.__version__
    assert tensogram.__library_version__ == tensogram._tensogram.LIBRARY_VERSION
