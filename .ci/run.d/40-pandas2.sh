#!/usr/bin/env bash
# The oldest pandas line pyproject.toml allows (pandas 2.2, before copy-on-write became
# the default): the default suite again in a second, throw-away virtual environment,
# so the floor is tested rather than assumed. Run by .ci/run from the repository root.
set -euo pipefail
venv="$(mktemp -d)/venv"
"${PYTHON:-python3}" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -e ".[dev]" "pandas~=2.2.0"
"$venv/bin/python" -c "import pandas; print('pandas', pandas.__version__)"
MPLBACKEND=Agg "$venv/bin/python" -m pytest -q -p no:cacheprovider
rm -rf "$(dirname "$venv")"
