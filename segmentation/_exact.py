"""Numbers compared as numbers, whatever their kinds, in every engine.

Engines compare an integer column with a float literal, or a float column with an integer
literal, as doubles: there ``2**53 + 1 == 2.0**53`` holds, and Spark cannot write an integer past
64 bits as a literal at all. Python compares the numbers themselves, and so does a segment: each
comparison is restated in the column's own kind before any engine sees it (``age > 25.5`` is
``age >= 26``; ``score < 2**53 + 1`` is ``score <= 2.0**53``; ``acct < 2**64`` is true for every
Int64 that is not null). NaN is the largest number, as it is for the engines' float columns.
A float32 column is compared with float32 values (polars rounds a literal to float32, DuckDB
and Spark widen the column); a DECIMAL column with decimals of its own scale, a float literal
read as written (0.1 is one tenth, as SQL reads it); a list's ``contains`` looks for the value
in its elements' kind.
"""

from __future__ import annotations

import contextlib
import math
import sys
from collections.abc import Iterator, Mapping
from decimal import Decimal, localcontext
from typing import Any, Literal

import numpy as np
import polars as pl

from ._conditions import EventAggregate, Field
from ._errors import ColumnTypeError

__all__ = ["INT_RANGES", "MEAN_SCALE", "NO_MEMBER", "SUM_OF_INTEGERS", "Kind", "exact_mean_scale",
           "exact_sum_scale", "is_double", "kind_of", "list_member", "numbers_fit", "restate"]

#: ("int", lowest, highest), "float" (a double), "float32", ("decimal", precision, scale): a
#: float literal is read as written (0.1 is one tenth), or None (not known)
Kind = (tuple[Literal["int", "decimal"], int, int] | Literal["float", "float32"] | None)

_INT64 = (-(2**63), 2**63 - 1)
INT_RANGES = {
    pl.Int8: (-(2**7), 2**7 - 1), pl.Int16: (-(2**15), 2**15 - 1),
    pl.Int32: (-(2**31), 2**31 - 1), pl.Int64: _INT64,
    pl.UInt8: (0, 2**8 - 1), pl.UInt16: (0, 2**16 - 1), pl.UInt32: (0, 2**32 - 1),
    pl.UInt64: (0, 2**64 - 1), pl.Int128: (-(2**127), 2**127 - 1),
}
if hasattr(pl, "UInt128"):  # polars 1.34 on
    INT_RANGES[pl.UInt128] = (0, 2**128 - 1)


#: The kind a sum of integers is added up in, in every engine: 64-bit sums wrap in polars (and
#: in Spark without ANSI mode), DuckDB's widen to 128 bits; 38-digit decimals are exact in all
SUM_OF_INTEGERS: tuple[Literal["decimal"], int, int] = ("decimal", 38, 0)


def exact_sum_scale(agg: EventAggregate, event_schema: Mapping[str, Any] | None) -> int | None:
    """For a sum of integers or decimals, the scale it is added up in as a 38-digit decimal
    (0 for integers); None for a sum of floats, or another aggregate. Engines widen sums in
    their own ways (Spark a DECIMAL(p, s) to p + 10 digits, past which it overflows; polars
    wraps Int64): 38 digits everywhere."""
    dtype = (event_schema or {}).get(agg.column or "value")
    if agg.agg != "sum" or dtype is None:
        return None
    if dtype.is_integer():
        return 0
    return (dtype.scale or 0) if dtype.is_decimal() else None


#: How each engine says a number went past 38 digits (a 128-bit integer cast to DECIMAL(38),
#: or a sum that outgrew it): the start of the exception's type name, and words in its text.
_PAST_38_DIGITS = (
    ("InvalidOperationError", ("to `decimal[",)),  # polars: from `i128` to `decimal[38,0]`
    ("ComputeError", ("overflow in decimal",)),  # polars: overflow in decimal addition in sum
    ("ConversionException", ("to decimal(",)),  # DuckDB: Could not cast value ... to DECIMAL
    ("OutOfRangeException", ("decimal", "hugeint")),  # DuckDB: Overflow in HUGEINT addition
    # Spark in ANSI mode: ARITHMETIC_OVERFLOW, NUMERIC_VALUE_OUT_OF_RANGE (not DIVIDE_BY_ZERO)
    ("ArithmeticException", ("overflow", "out_of_range")),
    # Spark 3.5: the same, inside the job's failure
    ("Py4JJavaError", ("arithmeticexception: [arithmetic_overflow]",
                       "arithmeticexception: [numeric_value_out_of_range]")),
)


@contextlib.contextmanager
def numbers_fit() -> Iterator[None]:
    """Run a query whose event sums and means are added up as 38-digit decimals (see
    :data:`SUM_OF_INTEGERS`): a value or a sum past 38 digits, which no engine holds exactly,
    is the package's error, naming no value (the engines' own errors quote them)."""
    try:
        yield
    except Exception as exc:
        kind, text = type(exc).__name__, str(exc).lower()
        if not any(kind.startswith(name) and any(w in text for w in words)
                   for name, words in _PAST_38_DIGITS):
            raise
        raise ColumnTypeError(
            "event values, or their sum for a person, go past 38 digits: the widest number "
            "that polars, DuckDB and Spark all add up exactly (DECIMAL(38)). Scale the values "
            "down first (bytes as megabytes), or keep to the events that fit") from None


#: The largest decimal scale whose mean is taken from the exact sum (see
#: :func:`exact_mean_scale`): the values times 10**scale must stay within 38 digits in every
#: engine's decimal arithmetic (polars and DuckDB multiply in the column's own scale).
MEAN_SCALE = 9


def exact_mean_scale(agg: EventAggregate, event_schema: Mapping[str, Any] | None) -> int | None:
    """For a mean of integers or decimals, the scale of its values (0 for integers); None for
    a mean of floats, or another aggregate.

    Such a mean is one definition in every engine: the exact sum of the values, each times
    ``10**scale`` (a whole number, added up as :data:`SUM_OF_INTEGERS`), as a double, divided
    by ``count * 10**scale`` as a double: the exact mean rounded once while the sum stays
    under 2**53. Engines' own averages differ: Spark rounds a decimal's to its scale + 4
    (the mean 1/3 of 0, 0 and 1 is 0.333333, equal to the literal 0.333333) and adds integers
    up as doubles (2**53 + 1 + 1 is 2**53); DuckDB divides in long double.
    """
    if agg.agg != "mean":
        return None
    dtype = (event_schema or {}).get(agg.column or "value")
    if dtype is None:
        return None
    if dtype.is_integer():
        return 0
    if dtype.is_decimal() and (dtype.scale or 0) <= MEAN_SCALE:
        return dtype.scale or 0
    return None


def _dtype_kind(dtype: Any) -> Kind:
    if dtype is None:
        return None
    if dtype.is_integer():
        lo, hi = INT_RANGES.get(dtype, _INT64)
        return ("int", lo, hi)
    if dtype == pl.Float32:
        return "float32"
    if dtype.is_float():
        return "float"
    if dtype.is_decimal():
        return ("decimal", dtype.precision or 38, dtype.scale or 0)
    return None


def kind_of(target: Field | EventAggregate, schema: Mapping[str, Any],
            event_schema: Mapping[str, Any] | None = None) -> Kind:
    """The kind of number a predicate's target holds (None when not known)."""
    if isinstance(target, Field):
        return _dtype_kind(schema.get(target.name))
    if target.agg in ("count", "distinct_days", "days_since_last"):
        return ("int", *_INT64)  # whole numbers, 64-bit integers in every engine
    if target.agg == "mean":
        return "float"
    sum_scale = exact_sum_scale(target, event_schema)
    if sum_scale is not None:  # integers and decimals add up as 38-digit decimals
        decimal, precision, _ = SUM_OF_INTEGERS
        return (decimal, precision, sum_scale)
    dtype = (event_schema or {}).get(target.column or "value")
    kind = _dtype_kind(dtype)  # minima and maxima are values of the column's own kind
    # the extremes of float32 values are float32 values; their sums are doubles everywhere
    if kind == "float32" and target.agg == "sum":
        return "float"
    return kind


def _constant(op: str, above: bool) -> bool:
    """A comparison with a value past every value of the column (``above``: past the top)."""
    if op == "eq":
        return False
    if op == "ne":
        return True
    return (op in ("lt", "le")) == above


def _double_below_above(value: int) -> tuple[float, float]:
    """The doubles either side of an integer no double holds exactly."""
    try:
        d = float(value)
    except OverflowError:
        d = math.inf if value > 0 else -math.inf
    if math.isinf(d):
        big = sys.float_info.max
        return (big, math.inf) if value > 0 else (-math.inf, -big)
    if d > value:
        return math.nextafter(d, -math.inf), d
    return d, math.nextafter(d, math.inf)


def is_double(value: float) -> bool:
    """Whether a double holds this number exactly (a float does; an int past 2**53 may not)."""
    try:
        return isinstance(value, float) or float(value) == value
    except OverflowError:
        return False


def restate(op: str, value: Any, kind: Kind) -> tuple[str, Any] | bool:
    """``x op value`` as the same test in the column's own kind: a comparison (op, value), or
    a constant (True/False for every ``x`` that is not null).

    ``op`` is one of eq, ne, lt, le, gt, ge; values that are not numbers (or booleans, text,
    dates) pass as they are.
    """
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return op, value
    if isinstance(kind, tuple) and kind[0] == "decimal":
        return _restate_decimal(op, value, kind[1], kind[2])
    if isinstance(kind, tuple):
        _, lo, hi = kind
        if isinstance(value, float):
            if math.isnan(value) or math.isinf(value):
                return _constant(op, above=not value < 0)  # NaN sorts above everything
            if not value.is_integer():
                if op in ("eq", "ne"):
                    return _constant(op, above=True)
                # no integer lies strictly between floor and ceil
                op, value = ("le", math.floor(value)) if op in ("lt", "le") \
                    else ("ge", math.ceil(value))
            value = int(value)
        if value > hi or value < lo:
            return _constant(op, above=value > hi)
        return op, value
    if kind == "float32":
        return _restate_float32(op, value)
    if isinstance(value, float) or abs(value) <= 2**53:
        return op, value
    if kind == "float" or value > _INT64[1] or value < _INT64[0]:
        # an integer past 2**53: a double, or the doubles either side of it
        if is_double(value):
            return op, float(value)
        if op in ("eq", "ne"):
            return _constant(op, above=True)
        below, above = _double_below_above(value)
        return ("le", below) if op in ("lt", "le") else ("ge", above)
    return op, value


def _float32_either_side(value: int | float) -> tuple[float, float]:
    """The float32 values either side of a number (the same one twice when it is one), as the
    doubles that hold them exactly; past float32's range, its largest value and infinity."""
    try:
        double = float(value)
    except OverflowError:
        double = math.inf if value > 0 else -math.inf
    with np.errstate(over="ignore"):  # past the largest float32: infinity, as wanted
        near = np.float32(double)  # the nearest float32
        if float(near) == value:
            return float(near), float(near)
        if float(near) > value:
            return float(np.nextafter(near, np.float32(-np.inf))), float(near)
        return float(near), float(np.nextafter(near, np.float32(np.inf)))


def _restate_float32(op: str, value: int | float) -> tuple[str, Any] | bool:
    """``x op value`` for a float32 column, with a literal every engine reads alike.

    polars compares a float32 column with a literal rounded to float32 (``0.1`` is then the
    stored 0.1f), DuckDB and Spark with the column widened to a double (0.1f is
    0.10000000149...; ``x == 0.1`` holds for none): the number itself decides, as Python
    compares, so the literal becomes a float32 value (exact in both readings) or a constant.
    """
    if isinstance(value, float) and math.isnan(value):
        return op, value
    below, above = _float32_either_side(value)
    if below == above:
        return op, below
    if op in ("eq", "ne"):
        return _constant(op, above=True)  # no float32 is this number; NaN is not either
    return ("le", below) if op in ("lt", "le") else ("ge", above)


#: No element of a list's kind is the value: ``contains`` is false for every list (null for a
#: null list).
NO_MEMBER = object()


def list_member(value: Any, inner: Any) -> Any:
    """``contains(value)`` on a list of ``inner`` dtype, the value in the elements' own kind
    (2.0 in a list of integers is 2, 1 in a list of doubles is 1.0: polars refuses to look
    for one kind among the other), or :data:`NO_MEMBER` when no element of that kind is it
    (2.5 among integers, 0.1 among float32s)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return value
    kind = _dtype_kind(inner)
    stated = restate("eq", value, kind)
    if isinstance(stated, bool):
        return NO_MEMBER
    member = stated[1]
    if kind in ("float", "float32") and isinstance(member, int):
        return float(member)  # within 2**53 here (restate kept it), so a double holds it
    return member


def _restate_decimal(op: str, value: int | float, precision: int, scale: int
                     ) -> tuple[str, Any] | bool:
    """``x op value`` for a DECIMAL(precision, scale) column, as a decimal of the column's
    own scale (or a constant): a float is read as written (``0.1`` is one tenth, as SQL reads
    the literal; ``2.0**53`` is not 2**53 + 1, which a double comparison said it was), a
    literal with more digits than the scale falls between two of the column's values (``x >
    10.495`` is ``x >= 10.50``), and one past the precision is past every value (DuckDB could
    not even cast it).
    """
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return _constant(op, above=not value < 0)  # NaN sorts above everything
        written = Decimal(repr(value))
    else:
        written = Decimal(value)
    limit = 10 ** (precision - scale)  # every value of the column is below it in size
    if written >= limit or written <= -limit:
        return _constant(op, above=written > 0)
    with localcontext() as context:
        context.prec = precision + 400  # exact: no rounding of these digits
        units = written.scaleb(scale)  # in the column's last digit
        whole = units == units.to_integral_value()
        if not whole and op in ("eq", "ne"):
            return _constant(op, above=True)
        if not whole:  # no value of the column lies strictly between floor and ceil
            op, units = ("le", Decimal(math.floor(units))) if op in ("lt", "le") \
                else ("ge", Decimal(math.ceil(units)))
        top = 10**precision - 1
        if abs(units) > top:
            return _constant(op, above=units > 0)
        return op, Decimal(int(units)).scaleb(-scale)
