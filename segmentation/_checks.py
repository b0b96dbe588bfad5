"""Argument checks shared by the public functions: a wrong type or value is the package's
error naming what was received, never a comparison or attribute error from deep inside."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from typing import Any

import numpy as np
import polars as pl

from privacy._checks import finite, whole
from privacy._redact import named, safe_name, shown

from ._errors import InvalidSegmentError, SeedError

__all__ = ["check_instance", "check_int", "check_names", "check_number", "check_random_state",
           "ids_like", "is_text", "listed", "named", "names_shown", "same_id_kind", "shown",
           "whole"]


def names_shown(names: Iterable[object]) -> str:
    """Names asked for (columns, events) as an error lists them: each quoted as written unless
    it looks like a person's data (then masked), comma-separated."""
    return ", ".join(repr(safe_name(str(n))) for n in names)


def check_int(value: object, name: str, low: int | None = None) -> int:
    """``value`` as an int (NumPy integers too, never a bool or a float), at least ``low``."""
    number = whole(value)
    if number is None or (low is not None and number < low):
        bound = "" if low is None else f" of at least {low:,}"
        raise InvalidSegmentError(f"{name} must be an int{bound}, got {shown(value)}")
    return number


def check_number(value: object, name: str, low: float, high: float, *,
                 low_open: bool = False, high_open: bool = False) -> float:
    """``value`` as a finite real number within the bounds (open where said)."""
    x = finite(value) if isinstance(value, (int, float, np.integer, np.floating)) else None
    ok = x is not None and (x > low if low_open else x >= low) and (
        x < high if high_open else x <= high)
    if x is None or not ok:
        span = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise InvalidSegmentError(f"{name} must be a number within {span}, got {shown(value)}")
    return x


def check_random_state(value: object, name: str = "random_state") -> int | None:
    """None (fresh randomness) or a seed: a non-negative int."""
    if value is None:
        return None
    number = whole(value)
    if number is None or number < 0:
        raise InvalidSegmentError(f"{name} must be None or a non-negative int seed, got "
                                  f"{shown(value)}")
    return number


def check_instance(value: object, kind: type, name: str, hint: str = "") -> Any:
    """``value`` if it is a ``kind``; else the error saying what it is."""
    if not isinstance(value, kind):
        article = "an" if kind.__name__[0] in "AEIOU" else "a"
        raise InvalidSegmentError(f"{name} must be {article} {kind.__name__}, got "
                                  f"{type(value).__name__}{hint}")
    return value


def listed(value: object, name: str, usage: str) -> list[Any]:
    """Any iterable as a list; a lone str, bytes or mapping (which would be spelled out or
    read by its keys), or no iterable at all, is refused as "<name> takes <usage>".

    A set of names is taken in sorted order: a set of str iterates in another order in each
    process (hash randomization), and a lookalike's columns, a profile's rows or a segment's
    SQL must not change from one run to the next. A set of anything else has no order to
    take, and is refused."""
    if (isinstance(value, (str, bytes, bytearray, memoryview, Mapping))
            or not isinstance(value, Iterable)):
        raise InvalidSegmentError(f"{name} takes {usage}, got {type(value).__name__}")
    if isinstance(value, AbstractSet):
        if not all(isinstance(v, str) for v in value):
            raise InvalidSegmentError(f"{name} takes {usage}, got a {type(value).__name__} of "
                                      "values that have no order; pass a list")
        return sorted(value)
    return list(value)


def check_names(value: object, name: str, of: str = "column names",
                example: str = "['age']") -> list[str]:
    """A list of names (``of``: what they name) from any iterable of str (a lone str is
    refused, not spelled out letter by letter)."""
    names = listed(value, name, f"a list of {of}, e.g. {example}")
    bad = [n for n in names if not isinstance(n, str)]
    if bad:
        raise InvalidSegmentError(f"{name} takes {of} (str), got {type(bad[0]).__name__}")
    twice = sorted(n for n, count in Counter(names).items() if count > 1)
    if twice:  # polars' DuplicateError from a select, before
        raise InvalidSegmentError(f"{names_shown(twice)} is in {name} more than once; name "
                                  "each once")
    return names


def check_not_id(columns: Iterable[str], id_column: str, name: str) -> None:
    """The id column asked for as a feature is refused: an id names a person, it is no trait
    (selected beside itself, it was polars' DuplicateError)."""
    if id_column in columns:
        raise InvalidSegmentError(
            f"the id column {names_shown([id_column])} is in {name}: an id names a person and "
            "is no trait to describe or learn from; leave it out")


def is_text(dtype: Any) -> bool:
    """Whether a polars dtype holds text (String, Categorical or Enum)."""
    return bool(dtype == pl.Utf8 or isinstance(dtype, (pl.Categorical, pl.Enum)))


def same_id_kind(a: Any, b: Any) -> bool:
    """Whether ids of these two dtypes can be matched without a guess: the same type, both
    integers, both text, or one side all null (polars' Null type)."""
    return bool(a == b or pl.Null in (a, b) or (a.is_integer() and b.is_integer())
                or (is_text(a) and is_text(b)))


def _whole_kind(dtype: Any) -> bool:
    return bool(dtype.is_integer() or (dtype.is_decimal() and (dtype.scale or 0) == 0))


def ids_like(values: Any, dtype: Any, what: str) -> Any:
    """``values`` (a polars Series, array or list of ids) in the ids' own ``dtype``, as a
    polars Series; ids of another kind are a SeedError, never cast into a guess.

    Integer ids take integers and whole floats (a pandas integer column with gaps is float);
    ``1.5`` or the text ``"0123"`` name nobody rather than person 1 or 123. Integers and
    decimals of scale 0 (Spark's DECIMAL(20, 0) for unsigned 64-bit ids, DuckDB's HUGEINT)
    take each other, exactly. Text ids take text. Nulls are refused: a null id names nobody,
    and dropping it quietly would lose it.
    """
    if isinstance(values, pl.Series):
        series = values
    else:
        items = values.tolist() if isinstance(values, np.ndarray) else list(values)
        try:
            series = pl.Series("ids", items)
        except (TypeError, ValueError, OverflowError, pl.exceptions.PolarsError):
            raise SeedError(f"{what} mix kinds of values: give ids of one type, like the "
                            f"population's ({dtype})") from None
    if series.null_count():
        raise SeedError(f"{what} hold nulls ({series.null_count():,} of {len(series):,}): "
                        "drop them first")
    given = series.dtype
    if given == pl.Null or len(series) == 0:
        return series.cast(dtype)
    if dtype.is_integer() and given.is_float():
        finite = series.is_finite() & (series == series.floor())
        if not finite.all():
            raise SeedError(f"{what} hold {int((~finite).sum()):,} numbers that are not whole, "
                            f"and the population's ids are {dtype}")
    elif _whole_kind(dtype) and _whole_kind(given):
        pass  # cast exactly below; one out of range is an error there
    elif not same_id_kind(given, dtype):
        raise SeedError(f"{what} are {given} but the population's ids are {dtype}: convert "
                        "them to the ids' type first")
    try:
        return series.cast(dtype, strict=True)
    except pl.exceptions.PolarsError:
        raise SeedError(f"{what} hold values outside the range of the population's ids "
                        f"({dtype})") from None
