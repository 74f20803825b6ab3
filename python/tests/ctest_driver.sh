#!/usr/bin/env bash
# Run the Python package's tests the way a user installs it.
# Usage: ctest_driver.sh SOURCE_DIR WORK_DIR   (called by tests/python.cmake)
#   TGM_PYTHON   interpreter (default /usr/bin/python3; never a pyenv shim)
# Exit 77 (skipped) when the interpreter lacks what the package needs.
set -euo pipefail
src="$1"
work="$2"
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
if [ ! -x "$venv/bin/python" ]; then
  "$py" -m venv --system-site-packages "$venv"
fi
echo "== pip install --no-build-isolation $src/python"
"$venv/bin/pip" install --no-build-isolation --no-input --disable-pip-version-check -q "$src/python"

# Run from the work directory: from python/ the source package (which has
# no compiled extension) would shadow the installed one.
cd "$work"
echo "== pytest (python $("$venv/bin/python" -c 'import sys; print(sys.version.split()[0])'))"
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider -rs "$src/python/tests"
