"""Numbers for people: thousands separators, a sensible number of digits, percentages.

Everything the library writes for people (reports, the demo's CSVs and tables) goes through
here; machine outputs (Parquet, JSON with a schema) keep full precision.
"""

from __future__ import annotations

import datetime as dt
import math

import polars as pl

__all__ = ["count", "duration", "human_frame", "number", "ratio", "share"]


def count(n: object) -> str:
    """12345 -> '12,345'."""
    if n is None or (isinstance(n, float) and math.isnan(n)):
        return "-"
    return f"{round(float(n)):,}"  # type: ignore[arg-type]


def share(x: object, digits: int = 1) -> str:
    """0.1234 -> '12.3%'; tiny non-zero shares say so instead of '0.0%'."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    v = float(x)  # type: ignore[arg-type]
    if 0 < v < 0.5 * 10 ** -(digits + 2):
        return f"under {10 ** -digits:g}%"
    return f"{100 * v:.{digits}f}%"


def tier(fraction: object) -> str:
    """A tier's share as its name: 0.01 -> '1%', 0.015 -> '1.5%', 0.005 -> '0.5%' (distinct
    shares keep distinct names; rounding to whole percents named 1.5% and 2.5% both '2%')."""
    return f"{100 * float(fraction):.12g}%"  # type: ignore[arg-type]


def number(x: object, significant: int = 3) -> str:
    """3 significant digits, with separators: 1234.5678 -> '1,235'; 0.012345 -> '0.0123'."""
    if x is None or (isinstance(x, float) and (math.isnan(x) or math.isinf(x))):
        return "-"
    if isinstance(x, dt.timedelta):
        return duration(x, significant)
    v = float(x)  # type: ignore[arg-type]
    if v == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(v)))
    decimals = max(significant - 1 - magnitude, 0)
    rounded = round(v, decimals)
    return f"{rounded:,.{decimals}f}"


#: A duration's units, largest first: it is written in the first one it reaches.
_UNITS = (("days", 86_400), ("hours", 3_600), ("minutes", 60), ("seconds", 1))


def duration(x: dt.timedelta, significant: int = 3) -> str:
    """A duration in its largest whole unit: 25 days -> '25 days'; 90 minutes -> '1.5 hours'."""
    seconds = x.total_seconds()
    unit, size = next(((u, s) for u, s in _UNITS if abs(seconds) >= s), _UNITS[-1])
    return f"{number(seconds / size, significant)} {unit}"


def ratio(x: object) -> str:
    """2.41 -> '2.4x'."""
    if x is None or (isinstance(x, float) and (math.isnan(x) or math.isinf(x))):
        return "-"
    return f"{float(x):.1f}x"  # type: ignore[arg-type]


def human_frame(frame: pl.DataFrame, shares: tuple[str, ...] = (),
                ratios: tuple[str, ...] = ()) -> pl.DataFrame:
    """A copy of ``frame`` with every number as text for people: integers with separators,
    ``shares`` as percentages, ``ratios`` as '2.4x', other floats to 3 significant digits."""
    out = {}
    for name, s in frame.to_dict().items():
        if name in shares:
            out[name] = [share(v) for v in s.to_list()]
        elif name in ratios:
            out[name] = [ratio(v) for v in s.to_list()]
        elif s.dtype.is_integer():
            out[name] = [count(v) for v in s.to_list()]
        elif s.dtype.is_float():
            out[name] = [number(v) for v in s.to_list()]
        else:
            out[name] = s.to_list()
    return pl.DataFrame(out, schema={n: (pl.Utf8 if n in shares or n in ratios
                                         or frame.schema[n].is_numeric() else frame.schema[n])
                                     for n in frame.columns})
