"""SQL text of a segment (``Segment.to_sql``) for DuckDB and Spark, quoted by sqlglot.

Populations do not run this text: they run the narwhals compilation (:mod:`._compile`). This is
for people who take the query elsewhere (a warehouse job, a notebook). Identifiers are quoted by
sqlglot for each dialect; string literals too for DuckDB (quotes doubled, and the binary
collation named, whatever the connection's default), and without any backslash for Spark,
whose reading of escapes depends on the session. The semantics are the engines' shared ones
(UTC instants, three-valued logic).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Literal

import polars as pl
from sqlglot import exp
from sqlglot.errors import SqlglotError

from ._checks import named
from ._clock import DAY_US, INFINITE_US, epoch_us, sql_time_text, utc_now
from ._compile import fill_value
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
)
from ._errors import InvalidSegmentError
from ._exact import (
    NO_MEMBER,
    SUM_OF_INTEGERS,
    exact_mean_scale,
    exact_sum_scale,
    kind_of,
    list_member,
    restate,
)
from ._regex import portable

__all__ = ["Dialect", "segment_sql", "sql_literal", "table_sql"]

Dialect = Literal["duckdb", "spark"]
_SYMBOLS = {"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


#: Spark substitutes ``${name}`` in SQL text before parsing it (``spark.sql.variable.substitute``,
#: on by default): '${x}' read as '' and '${env:HOME}' as the driver's home directory.
_SPARK_VARIABLE = "${"


def _quote(name: str, dialect: Dialect) -> str:
    if dialect == "spark" and _SPARK_VARIABLE in name:
        raise InvalidSegmentError(
            f"the name {named(name[:80])} holds '${{', which Spark's variable substitution "
            "replaces in SQL text (a quoted name cannot escape it): rename the column or table")
    return exp.to_identifier(name, quoted=True).sql(dialect=dialect)


def table_sql(name: object, dialect: Dialect, what: str) -> str:
    """A table name as the dialect quotes it, never pasted as SQL text.

    ``catalog.db.table`` is quoted part by part (parts already quoted in the dialect are read as
    such); text that is no such name ("my table", "x; DROP TABLE y") is one quoted name. An
    empty name or part, or a query or table function in place of a name, is refused.
    """
    usage = f"{what}= takes the name of a table such as {what!r} or 'catalog.db.{what}', got "
    if not isinstance(name, str) or not name.strip():
        raise InvalidSegmentError(usage + named(name))
    text = name.strip()
    if text.startswith(".") or text.endswith("."):
        raise InvalidSegmentError(f"{usage}{named(text[:80])}: a name part is empty")
    try:
        table = exp.to_table(text, dialect=dialect)
    except SqlglotError:  # not readable as a dotted name: the whole text is one name
        return _quote(text, dialect)
    given = [p for p in (table.args.get(k) for k in ("catalog", "db", "this")) if p is not None]
    plain = all(isinstance(p, exp.Identifier) and p.name for p in given) and not any(
        v is not None for k, v in table.args.items() if k not in ("catalog", "db", "this"))
    if not plain:
        raise InvalidSegmentError(
            f"{usage}{named(text[:80])}: an empty part, a query or a table function is not a table "
            "name (create a view of it and pass the view's name)")
    return ".".join(_quote(p.name, dialect) for p in given)


def sql_literal(value: object, dialect: Dialect = "duckdb") -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and not math.isfinite(value):
        # repr gives nan / inf: SQL reads those as column names (a binder error, or another
        # column's values when one is so named). Both dialects cast these spellings.
        text = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        return f"CAST('{text}' AS DOUBLE)"
    if isinstance(value, float) and dialect == "spark" and "e" in repr(value):
        # Spark reads 1e-300 as a DOUBLE, but as a DECIMAL (which cannot hold it: an error)
        # under spark.sql.legacy.exponentLiteralAsDecimal.enabled; the D suffix says DOUBLE
        return f"{value!r}D"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, Decimal):  # read as a DECIMAL of its digits by both dialects
        return format(value, "f")
    if isinstance(value, dt.date):  # every date and time is written by _on_times
        raise InvalidSegmentError("a date or time is written against its column (_on_times)")
    if isinstance(value, str):
        if dialect == "spark":
            return _spark_string(value)
        # compared by its bytes whatever the connection's default_collation (NOCASE would
        # make 'prepaid' equal 'Prepaid'); a column declared with another collation is then
        # DuckDB's error, not other people
        return f"{exp.Literal.string(value).sql(dialect=dialect)} COLLATE C"
    raise InvalidSegmentError(f"cannot write {type(value).__name__} as SQL")


#: Characters a Spark string literal cannot hold as themselves in every session: a backslash
#: and a quote (read as escapes, or as written under ``spark.sql.parser.escapedStringLiterals``),
#: '$' (``${name}`` is substituted before parsing, ``spark.sql.variable.substitute``) and
#: control characters (escapes in sqlglot's text).
_SPARK_SPECIAL = re.compile(r"([\\'$\x00-\x1f\x7f])")


def _spark_string(value: str) -> str:
    """A Spark string literal that reads as ``value`` whatever the session's parser settings:
    runs of plain characters quoted, each special character as ``chr(code)``, joined by
    ``concat`` (folded to one constant while planning: a pushed-down filter still sees a
    literal). No backslash is written, so no setting can change what it means."""
    parts = [f"chr({ord(piece)})" if _SPARK_SPECIAL.fullmatch(piece) else f"'{piece}'"
             for piece in _SPARK_SPECIAL.split(value) if piece]
    if not parts:
        return "''"
    return parts[0] if len(parts) == 1 else f"concat({', '.join(parts)})"


#: What ``typeof`` says of an instant column (DuckDB's TIMESTAMPTZ, Spark's TIMESTAMP), and
#: the types each branch casts the column to: instants, or UTC wall clocks (DuckDB's TIMESTAMP,
#: Spark's TIMESTAMP_NTZ; a DATE is its UTC midnight). Both engines fold a CASE on ``typeof``
#: while planning, so what runs is one typed comparison (Parquet statistics and pushdown
#: intact); the branches folded away must still type-check, hence the casts.
#: Spark's instants are named TIMESTAMP_LTZ, never TIMESTAMP: a session with
#: ``spark.sql.timestampType=TIMESTAMP_NTZ`` reads TIMESTAMP in casts and literals as a wall
#: clock of its time zone.
_INSTANT = {"duckdb": "TIMESTAMP WITH TIME ZONE", "spark": "timestamp"}
_CAST_TO = {"duckdb": ("TIMESTAMPTZ", "TIMESTAMP"), "spark": ("TIMESTAMP_LTZ", "TIMESTAMP_NTZ")}
#: DuckDB's nanosecond types (a polars or Arrow frame's ``ns`` datetimes): floored to the
#: microsecond, as everywhere in the library (DuckDB's casts round, its TIMESTAMPTZ_NS has no
#: epoch_us).
_NANOSECONDS = ("TIMESTAMP_NS", "TIMESTAMPTZ_NS")


def _floored(value: str, step: int) -> str:
    """``value`` rounded down to a multiple of ``step`` (SQL's % keeps the sign of negative
    values: exact for times before 1970 too)."""
    return f"({value} - (({value} % {step}) + {step}) % {step})"


def _floor_us(x: str) -> str:
    """DuckDB: the epoch microseconds of a date or time, floored from its epoch nanoseconds."""
    return f"({_floored(f'epoch_ns({x})', 1000)} // 1000)"


def _time_literal(value: dt.date, instant: bool, dialect: Dialect) -> str:
    """A date (its UTC midnight) or a datetime (naive: UTC) as a literal that compares exactly
    with an instant column (``instant``) or with a wall-clock or date column, in any session
    time zone: a zoneless literal against an instant column, or a zoned one against a zoneless
    column, would be converted in the session's zone."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    text = sql_time_text(value)
    if dialect == "duckdb":
        return f"TIMESTAMPTZ '{text}+00'" if instant else f"TIMESTAMP '{text}'"
    return f"TIMESTAMP_LTZ '{text}Z'" if instant else f"TIMESTAMP_NTZ '{text}'"


def _by_kind(x: str, dialect: Dialect, instant: str, zoneless: str,
             nanoseconds: str | None = None) -> str:
    """``instant`` where ``x`` holds instants, ``nanoseconds`` where DuckDB holds them at
    nanoseconds, else ``zoneless``: a CASE the engine folds while planning."""
    ns = ""
    if dialect == "duckdb" and nanoseconds is not None:
        ns = f" WHEN typeof({x}) IN ('{_NANOSECONDS[0]}', '{_NANOSECONDS[1]}') THEN {nanoseconds}"
    return (f"(CASE WHEN typeof({x}) = '{_INSTANT[dialect]}' THEN {instant}{ns} "
            f"ELSE {zoneless} END)")


def _on_times(x: str, dialect: Dialect,
              test: Callable[[str, Callable[[dt.date], str]], str]) -> str:
    """``test`` (written from the column and a function that turns dates and times into
    literals) for the column or expression ``x`` of whichever temporal type the table gives
    it, in any session time zone. A schema cannot decide this: a polars frame's naive
    datetimes are often a Spark table's instants."""
    as_instant, as_zoneless = _CAST_TO[dialect]
    zoneless = lambda v: _time_literal(v, False, dialect)  # noqa: E731 - local shorthand
    return _by_kind(x, dialect,
                    test(f"CAST({x} AS {as_instant})", lambda v: _time_literal(v, True, dialect)),
                    test(f"CAST({x} AS {as_zoneless})", zoneless),
                    test(f"make_timestamp({_floor_us(x)})", zoneless)
                    if dialect == "duckdb" else None)


def _epoch_us(x: str, dialect: Dialect) -> str:
    """UTC epoch microseconds of a date or time expression, in any session time zone (Spark
    would read a TIMESTAMP_NTZ or DATE as an instant in the session's zone: its wall clock is
    counted from 1970 instead)."""
    as_instant, as_zoneless = (f"CAST({x} AS {t})" for t in _CAST_TO[dialect])
    if dialect == "duckdb":  # 'infinity' and '-infinity' (no epoch) past every instant
        epoch = _by_kind(x, dialect, f"epoch_us({as_instant})", f"epoch_us({as_zoneless})",
                         _floor_us(x))
        infinite = f"{epoch} IS NULL AND {x} IS NOT NULL"
        return (f"(CASE WHEN {infinite} AND {x} > TIMESTAMP '1970-01-01' THEN {INFINITE_US} "
                f"WHEN {infinite} THEN -{INFINITE_US} ELSE {epoch} END)")
    return _by_kind(x, dialect, f"unix_micros({as_instant})",
                    f"timestampdiff(MICROSECOND, TIMESTAMP_NTZ '1970-01-01 00:00:00', "
                    f"{as_zoneless})")


def _utc_day(x: str, dialect: Dialect) -> str:
    """The UTC midnight (epoch microseconds) of a date or time: one value per calendar day
    (a floor, exact for times before 1970 too)."""
    return _floored(_epoch_us(x, dialect), DAY_US)


def _is_list(target: Field | EventAggregate, schema: Mapping[str, Any]) -> bool:
    dtype = schema.get(target.name) if isinstance(target, Field) else None
    return isinstance(dtype, (pl.List, pl.Array))


def aggregate_sql(agg: EventAggregate, events: str, id_col: str, now: dt.datetime,
                  alias: str, dialect: Dialect, schema: Mapping[str, Any] | None = None) -> str:
    """A subquery with one row per person and the aggregate as column ``alias``."""
    q = lambda n: _quote(n, dialect)  # noqa: E731 - local shorthand
    lower, upper = agg.window.bounds(now)
    conds = [f"{q('event')} = {sql_literal(agg.event, dialect)}"]
    below = "<" if agg.window.end is not None else "<="
    ts = q("ts")
    conds.append(_on_times(ts, dialect, lambda c, lit: (
        f"{c} {below} {lit(upper)}" if lower is None
        else f"{c} >= {lit(lower)} AND {c} {below} {lit(upper)}")))
    if agg.where is not None:
        conds.append(to_sql_expr(agg.where, {}, now, dialect, prefix="", schema=schema))
    if agg.agg == "count":
        value = "COUNT(*)"
    elif agg.agg == "distinct_days":  # the UTC calendar day
        value = f"COUNT(DISTINCT {_utc_day(ts, dialect)})"
    elif agg.agg == "days_since_last":
        value = (f"FLOOR(({epoch_us(utc_now(now))} - {_epoch_us(f'MAX({ts})', dialect)}) "
                 f"/ {DAY_US}.0)")
    elif (mean_scale := exact_mean_scale(agg, schema)) is not None:  # as _compile computes it
        column = q(agg.column or "value")
        _, precision, scale = SUM_OF_INTEGERS
        whole = (f"CAST({column} AS DECIMAL({precision}, {mean_scale})) * {10**mean_scale}"
                 if mean_scale else column)
        value = (f"CAST(SUM(CAST({whole} AS DECIMAL({precision}, {scale}))) AS DOUBLE) / "
                 f"(CAST(NULLIF(COUNT({column}), 0) AS DOUBLE) * 1E{mean_scale})")
    else:
        fn = {"sum": "SUM", "mean": "AVG", "min": "MIN", "max": "MAX"}[agg.agg]
        column = q(agg.column or "value")
        sum_scale = exact_sum_scale(agg, schema)
        if sum_scale is not None:  # 38-digit decimals, as _compile adds them up
            _, precision, _ = SUM_OF_INTEGERS
            column = f"CAST({column} AS DECIMAL({precision}, {sum_scale}))"
        value = f"{fn}({column})"
    return (f"SELECT {q(id_col)}, {value} AS {q(alias)} FROM {events} "
            f"WHERE {' AND '.join(conds)} GROUP BY {q(id_col)}")


def to_sql_expr(cond: Condition, aliases: dict[str, str], now: dt.datetime, dialect: Dialect,
                prefix: str = "p.", schema: Mapping[str, Any] | None = None,
                event_schema: Mapping[str, Any] | None = None) -> str:
    """A SQL boolean expression for ``cond`` (``schema``: the columns' polars dtypes, when
    known; ``event_schema``: the events', for sums of integers)."""
    q = lambda n: _quote(n, dialect)  # noqa: E731 - local shorthand
    schema = schema or {}

    def sub(c: Condition) -> str:
        return to_sql_expr(c, aliases, now, dialect, prefix, schema, event_schema)

    if isinstance(cond, And):
        return "(" + " AND ".join(sub(p) for p in cond.parts) + ")"
    if isinstance(cond, Or):
        return "(" + " OR ".join(sub(p) for p in cond.parts) + ")"
    if isinstance(cond, Not):
        return f"(NOT {sub(cond.part)})"
    if isinstance(cond, InSegment):
        return sub(cond.condition)
    if not isinstance(cond, Predicate):
        raise InvalidSegmentError(f"not a condition: {type(cond).__name__}")
    t = cond.target
    if isinstance(t, Field):
        x = f"{prefix}{q(t.name)}"
    else:
        alias = aliases[t.key]
        fill = fill_value(t.agg)
        x = f"COALESCE({alias}.{q(alias)}, {fill})" if fill is not None else f"{alias}.{q(alias)}"
    op, a = cond.op, cond.args
    kind = kind_of(t, schema, event_schema)

    def compare(op: str, value: Any) -> str:  # restated in the column's own kind (._exact)
        if isinstance(value, dt.date):
            return _on_times(x, dialect, lambda c, lit: f"{c} {_SYMBOLS[op]} {lit(value)}")
        stated = restate(op, value, kind)
        if isinstance(stated, bool):  # past every value of the column: null stays null
            return f"CASE WHEN {x} IS NULL THEN NULL ELSE {sql_literal(stated)} END"
        return f"{x} {_SYMBOLS[stated[0]]} {sql_literal(stated[1], dialect)}"

    if op in _SYMBOLS:
        return f"({compare(op, a[0])})"
    if op == "between":
        lo = compare("ge" if a[2] in ("both", "left") else "gt", a[0])
        hi = compare("le" if a[2] in ("both", "right") else "lt", a[1])
        return f"({lo} AND {hi})"
    if op == "isin":
        times = [v for v in a if isinstance(v, dt.date)]
        if a and len(times) == len(a):
            return _on_times(x, dialect, lambda c, lit: (
                f"{c} IN ({', '.join(lit(v) for v in times)})"))
        stated = [restate("eq", v, kind) for v in a]
        kept = [v for s in stated if not isinstance(s, bool) for v in s[1:]]
        if not kept:
            return f"({compare('eq', a[0])})"  # no value of the column's kind: false unless null
        return f"({x} IN ({', '.join(sql_literal(v, dialect) for v in kept)}))"
    if op == "is_null":
        return f"({x} IS NULL)"
    if op == "is_not_null":
        return f"({x} IS NOT NULL)"
    if op == "contains":
        if _is_list(t, schema):
            member = list_member(a[0], schema[t.name].inner)  # type: ignore[union-attr]
            if member is NO_MEMBER:  # no element of the list's kind: false, null for null
                return f"(CASE WHEN {x} IS NULL THEN NULL ELSE FALSE END)"
            if dialect == "duckdb":
                return f"list_contains({x}, {sql_literal(member, dialect)})"
            # Spark's array_contains is NULL, not false, for a list holding a null element (NOT
            # contains then left out [null, 'music'], which polars and DuckDB select): false
            # unless the list itself is null (array_position would not coerce 1.0 to a double)
            return (f"(CASE WHEN {x} IS NULL THEN NULL ELSE "
                    f"coalesce(array_contains({x}, {sql_literal(member, dialect)}), FALSE) END)")
        if isinstance(t, Field) and t.name not in schema:  # a profile's or (where=) an event's
            given = ("schema= (column -> polars dtype, e.g. dict(population.schema))" if prefix
                     else "event_schema= (the events' column -> polars dtype)")
            raise InvalidSegmentError(
                f"contains on {t.name!r} means list membership or a substring depending on the "
                f"column's type, which to_sql does not know: pass {given}, or use "
                "Population.to_sql"
            )
        fn = "strpos" if dialect == "duckdb" else "instr"
        return f"({fn}({x}, {sql_literal(a[0], dialect)}) > 0)"
    if op == "matches":  # spelled out as every engine reads it alike
        pattern = portable(str(a[0]))
        if dialect == "duckdb":
            return f"regexp_matches({x}, {sql_literal(pattern, dialect)})"
        return f"({x} RLIKE {sql_literal(pattern, dialect)})"
    if op == "starts_with":
        return f"(left({x}, {len(str(a[0]))}) = {sql_literal(a[0], dialect)})"
    if op == "within":
        lower = now - parse_duration(str(a[0]))
        return _on_times(x, dialect, lambda c, lit: f"{c} >= {lit(lower)} AND {c} <= {lit(now)}")
    raise InvalidSegmentError(f"unknown op {op!r}")


def segment_sql(cond: Condition, dialect: Dialect, profiles: str, events: str, id_col: str,
                now: dt.datetime, schema: Mapping[str, Any],
                event_schema: Mapping[str, Any] | None = None) -> str:
    """A SELECT of the ids matching ``cond`` over tables named ``profiles`` and ``events``."""
    now = utc_now(now)
    profiles = table_sql(profiles, dialect, "profiles")
    events = table_sql(events, dialect, "events")
    if not isinstance(id_col, str) or not id_col:
        raise InvalidSegmentError(f"id= takes the name of the id column, got "
                                  f"{named(id_col)}")
    aggs = aggregates_used(cond)
    aliases = {a.key: f"a{i}" for i, a in enumerate(aggs)}
    q = lambda n: _quote(n, dialect)  # noqa: E731 - local shorthand
    subqueries = {a.key: aggregate_sql(a, events, id_col, now, aliases[a.key], dialect,
                                       event_schema) for a in aggs}
    joins = "".join(
        f" LEFT JOIN ({subqueries[a.key]}) AS "
        f"{aliases[a.key]} ON p.{q(id_col)} = {aliases[a.key]}.{q(id_col)}"
        for a in aggs
    )
    where = to_sql_expr(cond, aliases, now, dialect, "p.", schema, event_schema)
    return f"SELECT p.{q(id_col)} FROM {profiles} AS p{joins} WHERE {where}"
