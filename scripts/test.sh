#!/usr/bin/env bash
# The whole test suite (unit, property, vectors, doctests), the linter and the type checker.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/python -m pytest -p no:cacheprovider
