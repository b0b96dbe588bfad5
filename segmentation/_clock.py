"""The clock segments compare in: naive UTC datetimes, and instants as UTC epoch microseconds.

Every engine evaluates event windows on integers (microseconds since 1970-01-01 UTC), so a
window means the same instants in polars, DuckDB and Spark whatever the session's time zone.
"""

from __future__ import annotations

import datetime as dt

from privacy._checks import standard_time

from ._errors import InvalidSegmentError

__all__ = ["DAY_US", "EARLIEST_NOW", "INFINITE_US", "MAX_WINDOW_DAYS", "checked_now", "default_now",
           "epoch_us", "sql_time_text", "utc_now", "utc_text"]

#: Microseconds in a day: a UTC calendar day is ``floor(us / DAY_US)``.
DAY_US = 86_400_000_000

#: Epoch microseconds of DuckDB's 'infinity' ('-infinity' is the negative), past every instant
#: a date or datetime holds (146,000 years) and far enough from the Int64 limits that "days
#: since" never overflows; larger epochs (polars' reading of DuckDB's infinity) are held to it.
INFINITE_US = 2**62

_EPOCH = dt.datetime(1970, 1, 1)
#: The longest window, in days (1,000 years), and the earliest ``now`` it fits after the year 1
MAX_WINDOW_DAYS = 365_250
EARLIEST_NOW = dt.datetime(1, 1, 1) + dt.timedelta(days=MAX_WINDOW_DAYS)


def default_now() -> dt.datetime:
    """The current UTC time as a naive datetime, to the second (pass ``now=`` to fix it)."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def utc_now(now: dt.datetime) -> dt.datetime:
    """``now`` as naive UTC (an aware time is converted; a naive one is taken as UTC)."""
    if now.tzinfo is not None:
        return now.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return now


def sql_time_text(value: dt.datetime) -> str:
    """``value`` as naive UTC written for a SQL timestamp literal: 'YYYY-MM-DD HH:MM:SS.ffffff'
    with a four-digit year (strftime's %Y writes the year 999 as '999', which Spark cannot
    parse: windows and dates reach back to the year 1)."""
    return utc_now(value).isoformat(" ", "microseconds")


def checked_now(now: object) -> dt.datetime:
    """A population's or segment's ``now`` as naive UTC (None: :func:`default_now`): a
    datetime from :data:`EARLIEST_NOW` on, so that every window (at most 1,000 years) starts
    after the year 1 (the year 500 raised a raw OverflowError from a long window's bounds)."""
    if now is None:
        return default_now()
    if not isinstance(now, dt.datetime):
        raise InvalidSegmentError(f"now must be a datetime, got {type(now).__name__}")
    plain, problem = standard_time(now)
    if problem is not None:
        raise InvalidSegmentError(f"now must be a datetime, got {problem}")
    try:
        value = utc_now(plain)
    except OverflowError:  # an aware time past the year 9999 or before the year 1 in UTC
        value = None
    if value is None or value < EARLIEST_NOW:
        raise InvalidSegmentError(
            f"now must be on or after {EARLIEST_NOW:%Y-%m-%d} (a window reaches back up to 1,000 "
            f"years from it), got a time in the year {now.year}")
    return value


def utc_text(value: dt.datetime) -> str:
    """A naive UTC time (a population's ``now``) as ISO 8601 with its offset, '+00:00': a
    pipeline reading the text cannot take it for local time."""
    return value.replace(tzinfo=dt.timezone.utc).isoformat()


def epoch_us(value: dt.date | dt.datetime) -> int:
    """A date (its UTC midnight) or a datetime (naive = UTC) as UTC epoch microseconds."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    delta = utc_now(value) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
