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

import numpy as np
import polars as pl

from ._conditions import Condition, EventAggregate, event
from ._errors import InvalidSegmentError
from ._population import Population
from ._segments import Segment

__all__ = ["RFM", "rfm"]

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

    scores: pl.DataFrame
    thresholds: dict[str, list[float]]
    segments: dict[str, Segment]

    def sizes(self) -> pl.DataFrame:
        """People per group."""
        return self.scores.group_by("group").len().sort("len", descending=True)


def _quantiles(values: np.ndarray, bins: int) -> list[float]:
    if values.size == 0:
        return [0.0] * (bins - 1)
    qs = np.quantile(values, [i / bins for i in range(1, bins)], method="lower")
    return [float(q) for q in qs]


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
        Number of quantile bins (scores 1..bins; 0 for people with no event in the window).

    Examples
    --------
    >>> import segmentation as seg
    >>> result = seg.rfm(seg.synthetic_population(2_000, seed=1))
    >>> sorted(result.segments)[:3]
    ['at_risk', 'champions', 'hibernating']
    """
    if population.events is None:
        raise InvalidSegmentError("rfm needs a population with an events table")
    if not isinstance(bins, int) or bins < 3:
        raise InvalidSegmentError(f"bins must be an int of at least 3, got {bins!r}")
    q = event(event_name)
    aggs: dict[str, EventAggregate] = {
        "recency_days": q.days_since_last(),
        "frequency": q.count(within=within),
        "monetary": q.sum(value, within=within),
    }
    from ._conditions import aggregate_frame

    frame = population.profiles.select(population.id)
    schema = dict(population.events.collect_schema())
    for name, agg in aggs.items():
        frame = frame.join(
            aggregate_frame(agg, population.events, population.id, population.now, name, schema),
            on=population.id, how="left",
        )
    table = frame.with_columns(
        pl.col("frequency").fill_null(0), pl.col("monetary").fill_null(0)
    ).collect()
    active_mask = table["frequency"] >= 1
    active = table.filter(active_mask)
    thresholds = {
        "recency_days": _quantiles(active["recency_days"].to_numpy(), bins),
        "frequency": _quantiles(active["frequency"].to_numpy(), bins),
        "monetary": _quantiles(active["monetary"].to_numpy(), bins),
    }
    # Recency: fewer days is better, so the score counts the cut points not exceeded.
    r = pl.lit(bins) - pl.sum_horizontal(
        [(pl.col("recency_days") > t).cast(pl.Int8) for t in thresholds["recency_days"]]
    )
    f = 1 + pl.sum_horizontal([(pl.col("frequency") > t).cast(pl.Int8)
                               for t in thresholds["frequency"]])
    m = 1 + pl.sum_horizontal([(pl.col("monetary") > t).cast(pl.Int8)
                               for t in thresholds["monetary"]])
    scored = table.with_columns(
        r=pl.when(active_mask).then(r).otherwise(0).cast(pl.Int8),
        f=pl.when(active_mask).then(f).otherwise(0).cast(pl.Int8),
        m=pl.when(active_mask).then(m).otherwise(0).cast(pl.Int8),
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

    def score_expr(letter: str, op: str, k: int) -> pl.Expr:
        k = level(k)
        return pl.col(letter) >= k if op == ">=" else pl.col(letter) <= k

    active_cond = aggs["frequency"] >= 1
    segments: dict[str, Segment] = {}
    taken: list[Condition] = []
    group_expr: Any = None
    for name, rules in GROUPS:
        cond = reduce(lambda a, b: a & b, [score_cond(k, op, v) for k, (op, v) in rules.items()])
        full = active_cond & cond
        for prior in taken:
            full = full & ~prior
        taken.append(cond)
        segments[name] = Segment(name, full, f"RFM group over {event_name} in {within}")
        expr = reduce(lambda a, b: a & b, [score_expr(k, op, v) for k, (op, v) in rules.items()])
        when = active_mask & expr
        group_expr = (pl.when(when) if group_expr is None else group_expr.when(when)).then(
            pl.lit(name)
        )
    rest = active_cond
    for prior in taken:
        rest = rest & ~prior
    segments["need_attention"] = Segment("need_attention", rest, "active, in no other group")
    segments["inactive"] = Segment("inactive", q.did_not(within=within),
                                   f"no {event_name} in {within}")
    group_expr = group_expr.when(active_mask).then(pl.lit("need_attention")).otherwise(
        pl.lit("inactive"))
    scores = scored.with_columns(group=group_expr)
    return RFM(scores, thresholds, segments)
