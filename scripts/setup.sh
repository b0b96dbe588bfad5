#!/usr/bin/env bash
# Make .venv with the project and its test and spark extras, once (Spark needs Java 17+).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
fi
.venv/bin/python -m pip install --quiet -e '.[test,spark]'
