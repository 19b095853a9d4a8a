#!/usr/bin/env bash
# Build the documentation strictly (broken links, missing references and docstring
# problems fail the build). Sourced by .ci/run from the repository root after `.[dev]`
# is installed into .venv.
set -euo pipefail
.venv/bin/mkdocs build --strict --site-dir "$(mktemp -d)"
