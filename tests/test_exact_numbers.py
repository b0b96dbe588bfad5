"""Numbers compare as numbers whatever their kinds, in every engine and in SQL text.

Engines compare an integer column with a float (or a float column with a big integer) as
doubles, where ``2**53 + 1 == 2.0**53``; Spark could not write an integer past 64 bits as a
literal at all (a raw Py4JError). The expected answers here are Python's own comparisons of the
numbers (NaN the largest, as the engines order float columns; a null is never selected).
"""

from __future__ import annotations

import datetime as dt
import math
import operator
from decimal import Decimal
from fractions import Fraction
from typing import Any

import duckdb
import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

import segmentation as seg
from segmentation._exact import restate
from tests.engines import engine_population

NOW = dt.datetime(2026, 11, 1, 12)
B = 2**53
_OPS = {"eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "le": operator.le,
        "gt": operator.gt, "ge": operator.ge}


def exact(x: Any, op: str, v: Any) -> bool | None:
    """``x op v`` on the numbers themselves; NaN above everything and equal to itself."""
    if x is None:
        return None
    x_nan = isinstance(x, float) and math.isnan(x)
    v_nan = isinstance(v, float) and math.isnan(v)
    if x_nan or v_nan:
        order = (x_nan > v_nan) - (x_nan < v_nan)  # 0 when both are NaN
        return _OPS[op](order, 0)
    return bool(_OPS[op](x, v))


def apply(stated: tuple[str, Any] | bool, x: Any) -> bool | None:
    if x is None:
        return None
    if isinstance(stated, bool):
        return stated
    return exact(x, *stated)


# --- the restatement itself, against Python's exact comparisons --------------------------------

NUMBERS = (st.integers(-(2**70), 2**70) | st.sampled_from([B - 1, B, B + 1, B + 2, 2**63,
                                                            2**63 - 1, -(2**63) - 1, 2**64])
           | st.floats(allow_nan=True, allow_infinity=True)
           | st.sampled_from([2.0**53, 2.0**63, 2.0**64, 0.5, -0.5, 1e300]))
OPS = st.sampled_from(sorted(_OPS))


@pytest.mark.parametrize(("lo", "hi"), [(-(2**63), 2**63 - 1), (-128, 127), (0, 2**64 - 1)])
@given(data=st.data(), op=OPS, v=NUMBERS)
def test_integer_columns(lo: int, hi: int, data: st.DataObject, op: str, v: Any) -> None:
    x = data.draw(st.integers(lo, hi) | st.sampled_from([lo, hi]))
    stated = restate(op, v, ("int", lo, hi))
    assert apply(stated, x) == exact(x, op, v)
    if not isinstance(stated, bool):  # what an engine is given stays in the column's kind
        assert isinstance(stated[1], int)
        assert lo <= stated[1] <= hi


@given(x=st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(
    [2.0**53, 2.0**53 + 2, 2.0**63, 2.0**64, -(2.0**63)]), op=OPS, v=NUMBERS)
def test_float_columns(x: float, op: str, v: Any) -> None:
    stated = restate(op, v, "float")
    assert apply(stated, x) == exact(x, op, v)
    if not isinstance(stated, bool) and isinstance(stated[1], int):
        assert abs(stated[1]) <= 2**53  # a bigger integer travels as the doubles around it


F32 = st.floats(width=32, allow_nan=True, allow_infinity=True) | st.sampled_from(
    [float(np.float32(0.1)), 16777216.0, float(np.finfo(np.float32).max), 2.0**-149])


@given(x=F32, op=OPS, v=NUMBERS | st.sampled_from([0.1, 16777217, 3.4028235e38, 3.5e38,
                                                   2.0**-150, float(np.float32(0.1))]))
def test_float32_columns(x: float, op: str, v: Any) -> None:
    """A float32 column's literal is a float32 value (exact whether an engine rounds the
    literal to float32, as polars does, or widens the column to a double, as DuckDB and Spark
    do), or a constant."""
    stated = restate(op, v, "float32")
    assert apply(stated, x) == exact(x, op, v)
    if not isinstance(stated, bool) and not math.isnan(stated[1]):
        assert float(np.float32(stated[1])) == stated[1]


def _written(v: Any) -> Any:
    return Decimal(repr(v)) if isinstance(v, float) and math.isfinite(v) else v


@pytest.mark.parametrize(("precision", "scale"), [(38, 0), (10, 2), (5, 5), (38, 10)])
@given(data=st.data(), op=OPS, v=NUMBERS | st.sampled_from([0.1, 10.495, 10.5, -0.005, 1e-300]))
def test_decimal_columns(precision: int, scale: int, data: st.DataObject, op: str,
                         v: Any) -> None:
    """A DECIMAL column's literal is a decimal of its own scale within its precision, or a
    constant; a float is read as written (0.1 is one tenth, as SQL reads it)."""
    top = 10**precision - 1
    units = data.draw(st.integers(-top, top) | st.sampled_from([-top, top, 0]))
    x = Decimal((int(units < 0), tuple(int(d) for d in str(abs(units))), -scale))  # exact
    stated = restate(op, v, ("decimal", precision, scale))
    assert apply(stated, x) == exact(x, op, _written(v))
    if not isinstance(stated, bool):  # a literal of the column's scale, within its precision
        literal = stated[1]
        assert isinstance(literal, Decimal)
        assert literal.as_tuple().exponent == -scale
        assert len(literal.as_tuple().digits) <= precision


def test_plain_comparisons_are_left_alone() -> None:
    assert restate("lt", 30, ("int", -(2**63), 2**63 - 1)) == ("lt", 30)
    assert restate("ge", 2.5, "float") == ("ge", 2.5)
    assert restate("eq", "prepaid", None) == ("eq", "prepaid")
    # a decimal compares in its own scale, a float read as written
    assert restate("gt", 2**64, ("decimal", 38, 0)) == ("gt", Decimal(2**64))
    assert restate("eq", 0.1, ("decimal", 10, 2)) == ("eq", Decimal("0.10"))


# --- every engine, DataFrames and SQL text --------------------------------------------------

PROFILES = pl.DataFrame(
    {"user_id": [1, 2, 3, 4, 5, 6, 7],
     "acct": [B + 1, B, 7, None, -(B) - 1, 2**63 - 1, -(2**63)],
     "age": [25, 26, None, 24, 30, 0, -1],
     "score": [2.0**53, 1.5, float("nan"), None, 2.0**53 + 2, float("inf"), 2.0**64]},
    schema={"user_id": pl.Int64, "acct": pl.Int64, "age": pl.Int32, "score": pl.Float64})
EVENTS = pl.DataFrame(
    {"user_id": [1, 1, 2, 3, 3, 3],
     "event": ["game"] * 6,
     "ts": [NOW - dt.timedelta(hours=h) for h in (1, 2, 3, 4, 5, 6)],
     "n": [B, 1, 2**62, 1, 1, 1]},
    schema={"user_id": pl.Int64, "event": pl.Utf8, "ts": pl.Datetime("us"), "n": pl.Int64})

CASES: list[tuple[str, str, Any]] = [
    ("acct", "eq", float(B)), ("acct", "eq", B + 1), ("acct", "ne", float(B)),
    ("acct", "gt", 2**64), ("acct", "lt", 2**64), ("acct", "ge", -(2**63) - 1),
    ("acct", "le", -(2**64)), ("acct", "lt", 10**37), ("acct", "gt", 2.0**63),
    ("acct", "ge", float(B) + 0.5), ("acct", "lt", -(2.0**53)),
    ("age", "gt", 25.5), ("age", "le", 25.5), ("age", "eq", 25.0), ("age", "eq", 25.5),
    ("age", "ne", 25.5), ("age", "lt", float("nan")), ("age", "ge", float("-inf")),
    ("age", "lt", 2**31), ("age", "gt", -(2**40)), ("age", "ge", -0.5),
    ("score", "eq", B + 1), ("score", "ne", B + 1), ("score", "gt", B + 1),
    ("score", "lt", B + 1), ("score", "le", B + 3), ("score", "ge", 2**64),
    ("score", "lt", 2**64 + 1), ("score", "gt", 10**37), ("score", "lt", -(10**37)),
]


def _condition(column: str, op: str, value: Any) -> seg.Condition:
    return getattr(seg.field(column), f"__{op}__")(value)


def _expected(column: str, op: str, value: Any) -> list[int]:
    return [u for u, x in zip(PROFILES["user_id"], PROFILES[column], strict=True)
            if exact(x, op, value)]


AGG_CASES: list[tuple[seg.Condition, list[int]]] = [
    (seg.event("game").count() < 2.5, [1, 2, 4, 5, 6, 7]),
    (seg.event("game").count() == 2.5, []),
    (seg.event("game").count() > -(2**64), [1, 2, 3, 4, 5, 6, 7]),
    (seg.event("game").sum("n") == float(B), []),  # user 1's sum is 2**53 + 1
    (seg.event("game").sum("n") == B + 1, [1]),
    (seg.event("game").sum("n") >= 2**64, []),
    (seg.event("game").sum("n").between(2.5, 2**63), [1, 2, 3]),
    (seg.event("game").max("n").isin([2.0**62, 2**70, 0.5]), [2]),
]


def _pairs() -> list[tuple[seg.Condition, list[int]]]:
    pairs = [(_condition(*c), _expected(*c)) for c in CASES]
    pairs.append((seg.field("acct").isin([float(B), 2**64, 7.5, -(2**63)]), [2, 7]))
    pairs.append((seg.field("score").isin([B + 1, 2**64, 1.5]), [2, 7]))
    pairs.append((seg.field("age").between(24.5, 2**40), [1, 2, 5]))
    pairs.append((~(seg.field("acct") > 2**64), [1, 2, 3, 5, 6, 7]))  # a null stays unselected
    return pairs + AGG_CASES


def test_the_oracle_is_not_what_doubles_say() -> None:
    # the cases matter: compared as doubles, several of them would select other people
    assert _expected("acct", "eq", float(B)) == [2]
    assert _expected("score", "eq", B + 1) == []
    assert float(B + 1) == float(B)  # what an engine comparing doubles sees


@pytest.fixture(scope="module")
def population() -> seg.Population:
    return seg.Population(PROFILES, EVENTS, now=NOW)


def _ids(pop: seg.Population, cond: seg.Condition) -> list[int]:
    return sorted(pop.select(cond).collect().ids.to_list())


@pytest.mark.parametrize(("index"), range(len(CASES) + 4 + len(AGG_CASES)))
def test_polars_and_duckdb(population: seg.Population, index: int) -> None:
    cond, expected = _pairs()[index]
    assert _ids(population, cond) == expected
    assert _ids(engine_population(population, "duckdb"), cond) == expected
    con = duckdb.connect()
    con.register("profiles", PROFILES.to_arrow())
    con.register("events", EVENTS.to_arrow())
    sql = population.to_sql(cond, dialect="duckdb")
    assert sorted(r[0] for r in con.execute(sql).fetchall()) == expected, sql


def test_spark(spark: Any, population: seg.Population) -> None:
    pop = engine_population(population, "spark", spark)
    pop.profiles.createOrReplaceTempView("profiles")
    pop.events.createOrReplaceTempView("events")
    wrong = []
    for cond, expected in _pairs():
        sql = pop.to_sql(cond, dialect="spark")
        got = (_ids(pop, cond), sorted(r[0] for r in spark.sql(sql).collect()))
        if got != (expected, expected):
            wrong.append((str(cond), expected, got))
    assert not wrong



def test_an_events_where_compares_numbers_exactly_in_every_engine(spark: Any) -> None:
    # the where= of an event aggregate goes through the same restatement (events' own kinds)
    events = pl.DataFrame({"user_id": [1, 2], "event": ["game", "game"],
                           "ts": [NOW - dt.timedelta(hours=1)] * 2, "n": [B + 1, 7]},
                          schema={"user_id": pl.Int64, "event": pl.Utf8,
                                  "ts": pl.Datetime("us"), "n": pl.Int64})
    profiles = pl.DataFrame({"user_id": [1, 2, 3]})
    pop = seg.Population(profiles, events, now=NOW)
    cases = [(seg.event("game", where=seg.field("n") == float(B)).count() >= 1, []),
             (seg.event("game", where=seg.field("n") > 6.5).count() >= 1, [1, 2]),
             (seg.event("game", where=seg.field("n") < 2**64).count() >= 1, [1, 2])]
    con = duckdb.connect()
    con.register("profiles", profiles.to_arrow())
    con.register("events", events.to_arrow())
    remote = engine_population(pop, "spark", spark)
    remote.profiles.createOrReplaceTempView("profiles")
    remote.events.createOrReplaceTempView("events")
    for cond, expected in cases:
        assert _ids(pop, cond) == expected
        assert _ids(engine_population(pop, "duckdb"), cond) == expected
        sql = pop.to_sql(cond, dialect="duckdb")
        assert sorted(r[0] for r in con.execute(sql).fetchall()) == expected, sql
        assert _ids(remote, cond) == expected
        spark_sql = pop.to_sql(cond, dialect="spark")
        assert sorted(r[0] for r in spark.sql(spark_sql).collect()) == expected, spark_sql


# --- float32 columns: polars rounds the literal to float32, DuckDB and Spark widen the column --

F = float(np.float32(0.1))  # the float32 nearest 0.1: 0.10000000149...
PROFILES32 = pl.DataFrame(
    {"user_id": [1, 2, 3, 4, 5, 6],
     "f": [0.1, 0.2, 16777216.0, None, float("nan"), 2.5]},
    schema={"user_id": pl.Int64, "f": pl.Float32})
EVENTS32 = pl.DataFrame(
    {"user_id": [1, 1, 2, 3], "event": ["game"] * 4,
     "ts": [NOW - dt.timedelta(hours=h) for h in (1, 2, 3, 4)], "w": [0.1, 0.2, 0.1, 2.5]},
    schema={"user_id": pl.Int64, "event": pl.Utf8, "ts": pl.Datetime("us"), "w": pl.Float32})
CASES32: list[tuple[seg.Condition, list[int]]] = [
    (seg.field("f") == 0.1, []),  # 0.1 is no float32: polars said [1]
    (seg.field("f") == F, [1]),
    (seg.field("f") != 0.1, [1, 2, 3, 5, 6]),
    (seg.field("f") > 0.1, [1, 2, 3, 5, 6]),  # 0.1f is above 0.1: polars said [2, 3, 5, 6]
    (seg.field("f") <= 0.1, []),
    (seg.field("f") < 0.2, [1]),
    (seg.field("f").between(0.1, 0.2), [1]),  # 0.2f is above 0.2 too
    (seg.field("f").isin([0.1, 2.5, 16777217]), [6]),
    (seg.field("f") == 16777217, []),  # 2**24 + 1 is no float32: it rounds to 2**24
    (seg.field("f") >= 16777217, [5]),
    (seg.field("f") < 3.5e38, [1, 2, 3, 6]),
    (seg.event("game").max("w") > 0.1, [1, 2, 3]),
    (seg.event("game").min("w") == 0.1, []),
    (seg.event("game").sum("w") > 0.3, [1, 3]),  # 0.1f + 0.2f as doubles: 0.300000004...
]


def test_float32_oracle() -> None:
    for cond, expected in CASES32[:11]:
        op = cond.op
        value = cond.args[0] if op != "between" else None
        if op in _OPS:
            assert _expected32(op, value) == expected, cond


def _expected32(op: str, value: Any) -> list[int]:
    return [u for u, x in zip(PROFILES32["user_id"], PROFILES32["f"], strict=True)
            if exact(x, op, value)]


def _disagreements(spark: Any, profiles: pl.DataFrame, events: pl.DataFrame | None,
                   cases: list[tuple[seg.Condition, list[int]]]) -> list[tuple[str, Any, Any]]:
    """The cases where polars, DuckDB (relation, SQL text) or Spark (DataFrame, SQL text)
    selects other people than expected."""
    pop = seg.Population(profiles, events, now=NOW)
    con = duckdb.connect()
    con.register("profiles", profiles.to_arrow())
    spop = engine_population(pop, "spark", spark)
    spop.profiles.createOrReplaceTempView("profiles")
    if events is not None:
        con.register("events", events.to_arrow())
        spop.events.createOrReplaceTempView("events")
    wrong = []
    for cond, expected in cases:
        got = (_ids(pop, cond), _ids(engine_population(pop, "duckdb"), cond),
               sorted(r[0] for r in con.execute(pop.to_sql(cond, dialect="duckdb")).fetchall()),
               _ids(spop, cond),
               sorted(r[0] for r in spark.sql(spop.to_sql(cond, dialect="spark")).collect()))
        if got != (expected,) * 5:
            wrong.append((str(cond), expected, got))
    return wrong


def test_float32_columns_select_the_same_people_in_every_engine(spark: Any) -> None:
    assert not _disagreements(spark, PROFILES32, EVENTS32, CASES32)


def test_to_sql_schema_takes_polars_dtypes_only() -> None:
    segment = seg.Segment("s", seg.field("f") == 0.1)
    with pytest.raises(seg.InvalidSegmentError, match=r"polars dtypes.*'float'.*'f'"):
        segment.to_sql(schema={"f": "float"})
    with pytest.raises(seg.InvalidSegmentError, match="event_schema= maps"):
        segment.to_sql(schema={"f": pl.Float32}, event_schema={"w": float})
    assert "FALSE" in segment.to_sql(schema={"f": pl.Float32})
    assert "FALSE" in segment.to_sql(schema={"f": pl.Float32()})


# --- list membership: the value in the elements' own kind ---------------------------------------

LISTS = pl.DataFrame(
    {"user_id": [1, 2, 3, 4],
     "li": [[1, 2], [3, None], None, []],
     "lf": [[0.5, 2.0**53], [1.0], None, [None]],
     "l32": [[0.1, 2.5], [1.0], None, []]},
    schema={"user_id": pl.Int64, "li": pl.List(pl.Int64), "lf": pl.List(pl.Float64),
            "l32": pl.List(pl.Float32)})
LIST_CASES: list[tuple[seg.Condition, list[int]]] = [
    (seg.field("li").contains(2), [1]),
    (seg.field("li").contains(2.0), [1]),  # polars: InvalidOperationError
    (seg.field("li").contains(2.5), []),
    (seg.field("li").contains(2**64), []),
    (~seg.field("li").contains(2.5), [1, 2, 4]),  # a null list stays unselected
    (seg.field("lf").contains(1), [2]),  # polars: InvalidOperationError
    (seg.field("lf").contains(B + 1), []),  # no double is 2**53 + 1
    (seg.field("lf").contains(B), [1]),
    (seg.field("l32").contains(0.1), []),  # no float32 is 0.1
    (seg.field("l32").contains(F), [1]),
    (seg.field("l32").contains(1), [2]),
]


def test_list_membership_is_exact_in_every_engine(spark: Any) -> None:
    assert not _disagreements(spark, LISTS, None, LIST_CASES)


@pytest.mark.parametrize("cond", [seg.field("li").contains("2"), seg.field("lf").contains(True),
                                  seg.field("user_id").contains(1)])
def test_population_to_sql_checks_types_as_select_does(cond: seg.Condition) -> None:
    """Population.to_sql wrote SQL the engine then refused (DuckDB's BinderException) where
    select said what was wrong."""
    pop = seg.Population(LISTS, now=NOW)
    with pytest.raises(seg.ColumnTypeError):
        pop.select(cond)
    with pytest.raises(seg.ColumnTypeError):
        pop.to_sql(cond, dialect="duckdb")


# --- decimal columns: a float literal read as written, in the column's own scale ----------------

DECIMALS = pl.DataFrame(
    {"user_id": [1, 2, 3, 4],
     "big": [Decimal(B + 1), Decimal(B), Decimal(10**30), None],
     "amt": [Decimal("10.50"), Decimal("10.49"), Decimal("0.10"), None]},
    schema={"user_id": pl.Int64, "big": pl.Decimal(38, 0), "amt": pl.Decimal(10, 2)})
DECIMAL_CASES: list[tuple[seg.Condition, list[int]]] = [
    (seg.field("big") == float(B), [2]),  # polars and DuckDB compared doubles: [1, 2]
    (seg.field("big") == B + 1, [1]),
    (seg.field("big") > 2.0**53, [1, 3]),
    (seg.field("big") < 2**64, [1, 2]),
    (seg.field("big") >= 10**37 * 9, []),
    (seg.field("amt") == 0.1, [3]),  # as written: one tenth
    (seg.field("amt") > 10.495, [1]),
    (seg.field("amt") == 10.495, []),
    (seg.field("amt") > -(10**37), [1, 2, 3]),  # DuckDB: ConversionException
    (seg.field("amt") < 1e300, [1, 2, 3]),
    (seg.field("amt").between(0.1, 10.49), [2, 3]),
    (seg.field("amt").isin([0.1, 10.495, 2**70]), [3]),
]


def test_decimal_columns_select_the_same_people_in_every_engine(spark: Any) -> None:
    assert not _disagreements(spark, DECIMALS, None, DECIMAL_CASES)


# --- means of integers and decimals: the exact sum over the count, rounded once -------------

MEANS = pl.DataFrame(
    {"user_id": [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6],
     "event": ["game"] * 17,
     "ts": [NOW - dt.timedelta(hours=1)] * 17,
     "d": [Decimal(v) if v is not None else None for v in (
         "0", "0", "1", "0.01", "0.01", "0.02", "0.10", "0.20", "0.30", "1", "1", "1",
         "5", "5", "5", None, None)],
     "w": [Decimal("0")] * 12 + [Decimal("-0.0033"), Decimal("40458705036.9014"),
                                 Decimal("0.0032"), Decimal("0"), Decimal("0")],
     "n": [1] * 9 + [B, 1, 1] + [1] * 5},
    schema={"user_id": pl.Int64, "event": pl.Utf8, "ts": pl.Datetime("us"),
            "d": pl.Decimal(10, 2), "w": pl.Decimal(15, 4), "n": pl.Int64})
GAME = seg.event("game")
MEAN_CASES: list[tuple[seg.Condition, list[int]]] = [
    # Spark averaged decimals to their scale + 4 digits: 1/3 was 0.333333, 0.04/3 0.013333
    (GAME.mean("d") > 0.333333, [1, 4, 5]),
    (GAME.mean("d") == 0.013333, []),
    (GAME.mean("d") > 0.013333, [1, 2, 3, 4, 5]),
    (GAME.mean("d") == 0.2, [3]),  # 0.60 / 3, not 0.1 + 0.2 + 0.3 in doubles
    (GAME.mean("d").is_null(), [6, 7]),  # events but no amounts (6), no events (7): no mean
    # Spark added integers up as doubles: 2**53 + 1 + 1 was 2**53
    (GAME.mean("n") > 3002399751580331, [4]),  # (2**53 + 2) / 3 is ...331.33
    # polars divided the decimal sum's double by the count: ...012.30043 fell below
    (GAME.mean("w") >= 13486235012.300434, [5]),
]


def test_mean_cases_are_the_exact_mean_rounded_once() -> None:
    rows = MEANS.rows(named=True)
    for column, scale in (("d", 2), ("w", 4), ("n", 0)):
        for user in {r["user_id"] for r in rows}:
            values = [r[column] for r in rows if r["user_id"] == user and r[column] is not None]
            if values:
                total = sum(int(Decimal(v).scaleb(scale)) for v in values)
                # one rounding of the exact quotient, when the sum is under 2**53
                assert float(total) / (len(values) * 10.0**scale) == float(
                    Fraction(total, len(values) * 10**scale))
    assert float(B + 1) + 1 == float(B)  # what adding up doubles gives


def test_means_of_integers_and_decimals_select_the_same_people_in_every_engine(
        spark: Any) -> None:
    profiles = pl.DataFrame({"user_id": [1, 2, 3, 4, 5, 6, 7]})
    assert not _disagreements(spark, profiles, MEANS, MEAN_CASES)


def test_sums_and_means_have_one_type_in_every_engine(spark: Any) -> None:
    # before: Spark added a DECIMAL(10, 2) column up as DECIMAL(20, 2), polars and DuckDB as
    # DECIMAL(38, 2); and the means above differed in value
    from segmentation import _compile

    aggs = [GAME.sum("d"), GAME.sum("w"), GAME.sum("n"), GAME.mean("d"), GAME.mean("w"),
            GAME.mean("n")]
    aliases = {a.key: f"a{i}" for i, a in enumerate(aggs)}
    pop = seg.Population(pl.DataFrame({"user_id": [1, 2, 3, 4, 5, 6, 7]}), MEANS, now=NOW)
    tables = []
    for other in (pop, engine_population(pop, "duckdb"), engine_population(pop, "spark", spark)):
        assert other._e is not None
        frame = _compile.aggregate_table(aggs, other._e, other.id, other.now, aliases)
        tables.append(other._e.engine.to_polars(frame).sort(other.id))
    assert tables[0].schema == pl.Schema(
        {"user_id": pl.Int64, "a0": pl.Decimal(38, 2), "a1": pl.Decimal(38, 4),
         "a2": pl.Decimal(38, 0), "a3": pl.Float64, "a4": pl.Float64, "a5": pl.Float64})
    for table in tables[1:]:  # equals() alone does not compare decimals' precisions
        assert table.schema == tables[0].schema
        assert table.equals(tables[0])


# --- NaN is the largest value, in a maximum too -------------------------------------------------

NAN_EVENTS = pl.DataFrame(
    {"user_id": [1, 1, 2, 2, 3, 4],
     "event": ["game"] * 5 + ["other"],
     "ts": [NOW - dt.timedelta(hours=h) for h in range(6)],
     "v": [1.0, math.nan, 7.0, 2.0, math.nan, None],
     "f": pl.Series([1.0, math.nan, 7.0, 2.0, math.nan, None], dtype=pl.Float32)},
    schema_overrides={"ts": pl.Datetime("us")})
NAN_CASES: list[tuple[seg.Condition, list[int]]] = [
    case for column in ("v", "f") for case in [
        # polars' max left NaN out when another value was a number: [2, 3] and [3]
        (GAME.max(column) > 5, [1, 2, 3]),
        (GAME.max(column) == math.nan, [1, 3]),
        (GAME.max(column) < math.inf, [2]),
        (GAME.max(column).is_null(), [4, 5, 6, 7]),
        (GAME.min(column) < 2, [1]),  # the least is a number while one is
        (GAME.min(column) == math.nan, [3]),
        (GAME.max(column, within="1h") > 5, [1]),  # a window's rows: user 1's NaN (1h ago)
    ]
]


def test_a_maximum_with_nan_is_nan_in_every_engine(spark: Any) -> None:
    profiles = pl.DataFrame({"user_id": [1, 2, 3, 4, 5, 6, 7]})
    assert not _disagreements(spark, profiles, NAN_EVENTS, NAN_CASES)
    # with another event's aggregate beside it (maxima of several events are combined from
    # per-event maxima elsewhere, where polars' max would leave NaN out again)
    pop = seg.Population(profiles, NAN_EVENTS, now=NOW)
    assert _ids(pop, (GAME.max("v") > 5) | (seg.event("other").count() >= 1)) == [1, 2, 3, 4]


def _past_38_digits(values: list[int], engine: str, spark: Any = None) -> seg.Population:
    """Person 1 with two events of ``values[:2]``, person 2 with one of ``values[2]``: 128-bit
    integers in polars and DuckDB (HUGEINT), DECIMAL(38, 0) in Spark."""
    times = [dt.datetime(2026, 10, 30), dt.datetime(2026, 10, 31), dt.datetime(2026, 10, 31)]
    if engine == "polars":
        events = pl.DataFrame({"user_id": [1, 1, 2], "event": ["buy"] * 3, "ts": times,
                               "value": pl.Series(values, dtype=pl.Int128)})
        return seg.Population(pl.DataFrame({"user_id": [1, 2]}), events, now=NOW)
    if engine == "duckdb":
        con = duckdb.connect()
        con.execute("CREATE TABLE p AS SELECT * FROM (VALUES (1), (2)) t(user_id)")
        rows = ", ".join(f"({u}, 'buy', TIMESTAMP '{t}', '{v}'::HUGEINT)"
                         for u, t, v in zip([1, 1, 2], times, values, strict=True))
        con.execute(f"CREATE TABLE e AS SELECT * FROM (VALUES {rows}) "
                    "t(user_id, event, ts, value)")
        return seg.Population(con.table("p"), con.table("e"), now=NOW)
    events = spark.createDataFrame(
        [(u, "buy", t, Decimal(v)) for u, t, v in zip([1, 1, 2], times, values, strict=True)],
        "user_id long, event string, ts timestamp, value decimal(38,0)")
    return seg.Population(spark.createDataFrame([(1,), (2,)], "user_id long"), events, now=NOW)


@pytest.mark.parametrize("values", [[2**127 - 1, 2**127 - 1, 5], [9 * 10**37, 9 * 10**37, 5]])
@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_values_or_sums_past_38_digits_are_the_packages_error(values: list[int],
                                                              engine: str) -> None:
    # before: polars' InvalidOperationError (quoting the values) or ComputeError, DuckDB's
    # ConversionException, from outside the package's errors
    pop = _past_38_digits(values, engine)
    for cond in (seg.event("buy").sum() > 10, seg.event("buy").mean() > 10):
        with pytest.raises(seg.ColumnTypeError, match="past 38 digits") as caught:
            pop.select(cond).size  # noqa: B018
        assert str(values[0])[:12] not in str(caught.value)
    assert sorted(seg.Audience.collect(pop.select(seg.event("buy").max() > 10)).ids) == [1]


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_sums_within_38_digits_are_exact(engine: str) -> None:
    # must-pass beside it: 2 * 4.9e37 is 38 digits, added up exactly
    pop = _past_38_digits([49 * 10**36, 49 * 10**36, 5], engine)
    assert sorted(seg.Audience.collect(
        pop.select(seg.event("buy").sum() == 98 * 10**36)).ids) == [1]


def test_spark_sums_past_38_digits_are_the_packages_error(spark: Any) -> None:
    ansi = spark.conf.get("spark.sql.ansi.enabled")
    spark.conf.set("spark.sql.ansi.enabled", "true")  # Spark 3.5 without it: a NULL sum
    try:
        pop = _past_38_digits([9 * 10**37, 9 * 10**37, 5], "spark", spark)
        with pytest.raises(seg.ColumnTypeError, match="past 38 digits"):
            pop.select(seg.event("buy").sum() > 10).size  # noqa: B018
    finally:
        spark.conf.set("spark.sql.ansi.enabled", ansi)
