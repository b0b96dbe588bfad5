"""Conditions: immutable expression trees over profiles and events.

A condition is a frozen value. ``&``, ``|`` and ``~`` build new ones; ``bool(condition)`` raises
(Python's ``and``/``or`` would silently drop half of it). A tree compiles, without being
interpreted row by row, to a polars expression and to SQL (DuckDB or Spark), from the same
definition, and serializes to plain JSON-able dicts.

Event aggregates (``event("top_up").sum("value", within="30d")``) become one per-person
aggregate each, joined to the profiles before the condition is evaluated; people with no
matching event have a count, sum or number of distinct days of 0, and a null mean, min, max or
days since the last event.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import polars as pl

from ._errors import InvalidSegmentError, SegmentCycleError

__all__ = [
    "And", "Condition", "EventAggregate", "EventQuery", "Field", "InSegment", "Not", "Or",
    "Predicate", "Window", "condition_from_dict", "event", "field", "in_segment",
    "parse_duration",
]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(w|d|h|min|s)\s*$")
_UNIT_SECONDS = {"w": 7 * 86400, "d": 86400, "h": 3600, "min": 60, "s": 1}


def duration_text(value: str | dt.timedelta) -> str:
    """A duration as the text segments store: ``"30d"`` stays, ``timedelta(days=30)`` becomes
    ``"30d"`` (the largest whole unit), so a timedelta is checked and stored in one form."""
    if isinstance(value, dt.timedelta):
        seconds = value.total_seconds()
        if seconds <= 0 or not float(seconds).is_integer():
            raise InvalidSegmentError(
                f"a duration must be a positive whole number of seconds, got {value!r}")
        for unit in ("w", "d", "h", "min", "s"):
            size = _UNIT_SECONDS[unit]
            if seconds % size == 0:
                return f"{int(seconds // size)}{unit}"
    parse_duration(value)  # type: ignore[arg-type]
    return str(value).strip()


_LOOK_AROUND = re.compile(r"\(\?<?[=!]|\\[1-9]")


def check_pattern(pattern: str) -> None:
    """Raise unless polars' engine (RE2 syntax) compiles ``pattern``; look-around and
    back-references are refused by name, since DuckDB and Spark would read them differently."""
    if _LOOK_AROUND.search(pattern):
        raise InvalidSegmentError(
            "look-around ((?=, (?!, (?<=, (?<!) and back-references (\\1) are not supported: "
            "segments use the RE2 dialect that polars, DuckDB and Spark share")
    try:
        pl.Series([""], dtype=pl.Utf8).str.contains(pattern)
    except pl.exceptions.PolarsError:
        raise InvalidSegmentError(
            "invalid regular expression for the RE2 dialect (polars, DuckDB and Spark): "
            f"{pattern[:60]!r}") from None


def parse_duration(text: str) -> dt.timedelta:
    """``"30d"``, ``"12h"``, ``"2w"``, ``"90min"``, ``"45s"`` as a timedelta."""
    if isinstance(text, dt.timedelta):
        return text
    match = _DURATION.match(text) if isinstance(text, str) else None
    if match is None:
        raise InvalidSegmentError(
            f"durations look like '30d', '12h', '2w', '90min' or '45s'; got {text!r}"
        )
    return dt.timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def _check_literal(value: object) -> object:
    if value is None:
        raise InvalidSegmentError("compare with None using .is_null() / .is_not_null()")
    if isinstance(value, (bool, int, float, str, dt.date, dt.datetime)):
        return value
    raise InvalidSegmentError(
        f"condition values must be numbers, strings, booleans or dates, got "
        f"{type(value).__name__}"
    )


def _literal_to_json(value: object) -> object:
    if isinstance(value, dt.datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    return value


def _literal_from_json(value: object) -> object:
    if isinstance(value, dict):
        if "datetime" in value:
            return dt.datetime.fromisoformat(value["datetime"])
        if "date" in value:
            return dt.date.fromisoformat(value["date"])
        raise InvalidSegmentError(f"unknown literal {value!r}")
    return value


# --- targets: what a predicate tests ---------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """Events with ``now - start <= ts`` and ``ts <= now - end`` (``end`` 0: up to now)."""

    start: str | None = None
    end: str | None = None

    @classmethod
    def of(cls, within: str | None, between: tuple[str, str] | None) -> Window:
        if within is not None and between is not None:
            raise InvalidSegmentError("give either within= or between=, not both")
        if between is not None:
            if not (isinstance(between, (tuple, list)) and len(between) == 2):
                raise InvalidSegmentError(
                    f"between= takes two durations like ('90d', '30d'), got {between!r}"
                )
            start, end = duration_text(between[0]), duration_text(between[1])
            if parse_duration(start) <= parse_duration(end):
                raise InvalidSegmentError(
                    f"between=({start!r}, {end!r}): the first duration must reach further back"
                )
            return cls(start, end)
        if within is not None:
            return cls(duration_text(within), None)
        return cls(None, None)

    def bounds(self, now: dt.datetime) -> tuple[dt.datetime | None, dt.datetime]:
        lower = now - parse_duration(self.start) if self.start else None
        upper = now - parse_duration(self.end) if self.end else now
        return lower, upper

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end}


_AGGS = ("count", "sum", "mean", "min", "max", "distinct_days", "days_since_last")


class _Comparable:
    """Comparison operators that build predicates on a target."""

    def _pred(self, op: str, *args: object) -> Predicate:
        return Predicate(self, op, tuple(args))  # type: ignore[arg-type]

    def __eq__(self, value: object) -> Predicate:  # type: ignore[override]
        return self._pred("eq", _check_literal(value))

    def __ne__(self, value: object) -> Predicate:  # type: ignore[override]
        return self._pred("ne", _check_literal(value))

    def __lt__(self, value: object) -> Predicate:
        return self._pred("lt", _check_literal(value))

    def __le__(self, value: object) -> Predicate:
        return self._pred("le", _check_literal(value))

    def __gt__(self, value: object) -> Predicate:
        return self._pred("gt", _check_literal(value))

    def __ge__(self, value: object) -> Predicate:
        return self._pred("ge", _check_literal(value))

    def between(self, lo: object, hi: object, closed: str = "both") -> Predicate:
        """``lo <= x <= hi``; ``closed`` is "both", "left", "right" or "none"."""
        if closed not in ("both", "left", "right", "none"):
            raise InvalidSegmentError(
                f"closed must be 'both', 'left', 'right' or 'none', got {closed!r}"
            )
        return self._pred("between", _check_literal(lo), _check_literal(hi), closed)

    def isin(self, values: Iterable[object]) -> Predicate:
        """Membership in a set of values."""
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            raise InvalidSegmentError("isin takes a list of values, e.g. isin(['a', 'b'])")
        items = tuple(_check_literal(v) for v in values)
        if not items:
            raise InvalidSegmentError("isin needs at least one value")
        return self._pred("isin", *items)

    def is_null(self) -> Predicate:
        return self._pred("is_null")

    def is_not_null(self) -> Predicate:
        return self._pred("is_not_null")

    def __hash__(self) -> int:
        return hash((type(self).__name__, repr(self)))


@dataclass(frozen=True, eq=False, repr=True)
class Field(_Comparable):
    """A profile column (or, inside ``event(where=...)``, an event column)."""

    name: str

    def contains(self, value: object) -> Predicate:
        """Membership in a list column, or a substring of a string column."""
        return self._pred("contains", _check_literal(value))

    def matches(self, pattern: str) -> Predicate:
        """A regular-expression search in a string column.

        The dialect is RE2's, as Rust's ``regex`` crate (polars), DuckDB and Spark all read it:
        no look-around and no back-references. Patterns are checked by polars' own engine.
        """
        if not isinstance(pattern, str):
            raise InvalidSegmentError("matches takes a regular expression string")
        check_pattern(pattern)
        return self._pred("matches", pattern)

    def starts_with(self, prefix: str) -> Predicate:
        if not isinstance(prefix, str):
            raise InvalidSegmentError("starts_with takes a string")
        return self._pred("starts_with", prefix)

    def within(self, duration: str) -> Predicate:
        """A date/time column within ``duration`` before now (and not after now)."""
        return self._pred("within", duration_text(duration))

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.name}

    # A boolean column on its own is a condition: field("is_customer") means == True.
    def __and__(self, other: object) -> And:
        return as_condition(self) & as_condition(other, "&")

    def __or__(self, other: object) -> Or:
        return as_condition(self) | as_condition(other, "|")

    def __invert__(self) -> Not:
        return ~as_condition(self)


@dataclass(frozen=True, eq=False, repr=True)
class EventAggregate(_Comparable):
    """A per-person aggregate over the events table."""

    event: str
    agg: str
    column: str | None = None
    window: Window = field(default_factory=Window)
    where: Condition | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "event": self.event, "agg": self.agg, "column": self.column,
            "window": self.window.to_dict(),
            "where": self.where.to_dict() if self.where is not None else None,
        }

    @property
    def key(self) -> str:
        """A stable identity for de-duplicating aggregates within one query."""
        return repr(self.to_dict())


class EventQuery:
    """Builds per-person aggregates of one event type: ``event("top_up").count(within="30d")``."""

    def __init__(self, name: str, where: Condition | None = None) -> None:
        if not isinstance(name, str) or not name:
            raise InvalidSegmentError(f"event name must be a non-empty str, got {name!r}")
        if where is not None and not isinstance(where, Condition):
            raise InvalidSegmentError("where= takes a condition over event columns")
        self.name = name
        self.where = where

    def _agg(self, agg: str, column: str | None, within: str | None,
             between: tuple[str, str] | None) -> EventAggregate:
        return EventAggregate(self.name, agg, column, Window.of(within, between), self.where)

    def count(self, within: str | None = None, between: tuple[str, str] | None = None
              ) -> EventAggregate:
        """How many such events each person had in the window."""
        return self._agg("count", None, within, between)

    def sum(self, column: str = "value", within: str | None = None,
            between: tuple[str, str] | None = None) -> EventAggregate:
        return self._agg("sum", column, within, between)

    def mean(self, column: str = "value", within: str | None = None,
             between: tuple[str, str] | None = None) -> EventAggregate:
        return self._agg("mean", column, within, between)

    def min(self, column: str = "value", within: str | None = None,
            between: tuple[str, str] | None = None) -> EventAggregate:
        return self._agg("min", column, within, between)

    def max(self, column: str = "value", within: str | None = None,
            between: tuple[str, str] | None = None) -> EventAggregate:
        return self._agg("max", column, within, between)

    def distinct_days(self, within: str | None = None, between: tuple[str, str] | None = None
                      ) -> EventAggregate:
        """On how many calendar days each person had such an event."""
        return self._agg("distinct_days", None, within, between)

    def days_since_last(self) -> EventAggregate:
        """Whole days since each person's last such event (null when never)."""
        return self._agg("days_since_last", None, None, None)

    def did(self, within: str | None = None, between: tuple[str, str] | None = None
            ) -> Predicate:
        """At least one such event in the window."""
        return self.count(within, between) >= 1

    def did_not(self, within: str | None = None, between: tuple[str, str] | None = None
                ) -> Predicate:
        """No such event in the window."""
        return self.count(within, between) == 0


def field(name: str) -> Field:
    """A condition builder on a profile column.

    Examples
    --------
    >>> import segmentation as seg
    >>> cond = seg.field("age").between(18, 25) & seg.field("interests").contains("gaming")
    >>> type(cond).__name__
    'And'
    """
    if not isinstance(name, str) or not name:
        raise InvalidSegmentError(f"field name must be a non-empty str, got {name!r}")
    return Field(name)


def event(name: str, where: Condition | None = None) -> EventQuery:
    """Aggregates of one event type per person; ``where`` filters events by their columns.

    Examples
    --------
    >>> import segmentation as seg
    >>> heavy = seg.event("game_session").count(within="30d") >= 5
    >>> heavy.to_dict()["op"]
    'ge'
    """
    return EventQuery(name, where)


# --- conditions ------------------------------------------------------------------------------


class Condition:
    """Base of all conditions: combine with ``&``, ``|``, ``~``."""

    def __and__(self, other: Condition) -> And:
        return And(_flatten(And, (self, as_condition(other, "&"))))

    def __rand__(self, other: Condition) -> And:
        return And(_flatten(And, (as_condition(other, "&"), self)))

    def __or__(self, other: Condition) -> Or:
        return Or(_flatten(Or, (self, as_condition(other, "|"))))

    def __ror__(self, other: Condition) -> Or:
        return Or(_flatten(Or, (as_condition(other, "|"), self)))

    def __invert__(self) -> Not:
        return Not(self)

    def __bool__(self) -> bool:
        raise InvalidSegmentError(
            "a condition has no truth value: combine conditions with & (and), | (or) and ~ "
            "(not), with parentheses, e.g. (field('age') >= 18) & (field('plan') == 'prepaid')"
        )

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    def children(self) -> tuple[Condition, ...]:
        return ()


def as_condition(other: object, op: str = "a segment") -> Condition:
    """A condition, or a boolean field standing for ``field == True``."""
    if isinstance(other, Field):
        return other == True  # noqa: E712 - builds a predicate
    if not isinstance(other, Condition):
        raise InvalidSegmentError(
            f"{op} combines conditions, got {type(other).__name__}; build one with "
            "segmentation.field(...) or segmentation.event(...)"
        )
    return other


def _flatten(kind: type, parts: Iterable[Condition]) -> tuple[Condition, ...]:
    out: list[Condition] = []
    for p in parts:
        if isinstance(p, kind):
            out.extend(p.parts)  # type: ignore[attr-defined]
        else:
            out.append(p)
    return tuple(out)


@dataclass(frozen=True, eq=False)
class Predicate(Condition):
    """A test on a target: a profile column or an event aggregate."""

    target: Field | EventAggregate
    op: str
    args: tuple[object, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "op": self.op, "target": self.target.to_dict(),
            "args": [_literal_to_json(a) for a in self.args],
        }


@dataclass(frozen=True, eq=False)
class And(Condition):
    parts: tuple[Condition, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"op": "and", "parts": [p.to_dict() for p in self.parts]}

    def children(self) -> tuple[Condition, ...]:
        return self.parts


@dataclass(frozen=True, eq=False)
class Or(Condition):
    parts: tuple[Condition, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"op": "or", "parts": [p.to_dict() for p in self.parts]}

    def children(self) -> tuple[Condition, ...]:
        return self.parts


@dataclass(frozen=True, eq=False)
class Not(Condition):
    part: Condition

    def to_dict(self) -> dict[str, Any]:
        return {"op": "not", "part": self.part.to_dict()}

    def children(self) -> tuple[Condition, ...]:
        return (self.part,)


@dataclass(frozen=True, eq=False)
class InSegment(Condition):
    """Membership in another segment (segment of segments)."""

    segment: Any  # a Segment; typed loosely to avoid an import cycle

    def to_dict(self) -> dict[str, Any]:
        return {"op": "in_segment", "segment": self.segment.to_dict()}

    def children(self) -> tuple[Condition, ...]:
        return (self.segment.condition,)


def in_segment(segment: Any) -> InSegment:
    """A condition true for the members of another segment."""
    from ._segments import Segment

    if not isinstance(segment, Segment):
        raise InvalidSegmentError(f"in_segment takes a Segment, got {type(segment).__name__}")
    return InSegment(segment)


_PREDICATE_OPS = ("eq", "ne", "lt", "le", "gt", "ge", "between", "isin", "is_null",
                  "is_not_null", "contains", "matches", "starts_with", "within")


def condition_from_dict(data: Any) -> Condition:
    """Rebuild a condition from :meth:`Condition.to_dict` output."""
    if not isinstance(data, dict) or "op" not in data:
        raise InvalidSegmentError(f"a condition is a dict with an 'op', got {type(data).__name__}")
    op = data["op"]
    if op == "and":
        return And(tuple(condition_from_dict(p) for p in data["parts"]))
    if op == "or":
        return Or(tuple(condition_from_dict(p) for p in data["parts"]))
    if op == "not":
        return Not(condition_from_dict(data["part"]))
    if op == "in_segment":
        from ._segments import Segment

        return InSegment(Segment.from_dict(data["segment"]))
    if op not in _PREDICATE_OPS:
        raise InvalidSegmentError(f"unknown condition op {op!r}")
    t = data["target"]
    if "field" in t:
        target: Field | EventAggregate = Field(t["field"])
    else:
        if t.get("agg") not in _AGGS:
            raise InvalidSegmentError(f"unknown event aggregate {t.get('agg')!r}")
        w = t.get("window") or {}
        where = condition_from_dict(t["where"]) if t.get("where") else None
        target = EventAggregate(t["event"], t["agg"], t.get("column"),
                                Window(w.get("start"), w.get("end")), where)
    return Predicate(target, op, tuple(_literal_from_json(a) for a in data.get("args", [])))


def walk(cond: Condition) -> Iterable[Condition]:
    """Every condition node in the tree, depth first (event ``where`` trees excluded)."""
    yield cond
    for child in cond.children():
        yield from walk(child)


def aggregates_used(cond: Condition) -> list[EventAggregate]:
    """Distinct event aggregates, in first-use order."""
    seen: dict[str, EventAggregate] = {}
    for n in walk(cond):
        if isinstance(n, Predicate) and isinstance(n.target, EventAggregate):
            seen.setdefault(n.target.key, n.target)
    return list(seen.values())


def check_cycles(cond: Condition, stack: tuple[str, ...] = ()) -> None:
    """Raise when a segment contains itself through ``in_segment``."""
    for n in walk(cond):
        if isinstance(n, InSegment):
            name = n.segment.name
            if name in stack:
                raise SegmentCycleError(
                    f"segment {name!r} contains itself: {' -> '.join((*stack, name))}"
                )
            check_cycles(n.segment.condition, (*stack, name))


# --- compilation to polars -------------------------------------------------------------------


def _fill(agg: str) -> object:
    return 0 if agg in ("count", "sum", "distinct_days") else None


def aggregate_frame(agg: EventAggregate, events: pl.LazyFrame, id_col: str,
                    now: dt.datetime, alias: str, schema: dict[str, Any] | None = None
                    ) -> pl.LazyFrame:
    """One row per person with the aggregate as column ``alias`` (``schema``: the events')."""
    lower, upper = agg.window.bounds(now)
    ts = utc_naive(pl.col("ts"), (schema or {}).get("ts"))
    filt = pl.col("event") == agg.event
    if lower is not None:
        filt = filt & (ts >= lower)
    filt = filt & ((ts < upper) if agg.window.end is not None else (ts <= upper))
    if agg.where is not None:
        filt = filt & to_polars_expr(agg.where, {}, now, schema)
    if agg.agg == "count":
        value = pl.len()
    elif agg.agg == "distinct_days":
        value = ts.dt.date().n_unique()
    elif agg.agg == "days_since_last":
        value = ((pl.lit(now) - ts.max()).dt.total_microseconds() / 86_400_000_000).floor()
    else:
        value = getattr(pl.col(agg.column), agg.agg)()
    return events.filter(filt).group_by(id_col).agg(value.alias(alias))


def _target_expr(target: Field | EventAggregate, aliases: dict[str, str]) -> pl.Expr:
    if isinstance(target, Field):
        return pl.col(target.name)
    col = pl.col(aliases[target.key])
    fill = _fill(target.agg)
    return col.fill_null(fill) if fill is not None else col


def _is_list(target: Field | EventAggregate, schema: dict[str, Any]) -> bool:
    dtype = schema.get(target.name) if isinstance(target, Field) else None
    return isinstance(dtype, (pl.List, pl.Array))


def utc_naive(x: pl.Expr, dtype: Any) -> pl.Expr:
    """A time-zone-aware datetime column as naive UTC, the clock segments compare in."""
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
        return x.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
    return x


def utc_now(now: dt.datetime) -> dt.datetime:
    """``now`` as naive UTC (an aware time is converted; a naive one is taken as UTC)."""
    if now.tzinfo is not None:
        return now.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return now


def _isin(x: pl.Expr, values: tuple[object, ...], dtype: Any) -> pl.Expr:
    """SQL's IN: a chain of equalities (null in, null out), with every value kept in its exact
    type. A long list is one ``is_in`` against a Series of the column's own type: integers stay
    integers (2**53 + 1 is not 2**53), floats that are whole numbers meet an integer column as
    integers, and values that cannot equal any value of the column are dropped."""
    if len(values) <= 32 or dtype is None:
        return pl.any_horizontal([x == pl.lit(v) for v in values])
    if dtype.is_integer():
        ints = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
        ints += [int(v) for v in values if isinstance(v, float) and v.is_integer()]
        info = _INT_RANGES.get(dtype, (-(2**63), 2**63 - 1))
        kept = [v for v in ints if info[0] <= v <= info[1]]
        series = pl.Series(kept, dtype=dtype)
    elif dtype.is_float():
        nums = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if any(isinstance(v, int) and abs(v) > 2**53 for v in nums):
            return pl.any_horizontal([x == pl.lit(v) for v in values])  # as SQL compares them
        series = pl.Series([float(v) for v in nums], dtype=dtype)
    else:
        try:
            series = pl.Series(list(values)).cast(dtype, strict=True)
        except (pl.exceptions.PolarsError, TypeError, ValueError):
            return pl.any_horizontal([x == pl.lit(v) for v in values])
    return pl.when(x.is_null()).then(None).otherwise(x.is_in(series.implode()))


_INT_RANGES = {
    pl.Int8: (-(2**7), 2**7 - 1), pl.Int16: (-(2**15), 2**15 - 1),
    pl.Int32: (-(2**31), 2**31 - 1), pl.Int64: (-(2**63), 2**63 - 1),
    pl.UInt8: (0, 2**8 - 1), pl.UInt16: (0, 2**16 - 1), pl.UInt32: (0, 2**32 - 1),
    pl.UInt64: (0, 2**64 - 1),
}


def to_polars_expr(cond: Condition, aliases: dict[str, str], now: dt.datetime,
                   schema: dict[str, Any] | None = None) -> pl.Expr:
    """A boolean polars expression for ``cond`` (aggregates already joined under ``aliases``).

    ``schema`` (column -> dtype) tells list columns from string columns for ``contains``.
    """
    schema = schema or {}
    if isinstance(cond, And):
        return pl.all_horizontal([to_polars_expr(p, aliases, now, schema) for p in cond.parts])
    if isinstance(cond, Or):
        return pl.any_horizontal([to_polars_expr(p, aliases, now, schema) for p in cond.parts])
    if isinstance(cond, Not):
        return ~to_polars_expr(cond.part, aliases, now, schema)
    if isinstance(cond, InSegment):
        return to_polars_expr(cond.segment.condition, aliases, now, schema)
    if not isinstance(cond, Predicate):
        raise InvalidSegmentError(f"not a condition: {type(cond).__name__}")
    x = _target_expr(cond.target, aliases)
    op, a = cond.op, cond.args
    if op in ("eq", "ne", "lt", "le", "gt", "ge"):
        return getattr(x, {"eq": "__eq__", "ne": "__ne__", "lt": "__lt__", "le": "__le__",
                           "gt": "__gt__", "ge": "__ge__"}[op])(pl.lit(a[0]))
    if op == "between":
        return x.is_between(pl.lit(a[0]), pl.lit(a[1]), closed=a[2])  # type: ignore[arg-type]
    if op == "isin":
        return _isin(x, a, schema.get(cond.target.name) if isinstance(cond.target, Field)
                     else None)
    if op == "is_null":
        return x.is_null()
    if op == "is_not_null":
        return x.is_not_null()
    if op == "contains":
        if _is_list(cond.target, schema):
            return x.list.contains(pl.lit(a[0]))
        return x.str.contains(str(a[0]), literal=True)
    if op == "matches":
        return x.str.contains(str(a[0]))
    if op == "starts_with":
        return x.str.starts_with(str(a[0]))
    if op == "within":
        lower = now - parse_duration(str(a[0]))
        dtype = schema.get(cond.target.name) if isinstance(cond.target, Field) else None
        t = utc_naive(x, dtype).cast(pl.Datetime("us"))
        return (t >= lower) & (t <= now)
    raise InvalidSegmentError(f"unknown op {op!r}")


# --- compilation to SQL ----------------------------------------------------------------------

Dialect = Literal["duckdb", "spark"]


def _quote(name: str, dialect: Dialect) -> str:
    if dialect == "spark":
        return "`" + name.replace("`", "``") + "`"
    return '"' + name.replace('"', '""') + '"'


def sql_literal(value: object, dialect: Dialect = "duckdb") -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dt.datetime):
        text = utc_now(value).strftime("%Y-%m-%d %H:%M:%S.%f")
        # Spark reads a zoneless timestamp in the session's time zone: say UTC, so a window
        # means the same instants whatever the session's zone (segments' clock is UTC).
        return f"TIMESTAMP '{text}Z'" if dialect == "spark" else f"TIMESTAMP '{text}'"
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, str):
        if dialect == "spark":
            # Spark reads backslash escapes in string literals, and 3.5 does not read '' as a
            # quote: both are written as backslash escapes, which every Spark version reads.
            return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
        return "'" + value.replace("'", "''") + "'"
    raise InvalidSegmentError(f"cannot write {type(value).__name__} as SQL")


def _epoch_us(expr: str, dialect: Dialect) -> str:
    return f"epoch_us({expr})" if dialect == "duckdb" else f"unix_micros({expr})"


def aggregate_sql(agg: EventAggregate, events: str, id_col: str, now: dt.datetime,
                  alias: str, dialect: Dialect, schema: dict[str, Any] | None = None) -> str:
    """A subquery with one row per person and the aggregate as column ``alias``."""
    q = lambda n: _quote(n, dialect)  # noqa: E731 - local shorthand
    lower, upper = agg.window.bounds(now)
    conds = [f"{q('event')} = {sql_literal(agg.event, dialect)}"]
    if lower is not None:
        conds.append(f"{q('ts')} >= {sql_literal(lower, dialect)}")
    below = "<" if agg.window.end is not None else "<="
    conds.append(f"{q('ts')} {below} {sql_literal(upper, dialect)}")
    if agg.where is not None:
        conds.append(to_sql_expr(agg.where, {}, now, dialect, prefix="", schema=schema))
    if agg.agg == "count":
        value = "COUNT(*)"
    elif agg.agg == "distinct_days":
        day = (f"CAST(to_utc_timestamp({q('ts')}, current_timezone()) AS DATE)"
               if dialect == "spark" else f"CAST({q('ts')} AS DATE)")  # the UTC calendar day
        value = f"COUNT(DISTINCT {day})"
    elif agg.agg == "days_since_last":
        value = (f"FLOOR(({_epoch_us(sql_literal(now, dialect), dialect)} - "
                 f"{_epoch_us('MAX(' + q('ts') + ')', dialect)}) / 86400000000.0)")
    else:
        fn = {"sum": "SUM", "mean": "AVG", "min": "MIN", "max": "MAX"}[agg.agg]
        value = f"{fn}({q(agg.column or 'value')})"
    return (f"SELECT {q(id_col)}, {value} AS {q(alias)} FROM {events} "
            f"WHERE {' AND '.join(conds)} GROUP BY {q(id_col)}")


def to_sql_expr(cond: Condition, aliases: dict[str, str], now: dt.datetime, dialect: Dialect,
                prefix: str = "p.", schema: dict[str, Any] | None = None) -> str:
    """A SQL boolean expression for ``cond``."""
    q = lambda n: _quote(n, dialect)  # noqa: E731 - local shorthand
    schema = schema or {}

    def sub(c: Condition) -> str:
        return to_sql_expr(c, aliases, now, dialect, prefix, schema)

    if isinstance(cond, And):
        return "(" + " AND ".join(sub(p) for p in cond.parts) + ")"
    if isinstance(cond, Or):
        return "(" + " OR ".join(sub(p) for p in cond.parts) + ")"
    if isinstance(cond, Not):
        return f"(NOT {sub(cond.part)})"
    if isinstance(cond, InSegment):
        return sub(cond.segment.condition)
    if not isinstance(cond, Predicate):
        raise InvalidSegmentError(f"not a condition: {type(cond).__name__}")
    t = cond.target
    if isinstance(t, Field):
        x = f"{prefix}{q(t.name)}"
    else:
        alias = aliases[t.key]
        fill = _fill(t.agg)
        x = f"COALESCE({alias}.{q(alias)}, {fill})" if fill is not None else f"{alias}.{q(alias)}"
    op, a = cond.op, cond.args
    sym = {"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
    if op in sym:
        return f"({x} {sym[op]} {sql_literal(a[0], dialect)})"
    if op == "between":
        lo_op = ">=" if a[2] in ("both", "left") else ">"
        hi_op = "<=" if a[2] in ("both", "right") else "<"
        lo, hi = sql_literal(a[0], dialect), sql_literal(a[1], dialect)
        return f"({x} {lo_op} {lo} AND {x} {hi_op} {hi})"
    if op == "isin":
        return f"({x} IN ({', '.join(sql_literal(v, dialect) for v in a)}))"
    if op == "is_null":
        return f"({x} IS NULL)"
    if op == "is_not_null":
        return f"({x} IS NOT NULL)"
    if op == "contains":
        if _is_list(t, schema):
            fn = "list_contains" if dialect == "duckdb" else "array_contains"
            return f"{fn}({x}, {sql_literal(a[0], dialect)})"
        if prefix and t.name not in schema:
            raise InvalidSegmentError(
                f"contains on {t.name!r} means list membership or a substring depending on the "
                "column's type, which to_sql does not know: pass schema= (a Population, or "
                "column -> polars dtype)"
            )
        fn = "strpos" if dialect == "duckdb" else "instr"
        return f"({fn}({x}, {sql_literal(a[0], dialect)}) > 0)"
    if op == "matches":
        if dialect == "duckdb":
            return f"regexp_matches({x}, {sql_literal(a[0], dialect)})"
        return f"({x} RLIKE {sql_literal(a[0], dialect)})"
    if op == "starts_with":
        return f"(left({x}, {len(str(a[0]))}) = {sql_literal(a[0], dialect)})"
    if op == "within":
        lower = now - parse_duration(str(a[0]))
        ts = f"CAST({x} AS TIMESTAMP)"
        return f"({ts} >= {sql_literal(lower, dialect)} AND {ts} <= {sql_literal(now, dialect)})"
    raise InvalidSegmentError(f"unknown op {op!r}")


def conditions_of(cond: Condition) -> Sequence[Condition]:
    """The AND-ed clauses of a condition (itself when it is not an AND)."""
    return cond.parts if isinstance(cond, And) else (cond,)
