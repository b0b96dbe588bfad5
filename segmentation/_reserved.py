"""Names the library keeps for itself, and names its outputs give their columns.

Working columns (an epoch copy of a time, one column per event aggregate, a membership flag)
live beside the user's columns while a query runs. Named like a user's column (``__agg0``,
``__member``), they collided with it: a raw DuplicateError, or the user's column silently read
in place of the library's. They all start with :data:`PREFIX`, and a table holding a column
that starts with it is refused when the Population is built.

Outputs keyed by the population's id (RFM scores, ranked lookalike scores, cluster labels)
replaced the id column when it had one of their names (an id column ``score`` came back from
``ranked`` as the scores alone): such an id is refused, naming the output's columns.
"""

from __future__ import annotations

from collections.abc import Iterable

from privacy._io import check_no_patterns as refuse_patterns

from ._errors import InvalidSegmentError

__all__ = ["MEMBER", "PREFIX", "case_twins", "check_id_not_an_output", "check_no_patterns",
           "check_no_working_names", "working"]

PREFIX = "__audiencekit_"


def working(name: str) -> str:
    """The name of a working column."""
    return PREFIX + name


#: The membership flag of :meth:`Population.membership`.
MEMBER = working("member")


def check_no_working_names(columns: Iterable[str], what: str) -> None:
    """Refuse a table with a column named like the library's working columns."""
    taken = [c for c in columns if c.startswith(PREFIX)]
    if taken:
        raise InvalidSegmentError(
            f"{what} columns {taken[:5]} start with {PREFIX!r}, which names the library's own "
            "working columns; rename them")


def check_no_patterns(columns: Iterable[str], what: str) -> None:
    """Refuse a table with a column polars would read as a pattern (see
    :func:`privacy._io.is_pattern`): a segment on ``^age$`` compared the column ``age``, and
    selected the wrong people."""
    refuse_patterns(columns, what, InvalidSegmentError)


def case_twins(columns: Iterable[str]) -> list[str]:
    """Names that equal another name but for case ('Age' and 'age'): one name to DuckDB's SQL
    and to Spark's (unless spark.sql.caseSensitive), two columns to polars."""
    seen: dict[str, list[str]] = {}
    for c in columns:
        seen.setdefault(c.casefold(), []).append(c)
    return [c for group in seen.values() if len(group) > 1 for c in group]


def check_id_not_an_output(id_column: str, outputs: Iterable[str], what: str) -> None:
    """Refuse an id column named like a column of an output keyed by the id."""
    names = list(outputs)
    if id_column in names:
        raise InvalidSegmentError(
            f"the id column {id_column!r} has the name of a column of {what} "
            f"({', '.join(names)}); rename the id column (and pass id=, --id) to get them "
            "apart")
