"""Segments on Apache Spark: ours against the same logic hand-written with PySpark's DataFrame API.

On a local Spark (``local[2]``, this machine's two cores) reading the synthetic population from
Parquet: the README's example audience (profile conditions only) and a behavioral segment (5+
game sessions in the last 30 days), each counted by ``Population.size`` and by a hand-written
PySpark query, same session, same files, alternated, median of the runs. Both must count the
same people (and agree with polars). Then a scale run: 10M profiles and their ~76M events read
from Parquet by a Spark driver capped at 4 GB, the time and the driver JVM's peak memory.

Usage: ``python benchmarks/bench_spark.py [--people 2000000] [--scale-people 10000000]``.
Prints the figures and writes ``benchmarks/results/bench_spark.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import polars as pl
from _results import RESULTS, print_and_save, spark_session

import segmentation as seg

EXAMPLE = seg.Segment(
    "young gamers on old slow phones",
    seg.field("age").between(18, 25) & seg.field("interests").contains("gaming")
    & (seg.field("device_age_years") >= 3) & (seg.field("avg_downlink_mbps") < 10),
)
BEHAVIORAL = seg.Segment("engaged gamers", seg.event("game_session").count(within="30d") >= 5)


def hand_example(profiles, events, now: dt.datetime):
    from pyspark.sql import functions as F

    return profiles.filter(
        F.col("age").between(18, 25) & F.array_contains("interests", "gaming")
        & (F.col("device_age_years") >= 3) & (F.col("avg_downlink_mbps") < 10)
    ).select("user_id")


def hand_behavioral(profiles, events, now: dt.datetime):
    from pyspark.sql import functions as F

    # the files hold naive UTC times (TIMESTAMP_NTZ in Spark): compare with NTZ literals
    lower = F.lit(now - dt.timedelta(days=30)).cast("timestamp_ntz")
    sessions = (events.filter((F.col("event") == "game_session") & (F.col("ts") >= lower)
                              & (F.col("ts") <= F.lit(now).cast("timestamp_ntz")))
                .groupBy("user_id").agg(F.count(F.lit(1)).alias("n")))
    return (profiles.join(sessions, "user_id", "left")
            .filter(F.coalesce(F.col("n"), F.lit(0)) >= 5).select("user_id"))


def _session(memory: str):
    return spark_session("audiencekit-bench", memory, spark_sql_shuffle_partitions="8")


def _jvm_peak_mb() -> float | None:
    """The peak resident memory of the Spark driver JVM (a child of this process)."""
    me = os.getpid()
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        if fields.get("Name", "").strip() == "java" and int(fields["PPid"]) in (me, *_children(me)):
            return int(fields["VmHWM"].split()[0]) / 1024
    return None


def _children(pid: int) -> list[int]:
    out = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines()
                          if ":" in line)
        except OSError:
            continue
        if int(fields.get("PPid", "0")) == pid:
            out.append(int(status.parent.name))
    return out


def _write(people: int, folder: str, events_scale: float) -> tuple[str, str, dt.datetime, dict]:
    pop = seg.synthetic_population(people, seed=0, events_scale=events_scale)
    profiles, events = pop.profiles.collect(), pop.events.collect()
    p_path, e_path = f"{folder}/profiles.parquet", f"{folder}/events.parquet"
    profiles.write_parquet(p_path, row_group_size=500_000)
    events.write_parquet(e_path, row_group_size=2_000_000)
    local = seg.Population(profiles, events, now=pop.now)
    sizes = {"example": local.size(EXAMPLE), "behavioral": local.size(BEHAVIORAL),
             "events": events.height}
    return p_path, e_path, pop.now, sizes


def compare(args: argparse.Namespace, results: dict) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        p_path, e_path, now, sizes = _write(args.people, tmp, 1.0)
        gc.collect()
        spark = _session("2g")
        profiles, events = spark.read.parquet(p_path), spark.read.parquet(e_path)
        pop = seg.Population(profiles, events, now=now)
        results.update(people=args.people, events=sizes["events"],
                       spark=spark.version, ts_type=str(events.schema["ts"].dataType))
        # the first call also counts the population and reads the event names (the typo
        # check): once per Population, timed apart
        start = time.perf_counter()
        pop.size(BEHAVIORAL)
        results["first_call_seconds"] = time.perf_counter() - start
        for name, segment, hand in (("example", EXAMPLE, hand_example),
                                    ("behavioral", BEHAVIORAL, hand_behavioral)):
            ours_t, hand_t = [], []
            for _ in range(args.repeat):  # alternated, so neither gets a warmer cache
                start = time.perf_counter()
                ours = pop.count(segment)
                ours_t.append(time.perf_counter() - start)
                start = time.perf_counter()
                theirs = hand(profiles, events, now).count()
                hand_t.append(time.perf_counter() - start)
                if not ours == theirs == sizes[name]:
                    raise SystemExit(f"{name}: ours {ours}, PySpark {theirs}, polars "
                                     f"{sizes[name]}")
            o, h = statistics.median(ours_t), statistics.median(hand_t)
            results[name] = {"size": sizes[name], "ours_seconds": o, "hand_pyspark_seconds": h,
                             "ratio_vs_hand_pyspark": o / h}
            print(f"{name}: {sizes[name]:,} people; ours {o:.2f} s, hand-written PySpark "
                  f"{h:.2f} s ({o / h:.2f}x)")
        spark.stop()


def scale(args: argparse.Namespace, results: dict) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        p_path, e_path, now, sizes = _write(args.scale_people, tmp, args.events_scale)
        gc.collect()
        written = time.perf_counter() - start
        spark = _session("4g")
        pop = seg.Population(spark.read.parquet(p_path), spark.read.parquet(e_path), now=now)
        start = time.perf_counter()
        got = {"example": pop.size(EXAMPLE), "behavioral": pop.size(BEHAVIORAL)}
        combined = pop.select(EXAMPLE) & pop.select(BEHAVIORAL)
        got_combined = combined.size
        waterfall = pop.waterfall(BEHAVIORAL.condition & EXAMPLE.condition)
        elapsed = time.perf_counter() - start
        if got["example"] != sizes["example"] or got["behavioral"] != sizes["behavioral"]:
            raise SystemExit(f"scale run differs from polars: {got} vs {sizes}")
        results["scale"] = {
            "people": args.scale_people, "events": sizes["events"], "driver_memory": "4g",
            "generate_and_write_seconds": written, "spark_seconds": elapsed,
            "sizes": got, "both": got_combined,
            "waterfall_last": int(waterfall["size"][-1]),
            "driver_jvm_peak_rss_mb": _jvm_peak_mb(),
        }
        print(f"scale: {args.scale_people:,} people, {sizes['events']:,} events from Parquet: "
              f"two sizes, an intersection and a waterfall in {elapsed:.1f} s; driver JVM peak "
              f"{results['scale']['driver_jvm_peak_rss_mb']} MB (4 GB driver)")
        spark.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scale-people", type=int, default=10_000_000)
    parser.add_argument("--events-scale", type=float, default=0.25)
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    results: dict[str, object] = {"cores": os.cpu_count(), "polars": pl.__version__}
    compare(args, results)
    if not args.skip_scale:
        scale(args, results)
    else:  # keep the last scale run's figures (the comparison is re-run more often)
        saved = Path(args.out) / "bench_spark.json"
        if saved.is_file():
            last = json.loads(saved.read_text()).get("scale")
            if last is not None:
                results["scale"] = {**last, "note": "from the last full run"}
    print()
    print_and_save(results, "bench_spark", args.out)


if __name__ == "__main__":
    main()
