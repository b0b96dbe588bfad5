"""Normalize + hash on Spark (local[2]) against the single-machine path, on the same rows.

1,000,000 generated CRM rows, emails and phones (national numbers read as US). Timed in one
process, rounds interleaved, median: ``prepare_values`` on each column with 1 and with 2
hashing processes (the local baseline); ``prepare_values`` on each column of a local Spark
(2 cores) reading the same rows from Parquet in splits, every value prepared (a no-op sink),
which runs the same per-column code in each partition (mapInArrow); and the whole
``prepare_upload(spark_df)`` with its report counted in Spark. The Spark values are checked
equal to the local ones.

Usage: ``python benchmarks/bench_spark_upload.py [--rows 1000000] [--rounds 3]``.
Prints the figures and writes ``benchmarks/results/bench_spark_upload.json``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import polars as pl
from _results import RESULTS, print_and_save, spark_session

import privacy

COLUMNS = {"email": "email", "phone": "phone", "country": "country"}


def _session(arrow_batch: int):
    return spark_session("audiencekit-bench-upload", "2g",
                         spark_sql_files_maxPartitionBytes="4m",
                         spark_sql_execution_arrow_maxRecordsPerBatch=str(arrow_batch))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--arrow-batch", type=int, default=10_000,
                        help="spark.sql.execution.arrow.maxRecordsPerBatch (Spark's default: "
                        "10,000 rows per Arrow batch to and from the Python workers)")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    crm = privacy.synthetic_crm(args.rows, seed=42).select("email", "phone", "country")
    results: dict[str, object] = {"rows": args.rows, "cores": os.cpu_count(),
                                  "timing": f"median of {args.rounds} interleaved rounds"}

    def local(processes: int) -> tuple[pl.Series, pl.Series]:
        return (privacy.prepare_values(crm["email"], "email", processes=processes),
                privacy.prepare_values(crm["phone"], "phone", processes=processes))

    spark = _session(args.arrow_batch)
    results["arrow_batch"] = args.arrow_batch
    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/crm.parquet"
        crm.write_parquet(path, row_group_size=max(1, args.rows // 8))
        frame = spark.read.parquet(path)
        results["spark_partitions"] = frame.rdd.getNumPartitions()
        privacy.prepare_upload(spark.read.parquet(path).limit(1_000), "meta",
                               columns=COLUMNS)  # start the Python workers once

        def on_spark() -> None:  # the same two columns, every value prepared (noop sink)
            for column, kind in (("email", "email"), ("phone", "phone")):
                out = privacy.prepare_values(frame.select(column), kind, reasons=True)
                out.write.format("noop").mode("overwrite").save()

        def upload_on_spark() -> privacy.SparkUpload:  # and the whole upload with its report
            upload = privacy.prepare_upload(frame, "meta", columns=COLUMNS)
            upload.unpersist()
            return upload

        times: dict[str, list[float]] = {"local_1_process": [], "local_2_processes": [],
                                         "spark_local2": [], "spark_upload_with_report": []}
        outputs: dict[str, object] = {}
        for _ in range(args.rounds):
            for name, fn in (("local_1_process", lambda: local(1)),
                             ("local_2_processes", lambda: local(2)),
                             ("spark_local2", on_spark),
                             ("spark_upload_with_report", upload_on_spark)):
                start = time.perf_counter()
                outputs[name] = fn()
                times[name].append(time.perf_counter() - start)
        emails, phones = outputs["local_1_process"]  # type: ignore[misc]
        got = pl.DataFrame({
            c: pl.from_arrow(privacy.prepare_values(frame.select(c), c).toArrow())["value"]
            for c in ("email", "phone")})
        want = pl.DataFrame({"email": emails, "phone": phones})
        same = got.sort(["email", "phone"]).equals(want.sort(["email", "phone"]))
        if not same:
            raise SystemExit("Spark's hashes differ from the local ones")
        spark.stop()
    medians = {k: statistics.median(v) for k, v in times.items()}
    rates = {k: args.rows / v for k, v in medians.items()}
    results.update(
        seconds=medians, rows_per_second={k: round(v) for k, v in rates.items()},
        rounds={k: [round(t, 2) for t in v] for k, v in times.items()},
        identical_hashes=same,
        spark_vs_local_2_processes=rates["spark_local2"] / rates["local_2_processes"],
        spark_vs_local_1_process=rates["spark_local2"] / rates["local_1_process"],
    )
    print(f"{args.rows:,} rows, email + phone: local 1 process {rates['local_1_process']:,.0f} "
          f"rows/s, 2 processes {rates['local_2_processes']:,.0f}; Spark local[2] "
          f"{rates['spark_local2']:,.0f} rows/s = "
          f"{results['spark_vs_local_2_processes']:.2f}x the 2-process rate")
    print()
    print_and_save(results, "bench_spark_upload", args.out)


if __name__ == "__main__":
    main()
