"""What every benchmark script does with its figures: print them, save them as JSON, and read
this process's peak memory."""

from __future__ import annotations

import json
import resource
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


def print_and_save(results: dict[str, object], name: str, out: str | Path = RESULTS) -> Path:
    """Print ``results`` as aligned lines and write them to ``<out>/<name>.json`` atomically."""
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
