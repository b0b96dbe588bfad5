"""An audience's profile against its population, computed in the population's engine.

Only the small table of figures leaves the engine: counts per level, per list item, and means.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import narwhals as nw
import polars as pl

from privacy._io import dated_type, nested_type

from ._checks import names_shown
from ._errors import ColumnTypeError
from ._reserved import MEMBER, working

if TYPE_CHECKING:
    from ._population import Audience, Population

__all__ = ["check_countable", "grouped_raw", "level_text", "numeric_dtype", "profile_rows"]

_SCHEMA = {"feature": pl.Utf8, "value": pl.Utf8, "audience": pl.Float64,
           "population": pl.Float64, "index": pl.Float64}


def numeric_dtype(dtype: Any) -> bool:
    """A number that is not a boolean, or a duration: shown as a mean, never as levels (a
    duration's mean in microseconds: the index has no unit)."""
    return bool((dtype.is_numeric() and dtype != pl.Boolean) or isinstance(dtype, pl.Duration))


#: (polars before 1.3x has no extension types)
_MAPS_AND_EXTENSIONS = (pl.Map, *[t for t in (getattr(pl, "BaseExtension", None),) if t])


def _uncountable(dtype: Any) -> bool:
    """Maps, extension types (pyarrow's arrow.json, DuckDB's BIGNUM) and durations in lists or
    structs: levels no engine writes alike (polars casts none to text: a raw
    InvalidOperationError or ComputeError)."""
    return (nested_type(dtype, lambda t: isinstance(t, _MAPS_AND_EXTENSIONS)) is not None
            or (not isinstance(dtype, pl.Duration)
                and nested_type(dtype, lambda t: isinstance(t, pl.Duration)) is not None))


def _kind(dtype: Any) -> str:
    if dtype == pl.Object or _uncountable(dtype):
        return "object"
    if isinstance(dtype, (pl.List, pl.Array)):
        return "list"
    if numeric_dtype(dtype):
        return "numeric"
    return "level"


def check_countable(schema: Mapping[str, Any], cols: Sequence[str]) -> None:
    """Refuse columns with no levels to count nor a mean: Python objects, maps, extension types
    and durations in lists or structs (polars casts none to text, Spark and DuckDB each wrote
    them their own way)."""
    objects = [c for c in cols if _kind(schema[c]) == "object"]
    if objects:
        raise ColumnTypeError(
            f"columns {names_shown(objects)} hold Python objects, extension types, durations "
            "within lists or structs, or maps, which segments neither count nor average: "
            "leave them out (columns=[...]) or convert them to text or numbers")


def _number(column: str, dtype: Any) -> nw.Expr:
    """A numeric column as float, NaN as missing: one NaN (a failed ratio, say) made the
    mean NaN; the mean is over the known values, as for nulls, in every engine. (A duration
    is in microseconds by then: :meth:`Engine.duration_us`.)"""
    value = nw.col(column).cast(nw.Float64)
    if dtype.is_float():
        return nw.when(~nw.col(column).is_nan()).then(value)
    return value


def level_text(value: object) -> str:
    """A level as text, the same in every engine: bytes (a Binary column: hashes, say) in
    hexadecimal, where a cast to text failed on bytes that are not UTF-8 (polars) or wrote
    them escaped (DuckDB) or replaced (Spark); a struct as compact JSON, where polars and
    Spark wrote '{1}' and DuckDB "{'x': 1}"; list items that are booleans or floats as the
    shareable report writes them ('true', 'NaN', '0.0' for -0.0 too)."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=level_text)
    if isinstance(value, bool):  # as a boolean column's levels read (Python wrote 'True')
        return "true" if value else "false"
    if isinstance(value, float):  # every engine groups -0.0 with 0.0, and NaNs together
        return "NaN" if math.isnan(value) else "0.0" if value == 0 else str(value)
    return str(value)


def _holds_temporal(dtype: Any) -> bool:
    """Whether values of ``dtype`` hold dates, times or durations: collected as Python
    objects they can fail (a DuckDB 'infinity' timestamp panicked polars' conversion), so
    their levels are the engine's text."""
    return nested_type(dtype, lambda t: t.is_temporal()) is not None


def grouped_raw(dtype: Any) -> bool:
    """Levels grouped as they are, then written by :func:`level_text`."""
    return dtype == pl.Binary or (isinstance(dtype, pl.Struct) and not _holds_temporal(dtype))


def _share_row(feature: str, value: object, has_member: int, has: int, n_member: int,
               n: int) -> dict[str, Any]:
    a = has_member / n_member if n_member else None
    p = has / n if n else None
    return {"feature": feature, "value": level_text(value), "audience": a, "population": p,
            "index": (a / p) if a is not None and p else None}


def _level_counts(frame: nw.LazyFrame[Any], values: nw.Expr, population: Population,
                  top: int) -> pl.DataFrame:
    """People per level (``values`` a one-value-per-row expression named ``v``): the ``top``
    most common, most common first, ties by value."""
    counts = (frame.select(values, nw.col(MEMBER)).filter(~nw.col("v").is_null())
              .group_by("v").agg(nw.len().alias("n"),
                                 nw.col(MEMBER).cast(nw.Int64).sum().alias("k")))
    table = population._p.engine.to_polars(counts)
    return table.sort(["n", "v"], descending=[True, False]).head(top)


def profile_rows(population: Population, audience: Audience, cols: Sequence[str],
                 top: int) -> pl.DataFrame:
    """See :meth:`Population.profile`."""
    schema = population.schema
    check_countable(schema, cols)
    frame = population.membership(audience)
    engine = population._p.engine
    numeric = [c for c in cols if _kind(schema[c]) == "numeric"]
    for c in numeric:
        if isinstance(schema[c], pl.Duration):
            frame = engine.duration_us(frame, c)
    member = nw.col(MEMBER)
    totals = engine.to_polars(frame.select(
        nw.len().alias(working("n")), member.cast(nw.Int64).sum().alias(working("k")),
        *[_number(c, schema[c]).mean().alias(f"p:{c}") for c in numeric],
        *[nw.when(member).then(_number(c, schema[c])).mean().alias(f"a:{c}")
          for c in numeric],
    )).row(0, named=True)
    n, k = int(totals[working("n")]), int(totals[working("k")] or 0)
    rows: list[dict[str, Any]] = []
    for c in cols:
        kind = _kind(schema[c])
        if kind == "numeric":
            a, p = totals[f"a:{c}"], totals[f"p:{c}"]
            rows.append({"feature": c, "value": "mean", "audience": a, "population": p,
                         "index": (a / p) if a is not None and p else None})
            continue
        dtype = schema[c]
        if kind == "list":
            inner = dtype.inner  # type: ignore[attr-defined]
            if isinstance(dtype, pl.List) and dated_type(inner):  # items written alike
                items = frame.select(nw.col(c).list.unique().alias("v"), member).explode("v")
                items = engine.temporal_text(items, "v", inner)
            else:
                # polars has no list functions for arrays; other items holding dates as the
                # engine writes them (polars': never panicking)
                part, dtype = engine.nested_dates_as_text(frame, c, dtype)
                values = nw.col(c)
                if isinstance(dtype, pl.Array) or _holds_temporal(dtype):
                    values = values.cast(nw.List(nw.String))
                items = part.select(values.list.unique().alias("v"), member).explode("v")
            table = _level_counts(items, nw.col("v"), population, top)
        elif dated_type(dtype):
            table = _level_counts(engine.temporal_text(frame, c, dtype), nw.col(c).alias("v"),
                                  population, top)
        else:
            part, dtype = engine.nested_dates_as_text(frame, c, dtype)
            values = nw.col(c) if grouped_raw(dtype) else nw.col(c).cast(nw.String)
            table = _level_counts(part, values.alias("v"), population, top)
        for level, has, has_member in table.select("v", "n", "k").iter_rows():
            rows.append(_share_row(c, level, int(has_member or 0), int(has), k, n))
    return pl.DataFrame(rows, schema=_SCHEMA, strict=False)
