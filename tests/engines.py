"""The same tables in DuckDB and in Spark, value for value (test helper).

Spark frames are built from rows and a DDL schema (no pandas, no Arrow conversion rules in
between); datetimes travel as UTC epoch microseconds and become Spark TIMESTAMPs (instants) with
``timestamp_micros``, or TIMESTAMP_NTZ wall clocks when asked.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import numpy as np
import polars as pl

import segmentation as seg

_CON = duckdb.connect()
_EPOCH = dt.datetime(1970, 1, 1)


def _spark_type(dtype: Any) -> str:
    if isinstance(dtype, pl.List):
        return f"array<{_spark_type(dtype.inner)}>"
    if dtype in (pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32):
        return "long"
    if isinstance(dtype, pl.Decimal):
        return f"decimal({dtype.precision or 38},{dtype.scale or 0})"
    if dtype == pl.Float32:
        return "float"
    if dtype.is_float():
        return "double"
    if dtype == pl.Boolean:
        return "boolean"
    if dtype == pl.Date:
        return "date"
    if dtype == pl.Binary:
        return "binary"
    if isinstance(dtype, pl.Duration):
        return "interval day to second"
    if isinstance(dtype, pl.Struct):
        return "struct<" + ",".join(f"`{f.name}`:{_spark_type(f.dtype)}"
                                    for f in dtype.fields) + ">"
    if isinstance(dtype, pl.Datetime):
        return "long"  # epoch microseconds, turned into a timestamp after loading
    return "string"


def to_spark(spark: Any, frame: pl.DataFrame, ntz: bool = False) -> Any:
    """``frame`` as a Spark DataFrame (datetimes as TIMESTAMP, or TIMESTAMP_NTZ with ``ntz``)."""
    times = [c for c, t in frame.schema.items() if isinstance(t, pl.Datetime)]
    plain = frame.with_columns(
        [pl.col(c).dt.epoch("us") for c in times]
        + [pl.col(c).cast(pl.Utf8) for c, t in frame.schema.items()
           if isinstance(t, (pl.Enum, pl.Categorical))])
    ddl = ", ".join(f"`{c}` {_spark_type(t)}" for c, t in frame.schema.items())
    df = spark.createDataFrame(plain.rows(), ddl)
    for c in times:
        ts = f"timestamp_micros(`{c}`)"
        if ntz:  # the UTC wall clock as a zoneless timestamp, whatever the session's zone
            ts = f"to_timestamp_ntz(date_format(to_utc_timestamp({ts}, current_timezone()), " \
                 "'yyyy-MM-dd HH:mm:ss.SSSSSS'))"
        df = df.withColumn(c, spark_expr(ts))
    return df


def spark_expr(text: str) -> Any:
    from pyspark.sql import functions as F

    return F.expr(text)


def to_duckdb(frame: pl.DataFrame) -> Any:
    """``frame`` as a DuckDB relation (naive datetimes as TIMESTAMP, aware as TIMESTAMPTZ)."""
    return _CON.from_arrow(frame.to_arrow())


def engine_population(pop: seg.Population, engine: str, spark: Any = None, ntz: bool = False,
                      **options: Any) -> seg.Population:
    """The same population in ``engine`` ("duckdb" or "spark")."""
    profiles = pop.profiles.collect()
    events = pop.events.collect() if pop.events is not None else None
    if engine == "duckdb":
        convert = to_duckdb
    else:
        def convert(frame: pl.DataFrame) -> Any:
            return to_spark(spark, frame, ntz=ntz)
    return seg.Population(convert(profiles), convert(events) if events is not None else None,
                          id=pop.id, now=pop.now, **options)


def collected(frame: Any) -> pl.DataFrame:
    """A Spark DataFrame's (or DuckDB relation's) rows as polars, through narwhals (Spark 3.5
    has no toArrow); a polars DataFrame as it is."""
    import narwhals as nw

    if isinstance(frame, pl.DataFrame):
        return frame
    return nw.from_native(frame).collect(backend="polars").to_native()


def tricky_population() -> seg.Population:
    """Values and names that look like the features' own spelling: a level '__null__' or
    '__other__', a column 'plan=a' beside the level 'a' of 'plan', event types with colons
    (one named like a count column), a backtick or a dot (Spark syntax in a column name);
    ids whose order is not the rows' order."""
    rng = np.random.default_rng(5)
    n, now = 3_000, dt.datetime(2026, 6, 1)
    ids = [f"u{i}" for i in range(n)]
    plan = rng.choice(["a", "b", "__other__", "__null__", None], n).tolist()
    plan[:3] = ["rare"] * 3  # under rare_share: another value
    m = 20_000
    events = pl.DataFrame({
        "user_id": rng.choice(ids[: n // 2], m).tolist(),
        "event": rng.choice(["app:open", "x:count_30d", "top up", "a `b", "c.d"], m).tolist(),
        "ts": [now - dt.timedelta(hours=int(h)) for h in rng.integers(1, 24 * 100, m)],
        "value": rng.random(m)})
    profiles = pl.DataFrame({"user_id": ids, "age": rng.integers(18, 80, n), "plan": plan,
                             "plan=a": rng.random(n), "const": [1] * n})
    return seg.Population(profiles, events, id="user_id", now=now)
