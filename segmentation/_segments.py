"""Segments: named, versioned, serializable conditions that compile to polars and SQL."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from privacy._checks import keys_once
from privacy._redact import CONTROL

from ._checks import is_text, named, names_shown
from ._clock import checked_now
from ._compile import compile_mask, condition_expr
from ._conditions import (
    SCHEMA_VERSION,
    And,
    Condition,
    EventAggregate,
    Field,
    InSegment,
    Not,
    Or,
    Predicate,
    check_cycles,
    check_unicode,
    segment_parts,
    walk,
)
from ._engines import as_tables
from ._errors import ColumnTypeError, InvalidSegmentError, UnknownColumnError
from ._reserved import case_twins
from ._sql import Dialect, segment_sql

__all__ = ["SCHEMA_VERSION", "Segment", "describe", "validate"]

_NUMERIC_OPS = ("eq", "ne", "lt", "le", "gt", "ge", "between", "isin")


def _value_fits(value: object, dtype: Any) -> bool:
    if dtype.is_numeric():
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if dtype == pl.Boolean:
        return isinstance(value, bool)
    if dtype in (pl.Utf8, pl.Categorical) or isinstance(dtype, (pl.Categorical, pl.Enum)):
        return isinstance(value, str)
    if dtype == pl.Date or isinstance(dtype, pl.Datetime):
        return isinstance(value, (dt.date, dt.datetime))
    return dtype == pl.Null  # a column of nulls only: no value is in it, in every engine


def _comparable(dtype: Any) -> bool:
    """Whether segments compare values of this kind (alike in polars, DuckDB and Spark)."""
    return (dtype.is_numeric() or dtype in (pl.Boolean, pl.Date, pl.Null) or is_text(dtype)
            or isinstance(dtype, pl.Datetime))


def _not_comparable(name: str, dtype: Any) -> ColumnTypeError:
    return ColumnTypeError(
        f"{name!r} is {str(dtype)[:80]}, which segments do not compare: they compare numbers, "
        "text, booleans, dates and datetimes, and look in lists of those. Test it with "
        "is_null() / is_not_null(), or cast it to one of those kinds first")


def _check_predicate(p: Predicate, schema: dict[str, Any], table: str) -> None:
    name = p.target.name if isinstance(p.target, Field) else None
    if name is None:
        return
    if name not in schema:
        raise UnknownColumnError(
            f"unknown column {named(name)} in the {table}; they have: {', '.join(schema)}"
        )
    dtype = schema[name]
    is_list = isinstance(dtype, (pl.List, pl.Array))
    text = is_text(dtype)
    if p.op == "contains":
        if not (is_list or text):
            raise ColumnTypeError(
                f"contains needs a list or text column; {name!r} is {dtype}"
            )
        inner = dtype.inner if is_list else pl.Utf8
        if not _comparable(inner):
            raise _not_comparable(name, dtype)
        if not _value_fits(p.args[0], inner):
            raise ColumnTypeError(
                f"{name!r} holds {inner}, but contains() got a {type(p.args[0]).__name__}"
            )
        return
    if p.op in ("matches", "starts_with") and not text:
        raise ColumnTypeError(f"{p.op} needs a text column; {name!r} is {dtype}")
    if p.op == "within" and not (dtype == pl.Date or isinstance(dtype, pl.Datetime)):
        raise ColumnTypeError(f"within needs a date or datetime column; {name!r} is {dtype}")
    if p.op in _NUMERIC_OPS:
        if is_list:
            raise ColumnTypeError(f"{name!r} is a list column: use .contains(...)")
        if not _comparable(dtype):
            raise _not_comparable(name, dtype)
        values = p.args[:2] if p.op == "between" else p.args
        for v in values:
            if not _value_fits(v, dtype):
                raise ColumnTypeError(
                    f"{name!r} is {dtype} but the condition compares it with a "
                    f"{type(v).__name__}; use a value of the column's type"
                )


def validate(cond: Condition, schema: dict[str, Any], events_schema: dict[str, Any] | None,
             id_col: str) -> None:
    """Check columns and types before anything runs; errors name what exists."""
    check_cycles(cond)
    for node in walk(cond):
        if not isinstance(node, Predicate):
            continue
        if isinstance(node.target, Field):
            _check_predicate(node, schema, "profiles")
            continue
        agg: EventAggregate = node.target
        if events_schema is None:
            raise InvalidSegmentError(
                f"the condition uses event {named(agg.event)} but the population has no events "
                "table; pass events= to Population (--events)"
            )
        for needed in (id_col, "event", "ts"):
            if needed not in events_schema:
                raise UnknownColumnError(
                    f"the events table needs a {needed!r} column; it has: "
                    f"{', '.join(events_schema)}"
                )
        if agg.column is not None and agg.column not in events_schema:
            raise UnknownColumnError(
                f"unknown events column {named(agg.column)}; the events have: "
                f"{', '.join(events_schema)}"
            )
        _check_aggregate(node, agg, events_schema, every_column=True)


def _check_aggregate(node: Predicate, agg: EventAggregate, events_schema: Mapping[str, Any],
                     every_column: bool) -> None:
    """An event aggregate's predicate: a numeric column (when ``events_schema`` names it), a
    number to compare with, and a ``where=`` on the events' columns (``every_column``: each
    must be in the schema; otherwise those it names are checked)."""
    if agg.column is not None and agg.column in events_schema \
            and not events_schema[agg.column].is_numeric():
        raise ColumnTypeError(
            f"{agg.agg} needs a numeric events column; {agg.column!r} is "
            f"{events_schema[agg.column]}"
        )
    for v in node.args[:2] if node.op == "between" else node.args:
        if node.op not in ("is_null", "is_not_null") and not (
            isinstance(v, (int, float)) and not isinstance(v, bool)
        ):
            raise ColumnTypeError(
                f"event aggregates are numbers; got a {type(v).__name__} to compare with"
            )
    if agg.where is not None:
        for inner in walk(agg.where):
            if isinstance(inner, Predicate):
                if not isinstance(inner.target, Field):
                    raise InvalidSegmentError("where= conditions test event columns only")
                if every_column or inner.target.name in events_schema:
                    _check_predicate(inner, dict(events_schema), "events")


def validate_known(cond: Condition, schema: Mapping[str, Any],
                   events_schema: Mapping[str, Any] | None) -> None:
    """What SQL text can be checked for without the tables (``Segment.to_sql``): the types of
    the columns the schemas name, as :func:`validate` checks them (a column they leave out is
    not checked), and that event aggregates compare with numbers: SQL would otherwise compare
    a text column with TRUE or a count with a string, and choose other people than ``select``
    (or fail in the engine)."""
    for node in walk(cond):
        if not isinstance(node, Predicate):
            continue
        if isinstance(node.target, Field):
            if node.target.name in schema:
                _check_predicate(node, dict(schema), "profiles")
            continue
        _check_aggregate(node, node.target, events_schema or {}, every_column=False)


def describe(cond: Condition) -> str:
    """A short readable form of a condition, for waterfalls and reports."""
    if isinstance(cond, And):
        return " and ".join(describe(p) for p in cond.parts)
    if isinstance(cond, Or):
        return "(" + " or ".join(describe(p) for p in cond.parts) + ")"
    if isinstance(cond, Not):
        return f"not ({describe(cond.part)})"
    if isinstance(cond, InSegment):
        return f"in segment {cond.name!r}"
    if not isinstance(cond, Predicate):
        raise InvalidSegmentError(f"not a condition: {type(cond).__name__}")
    t = cond.target
    if isinstance(t, Field):
        subject = t.name
    else:
        win = ""
        if t.window.start and t.window.end:
            win = f" between {t.window.start} and {t.window.end} ago"
        elif t.window.start:
            win = f" in the last {t.window.start}"
        col = f"({t.column})" if t.column else ""
        subject = f"{t.agg}{col} of {t.event}{win}"
    a = cond.args
    words = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
    if cond.op in words:
        return f"{subject} {words[cond.op]} {a[0]!r}"
    if cond.op == "between":
        return f"{subject} between {a[0]!r} and {a[1]!r}"
    if cond.op == "isin":
        return f"{subject} in {list(a)!r}"
    if cond.op in ("is_null", "is_not_null"):
        return f"{subject} {cond.op.replace('_', ' ')}"
    return f"{subject} {cond.op.replace('_', ' ')} {a[0]!r}"


# Control characters and the bidirectional embeddings, overrides and isolates: in a name they
# forge lines in logs and CSVs, or show a report's reader other text than the one stored
# ("Trojan Source"). A description may hold line breaks and tabs.
# A name refuses what privacy.printable escapes for a terminal (one pattern for both).
_BIDI = "\u202a-\u202e\u2066-\u2069"
_NOT_IN_DESCRIPTIONS = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI}]")


def _check_printable(text: str, what: str, pattern: re.Pattern[str]) -> None:
    found = pattern.search(text)
    if found:
        raise InvalidSegmentError(
            f"{what} holds U+{ord(found.group()):04X} at position {found.start()}, a control "
            "character or a bidirectional override: it would forge lines in logs and files, or "
            "show other text in reports than the one stored; remove it")


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A segment's JSON object, each key once: a reviewer must not read another segment
    than the one that runs."""
    return keys_once(pairs, lambda key: InvalidSegmentError(
        f"segment JSON repeats the key {named(key)} in one object; write each key once"))


@dataclass(frozen=True, eq=False)
class Segment:
    """A named condition: the definition of an audience.

    Examples
    --------
    >>> import segmentation as seg
    >>> young_gamers = seg.Segment(
    ...     "young gamers",
    ...     seg.field("age").between(18, 25) & seg.field("interests").contains("gaming"),
    ... )
    >>> seg.Segment.from_dict(young_gamers.to_dict()) == young_gamers
    True
    """

    name: str
    condition: Condition
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise InvalidSegmentError(f"a segment needs a non-empty name, got {self.name!r}")
        check_unicode(self.name, "the segment's name")
        _check_printable(self.name, "the segment's name", CONTROL)
        if not isinstance(self.description, str):
            raise InvalidSegmentError(
                f"description must be a str, got {type(self.description).__name__}")
        check_unicode(self.description, "the segment's description")
        _check_printable(self.description, "the segment's description", _NOT_IN_DESCRIPTIONS)
        if not isinstance(self.condition, Condition):
            raise InvalidSegmentError(
                f"condition must be built with segmentation.field/event, got "
                f"{type(self.condition).__name__}"
            )
        check_cycles(self.condition, (self.name,))

    def __eq__(self, other: object) -> bool:
        """Value equality: the same name, description and condition tree."""
        if not isinstance(other, Segment):
            return NotImplemented
        return self.to_json() == other.to_json()

    def __hash__(self) -> int:
        return hash(self.to_json())

    def to_dict(self) -> dict[str, Any]:
        """The versioned JSON-able form."""
        return {
            "schema_version": SCHEMA_VERSION, "name": self.name,
            "description": self.description, "condition": self.condition.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Segment:
        """Rebuild a segment; an unknown schema version is an error."""
        return cls(*segment_parts(data))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> Segment:
        if not isinstance(text, (str, bytes, bytearray)):
            raise InvalidSegmentError(f"from_json takes the JSON text, got {type(text).__name__}")
        if isinstance(text, str) and text.startswith("\ufeff"):
            text = text[1:]  # the byte-order mark Windows editors write: a marker, not JSON
        try:
            data = json.loads(text, object_pairs_hook=_no_repeated_keys)
        except InvalidSegmentError:
            raise
        except json.JSONDecodeError as exc:
            raise InvalidSegmentError(f"segment JSON is not valid: {exc.msg}") from None
        except RecursionError:
            raise InvalidSegmentError("segment JSON is nested too deeply to read") from None
        except UnicodeDecodeError:
            raise InvalidSegmentError("segment JSON is not UTF-8 text") from None
        except ValueError:  # Python reads no integer of over 4,300 digits
            raise InvalidSegmentError("segment JSON is not valid: a number has too many "
                                      "digits") from None
        return cls.from_dict(data)

    def to_polars(self, profiles: pl.LazyFrame | pl.DataFrame,
                  events: pl.LazyFrame | pl.DataFrame | None = None, id: str = "user_id",
                  now: dt.datetime | None = None) -> pl.LazyFrame:
        """A lazy polars plan selecting the matching ids (the caller collects or sinks it)."""
        p_table, e_table = as_tables(profiles, events, id, polars_only=True)
        now = checked_now(now)
        validate(self.condition, p_table.schema, e_table.schema if e_table else None, id)
        frame, aliases = compile_mask(self.condition, p_table, e_table, id, now)
        mask = condition_expr(self.condition, aliases, now, p_table.schema,
                              e_table.schema if e_table else None)
        return frame.filter(mask).select(id).to_native()

    def to_sql(self, dialect: Dialect = "duckdb", profiles: str = "profiles",
               events: str = "events", id: str = "user_id",
               now: dt.datetime | None = None,
               schema: Mapping[str, Any] | None = None,
               event_schema: Mapping[str, Any] | None = None) -> str:
        """A SELECT of the matching ids over tables named ``profiles`` and ``events``.

        ``schema`` (profile column -> polars dtype, e.g. ``population.schema``) tells list
        columns from text columns for ``contains``; without it a ``contains`` is refused (and
        so is one in an event's ``where=`` without ``event_schema``). With
        it (and ``event_schema`` for the events' columns), numbers compare as numbers whatever
        their kinds (``age > 25.5`` is ``age >= 26``; an Int64 equals no float past 2**63)
        and sums of integers are added up as 38-digit decimals, exactly (a BIGINT sum wraps
        in Spark past 2**63). The columns they name are checked as ``select`` checks them (a
        text column compared with ``True`` is a :class:`ColumnTypeError`, not SQL that reads
        'true' and '1' as TRUE); event aggregates compare with numbers only.
        """
        if dialect not in ("duckdb", "spark"):
            raise InvalidSegmentError(f"dialect must be 'duckdb' or 'spark', got "
                                      f"{named(dialect)}")
        for name, given in (("schema", schema), ("event_schema", event_schema)):
            if given is not None and not isinstance(given, Mapping):
                raise InvalidSegmentError(
                    f"{name}= takes a mapping of column -> polars dtype (population.schema), "
                    f"got {type(given).__name__}")
            for column, dtype in (given or {}).items():
                if not (isinstance(dtype, pl.DataType)
                        or (isinstance(dtype, type) and issubclass(dtype, pl.DataType))):
                    raise InvalidSegmentError(
                        f"{name}= maps columns to polars dtypes (pl.Int64, pl.Float32, "
                        f"pl.List(pl.Utf8)...), got {type(dtype).__name__} "
                        f"{named(str(dtype)[:40])} for column {named(str(column)[:80])}")
            twins = case_twins(given or {})
            if twins:  # 'age' would read 'Age' (DuckDB: the first of them), silently
                raise InvalidSegmentError(
                    f"{name}= has columns {names_shown(twins)} that differ only in case: SQL "
                    "reads column names case-insensitively in DuckDB and Spark, so one name "
                    "would read either column; rename them apart")
        validate_known(self.condition, schema or {}, event_schema)
        return segment_sql(self.condition, dialect, profiles, events, id,
                           checked_now(now),
                           schema or {}, event_schema)
