#!/usr/bin/env bash
# The Spark tests on Spark 3.5 (the Databricks LTS line), beside the 4.x that CI runs: a venv of
# its own with pyspark 3.5, then the tests that start a Spark session. Needs Java 17.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-spark35
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
fi
"$venv/bin/python" -m pip install --quiet -e '.[test]' 'pyspark>=3.5,<3.6' 'pandas<3'
# pyspark 3.5 leaves its sockets to the garbage collector, checks pandas with distutils and
# converts pandas frames with a pandas function pandas 2.x deprecates: its warnings, not failures.
"$venv/bin/python" -m pytest -p no:cacheprovider -q -W "ignore::ResourceWarning" \
  -W "ignore::pytest.PytestUnraisableExceptionWarning" \
  -W "ignore:distutils Version classes are deprecated:DeprecationWarning" \
  -W "ignore:is_datetime64tz_dtype is deprecated:DeprecationWarning" tests/test_spark_agreement.py \
  tests/test_engine_correctness.py tests/test_engines.py tests/test_spark_upload.py \
  tests/test_spark_lookalike.py "$@"
