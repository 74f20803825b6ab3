#!/usr/bin/env bash
# Run the Python package's tests the way a user installs it.
# Usage: ctest_driver.sh SOURCE_DIR WORK_DIR [STEP [PYTEST_ARGS...]]
#   (called by tests/python.cmake)
#   STEP all (default): install the package, then run every test in python/tests
#        install:       install only (the ctest fixture the test steps share)
#        test:          run pytest on PYTEST_ARGS (default python/tests) with
#                       the package an earlier install step put in WORK_DIR
#   TGM_PYTHON   interpreter (default /usr/bin/python3; never a pyenv shim)
# Exit 77 (skipped) when the interpreter lacks what the package needs.
set -euo pipefail
src="$1"
work="$2"
step="${3:-all}"
shift $(($# < 3 ? $# : 3))
case "$step" in
  all | install | test) ;;
  *) echo "ctest_driver.sh: unknown step '$step' (all, install, test)" >&2; exit 2 ;;
esac
py="${TGM_PYTHON:-/usr/bin/python3}"

for mod in numpy pytest venv setuptools; do
  if ! "$py" -c "import $mod" >/dev/null 2>&1; then
    echo "skipped: $py cannot import $mod (Debian: python3-numpy python3-pytest python3-venv python3-setuptools)"
    exit 77
  fi
done
if ! "$py" -c "import sysconfig, os; assert os.path.exists(os.path.join(sysconfig.get_paths()['include'], 'Python.h'))" >/dev/null 2>&1; then
  echo "skipped: Python.h not found for $py (Debian: python3-dev)"
  exit 77
fi

mkdir -p "$work"
venv="$work/venv"
if [ "$step" != test ]; then
if [ ! -x "$venv/bin/python" ]; then
  "$py" -m venv --system-site-packages "$venv"
fi
# pip builds a local directory in place (build/, *.egg-info): build a copy
# of the package here, in the build tree, never in the source tree.  The
# copy is fresh each time, so no object compiled with other codec options
# survives; the library's C sources are read from the source tree
# (TENSOGRAM_SOURCE_DIR).
pkg="$work/package"
rm -rf "$pkg"
mkdir -p "$pkg"
tar -C "$src/python" --exclude=./build --exclude='*.egg-info' --exclude=__pycache__ \
    --exclude=./tests -cf - . | tar -C "$pkg" -xf -
echo "== pip install --no-build-isolation (a copy of $src/python in $pkg)"
TENSOGRAM_SOURCE_DIR="$src" "$venv/bin/pip" install --no-build-isolation --no-input \
  --disable-pip-version-check -q "$pkg"
fi
[ "$step" = install ] && exit 0
if [ ! -x "$venv/bin/python" ]; then
  echo "ctest_driver.sh: no package installed in $work (run the install step first)" >&2
  exit 1
fi

# Run from the work directory: from python/ the source package (which has
# no compiled extension) would shadow the installed one.
cd "$work"
echo "== pytest (python $("$venv/bin/python" -c 'import sys; print(sys.version.split()[0])'))"
# No __pycache__ next to the tests in the source tree.
export PYTHONDONTWRITEBYTECODE=1
[ $# -gt 0 ] || set -- "$src/python/tests"
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider -rs "$@"
