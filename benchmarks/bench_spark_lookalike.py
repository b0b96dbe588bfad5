"""The lookalike on Spark: what the fit sample costs in precision, and scoring speed.

A synthetic population (default 300,000 people, ground truth ``lookalike_propensity``), its
profiles and events read by a local Spark (``local[2]``) from Parquet. Seeds: 5,000 high-value
customers (platforms recommend 1k-5k). The non-customers are ranked; precision at 1%, 5% and
10% is the mean true propensity of the people chosen, against the oracle (ranking by the truth).

- The reference: the default model fitted in this process on the whole polars population.
- The same model fitted on the Spark population from seed-stratified samples of 20k, 50k and
  100k people (every seed, a uniform sample of the rest), and from everyone: precision of its
  Spark tiers, fit time (the sample's collection included).
- Scoring speed: rows per second of the fitted model over the whole population, locally
  (``score_samples``: features and scores) and in Spark (features computed in Spark, each
  partition scored with the model broadcast; a no-op sink; the first call, which starts the
  Python workers, apart; then the median of three), and the Spark event aggregates alone.

Usage: ``python benchmarks/bench_spark_lookalike.py [--people 300000]``; writes
``benchmarks/results/bench_spark_lookalike.json``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import warnings

import numpy as np
import polars as pl
from _results import RESULTS, print_and_save, spark_session

import segmentation as seg
from segmentation._compile import aggregate_table
from segmentation._spark_lookalike import score_frame

FRACTIONS = (0.01, 0.05, 0.10)


def _model(**options: int) -> seg.Lookalike:
    return seg.Lookalike(features=list(seg.PLATFORM_FEATURES),
                         event_types=list(seg.PLATFORM_EVENTS), random_state=0, **options)


def _precision(tiers: dict[float, seg.Audience], truth: dict[int, float]) -> dict[str, float]:
    out = {}
    for f, audience in tiers.items():
        ids = audience.collect().ids.to_list()
        out[f"{f:.0%}"] = float(np.mean([truth[i] for i in ids])) if ids else float("nan")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=300_000)
    parser.add_argument("--seeds", type=int, default=5_000)
    parser.add_argument("--samples", type=int, nargs="*", default=[20_000, 50_000, 100_000])
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    warnings.simplefilter("ignore", UserWarning)  # seed-size advice
    pop = seg.synthetic_population(args.people, seed=2026)
    profiles = pop.profiles.collect()
    truth = dict(zip(profiles["user_id"].to_list(),
                     profiles["lookalike_propensity"].to_list(), strict=True))
    candidates = profiles.filter(~pl.col("is_customer"))["lookalike_propensity"].to_numpy()
    oracle = {f"{f:.0%}": float(np.sort(candidates)[::-1][: round(f * len(candidates))].mean())
              for f in FRACTIONS}
    seeds = pop.select(seg.field("is_high_value") & seg.field("is_customer")).sample(
        n=args.seeds, random_state=1)
    customers = pop.select(seg.field("is_customer"))
    results: dict[str, object] = {"people": args.people, "seeds": seeds.size,
                                  "cores": os.cpu_count(), "oracle": oracle}

    start = time.perf_counter()
    local_model = _model().fit(pop, seeds)
    fit_local = time.perf_counter() - start
    start = time.perf_counter()
    local_model.score_samples(pop)
    score_local = time.perf_counter() - start
    reference = _precision(local_model.tiers(pop, FRACTIONS, exclude=customers), truth)
    results["local"] = {"fit_seconds": fit_local, "precision": reference,
                        "ratio_to_oracle": {k: reference[k] / oracle[k] for k in oracle},
                        "score_rows_per_second": args.people / score_local}
    print(f"local: fit {fit_local:.1f} s, precision {reference}, scoring "
          f"{args.people / score_local:,.0f} rows/s")

    spark = spark_session("audiencekit-bench-lookalike", "3g",
                          spark_sql_shuffle_partitions="8")
    with tempfile.TemporaryDirectory() as tmp:
        profiles.write_parquet(f"{tmp}/p.parquet")
        pop.events.collect().write_parquet(f"{tmp}/e.parquet")
        remote = seg.Population(spark.read.parquet(f"{tmp}/p.parquet"),
                                spark.read.parquet(f"{tmp}/e.parquet"), now=pop.now)
        remote_seeds = seeds.ids.to_list()
        remote_customers = remote.select(seg.field("is_customer"))
        def scored() -> float:
            start = time.perf_counter()
            score_frame(local_model, remote).write.format("noop").mode("overwrite").save()
            return time.perf_counter() - start

        # the first scoring starts the Python workers and imports the model's libraries in
        # them: timed apart, then the median of three
        first = scored()
        score_spark = float(np.median([scored() for _ in range(3)]))
        aggs, aliases = local_model.features_.event_aggregates()
        start = time.perf_counter()
        aggregate_table(aggs, remote._e, remote.id, remote.now, aliases).to_native() \
            .write.format("noop").mode("overwrite").save()
        events_only = time.perf_counter() - start
        results["spark_first_score_seconds"] = first
        results["spark_event_features_seconds"] = events_only
        results["spark_score_rows_per_second"] = args.people / score_spark
        results["spark_vs_local_scoring"] = score_local / score_spark
        print(f"Spark scoring: {args.people / score_spark:,.0f} rows/s "
              f"({score_local / score_spark:.2f}x the local rate; the first call {first:.1f} s, "
              f"the event aggregates alone {events_only:.1f} s)")
        curve = []
        for rows in [*args.samples, args.people]:
            model = _model(max_fit_seeds=args.seeds, max_fit_rows=rows)
            start = time.perf_counter()
            model.fit(remote, remote_seeds)
            fit = time.perf_counter() - start
            start = time.perf_counter()
            got = _precision(model.tiers(remote, FRACTIONS, exclude=remote_customers), truth)
            tiers = time.perf_counter() - start
            point = {"max_fit_rows": rows, "sampled": model.fit_sample_, "fit_seconds": fit,
                     "tiers_seconds": tiers, "precision": got,
                     "ratio_to_oracle": {k: got[k] / oracle[k] for k in oracle},
                     "ratio_to_local_full_fit": {k: got[k] / reference[k] for k in oracle}}
            curve.append(point)
            print(f"fit sample of {rows:,}: fit {fit:.1f} s, tiers {tiers:.1f} s, precision "
                  f"{ {k: round(v, 4) for k, v in got.items()} } = "
                  f"{ {k: round(v, 3) for k, v in point['ratio_to_oracle'].items()} } "
                  "of the oracle")
        results["sample_curve"] = curve
    spark.stop()
    print()
    print_and_save(results, "bench_spark_lookalike", args.out)


if __name__ == "__main__":
    main()
