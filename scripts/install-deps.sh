#!/usr/bin/env bash
# Install every Debian package Tensogram for C needs to build, test and benchmark.
# Called by the README's commands and by .ci/run. Safe to run repeatedly.
set -euo pipefail

PKGS=(
  # toolchain
  build-essential cmake pkg-config clang clang-format llvm libclang-rt-14-dev valgrind git
  # codec and hashing libraries
  libzstd-dev liblz4-dev libaec-dev libzfp-dev libroaring-dev libxxhash-dev zlib1g-dev
  # external checks and comparisons
  libgtest-dev libeccodes-dev libnetcdf-dev
  # Python extension and its tests
  python3 python3-dev python3-venv python3-pip python3-setuptools python3-wheel
  python3-numpy python3-pytest python3-numcodecs python3-zarr
  # xarray backend, dask, zarr store, plots (Python) and PNG output (CLI plot)
  python3-xarray python3-dask python3-distributed python3-matplotlib python3-packaging libpng-dev
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
