"""Shared test settings: hypothesis profiles sized for CI's two cores.

CI runs a fixed, derandomized set of examples so that a landing never depends on the luck of
the draw; ``HYPOTHESIS_PROFILE=dev`` explores new examples on every run (use it while working).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=60, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# The audit caches the digests of public domains (dates, ZIPs, names) on disk; tests keep theirs
# in a temporary folder of their own, never in the user's cache.
if "AUDIENCEKIT_CACHE_DIR" not in os.environ:
    import tempfile

    os.environ["AUDIENCEKIT_CACHE_DIR"] = tempfile.mkdtemp(prefix="audiencekit-test-cache-")
    import atexit
    import shutil

    atexit.register(shutil.rmtree, os.environ["AUDIENCEKIT_CACHE_DIR"], ignore_errors=True)


import pytest  # noqa: E402 - after the environment above is set


@pytest.fixture(scope="session")
def spark():
    """A real local Spark session (``local[2]``, 2 GB driver), started once by the test session.

    Spark comes with the ``spark`` extra and needs Java, which ``.ci/run`` installs when it is
    missing; without them these tests fail rather than skip: engine agreement is the point.
    """
    import sys

    from pyspark.sql import SparkSession

    # Python workers (mapInArrow) run this interpreter, with this environment's packages
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master("local[2]").appName("audiencekit-tests")
        .config("spark.driver.memory", "2g")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
