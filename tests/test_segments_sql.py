"""Polars and SQL compilations of the same segment select the same ids (DuckDB as the oracle)."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import segmentation as seg
from tests.segment_strategies import NOW, conditions, populations


def _duckdb_ids(pop: seg.Population, segment: seg.Segment) -> list[int]:
    con = duckdb.connect()
    con.register("profiles", pop.profiles.collect().to_arrow())
    con.register("events", pop.events.collect().to_arrow())
    sql = pop.to_sql(segment, dialect="duckdb")
    return sorted(r[0] for r in con.execute(sql).fetchall())


@settings(max_examples=120)
@given(pop=populations(), cond=conditions)
def test_polars_and_duckdb_agree(pop: seg.Population, cond: seg.Condition) -> None:
    segment = seg.Segment("random", cond)
    polars_ids = pop.select(segment).ids.to_list()
    assert polars_ids == _duckdb_ids(pop, segment)


def _refuse(token: str) -> None:
    raise AssertionError(f"{token} is not JSON")


@given(cond=conditions)
def test_to_dict_round_trip(cond: seg.Condition) -> None:
    segment = seg.Segment("s", cond, description="d")
    again = seg.Segment.from_dict(segment.to_dict())
    # compared as JSON text: a NaN literal is never equal to itself as a float
    assert again.to_json() == segment.to_json()
    assert seg.Segment.from_json(segment.to_json()).to_json() == segment.to_json()
    json.loads(segment.to_json(), parse_constant=_refuse)  # standard JSON: no NaN token


@given(pop=populations(), cond=conditions)
def test_to_polars_plan_equals_select(pop: seg.Population, cond: seg.Condition) -> None:
    plan = seg.Segment("s", cond).to_polars(pop.profiles, pop.events, now=NOW)
    assert plan.collect()["user_id"].sort().to_list() == pop.select(cond).ids.to_list()


def test_spark_sql_shape() -> None:
    cond = (seg.field("tags").contains("gaming") & seg.field("plan").matches("^pre")) & (
        seg.event("game").days_since_last() < 3
    )
    schema = {"tags": pl.List(pl.Utf8), "plan": pl.Utf8}
    sql = seg.Segment("s", cond).to_sql("spark", now=NOW, schema=schema)
    assert "coalesce(array_contains(p.`tags`, 'gaming'), FALSE)" in sql  # nulls inside
    assert "RLIKE '^pre'" in sql
    assert "unix_micros" in sql
    assert sql.startswith("SELECT p.`user_id` FROM `profiles` AS p LEFT JOIN")


_SQL_SCHEMA = {"plan": pl.Utf8, "vip": pl.Boolean, "born": pl.Date, "tags": pl.List(pl.Utf8)}
_SQL_EVENTS = {"user_id": pl.Int64, "event": pl.Utf8, "ts": pl.Datetime("us"),
               "channel": pl.Utf8, "amount": pl.Float64}


@pytest.mark.parametrize("cond", [
    seg.field("plan") == True,  # DuckDB and Spark: 'true' and '1' are TRUE  # noqa: E712
    seg.field("vip").isin([1]),  # DuckDB: TRUE IN (1) holds
    seg.field("born") > "2019-01-01",  # Spark compares the date as text
    seg.field("plan") > 1,  # a conversion error in the engine
    seg.field("tags").contains(1),
    seg.event("game", where=seg.field("channel") == 1).count() >= 1,
    seg.event("game").sum("channel") > 1,
])
def test_to_sql_refuses_what_select_refuses_for_the_columns_it_is_told(
        cond: seg.Condition) -> None:
    # before: Segment.to_sql checked no type, so SQL compared a text column with TRUE (DuckDB
    # and Spark took in 'true' and '1'), a BOOLEAN with 1, or failed in the engine, where
    # select refused the condition
    segment = seg.Segment("s", cond)
    profiles = pl.DataFrame({"user_id": [1], "plan": ["true"], "vip": [True],
                             "born": [None], "tags": [["a"]]},
                            schema={"user_id": pl.Int64, **_SQL_SCHEMA})
    events = pl.DataFrame(schema=_SQL_EVENTS)
    with pytest.raises(seg.ColumnTypeError):
        seg.Population(profiles, events, now=NOW).select(segment)
    for dialect in ("duckdb", "spark"):
        with pytest.raises(seg.ColumnTypeError):
            segment.to_sql(dialect, now=NOW, schema=_SQL_SCHEMA, event_schema=_SQL_EVENTS)


@pytest.mark.parametrize("value", ["5", True, False])
def test_event_aggregates_compare_with_numbers_in_sql_text_too(value: object) -> None:
    # no schema needed: a count is a number (SQL compared COUNT with 'x' COLLATE C, or with
    # TRUE, which DuckDB reads as 1)
    segment = seg.Segment("s", seg.event("game").count() == value)
    with pytest.raises(seg.ColumnTypeError, match="event aggregates are numbers"):
        segment.to_sql(now=NOW)


def test_to_sql_leaves_columns_its_schema_does_not_name_unchecked() -> None:
    # a schema given for the list columns only (what contains needs) still writes the rest
    cond = seg.field("tags").contains("a") & (seg.field("age") > 30) \
        & (seg.event("game", where=seg.field("channel") == "app").count() >= 2)
    sql = seg.Segment("s", cond).to_sql(now=NOW, schema={"tags": pl.List(pl.Utf8)})
    assert '"age" > 30' in sql


def test_contains_on_an_events_column_of_unknown_type_is_refused_as_on_a_profiles() -> None:
    # before: without event_schema, a where= contains was written as a substring test, which
    # DuckDB refused with its BinderException (strpos on a list) when the column was a list
    tags = seg.event("buy", where=seg.field("tags").contains("x")).count() >= 1
    for dialect in ("duckdb", "spark"):
        with pytest.raises(seg.InvalidSegmentError, match="pass event_schema="):
            seg.Segment("s", tags).to_sql(dialect, now=NOW)
        with pytest.raises(seg.InvalidSegmentError, match=r"pass schema= \(column"):
            seg.Segment("s", seg.field("tags").contains("x")).to_sql(dialect, now=NOW)
    # must-pass beside it: the events' types given, as a list and as text
    con = duckdb.connect()
    for kind, values in ((pl.Array(pl.Utf8, 2), [["x", "y"], ["y", "z"], [None, "x"]]),
                         (pl.Utf8, ["xy", "yz", "ax"])):
        events = pl.DataFrame({"user_id": [1, 2, 3], "event": ["buy"] * 3,
                               "ts": [NOW - dt.timedelta(days=1)] * 3,
                               "tags": pl.Series(values, dtype=kind)})
        con.register("profiles", pl.DataFrame({"user_id": [1, 2, 3]}).to_arrow())
        con.register("events", events.to_arrow())
        sql = seg.Segment("s", tags).to_sql("duckdb", now=NOW, schema={},
                                            event_schema=dict(events.schema))
        assert sorted(r[0] for r in con.sql(sql).fetchall()) == [1, 3]


@given(st.data())
def test_quotes_in_values_are_escaped(data: st.DataObject) -> None:
    text = data.draw(st.text(alphabet="ab'\"; -", max_size=8))
    profiles = pl.DataFrame({"user_id": [1, 2], "plan": [text, "x"]})
    pop = seg.Population(profiles, now=NOW)
    segment = seg.Segment("q", seg.field("plan") == text)
    con = duckdb.connect()
    con.register("profiles", profiles.to_arrow())
    got = sorted(r[0] for r in con.execute(pop.to_sql(segment)).fetchall())
    assert got == pop.select(segment).ids.to_list()
