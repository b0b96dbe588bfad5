"""What every benchmark script does with its figures: print them, save them as JSON, and read
this process's peak memory."""

from __future__ import annotations

import importlib.metadata
import json
import platform
import resource
import subprocess
from pathlib import Path

from privacy._io import atomic_write

RESULTS = Path(__file__).parent / "results"


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB (VmHWM: reset by exec, unlike ru_maxrss)."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


_LIBRARIES = ("audiencekit", "polars", "pyarrow", "numpy", "scikit-learn", "cryptography",
              "phonenumbers", "facebook-business", "duckdb", "pyspark", "openmined-psi", "opendp",
              "pulearn", "pu-toolbox")


def environment() -> dict[str, object]:
    """Where the figures were measured: the commit, the CPU, Python and library versions."""
    root = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,  # noqa: S607
                                text=True, check=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],  # noqa: S607
                                    cwd=root, capture_output=True, text=True,
                                    check=True).stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        commit, dirty = "unknown", False
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
            cpu = next((line.split(":", 1)[1].strip() for line in handle
                        if line.startswith("model name")), cpu)
    except OSError:
        pass
    versions = {}
    for lib in _LIBRARIES:
        try:
            versions[lib] = importlib.metadata.version(lib)
        except importlib.metadata.PackageNotFoundError:
            continue
    return {"commit": commit + ("+uncommitted changes" if dirty else ""), "cpu": cpu,
            "python": platform.python_version(), "libraries": versions}


def print_and_save(results: dict[str, object], name: str, out: str | Path = RESULTS) -> Path:
    """Print ``results`` as aligned lines and write them, with :func:`environment`, to
    ``<out>/<name>.json`` atomically."""
    results = {**results, "environment": environment()}
    width = max(len(k) for k in results)
    for key, value in results.items():
        shown = f"{value:,.3f}" if isinstance(value, float) else str(value)
        print(f"{key:<{width}}  {shown}")
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    with atomic_write(path, "w") as handle:
        json.dump(results, handle, indent=2)
        handle.write("\n")
    print(f"saved {path}")
    return path


def spark_session(app: str, memory: str, **conf: str):
    """A local Spark on this machine's two cores (``local[2]``), quiet, in UTC, its Python
    workers running this interpreter; ``conf`` adds settings (dots as underscores)."""
    import os
    import sys

    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers see this environment
    builder = (SparkSession.builder.master("local[2]").appName(app)
               .config("spark.driver.memory", memory)
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.session.timeZone", "UTC"))
    for key, value in conf.items():
        builder = builder.config(key.replace("_", "."), value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session
