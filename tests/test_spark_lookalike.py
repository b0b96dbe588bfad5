"""The lookalike on Spark: one fitted model scores a Spark population per partition exactly as
it scores the same people locally, tiers are the same nested audiences, and a Spark population
is fitted from a seed-stratified sample."""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest

import segmentation as seg
from tests.engines import collected, engine_population


@pytest.fixture(scope="module")
def world(spark):
    pop = seg.synthetic_population(4_000, seed=8)
    remote = engine_population(pop, "spark", spark)
    seeds = pop.select(seg.field("is_high_value") & seg.field("is_customer"))
    model = seg.Lookalike(features=list(seg.PLATFORM_FEATURES),
                          event_types=list(seg.PLATFORM_EVENTS), n_estimators=3,
                          random_state=0, allow_small_seed=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model.fit(pop, seeds)
    # scored on other people (the fitted ones get out-of-bag scores locally)
    other = seg.synthetic_population(3_000, seed=9)
    return other, engine_population(other, "spark", spark), seeds, model, pop, remote


def test_a_spark_population_scores_as_the_local_one(world) -> None:
    pop, remote, _, model, _, _ = world
    local = model.ranked(pop)
    got = collected(model.ranked(remote))
    assert got["user_id"].to_list() == local["user_id"].to_list()
    np.testing.assert_allclose(got["score"].to_numpy(), local["score"].to_numpy(), rtol=1e-6)


def test_tiers_in_spark_are_the_local_tiers(world) -> None:
    from pyspark.sql import DataFrame

    pop, remote, _, model, _, _ = world
    customers = pop.select(seg.field("is_customer"))
    want = model.tiers(pop, exclude=customers)
    got = model.tiers(remote, exclude=remote.select(seg.field("is_customer")))
    assert list(got) == list(want)
    previous: set[int] = set()
    for f, audience in got.items():
        assert isinstance(audience.ids, DataFrame)  # stays in Spark
        ids = audience.collect().ids.to_list()
        assert ids == want[f].ids.to_list()
        assert previous <= set(ids)  # nested
        previous = set(ids)


def test_fit_on_spark_from_a_seed_stratified_sample(world) -> None:
    _, _, seeds, _, pop, remote = world
    spark_seeds = remote.select(seg.field("is_high_value") & seg.field("is_customer"))
    model = seg.Lookalike(features=list(seg.PLATFORM_FEATURES),
                          event_types=list(seg.PLATFORM_EVENTS), n_estimators=3,
                          random_state=0, allow_small_seed=True, max_fit_seeds=200,
                          max_fit_rows=1_500)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model.fit(remote, spark_seeds)
    info = model.fit_sample_
    assert info["seeds"] == seeds.size
    assert info["seed_share"] == pytest.approx(min(1.0, 200 / seeds.size))
    assert 0 < info["seeds_sampled"] <= seeds.size
    assert info["seeds_sampled"] + info["others_sampled"] < 2_500
    tiers = model.tiers(remote, fractions=(0.05,))
    top = tiers[0.05].collect().ids
    assert not set(top.to_list()) & set(seeds.ids.to_list())  # seeds are never candidates
    assert top.len() == round(0.05 * (pop.size - seeds.size))


def test_event_names_that_are_spark_syntax_and_ties_score_as_locally(spark) -> None:
    """An event type with a backtick ('a `b') made Spark scoring fail with a raw
    AnalysisException (its aggregate's column name was the feature's name), and equal scores
    were ranked by row order locally but by id in Spark, so a tier's edge could differ."""
    from tests.engines import tricky_population

    pop = tricky_population()
    remote = engine_population(pop, "spark", spark)
    ids = pop.profiles.collect()["user_id"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model = seg.Lookalike(n_estimators=2, random_state=0).fit(pop, ids[::4].to_list())
    local = model.ranked(pop)
    scores = local["score"].to_numpy()
    assert (scores[1:] == scores[:-1]).any()  # ties to break
    got = collected(model.ranked(remote))
    assert got["user_id"].to_list() == local["user_id"].to_list()
    np.testing.assert_allclose(got["score"].to_numpy(), scores, rtol=1e-9)
    for f, audience in model.tiers(remote, (0.013, 0.1)).items():
        assert audience.collect().ids.to_list() == model.tiers(pop, (f,))[f].ids.to_list()
        # named by the exact share in both engines (not 'top 1%' for 1.3%)
        assert audience.name == f"lookalike top {'1.3%' if f == 0.013 else '10%'}"


def test_spark_seed_and_excluded_ids_are_checked_as_local_ones_are(world) -> None:
    # before: a Spark population's seeds went straight into createDataFrame: text or float ids
    # for integer ids, a None or a plain string failed there as PySparkTypeError, and
    # exclude=[] (nobody) was refused as "the seed is empty"
    pop, remote, _, model, _, _ = world
    fresh = seg.Lookalike(features=["age"], event_types=["game_session"], n_estimators=2,
                          random_state=0, allow_small_seed=True)
    ids = pop.profiles.collect()["user_id"].to_list()
    for bad, says in (([str(i) for i in ids[:200]], "are String but the population's ids"),
                      ([*ids[:199], None], "hold nulls"), ([1.5, *ids[:199]], "not whole"),
                      ("1,2,3", "an Audience or ids, got str"), ([2**64], "outside the range")):
        with pytest.raises(seg.SeedError, match=says):
            fresh.fit(remote, bad)
        with pytest.raises(seg.SeedError, match=says.replace("the seed", "the excluded")):
            model.tiers(remote, [0.05], exclude=bad)
    want = model.expand(pop, 0.05).ids.to_list()
    assert model.expand(remote, 0.05, exclude=[]).collect().ids.to_list() == want
    assert model.expand(pop, 0.05, exclude=[]).ids.to_list() == want


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_decimal_ids_take_integer_seeds_on_spark_as_locally(spark) -> None:
    # before: int seeds for DECIMAL(20, 0) ids (unsigned 64-bit ids as Spark holds them) failed
    # in createDataFrame ("DecimalType(20,0) can not accept object 1"), and locally were refused
    import polars as pl

    base = seg.synthetic_population(2_000, seed=4)
    wide = seg.Population(base.profiles.collect().with_columns(
        pl.col("user_id").cast(pl.Decimal(20, 0))), None, now=base.now)
    remote = engine_population(wide, "spark", spark)
    seeds = base.profiles.collect()["user_id"].to_list()[:200]
    model = seg.Lookalike(features=["age"], n_estimators=2, random_state=0)
    want = model.fit(wide, seeds).expand(wide, 0.05).ids.to_list()
    assert model.fit(remote, seeds).expand(remote, 0.05).collect().ids.to_list() == want


def test_a_spark_population_the_model_cannot_read_is_refused_before_a_job(spark, world) -> None:
    """A feature column of another kind failed inside the Python workers (a Spark
    PythonException around polars' error), or was read as the wrong numbers."""
    other, _, _, model, _, _ = world
    profiles = other.profiles.collect()
    events = other.events.collect()
    changed = engine_population(seg.Population(profiles.with_columns(
        pl.col("age").cast(pl.Utf8)), events, now=other.now), "spark", spark)
    with pytest.raises(seg.ColumnTypeError, match=r"'age' \(numeric when fitted, String"):
        model.ranked(changed)
    bare = engine_population(seg.Population(profiles, now=other.now), "spark", spark)
    with pytest.raises(seg.InvalidSegmentError, match="has no events"):
        model.ranked(bare)
    gone = engine_population(seg.Population(profiles.drop("age"), events, now=other.now),
                             "spark", spark)
    with pytest.raises(seg.UnknownColumnError, match="unknown feature columns 'age'"):
        model.ranked(gone)
