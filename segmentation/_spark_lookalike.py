"""The lookalike on Spark: fitted on the driver from a seed-stratified sample, scored per
partition with the model broadcast once, tiers ranked in Spark.

Fit: every seed (up to ``max_fit_seeds``, else a uniform sample of them) and a uniform sample of
the other people (Bernoulli, seeded) up to ``max_fit_rows`` in all; their profiles and events
are collected to the driver and the model is fitted there as for any polars population (the
same features). Features at scoring time: the event aggregates are computed in Spark with the
segments' own definitions (one pass over the events), joined to the profiles, and each
partition's Arrow batches are encoded by the fitted feature builder and scored, native thread
pools pinned to one thread per task. Tiers: the candidates (not seeds, not excluded) ordered
by score, ties by id, and cut at the top 1%, 2%, 5%...: exactly nested, as Spark audiences.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import narwhals as nw
import numpy as np
import polars as pl

from . import _format as fmt
from ._checks import ids_like, names_shown
from ._compile import aggregate_table
from ._errors import InvalidSegmentError, SeedError, UnknownColumnError
from ._population import Audience, Population
from ._reserved import working

if TYPE_CHECKING:
    from ._lookalike import Lookalike

__all__ = ["fit_sample", "score_frame", "spark_tiers"]


def _seed_frame(population: Population, seeds: Any, what: str = "the seed ids",
                may_be_empty: bool = False) -> nw.LazyFrame[Any]:
    """The seeds' (or excluded people's) ids as a one-column frame of the population's
    engine, checked as local ids are (:func:`ids_like`: of the ids' own kind, never cast
    into a guess)."""
    spark = population.profiles.sparkSession
    if isinstance(seeds, Audience) and not seeds.is_local:
        frame = nw.from_native(seeds.ids)
        return frame.select(nw.col(seeds.id_column).alias(population.id))
    ids = seeds.ids if isinstance(seeds, Audience) else seeds
    if not isinstance(ids, (pl.Series, np.ndarray)) and (
            isinstance(ids, (str, bytes, dict)) or not isinstance(ids, Iterable)):
        raise SeedError(f"{what} of a Spark population are an Audience or ids, got "
                        f"{type(ids).__name__}")
    ids = ids_like(ids, population.schema[population.id], what)
    if len(ids) == 0 and not may_be_empty:
        raise SeedError("the seed is empty: no seed is in the population")
    schema = population.profiles.schema[population.id].dataType
    native = spark.createDataFrame([(v,) for v in ids.to_list()],
                                   _struct(population.id, schema))
    return nw.from_native(native)


def _struct(name: str, dtype: Any) -> Any:
    from pyspark.sql import types as T

    return T.StructType([T.StructField(name, dtype)])


def fit_sample(population: Population, seeds: Any, max_fit_seeds: int, max_fit_rows: int,
               random_state: int | None) -> tuple[Population, Audience, dict[str, Any]]:
    """A polars population of the sampled people (their profiles and events) and the sampled
    seeds, with what was drawn."""
    if max_fit_seeds < 1 or max_fit_rows <= max_fit_seeds:
        raise InvalidSegmentError("max_fit_rows must exceed max_fit_seeds, both positive")
    engine = population._p.engine
    seed_ids = _seed_frame(population, seeds).unique()
    profiles = population._p.frame
    seeds_in = profiles.select(population.id).join(seed_ids, on=population.id, how="semi")
    n_seeds = engine.count(seeds_in)
    if n_seeds == 0:
        raise SeedError("the seed is empty: no seed is in the population")
    n = population.n
    seed = 0 if random_state is None else int(random_state)
    seed_share = min(1.0, max_fit_seeds / n_seeds)
    rest_share = min(1.0, (max_fit_rows - min(n_seeds, max_fit_seeds)) / max(n - n_seeds, 1))
    native_seeds = seeds_in.to_native()
    if seed_share < 1.0:
        native_seeds = native_seeds.sample(fraction=seed_share, seed=seed)
    others = profiles.select(population.id).join(seed_ids, on=population.id, how="anti")
    native_others = others.to_native()
    if rest_share < 1.0:
        native_others = native_others.sample(fraction=rest_share, seed=seed + 1)
    chosen = nw.from_native(native_seeds.unionByName(native_others))
    local_profiles = engine.to_polars(profiles.join(chosen, on=population.id, how="semi"))
    local_events = None
    if population._e is not None:
        local_events = engine.to_polars(population._e.frame.join(chosen, on=population.id,
                                                                   how="semi"))
    local = Population(local_profiles, local_events, id=population.id, now=population.now)
    fit_seeds = engine.to_polars(nw.from_native(native_seeds))[population.id]
    info = {"seeds": n_seeds, "seeds_sampled": len(fit_seeds),
            "others_sampled": local_profiles.height - len(fit_seeds), "population": n,
            "seed_share": seed_share, "other_share": rest_share}
    return local, Audience(fit_seeds, None, n, "sampled seeds", id_column=population.id), info


class _Score:
    """The per-partition scorer: holds the model's broadcast handle (read once per worker)."""

    def __init__(self, model_ref: Any, id_col: str, score_col: str) -> None:
        self.model_ref = model_ref
        self.id_col = id_col
        self.score_col = score_col

    def __call__(self, batches: Iterable[Any]) -> Iterator[Any]:
        import pyarrow as pa
        from threadpoolctl import threadpool_limits

        model = self.model_ref.value
        with threadpool_limits(1):  # one Spark task per core: no OpenMP pool on top
            for batch in batches:
                if batch.num_rows == 0:
                    continue
                frame = pl.from_arrow(pa.Table.from_batches([batch]))
                if not isinstance(frame, pl.DataFrame):  # pragma: no cover
                    frame = frame.to_frame()
                x = model.features_.matrix_from_frame(frame)
                scores = model._score_rows(x, oob=False)
                yield pa.RecordBatch.from_arrays(
                    [batch.column(batch.schema.get_field_index(self.id_col)),
                     pa.array(scores, type=pa.float64())], names=[self.id_col, self.score_col])


def feature_frame(model: Lookalike, population: Population) -> Any:
    """The profiles' model columns with the raw event aggregates joined, in Spark."""
    builder = model.features_
    columns = [population.id, *[s.name for s in builder.specs_]]
    missing = [c for c in columns if c not in population.schema]
    if missing:
        raise UnknownColumnError(f"unknown feature columns {names_shown(missing)}; the "
                                 f"profiles have: {', '.join(population.schema)}")
    builder.check_readable(population)  # before a job: a task would fail on it, or worse
    frame = population._p.frame.select(*columns)
    if builder.event_types_ and population._e is not None:  # (checked: it is)
        aggs, aliases = builder.event_aggregates()
        per_person = aggregate_table(aggs, population._e, population.id, population.now,
                                     aliases)
        frame = frame.join(per_person, on=population.id, how="left")
    return frame.to_native()


def score_frame(model: Lookalike, population: Population, score: str = "score") -> Any:
    """Every person's score, as a Spark DataFrame (``id``, and the score named ``score``)."""
    from pyspark.sql import types as T

    features = feature_frame(model, population)
    context = features.sparkSession.sparkContext
    if features.rdd.getNumPartitions() < context.defaultParallelism:
        # a small profiles file is one partition: scoring is the heavy part, use every core
        features = features.repartition(context.defaultParallelism)
    model_ref = context.broadcast(model)
    schema = T.StructType([T.StructField(population.id,
                                         features.schema[population.id].dataType),
                           T.StructField(score, T.DoubleType())])
    return features.mapInArrow(_Score(model_ref, population.id, score), schema)


def ranked_frame(model: Lookalike, population: Population, exclude: Any,
                 score: str = "score") -> Any:
    """The candidates (not seeds, not ``exclude``) with their scores (named ``score``), best
    first, ties by id."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    scores = nw.from_native(score_frame(model, population, score).persist(
        StorageLevel.MEMORY_AND_DISK))
    seeds = getattr(model, "_spark_seeds_", None)
    if seeds is None:  # a model fitted on a polars population: its seeds' ids
        seeds = getattr(model, "seed_ids_", None)
    if seeds is not None:
        scores = scores.join(_seed_frame(population, seeds), on=population.id, how="anti")
    if exclude is not None:
        scores = scores.join(_seed_frame(population, exclude, "the excluded ids",
                                         may_be_empty=True), on=population.id, how="anti")
    return scores.to_native().orderBy(F.desc(score), F.asc(population.id))


def spark_tiers(model: Lookalike, population: Population, fractions: Sequence[float],
                exclude: Any) -> dict[float, Audience]:
    """Nested audiences of the top fractions of the candidates, computed in Spark."""
    # the score under a working name: any id column, 'score' included, is kept as it is
    ranked = ranked_frame(model, population, exclude, score=working("score"))
    from ._lookalike import tier_sizes

    out = {}
    for f, k in tier_sizes(fractions, ranked.count()).items():
        out[f] = Audience(ranked.limit(k).select(population.id), None, population.n,
                          f"lookalike top {fmt.tier(f)}", id_column=population.id)
    return out
