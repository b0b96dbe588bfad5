"""Populations (profiles + events) and audiences (the evaluated ids of a segment)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from ._conditions import Condition, Field, as_condition, conditions_of
from ._errors import InvalidSegmentError, SegmentationError, UnknownColumnError
from ._segments import Segment, compile_ids, describe

__all__ = ["Audience", "Population", "as_lazy", "default_now"]


def default_now() -> dt.datetime:
    """The current UTC time as a naive datetime, to the second (pass ``now=`` to fix it)."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def as_lazy(table: object, what: str) -> pl.LazyFrame:
    """A LazyFrame from polars, pandas, pyarrow or a Parquet/CSV path (scanned lazily)."""
    if isinstance(table, pl.LazyFrame):
        return table
    if isinstance(table, (str, os.PathLike)):
        path = Path(table)
        if not path.exists():
            raise SegmentationError(f"{what} file not found: {path}")
        if path.suffix.lower() in (".parquet", ".pq") or path.is_dir():
            return pl.scan_parquet(path)
        if path.suffix.lower() == ".csv":
            return pl.scan_csv(path, try_parse_dates=True)
        raise SegmentationError(f"{what} file {path.name}: use .parquet or .csv")
    from privacy import PrivacyError
    from privacy._io import read_table

    try:  # in-memory tables convert once, at the boundary, as privacy does it
        return read_table(table, what=what).lazy()
    except PrivacyError as exc:
        raise SegmentationError(str(exc)) from None


def _as_segment(segment: Segment | Condition, name: str = "audience") -> Segment:
    if isinstance(segment, Segment):
        return segment
    if isinstance(segment, (Condition, Field)):
        return Segment(name, as_condition(segment))
    raise InvalidSegmentError(
        f"expected a Segment or a condition, got {type(segment).__name__}"
    )


@dataclass(frozen=True, eq=False)
class Audience:
    """The people a segment selected: ids, the segment, and the population's size.

    Set algebra: ``a | b`` (union), ``a & b`` (intersection), ``a - b`` (difference).
    """

    ids: pl.Series
    segment: Segment | None
    population_size: int
    name: str = "audience"
    created_at: dt.datetime = field(default_factory=default_now)
    id_column: str = "user_id"

    @property
    def size(self) -> int:
        return len(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        share = self.size / self.population_size if self.population_size else 0.0
        return (f"Audience({self.name!r}, size={self.size:,}, "
                f"{share:.2%} of {self.population_size:,})")

    def _combine(self, other: Audience, ids: pl.Series, op: str) -> Audience:
        return Audience(ids.sort(), None, max(self.population_size, other.population_size),
                        f"({self.name} {op} {other.name})", id_column=self.id_column)

    def _check(self, other: object, op: str) -> Audience:
        if not isinstance(other, Audience):
            raise InvalidSegmentError(f"{op} combines audiences, got {type(other).__name__}")
        if other.ids.dtype != self.ids.dtype:
            raise InvalidSegmentError(
                f"audiences have different id types ({self.ids.dtype} and {other.ids.dtype})"
            )
        return other

    def __or__(self, other: Audience) -> Audience:
        other = self._check(other, "|")
        return self._combine(other, pl.concat([self.ids, other.ids]).unique(), "|")

    def __and__(self, other: Audience) -> Audience:
        other = self._check(other, "&")
        return self._combine(other, self.ids.filter(self.ids.is_in(other.ids.implode())), "&")

    def __sub__(self, other: Audience) -> Audience:
        other = self._check(other, "-")
        return self._combine(other, self.ids.filter(~self.ids.is_in(other.ids.implode())), "-")

    def report(self, path: str | os.PathLike[str], population: Population,
               **options: Any) -> Any:
        """Write this audience's report: one self-contained HTML page and its charts as PNG.

        See :func:`segmentation._report.write_report` for ``options`` (``others``, ``rfm``,
        ``tiers``, ``evaluation``, ``model``, ``upload``, ``audit``, ``shareable``, ``k``,
        ``epsilon``...). Returns the paths written.
        """
        from ._report import write_report

        return write_report(self, path, population, **options)

    def overlap(self, other: Audience) -> int:
        """How many people are in both."""
        return int(self.ids.is_in(self._check(other, "overlap").ids.implode()).sum())

    def sample(self, n: int | None = None, fraction: float | None = None,
               random_state: int | None = None) -> Audience:
        """A random subset of ``n`` people or a ``fraction`` of them."""
        if (n is None) == (fraction is None):
            raise InvalidSegmentError("give exactly one of n= or fraction=")
        if fraction is not None and not 0 <= fraction <= 1:
            raise InvalidSegmentError(f"fraction must be within [0, 1], got {fraction}")
        k = n if n is not None else round(fraction * self.size)  # type: ignore[operator]
        if not 0 <= k <= self.size:
            raise InvalidSegmentError(f"cannot sample {k} from an audience of {self.size}")
        rng = np.random.default_rng(random_state)
        idx = np.sort(rng.choice(self.size, size=k, replace=False))
        return Audience(self.ids.gather(idx), self.segment, self.population_size,
                        f"{self.name} (sample)", id_column=self.id_column)

    def split(self, test: float = 0.1, random_state: int | None = None
              ) -> tuple[Audience, Audience]:
        """A (train, holdout) pair: ``test`` of the people held out, the rest kept."""
        if not 0 < test < 1:
            raise InvalidSegmentError(f"test must be within (0, 1), got {test}")
        held = self.sample(fraction=test, random_state=random_state)
        kept = self - held
        return (
            Audience(kept.ids, self.segment, self.population_size, f"{self.name} (train)",
                     id_column=self.id_column),
            Audience(held.ids, self.segment, self.population_size, f"{self.name} (holdout)",
                     id_column=self.id_column),
        )

    def export(self, platform: str, crm: object, columns: dict[str, str] | None = None,
               id: str | None = None, **kwargs: Any) -> Any:
        """A :func:`privacy.prepare_upload` of the CRM rows of this audience's people.

        ``crm`` is joined on the id column (``id``, default the population's); people of the
        audience with no CRM row are not customers and cannot be uploaded by identifier.
        """
        import privacy
        from privacy._io import read_table

        key = id or self.id_column
        table = read_table(crm, what="crm")
        if key not in table.columns:
            raise UnknownColumnError(
                f"the CRM has no {key!r} column to join the audience on; it has: "
                f"{', '.join(table.columns)}"
            )
        members = table.filter(pl.col(key).is_in(self.ids.cast(table.schema[key]).implode()))
        if columns is None:
            columns = privacy._upload.recognize_columns(  # type: ignore[attr-defined]
                [c for c in members.columns if c != key]
            )
            rules = privacy._platforms.rules_for_platform(platform)  # type: ignore[attr-defined]
            columns = {c: k for c, k in columns.items() if k in rules}
        return privacy.prepare_upload(members, platform, columns=columns, **kwargs)


class Population:
    """Profiles (one row per person) and, optionally, their events.

    Parameters
    ----------
    profiles : table or path
        polars (eager or lazy), pandas, pyarrow, or a Parquet/CSV path; one row per ``id``.
    events : table or path, optional
        Columns ``id``, ``event``, ``ts`` (datetime), ``value`` and any properties.
    id : str
        The id column shared by both tables.
    now : datetime, optional
        The reference time of relative windows ("last 30 days"); fix it for reproducible
        audiences. Defaults to the current UTC time.
    crm : table, optional
        CRM identifiers keyed by ``id`` (customers only), for :meth:`Audience.export`.
    event_types : collection of str, optional
        The event names the events table can hold, when some may not occur in this data (a
        segment on an event that simply did not happen selects as usual). A name neither
        declared nor in the table is an error listing the known ones: typos do not silently
        select nobody.
    """

    def __init__(self, profiles: object, events: object = None, id: str = "user_id",
                 now: dt.datetime | None = None, crm: object = None,
                 event_types: Collection[str] | None = None) -> None:
        self._profiles = as_lazy(profiles, "profiles")
        self._events = as_lazy(events, "events") if events is not None else None
        self.id = id
        schema = self._profiles.collect_schema()
        if id not in schema:
            raise UnknownColumnError(
                f"id column {id!r} is not in the profiles; they have: {', '.join(schema)}"
            )
        if self._events is not None:
            ev = self._events.collect_schema()
            missing = [c for c in (id, "event", "ts") if c not in ev]
            if missing:
                raise UnknownColumnError(
                    f"the events table needs columns {missing}; it has: {', '.join(ev)}"
                )
        if now is not None and not isinstance(now, dt.datetime):
            raise InvalidSegmentError(f"now must be a datetime, got {type(now).__name__}")
        if now is not None and now.tzinfo is not None:  # segments compare in naive UTC
            now = now.astimezone(dt.timezone.utc).replace(tzinfo=None)
        self.now = now or default_now()
        self._event_names: frozenset[str] | None = None
        if event_types is not None and (isinstance(event_types, str) or not all(
                isinstance(e, str) for e in event_types)):
            raise InvalidSegmentError("event_types takes a collection of event names (str)")
        self._declared_events = frozenset(event_types or ())
        self.crm = crm
        self._n: int | None = None

    def __repr__(self) -> str:
        # never counts: a repr must not scan a lakehouse table
        n = f"{self._n:,}" if self._n is not None else "not counted yet"
        return f"Population(n={n}, events={'yes' if self._events is not None else 'no'})"

    @property
    def profiles(self) -> pl.LazyFrame:
        return self._profiles

    @property
    def events(self) -> pl.LazyFrame | None:
        return self._events

    @property
    def n(self) -> int:
        """Number of people."""
        if self._n is None:
            self._n = int(self._profiles.select(pl.len()).collect().item())
        return self._n

    def _masked(self, cond: Condition) -> tuple[pl.LazyFrame, pl.Expr]:
        return compile_ids(cond, self._profiles, self._events, self.id, self.now,
                           self._known_events(cond))

    def _known_events(self, cond: Condition) -> frozenset[str] | None:
        """The events table's event names (read once, when a condition first uses events)."""
        from ._conditions import aggregates_used

        if self._events is None or not aggregates_used(cond):
            return None
        if self._event_names is None:
            names = self._events.select(pl.col("event").unique()).collect()["event"]
            self._event_names = frozenset(str(n) for n in names.drop_nulls().to_list())
        return self._event_names | self._declared_events

    def plan(self, segment: Segment | Condition) -> pl.LazyFrame:
        """The lazy plan of the matching ids (collect it, or sink it for large populations)."""
        frame, mask = self._masked(_as_segment(segment).condition)
        return frame.filter(mask).select(self.id)

    def select(self, segment: Segment | Condition, *, streaming: bool = False) -> Audience:
        """Evaluate a segment: the :class:`Audience` of matching people (possibly empty)."""
        seg = _as_segment(segment)
        engine = "streaming" if streaming else "auto"
        ids = self.plan(seg).collect(engine=engine)[self.id].sort()
        return Audience(ids, seg, self.n, seg.name, self.now, self.id)

    def size(self, segment: Segment | Condition) -> int:
        """How many people match."""
        frame, mask = self._masked(_as_segment(segment).condition)
        return int(frame.select(mask.fill_null(False).sum()).collect().item())

    def waterfall(self, segment: Segment | Condition) -> pl.DataFrame:
        """Size after each AND-ed clause, in order: where an audience gets small."""
        cond = _as_segment(segment).condition
        clauses = list(conditions_of(cond))
        frame, _ = self._masked(cond)
        from ._conditions import And, aggregates_used, to_polars_expr

        aggs = aggregates_used(cond)
        aliases = {a.key: f"__agg{i}" for i, a in enumerate(aggs)}
        schema = dict(self._profiles.collect_schema())
        steps = [
            to_polars_expr(And(tuple(clauses[: i + 1])), aliases, self.now, schema)
            .fill_null(False).sum().alias(f"s{i}")
            for i in range(len(clauses))
        ]
        sizes = frame.select(steps).collect().row(0)
        previous = [self.n, *sizes[:-1]]
        return pl.DataFrame({
            "step": list(range(1, len(clauses) + 1)),
            "clause": [describe(c) for c in clauses],
            "size": [int(s) for s in sizes],
            "share_of_population": [s / self.n if self.n else 0.0 for s in sizes],
            "share_of_previous": [
                s / p if p else 0.0 for s, p in zip(sizes, previous, strict=True)
            ],
        })

    def profile(self, audience: Audience, columns: Sequence[str] | None = None,
                top: int = 10) -> pl.DataFrame:
        """Each feature in the audience against the whole population, as an index.

        Categorical and boolean columns give the share of each level; list columns the share
        of people with each item; numeric columns the mean. ``index`` = audience / population
        (1.0 = like everyone, 2.0 = twice as common in the audience).
        """
        schema = self._profiles.collect_schema()
        cols = self.known_columns(columns)
        frame = self._profiles.select([self.id, *cols]).collect()
        member = frame[self.id].is_in(audience.ids.cast(frame.schema[self.id]).implode())
        rows: list[dict[str, Any]] = []
        for c in cols:
            dtype = schema[c]
            s = frame[c]
            if isinstance(dtype, (pl.List, pl.Array)):
                exploded = pl.DataFrame({"m": member, "v": s}).with_row_index("r").explode("v")
                items = exploded["v"].drop_nulls().value_counts(sort=True).head(top)["v"]
                for item in items:
                    has = s.list.contains(item).fill_null(False)
                    rows.append(_share_row(c, item, has, member))
            elif dtype.is_numeric() and dtype != pl.Boolean:
                a = s.filter(member).mean()
                p = s.mean()
                rows.append({"feature": c, "value": "mean", "audience": a, "population": p,
                             "index": (a / p) if a is not None and p else None})
            else:
                levels = s.cast(pl.Utf8).drop_nulls().value_counts(sort=True).head(top)
                for level in levels[levels.columns[0]]:
                    rows.append(_share_row(c, level, (s.cast(pl.Utf8) == level).fill_null(False),
                                           member))
        return pl.DataFrame(rows, schema={"feature": pl.Utf8, "value": pl.Utf8,
                                          "audience": pl.Float64, "population": pl.Float64,
                                          "index": pl.Float64}, strict=False)

    def known_columns(self, columns: Sequence[str] | None) -> list[str]:
        """``columns`` checked against the profiles (every column but the id when None)."""
        schema = self._profiles.collect_schema()
        cols = list(columns) if columns is not None else [c for c in schema if c != self.id]
        unknown = [c for c in cols if c not in schema]
        if unknown:
            raise UnknownColumnError(f"unknown columns {unknown}; the profiles have: "
                                     f"{', '.join(schema)}")
        return cols

    def overlap(self, audiences: Sequence[Audience]) -> pl.DataFrame:
        """A symmetric matrix of how many people each pair of audiences shares."""
        names = distinct_names(audiences, reserved=("audience",))  # the first column's name
        data: dict[str, Any] = {"audience": names}
        for j, b in enumerate(audiences):
            data[names[j]] = [a.overlap(b) for a in audiences]
        return pl.DataFrame(data)

    def to_sql(self, segment: Segment | Condition, dialect: str = "duckdb",
               profiles: str = "profiles", events: str = "events") -> str:
        """The segment as SQL over tables of these names (list columns known from here)."""
        return _as_segment(segment).to_sql(dialect, profiles, events, self.id, self.now,  # type: ignore[arg-type]
                                           schema=self)


def distinct_names(audiences: Sequence[Audience], reserved: Sequence[str] = ()) -> list[str]:
    """The audiences' names, made distinct ("gamers", "gamers (2)") and kept off ``reserved``."""
    names: list[str] = []
    for a in audiences:
        name, k = a.name, 2
        while name in names or name in reserved:
            name, k = f"{a.name} ({k})", k + 1
        names.append(name)
    return names


def _share_row(feature: str, value: object, has: pl.Series, member: pl.Series) -> dict[str, Any]:
    n_member = int(member.sum())
    a = float((has & member).sum()) / n_member if n_member else None
    p = float(has.sum()) / len(has) if len(has) else None
    return {"feature": feature, "value": str(value), "audience": a, "population": p,
            "index": (a / p) if a is not None and p else None}
