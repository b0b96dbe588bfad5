"""Conditions: immutable expression trees over profiles and events.

A condition is a frozen value. ``&``, ``|`` and ``~`` build new ones; ``bool(condition)`` raises
(Python's ``and``/``or`` would silently drop half of it). A tree compiles once, without being
interpreted row by row, to narwhals expressions that polars, DuckDB and Spark run natively
(:mod:`._compile`), or to SQL text (:mod:`._sql`), and serializes to plain JSON-able dicts.

Event aggregates (``event("top_up").sum("value", within="30d")``) become one per-person
aggregate each, joined to the profiles before the condition is evaluated; people with no
matching event have a count, sum or number of distinct days of 0, and a null mean, min, max or
days since the last event.
"""

from __future__ import annotations

import datetime as dt
import math
import operator
import re
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from decimal import Decimal
from typing import Any

import numpy as np
import polars as pl

from privacy._checks import MISSING_TIME, standard_time

from ._checks import named
from ._clock import MAX_WINDOW_DAYS
from ._errors import InvalidSegmentError, SegmentCycleError

__all__ = [
    "And", "Condition", "EventAggregate", "EventQuery", "Field", "InSegment", "Not", "Or",
    "Predicate", "Window", "condition_from_dict", "event", "field", "in_segment",
    "parse_duration",
]

#: The version of the segments' JSON form (a segment's dict and an ``in_segment`` inside one).
SCHEMA_VERSION = 1

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(w|d|h|min|s)\s*$", re.ASCII)
_UNIT_SECONDS = {"w": 7 * 86400, "d": 86400, "h": 3600, "min": 60, "s": 1}
#: The longest duration: 1,000 years (windows past it overflowed dates: a raw OverflowError)
_MAX_SECONDS = MAX_WINDOW_DAYS * 86400


def reach_back(within: str | dt.timedelta) -> str:
    """A ``within=`` duration as stored text: a window back from now must reach past now."""
    start = duration_text(within)
    if parse_duration(start) <= dt.timedelta(0):
        raise InvalidSegmentError(
            f"within={start!r} holds nothing: a window reaches back more than 0 "
            "(e.g. within='30d')")
    return start


def duration_text(value: str | dt.timedelta) -> str:
    """A duration as the text segments store: ``"30d"`` stays, ``timedelta(days=30)`` becomes
    ``"30d"`` (the largest whole unit), so a timedelta is checked and stored in one form."""
    if isinstance(value, dt.timedelta):
        seconds = value.total_seconds()
        if seconds <= 0 or not float(seconds).is_integer():
            raise InvalidSegmentError(
                f"a duration must be a positive whole number of seconds, got {value}")
        _check_span(seconds, value)
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
    from ._regex import portable

    for rewrite in (False, True):  # as written, then (only once it parses) as engines get it
        try:
            pl.Series([""], dtype=pl.Utf8).str.contains(portable(pattern) if rewrite else pattern)
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
            f"durations look like '30d', '12h', '2w', '90min' or '45s'; got {named(text)}"
        )
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    _check_span(seconds, text)
    return dt.timedelta(seconds=seconds)


def _check_span(seconds: float, given: object) -> None:
    if seconds > _MAX_SECONDS:
        raise InvalidSegmentError(
            f"a duration reaches back at most 1,000 years ({MAX_WINDOW_DAYS}d), got "
            f"{given if isinstance(given, dt.timedelta) else named(given)}")


def check_unicode(text: str, what: str) -> str:
    """``text``, unless it holds what no UTF-8 spells (an unpaired surrogate, as a bad decoder
    or ``json.loads`` of a lone ``\\ud800`` leaves): no engine's column can hold it, so it is
    refused where the segment is defined rather than failing differently in each engine."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidSegmentError(
            f"{what} is not valid Unicode text: an unpaired surrogate at position {exc.start} "
            "(undecodable bytes read with surrogateescape, or a lone \\uD800-\\uDFFF escape); "
            "fix the text's encoding") from None
    return text


def _plain(value: object) -> object:
    """NumPy scalars and decimals as the Python values they hold: np.int64(30) (a column's
    max, a percentile) is 30, np.float32(0.1) the float32's own value, Decimal('12.50') 12.5
    (a float reads back as its digits) or 12 when whole."""
    if isinstance(value, (np.integer, np.floating, np.bool_, np.str_)) and not isinstance(
            value, np.timedelta64):  # a NumPy duration is an integer subclass: not a number
        return value.item()
    if isinstance(value, Decimal):
        if not value.is_finite():  # a signalling NaN is a NaN too (float() raised)
            return math.nan if value.is_nan() else float(value)
        if value == value.to_integral_value():
            return int(value)
        if Decimal(repr(float(value))) != value:
            raise InvalidSegmentError(
                f"a Decimal condition value with {len(value.as_tuple().digits)} digits holds "
                "more than a float can: conditions compare decimals as floats read as written "
                "(0.1 is one tenth); round it to 15 significant digits")
        return float(value)
    return value


def _check_literal(value: object) -> object:
    value = _plain(value)
    value, problem = standard_time(value)
    if problem is not None:
        raise InvalidSegmentError(f"a condition's time value is {problem}"
                                  + (": compare with None using .is_null() / .is_not_null()"
                                     if problem == MISSING_TIME else ""))
    if isinstance(value, str):
        return check_unicode(value, "a condition's text value")
    if value is None:
        raise InvalidSegmentError("compare with None using .is_null() / .is_not_null()")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**38:
        # polars holds 128-bit integers, Spark's widest exact literal is DECIMAL(38)
        raise InvalidSegmentError(
            f"integers in conditions must have at most 38 digits, got one of {len(str(abs(value)))}"
            "; compare with a float if the column is one")
    if isinstance(value, (bool, int, float, str, dt.date, dt.datetime)):
        return value
    raise InvalidSegmentError(
        f"condition values must be numbers, strings, booleans or dates, got "
        f"{type(value).__name__}"
    )


def _literal_to_json(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        # JSON has no NaN or infinity (json.dumps would write NaN, which strict readers refuse)
        return {"float": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}
    if isinstance(value, dt.datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    return value


def _literal_from_json(value: object) -> object:
    if isinstance(value, dict):
        if len(value) != 1:
            raise InvalidSegmentError(f"a literal is one of {{'date': ...}}, {{'datetime': ...}} "
                                      f"or {{'float': ...}}, got {len(value)} keys")
        if "datetime" in value:
            return dt.datetime.fromisoformat(value["datetime"])
        if "date" in value:
            return dt.date.fromisoformat(value["date"])
        if value.get("float") in ("nan", "inf", "-inf"):
            return float(value["float"])
        raise InvalidSegmentError(f"unknown literal {named(value)}")
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
                    f"between= takes two durations like ('90d', '30d'), got {named(between)}"
                )
            start, end = duration_text(between[0]), duration_text(between[1])
            if parse_duration(start) <= parse_duration(end):
                raise InvalidSegmentError(
                    f"between=({start!r}, {end!r}): the first duration must reach further back"
                )
            return cls(start, end)
        if within is not None:
            return cls(reach_back(within), None)
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
                f"closed must be 'both', 'left', 'right' or 'none', got {named(closed)}"
            )
        lo, hi = _check_literal(lo), _check_literal(hi)
        try:  # numbers with numbers, text with text, dates with dates; NaN is never empty here
            empty = lo > hi or (lo == hi and closed != "both")  # type: ignore[operator]
        except TypeError:  # kinds that do not compare: the column's type check says so
            empty = False
        if empty:
            raise InvalidSegmentError(
                f"between({lo!r}, {hi!r}, closed={closed!r}) holds no value: the low end must "
                "come first" + ("" if lo > hi else " (or close both ends)"))  # type: ignore[operator]
        return self._pred("between", lo, hi, closed)

    def isin(self, values: Iterable[object]) -> Predicate:
        """Membership in a set of values."""
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            raise InvalidSegmentError("isin takes a list of values, e.g. isin(['a', 'b'])")
        if isinstance(values, (bytearray, memoryview, Mapping)) or (
                isinstance(values, np.ndarray) and values.ndim != 1):
            # a bytearray's items are small integers, a dict's its keys, a 0-d array no items
            raise InvalidSegmentError(f"isin takes a list of values, e.g. isin(['a', 'b']), "
                                      f"got {type(values).__name__}"
                                      + (f" of shape {values.shape}"
                                         if isinstance(values, np.ndarray) else ""))
        items = tuple(_check_literal(v) for v in values)
        if isinstance(values, AbstractSet):  # one order in every process (hash randomization)
            items = tuple(sorted(items, key=lambda v: (type(v).__name__, repr(v))))
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
        check_pattern(check_unicode(pattern, "the regular expression"))
        return self._pred("matches", pattern)

    def starts_with(self, prefix: str) -> Predicate:
        if not isinstance(prefix, str):
            raise InvalidSegmentError("starts_with takes a string")
        return self._pred("starts_with", check_unicode(prefix, "the prefix"))

    def within(self, duration: str) -> Predicate:
        """A date/time column within ``duration`` before now (and not after now)."""
        return self._pred("within", reach_back(duration))

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
    window: Window = dataclass_field(default_factory=Window)
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
            raise InvalidSegmentError(f"event name must be a non-empty str, got {named(name)}")
        if where is not None and not isinstance(where, Condition):
            raise InvalidSegmentError("where= takes a condition over event columns")
        self.name = check_unicode(name, "the event name")
        self.where = where

    def _agg(self, agg: str, column: str | None, within: str | None,
             between: tuple[str, str] | None) -> EventAggregate:
        if agg in _COLUMN_AGGS and (not isinstance(column, str) or not column):
            # as from_dict reads it: sum(None) ran (and wrote JSON that would not read back),
            # a bytes or list column raised Python's TypeError from to_json or the plan
            raise InvalidSegmentError(f"'{agg}' reads an events column (a non-empty str), got "
                                      f"{named(column)}")
        if isinstance(column, str):
            check_unicode(column, "the event column")
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
        raise InvalidSegmentError(f"field name must be a non-empty str, got {named(name)}")
    return Field(check_unicode(name, "the field name"))


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


#: How deep ``&``, ``|``, ``~``, ``in_segment`` and ``event(where=...)`` may nest. Every step
#: (polars, narwhals, sqlglot, JSON) walks a tree by recursion: 500 nested ``~`` compiled in
#: polars but raised Python's RecursionError in ``to_sql``. Long chains of ``&`` or ``|`` are
#: flat (one level), so real segments stay far under this.
MAX_DEPTH = 100


_DEPTH_OF = operator.attrgetter("_depth")


def _nested(node: Condition, children: Iterable[Condition], known: int = 0) -> None:
    """Record ``node``'s depth (one more than its deepest child; ``known`` when the caller
    knows it); refuse it past MAX_DEPTH, when it is built, so that no step meets a tree it
    cannot walk."""
    depth = known or 1 + max(map(_DEPTH_OF, children), default=0)
    if depth > MAX_DEPTH:
        raise InvalidSegmentError(
            f"conditions nest at most {MAX_DEPTH} levels deep (&, |, ~, in_segment and "
            f"event where=), this one {depth}: write it flatter (a chain of & or of | is one "
            "level; ~~c is c)")
    object.__setattr__(node, "_depth", depth)


class Condition:
    """Base of all conditions: combine with ``&``, ``|``, ``~``."""

    #: Levels of nesting, this node included (see MAX_DEPTH).
    _depth = 1

    def __and__(self, other: Condition) -> And:
        return _joined(And, (self, as_condition(other, "&")))

    def __rand__(self, other: Condition) -> And:
        return _joined(And, (as_condition(other, "&"), self))

    def __or__(self, other: Condition) -> Or:
        return _joined(Or, (self, as_condition(other, "|")))

    def __ror__(self, other: Condition) -> Or:
        return _joined(Or, (as_condition(other, "|"), self))

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


def _joined(kind: Any, operands: tuple[Condition, Condition]) -> Any:
    """``kind`` (And or Or) of two operands, an operand of the same kind flattened into it;
    its depth from the operands' (a flattened one's parts are one level under it), so that a
    chain of thousands of ``&`` is not measured part by part at every step."""
    depth = 1 + max(c._depth - 1 if isinstance(c, kind) else c._depth for c in operands)
    return kind(_flatten(kind, operands), _depth=depth)


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

    def __post_init__(self) -> None:
        where = getattr(self.target, "where", None)
        if where is not None:
            _nested(self, (where,))

    def to_dict(self) -> dict[str, Any]:
        return {
            "op": self.op, "target": self.target.to_dict(),
            "args": [_literal_to_json(a) for a in self.args],
        }


@dataclass(frozen=True, eq=False)
class And(Condition):
    parts: tuple[Condition, ...]
    _depth: int = dataclass_field(default=0, repr=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        _nested(self, self.parts, self._depth)

    def to_dict(self) -> dict[str, Any]:
        return {"op": "and", "parts": [p.to_dict() for p in self.parts]}

    def children(self) -> tuple[Condition, ...]:
        return self.parts


@dataclass(frozen=True, eq=False)
class Or(Condition):
    parts: tuple[Condition, ...]
    _depth: int = dataclass_field(default=0, repr=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        _nested(self, self.parts, self._depth)

    def to_dict(self) -> dict[str, Any]:
        return {"op": "or", "parts": [p.to_dict() for p in self.parts]}

    def children(self) -> tuple[Condition, ...]:
        return self.parts


@dataclass(frozen=True, eq=False)
class Not(Condition):
    part: Condition

    def __post_init__(self) -> None:
        _nested(self, (self.part,))

    def to_dict(self) -> dict[str, Any]:
        return {"op": "not", "part": self.part.to_dict()}

    def children(self) -> tuple[Condition, ...]:
        return (self.part,)


@dataclass(frozen=True, eq=False)
class InSegment(Condition):
    """Membership in another segment (segment of segments): its name and its condition."""

    name: str
    condition: Condition
    description: str = ""

    def __post_init__(self) -> None:
        _nested(self, (self.condition,))

    def to_dict(self) -> dict[str, Any]:
        return {"op": "in_segment", "segment": {
            "schema_version": SCHEMA_VERSION, "name": self.name,
            "description": self.description, "condition": self.condition.to_dict()}}

    def children(self) -> tuple[Condition, ...]:
        return (self.condition,)


def in_segment(segment: Any) -> InSegment:
    """A condition true for the members of another segment (a :class:`Segment`)."""
    name = getattr(segment, "name", None)
    condition = getattr(segment, "condition", None)
    if not isinstance(name, str) or not isinstance(condition, Condition):
        raise InvalidSegmentError(f"in_segment takes a Segment, got {type(segment).__name__}")
    return InSegment(name, condition, str(getattr(segment, "description", "")))


def _only_keys(data: dict[str, Any], allowed: tuple[str, ...], what: str) -> None:
    """Refuse keys ``what`` does not take: a hand-edited JSON's ``"within"`` for ``"window"``
    was ignored, and the segment silently counted events of all time."""
    unknown = [k for k in data if k not in allowed]
    if unknown:
        raise InvalidSegmentError(
            f"{what} has unknown key{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(named(k) for k in unknown)}; it takes {', '.join(allowed)}")


def segment_parts(data: Any) -> tuple[str, Condition, str]:
    """The name, condition and description of a segment's dict, its version checked."""
    if not isinstance(data, dict):
        raise InvalidSegmentError(f"a segment is a dict, got {type(data).__name__}")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise InvalidSegmentError(
            f"segment schema_version {named(version)} is not supported (this version reads "
            f"{SCHEMA_VERSION}); upgrade audiencekit or re-export the segment"
        )
    if not isinstance(data.get("name"), str) or "condition" not in data:
        raise InvalidSegmentError("a segment's dict needs a 'name' (str) and a 'condition'")
    _only_keys(data, ("schema_version", "name", "description", "condition"), "a segment")
    return data["name"], condition_from_dict(data["condition"]), data.get("description", "")


_PREDICATE_OPS = ("eq", "ne", "lt", "le", "gt", "ge", "between", "isin", "is_null",
                  "is_not_null", "contains", "matches", "starts_with", "within")


def condition_from_dict(data: Any) -> Condition:
    """Rebuild a condition from :meth:`Condition.to_dict` output, through the same builders
    (and so the same checks) as conditions written in Python: a hand-edited or foreign JSON
    cannot hold what the API refuses (a list as a value, a comparison without one, a field
    named by a number). Anything malformed is an :class:`InvalidSegmentError`."""
    try:
        return _condition_from_dict(data)
    except InvalidSegmentError:
        raise
    except RecursionError:
        raise InvalidSegmentError("the condition is nested too deeply to read") from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidSegmentError(
            f"malformed condition ({type(exc).__name__}"
            + (f": missing {named(exc.args[0])}" if isinstance(exc, KeyError) else "")
            + "); write it with Condition.to_dict() or Segment.to_json()") from None


def _condition_from_dict(data: Any) -> Condition:
    if not isinstance(data, dict) or "op" not in data:
        raise InvalidSegmentError(f"a condition is a dict with an 'op', got {type(data).__name__}")
    op = data["op"]
    _only_keys(data, {"and": ("op", "parts"), "or": ("op", "parts"), "not": ("op", "part"),
                      "in_segment": ("op", "segment")}.get(op, ("op", "target", "args")),
               f"an {op!r} condition" if op in ("and", "or", "in_segment") else
               f"a {named(op)} condition")
    if op in ("and", "or"):
        parts = data["parts"]
        if not isinstance(parts, list) or len(parts) < 2:
            raise InvalidSegmentError(f"'{op}' takes a list of at least two conditions")
        built = tuple(_condition_from_dict(p) for p in parts)
        return And(_flatten(And, built)) if op == "and" else Or(_flatten(Or, built))
    if op == "not":
        return Not(_condition_from_dict(data["part"]))
    if op == "in_segment":
        return InSegment(*segment_parts(data["segment"]))
    if op not in _PREDICATE_OPS:
        raise InvalidSegmentError(f"unknown condition op {named(op)}")
    target = _target_from_dict(data["target"])
    args = data.get("args", [])
    if not isinstance(args, list):
        raise InvalidSegmentError(f"a condition's 'args' is a list, got {type(args).__name__}")
    values = [_literal_from_json(a) for a in args]
    n = len(values)
    wanted, fits = {"is_null": ("0", n == 0), "is_not_null": ("0", n == 0),
                    "between": ("2 or 3", n in (2, 3)), "isin": ("at least 1", n >= 1),
                    }.get(op, ("1", n == 1))
    if not fits:
        raise InvalidSegmentError(f"'{op}' takes {wanted} value(s), got {n}")
    if op in ("contains", "matches", "starts_with", "within") and not isinstance(target, Field):
        raise InvalidSegmentError(f"'{op}' applies to profile columns, not event aggregates")
    if op in _COMPARISONS:
        return getattr(target, _COMPARISONS[op])(values[0])  # type: ignore[no-any-return]
    if op == "between":
        return target.between(*values)  # type: ignore[arg-type]
    if op == "isin":
        return target.isin(values)
    if op in ("is_null", "is_not_null"):
        return getattr(target, op)()  # type: ignore[no-any-return]
    return getattr(target, op)(values[0])  # type: ignore[no-any-return]


_COMPARISONS = {"eq": "__eq__", "ne": "__ne__", "lt": "__lt__", "le": "__le__",
                "gt": "__gt__", "ge": "__ge__"}


def _target_from_dict(t: Any) -> Field | EventAggregate:
    if not isinstance(t, dict):
        raise InvalidSegmentError(f"a condition's 'target' is a dict, got {type(t).__name__}")
    if "field" in t:
        _only_keys(t, ("field",), "a field target")
        return field(t["field"])
    _only_keys(t, ("event", "agg", "column", "window", "where"), "an event aggregate")
    if t.get("agg") not in _AGGS:
        raise InvalidSegmentError(f"unknown event aggregate {named(t.get('agg'))}")
    w = t.get("window") or {}
    if not isinstance(w, dict):
        raise InvalidSegmentError(f"an aggregate's 'window' is a dict, got {type(w).__name__}")
    _only_keys(w, ("start", "end"), "a window")
    start, end = w.get("start"), w.get("end")
    if end is not None:
        if start is None:
            raise InvalidSegmentError("a window with an end needs a start")
        window = Window.of(None, (start, end))
    else:
        window = Window.of(start, None)
    where = _condition_from_dict(t["where"]) if t.get("where") else None
    agg, column = t["agg"], t.get("column")
    if agg in _COLUMN_AGGS:
        if not isinstance(column, str) or not column:
            raise InvalidSegmentError(f"'{agg}' reads a column (a non-empty str), got "
                                      f"{named(column)}")
    elif column is not None:
        raise InvalidSegmentError(f"'{agg}' reads no column, got {named(column)}")
    if agg == "days_since_last" and (window.start or window.end):
        raise InvalidSegmentError("'days_since_last' takes no window")
    query = EventQuery(t["event"], where)  # the event's name and where= checked
    return EventAggregate(query.name, agg, column, window, where)


_COLUMN_AGGS = ("sum", "mean", "min", "max")


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
            name = n.name
            if name in stack:
                raise SegmentCycleError(
                    f"segment {name!r} contains itself: {' -> '.join((*stack, name))}"
                )
            check_cycles(n.condition, (*stack, name))


def conditions_of(cond: Condition) -> Sequence[Condition]:
    """The AND-ed clauses of a condition (itself when it is not an AND)."""
    return cond.parts if isinstance(cond, And) else (cond,)
