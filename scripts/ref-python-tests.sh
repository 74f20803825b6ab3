#!/usr/bin/env bash
# Run test files of the reference implementation's Python suite
# (python/tests of its source tree) against THIS package, as installed by
# the python_pytest ctest test into BUILD_DIR/tests/python/venv.  The
# reference's files (its conftest.py and the chosen test_*.py) are copied to
# a scratch directory, never into this repository, and removed afterwards.
#
# Usage: scripts/ref-python-tests.sh BUILD_DIR [TEST_FILE...]
#   TEST_FILE  names in the reference's python/tests (default: test_async.py)
#   TGM_REFERENCE_SOURCE  the reference's source tree (default ../ref)
# Exit 77 (skipped) without the reference sources, the venv or
# pytest-asyncio (Debian: python3-pytest-asyncio).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:?usage: ref-python-tests.sh BUILD_DIR [TEST_FILE...]}" && pwd)"
shift
ref="${TGM_REFERENCE_SOURCE:-$here/../ref}"
py="$build/tests/python/venv/bin/python"
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(test_async.py)
if [ ! -f "$ref/python/tests/conftest.py" ]; then
  echo "skipped: reference Python tests not found under $ref/python/tests"
  exit 77
fi
if [ ! -x "$py" ]; then
  echo "skipped: no venv at $build/tests/python/venv (run ctest -R python_pytest first)"
  exit 77
fi
if ! "$py" -c "import pytest_asyncio" 2>/dev/null; then
  echo "skipped: pytest-asyncio missing (Debian: python3-pytest-asyncio)"
  exit 77
fi
work="$(mktemp -d "${TMPDIR:-/tmp}/tgm-ref-python.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cp "$ref/python/tests/conftest.py" "$work/"
for f in "${files[@]}"; do
  cp "$ref/python/tests/$f" "$work/"
done
cd "$work"
exec "$py" -m pytest -q -p no:cacheprovider -rs "${files[@]}"
