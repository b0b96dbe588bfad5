"""The clock segments compare in: naive UTC datetimes, and instants as UTC epoch microseconds.

Every engine evaluates event windows on integers (microseconds since 1970-01-01 UTC), so a
window means the same instants in polars, DuckDB and Spark whatever the session's time zone.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["DAY_US", "default_now", "epoch_us", "utc_now"]

#: Microseconds in a day: a UTC calendar day is ``floor(us / DAY_US)``.
DAY_US = 86_400_000_000

_EPOCH = dt.datetime(1970, 1, 1)


def default_now() -> dt.datetime:
    """The current UTC time as a naive datetime, to the second (pass ``now=`` to fix it)."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def utc_now(now: dt.datetime) -> dt.datetime:
    """``now`` as naive UTC (an aware time is converted; a naive one is taken as UTC)."""
    if now.tzinfo is not None:
        return now.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return now


def epoch_us(value: dt.date | dt.datetime) -> int:
    """A date (its UTC midnight) or a datetime (naive = UTC) as UTC epoch microseconds."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    delta = utc_now(value) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
