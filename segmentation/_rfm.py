"""RFM: recency, frequency and monetary scores from an events table, with named groups.

Scores are quantile bins computed among the people active in the window. The named groups
(champions, loyal, new, at risk, hibernating, need attention, inactive) are returned as
:class:`Segment` objects written with the same thresholds, so a group in the score table and
its segment select exactly the same people, and the segment can be stored, compiled to SQL or
re-evaluated later against fresh events.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from typing import Any

import narwhals as nw
import numpy as np
import polars as pl

from ._checks import check_instance, check_int, shown
from ._compile import aggregate_table, check_event_names
from ._conditions import And, Condition, EventAggregate, event
from ._errors import InvalidSegmentError
from ._population import Population
from ._reserved import check_id_not_an_output
from ._segments import Segment, validate

__all__ = ["RFM", "rfm"]

#: The columns of the scores beside the id.
SCORE_COLUMNS = ("recency_days", "frequency", "monetary", "r", "f", "m", "group")

#: The most quantile bins: scores are small ints (1..bins), percentiles at the finest.
MAX_BINS = 100

#: Group rules on the 1..bins scores, tried in order (scores for bins=5).
GROUPS: tuple[tuple[str, dict[str, tuple[str, int]]], ...] = (
    ("champions", {"r": (">=", 4), "f": (">=", 4), "m": (">=", 4)}),
    ("loyal", {"r": (">=", 3), "f": (">=", 3)}),
    ("new", {"r": (">=", 4), "f": ("<=", 2)}),
    ("at_risk", {"r": ("<=", 2), "f": (">=", 3)}),
    ("hibernating", {"r": ("<=", 2), "f": ("<=", 2)}),
)


@dataclass(frozen=True)
class RFM:
    """Scores per person, the thresholds behind them, and the groups as segments."""

    #: One row per person: a polars DataFrame, or the engine's own table (a Spark DataFrame)
    #: for a population that lives there.
    scores: Any
    thresholds: dict[str, list[float]]
    segments: dict[str, Segment]

    def sizes(self) -> pl.DataFrame:
        """People per group (64-bit counts, as in every engine)."""
        frame = nw.from_native(self.scores)
        counts = frame.group_by("group").agg(nw.len().cast(nw.Int64).alias("len"))
        table = counts.to_native() if isinstance(counts, nw.DataFrame) else \
            counts.collect(backend="polars").to_native()
        return table.sort(["len", "group"], descending=[True, False])


def _quantiles(counts: pl.DataFrame, column: str, bins: int) -> list[float]:
    """numpy's "lower" quantiles of a column given as (value, people) counts: exact, while
    only the distinct values leave the engine."""
    counts = counts.sort(column)
    n = int(counts["len"].sum()) if counts.height else 0
    if n == 0:
        return [0.0] * (bins - 1)
    # the positions numpy's method="lower" picks in the sorted values
    positions = np.quantile(np.arange(n), [i / bins for i in range(1, bins)], method="lower")
    ends = np.cumsum(counts["len"].to_numpy())
    values = counts[column].to_numpy()
    return [float(values[int(np.searchsorted(ends, int(p), side="right"))]) for p in positions]


def _check_totals(counts: pl.DataFrame, event_name: str, value: str, within: str) -> None:
    """Refuse totals that are not numbers: one NaN amount makes a person's total NaN, and NaN
    cut points score no one above them (the champions were empty); an infinite total is no
    amount to rank either."""
    totals = counts["monetary"].cast(pl.Float64)
    bad = ~totals.is_finite().fill_null(True)
    if bad.any():
        people = int(counts.filter(bad)["len"].sum())
        raise InvalidSegmentError(
            f"the {value!r} totals of {event_name!r} events in {within} are NaN or infinite "
            f"for {people} people: an amount of those events is NaN or infinite; set such "
            "amounts to null or to a number first (polars: pl.col(...).fill_nan(None))")


def rfm(population: Population, event_name: str = "top_up", value: str = "value",
        within: str = "90d", bins: int = 5) -> RFM:
    """RFM scores over ``event_name`` events in the window, and named groups as segments.

    Parameters
    ----------
    population : Population
        With an events table.
    event_name : str
        The spending event (top-ups for prepaid telcos; bill payments, purchases...).
    value : str
        The events column holding the amount.
    within : str
        The window for frequency and monetary value ("90d").
    bins : int
        Number of quantile bins, 3 to 100 (scores 1..bins; 0 for people with no event in the
        window).

    Examples
    --------
    >>> import segmentation as seg
    >>> result = seg.rfm(seg.synthetic_population(2_000, seed=1))
    >>> sorted(result.segments)[:3]
    ['at_risk', 'champions', 'hibernating']
    """
    check_instance(population, Population, "population")
    for name, text in (("event_name", event_name), ("value", value)):
        if not isinstance(text, str) or not text:
            raise InvalidSegmentError(f"{name} must be a non-empty str, got {shown(text)}")
    if population._e is None:
        raise InvalidSegmentError("rfm needs a population with an events table")
    check_id_not_an_output(population.id, SCORE_COLUMNS, "the RFM scores")
    bins = check_int(bins, "bins", 3)
    if bins > MAX_BINS:
        raise InvalidSegmentError(f"bins must be at most {MAX_BINS} (percentiles), got {bins:,}")
    q = event(event_name)
    aggs: dict[str, EventAggregate] = {
        "recency_days": q.days_since_last(),
        "frequency": q.count(within=within),
        "monetary": q.sum(value, within=within),
    }
    # the event's columns and types, checked as any segment's are (the package's error)
    checked = And(tuple(agg >= 0 for agg in aggs.values()))
    validate(checked, population._p.schema, population._e.schema, population.id)
    check_event_names(list(aggs.values()), population._known_events(checked))
    engine = population._p.engine
    aliases = {agg.key: name for name, agg in aggs.items()}
    per_person = aggregate_table(list(aggs.values()), population._e,
                                 population.id, population.now, aliases)
    table = population._p.frame.select(population.id).join(
        per_person, on=population.id, how="left").with_columns(
        nw.col("frequency").fill_null(0), nw.col("monetary").fill_null(0))
    active_mask = nw.col("frequency") >= 1
    active = table.filter(active_mask)
    counts = {c: engine.to_polars(active.group_by(c).agg(nw.len().alias("len")))
              for c in ("recency_days", "frequency", "monetary")}
    _check_totals(counts["monetary"], event_name, value, within)
    thresholds = {c: _quantiles(table, c, bins) for c, table in counts.items()}
    # Recency: fewer days is better, so the score counts the cut points not exceeded.
    r = nw.lit(bins) - nw.sum_horizontal(
        *[(nw.col("recency_days") > t).cast(nw.Int8) for t in thresholds["recency_days"]]
    )
    f = 1 + nw.sum_horizontal(*[(nw.col("frequency") > t).cast(nw.Int8)
                                for t in thresholds["frequency"]])
    m = 1 + nw.sum_horizontal(*[(nw.col("monetary") > t).cast(nw.Int8)
                                for t in thresholds["monetary"]])
    scored = table.with_columns(
        nw.when(active_mask).then(r).otherwise(0).cast(nw.Int8).alias("r"),
        nw.when(active_mask).then(f).otherwise(0).cast(nw.Int8).alias("f"),
        nw.when(active_mask).then(m).otherwise(0).cast(nw.Int8).alias("m"),
    )
    # Scale the bins=5 rules to other bin counts.
    scale = bins / 5

    def level(k: int) -> int:
        return max(1, min(bins, round(k * scale)))

    def at_least(letter: str, k: int) -> Condition:
        """score >= k for an active person, written on the raw aggregates."""
        if k <= 1:
            return aggs["frequency"] >= 1
        if letter == "r":
            return aggs["recency_days"] <= thresholds["recency_days"][bins - k]
        key = {"f": "frequency", "m": "monetary"}[letter]
        return aggs[key] > thresholds[key][k - 2]

    def score_cond(letter: str, op: str, k: int) -> Condition:
        k = level(k)
        if op == ">=":
            return at_least(letter, k)
        return ~at_least(letter, k + 1) if k < bins else aggs["frequency"] >= 1

    def score_expr(letter: str, op: str, k: int) -> nw.Expr:
        k = level(k)
        return nw.col(letter) >= k if op == ">=" else nw.col(letter) <= k

    active_cond = aggs["frequency"] >= 1
    segments: dict[str, Segment] = {}
    taken: list[Condition] = []
    rules_exprs: list[tuple[str, nw.Expr]] = []
    for name, rules in GROUPS:
        cond = reduce(lambda a, b: a & b, [score_cond(k, op, v) for k, (op, v) in rules.items()])
        full = active_cond & cond
        for prior in taken:
            full = full & ~prior
        taken.append(cond)
        segments[name] = Segment(name, full, f"RFM group over {event_name} in {within}")
        expr = reduce(lambda a, b: a & b, [score_expr(k, op, v) for k, (op, v) in rules.items()])
        rules_exprs.append((name, active_mask & expr))
    rest: Condition = active_cond
    for prior in taken:
        rest = rest & ~prior
    segments["need_attention"] = Segment("need_attention", rest, "active, in no other group")
    segments["inactive"] = Segment("inactive", q.did_not(within=within),
                                   f"no {event_name} in {within}")
    group: nw.Expr = nw.when(active_mask).then(nw.lit("need_attention")).otherwise(
        nw.lit("inactive"))
    for name, when in reversed(rules_exprs):  # the first rule that holds names the group
        group = nw.when(when).then(nw.lit(name)).otherwise(group)
    scores = scored.with_columns(group.alias("group"))
    if engine.name == "polars":
        return RFM(engine.to_polars(scores), thresholds, segments)
    return RFM(scores.to_native(), thresholds, segments)
