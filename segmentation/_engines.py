"""The engine seam: tables as narwhals lazy frames, and the few pieces narwhals cannot express.

Segments compile once, to narwhals expressions (:mod:`._compile`), and run natively in polars,
DuckDB or Apache Spark. What narwhals does not offer on every lazy backend lives here, behind
one :class:`Engine` protocol laid out the same way for each engine:

- ``epoch_us``: a temporal column as UTC epoch microseconds (narwhals has no ``dt.timestamp``
  on DuckDB or Spark). A naive datetime is UTC; an aware one (Spark's ``TIMESTAMP``, DuckDB's
  ``TIMESTAMPTZ``, a polars zone) is an instant; a date is its UTC midnight. Windows compare
  these integers, so they mean the same instants in every engine and session time zone.
- ``window``: the rows whose time column lies between two instants, as a native filter on
  the column itself (typed literals, no per-row conversion), so that Parquet statistics and
  Spark's pushdown can skip what lies outside; exact, and the same instants as ``epoch_us``.
- ``temporal_text``: a date, datetime or time column as text written alike by every engine
  (a profile's levels): ISO 8601 with a space, the fraction without trailing zeros; a datetime
  as its instant in UTC with '+00:00' (a naive one is UTC, as above: a Spark ``TIMESTAMP``, a
  ``TIMESTAMP_NTZ`` and a naive polars column holding the same instants read alike), 'infinity'
  and '-infinity' as DuckDB writes them; years outside 1-9999 as each engine writes them.
- ``schema``: the columns as polars dtypes (what validation and ``to_sql`` read), without a scan.
- ``count`` and ``to_polars``: the two ways a result leaves the engine.
- ``check_text`` (when a population is built) and ``check_session`` (each time a segment runs):
  text compares by its bytes, as in polars, or the table is refused: a DuckDB connection's
  ``default_collation``, a column's declared collation or Spark's ``CHAR(n)`` padding would
  make ``==``, ``<``, ``isin`` and ``contains`` blind to case, accents or trailing spaces,
  silently selecting other people.

Tables come in as polars (eager or lazy), pandas, pyarrow, Parquet/CSV paths, a Spark
DataFrame, a table name with a ``SparkSession``, or a DuckDB relation (:func:`as_table`).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any, Protocol, cast

import narwhals as nw
import polars as pl

from privacy._io import (
    bookkeeping,
    csv_problem,
    dated_type,
    is_glob,
    lf_source,
    nested_type,
    polars_unreadable,
    temporal_text,
    temporal_texts,
)
from privacy._redact import safe_name

from ._checks import is_text, names_shown
from ._clock import DAY_US, INFINITE_US, sql_time_text
from ._errors import ColumnTypeError, SegmentationError
from ._exact import numbers_fit
from ._reserved import working

__all__ = ["Engine", "Table", "as_lazy", "as_table", "engine_named", "polars_epoch_us",
           "polars_level_text"]


class Engine(Protocol):
    """The per-engine pieces under the narwhals seam."""

    name: str
    #: Whether an audience keeps its ids in the engine until collected (Spark, DuckDB).
    keeps_ids: bool

    def epoch_us(self, frame: nw.LazyFrame[Any], column: str, out: str,
                 dtype: pl.DataType) -> nw.LazyFrame[Any]:
        """``frame`` with ``out``: ``column`` (a date or datetime) as UTC epoch microseconds."""
        ...

    def duration_us(self, frame: nw.LazyFrame[Any], column: str) -> nw.LazyFrame[Any]:
        """``frame`` with ``column`` (a duration) in microseconds, as a float."""
        ...

    def temporal_text(self, frame: nw.LazyFrame[Any], column: str, dtype: pl.DataType
                      ) -> nw.LazyFrame[Any]:
        """``frame`` with ``column`` (a date, datetime or time) as text, the same in every
        engine (the module's docstring says how)."""
        ...

    def nested_dates_as_text(self, frame: nw.LazyFrame[Any], column: str, dtype: pl.DataType
                             ) -> tuple[nw.LazyFrame[Any], pl.DataType]:
        """``frame`` with the dates in ``column``'s lists and structs as text, and the column's
        type then: polars writes them as ``temporal_text`` does (its cast to text panicked
        past the years it writes); DuckDB and Spark keep their own text (unchanged)."""
        ...

    def window(self, frame: nw.LazyFrame[Any], column: str, dtype: pl.DataType,
               lower_us: int | None, upper_us: int, upper_inclusive: bool
               ) -> nw.LazyFrame[Any]:
        """Rows with ``lower_us <= column`` and ``column <= upper_us`` (``<`` when not
        inclusive), in UTC epoch microseconds."""
        ...

    def schema(self, frame: nw.LazyFrame[Any]) -> dict[str, pl.DataType]:
        """The columns as polars dtypes, read from the plan (no scan)."""
        ...

    def count(self, frame: nw.LazyFrame[Any]) -> int:
        """How many rows."""
        ...

    def to_polars(self, frame: nw.LazyFrame[Any]) -> pl.DataFrame:
        """The rows, collected to the caller's process as polars."""
        ...

    def check_text(self, frame: nw.LazyFrame[Any], what: str,
                   schema: dict[str, pl.DataType]) -> None:
        """Refuse a table whose text would not compare by its bytes (a collation, a padding),
        when a population is built."""
        ...

    def check_session(self, frame: nw.LazyFrame[Any], what: str) -> None:
        """Each time a segment runs: refuse a session setting (changed since the population was
        built) under which the table's text would not compare by its bytes."""
        ...


def _utc(us: int) -> dt.datetime:
    """Epoch microseconds as a naive UTC datetime (exact)."""
    return dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=us)


class _Common:
    name = "engine"
    keeps_ids = True

    def window(self, frame: nw.LazyFrame[Any], column: str, dtype: pl.DataType,
               lower_us: int | None, upper_us: int, upper_inclusive: bool
               ) -> nw.LazyFrame[Any]:
        """The portable form: compare epoch microseconds (a temporary column)."""
        us = working("window_us")
        frame = self.epoch_us(frame, column, us, dtype)
        keep = nw.col(us) <= upper_us if upper_inclusive else nw.col(us) < upper_us
        if lower_us is not None:
            keep = keep & (nw.col(us) >= lower_us)
        return frame.filter(keep).drop(us)

    def epoch_us(self, frame: nw.LazyFrame[Any], column: str, out: str,
                 dtype: pl.DataType) -> nw.LazyFrame[Any]:
        raise NotImplementedError

    def temporal_text(self, frame: nw.LazyFrame[Any], column: str, dtype: pl.DataType
                      ) -> nw.LazyFrame[Any]:
        raise NotImplementedError

    def nested_dates_as_text(self, frame: nw.LazyFrame[Any], column: str, dtype: pl.DataType
                             ) -> tuple[nw.LazyFrame[Any], pl.DataType]:
        return frame, dtype

    def duration_us(self, frame: nw.LazyFrame[Any], column: str) -> nw.LazyFrame[Any]:
        # whatever the column's unit (a cast to a number read milliseconds as they are)
        return frame.with_columns(nw.col(column).dt.total_microseconds().cast(nw.Float64))

    def count(self, frame: nw.LazyFrame[Any]) -> int:
        return int(self.to_polars(frame.select(nw.len().alias("n")))["n"][0])

    def check_text(self, frame: nw.LazyFrame[Any], what: str,
                   schema: dict[str, pl.DataType]) -> None:
        """polars compares text by its bytes (no collations)."""

    def check_session(self, frame: nw.LazyFrame[Any], what: str) -> None:
        """No session setting changes how polars (or Spark, whose collations and CHAR padding
        are the columns' own) compares text."""

    def to_polars(self, frame: nw.LazyFrame[Any]) -> pl.DataFrame:
        with numbers_fit():
            return frame.collect(backend="polars").to_native()

    def schema(self, frame: nw.LazyFrame[Any]) -> dict[str, pl.DataType]:
        return dict(self.to_polars(frame.head(0)).schema)


def polars_epoch_us(column: str, dtype: pl.DataType) -> pl.Expr:
    """A date or datetime column as UTC epoch microseconds, held within
    :data:`INFINITE_US` (polars reads DuckDB's 'infinity' as the largest Int64)."""
    limit = INFINITE_US
    if dtype == pl.Date:  # days first (polars panicked casting a date past the year 294,247,
        # as it reads DuckDB's 'infinity', to microseconds)
        days = pl.col(column).cast(pl.Int32).cast(pl.Int64)
        return days.clip(-(limit // DAY_US), limit // DAY_US) * DAY_US
    return pl.col(column).dt.epoch("us").clip(-limit, limit)


#: A fraction's trailing zeros (polars pads it to the column's unit; DuckDB and Spark do not)
_TRAILING_ZEROS = r"(\.[0-9]*[1-9])0+$|\.0+$"


def _level_text(column: pl.Expr, dtype: Any) -> pl.Expr:
    """One date, datetime or time as :meth:`Engine.temporal_text` writes it."""
    aware = isinstance(dtype, pl.Datetime) and dtype.time_zone is not None
    if aware:  # the same instants, labelled UTC and then naive: no value changes
        column = column.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
    # (a time's cast to text dropped its fraction: 00:00:00.123 read '00:00:00')
    text = column.dt.strftime("%H:%M:%S%.f") if dtype == pl.Time else temporal_text(column)
    text = text.str.replace(_TRAILING_ZEROS, "${1}")
    if isinstance(dtype, pl.Datetime):
        text = pl.when(text.str.ends_with("infinity")).then(text).otherwise(text + "+00:00")
    return text


def polars_level_text(column: pl.Expr, dtype: Any) -> pl.Expr:
    """``column`` with its dates, datetimes and times (in lists and structs too) as
    :meth:`Engine.temporal_text` writes them, never panicking: polars' own cast panicked past
    the years it can write (DuckDB's 'infinity' as polars reads it)."""
    return temporal_texts(column, dtype, _level_text)


class PolarsEngine(_Common):
    """polars' lazy engine; audiences collect their ids (polars is in-process)."""

    name = "polars"
    keeps_ids = False

    def epoch_us(self, frame: nw.LazyFrame[Any], column: str, out: str,
                 dtype: pl.DataType) -> nw.LazyFrame[Any]:
        native = frame.to_native().with_columns(polars_epoch_us(column, dtype).alias(out))
        return nw.from_native(native)

    def schema(self, frame: nw.LazyFrame[Any]) -> dict[str, pl.DataType]:
        return dict(frame.to_native().collect_schema())

    def temporal_text(self, frame: nw.LazyFrame[Any], column: str, dtype: pl.DataType
                      ) -> nw.LazyFrame[Any]:
        native = frame.to_native()
        return nw.from_native(native.with_columns(
            polars_level_text(pl.col(column), dtype).alias(column)))

    def nested_dates_as_text(self, frame: nw.LazyFrame[Any], column: str, dtype: pl.DataType
                             ) -> tuple[nw.LazyFrame[Any], pl.DataType]:
        if nested_type(dtype, dated_type) is None:
            return frame, dtype
        native = frame.to_native().with_columns(
            polars_level_text(pl.col(column), dtype).alias(column))
        return nw.from_native(native), native.collect_schema()[column]

    def window(self, frame: nw.LazyFrame[Any], column: str, dtype: pl.DataType,
               lower_us: int | None, upper_us: int, upper_inclusive: bool
               ) -> nw.LazyFrame[Any]:
        if not (isinstance(dtype, pl.Datetime) and dtype.time_zone is None):
            return super().window(frame, column, dtype, lower_us, upper_us, upper_inclusive)
        col = pl.col(column)  # naive: a UTC wall clock, compared with naive UTC literals
        keep = col <= _utc(upper_us) if upper_inclusive else col < _utc(upper_us)
        if lower_us is not None:
            keep = keep & (col >= _utc(lower_us))
        return nw.from_native(frame.to_native().filter(keep))

    def to_polars(self, frame: nw.LazyFrame[Any]) -> pl.DataFrame:
        with numbers_fit():
            return frame.to_native().collect()


#: How a collation other than the binary one compares text (the engines' refusals say so).
_NOT_BYTES = ("other than by its bytes (without regard to case, accents or trailing spaces, "
              "or by a language's rules)")
#: DuckDB's names of its default collation, which compares text by its bytes.
_DUCKDB_BINARY = frozenset({"", "binary", "c", "posix"})


def _duckdb_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


#: DuckDB's 128-bit integer types as polars holds them (UInt128 from polars 1.34 on)
_DUCKDB_WIDE: dict[str, Any] = {"HUGEINT": pl.Int128, "HUGEINT[]": pl.List(pl.Int128)}
if hasattr(pl, "UInt128"):
    _DUCKDB_WIDE |= {"UHUGEINT": pl.UInt128, "UHUGEINT[]": pl.List(pl.UInt128)}


class DuckDBEngine(_Common):
    """A DuckDB relation: segments run as DuckDB queries."""

    name = "duckdb"

    def check_session(self, frame: nw.LazyFrame[Any], what: str) -> None:
        """The connection's ``default_collation``, read each time a segment runs (a setting can
        change after the population is built): another than the binary one makes DuckDB
        compare text without case or accents, or by a language's rules."""
        import duckdb

        try:
            rows = frame.to_native().query(
                working("table"), "SELECT current_setting('default_collation')").fetchall()
        except duckdb.Error:  # a DuckDB without the setting: nothing to check
            rows = []
        value = str(rows[0][0] if rows else "").strip()
        if value.lower() not in _DUCKDB_BINARY:
            raise SegmentationError(
                f"the {what}' DuckDB connection sets default_collation to "
                f"{safe_name(value[:40])!r}, under which DuckDB compares text {_NOT_BYTES}: "
                "segments would select other people than in polars or Spark. Run SET "
                "default_collation = '' on that connection, or give the population a "
                "connection of its own")

    def check_text(self, frame: nw.LazyFrame[Any], what: str,
                   schema: dict[str, pl.DataType]) -> None:
        """The connection's setting, and the text columns: one declared ``COLLATE NOCASE``
        cannot be compared with binary text (DuckDB's binder says so, without reading a row)."""
        import duckdb

        self.check_session(frame, what)
        relation, view = frame.to_native(), working("table")

        def binary(columns: list[str]) -> bool:
            tests = ", ".join(f"{_duckdb_name(c)} = (NULL::VARCHAR COLLATE C)" for c in columns)
            try:
                # names quoted as DuckDB quotes them; the view is the library's working name
                relation.query(view, f"SELECT {tests} FROM {view} LIMIT 0").fetchall()  # noqa: S608
            except duckdb.Error as exc:
                return "collation" not in str(exc).lower()
            return True

        text = [c for c, t in schema.items() if t == pl.String]
        if text and not binary(text):
            collated = [c for c in text if not binary([c])]
            raise SegmentationError(
                f"{what} columns {names_shown(collated)} have a collation under which DuckDB "
                f"compares their text {_NOT_BYTES}: segments would select other people than in "
                "polars or Spark. Select them as plain text first, e.g. rel.project('* REPLACE "
                "(name COLLATE C AS name)')")

    def to_polars(self, frame: nw.LazyFrame[Any]) -> pl.DataFrame:
        """The rows as polars, 128-bit integers as polars' own: DuckDB hands HUGEINT and
        UHUGEINT to Arrow as DECIMAL(38, 0), which made a HUGEINT compared with a decimal cast
        to DECIMAL(38, 0) (failing past 38 digits) and turned UHUGEINTs past 2**127 into
        negative numbers, silently. They travel as text and are read back exactly."""
        relation = frame.to_native()
        wide = {c: _DUCKDB_WIDE[str(t)] for c, t in zip(relation.columns, relation.types,
                                                          strict=True)
                if str(t) in _DUCKDB_WIDE}
        if not wide:
            return super().to_polars(frame)
        texts = ", ".join(
            f"CAST({_duckdb_name(c)} AS {'VARCHAR[]' if isinstance(k, pl.List) else 'VARCHAR'})"
            f" AS {_duckdb_name(c)}" for c, k in wide.items())
        table = super().to_polars(nw.from_native(relation.project(f"* REPLACE ({texts})")))
        return table.with_columns(pl.col(c).cast(kind) for c, kind in wide.items())

    def epoch_us(self, frame: nw.LazyFrame[Any], column: str, out: str,
                 dtype: pl.DataType) -> nw.LazyFrame[Any]:
        import duckdb

        col = duckdb.ColumnExpression(column)
        if dtype == pl.Date:
            col = col.cast(duckdb.sqltypes.TIMESTAMP)
        if isinstance(dtype, pl.Datetime) and dtype.time_unit == "ns":
            # floored as polars floors (DuckDB's casts round; TIMESTAMPTZ_NS has no epoch_us)
            ns = duckdb.FunctionExpression("epoch_ns", col)
            k = duckdb.ConstantExpression(1000)
            value = (ns - ((ns % k) + k) % k) // k
        else:
            value = duckdb.FunctionExpression("epoch_us", col)
        # DuckDB's 'infinity' and '-infinity' have no epoch (NULL): past every instant, as
        # DuckDB compares them (isinf takes no TIMESTAMPTZ_NS)
        infinite = value.isnull() & col.isnotnull()
        late = col > duckdb.ConstantExpression(dt.datetime(1970, 1, 1))
        value = (duckdb.CaseExpression(infinite & late, duckdb.ConstantExpression(INFINITE_US))
                 .when(infinite, duckdb.ConstantExpression(-INFINITE_US))
                 .otherwise(value)).alias(out)
        return nw.from_native(frame.to_native().select(duckdb.StarExpression(), value))

    def temporal_text(self, frame: nw.LazyFrame[Any], column: str, dtype: pl.DataType
                      ) -> nw.LazyFrame[Any]:
        """DuckDB's own text (no trailing zeros), an instant's at UTC ('infinity' as it is)."""
        import duckdb

        value = duckdb.ColumnExpression(column)
        relation = frame.to_native()
        aware = isinstance(dtype, pl.Datetime) and dtype.time_zone is not None
        if aware:
            value = duckdb.FunctionExpression("timezone", duckdb.ConstantExpression("UTC"), value)
        elif dtype == pl.Time and str(dict(zip(relation.columns, relation.types, strict=True))[
                column]) == "TIME WITH TIME ZONE":  # its local time, as DuckDB hands it to Arrow
            value = value.cast(duckdb.sqltypes.TIME)
        text = value.cast(duckdb.sqltypes.VARCHAR)
        if isinstance(dtype, pl.Datetime):
            far = text.isnull() | text.isin(duckdb.ConstantExpression("infinity"),
                                            duckdb.ConstantExpression("-infinity"))
            # (concat reads NULL as '')
            text = duckdb.CaseExpression(far, text).otherwise(duckdb.FunctionExpression(
                "concat", text, duckdb.ConstantExpression("+00:00")))
        return nw.from_native(relation.select(duckdb.StarExpression(exclude=[column]),
                                              text.alias(column)))


class SparkEngine(_Common):
    """A Spark DataFrame: segments run as Spark jobs; audiences stay Spark DataFrames."""

    name = "spark"

    def check_text(self, frame: nw.LazyFrame[Any], what: str,
                   schema: dict[str, pl.DataType]) -> None:
        """A table's CHAR(n) columns compare padded with spaces, and Spark 4's collated text
        columns (``STRING COLLATE UTF8_LCASE``, in lists too) by their collation's rules."""
        fields = frame.to_native().schema.fields
        padded = [f.name for f in fields if str((f.metadata or {}).get(
            "__CHAR_VARCHAR_TYPE_STRING", "")).lower().startswith("char(")]
        if padded:
            raise SegmentationError(
                f"{what} columns {names_shown(padded)} are CHAR(n), which Spark compares padded "
                "with spaces ('ab' equals 'ab   '), where polars and DuckDB compare the text as "
                "read ('ab   '): segments would select other people. Cast them first: "
                "F.rtrim(name) to compare the text as written, or F.col(name).cast('string') to "
                "keep the padding")
        collated = [f.name for f in fields if _collations(f.dataType) - {"UTF8_BINARY"}]
        if collated:
            raise SegmentationError(
                f"{what} columns {names_shown(collated)} have a collation under which Spark "
                f"compares their text {_NOT_BYTES}: segments would select other people than in "
                "polars or DuckDB. Cast them to plain text first, e.g. df.withColumn(name, "
                "F.col(name).cast('string')) (lists: .cast('array<string>'))")

    def count(self, frame: nw.LazyFrame[Any]) -> int:
        with numbers_fit():
            return int(frame.to_native().count())  # Spark's own count: no Arrow round trip

    def to_polars(self, frame: nw.LazyFrame[Any]) -> pl.DataFrame:
        """The rows through Arrow, nested fields declared non-nullable loosened first: a struct
        whose fields Spark knows are never null (``struct(a)`` of a NOT NULL column) can
        itself be null (a left join's unmatched rows), and pyspark's conversion to Arrow then
        failed with a raw ArrowInvalid ('nulls in input cannot be viewed as non-nullable')."""
        from pyspark.sql import functions as F

        native = frame.to_native()
        loose = {f.name: kind for f in native.schema.fields
                 if (kind := _nullable(f.dataType)) != f.dataType}
        if loose:
            frame = nw.from_native(native.withColumns({
                c: F.col("`" + c.replace("`", "``") + "`").cast(kind)
                for c, kind in loose.items()}))
        return super().to_polars(frame)

    def epoch_us(self, frame: nw.LazyFrame[Any], column: str, out: str,
                 dtype: pl.DataType) -> nw.LazyFrame[Any]:
        from pyspark.sql import functions as F
        from pyspark.sql import types as T

        native = frame.to_native()
        kind = native.schema[column].dataType
        quoted = "`" + column.replace("`", "``") + "`"
        if isinstance(kind, T.DateType):
            value = F.unix_date(F.col(quoted)).cast("long") * F.lit(DAY_US)
        elif isinstance(kind, T.TimestampNTZType):
            # a wall clock read as UTC, by arithmetic (no session zone; Spark 3.5 has no
            # unix_micros for TIMESTAMP_NTZ, nor timestamp_diff in Python): the SQL text names
            # a working copy, never the column, whose name Spark's variable substitution would
            # rewrite ('${x}' in it became '')
            copy = working("ntz")
            value = F.expr("timestampdiff(MICROSECOND, TIMESTAMP_NTZ'1970-01-01 00:00:00', "
                           f"`{copy}`)")
            native = native.withColumn(copy, F.col(quoted))
            return nw.from_native(native.withColumn(out, value).drop(copy))
        else:  # TIMESTAMP is an instant
            value = F.unix_micros(F.col(quoted))
        return nw.from_native(native.withColumn(out, value))

    def temporal_text(self, frame: nw.LazyFrame[Any], column: str, dtype: pl.DataType
                      ) -> nw.LazyFrame[Any]:
        """Spark's own text (no trailing zeros); a TIMESTAMP, an instant, at UTC by arithmetic
        (its text is in the session's zone, where DST makes some wall clocks twice)."""
        from pyspark.sql import functions as F
        from pyspark.sql import types as T

        native = frame.to_native()
        quoted = "`" + column.replace("`", "``") + "`"
        kind = native.schema[column].dataType
        if isinstance(kind, T.TimestampType):
            copy = working("ltz")  # the SQL text names a working copy, as in epoch_us
            # days, seconds and microseconds added apart: Spark 3.5's timestampadd takes a
            # 32-bit quantity (2020's microseconds overflowed it)
            us, day = f"unix_micros(`{copy}`)", 86_400_000_000
            rest = f"pmod({us}, {day})"
            utc = F.expr(
                f"timestampadd(MICROSECOND, CAST({rest} % 1000000 AS INT), "
                f"timestampadd(SECOND, CAST({rest} div 1000000 AS INT), "
                f"timestampadd(DAY, CAST(({us} - {rest}) div {day} AS INT), "
                "TIMESTAMP_NTZ'1970-01-01 00:00:00')))")
            native = native.withColumn(copy, F.col(quoted))
            text = F.concat(utc.cast("string"), F.lit("+00:00"))
            return nw.from_native(native.withColumn(column, text).drop(copy))
        text = F.col(quoted).cast("string")
        if isinstance(kind, T.TimestampNTZType):  # a UTC wall clock
            text = F.concat(text, F.lit("+00:00"))
        return nw.from_native(native.withColumn(column, text))

    def duration_us(self, frame: nw.LazyFrame[Any], column: str) -> nw.LazyFrame[Any]:
        """A day-time interval's fields added up (Spark casts no interval of several fields
        to a number, and narwhals has no total_microseconds for Spark)."""
        from pyspark.sql import functions as F

        native = frame.to_native()
        col = F.col("`" + column.replace("`", "``") + "`")

        def field(name: str) -> Any:
            return F.extract(F.lit(name), col).cast("double")

        minutes = (field("DAY") * 24 + field("HOUR")) * 60 + field("MINUTE")
        return nw.from_native(native.withColumn(column, minutes * 60e6 + field("SECOND") * 1e6))

    def window(self, frame: nw.LazyFrame[Any], column: str, dtype: pl.DataType,
               lower_us: int | None, upper_us: int, upper_inclusive: bool
               ) -> nw.LazyFrame[Any]:
        from pyspark.sql import functions as F
        from pyspark.sql import types as T

        native = frame.to_native()
        kind = native.schema[column].dataType
        if isinstance(kind, T.TimestampNTZType):
            def literal(us: int) -> Any:  # a UTC wall clock, written from a datetime
                return F.expr(f"TIMESTAMP_NTZ'{sql_time_text(_utc(us))}'")
        elif isinstance(kind, T.TimestampType):
            def literal(us: int) -> Any:  # an instant: an aware datetime is converted exactly
                return F.lit(_utc(us).replace(tzinfo=dt.timezone.utc))
        else:
            return super().window(frame, column, dtype, lower_us, upper_us, upper_inclusive)
        col = F.col("`" + column.replace("`", "``") + "`")
        keep = col <= literal(upper_us) if upper_inclusive else col < literal(upper_us)
        if lower_us is not None:
            keep = keep & (col >= literal(lower_us))
        return nw.from_native(native.filter(keep))


def _nullable(kind: Any) -> Any:
    """A Spark type with every nested field, item and value nullable."""
    from pyspark.sql import types as T

    if isinstance(kind, T.StructType):
        return T.StructType([T.StructField(f.name, _nullable(f.dataType), True, f.metadata)
                             for f in kind.fields])
    if isinstance(kind, T.ArrayType):
        return T.ArrayType(_nullable(kind.elementType), True)
    if isinstance(kind, T.MapType):
        return T.MapType(kind.keyType, _nullable(kind.valueType), True)
    return kind


def _collations(kind: Any) -> set[str]:
    """The collations of a Spark type's text, at any depth (none before Spark 4)."""
    found = set()
    collation = getattr(kind, "collation", None)
    if isinstance(collation, str):
        found.add(collation.upper())
    for child in (getattr(kind, "elementType", None), getattr(kind, "keyType", None),
                  getattr(kind, "valueType", None)):
        if child is not None:
            found |= _collations(child)
    for field in getattr(kind, "fields", None) or ():
        found |= _collations(field.dataType)
    return found


_ENGINES: dict[str, Engine] = {"polars": PolarsEngine(), "duckdb": DuckDBEngine(),
                               "spark": SparkEngine()}


def engine_named(name: str) -> Engine:
    return _ENGINES[name]


#: Dates and times written year first (ISO 8601, or with slashes), with an optional time and
#: UTC offset: the forms read the same by every reader.
_YEAR_FIRST = (r"^\d{4}(-\d{2}-\d{2}|/\d{2}/\d{2})"
               r"([T ]\d{2}:\d{2}(:\d{2}([.,]\d{1,9})?)?\s*(Z|[+-]\d{2}(:?\d{2})?)?)?$")
#: Numbers whose text a number would not keep: leading zeros ('007', '-01') or a plus sign.
_WRITTEN_AS_TEXT = r"^(\+|-?0\d)"


def _scan_csv(path: Path, what: str, text_column: str | None = None) -> pl.LazyFrame:
    """A CSV file, each column typed from all of its rows, its year-first date and time
    columns parsed; where a type would change what a cell says, the column stays text.

    polars types a column from its first 100 rows by default: a later 'x200' among numbers
    stopped every read with a parse error, so numbers, booleans and text are typed from every
    row (polars' own inference over the whole file; dates are not inferred there, which takes
    a minute for a few million cells). A number written with leading zeros or a plus sign
    ('007', '02139', '+4420...': ids, postcodes, phones) would lose them as a number, so such
    a column stays text. polars would also read '01/02/2026' as a date, the 1st of February
    (day first) whenever no day past the 12th tells it otherwise, where a US file means the
    2nd of January: a date or time column (as polars reads the first rows) is parsed only when
    every cell is written year first and parses as that type; otherwise it stays text, never
    guessed at. Every cell is read here, so that bytes that are not UTF-8 and rows longer than
    the header are a clear error now, not a parse error at some later step; the scan returned
    has its schema given, so no later step infers it again. ``text_column``: a column read as
    text whatever it holds. Lines that end in a carriage return alone (Excel's "CSV
    (Macintosh)") are read as lines, not as one header row."""
    source = lf_source(path)
    try:
        schema: dict[str, Any] = dict(
            pl.scan_csv(source, glob=False, infer_schema_length=None).collect_schema())
        dated = pl.scan_csv(source, glob=False, try_parse_dates=True).collect_schema()
        temporal = [c for c, t in dated.items() if schema.get(c) == pl.Utf8
                    and (t == pl.Date or isinstance(t, pl.Datetime)) and c != text_column]
        numeric = [c for c, t in schema.items() if t.is_numeric()]
        cells = {c: pl.col(c).str.strip_chars() for c in temporal + numeric}
        checks = (pl.scan_csv(source, glob=False, infer_schema=False)
                  .select([cells[c].str.contains(_YEAR_FIRST).all() for c in temporal]
                          + [~cells[c].str.contains(_WRITTEN_AS_TEXT).any() for c in numeric]
                          + [pl.all().str.len_bytes().sum().name.prefix("\0")])
                  .collect().row(0, named=True))
        schema.update({c: pl.Utf8 for c in numeric if not checks[c]})
        if text_column in schema:
            schema[text_column] = pl.Utf8
        _parse_times(source, schema, {c: dated[c] for c in temporal if checks[c]})
    except pl.exceptions.PolarsError as exc:  # never str(exc): polars quotes the cells
        reason = str(exc).lower()
        raise SegmentationError(
            f"{what} file {safe_name(path.name)} " + (
                "holds bytes that are not UTF-8 text: save it as UTF-8 (in Excel: CSV UTF-8)"
                if "utf-8" in reason or "utf8" in reason else
                "is empty; a CSV needs a header row"
                if isinstance(exc, pl.exceptions.NoDataError) else
                f"could not be read: {problem}"
                if (problem := csv_problem(source)) else
                f"could not be read as a CSV with a header row ({type(exc).__name__})")) from None
    return pl.scan_csv(source, glob=False, schema=schema)


def _parse_times(source: Path | bytes, schema: dict[str, Any], times: dict[str, Any]
                 ) -> None:
    """Give ``schema`` the date/time types of ``times`` whose every cell parses as such (polars
    refuses a cell in another form, '2026-11-30' in a column of instants); the others stay
    text. One pass when all parse, as they usually do."""
    def parses(columns: dict[str, Any]) -> bool:
        try:
            pl.scan_csv(source, glob=False, schema={**schema, **columns}) \
                .select(pl.col(*columns).null_count()).collect()
        except pl.exceptions.ComputeError:
            return False
        return True

    if times and not parses(times):
        times = {c: t for c, t in times.items() if parses({c: t})}
    schema.update(times)


class Table:
    """One table of a population: its narwhals frame and the engine that runs it."""

    def __init__(self, frame: nw.LazyFrame[Any], engine: Engine,
                 schema: dict[str, pl.DataType] | None = None, what: str = "table") -> None:
        self.frame = frame
        self.engine = engine
        self._schema = schema
        self.what = what

    @property
    def schema(self) -> dict[str, pl.DataType]:
        if self._schema is None:
            self._schema = _readable_schema(self.engine, self.frame, self.what)
        return self._schema

    @property
    def native(self) -> Any:
        return self.frame.to_native()


#: What reading a column polars has no type for raises: the engine's own error, or polars'
#: Rust panic (a BaseException: DuckDB's INTERVAL and UNION columns)
_UNREADABLE = (Exception, pl.exceptions.PanicException)
#: DuckDB's type ids that polars cannot read, nested ones too (it panics on them)
_DUCKDB_UNREADABLE = frozenset({"interval", "union"})


def _duckdb_unreadable(dtype: Any) -> bool:
    """Whether a DuckDB type is or holds one polars cannot read (a list of INTERVALs, say)."""
    if dtype.id in _DUCKDB_UNREADABLE:
        return True
    if dtype.id not in ("list", "array", "struct", "map"):  # enums' children are values
        return False
    return any(_duckdb_unreadable(child) for _, child in dtype.children
               if not isinstance(child, (int, list)))


#: Spark's types a population cannot run on: a TIME column (Spark 4.1 on) failed every
#: segment of its table with an AnalysisException, UNSUPPORTED_TIME_TYPE (only literals take
#: it), and a VARIANT reached polars as a struct of bytes that Spark cannot group by
_SPARK_UNREADABLE = frozenset({"TimeType", "VariantType"})


def _spark_unreadable(kind: Any) -> bool:
    """Whether a Spark type is or holds one of :data:`_SPARK_UNREADABLE`."""
    if type(kind).__name__ in _SPARK_UNREADABLE:
        return True
    children = [getattr(kind, a, None) for a in ("elementType", "keyType", "valueType")]
    children += [f.dataType for f in getattr(kind, "fields", None) or ()]
    return any(_spark_unreadable(c) for c in children if c is not None)


def _readable_schema(engine: Engine, frame: nw.LazyFrame[Any], what: str
                     ) -> dict[str, pl.DataType]:
    """The table's polars schema; columns of a type polars cannot hold (DuckDB INTERVAL or
    UNION, Spark year-month intervals) are named in the package's error, not a panic."""
    native = frame.to_native()
    # DuckDB's types say which columns polars would panic on (a Rust panic on stderr)
    unreadable = [c for c, t in zip(native.columns, native.types, strict=True)
                  if _duckdb_unreadable(t)] if _is_duckdb(native) else []
    if _is_spark(native):
        unreadable = [f.name for f in native.schema.fields if _spark_unreadable(f.dataType)]
    kinds: dict[str, str] = {}
    if not unreadable:
        try:
            schema = engine.schema(frame)
        except _UNREADABLE:
            for column in frame.columns:
                try:
                    engine.schema(frame.select(nw.col(column)))
                except _UNREADABLE:
                    unreadable.append(column)
            if not unreadable:
                raise
        else:  # a Parquet scan's schema can hold what polars reads no row of
            kinds = {c: kind for c, t in schema.items()
                     if (kind := polars_unreadable(t)) is not None}
            if not kinds:
                return schema
            unreadable = list(kinds)
    if _is_duckdb(native):
        kinds = dict(zip(native.columns, (str(t) for t in native.types), strict=True))
    elif _is_spark(native):
        kinds = {f.name: f.dataType.simpleString() for f in native.schema.fields}
    shown = ", ".join(f"{names_shown([c])} ({safe_name(kinds.get(c, '?'))[:40]})"
                      for c in unreadable[:10])
    raise ColumnTypeError(
        f"the {what} have columns of a type audiencekit cannot read: {shown}. Leave them out "
        "or cast them first (polars: .drop(name) or a cast to Float64 or text; DuckDB: "
        "rel.project('* EXCLUDE (name)'); Spark: df.drop(name) or a cast to a number, text, "
        "date or timestamp)") from None


def _duckdb_as_text(relation: Any) -> Any:
    """UUID and JSON columns (and lists of them) cast to VARCHAR: polars reads them as text,
    and so must DuckDB, which compared them as UUID or JSON values (``== 'a'`` failed to
    convert 'a'; an upper-case UUID equalled its lower-case text)."""
    casts = {"UUID": "VARCHAR", "JSON": "VARCHAR", "UUID[]": "VARCHAR[]", "JSON[]": "VARCHAR[]"}
    replaced = [f"CAST({_duckdb_name(c)} AS {casts[str(t)]}) AS {_duckdb_name(c)}"
                for c, t in zip(relation.columns, relation.types, strict=True)
                if str(t) in casts]
    return relation.project(f"* REPLACE ({', '.join(replaced)})") if replaced else relation


def _is_spark(obj: object) -> bool:
    module = type(obj).__module__
    return module.startswith("pyspark.sql") and type(obj).__name__ == "DataFrame"


def _is_duckdb(obj: object) -> bool:
    return type(obj).__module__.startswith("duckdb") and type(obj).__name__ == \
        "DuckDBPyRelation"


def as_table(table: object, what: str, spark: Any = None) -> Table:
    """A :class:`Table` from any supported input (see the module's docstring).

    With ``spark`` (a ``SparkSession``), a string is a table name in its catalog.
    """
    if spark is not None and isinstance(table, str):
        try:
            frame = spark.table(table)
        except Exception as exc:  # Spark's AnalysisException names the missing table
            raise SegmentationError(
                f"{what}: Spark has no table {table!r} ({type(exc).__name__}); give a name "
                "from spark.catalog.listTables() or a DataFrame") from None
        return Table(nw.from_native(frame), _ENGINES["spark"], what=what)
    if _is_spark(table):
        return Table(nw.from_native(table), _ENGINES["spark"], what=what)
    if _is_duckdb(table):
        return Table(nw.from_native(_duckdb_as_text(table)), _ENGINES["duckdb"], what=what)
    return Table(nw.from_native(as_lazy(table, what)), _ENGINES["polars"], what=what)


def as_tables(profiles: object, events: object, id: str, spark: Any = None,
              polars_only: bool = False) -> tuple[Table, Table | None]:
    """Profiles and events (None: no events) as :class:`Table` s (``polars_only``: read as
    :func:`as_lazy` reads them). When both are CSV files and one kept its ids as text
    (leading zeros: '007') while the other's read as numbers, both id columns are read as
    text: a CSV's ids are matched as written ('7' is not '007'), where the two types could
    not be matched at all."""

    def read(table: object, what: str) -> Table:
        if polars_only:
            return Table(nw.from_native(as_lazy(table, what)), _ENGINES["polars"], what=what)
        return as_table(table, what, spark)

    p = read(profiles, "profiles")
    e = read(events, "events") if events is not None else None
    if (e is None or spark is not None or not _is_csv(profiles) or not _is_csv(events)
            or id not in p.schema or id not in e.schema
            or is_text(p.schema[id]) == is_text(e.schema[id])):
        return p, e
    # the side whose ids read as numbers is read again, its ids as text
    table, what = (events, "events") if is_text(p.schema[id]) else (profiles, "profiles")
    again = Table(nw.from_native(_scan_csv(Path(cast(str, table)), what,
                                           text_column=id)), _ENGINES["polars"], what=what)
    return (p, again) if what == "events" else (again, e)


def _is_csv(table: object) -> bool:
    """A path of one CSV file (not a glob or a folder of CSV parts)."""
    return (isinstance(table, (str, os.PathLike)) and Path(table).suffix.lower() == ".csv"
            and Path(table).is_file())


def _folder_parts(folder: Path, what: str) -> list[Path]:
    """The data files under ``folder`` (Hive partitions ``day=.../`` included), sorted."""
    parts = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not bookkeeping(d))
        parts += [Path(root) / f for f in sorted(files) if not bookkeeping(f)]
    if not parts:
        raise SegmentationError(f"{what} folder {safe_name(folder.name or str(folder))} holds no "
                                "parts (Spark's _SUCCESS, .crc and hidden files are not parts); "
                                "give a Parquet or CSV file, or a folder of parts")
    return parts


def _glob_split(path: Path) -> tuple[Path, str] | None:
    """The folder before the first part of ``path`` holding a glob, and the rest (the
    pattern, ``**`` for any depth); None when no part holds one."""
    parts = path.parts
    for i, part in enumerate(parts):
        if is_glob(part):
            return (Path(*parts[:i]) if i else Path(".")), str(Path(*parts[i:]))
    return None


def _globbed(base: Path, pattern: str, what: str) -> list[Path]:
    """The files a glob names under ``base``, sorted (bookkeeping files and folders left
    out): ``events/*.parquet``, or across partition folders ``events/*/*.parquet`` and
    ``events/**/*.parquet``."""
    if not base.is_dir():
        raise SegmentationError(f"{what}: the folder before the pattern, "
                                f"{safe_name(base.name or str(base))}, is not a folder; check "
                                "the path")
    parts = sorted(p for p in base.glob(pattern)
                   if p.is_file() and not any(bookkeeping(x) for x in p.relative_to(base).parts))
    if not parts:
        raise SegmentationError(f"{what}: no file matches {safe_name(pattern)} under "
                                f"{safe_name(base.name or str(base))}; check the path")
    return parts


def _scan_parts(parts: list[Path], what: str, hive: bool) -> pl.LazyFrame:
    """One table of Parquet or CSV parts (all of one kind); a folder's Hive partitions
    (``day=2026-11-01/``) become columns."""
    kinds = {".pq": ".parquet"}
    found = {kinds.get(p.suffix.lower(), p.suffix.lower()) for p in parts}
    if found == {".parquet"}:
        return pl.scan_parquet(parts, hive_partitioning=hive, glob=False)
    if found == {".csv"}:
        scans = [_scan_csv(p, what) for p in parts]
        names = scans[0].collect_schema().names()
        for part, scan in zip(parts[1:], scans[1:], strict=True):
            if scan.collect_schema().names() != names:
                raise SegmentationError(f"{what}: the CSV part {safe_name(part.name)} has other "
                                        f"columns than {safe_name(parts[0].name)}; parts of one "
                                        "table share their header")
        return pl.concat(scans, how="vertical_relaxed")
    shown = ", ".join(sorted(safe_name(k or "(no suffix)") for k in found))
    if not found & {".parquet", ".csv"}:
        raise SegmentationError(f"{what} holds no Parquet parts (*.parquet) and no CSV parts "
                                f"(*.csv), only {shown}; give a Parquet or CSV file, or a "
                                "folder of parts")
    raise SegmentationError(f"{what} mixes parts of several kinds ({shown}): one table is "
                            "Parquet parts or CSV parts")


def as_lazy(table: object, what: str) -> pl.LazyFrame:
    """A LazyFrame from polars, pandas, pyarrow or a Parquet/CSV path (scanned lazily)."""
    if isinstance(table, pl.LazyFrame):
        return table
    if isinstance(table, (str, os.PathLike)):
        if not os.fspath(table).strip():
            raise SegmentationError(f"{what}: an empty path; give a Parquet or CSV file, or a "
                                    "folder of Parquet parts")
        path = Path(table)
        if not path.exists() and (split := _glob_split(path)) is not None:
            # across folders (events/*/*.parquet), their Hive partitions are columns
            base, pattern = split
            return _scan_parts(_globbed(base, pattern, what), what, hive="/" in pattern)
        if not path.exists():
            raise SegmentationError(f"{what} file not found: {safe_name(path.name)}; check the "
                                    "path")
        if path.is_dir():  # a folder of parts (Spark's output)
            return _scan_parts(_folder_parts(path, what), what, hive=True)
        if not path.is_file():  # a device or a pipe: a scan could block or never end
            raise SegmentationError(f"{what} {path.name} is not a regular file; give a Parquet "
                                    "or CSV file, or a folder of Parquet parts")
        if path.stat().st_size == 0:  # polars would fail at the first collect, anywhere
            raise SegmentationError(f"{what} file {path.name} is empty; a CSV needs a header "
                                    "row, a Parquet file its schema")
        # a name holding [ or * is that file, not a pattern
        if path.suffix.lower() in (".parquet", ".pq"):
            return pl.scan_parquet(path, glob=False)
        if _is_csv(path):
            return _scan_csv(path, what)
        raise SegmentationError(f"{what} file {path.name}: use .parquet or .csv")
    if _is_spark(table) or _is_duckdb(table):
        raise SegmentationError(
            f"{what}: this step runs in polars and does not collect a "
            f"{type(table).__module__.split('.')[0]} table by itself; collect the rows you "
            "need first (a Population over it runs segments in its own engine)")
    from privacy import PrivacyError
    from privacy._io import read_table

    try:  # in-memory tables convert once, at the boundary, as privacy does it
        return read_table(table, what=what).lazy()
    except PrivacyError as exc:
        raise SegmentationError(str(exc)) from None
