"""Polars and Spark select the same people for random segments over random populations, on a
real local Spark session (adversarial literals included: quotes, backslashes, wildcards)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings

import segmentation as seg
from tests.segment_strategies import conditions, populations

_EPOCH = dt.datetime(1970, 1, 1)
_PROFILES = ("user_id long, age long, score double, plan string, tags array<string>, "
             "active boolean, joined date, acct long")


def _register(spark, pop: seg.Population) -> None:
    profiles = pop.profiles.collect()
    spark.createDataFrame(profiles.rows(), _PROFILES).createOrReplaceTempView("profiles")
    events = pop.events.collect()
    rows = [(u, e, int((t - _EPOCH).total_seconds() * 1_000_000), v, c)
            for u, e, t, v, c in events.rows()]
    spark.createDataFrame(rows, "user_id long, event string, us long, value double, "
                                "channel string") \
        .selectExpr("user_id", "event", "timestamp_micros(us) AS ts", "value", "channel") \
        .createOrReplaceTempView("events")


@settings(max_examples=25)
@given(pop=populations(), cond=conditions)
def test_polars_and_spark_agree(spark, pop: seg.Population, cond: seg.Condition) -> None:
    segment = seg.Segment("random", cond)
    _register(spark, pop)
    sql = pop.to_sql(segment, dialect="spark")
    got = sorted(r[0] for r in spark.sql(sql).collect())
    assert got == pop.select(segment).ids.to_list(), sql
