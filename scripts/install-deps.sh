#!/usr/bin/env bash
# Install every Debian package Tensogram for C needs to build, test and benchmark.
# Called by the README's commands and by .ci/run. Safe to run repeatedly.
set -euo pipefail

PKGS=(
  # toolchain
  build-essential cmake pkg-config clang clang-format llvm libclang-rt-14-dev valgrind git strace
  # codec and hashing libraries
  libzstd-dev liblz4-dev libaec-dev libzfp-dev libroaring-dev libxxhash-dev zlib1g-dev
  # external checks and comparisons
  libgtest-dev libeccodes-dev libnetcdf-dev
  # converters' independent checks: grib_compare / ncdump, the Python readers, ZMQ for tenbin
  libeccodes-tools netcdf-bin python3-eccodes python3-netcdf4 python3-zmq
  # C++ and Fortran interfaces (their tests use GoogleTest above)
  g++ gfortran
  # Python extension and its tests
  python3 python3-dev python3-venv python3-pip python3-setuptools python3-wheel
  python3-numpy python3-pytest python3-pytest-asyncio python3-numcodecs python3-zarr
  # xarray backend, dask, zarr store, plots (Python) and PNG output (CLI plot)
  python3-xarray python3-dask python3-distributed python3-matplotlib python3-packaging libpng-dev
  # the servers the remote-access tests run on the loopback interface: nginx
  # (HTTP, HTTPS + HTTP/2 with an openssl certificate), s3rver from npm
  # behind a botocore signature gate; curl is the download baseline
  nginx openssl curl python3-botocore nodejs
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
# Debian's nodejs ships npm separately; other nodejs builds include it.
if ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  # policy-rc.d keeps the nginx package from starting a system service:
  # the tests start their own servers.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Remote access needs a libcurl development package: libcurl4-openssl-dev,
# unless a package installed above brought libcurl4-gnutls-dev (the two
# conflict; e.g. libeckit-dev, under python3-eccodes, needs the GnuTLS one),
# hence a separate step after the others.  The library builds against either.
if ! dpkg-query -W -f='${Status}' libcurl4-gnutls-dev 2>/dev/null | grep -q "install ok installed" &&
   ! dpkg-query -W -f='${Status}' libcurl4-openssl-dev 2>/dev/null | grep -q "install ok installed"; then
  echo "install-deps: installing libcurl4-openssl-dev"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends libcurl4-openssl-dev
fi

# s3rver (npm), the S3-compatible server of the remote tests, in a folder
# outside the source tree (tests/remote.cmake looks for it there).
NPM_PREFIX="${TGM_NPM_PREFIX:-$HOME/.cache/tensogram/npm}"
if [ ! -f "$NPM_PREFIX/node_modules/s3rver/bin/s3rver.js" ]; then
  echo "install-deps: npm install s3rver@3.7.1 into $NPM_PREFIX"
  mkdir -p "$NPM_PREFIX"
  npm install --no-audit --no-fund --loglevel=error --prefix "$NPM_PREFIX" s3rver@3.7.1 >/dev/null
fi
