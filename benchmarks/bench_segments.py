"""Segment evaluation speed on a large synthetic population, against hand-written baselines.

The audience: the report's example (18-25 year-old gamers on a 3+ year-old phone under
10 Mb/s) plus one behavioral condition (5+ game sessions in the last 30 days). Timed in the same
process on the same data: our ``Population.select``; the same logic written by hand in polars;
in pandas; and DuckDB running the SQL that ``Segment.to_sql`` writes. Then the same segment over
Parquet files with polars' streaming engine, in a child process whose peak memory is read.

Usage: ``python benchmarks/bench_segments.py [--people 10000000] [--events-scale 0.25]``.
Prints the figures and writes ``benchmarks/results/bench_segments.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import duckdb
import polars as pl
from _results import RESULTS, peak_rss_mb, print_and_save

import segmentation as seg

SEGMENT = seg.Segment(
    "young gamers on old slow phones, 5+ sessions in 30 days",
    seg.field("age").between(18, 25) & seg.field("interests").contains("gaming")
    & (seg.field("device_age_years") >= 3) & (seg.field("avg_downlink_mbps") < 10)
    & (seg.event("game_session").count(within="30d") >= 5),
)


def _best(fn, repeat: int = 3):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return result, statistics.median(times)


def hand_polars(profiles: pl.LazyFrame, events: pl.LazyFrame, now: dt.datetime) -> pl.Series:
    sessions = (
        events.filter((pl.col("event") == "game_session")
                      & (pl.col("ts") >= now - dt.timedelta(days=30)) & (pl.col("ts") <= now))
        .group_by("user_id").agg(pl.len().alias("n"))
    )
    return (
        profiles.join(sessions, on="user_id", how="left")
        .filter(pl.col("age").is_between(18, 25) & pl.col("interests").list.contains("gaming")
                & (pl.col("device_age_years") >= 3) & (pl.col("avg_downlink_mbps") < 10)
                & (pl.col("n").fill_null(0) >= 5))
        .select("user_id").collect()["user_id"].sort()
    )


def hand_pandas(profiles, events, now: dt.datetime):
    window = events[(events["event"] == "game_session")
                    & (events["ts"] >= now - dt.timedelta(days=30)) & (events["ts"] <= now)]
    sessions = window.groupby("user_id").size().rename("n")
    joined = profiles.join(sessions, on="user_id", how="left")
    gaming = joined["interests"].map(lambda items: "gaming" in items)
    mask = (joined["age"].between(18, 25) & gaming & (joined["device_age_years"] >= 3)
            & (joined["avg_downlink_mbps"] < 10) & (joined["n"].fillna(0) >= 5))
    return joined.loc[mask, "user_id"].sort_values()


def _streaming_child(profiles: str, events: str, now: str) -> None:
    """Run in a child process: the segment over Parquet with the streaming engine."""
    start = time.perf_counter()
    pop = seg.Population(profiles, events, now=dt.datetime.fromisoformat(now))
    size = pop.select(SEGMENT, streaming=True).size
    elapsed = time.perf_counter() - start
    print(json.dumps({"size": size, "seconds": elapsed, "peak_rss_mb": peak_rss_mb()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000_000)
    parser.add_argument("--events-scale", type=float, default=0.25)
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _streaming_child(*args.child)
        return

    results: dict[str, object] = {"people": args.people, "events_scale": args.events_scale,
                                  "cores": os.cpu_count(), "polars": pl.__version__}
    start = time.perf_counter()
    seg.synthetic_population(1_000_000, seed=1)
    results["synthetic_1m_seconds"] = time.perf_counter() - start

    start = time.perf_counter()
    pop = seg.synthetic_population(args.people, seed=0, events_scale=args.events_scale)
    profiles, events = pop.profiles.collect(), pop.events.collect()  # type: ignore[union-attr]
    pop = seg.Population(profiles, events, now=pop.now)
    results["generate_seconds"] = time.perf_counter() - start
    results["events"] = events.height
    print(f"generated {args.people:,} people and {events.height:,} events "
          f"in {results['generate_seconds']:.1f} s")

    ours, t_ours = _best(lambda: pop.select(SEGMENT).ids)
    hand, t_hand = _best(lambda: hand_polars(profiles.lazy(), events.lazy(), pop.now))
    assert ours.to_list() == hand.to_list(), "our result differs from the hand-written query"
    results.update(size=len(ours), ours_seconds=t_ours, hand_polars_seconds=t_hand,
                   ratio_vs_hand_polars=t_ours / t_hand)
    print(f"ours {t_ours:.3f} s, hand-written polars {t_hand:.3f} s")

    con = duckdb.connect()
    con.register("profiles", profiles.to_arrow())
    con.register("events", events.to_arrow())
    sql = pop.to_sql(SEGMENT)
    rows, t_duck = _best(lambda: con.execute(sql).fetchall())
    assert sorted(r[0] for r in rows) == ours.to_list(), "DuckDB on to_sql() differs"
    results.update(duckdb_seconds=t_duck, ratio_vs_duckdb=t_ours / t_duck)
    print(f"DuckDB on to_sql() {t_duck:.3f} s")
    con.close()

    pd_profiles = profiles.to_pandas()
    pd_events = events.with_columns(pl.col("event").cast(pl.Utf8)).to_pandas()
    start = time.perf_counter()
    got = hand_pandas(pd_profiles, pd_events, pop.now)
    t_pandas = time.perf_counter() - start
    assert got.tolist() == ours.to_list(), "the pandas baseline differs"
    results.update(pandas_seconds=t_pandas, speedup_vs_pandas=t_pandas / t_ours)
    print(f"pandas {t_pandas:.3f} s")
    pd_profiles = pd_events = None  # free them before the streaming run

    with tempfile.TemporaryDirectory() as tmp:
        p_path, e_path = f"{tmp}/profiles.parquet", f"{tmp}/events.parquet"
        profiles.write_parquet(p_path)
        events.write_parquet(e_path)
        child = subprocess.run(  # noqa: S603 - this very script, fixed arguments
            [sys.executable, __file__, "--child", p_path, e_path, pop.now.isoformat()],
            capture_output=True, text=True, check=True,
        )
        streamed = json.loads(child.stdout.strip().splitlines()[-1])
    assert streamed["size"] == len(ours)
    results.update(streaming_parquet_seconds=streamed["seconds"],
                   streaming_peak_rss_mb=streamed["peak_rss_mb"],
                   in_memory_tables_mb=(profiles.estimated_size() + events.estimated_size())
                   / 2**20,
                   main_process_peak_rss_mb=peak_rss_mb())
    print()
    print_and_save(results, "bench_segments", args.out)


if __name__ == "__main__":
    main()
