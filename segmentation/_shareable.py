"""Audience figures for people outside the data team: sizes, overlaps, waterfalls and profiles
released through :class:`privacy.Disclosure` (thresholds, ranges, and optionally differential
privacy with one budget per report).

Sensitivities (how many released counts one person can change, in total): the sizes of ``m``
audiences, ``m``; their pairwise overlaps, ``m(m-1)/2``; a waterfall of ``n`` clauses with the
population's size, ``n + 1``; a profile, per categorical column one level in each audience and
in the population (``m + 1``), per list column as many levels as are shown, times ``m + 1``.
Shares are computed from released counts (post-processing), never from exact ones. Numeric
columns are withheld from the shareable profile (a private mean needs public bounds).

A level's name is itself a disclosure ("city = Smallville: under 100" says that someone lives
there). Levels a column's type states (Boolean, Enum) are public. Levels read from the data are
named only when held by at least ``k`` people; with epsilon, only when OpenDP's thresholded
Laplace lets them through (half of the profile's epsilon and the report's delta, split over such
columns; one person counts under one level, or under the first ``top`` distinct items of a
list), which makes the report (epsilon, delta)-DP.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from privacy._disclosure import BudgetExhaustedError, Disclosure, SafeCount
from privacy._redact import printable

from ._checks import check_int, check_number, listed, shown, whole
from ._conditions import Condition, Field
from ._engines import polars_level_text
from ._errors import InvalidSegmentError
from ._population import Audience, Population, distinct_names
from ._profile import check_countable, grouped_raw, level_text, numeric_dtype
from ._segments import Segment

__all__ = ["ShareableReport", "shareable_report"]


@dataclass(frozen=True)
class ShareableReport:
    """Figures safe to share. Every count is a :class:`privacy.SafeCount` ("under 100", or a
    range of two significant digits, noisy when the report has an epsilon)."""

    sizes: dict[str, SafeCount]
    overlaps: dict[tuple[str, str], SafeCount] = field(default_factory=dict)
    waterfall: list[dict[str, Any]] = field(default_factory=list)
    profile: list[dict[str, Any]] = field(default_factory=list)
    withheld: list[str] = field(default_factory=list)
    privacy: dict[str, Any] = field(default_factory=dict)
    #: The population's size as released with the profile (its shares' denominator).
    population: SafeCount | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "sizes": {n: c.to_dict() for n, c in self.sizes.items()},
            "overlaps": [{"a": a, "b": b, **c.to_dict()} for (a, b), c in self.overlaps.items()],
            "waterfall": [{**row, "size": row["size"].to_dict()} for row in self.waterfall],
            "profile": [{**row, "audience": row["audience"].to_dict(),
                         "population": row["population"].to_dict()} for row in self.profile],
            "withheld": self.withheld,
            "privacy": self.privacy,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, default=str)

    def to_text(self) -> str:
        lines = ["Audience sizes"]
        lines += [f"  {name}: {count}" for name, count in self.sizes.items()]
        if self.overlaps:
            lines.append("Overlaps")
            lines += [f"  {a} & {b}: {c}" for (a, b), c in self.overlaps.items()]
        if self.waterfall:
            lines.append("Waterfall")
            lines += [f"  {r['step']}. {r['clause']}: {r['size']}" for r in self.waterfall]
        if self.profile:
            lines.append("Profile (share of the audience / of the population)")
            lines += [f"  {r['audience_name']} {r['feature']}={r['value']}: "
                      f"{r['audience_share']} / {r['population_share']}" for r in self.profile]
        if self.withheld:
            lines.append(f"Withheld: {', '.join(self.withheld)}")
        p = self.privacy
        how = (f"differential privacy, epsilon {p['epsilon_used']:g} of {p['epsilon_budget']:g}"
               if "epsilon_budget" in p else "thresholds and rounding, no noise")
        if "delta_used" in p:
            how += f", delta {p['delta_used']:.2g} of {p['delta_budget']:g} (level names)"
        lines.append(f"Protection: counts under {p['k']:,} hidden; {how}")
        # one figure per line: a level, name or clause holding a line break (or a bidi
        # override) would otherwise write lines of its own, a forged 'Protection:' line say
        return "\n".join(printable(line) for line in lines)


def _share(part: SafeCount, whole: SafeCount) -> str:
    if part.under_k or whole.under_k or not whole.value:
        return "-"
    return f"{min(part.middle / whole.middle, 1.0):.0%}"


def shareable_report(
    audiences: Audience | Sequence[Audience],
    population: Population | None = None,
    *,
    segment: Segment | None = None,
    profile: Sequence[str] | None = None,
    top: int = 10,
    k: int = 100,
    epsilon: float | None = None,
    profile_first: int | None = None,
    disclosure: Disclosure | None = None,
    epsilon_each: float | None = None,
) -> ShareableReport:
    """Sizes, overlaps, a waterfall and a profile that are safe to share.

    Parameters
    ----------
    audiences : Audience or sequence of Audience
    population : Population, optional
        Needed for the waterfall and the profile.
    segment : Segment, optional
        Its waterfall (clause by clause) over ``population``.
    profile : sequence of str, optional
        Categorical, boolean or list columns to profile each audience on.
    top : int
        Levels per profiled column (the most common in the population).
    k : int
        Counts under ``k`` are shown as "under k".
    epsilon : float, optional
        Differential privacy with this budget for the whole report, split evenly over the
        groups of figures it holds; ``None`` for thresholds and rounding only.
    profile_first : int, optional
        Profile only the first this many audiences (each profiled audience adds to the
        profile's sensitivity, so to its noise).
    disclosure, epsilon_each : optional
        For a larger report that releases more figures under the same budget: the
        :class:`privacy.Disclosure` to release through, and the epsilon per group of figures
        (default: what is left of its budget, split evenly over this report's groups). A report
        that does not fit what is left is refused before it releases anything.
    """
    if isinstance(audiences, Audience):
        audiences = [audiences]
    # a list: a set's order (by memory address) would reorder the report from run to run
    audiences = listed(audiences, "shareable_report", "one or more Audience objects")
    if not audiences or not all(isinstance(a, Audience) for a in audiences):
        raise InvalidSegmentError("shareable_report takes one or more Audience objects")
    if isinstance(profile, Iterable) and not isinstance(profile, (str, bytes, Mapping)):
        profile = list(profile)
    _check_options(population, segment, profile, profile_first, disclosure)
    k, epsilon, top = check_figures(k, epsilon, top)
    if (segment is not None or profile) and population is None:
        raise InvalidSegmentError("a waterfall or a profile needs the population: pass "
                                  "population=")
    names = distinct_names(audiences)
    m = len(audiences)
    # everything that can fail is checked and counted before the first release: a report
    # refused halfway would have spent budget on figures nobody receives
    profiled = False
    if profile and population is not None:
        population.local("a shareable report")
        schema = population.profiles.collect_schema()
        known = population.known_columns(profile, "profile")
        check_countable(schema, known)
        profiled = any(not numeric_dtype(schema[c]) for c in known)
    pairs = [(i, j) for i in range(m) for j in range(i + 1, m)]
    overlap_counts = [audiences[i].overlap(audiences[j]) for i, j in pairs]
    exact = population.waterfall(segment) if segment is not None and population is not None \
        else None
    groups = 1 + (m > 1) + (exact is not None) + profiled
    if disclosure is None:
        disclosure = Disclosure(k=k, epsilon=epsilon)
        epsilon_each = None if epsilon is None else epsilon / groups
    elif disclosure.epsilon is not None:
        epsilon_each = _budget_each(disclosure, groups, epsilon_each)
    each = epsilon_each

    released = disclosure.release([a.size for a in audiences], sensitivity=m,
                                  label="audience sizes", epsilon=each)
    sizes = dict(zip(names, released, strict=True))
    overlaps: dict[tuple[str, str], SafeCount] = {}
    if m > 1:
        shown = disclosure.release(overlap_counts, sensitivity=len(pairs),
                                   label="pairwise overlaps", epsilon=each)
        overlaps = {(names[i], names[j]): c for (i, j), c in zip(pairs, shown, strict=True)}
    waterfall: list[dict[str, Any]] = []
    if exact is not None and population is not None:
        shown = disclosure.release([population.n, *exact["size"].to_list()],
                                   sensitivity=exact.height + 1, label="waterfall",
                                   epsilon=each)
        waterfall.append({"step": 0, "clause": "everyone", "size": shown[0]})
        waterfall += [{"step": step, "clause": clause, "size": c} for step, clause, c in
                      zip(exact["step"], exact["clause"], shown[1:], strict=True)]
    rows: list[dict[str, Any]] = []
    withheld: list[str] = []
    everyone = None
    if profile and population is not None:
        first = len(audiences) if profile_first is None else max(1, profile_first)
        rows, withheld, everyone = _profile(population, audiences[:first], names[:first],
                                            list(profile), top, disclosure, each, sizes)
    return ShareableReport(sizes, overlaps, waterfall, rows, withheld, disclosure.summary(),
                           everyone)


def _budget_each(disclosure: Disclosure, groups: int, each: float | None) -> float:
    """The epsilon per group of figures from a disclosure passed in: ``each``, or what is left
    split evenly over the report's groups; refused before any release when it does not fit."""
    left = float(disclosure.remaining or 0.0)
    if each is None:
        each = left / groups
    elif isinstance(each, bool) or not isinstance(each, (int, float)) or not 0 < each < math.inf:
        raise InvalidSegmentError(f"epsilon_each must be a positive, finite number, got "
                                  f"{shown(each)}")
    if left <= 0 or each * groups > left * (1 + 1e-9):
        raise BudgetExhaustedError(
            f"this report releases {groups} groups of figures at epsilon {shown(each)} each, "
            f"but {left:.4g} of the disclosure's {disclosure.epsilon:g} is left: nothing was "
            "released; give a smaller epsilon_each, or a new Disclosure with its own budget")
    return each


def check_figures(k: object, epsilon: object, top: object) -> tuple[int, float | None, int]:
    """How figures are released, checked before anything is counted: the package's error
    naming what was received (a k of "100" or an epsilon of -1 used to fail deep in the
    release as privacy's error, a top of "5" as a TypeError)."""
    budget = None if epsilon is None else check_number(epsilon, "epsilon", 0, math.inf,
                                                       low_open=True, high_open=True)
    return check_int(k, "k", 1), budget, check_int(top, "top", 1)


def _check_options(population: object, segment: object, profile: object,
                   profile_first: object, disclosure: object) -> None:
    """The report's other arguments, each refused with what was received."""
    if population is not None and not isinstance(population, Population):
        raise InvalidSegmentError(f"population must be a Population, got "
                                  f"{type(population).__name__}")
    if segment is not None and not isinstance(segment, (Segment, Condition, Field)):
        raise InvalidSegmentError(f"segment must be a Segment (or a condition), got "
                                  f"{type(segment).__name__}")
    if profile is not None and (not isinstance(profile, list)
                                or not all(isinstance(c, str) for c in profile)):
        raise InvalidSegmentError(f"profile takes a list of column names, e.g. ['gender'], "
                                  f"got {type(profile).__name__}")
    if profile_first is not None:
        first = whole(profile_first)
        if first is None or first < 1:
            raise InvalidSegmentError(f"profile_first must be a positive int, got "
                                      f"{shown(profile_first)}")
        profile_first = first
    if disclosure is not None and not isinstance(disclosure, Disclosure):
        raise InvalidSegmentError(f"disclosure must be a privacy.Disclosure, got "
                                  f"{type(disclosure).__name__}")


def _profile(population: Population, audiences: list[Audience], names: list[str],
             columns: list[str], top: int, disclosure: Disclosure, epsilon: float | None,
             sizes: dict[str, SafeCount],
             ) -> tuple[list[dict[str, Any]], list[str], SafeCount | None]:
    population.local("a shareable report")
    schema = population.profiles.collect_schema()
    columns = population.known_columns(columns)
    frame = population.profiles.select([population.id, *columns]).collect()
    members = [frame[population.id].is_in(a.ids.cast(frame.schema[population.id]).implode())
               for a in audiences]
    keys: list[tuple[str, str]] = []
    counts: list[int] = [population.n]  # the shares' denominator, released with them
    sensitivity = 1
    withheld = []
    categorical = [c for c in columns if not numeric_dtype(schema[c])]
    withheld += [f"{c} (numeric: a private mean needs public bounds)"
                 for c in columns if numeric_dtype(schema[c])]
    # a level's name says that someone has it: names read from the data are chosen through
    # the disclosure (held by k people or more; with epsilon, OpenDP's thresholded Laplace)
    chosen = [c for c in categorical if _public_levels(schema[c]) is None]
    select_eps: float | None = None
    count_eps: float | None = None
    select_delta: float | None = None
    if disclosure.epsilon is not None and chosen:
        total = float(disclosure.remaining or 0.0) if epsilon is None else epsilon
        half = total / 2 if total > 0 else None  # None: the budget is spent (refused there)
        select_eps = None if half is None else half / len(chosen)
        count_eps = None if half is None else total - half
        select_delta = disclosure.remaining_delta / len(chosen)
    elif disclosure.epsilon is not None:
        count_eps = epsilon
    for c in categorical:
        dtype = schema[c]
        s = frame[c]
        is_list = isinstance(dtype, (pl.List, pl.Array))
        text = _as_text(s)
        if is_list:
            text = text.list.unique(maintain_order=True)
        levels = _levels(text, dtype, c, top, disclosure, select_eps, select_delta)
        if not levels:
            withheld.append(f"{c} (no level held by enough people to be named)")
            continue
        if is_list:
            has = [text.list.contains(v).fill_null(False) for v in levels]
            sensitivity += len(levels) * (len(audiences) + 1)
        else:
            has = [(text == v).fill_null(False) for v in levels]
            sensitivity += len(audiences) + 1
        for level, h in zip(levels, has, strict=True):
            keys.append((c, level))
            counts.append(int(h.sum()))  # the population
            counts += [int((h & member).sum()) for member in members]
    if not keys:
        return [], withheld, None
    shown = disclosure.release(counts, sensitivity=sensitivity, label="profile",
                               epsilon=count_eps)
    everyone, shown = shown[0], shown[1:]
    rows = []
    width = len(audiences) + 1
    blocks = [(key, shown[i * width:(i + 1) * width]) for i, key in enumerate(keys)]
    if disclosure.epsilon is not None:  # public levels all released: keep the most common
        blocks = _top_released(blocks, top)
    for (feature, level), block in blocks:
        for j, name in enumerate(names):
            whole = sizes[name]
            rows.append({"audience_name": name, "feature": feature, "value": level,
                         "audience": block[j + 1], "population": block[0],
                         "audience_share": _share(block[j + 1], whole),
                         "population_share": _share(block[0], everyone)})
    return rows, withheld, everyone


def _as_text(column: pl.Series) -> pl.Series:
    """A column's levels as text (lists as lists of text), as :meth:`Population.profile`
    writes them: bytes in hexadecimal (a cast to text failed on bytes that are not UTF-8) and
    structs as JSON (polars' json_encode panicked on bytes in them)."""
    # dates (in lists and structs too) as the profile writes them, never panicking
    column = column.to_frame().select(
        polars_level_text(pl.first(), column.dtype).alias(column.name)).to_series()
    dtype = column.dtype
    listed = isinstance(dtype, (pl.List, pl.Array))
    inner = dtype.inner if listed else dtype  # type: ignore[attr-defined]
    if listed:
        column = column.cast(pl.List(inner))  # type: ignore[arg-type]
    # rare kinds, and booleans and floats in lists (as the profile writes them): value by value
    if grouped_raw(inner) or (listed and (inner == pl.Boolean or inner.is_float())):
        values = column.to_list()
        if listed:
            return pl.Series(column.name, [None if v is None else [
                None if x is None else level_text(x) for x in v] for v in values],
                dtype=pl.List(pl.Utf8))
        return pl.Series(column.name, [None if v is None else level_text(v) for v in values],
                         dtype=pl.Utf8)
    return column.cast(pl.List(pl.Utf8) if listed else pl.Utf8)


def _public_levels(dtype: pl.DataType) -> list[str] | None:
    """A column's levels when its type states them (Boolean, Enum): naming them discloses
    nothing. None when they can only be read from the data."""
    if dtype == pl.Boolean:
        return ["false", "true"]
    if isinstance(dtype, pl.Enum):
        return [str(v) for v in dtype.categories.to_list()]
    return None


def _levels(text: pl.Series, dtype: pl.DataType, column: str, top: int,
            disclosure: Disclosure, epsilon: float | None, delta: float | None) -> list[str]:
    """The levels a profile shows for one column (text values, or lists of distinct texts).

    Public levels (Boolean, Enum), held or not: the ``top`` most common without epsilon;
    with it all of them, every count released, the most common by released count kept after.
    Levels read from the data: through :meth:`privacy.Disclosure.select`, one person counting
    under one level (a list column: under its first ``top`` distinct items), ranked by the
    counts the selection returns."""
    values = text.explode() if isinstance(dtype, (pl.List, pl.Array)) else text
    public = _public_levels(dtype)
    if public is not None:
        if disclosure.epsilon is not None:
            return public
        held = values.drop_nulls().value_counts()
        count = dict(zip(held[held.columns[0]].to_list(), held["count"].to_list(), strict=True))
        return sorted(public, key=lambda v: -count.get(v, 0))[:top]
    contributions = 1
    if isinstance(dtype, (pl.List, pl.Array)):
        contributions = top
        values = text.list.head(top).explode()
    found = values.drop_nulls().value_counts(sort=True)
    counts = dict(zip(found[found.columns[0]].to_list(), found["count"].to_list(), strict=True))
    kept = disclosure.select(counts, contributions=contributions, label=f"levels of {column}",
                             epsilon=epsilon, delta=delta)
    ranked = sorted(kept.items(), key=lambda item: (-item[1], str(item[0])))
    return [str(name) for name, _ in ranked[:top]]


def _top_released(blocks: list[tuple[tuple[str, str], list[SafeCount]]], top: int,
                  ) -> list[tuple[tuple[str, str], list[SafeCount]]]:
    """Per column, the ``top`` levels by released population count (post-processing)."""
    by_column: dict[str, list[tuple[tuple[str, str], list[SafeCount]]]] = {}
    for block in blocks:
        by_column.setdefault(block[0][0], []).append(block)
    out = []
    for column_blocks in by_column.values():
        ranked = sorted(column_blocks, key=lambda b: -b[1][0].middle)
        out += ranked[:top] if len(ranked) > top else column_blocks
    return out
