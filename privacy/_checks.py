"""Argument checks the privacy functions share: whole and finite numbers, progress callbacks,
inputs that must be one ordered column.

Whole numbers are a Python int or a NumPy integer, never a bool: a figure computed with NumPy
(``k = np.int64(10)``) is as much an int as a literal one; it was refused with "k must be an
int ..., got 10", which reads as if 10 were wrong.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from collections.abc import Callable, KeysView, Mapping
from collections.abc import Set as AbstractSet
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from ._errors import InputTypeError

__all__ = ["MISSING_TIME", "check_one_column", "check_progress", "finite", "keys_once",
           "standard_time", "whole"]


def whole(value: object) -> int | None:
    """``value`` as a Python int when it is a whole number (int or NumPy integer, not a
    bool); None otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        return None
    return int(value)


def finite(value: object) -> float | None:
    """``value`` as a float when it is a finite real number (NumPy's too, not a bool); None
    otherwise, an int past the float range (10**400) included."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        return None
    try:
        number = float(value)
    except (OverflowError, ValueError, ArithmeticError):
        return None
    return number if math.isfinite(number) else None


def check_progress(progress: Any) -> None:
    """A progress callback is None or callable: refused before the work starts, not after the
    first chunk was done (a True or a file name failed there as Python's TypeError)."""
    if progress is not None and not callable(progress):
        raise InputTypeError(f"progress must be a function called as progress(done, total), "
                             f"or None; got {type(progress).__name__}")


def check_one_column(values: object, what: str) -> None:
    """Refuse inputs that are not one ordered column of values: results line up with the input
    by position, so a set's arbitrary order, a table's rows or a bytes object's small integers
    would be wrong answers, not errors."""
    kind = type(values).__name__
    if isinstance(values, (bytes, bytearray, memoryview)):
        raise InputTypeError(
            f"{what} must be text or a column of values, got {kind}; decode the bytes "
            "(value.decode('utf-8')) or pass a list of values")
    if isinstance(values, (AbstractSet, Mapping)) and not isinstance(values, KeysView):
        raise InputTypeError(
            f"{what} must be an ordered column of values (a list, a Series, an array), got "
            f"{kind}: results line up with the input by position, and a {kind} has no order")
    if isinstance(values, np.ndarray) and values.ndim != 1:
        raise InputTypeError(
            f"{what} must be one column of values, got a {values.ndim}-d array of shape "
            f"{values.shape}; pass one column (a 1-d array), e.g. array[:, 0]")
    if (isinstance(values, (pl.DataFrame, pl.LazyFrame, pa.Table, pa.RecordBatch))
            or (type(values).__module__.startswith(("pandas", "pyspark"))
                and "DataFrame" in kind)):
        raise InputTypeError(
            f"{what} must be one column of values, got a table ({kind}); pass one of its "
            "columns, e.g. frame['email']")


#: What :func:`standard_time` says of pandas' NaT.
MISSING_TIME = "a missing time (pandas' NaT)"


def standard_time(value: Any) -> tuple[Any, str | None]:
    """A date or datetime of a subclass (pandas' Timestamp) as the standard library's own
    type, and what is wrong with it (None: nothing): pandas' NaT passes for a datetime but is
    a missing time (it was taken as ``now``, or raised Python's TypeError), and nanoseconds
    are past what a datetime, Spark or DuckDB hold. Other values come back as they are."""
    if not isinstance(value, dt.date) or type(value) in (dt.date, dt.datetime):
        return value, None
    if value != value:
        return value, MISSING_TIME
    if getattr(value, "nanosecond", 0):
        return value, (f"a time with nanoseconds ({type(value).__name__}); round it to "
                       "microseconds")
    if isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day, value.hour, value.minute,
                           value.second, value.microsecond, tzinfo=value.tzinfo), None
    return dt.date(value.year, value.month, value.day), None


def keys_once(pairs: list[tuple[str, Any]], refuse: Callable[[str], Exception]
              ) -> dict[str, Any]:
    """A JSON object (``json.loads``' ``object_pairs_hook``) as a dict, raising ``refuse(key)``
    for a key written twice: readers differ on which one counts (Python's json takes the last,
    others the first), so what was reviewed or signed could be read as something else."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise refuse(key)
        out[key] = value
    return out
