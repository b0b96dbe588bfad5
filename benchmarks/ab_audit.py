"""The warm audit of a 1,000,000-row upload, this tree against an earlier commit, on one host.

Regressions hide in the noise of a shared machine: this script checks out ``--base`` (a git
revision) in a temporary worktree and times ``privacy.audit`` of the same file in a child
process per tree, alternating trees over ``--rounds`` rounds; it prints the median wall and CPU
time of each and their ratio.

Usage: ``python benchmarks/ab_audit.py [--base 689d3f5] [--rows 1000000] [--rounds 5]``;
writes ``benchmarks/results/ab_audit.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from _results import RESULTS, print_and_save

ROOT = Path(__file__).resolve().parents[1]

_CHILD = """
import datetime as dt, json, sys, time
sys.path.insert(0, sys.argv[1])
import privacy
today = dt.date(2026, 11, 1)
privacy.audit(sys.argv[2], today=today)  # the in-process caches, as a warm audit has them
wall, cpu = [], []
for _ in range(int(sys.argv[3])):
    t, c = time.perf_counter(), time.process_time()
    privacy.audit(sys.argv[2], today=today)
    wall.append(time.perf_counter() - t)
    cpu.append(time.process_time() - c)
print(json.dumps({"wall": wall, "cpu": cpu}))
"""


def timed(tree: Path, path: Path, repeats: int) -> dict[str, list[float]]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, "-c", _CHILD, str(tree), str(path), str(repeats)],  # noqa: S603
                         capture_output=True, text=True, check=True, env=env, cwd=tree)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="689d3f5")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    import privacy

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        subprocess.run(["git", "worktree", "add", "--detach", str(base), args.base],  # noqa: S603,S607
                       cwd=ROOT, check=True, capture_output=True)
        try:
            crm = privacy.synthetic_crm(args.rows, seed=7)
            upload = privacy.prepare_upload(crm, "meta", columns={
                "email": "email", "phone": "phone", "dob": "dob", "zip": "zip",
                "gender": "gender"})
            path = Path(tmp) / "export.csv"
            upload.write(path)
            del crm, upload
            runs: dict[str, dict[str, list[float]]] = {"base": {"wall": [], "cpu": []},
                                                       "this": {"wall": [], "cpu": []}}
            for _ in range(args.rounds):
                for name, tree in (("base", base), ("this", ROOT)):
                    got = timed(tree, path, 3)
                    runs[name]["wall"].append(float(np.median(got["wall"])))
                    runs[name]["cpu"].append(float(np.median(got["cpu"])))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)],  # noqa: S603,S607
                           cwd=ROOT, check=False, capture_output=True)
    med = {n: {k: float(np.median(v)) for k, v in r.items()} for n, r in runs.items()}
    print_and_save({
        "base": args.base,
        "crm_rows": args.rows,
        "timing": f"median over {args.rounds} alternating rounds of the median of 3 audits",
        "base_warm_audit_seconds": med["base"]["wall"],
        "this_warm_audit_seconds": med["this"]["wall"],
        "ratio_this_vs_base_wall": med["this"]["wall"] / med["base"]["wall"],
        "base_warm_audit_cpu_seconds": med["base"]["cpu"],
        "this_warm_audit_cpu_seconds": med["this"]["cpu"],
        "ratio_this_vs_base_cpu": med["this"]["cpu"] / med["base"]["cpu"],
        "rounds": runs,
    }, "ab_audit", args.out)


if __name__ == "__main__":
    main()
