#!/usr/bin/env bash
# The README's test command: installs the project with its dev extras into .venv (when
# missing) and runs the default test suite: unit tests, property tests and doctests.
# Slow studies are marked `slow` and run separately (`scripts/test.sh -m slow`).
# pytest exits non-zero on any failure and with code 5 when no test ran.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  "${PYTHON:-python3}" -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[dev]"
fi
export MPLBACKEND=Agg
exec .venv/bin/python -m pytest -p no:cacheprovider "$@"
