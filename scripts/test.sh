#!/usr/bin/env bash
# The README's test command: installs the project in editable mode with its dev extras
# into .venv (creating it when missing, and again whenever pyproject.toml changed or the
# venv came from a plain `pip install .`), then runs the default test suite: unit tests,
# property tests, doctests and the notebooks. Slow calibration studies are marked `slow`
# and run separately (`bash scripts/test.sh -m slow`).
# pytest exits non-zero on any failure and with code 5 when no test ran.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  "${PYTHON:-python3}" -m venv .venv
fi
stamp=.venv/.oot-dev-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[dev]"
  touch "$stamp"
fi
export MPLBACKEND=Agg
exec .venv/bin/python -m pytest -p no:cacheprovider "$@"
