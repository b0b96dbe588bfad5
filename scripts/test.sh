#!/usr/bin/env bash
# The whole test suite (unit, property, vectors, doctests) and the linter.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/python -m pytest -p no:cacheprovider
