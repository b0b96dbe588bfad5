"""One compiler: a condition tree to narwhals expressions, run natively by every engine.

A condition compiles once, here, to a narwhals expression over the profiles joined with their
event aggregates; polars, DuckDB and Spark each run the same expression tree (see
:mod:`._engines` for the pieces narwhals cannot express). Every event aggregate is defined once,
in :func:`aggregate_table`, which segments, RFM and the lookalike's event features all use.

Semantics every engine shares:

- SQL's three-valued logic: a comparison with a null is null, ``&``/``|`` are Kleene's, and a
  person whose condition is null is not selected.
- Times are UTC epoch microseconds (naive datetimes are UTC, aware ones are instants, dates are
  UTC midnights); a distinct day is a UTC calendar day.
- Numbers compare as numbers: each comparison is restated in the column's own kind
  (:mod:`._exact`: ``age > 25.5`` is ``age >= 26``, ``2**53 + 1`` is not ``2.0**53``, an Int64
  is below ``2**64``), and a long ``isin`` list keeps the column's type, without the values
  that cannot equal one of its values.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections.abc import Collection, Mapping, Sequence
from typing import Any, cast

import narwhals as nw
import polars as pl

from ._checks import named, names_shown
from ._clock import DAY_US, epoch_us, utc_now
from ._conditions import (
    And,
    Condition,
    EventAggregate,
    Field,
    InSegment,
    Not,
    Or,
    Predicate,
    aggregates_used,
    parse_duration,
    walk,
)
from ._engines import Table
from ._errors import InvalidSegmentError, UnknownColumnError
from ._exact import (
    INT_RANGES,
    NO_MEMBER,
    SUM_OF_INTEGERS,
    Kind,
    exact_mean_scale,
    exact_sum_scale,
    kind_of,
    list_member,
    restate,
)
from ._regex import portable
from ._reserved import working

__all__ = ["aggregate_table", "compile_mask", "condition_expr", "fill_value"]

_US = working("us:")  # prefix of the epoch-microsecond copy of a temporal column


def _is_temporal(dtype: Any) -> bool:
    return dtype == pl.Date or isinstance(dtype, pl.Datetime)


def _is_list(dtype: Any) -> bool:
    return isinstance(dtype, (pl.List, pl.Array))


def _narwhals_dtype(dtype: Any) -> Any:
    """A polars dtype as narwhals spells it (to cast in any engine)."""
    return nw.from_native(pl.Series([], dtype=dtype), series_only=True).dtype


def fill_value(agg: str) -> int | None:
    """What an aggregate is for a person with no matching event (0 or null)."""
    return 0 if agg in ("count", "sum", "distinct_days") else None


def _temporal_fields(conds: Sequence[Condition], schema: dict[str, Any]) -> list[str]:
    names: dict[str, None] = {}
    for cond in conds:
        for node in walk(cond):
            if isinstance(node, Predicate) and isinstance(node.target, Field) and \
                    _is_temporal(schema.get(node.target.name)):
                names.setdefault(node.target.name)
    return list(names)


def _with_epochs(table: Table, columns: Sequence[str]) -> nw.LazyFrame[Any]:
    frame = table.frame
    for c in columns:
        frame = table.engine.epoch_us(frame, c, _US + c, table.schema[c])
    return frame


# --- predicates -------------------------------------------------------------------------------


#: Integer kinds whose isin values go to the engine as one list
_LIST_INTS = (pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64)


def _isin_values(values: tuple[Any, ...], dtype: Any) -> list[Any] | None:
    """The list values of the column's own type (None: compare one by one, as SQL does)."""
    if dtype is None:
        return None
    if dtype in _LIST_INTS:  # Int128 values: one by one (a list of them is no polars Series
        # of a 64-bit kind)
        ints = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
        ints += [int(v) for v in values if isinstance(v, float) and v.is_integer()]
        lo, hi = INT_RANGES[dtype]
        return sorted({v for v in ints if lo <= v <= hi})
    if dtype.is_float():
        nums = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        # each in the column's kind, as a list's contains takes it: a number no double (or
        # float32) holds equals none (2**53 + 1 is not 2**53, 0.1 is no float32)
        held = [list_member(v, dtype) for v in nums]
        return sorted({v for v in held if v is not NO_MEMBER})
    if dtype == pl.Boolean:
        return sorted({v for v in values if isinstance(v, bool)})
    if dtype == pl.Utf8 or isinstance(dtype, (pl.Categorical, pl.Enum)):
        return sorted({v for v in values if isinstance(v, str)})
    return None


def _target(target: Field | EventAggregate, aliases: dict[str, str],
            schema: dict[str, Any]) -> tuple[nw.Expr, bool]:
    """The expression a predicate tests, and whether it is temporal (epoch microseconds)."""
    if isinstance(target, Field):
        if _is_temporal(schema.get(target.name)):
            return nw.col(_US + target.name), True
        return nw.col(target.name), False
    col = nw.col(aliases[target.key])
    fill = fill_value(target.agg)
    return (col.fill_null(fill) if fill is not None else col), False


def _literal(value: Any, temporal: bool) -> Any:
    if temporal and isinstance(value, (dt.date, dt.datetime)):
        return epoch_us(value)
    return value


def _compare(x: nw.Expr, op: str, value: Any, kind: Kind) -> nw.Expr:
    """``x op value``, restated in the column's own kind (:mod:`._exact`)."""
    stated = restate(op, value, kind)
    if isinstance(stated, bool):  # past every value of the column: null stays null
        return nw.when(~x.is_null()).then(nw.lit(stated))
    op, value = stated
    # an integer past 64 bits is a literal of the column's 128-bit kind (polars made a UInt128
    # past 2**127 compared with an Int128 literal null)
    lit = nw.lit(value)
    if isinstance(value, int) and not -(2**63) <= value < 2**64:
        unsigned = isinstance(kind, tuple) and kind[1] == 0 and kind[2] >= 2**127
        lit = nw.lit(value, nw.UInt128() if unsigned else nw.Int128())
    return {"eq": x == lit, "ne": x != lit, "lt": x < lit, "le": x <= lit, "gt": x > lit,
            "ge": x >= lit}[op]


def _predicate(p: Predicate, aliases: dict[str, str], now_us: int,
               schema: dict[str, Any], event_schema: Mapping[str, Any] | None = None
               ) -> nw.Expr:
    x, temporal = _target(p.target, aliases, schema)
    op = p.op
    if (isinstance(p.target, Field)
            and isinstance(schema.get(p.target.name), (pl.Categorical, pl.Enum))
            and op in ("lt", "le", "gt", "ge", "between", "contains", "matches", "starts_with")):
        # polars orders an Enum by its categories and refuses text functions and literals
        # outside them; text compares as text in every engine: the values themselves
        x = x.cast(nw.String)
    a: tuple[Any, ...] = tuple(_literal(v, temporal) for v in p.args)
    kind = None if temporal else kind_of(p.target, schema, event_schema)
    if op in ("eq", "ne", "lt", "le", "gt", "ge"):
        return _compare(x, op, a[0], kind)
    if op == "between":
        lo = _compare(x, "ge" if a[2] in ("both", "left") else "gt", a[0], kind)
        hi = _compare(x, "le" if a[2] in ("both", "right") else "lt", a[1], kind)
        return lo & hi
    if op == "isin":
        dtype = pl.Int64 if temporal else (
            schema.get(p.target.name) if isinstance(p.target, Field) else None)
        values = _isin_values(a, dtype)
        if values is None:
            return nw.any_horizontal(*[_compare(x, "eq", v, kind) for v in a],
                                     ignore_nulls=False)
        if not values:  # nothing of the column's type: false, or null for a null value
            return nw.when(~x.is_null()).then(nw.lit(value=False))
        return nw.when(~x.is_null()).then(x.is_in(values))
    if op == "is_null":
        return x.is_null()
    if op == "is_not_null":
        return ~x.is_null()
    if op == "contains":
        dtype = schema.get(p.target.name) if isinstance(p.target, Field) else None
        if _is_list(dtype):
            member = list_member(a[0], dtype.inner)  # type: ignore[union-attr]
            if member is NO_MEMBER:  # no element of the list's kind: false, null for null
                return nw.when(~x.is_null()).then(nw.lit(value=False))
            if isinstance(dtype, pl.Array):  # polars' list.contains takes no fixed-size array
                x = x.cast(nw.List(_narwhals_dtype(dtype.inner)))  # type: ignore[union-attr]
            return x.list.contains(member)
        return x.str.contains(str(a[0]), literal=True)
    if op == "matches":  # spelled out as every engine reads it alike
        return x.str.contains(portable(str(a[0])), literal=False)
    if op == "starts_with":
        return x.str.starts_with(str(a[0]))
    if op == "within":
        lower = now_us - _duration_us(str(a[0]))
        return (x >= nw.lit(lower)) & (x <= nw.lit(now_us))
    raise InvalidSegmentError(f"unknown op {named(op)}")


def _duration_us(text: str) -> int:
    d = parse_duration(text)
    return (d.days * 86_400 + d.seconds) * 1_000_000 + d.microseconds


def condition_expr(cond: Condition, aliases: dict[str, str], now: dt.datetime,
                   schema: dict[str, Any], event_schema: Mapping[str, Any] | None = None
                   ) -> nw.Expr:
    """A boolean narwhals expression for ``cond`` over a frame prepared by
    :func:`compile_mask` (aggregates joined under ``aliases``, temporal columns as epochs;
    ``event_schema`` tells integer sums from float ones)."""
    now_us = epoch_us(utc_now(now))

    def sub(c: Condition) -> nw.Expr:
        # a chain of binary & / | (Kleene's logic in every engine), not all_horizontal: polars
        # splits a chain of & to push each part below the join (profile conditions filter the
        # profiles before the event aggregates are joined)
        if isinstance(c, And):
            return functools.reduce(operator.and_, [sub(p) for p in c.parts])
        if isinstance(c, Or):
            return functools.reduce(operator.or_, [sub(p) for p in c.parts])
        if isinstance(c, Not):
            return ~sub(c.part)
        if isinstance(c, InSegment):
            return sub(c.condition)
        if isinstance(c, Predicate):
            return _predicate(c, aliases, now_us, schema, event_schema)
        raise InvalidSegmentError(f"not a condition: {type(c).__name__}")

    return sub(cond)


# --- event aggregates ---------------------------------------------------------------------------


def _bounds(agg: EventAggregate, now_us: int) -> tuple[int | None, int, bool]:
    """An aggregate's window in epoch microseconds: lower (inclusive, None: no bound), upper,
    and whether the upper bound is inclusive (up to now) or not (``between``)."""
    start = None if agg.window.start is None else now_us - _duration_us(agg.window.start)
    if agg.window.end is not None:
        return start, now_us - _duration_us(agg.window.end), False
    return start, now_us, True


def _event_filter(agg: EventAggregate, now_us: int, schema: dict[str, Any],
                  now: dt.datetime, window: bool = True, by_event: bool = True,
                  applied: tuple[int | None, int, bool] | None = None) -> nw.Expr | None:
    """The rows an aggregate reads: its event (unless ``by_event`` is False), inside its window
    (unless ``window`` is False: already applied; ``applied``: the bounds the rows were
    filtered on already, which need no second test), matching its ``where``. None: every row."""
    us = nw.col(_US + "ts")
    lower, upper, inclusive = _bounds(agg, now_us)
    parts = [nw.col("event") == nw.lit(agg.event)] if by_event else []
    if window:
        if lower is not None and not (applied is not None and applied[0] == lower):
            parts.append(us >= nw.lit(lower))
        if applied is None or (applied[1], applied[2]) != (upper, inclusive):
            parts.append(us <= nw.lit(upper) if inclusive else us < nw.lit(upper))
    if agg.where is not None:
        parts.append(condition_expr(agg.where, {}, now, schema))
    return nw.all_horizontal(*parts, ignore_nulls=False) if parts else None


def _rows(agg: EventAggregate, now_us: int, schema: dict[str, Any], now: dt.datetime
          ) -> nw.Expr:
    """:func:`_event_filter` with its event and window: never None."""
    return cast(nw.Expr, _event_filter(agg, now_us, schema, now))


def _rows_key(agg: EventAggregate) -> str:
    """What decides the rows an aggregate reads: its event, window and ``where``."""
    return repr((agg.event, agg.window.to_dict(),
                 agg.where.to_dict() if agg.where is not None else None))


#: A day in microseconds as a float: dividing by it is a true division in every engine, also
#: on a DuckDB connection with ``SET integer_division = true`` (where an integer divisor
#: truncates toward zero, so a day before 1970 was counted as the day after).
_DAY = float(DAY_US)


def _row_value(agg: EventAggregate, schema: Mapping[str, Any]) -> nw.Expr:
    """What each matching row contributes before it is reduced per person."""
    if agg.agg == "count":
        return nw.lit(1)
    if agg.agg == "distinct_days":
        return (nw.col(_US + "ts") / nw.lit(_DAY)).floor()
    if agg.agg == "days_since_last":
        return nw.col(_US + "ts")
    column = agg.column or "value"
    _, precision, _ = SUM_OF_INTEGERS
    sum_scale = exact_sum_scale(agg, schema)
    if sum_scale is not None:  # 38-digit decimals: exact, and one type, in every engine
        return nw.col(column).cast(nw.Decimal(precision, sum_scale))
    mean_scale = exact_mean_scale(agg, schema)
    if mean_scale is not None:  # whole numbers, added up exactly (see _finish)
        if not mean_scale:
            return nw.col(column).cast(nw.Decimal(precision, 0))
        # widened first: engines multiply in the column's own precision (DuckDB's 18 digits)
        wide = nw.col(column).cast(nw.Decimal(precision, mean_scale))
        return (wide * nw.lit(10**mean_scale)).cast(nw.Decimal(precision, 0))
    if agg.agg in ("sum", "mean") and schema.get(column) == pl.Float32:
        # SQL engines add float32 values up as doubles; polars would keep float32 sums
        return nw.col(column).cast(nw.Float64)
    return nw.col(column)


def _reduce(agg: EventAggregate, col: nw.Expr, filtered: bool) -> nw.Expr:
    """Per person: ``filtered`` means every row matched (no nulls from the condition)."""
    if agg.agg == "count":
        return nw.len() if filtered else col.sum()
    if agg.agg == "distinct_days":
        distinct = col.n_unique()  # counts null as a value on every engine: take it out
        return distinct if filtered else distinct - (col.null_count() > 0).cast(nw.Int64)
    if agg.agg == "days_since_last":
        return col.max()
    return {"sum": col.sum, "mean": col.mean, "min": col.min, "max": col.max}[agg.agg]()


def _mean_parts(alias: str) -> tuple[str, str]:
    """The working columns of an exact mean's sum and count (see :func:`_finish`)."""
    return working(f"{alias}/sum"), working(f"{alias}/n")


def _float_max(agg: EventAggregate, schema: Mapping[str, Any]) -> Any:
    """For the maximum of a float column, its dtype (narwhals'); None otherwise. NaN is the
    largest value (as the README and every comparison say): DuckDB's and Spark's MAX give NaN
    when one value is NaN, polars' max leaves NaN out (NaN only when every value is)."""
    dtype = schema.get(agg.column or "value")
    if agg.agg != "max" or dtype is None or not dtype.is_float():
        return None
    return nw.Float32 if dtype == pl.Float32 else nw.Float64


def _nan_part(alias: str) -> str:
    """The working column that says a float maximum's values held NaN (see :func:`_finish`)."""
    return working(f"{alias}/nan")


def _reductions(agg: EventAggregate, col: nw.Expr, filtered: bool, alias: str,
                schema: Mapping[str, Any]) -> list[nw.Expr]:
    """The aggregate's reduction named ``alias``; for a mean of integers or decimals, its
    exact sum and its count, divided when the table is finished; for the maximum of floats,
    also whether a value was NaN."""
    if _float_max(agg, schema) is not None:
        nan = nw.when(col.is_nan()).then(nw.lit(1)).otherwise(nw.lit(0))
        return [col.max().alias(alias), nan.max().alias(_nan_part(alias))]
    if exact_mean_scale(agg, schema) is None:
        return [_reduce(agg, col, filtered).alias(alias)]
    total, n = _mean_parts(alias)
    return [col.sum().alias(total), col.count().alias(n)]


def aggregate_table(aggs: Sequence[EventAggregate], events: Table, id_col: str,
                    now: dt.datetime, aliases: dict[str, str]) -> nw.LazyFrame[Any]:
    """One row per person with an event any aggregate reads, one column per aggregate (its
    alias); people with none are absent (join on the left and fill with :func:`fill_value`).

    All aggregates are computed in one pass over the events: the rows any of them reads, then
    one group-by.
    """
    events.engine.check_session(events.frame, "events")  # segments, RFM, lookalike features
    now = utc_now(now)
    now_us = epoch_us(now)
    schema = events.schema
    wheres = [a.where for a in aggs if a.where is not None]
    # First the rows inside any aggregate's window, filtered natively on the time column (so
    # storage can skip the rest); then epochs for what still compares times.
    bounds = [_bounds(a, now_us) for a in aggs]
    lowers = [b[0] for b in bounds]
    lower = None if None in lowers else min(x for x in lowers if x is not None)
    upper = max(b[1] for b in bounds)
    inclusive = any(b[2] for b in bounds if b[1] == upper)
    frame = events.engine.window(events.frame, "ts", schema["ts"], lower, upper, inclusive)
    frame = _with_epochs(Table(frame, events.engine, schema),
                         ["ts", *[c for c in _temporal_fields(wheres, schema) if c != "ts"]])
    same = len({_rows_key(a) for a in aggs}) == 1
    if same:  # one set of rows for all, its window applied already: plain reductions
        only = _event_filter(aggs[0], now_us, schema, now, window=False)
        frame = frame.filter(only) if only is not None else frame
        exprs = [e for a in aggs
                 for e in _reductions(a, _row_value(a, schema), True, aliases[a.key], schema)]
    elif len({a.event for a in aggs}) > 1 and all(
            a.agg in _COMBINE and _float_max(a, schema) is None for a in aggs):
        return _per_event_table(aggs, frame, id_col, now, now_us, schema, aliases,
                                (lower, upper, inclusive))
    else:
        filters = [_rows(a, now_us, schema, now) for a in aggs]
        names = sorted({a.event for a in aggs})
        frame = frame.filter(nw.col("event").is_in(names)).filter(
            nw.any_horizontal(*filters, ignore_nulls=False))
        frame = frame.with_columns([
            nw.when(f).then(_row_value(a, schema)).alias(working(f"row{i}"))
            for i, (a, f) in enumerate(zip(aggs, filters, strict=True))
        ])
        exprs = [e for i, a in enumerate(aggs)
                 for e in _reductions(a, nw.col(working(f"row{i}")), False, aliases[a.key],
                                      schema)]
    return _finish(frame.group_by(id_col).agg(*exprs), aggs, now_us, aliases, schema)


#: Aggregates that are whole numbers, given as 64-bit integers in every engine (each engine's
#: own count type differs: 32-bit in polars, 128-bit in DuckDB, 64-bit in Spark).
_WHOLE = ("count", "distinct_days", "days_since_last")


def _finish(table: nw.LazyFrame[Any], aggs: Sequence[EventAggregate], now_us: int,
            aliases: dict[str, str], schema: Mapping[str, Any]) -> nw.LazyFrame[Any]:
    """The latest event's epoch, per person, as whole days before now; counts of events and
    days as 64-bit integers, so a table of aggregates has one schema in every engine; means
    of integers and decimals from their exact sums (:func:`exact_mean_scale`); a float
    maximum NaN when one of its values is (:func:`_float_max`)."""
    since = {aliases[a.key] for a in aggs if a.agg == "days_since_last"}
    whole = {aliases[a.key] for a in aggs if a.agg in _WHOLE}
    exprs = [(((nw.lit(now_us) - nw.col(c)) / nw.lit(_DAY)).floor() if c in since
              else nw.col(c)).cast(nw.Int64).alias(c) for c in whole]
    parts: list[str] = []
    for a in {aliases[a.key]: a for a in aggs}.values():
        float_max = _float_max(a, schema)
        if float_max is not None:
            nan = _nan_part(aliases[a.key])
            parts.append(nan)
            exprs.append(nw.when(nw.col(nan) > 0).then(nw.lit(float("nan")))
                         .otherwise(nw.col(aliases[a.key])).cast(float_max)
                         .alias(aliases[a.key]))
        scale = exact_mean_scale(a, schema)
        if scale is not None:
            total, n = _mean_parts(aliases[a.key])
            parts += [total, n]
            count = nw.col(n).cast(nw.Float64)
            exprs.append(nw.when(count > 0).then(
                nw.col(total).cast(nw.Float64) / (count * nw.lit(float(10**scale))))
                .alias(aliases[a.key]))
    if exprs:
        table = table.with_columns(exprs)
    return table.drop(parts) if parts else table


#: Aggregates whose value over all of a person's rows follows from their values per event
#: type, and how: counts and sums add up, extremes are extremes of extremes.
_COMBINE = {"count": "sum", "sum": "sum", "min": "min", "max": "max", "days_since_last": "max"}


def _per_event_table(aggs: Sequence[EventAggregate], frame: nw.LazyFrame[Any], id_col: str,
                     now: dt.datetime, now_us: int, schema: dict[str, Any],
                     aliases: dict[str, str], applied: tuple[int | None, int, bool]
                     ) -> nw.LazyFrame[Any]:
    """The same table as one group-by per person, in two: per person and event type, each
    distinct shape of aggregate (what it reduces, over which window, where), then per person,
    each aggregate from its event's row. Many aggregates that differ only by their event (a
    lookalike's: five types, five shapes) read each event row for a few expressions, not for
    every aggregate."""
    shapes: dict[str, EventAggregate] = {}
    for a in aggs:
        shapes.setdefault(_shape_key(a), a)
    columns = {key: working(f"shape{i}") for i, key in enumerate(shapes)}
    # each shape's test, less the bounds the rows were filtered on (None: every row)
    filters = {key: _event_filter(a, now_us, schema, now, by_event=False, applied=applied)
               for key, a in shapes.items()}
    # the rows of the aggregates' events that some shape reads (a few more than the
    # aggregates read: an event's row for a shape only other events use; they make groups of
    # their own that no aggregate picks)
    frame = frame.filter(nw.col("event").is_in(sorted({a.event for a in aggs})))
    tests = [t for t in filters.values() if t is not None]
    if tests and len(tests) == len(filters):
        frame = frame.filter(nw.any_horizontal(*tests, ignore_nulls=False))
    values = []
    for key, a in shapes.items():
        test = filters[key]
        row = _row_value(a, schema)
        value = row if test is None else nw.when(test).then(row)
        values.append(value.alias(columns[key]))
    frame = frame.with_columns(values)
    per_event = frame.group_by(id_col, "event").agg(*[
        _reduce(a, nw.col(columns[key]), filtered=False).alias(columns[key])
        for key, a in shapes.items()
    ])
    exprs = []
    for a in aggs:
        value = nw.when(nw.col("event") == nw.lit(a.event)).then(nw.col(columns[_shape_key(a)]))
        exprs.append(getattr(value, _COMBINE[a.agg])().alias(aliases[a.key]))
    return _finish(per_event.group_by(id_col).agg(*exprs), aggs, now_us, aliases, schema)


def _shape_key(agg: EventAggregate) -> str:
    """An aggregate but for its event."""
    return repr((agg.agg, agg.column, agg.window.to_dict(),
                 agg.where.to_dict() if agg.where is not None else None))


# --- the whole query ----------------------------------------------------------------------------


def check_event_names(aggs: Sequence[EventAggregate], known: Collection[str] | None) -> None:
    """An event name neither in the table nor declared is a typo: say which names exist."""
    if known is None:
        return
    unknown = sorted({a.event for a in aggs} - set(known))
    if unknown:
        raise InvalidSegmentError(
            f"unknown event {names_shown(unknown[:1])}: the events table has "
            f"{', '.join(sorted(known)[:30]) or 'no events'}; check the spelling, or "
            "declare the names this data can hold: Population(..., event_types=[...])"
        )


def compile_mask(cond: Condition, profiles: Table, events: Table | None, id_col: str,
                 now: dt.datetime, event_names: Collection[str] | None = None,
                 extra: Sequence[Condition] = (), prefilter: Condition | None = None,
                 ) -> tuple[nw.LazyFrame[Any], dict[str, str]]:
    """Profiles with the aggregates of ``cond`` (and of ``extra``) joined, temporal columns as
    epochs: the frame :func:`condition_expr` evaluates over, and the aggregates' aliases.
    ``prefilter`` (profile conditions only) keeps just the profiles it selects, before the
    join: the people a profile condition rules out are not joined at all.

    ``cond`` must have been validated against both schemas (:func:`._segments.validate`).
    """
    if id_col not in profiles.schema:
        raise UnknownColumnError(
            f"id column {named(id_col)} is not in the profiles; they have: "
            f"{', '.join(profiles.schema)}")
    aggs = aggregates_used(And((cond, *extra)) if extra else cond)
    check_event_names(aggs, event_names)
    aliases = {a.key: working(f"agg{i}") for i, a in enumerate(aggs)}
    frame = _with_epochs(profiles, _temporal_fields([cond, *extra], profiles.schema))
    if prefilter is not None:
        frame = frame.filter(condition_expr(prefilter, {}, now, profiles.schema))
    if aggs:
        if events is None:
            raise InvalidSegmentError("the condition uses events; pass events= to Population "
                                      "(--events)")
        per_person = aggregate_table(aggs, events, id_col, now, aliases)
        frame = frame.join(per_person, on=id_col, how="left")
    return frame, aliases
