"""The audit's memory on an export in parts: bounded by a part, not by the export.

A meta upload (email, phone, dob, zip, gender) of generated CRM rows is written as folders of
1, 2, 4 and 8 parts of ``--part-rows`` rows each (Spark's layout: ``part-0000N.csv``,
``_SUCCESS``, one signed manifest listing every part), and as one CSV file of the same rows.
Each export is audited three ways, each in a Python process started for it (the domain digests
read from a warm disk cache): the one file; the folder, its parts read in batches of the
default ``batch_bytes`` (64 MB of files); the folder one part at a time (``batch_bytes=0``).
Each reports the audit's time and its peak resident memory (VmHWM), beside a process that only
imports the library and loads the domain digests (the fixed cost). The three must give the
same findings, or the script fails. The largest export is also written as parts ten times
smaller (what batching is for: many small parts read together).

Usage: ``python benchmarks/bench_audit_parts.py [--part-rows 250000]``; writes
``benchmarks/results/bench_audit_parts.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl
from _results import RESULTS, print_and_save

import privacy
from privacy._manifest import (
    file_sha256,
    manifest_path,
    manifest_text,
    public_key_pem,
    sign_manifest,
)
from privacy._spark import parts_digest
from privacy._upload import upload_manifest

_CHILD = """
import datetime as dt, json, sys, time
import privacy
from privacy import _audit_domains
today = dt.date.fromisoformat(sys.argv[3])
_audit_domains.domain_table(today)
out = {}
if sys.argv[1] != "-":
    key = privacy.load_public_key(sys.argv[2])
    start = time.perf_counter()
    batch = {} if sys.argv[4] == "-" else {"batch_bytes": int(sys.argv[4])}
    report = privacy.audit(sys.argv[1], public_key=key, today=today, **batch)
    out["seconds"] = time.perf_counter() - start
    out["findings"] = [[f.check, f.severity, f.column, f.count, f.message]
                       for f in report.findings if f.check != "manifest"]
    out["manifest"] = [f.severity for f in report.findings if f.check == "manifest"]
    out["rows"] = report.rows
with open("/proc/self/status") as h:
    out["peak_mb"] = next(int(l.split()[1]) for l in h if l.startswith("VmHWM:")) / 1024
print(json.dumps(out))
"""


def child(export: str, public_pem: Path, today: dt.date, cache: Path,
          batch_bytes: int | None = None) -> dict:
    """The audit of ``export`` ("-": none) in a new process: time, findings, peak memory."""
    batch = "-" if batch_bytes is None else str(batch_bytes)
    out = subprocess.run([sys.executable, "-c", _CHILD, export, str(public_pem),  # noqa: S603
                          today.isoformat(), batch], capture_output=True, text=True, check=True,
                         env={**os.environ, "OMP_NUM_THREADS": "1",
                              "AUDIENCEKIT_CACHE_DIR": str(cache)})
    return json.loads(out.stdout.strip().splitlines()[-1])


def write_parts(frame: pl.DataFrame, rows: int, folder: Path, upload: privacy.Upload,
                key: object) -> None:
    """``frame`` as parts of ``rows`` rows with a signed manifest, as Spark would leave it."""
    folder.mkdir()
    parts = []
    for i, start in enumerate(range(0, frame.height, rows)):
        path = folder / f"part-{i:05d}.csv"
        frame.slice(start, rows).write_csv(path)
        parts.append({"file": path.name, "rows": min(rows, frame.height - start),
                      "sha256": file_sha256(path)})
    (folder / "_SUCCESS").write_text("")
    manifest = upload_manifest("meta", upload.report, "sha256", None, folder.name,
                               frame.height, parts_digest(parts))
    manifest["parts"] = parts
    manifest_path(folder).write_text(manifest_text(sign_manifest(manifest, key)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part-rows", type=int, default=250_000)
    parser.add_argument("--parts", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    today = dt.date.today()
    total = args.part_rows * max(args.parts)
    crm = privacy.synthetic_crm(total, seed=7).select("email", "phone", "dob", "zip", "gender",
                                                      "country")
    upload = privacy.prepare_upload(crm, "meta", columns={
        "email": "email", "phone": "phone", "dob": "dob", "zip": "zip", "gender": "gender"})
    frame = upload.frame
    key = privacy.generate_signing_key()
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        public_pem = folder / "public.pem"
        public_pem.write_bytes(public_key_pem(key.public_key()))
        cache = folder / "cache"
        base = child("-", public_pem, today, cache)  # warms the disk cache too
        base = child("-", public_pem, today, cache)
        def export(n: int, part_rows: int) -> dict[str, object]:
            """The first ``n * part_rows`` rows as one file and as parts, audited 3 ways."""
            part = frame.head(n * part_rows)
            parted = folder / f"export{n}x{part_rows}"
            write_parts(part, part_rows, parted, upload, key)
            one = folder / f"export{n}x{part_rows}.csv"
            part.write_csv(one)
            manifest = upload_manifest("meta", upload.report, "sha256", None, one.name,
                                       part.height, file_sha256(one))
            manifest_path(one).write_text(manifest_text(sign_manifest(manifest, key)))
            runs = {"one_file": child(str(one), public_pem, today, cache),
                    "parts_batched": child(str(parted), public_pem, today, cache),
                    "parts_one_at_a_time": child(str(parted), public_pem, today, cache, 0)}
            for mode, run in runs.items():
                if run["findings"] != runs["one_file"]["findings"] or run["manifest"]:
                    raise SystemExit(f"{mode} of {n} parts disagrees with one file: "
                                     f"{run['findings']} {run['manifest']}")
            size = one.stat().st_size
            shutil.rmtree(parted)
            one.unlink()
            return {"parts": n, "rows": part.height, "file_mb": round(size / 2**20, 1),
                    **{f"{mode}_peak_mb": round(run["peak_mb"]) for mode, run in runs.items()},
                    **{f"{mode}_seconds": round(run["seconds"], 2)
                       for mode, run in runs.items()}}

        for n in args.parts:
            rows.append(export(n, args.part_rows))
        # the largest export again, as parts ten times smaller: what batching is for
        small_parts = export(max(args.parts) * 10, args.part_rows // 10)
    small = next(r for r in rows if r["parts"] > 1)
    large = rows[-1]
    results: dict[str, object] = {
        "part_rows": args.part_rows,
        "batch_bytes_default": 64 * 2**20,
        "fixed_cost_peak_mb": round(base["peak_mb"]),
        "exports": rows,
        "small_parts": small_parts,
        "findings_equal": "one file, parts batched, parts one at a time: equal at every size",
    }
    for mode in ("one_file", "parts_batched", "parts_one_at_a_time"):
        above = [r[f"{mode}_peak_mb"] - base["peak_mb"] for r in (small, large)]
        results[f"{mode}_peak_above_fixed_mb_{small['rows']}_to_{large['rows']}_rows"] = (
            f"{above[0]:.0f} -> {above[1]:.0f} ({above[1] / max(above[0], 1):.2f}x for "
            f"{large['rows'] / small['rows']:.1f}x the rows)")
    results.update({
        "timing": "one audit per export, each in a new process; warm disk cache",
    })
    print_and_save(results, "bench_audit_parts", args.out)


if __name__ == "__main__":
    main()
