"""One definition, three engines: a segment selects the same people in polars, DuckDB and a real
local Spark, over random populations and adversarial literals (quotes, backslashes, LIKE
wildcards, regex classes, non-ASCII, integers around 2**53, long isin lists, nulls, window
edges), and a Spark population's audiences stay in Spark until collected."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import segmentation as seg
from tests.engines import collected, engine_population, to_duckdb, to_spark
from tests.segment_strategies import EVENTS, NOW, conditions, populations


@settings(max_examples=40)
@given(pop=populations(), cond=conditions)
def test_polars_and_duckdb_select_the_same_people(pop: seg.Population,
                                                  cond: seg.Condition) -> None:
    other = engine_population(pop, "duckdb", event_types=EVENTS)
    want = pop.select(cond).ids.to_list()
    got = other.select(cond)
    assert not got.is_local
    assert got.collect().ids.to_list() == want
    assert other.size(cond) == len(want)


@settings(max_examples=25)
@given(pop=populations(), cond=conditions)
def test_polars_and_spark_select_the_same_people(spark, pop: seg.Population,
                                                 cond: seg.Condition) -> None:
    other = engine_population(pop, "spark", spark, event_types=EVENTS)
    assert other.select(cond).collect().ids.to_list() == pop.select(cond).ids.to_list()


@pytest.fixture(scope="module")
def synthetic() -> seg.Population:
    return seg.synthetic_population(3_000, seed=5)


SEGMENTS = [
    seg.Segment("young gamers on old slow phones",
                seg.field("age").between(18, 25) & seg.field("interests").contains("gaming")
                & (seg.field("device_age_years") >= 3) & (seg.field("avg_downlink_mbps") < 10)),
    seg.Segment("engaged gamers", seg.event("game_session").count(within="30d") >= 5),
    seg.Segment("lapsed top-ups",
                (seg.event("top_up").days_since_last() > 30)
                & (seg.event("top_up").sum("value", within="90d") >= 20)
                & (seg.event("app_open").distinct_days(within="14d") >= 3)),
]


@pytest.mark.parametrize("ntz", [False, True])
def test_a_spark_population_runs_every_step_in_spark(spark, synthetic: seg.Population,
                                                     ntz: bool) -> None:
    from pyspark.sql import DataFrame

    pop = engine_population(synthetic, "spark", spark, ntz=ntz)
    assert pop.engine == "spark"
    assert "not counted" in repr(pop)
    audiences = [pop.select(s) for s in SEGMENTS]
    local = [synthetic.select(s) for s in SEGMENTS]
    for a, b in zip(audiences, local, strict=True):
        assert isinstance(a.ids, DataFrame)  # the ids stay in Spark
        assert "not counted" in repr(a)
        assert a.collect().ids.to_list() == b.ids.to_list()
        assert a.size == b.size
    for s in SEGMENTS:
        assert pop.waterfall(s).equals(synthetic.waterfall(s))
        assert pop.size(s) == synthetic.size(s)
    # set algebra stays in Spark
    a, b = audiences[0], audiences[1]
    for op in ("__or__", "__and__", "__sub__"):
        got = getattr(a, op)(b)
        assert isinstance(got.ids, DataFrame)
        assert got.collect().ids.to_list() == getattr(local[0], op)(local[1]).ids.to_list()
    assert a.overlap(b) == local[0].overlap(local[1])
    assert pop.overlap(audiences).equals(synthetic.overlap(local))
    # profile and RFM: only their figures leave Spark
    want = synthetic.profile(local[1])
    got = pop.profile(audiences[1])
    assert got.select("feature", "value").equals(want.select("feature", "value"))
    for c in ("audience", "population", "index"):
        assert got[c].fill_null(-1).to_numpy() == pytest.approx(want[c].fill_null(-1).to_numpy())
    r_spark, r_local = seg.rfm(pop), seg.rfm(synthetic)
    assert r_spark.thresholds == r_local.thresholds
    assert r_spark.sizes().equals(r_local.sizes())
    assert isinstance(r_spark.scores, DataFrame)


def test_table_names_with_a_session(spark, synthetic: seg.Population) -> None:
    to_spark(spark, synthetic.profiles.collect()).createOrReplaceTempView("ak_profiles")
    to_spark(spark, synthetic.events.collect()).createOrReplaceTempView("ak_events")
    pop = seg.Population("ak_profiles", "ak_events", now=synthetic.now, spark=spark)
    assert pop.select(SEGMENTS[1]).collect().ids.to_list() == \
        synthetic.select(SEGMENTS[1]).ids.to_list()
    with pytest.raises(seg.SegmentationError, match="no table 'ak_nope'"):
        seg.Population("ak_nope", spark=spark)


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Kolkata"])
def test_spark_windows_do_not_move_with_the_session_zone(spark, synthetic: seg.Population,
                                                         zone: str) -> None:
    pop = engine_population(synthetic, "spark", spark)
    want = [synthetic.size(s) for s in SEGMENTS[1:]]
    spark.conf.set("spark.sql.session.timeZone", zone)
    try:
        assert [pop.size(s) for s in SEGMENTS[1:]] == want
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")


def test_long_isin_lists_keep_exact_integers_in_every_engine(spark) -> None:
    profiles = pl.DataFrame({"user_id": [1, 2, 3], "acct": [2**53, 2**53 + 1, 5]})
    cond = seg.field("acct").isin([float(2**53), 5.5, *range(100, 140)])
    want = seg.Population(profiles, now=NOW).select(cond).ids.to_list()
    assert want == [1]
    assert seg.Population(to_duckdb(profiles), now=NOW).select(cond).collect().ids.to_list() \
        == want
    assert seg.Population(to_spark(spark, profiles), now=NOW).select(cond) \
        .collect().ids.to_list() == want


def test_time_zone_aware_events_in_duckdb() -> None:
    events = pl.DataFrame({"user_id": [1, 2], "event": ["game", "game"],
                           "ts": [NOW - dt.timedelta(days=29, hours=23),
                                  NOW - dt.timedelta(days=30, hours=1)]})
    aware = events.with_columns(pl.col("ts").dt.replace_time_zone("UTC")
                                .dt.convert_time_zone("America/New_York"))
    profiles = pl.DataFrame({"user_id": [1, 2]})
    cond = seg.event("game").count(within="30d") >= 1
    for table in (events, aware):
        pop = seg.Population(to_duckdb(profiles), to_duckdb(table), now=NOW)
        assert pop.select(cond).collect().ids.to_list() == [1]


def test_engines_do_not_mix(spark, synthetic: seg.Population, tmp_path) -> None:
    profiles = synthetic.profiles.collect()
    with pytest.raises(seg.SegmentationError, match="one engine"):
        seg.Population(to_spark(spark, profiles), synthetic.events)
    pop = engine_population(synthetic, "spark", spark)
    spark_audience = pop.select(SEGMENTS[1])
    with pytest.raises(seg.InvalidSegmentError, match="one engine"):
        spark_audience | synthetic.select(SEGMENTS[1])
    with pytest.raises(seg.SegmentationError, match=r"collect\(\) first"):
        spark_audience.report(tmp_path / "never.html", pop)
    with pytest.raises(seg.SegmentationError, match="to_polars"):
        seg.discover(pop, ["age"])
    assert not (tmp_path / "never.html").exists()


def test_size_is_the_same_kind_of_thing_on_population_and_audience(
        synthetic: seg.Population) -> None:
    audience = synthetic.select(SEGMENTS[0])
    assert isinstance(synthetic.size, int)
    assert isinstance(audience.size, int)
    assert synthetic.size == synthetic.n == 3_000
    assert synthetic.size(SEGMENTS[0]) == synthetic.count(SEGMENTS[0]) == audience.size
    assert repr(synthetic.size) == "3000"


def test_per_event_aggregates_agree_with_one_group_by_in_every_engine(
        spark, synthetic: seg.Population, monkeypatch: pytest.MonkeyPatch) -> None:
    """Aggregates that differ only by their event run as two group-bys (per person and event
    type, then per person): the same values as one group-by, in polars, DuckDB and Spark
    (TIMESTAMP and TIMESTAMP_NTZ), windows, ``between``, ``where`` and nulls included."""
    from segmentation import _compile

    aggs = []
    for name in ("game_session", "top_up", "app_open"):
        q = seg.event(name)
        aggs += [q.count(within="30d"), q.count(within="90d"), q.sum("value", within="90d"),
                 q.min("value", within="30d"), q.max("value", between=("60d", "7d")),
                 q.days_since_last(), seg.event(name, where=seg.field("value") > 10).count()]
    aliases = {a.key: f"a{i}" for i, a in enumerate(aggs)}
    names = list(aliases.values())

    def table(pop: seg.Population) -> pl.DataFrame:
        events = pop._e
        assert events is not None
        frame = _compile.aggregate_table(aggs, events, pop.id, pop.now, aliases)
        return events.engine.to_polars(frame).sort(pop.id).select(pop.id, *names)

    two = table(synthetic)
    engines = [engine_population(synthetic, "duckdb"),
               engine_population(synthetic, "spark", spark),
               engine_population(synthetic, "spark", spark, ntz=True)]
    for other in engines:
        got = table(other).cast(two.schema)
        assert got.equals(two), other.engine
    monkeypatch.setattr(_compile, "_COMBINE", {})  # every aggregate in one group-by
    one = table(synthetic)
    assert one.height == two.height > 0
    for c in names:  # sums may differ in the last bits (summation order)
        a, b = one[c].cast(pl.Float64), two[c].cast(pl.Float64)
        assert a.is_null().to_list() == b.is_null().to_list(), c
        assert ((a - b).abs().fill_null(0.0) <= 1e-9 * b.abs().fill_null(0.0) + 1e-9).all(), c


def test_counts_and_days_are_64_bit_integers_in_every_engine(spark,
                                                              synthetic: seg.Population) -> None:
    # before: an event count was a 32-bit integer in polars, a 128-bit one in DuckDB (read
    # as Decimal(38, 0) through Arrow) and a 64-bit one in Spark; days since the last event a
    # float in polars and DuckDB and an integer in Spark: RFM's scores had three schemas (and
    # its sizes two)
    from segmentation import _compile

    q = seg.event("top_up")
    aggs = [q.count(within="30d"), q.distinct_days(within="30d"), q.days_since_last(),
            seg.event("app_open").count(), seg.event("top_up", where=seg.field("value") > 5)
            .count()]
    aliases = {a.key: f"a{i}" for i, a in enumerate(aggs)}
    pops = [synthetic, engine_population(synthetic, "duckdb"),
            engine_population(synthetic, "spark", spark)]
    tables, scores, sizes = [], [], []
    for pop in pops:
        assert pop._e is not None
        frame = _compile.aggregate_table(aggs, pop._e, pop.id, pop.now, aliases)
        tables.append(pop._e.engine.to_polars(frame).sort(pop.id))
        result = seg.rfm(pop)
        scores.append(collected(result.scores).sort(pop.id))
        sizes.append(result.sizes())
    assert all(t.schema[c] == pl.Int64 for t in tables for c in aliases.values())
    assert tables[0].height > 0
    assert all(t.equals(tables[0]) for t in tables[1:])
    assert scores[0]["recency_days"].dtype == scores[0]["frequency"].dtype == pl.Int64
    assert all(s.equals(scores[0]) for s in scores[1:])
    assert sizes[0]["len"].dtype == pl.Int64  # a UInt32 in polars
    assert all(s.equals(sizes[0]) for s in sizes[1:])


def test_a_spark_population_with_a_repeated_id_is_refused(spark) -> None:
    """Counted in Spark, in the pass that counts the people: one row per person."""
    frame = pl.DataFrame({"user_id": [1, 2, 2, 3], "age": [20, 30, 40, 50]})
    pop = seg.Population(to_spark(spark, frame))
    with pytest.raises(seg.InvalidSegmentError, match="1 row repeating an id"):
        pop.select(seg.Segment("adults", seg.field("age") >= 18))


@pytest.mark.parametrize("engine", ["polars", "duckdb", "spark"])
def test_nan_is_missing_in_a_profile_and_refused_in_rfm_totals(request, synthetic, engine
                                                               ) -> None:
    # before: one NaN in a float column made its profile mean NaN, and NaN top-up amounts made
    # RFM's monetary cut points NaN (no one was a champion), in every engine
    profiles = synthetic.profiles.collect()
    gone = pl.int_range(pl.len()) % 9 == 0
    with_nan = profiles.with_columns(arpu=pl.when(gone).then(float("nan"))
                                     .otherwise(pl.col("arpu")))
    with_null = profiles.with_columns(arpu=pl.when(gone).then(None).otherwise(pl.col("arpu")))
    events = synthetic.events.collect()
    nan_amounts = events.with_columns(value=pl.when(
        (pl.col("event") == "top_up") & (pl.int_range(pl.len()) % 5 == 0))
        .then(float("nan")).otherwise(pl.col("value")))
    spark = request.getfixturevalue("spark") if engine == "spark" else None

    def population(profiles: pl.DataFrame, events: pl.DataFrame) -> seg.Population:
        local = seg.Population(profiles, events, now=synthetic.now)
        return local if engine == "polars" else engine_population(local, engine, spark)

    older = seg.field("age") > 40
    nan_pop, null_pop = population(with_nan, events), population(with_null, events)
    got = nan_pop.profile(nan_pop.select(older), ["arpu"])
    want = null_pop.profile(null_pop.select(older), ["arpu"])
    assert got["audience"][0] == pytest.approx(want["audience"][0])
    assert got["population"][0] == pytest.approx(want["population"][0])
    assert got["population"][0] == got["population"][0]  # not NaN
    with pytest.raises(seg.InvalidSegmentError, match=r"NaN or infinite for \d+ people"):
        seg.rfm(population(profiles, nan_amounts))
    infinite = events.with_columns(value=pl.when(pl.int_range(pl.len()) % 50 == 0)
                                   .then(float("inf")).otherwise(pl.col("value")))
    with pytest.raises(seg.InvalidSegmentError, match="NaN or infinite"):
        seg.rfm(population(profiles, infinite))


@pytest.mark.parametrize("engine", ["polars", "duckdb", "spark"])
def test_binary_and_struct_levels_and_duration_means_agree_in_every_engine(request, engine
                                                                          ) -> None:
    # before: polars failed on a Binary column whose bytes are not UTF-8 (a raw ComputeError
    # from a cast to text), DuckDB wrote its bytes escaped ('\\xFF') and Spark replaced them;
    # structs read '{1}' in polars and Spark, "{'x': 1}" in DuckDB; a duration's mean was in
    # the column's own unit (milliseconds for Duration('ms')), and Spark refused to cast its
    # day-time interval to a number (a raw AnalysisException)
    profiles = pl.DataFrame({
        "user_id": [1, 2, 3, 4, 5],
        "digest": [b"\xff\x00", b"a", None, b"\xff\x00", b"a"],
        "tags": [[b"\xfe"], [b"a", b"a"], None, [], [b"\xfe"]],
        "plan": [{"x": 1, "y": "é"}, {"x": 2, "y": None}, None, {"x": 1, "y": "é"}, None],
        "tenure": pl.Series([dt.timedelta(days=1, seconds=1.5), dt.timedelta(days=3), None,
                             dt.timedelta(hours=-2), dt.timedelta(0)], dtype=pl.Duration("ms"))})
    local = seg.Population(profiles, now=NOW)
    spark = request.getfixturevalue("spark") if engine == "spark" else None
    import pyspark

    spark_35 = engine == "spark" and int(pyspark.__version__.split(".")[0]) < 4
    if engine == "duckdb" or spark_35:  # no interval audiencekit reads (nor Spark 3.5's Arrow)
        local = seg.Population(profiles.drop("tenure"), now=NOW)
    pop = local if engine == "polars" else engine_population(local, engine, spark)
    got = pop.profile(pop.select(seg.field("user_id") <= 2))
    want = [("digest", "61", 0.5, 0.4), ("digest", "ff00", 0.5, 0.4),
            ("tags", "fe", 0.5, 0.4), ("tags", "61", 0.5, 0.2),
            ("plan", '{"x":1,"y":"é"}', 0.5, 0.4), ("plan", '{"x":2,"y":null}', 0.5, 0.2)]
    if "tenure" in local.schema:  # means in microseconds
        want.append(("tenure", "mean", (86_401.5 + 3 * 86_400) * 1e6 / 2,
                     (86_401.5 + 3 * 86_400 - 7_200) * 1e6 / 4))
    assert got.select("feature", "value", "audience", "population").rows() == want


def test_map_columns_are_refused_by_the_profile_in_every_engine(spark) -> None:
    # before: polars raised a raw InvalidOperationError casting a map to text, Spark a raw
    # AnalysisException on a list of maps (array_distinct), DuckDB wrote '{a=1}'
    con = duckdb.connect()
    rel = con.sql("SELECT * FROM (VALUES (1, MAP {'a': 1}, [MAP {'a': 1}], 5), "
                  "(2, MAP {'b': 2}, [], 6)) t(user_id, m, lm, n)")
    tables = [rel, rel.pl(), spark.sql("SELECT id AS user_id, map('a', id) AS m, "
                                       "array(map('a', id)) AS lm, 5 AS n FROM range(2)")]
    for table in tables:
        pop = seg.Population(table, now=NOW)
        audience = pop.select(seg.field("user_id") >= 1)
        for columns in (None, ["m"], ["lm"]):
            with pytest.raises(seg.ColumnTypeError, match="maps, which segments neither"):
                pop.profile(audience, columns)
        assert pop.profile(audience, ["n"])["feature"].to_list() == ["n"]
    local = seg.Population(rel.pl(), now=NOW)
    with pytest.raises(seg.ColumnTypeError, match="'m' hold"):
        seg.shareable_report(local.select(seg.field("n") > 0), local, profile=["m"])


def test_levels_past_pythons_years_are_the_engines_text(capfd) -> None:
    # before: a list of DuckDB 'infinity' timestamps (year 294,247 once in polars), or a struct
    # holding one, was collected as Python objects and panicked polars' conversion (a
    # PanicException, with a Rust panic message on stderr)
    rel = duckdb.connect().sql(
        "SELECT 1 AS user_id, 'infinity'::TIMESTAMP AS d, {'t': 'infinity'::TIMESTAMP} AS s, "
        "['infinity'::TIMESTAMP] AS l, {'t': '5000000-01-01'::DATE} AS sd UNION ALL SELECT 2, "
        "'2020-01-01'::TIMESTAMP, {'t': '2020-01-01'::TIMESTAMP}, [], {'t': '2020-01-01'::DATE}")
    pop = seg.Population(rel, now=NOW)
    capfd.readouterr()
    got = pop.profile(pop.select(seg.field("user_id") < 2))
    assert capfd.readouterr().err == ""
    held = got.filter(pl.col("audience") == 1.0).select("feature", "value").rows()
    assert [f for f, _ in held] == ["d", "s", "l", "sd"]
    assert all("infinity" in v or "5000000" in v for _, v in held), held


_US_DAY = 86_400_000_000
#: Instants as epoch microseconds: fractions with trailing zeros, one microsecond, 2020, and
#: the two 01:30 of New York's autumn DST change (a session-zone wall clock, twice)
_INSTANTS = [0, 120_000, 1, None, 18_262 * _US_DAY + 5, 1_604_208_600_000_000,
             1_604_212_200_000_000]


@pytest.mark.parametrize("engine", ["polars", "duckdb", "spark", "spark_ntz"])
def test_date_and_time_levels_read_alike_in_every_engine(request, engine) -> None:
    # before: polars padded fractions to the column's unit ('...07.000000') and wrote an aware
    # column in its own zone ('10:30:00.000000+05:30'), DuckDB in UTC with '+00', Spark in
    # the session's zone without an offset (New York's 01:30 twice, for two instants); polars
    # wrote a time without its fraction (00:00:00.12 read '00:00:00', merging levels)
    n = len(_INSTANTS)
    micros = pl.Series(_INSTANTS, dtype=pl.Int64)
    profiles = pl.DataFrame({
        "user_id": list(range(n)),
        "naive": micros.cast(pl.Datetime("us")),
        "kolkata": micros.cast(pl.Datetime("us", "Asia/Kolkata")),
        "millis": (micros // 1000).cast(pl.Datetime("ms")),
        "day": pl.Series([0, 1, None, 18_262, 5, 5, 0], dtype=pl.Int32).cast(pl.Date),
        "days": pl.Series([[0, 7], [123], None, [None], [0], [7, 7], []],
                          dtype=pl.List(pl.Int32)).cast(pl.List(pl.Date)),
    })
    if engine in ("polars", "duckdb"):  # Spark has no time of day
        profiles = profiles.with_columns(
            clock=pl.Series([0, 120_000_000, 1000, None, 3_600 * 10**9, 5000, 5000],
                            dtype=pl.Int64).cast(pl.Time))
    local = seg.Population(profiles, now=NOW)
    audience = seg.field("user_id").isin([0, 2, 4, 6])
    if engine.startswith("spark"):
        spark = request.getfixturevalue("spark")
        spark.conf.set("spark.sql.session.timeZone", "America/New_York")
        try:
            pop = engine_population(local, "spark", spark, ntz=engine == "spark_ntz")
            got = pop.profile(pop.select(audience), top=20)
        finally:
            spark.conf.set("spark.sql.session.timeZone", "UTC")
    else:
        pop = local if engine == "polars" else engine_population(local, engine)
        got = pop.profile(pop.select(audience), top=20)
    levels = {f: got.filter(pl.col("feature") == f).sort("value")["value"].to_list()
              for f in profiles.columns[1:]}
    instants = ["1970-01-01 00:00:00+00:00", "1970-01-01 00:00:00.000001+00:00",
                "1970-01-01 00:00:00.12+00:00", "2020-01-01 00:00:00.000005+00:00",
                "2020-11-01 05:30:00+00:00", "2020-11-01 06:30:00+00:00"]
    assert levels["naive"] == instants
    assert levels["kolkata"] == instants
    assert levels["millis"] == ["1970-01-01 00:00:00+00:00", "1970-01-01 00:00:00.12+00:00",
                                "2020-01-01 00:00:00+00:00", "2020-11-01 05:30:00+00:00",
                                "2020-11-01 06:30:00+00:00"]
    assert levels["day"] == ["1970-01-01", "1970-01-02", "1970-01-06", "2020-01-01"]
    assert levels["days"] == ["1970-01-01", "1970-01-08", "1970-05-04"]
    if "clock" in levels:
        assert levels["clock"] == ["00:00:00", "00:00:00.000001", "00:00:00.000005",
                                   "00:00:00.12", "01:00:00"]


_MICROS = st.integers(int((dt.datetime(1, 1, 2) - dt.datetime(1970, 1, 1)).total_seconds()
                           * 10**6),
                       int((dt.datetime(9999, 12, 30) - dt.datetime(1970, 1, 1)).total_seconds()
                           * 10**6))


@settings(max_examples=30, deadline=None)
@given(micros=st.lists(st.one_of(_MICROS, st.integers(-10**7, 10**7), st.none()),
                       min_size=1, max_size=12),
       zone=st.sampled_from([None, "UTC", "Asia/Kolkata", "America/New_York",
                             "Australia/Lord_Howe", "Pacific/Chatham"]),
       unit=st.sampled_from(["us", "ms", "ns"]))
def test_polars_and_duckdb_write_any_date_and_time_alike(micros: list[int | None],
                                                          zone: str | None, unit: str) -> None:
    values = pl.Series(micros, dtype=pl.Int64)
    if unit == "ns":  # the nanosecond range: 1677-2262
        values = values.clip(-(2**62) // 1000, 2**62 // 1000) * 1000 + 7
    elif unit == "ms":
        values = values // 1000
    profiles = pl.DataFrame({
        "user_id": list(range(len(micros))),
        "at": values.cast(pl.Datetime(unit, zone)),  # type: ignore[arg-type]
        "day": (values // (86_400 * {"us": 10**6, "ms": 10**3, "ns": 10**9}[unit]))
        .cast(pl.Int32).cast(pl.Date),
        "clock": (values % (86_400 * 10**6) * 1000).cast(pl.Time),
    })
    local = seg.Population(profiles, now=NOW)
    duck = engine_population(local, "duckdb")
    want = local.profile(local.select(seg.field("user_id") < 3), top=100)
    got = duck.profile(duck.select(seg.field("user_id") < 3), top=100)
    assert sorted(got.rows()) == sorted(want.rows())


def test_dates_past_the_years_polars_writes_are_infinity(capfd) -> None:
    # before: a polars column holding DuckDB's 'infinity' as polars reads it (the largest
    # 64-bit number: the year 294,247) panicked the profile, the report and the shareable
    # report (a PanicException past every 'except Exception', and a Rust message on stderr)
    big = pl.Series([2**63 - 1, 0, None, -(2**63) + 1], dtype=pl.Int64)
    profiles = pl.DataFrame({
        "user_id": [1, 2, 3, 4],
        "seen": big.cast(pl.Datetime("us")),
        "zoned": big.cast(pl.Datetime("us", "Europe/Paris")),
        "day": pl.Series([2**31 - 1, 0, None, -(2**31) + 1], dtype=pl.Int32).cast(pl.Date),
        "seens": pl.Series([[2**63 - 1], [0], None, []], dtype=pl.List(pl.Int64))
        .cast(pl.List(pl.Datetime("us"))),
        "pair": pl.Series([[2**63 - 1, 0]] * 4, dtype=pl.List(pl.Int64))
        .cast(pl.Array(pl.Datetime("us"), 2)),
        "plan": pl.struct(big.cast(pl.Datetime("us")).alias("t"), eager=True),
    })
    pop = seg.Population(profiles, now=NOW)
    audience = pop.select(seg.field("user_id") <= 2)
    capfd.readouterr()
    got = pop.profile(audience, top=20)
    levels = {f: got.filter(pl.col("feature") == f)["value"].to_list()
              for f in ("seen", "zoned", "day", "seens")}
    assert levels == {"seen": ["-infinity", "1970-01-01 00:00:00+00:00", "infinity"],
                      "zoned": ["-infinity", "1970-01-01 00:00:00+00:00", "infinity"],
                      "day": ["-infinity", "1970-01-01", "infinity"],
                      "seens": ["1970-01-01 00:00:00+00:00", "infinity"]}
    assert got.filter(pl.col("feature") == "pair")["value"].to_list() == [
        "1970-01-01 00:00:00+00:00", "infinity"]
    assert any("infinity" in v for v in got.filter(pl.col("feature") == "plan")["value"])
    shared = seg.shareable_report(audience, pop, profile=list(profiles.columns[1:]), k=1)
    assert "infinity" in shared.to_text()
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("engine", ["polars", "duckdb", "spark"])
def test_list_items_read_as_the_shareable_report_writes_them(request, engine) -> None:
    # before: a list of booleans read 'True' in the profile (Python's text) and 'true' in the
    # shareable report and for a boolean column; a list of floats read 'nan' and '-0.0' in
    # the profile, 'NaN', '-0.0' and '0.0' apart in the shareable report
    profiles = pl.DataFrame({"user_id": list(range(6)),
                             "flags": [[True, False], [True], [], None, [False], [True]],
                             "rates": [[1.5, -0.0], [0.0, float("nan")], [1e20], None, [], [1.5]],
                             "on": [True, False, True, None, False, True]})
    local = seg.Population(profiles, now=NOW)
    spark = request.getfixturevalue("spark") if engine == "spark" else None
    pop = local if engine == "polars" else engine_population(local, engine, spark)
    got = pop.profile(pop.select(seg.field("user_id") < 3), top=20)
    levels = sorted(got.select("feature", "value").rows())
    assert levels == [("flags", "false"), ("flags", "true"), ("on", "false"), ("on", "true"),
                      ("rates", "0.0"), ("rates", "1.5"), ("rates", "1e+20"), ("rates", "NaN")]
    shared = seg.shareable_report(local.select(seg.field("user_id") < 3), local,
                                  profile=["flags", "rates", "on"], k=1)
    assert sorted((r["feature"], r["value"]) for r in shared.to_dict()["profile"]) == levels


def test_durations_in_lists_or_structs_are_refused_by_the_profile() -> None:
    # before: polars raised a raw InvalidOperationError casting a list of durations to text
    # (no engine writes such levels alike); a duration column itself gives its mean
    profiles = pl.DataFrame({
        "user_id": [1, 2], "waits": [[dt.timedelta(days=1)], []],
        "plan": [{"grace": dt.timedelta(days=1)}, None], "tenure": [dt.timedelta(days=2)] * 2})
    pop = seg.Population(profiles, now=NOW)
    audience = pop.select(seg.field("user_id") < 2)
    for column in ("waits", "plan"):
        with pytest.raises(seg.ColumnTypeError, match=f"'{column}' hold .*durations within"):
            pop.profile(audience, [column])
        with pytest.raises(seg.ColumnTypeError, match="durations within lists or structs"):
            seg.shareable_report(audience, pop, profile=[column])
    assert pop.profile(audience, ["tenure"])["value"].to_list() == ["mean"]


def test_a_spark_struct_of_fields_never_null_may_itself_be_null(spark) -> None:
    # before: a struct built from NOT NULL columns and left null by a left join (its fields
    # declared non-nullable) failed Population.to_polars() with pyspark's raw ArrowInvalid
    # ('nulls in input cannot be viewed as non-nullable')
    people = spark.sql("SELECT id AS user_id FROM range(4)")
    plans = spark.sql("SELECT id AS user_id, struct(id AS tier, 'gold' AS name) AS plan, "
                      "array(struct(id AS n)) AS bundles FROM range(2)")
    pop = seg.Population(people.join(plans, "user_id", "left"), now=NOW)
    assert sorted(pop.select(seg.field("plan").is_null()).collect().ids.to_list()) == [2, 3]
    local = pop.to_polars()
    got = local.profiles.collect().sort("user_id")
    assert got["plan"].to_list() == [{"tier": 0, "name": "gold"}, {"tier": 1, "name": "gold"},
                                     None, None]
    assert got["bundles"].to_list() == [[{"n": 0}], [{"n": 1}], None, None]
    audience = local.select(seg.field("user_id") < 1)
    assert local.profile(audience, ["plan"])["value"].to_list() == [
        '{"tier":0,"name":"gold"}', '{"tier":1,"name":"gold"}']


@pytest.mark.parametrize("column", ["TIME'10:11:12.5'", "parse_json('{\"a\": 1}')",
                                    "array(parse_json('1'))", "named_struct('t', TIME'10:00:00')"])
def test_spark_time_and_variant_columns_are_named_when_a_population_is_built(spark, column
                                                                           ) -> None:
    # before: a TIME column (Spark 4.1 on) failed every segment of its table, on any column,
    # with Spark's raw AnalysisException (UNSUPPORTED_TIME_TYPE), and a VARIANT column
    # failed the profile with one (GROUP_EXPRESSION_TYPE_IS_NOT_ORDERABLE)
    try:
        table = spark.sql(f"SELECT id AS user_id, id % 2 AS k, {column} AS odd FROM range(3)")
    except Exception:  # a Spark without the type (3.5 has neither)
        pytest.skip("this Spark has no such type")
    for profiles, events in ((table, None), (spark.sql("SELECT id AS user_id FROM range(3)"),
                                             table.selectExpr("user_id", "'game' AS event",
                                                              "current_timestamp() AS ts",
                                                              "odd"))):
        with pytest.raises(seg.ColumnTypeError, match=r"cannot read: 'odd' \((time|variant|"
                                                       r"array<variant>|struct<t:time)"):
            seg.Population(profiles, events, now=NOW).n  # noqa: B018
    pop = seg.Population(table.drop("odd"), now=NOW)
    assert sorted(pop.select(seg.field("k") == 1).collect().ids.to_list()) == [1]


def test_extension_types_are_refused_by_the_profile_in_every_engine() -> None:
    # before: pyarrow's arrow.json column failed the profile with polars' raw ComputeError
    # ('cannot cast extension types to String'); DuckDB's BIGNUM (an opaque extension in
    # polars: DuckDB's own bytes) read as a number in DuckDB and as those bytes collected
    import pyarrow as pa

    table = pa.table({"user_id": [1, 2], "doc": pa.array(["{}", "[]"], type=pa.json_()),
                      "n": [5, 6]})
    rel = duckdb.connect().sql("SELECT i AS user_id, '12345678901234567890123456789012345678901'"
                               "::BIGNUM AS doc, 5 AS n FROM range(1, 3) t(i)")
    for source in (table, rel):
        pop = seg.Population(source, now=NOW)
        audience = pop.select(seg.field("user_id") < 2)
        with pytest.raises(seg.ColumnTypeError, match=r"'doc' hold .*extension types"):
            pop.profile(audience)
        assert pop.profile(audience, ["n"])["value"].to_list() == ["mean"]
    local = seg.Population(table, now=NOW)
    with pytest.raises(seg.ColumnTypeError, match="extension types"):
        seg.shareable_report(local.select(seg.field("n") > 0), local, profile=["doc"])


def test_duckdb_times_with_a_zone_read_as_their_local_time_as_collected() -> None:
    # before: DuckDB wrote a TIMETZ level '10:11:12+05:30' where the same table collected to
    # polars (DuckDB hands TIMETZ to Arrow as its local time) read '10:11:12'
    rel = duckdb.connect().sql("SELECT i AS user_id, '10:11:12.5+05:30'::TIMETZ AS t "
                               "FROM range(2) t(i)")
    pop = seg.Population(rel, now=NOW)
    local = pop.to_polars()
    for p in (pop, local):
        got = p.profile(p.select(seg.field("user_id") < 1))
        assert got.select("feature", "value").rows() == [("t", "10:11:12.5")]


def test_odd_column_names_in_every_engine(spark) -> None:
    # before: a Spark population with a column named "device.model" (a flattened struct) or
    # holding a backtick failed every event segment with Spark's AnalysisException; polars and
    # DuckDB take any name, and to_sql quotes them for both dialects
    names = ["device.model", "b`t", 'q"t', "a b", "a'b", "a\\b", "select", "ünï"]
    profiles = pl.DataFrame({"user_id": [1, 2, 3], **{n: [1, 5, 10] for n in names}})
    events = pl.DataFrame({"user_id": [1, 1, 2], "event": ["a.b", "x", "a.b"],
                           "ts": [NOW - dt.timedelta(days=d) for d in (1, 2, 3)]})
    local = seg.Population(profiles, events, now=NOW)
    duck = engine_population(local, "duckdb")
    conds = [seg.field(n) > 3 for n in names] + [seg.event("a.b").count(within="30d") >= 1]
    for cond in conds:
        want = local.select(cond).ids.to_list()
        assert want
        assert duck.select(cond).collect().ids.to_list() == want
        sql = seg.Segment("s", cond).to_sql("spark", now=NOW, schema=local.schema)
        plain = spark.createDataFrame(profiles.to_pandas())
        plain.createOrReplaceTempView("profiles")
        spark.createDataFrame(events.to_pandas()).createOrReplaceTempView("events")
        assert sorted(r[0] for r in spark.sql(sql).collect()) == want
    for odd in ("device.model", "b`t"):
        frame = spark.createDataFrame(profiles.select("user_id", odd).to_pandas())
        with pytest.raises(seg.InvalidSegmentError, match="rename them"):
            seg.Population(frame, now=NOW)
    renamed = spark.createDataFrame(profiles.select("user_id", "a b", "q\"t").to_pandas())
    assert seg.Population(renamed, now=NOW).select(seg.field("a b") > 3).size == 2


def test_table_names_are_quoted_never_pasted_as_sql(spark) -> None:
    # before: to_sql pasted profiles= and events= into the text as given: "x; DROP TABLE y"
    # wrote a second statement, "my table" and "" wrote SQL that does not parse, and
    # "read_parquet('x')" a table function; now a dotted name is quoted part by part, other
    # text is one quoted name, and empty parts and table functions are refused
    profiles = pl.DataFrame({"user_id": [1, 2, 3], "age": [20, 40, 60]})
    events = pl.DataFrame({"user_id": [1, 3, 3], "event": ["a", "a", "b"],
                           "ts": [NOW - dt.timedelta(days=d) for d in (1, 2, 3)]})
    segment = seg.Segment("s", (seg.field("age") > 30) & (seg.event("a").count(within="7d") >= 1))
    want = seg.Population(profiles, events, now=NOW).select(segment).ids.to_list()
    assert want == [3]
    con = duckdb.connect()
    con.execute("CREATE SCHEMA lake")
    con.execute("CREATE TABLE y AS SELECT 1 AS keep")
    for name, frame in (("my table", profiles), ("x; DROP TABLE y", profiles),
                        ('q"t', events)):
        con.register(name, frame.to_arrow())
    con.register("plain_events", events.to_arrow())
    con.execute("CREATE TABLE lake.profiles AS SELECT * FROM \"my table\"")
    for prof, ev in (("my table", "q\"t"), ("x; DROP TABLE y", "plain_events"),
                     ("lake.profiles", "plain_events"), ('lake."profiles"', "plain_events"),
                     ("  my table ", "plain_events")):
        sql = segment.to_sql("duckdb", profiles=prof, events=ev, now=NOW)
        assert sorted(r[0] for r in con.execute(sql).fetchall()) == want, (prof, ev)
    assert con.execute("SELECT keep FROM y").fetchall() == [(1,)]  # still there
    spark.createDataFrame(profiles.to_pandas()).createOrReplaceGlobalTempView("prof")
    spark.createDataFrame(events.to_pandas()).createOrReplaceTempView("events")
    for prof in ("global_temp.prof", "global_temp.`prof`"):
        sql = segment.to_sql("spark", profiles=prof, now=NOW)
        assert sorted(r[0] for r in spark.sql(sql).collect()) == want
    for bad in ("", "   ", "a..b", ".profiles", "profiles.", "read_parquet('p.parquet')", None, 3):
        with pytest.raises(seg.InvalidSegmentError, match="profiles= takes the name of a table"):
            segment.to_sql("duckdb", profiles=bad, now=NOW)  # type: ignore[arg-type]
    with pytest.raises(seg.InvalidSegmentError, match="events= takes the name of a table"):
        segment.to_sql("spark", events="", now=NOW)
    with pytest.raises(seg.InvalidSegmentError, match="id= takes the name of the id column"):
        segment.to_sql("spark", id="", now=NOW)


def _deep(levels: int) -> seg.Condition:
    """A condition of ``levels`` levels: ~, & and | in turn around a predicate (every & and |
    has a second, flat part, so none flattens into its child)."""
    cond: seg.Condition = seg.field("age") > 3
    for i in range(levels - 1):
        step = i % 3
        cond = ~cond if step == 0 else (cond & (seg.field("age") < 100) if step == 1
                                        else cond | (seg.field("age") == 0))
    return cond


def test_deep_conditions_run_everywhere_up_to_the_limit_and_are_refused_past_it(spark) -> None:
    # before: 500 nested ~ compiled in polars but to_sql, to_json and Spark raised Python's
    # RecursionError; now a condition nests at most MAX_DEPTH levels, checked when it is built
    from segmentation._conditions import MAX_DEPTH

    profiles = pl.DataFrame({"user_id": [1, 2, 3, 4], "age": [0, 2, 5, 150]})
    events = pl.DataFrame({"user_id": [1, 2], "event": ["a", "a"], "value": [1.0, 2.0],
                           "ts": [NOW - dt.timedelta(days=1)] * 2})
    local = seg.Population(profiles, events, now=NOW)
    deepest = _deep(MAX_DEPTH)
    want = local.select(deepest).ids.to_list()
    segment = seg.Segment("deep", deepest)
    assert seg.Segment.from_json(segment.to_json()).to_json() == segment.to_json()
    assert engine_population(local, "duckdb").select(deepest).collect().ids.to_list() == want
    assert engine_population(local, "spark", spark).select(deepest).collect().ids.to_list() \
        == want
    spark.createDataFrame(profiles.to_pandas()).createOrReplaceTempView("profiles")
    assert sorted(r[0] for r in spark.sql(segment.to_sql("spark", now=NOW)).collect()) == want
    with pytest.raises(seg.InvalidSegmentError, match=rf"at most {MAX_DEPTH} levels"):
        _deep(MAX_DEPTH + 1)
    with pytest.raises(seg.InvalidSegmentError, match="at most"):
        deepest.__invert__()
    with pytest.raises(seg.InvalidSegmentError, match="at most"):
        seg.in_segment(segment)
    with pytest.raises(seg.InvalidSegmentError, match="at most"):
        seg.event("a", where=_deep(MAX_DEPTH)).count().__ge__(1)
    data = json.loads(segment.to_json())
    data["condition"] = {"op": "not", "part": data["condition"]}
    with pytest.raises(seg.InvalidSegmentError, match="at most"):
        seg.Segment.from_json(json.dumps(data))
