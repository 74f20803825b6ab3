"""Build of the tensogram Python package.

The extension module ``tensogram._tensogram`` is self-contained: the
library's C sources (``../src``) are compiled straight into it, so nothing
has to be installed beforehand and no installed libtensogram is used.
Only the codec libraries are linked from the system (Debian packages:
libzstd-dev, liblz4-dev, zlib1g-dev, libxxhash-dev); a codec
whose library is missing is left out, as the CMake build does with its
``TGM_WITH_*`` options.

Install (Debian, no PyPI)::

    /usr/bin/python3 -m venv --system-site-packages V
    V/bin/pip install --no-build-isolation ./python

Environment:
    TENSOGRAM_SOURCE_DIR   library source tree (default: the parent of this directory)
    TENSOGRAM_BUILD_JOBS   parallel compile jobs (default: number of CPUs)
"""

import glob
import os
import re
import shutil
import sys
import tempfile

import numpy
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.environ.get("TENSOGRAM_SOURCE_DIR", os.path.join(HERE, "..")))
INCLUDE = os.path.join(ROOT, "include")
SRC = os.path.join(ROOT, "src")

if not os.path.isfile(os.path.join(INCLUDE, "tensogram", "tensogram.h")):
    sys.exit(
        "tensogram: library sources not found at %s; build from a checkout of the "
        "repository (pip install ./python) or set TENSOGRAM_SOURCE_DIR" % ROOT
    )


def library_version():
    with open(os.path.join(INCLUDE, "tensogram", "tensogram.h"), encoding="utf-8") as fh:
        m = re.search(r'#define\s+TGM_VERSION_STRING\s+"([^"]+)"', fh.read())
    if not m:
        sys.exit("tensogram: TGM_VERSION_STRING not found in tensogram.h")
    return m.group(1)


# Optional codecs: (CMake option name, header, library, probe call).
OPTIONAL = [
    ("ZSTD", "zstd.h", "zstd", "ZSTD_versionNumber()"),
    ("LZ4", "lz4.h", "lz4", "LZ4_versionNumber()"),
    ("BLOSC2", "zlib.h", "z", "zlibVersion()"),
]
BUILTIN = ["SZIP", "ZFP", "ROARING"]  # implemented in the project itself
# Remote access (src/remote) needs libcurl; without it only the stub that
# refuses URLs is built, as with the CMake option TGM_WITH_REMOTE.
REMOTE_CURL_FILES = ("conf.c", "creds.c", "engine.c", "source.c")
# Implemented in the project itself on top of another codec's library.
NEEDS = {"SZ3": "ZSTD"}

# The converters (../convert, libtensogram_convert): tenbin always, GRIB and
# NetCDF when their libraries are found (Debian: libeccodes-dev,
# libnetcdf-dev), as the CMake build decides.
CONVERT = os.path.join(ROOT, "convert")
CONVERT_COMMON = ["common.c", "parallel.c", "doctor.c", "tenbin.c", "tenbin_convert.c"]
CONVERT_BACKENDS = [
    # (name, header, library, probe call, sources, stub)
    ("GRIB", "eccodes.h", "eccodes", "codes_get_api_version()",
     ["grib_import.c", "grib_keys.c", "grib_template.c", "grib_export.c"], "grib_stub.c"),
    ("NETCDF", "netcdf.h", "netcdf", "nc_inq_libvers()",
     ["netcdf_import.c", "netcdf_attrs.c", "netcdf_export.c", "netcdf_commit.c"], "netcdf_stub.c"),
]


def probe(compiler, header, lib, call):
    """True when `header` compiles and `call` links against -l`lib`."""
    tmp = tempfile.mkdtemp(prefix="tgm-probe-")
    try:
        src = os.path.join(tmp, "probe.c")
        with open(src, "w") as fh:
            fh.write("#include <%s>\nint main(void) { (void)%s; return 0; }\n" % (header, call))
        objs = compiler.compile([src], output_dir=tmp)
        compiler.link_executable(objs, os.path.join(tmp, "probe"), libraries=[lib])
        return True
    except Exception:  # any compile or link failure means "not available"
        return False
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class BuildExt(build_ext):
    """Detects the codec libraries, then compiles in parallel."""

    def finalize_options(self):
        super().finalize_options()
        if not self.parallel:
            jobs = os.environ.get("TENSOGRAM_BUILD_JOBS")
            self.parallel = int(jobs) if jobs else (os.cpu_count() or 1)

    def build_extensions(self):
        from distutils.sysconfig import customize_compiler
        from distutils.ccompiler import new_compiler

        cc = new_compiler()
        customize_compiler(cc)
        for ext in self.extensions:
            have = list(BUILTIN)
            for name, header, lib, call in OPTIONAL:
                if probe(cc, header, lib, call):
                    have.append(name)
                    ext.libraries.append(lib)
                else:
                    print("tensogram: %s not found, codec %s left out" % (lib, name.lower()))
            if probe(cc, "curl/curl.h", "curl", "curl_multi_poll(0, 0, 0, 0, 0)"):
                have.append("REMOTE")
                ext.libraries.append("curl")
            else:
                print("tensogram: libcurl not found, remote access left out")
            have += [name for name, need in NEEDS.items() if need in have]
            if not probe(cc, "xxhash.h", "xxhash", "XXH3_64bits(0, 0)"):
                sys.exit("tensogram: libxxhash is required (Debian: libxxhash-dev)")
            # The library's sources live outside this directory; they are
            # added here, at build time, rather than listed in setup().
            ext.sources = ext.sources + [s for s in lib_sources if keep_source(s, have)]
            convert = list(CONVERT_COMMON)
            for name, header, lib, call, sources, stub in CONVERT_BACKENDS:
                if probe(cc, header, lib, call):
                    convert += sources
                    ext.libraries.append(lib)
                else:
                    convert.append(stub)
                    print("tensogram: %s not found, %s converters left out" % (lib, name))
            ext.sources += [os.path.join(CONVERT, c) for c in convert]
            ext.define_macros += [("TGM_HAVE_" + h, None) for h in have]
        super().build_extensions()


def keep_source(path, have):
    """Leave out src/codecs/<codec>_*.c of codecs not built (as CMake does):
    a codec's table entry, src/codecs/<codec>.c, is always compiled and
    guards its engine with TGM_HAVE_<CODEC>."""
    rel = os.path.relpath(path, SRC).replace(os.sep, "/")
    if rel.startswith("remote/"):
        base = os.path.basename(rel)
        if "REMOTE" in have:
            return base != "off.c"
        return base not in REMOTE_CURL_FILES
    if not rel.startswith("codecs/"):
        return True
    base = os.path.basename(rel)
    for name in [o[0] for o in OPTIONAL] + list(NEEDS):
        if base.startswith(name.lower() + "_") and name not in have:
            return False
    return True


lib_sources = sorted(glob.glob(os.path.join(SRC, "*", "*.c")))
ext_sources = sorted(
    os.path.relpath(p, HERE).replace(os.sep, "/") for p in glob.glob(os.path.join(HERE, "src", "*.c"))
)

link_args = ["-pthread"]
if sys.platform.startswith("linux"):
    # Export only PyInit__tensogram: the library's tgm_* symbols stay
    # private, so another libtensogram in the process cannot interpose.
    link_args.append("-Wl,--version-script=" + os.path.join(HERE, "src", "exports.map"))

extension = Extension(
    "tensogram._tensogram",
    sources=ext_sources,
    include_dirs=[INCLUDE, SRC, numpy.get_include()],
    define_macros=[("_POSIX_C_SOURCE", "200809L"), ("_DEFAULT_SOURCE", None)],
    libraries=["xxhash", "m"],
    extra_compile_args=[
        "-std=c11",
        # The CMake Release build's level: -O2 leaves the library's
        # vectorisable loops (NaN/Inf checks, min/max passes) scalar.
        "-O3",
        "-g0",
        "-fvisibility=hidden",
        # Decoded values must be bit-identical to the reference's: no fused
        # multiply-add contraction (as in the CMake build).
        "-ffp-contract=off",
    ],
    extra_link_args=link_args,
)

def package_version():
    """The reference API level this package implements, plus our library's
    version as a PEP 440 local label (tensogram/_version.py)."""
    with open(os.path.join(HERE, "tensogram", "_version.py"), encoding="utf-8") as fh:
        m = re.search(r'^API_LEVEL\s*=\s*"([^"]+)"', fh.read(), re.M)
    if not m:
        sys.exit("tensogram: API_LEVEL not found in tensogram/_version.py")
    return "%s+tgmc.%s" % (m.group(1), library_version())


setup(
    version=package_version(),
    ext_modules=[extension],
    cmdclass={"build_ext": BuildExt},
)
