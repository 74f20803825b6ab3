"""Version of the Python package.

The package implements the Python API of the reference implementation's
release ``API_LEVEL``; its version is that release plus a PEP 440 local
label naming this library's own version, e.g. ``0.24.0+tgmc.0.1.0``, so
that requirements written for the reference (``tensogram>=0.24,<0.25``)
accept it.  ``setup.py`` reads ``API_LEVEL`` from this file.
"""

API_LEVEL = "0.24.0"


def package_version(library_version: str) -> str:
    """``API_LEVEL`` + ``+tgmc.`` + the library's version."""
    return "%s+tgmc.%s" % (API_LEVEL, library_version)
