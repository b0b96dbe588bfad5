"""Populations (profiles + events) and audiences (the evaluated ids of a segment)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import narwhals as nw
import numpy as np
import polars as pl

from ._checks import (
    check_instance,
    check_int,
    check_names,
    check_not_id,
    check_number,
    check_random_state,
    is_text,
    listed,
    named,
    names_shown,
    same_id_kind,
    shown,
)
from ._clock import checked_now, default_now
from ._compile import check_event_names, compile_mask, condition_expr
from ._conditions import And, Condition, Field, aggregates_used, as_condition, conditions_of
from ._engines import as_lazy, as_table, as_tables
from ._errors import (
    ColumnTypeError,
    InvalidSegmentError,
    SegmentationError,
    UnknownColumnError,
)
from ._exact import numbers_fit
from ._profile import profile_rows
from ._reserved import MEMBER, case_twins, check_no_patterns, check_no_working_names
from ._segments import Segment, describe, validate

__all__ = ["Audience", "Population", "as_lazy", "default_now"]


def _as_segment(segment: Segment | Condition | Field, name: str = "audience") -> Segment:
    if isinstance(segment, Segment):
        return segment
    if isinstance(segment, (Condition, Field)):
        return Segment(name, as_condition(segment))
    raise InvalidSegmentError(
        f"expected a Segment or a condition, got {type(segment).__name__}"
    )


def _check_id_kinds(given: Any, wanted: Any, what: str, where: str,
                    as_text: bool = False) -> None:
    """Ids of ``given``'s type can be matched with ``wanted``'s without a guess (``as_text``:
    integers may be written as decimal text, as a CRM read as text holds them)."""
    if as_text and given.is_integer() and wanted == pl.Utf8:
        return
    if not same_id_kind(given, wanted):
        raise ColumnTypeError(
            f"{what} has {given} ids and {where} {wanted} ones: matching them would be a guess "
            "(is the text '007' person 7?); cast one side to the other's type first")


@dataclass(frozen=True, eq=False)
class Audience:
    """The people a segment selected: ids, the segment, and the population's size.

    Set algebra: ``a | b`` (union), ``a & b`` (intersection), ``a - b`` (difference).

    An audience of a polars population holds its ids as a sorted ``polars.Series``. An audience
    of a Spark (or DuckDB) population keeps them in that engine: ``ids`` is a one-column Spark
    DataFrame (DuckDB relation), ``size`` and set algebra run there, and :meth:`collect` brings
    the ids to this process when the caller asks for them.
    """

    ids: Any
    segment: Segment | None
    population_size: int
    name: str = "audience"
    created_at: dt.datetime = field(default_factory=default_now)
    id_column: str = "user_id"
    _counted: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_local(self) -> bool:
        """True when the ids are here (a polars Series), False when they stay in an engine."""
        return isinstance(self.ids, pl.Series)

    @property
    def engine(self) -> str:
        """Where the ids are: ``"polars"``, ``"spark"`` or ``"duckdb"``."""
        if self.is_local:
            return "polars"
        return as_table(self.ids, "audience ids").engine.name

    def _frame(self) -> nw.LazyFrame[Any]:
        return as_table(self.ids, "audience ids").frame

    @property
    def size(self) -> int:
        """How many people (counted in the engine, once, for an engine's audience)."""
        if self.is_local:
            return len(self.ids)
        if "size" not in self._counted:
            self._counted["size"] = as_table(self.ids, "audience ids").engine.count(
                self._frame())
        return self._counted["size"]

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        if not self.is_local and "size" not in self._counted:  # a repr runs no Spark job
            return f"Audience({self.name!r}, in {self.engine}, not counted yet)"
        share = self.size / self.population_size if self.population_size else 0.0
        return (f"Audience({self.name!r}, size={self.size:,}, "
                f"{share:.2%} of {self.population_size:,})")

    def collect(self) -> Audience:
        """This audience with its ids here, as a sorted polars Series (itself when local)."""
        if self.is_local:
            return self
        engine = as_table(self.ids, "audience ids").engine
        ids = engine.to_polars(self._frame())[self.id_column].sort()
        return Audience(ids, self.segment, self.population_size, self.name, self.created_at,
                        self.id_column)

    def local_ids(self, what: str) -> pl.Series:
        """The ids as a polars Series, for steps that run in this process; an engine's
        audience is refused rather than collected behind the caller's back."""
        if self.is_local:
            return self.ids
        raise SegmentationError(
            f"{what} runs in this process, and audience {self.name!r} lives in {self.engine}: "
            "call audience.collect() first (it brings every id to the driver), or keep to "
            "size, set algebra, overlap, waterfall, profile and rfm, which run in the engine")

    def _combine(self, other: Audience, ids: Any, op: str) -> Audience:
        if isinstance(ids, pl.Series):
            ids = ids.sort()
        return Audience(ids, None, max(self.population_size, other.population_size),
                        f"({self.name} {op} {other.name})", id_column=self.id_column)

    def _check(self, other: object, op: str) -> Audience:
        if not isinstance(other, Audience):
            raise InvalidSegmentError(f"{op} combines audiences, got {type(other).__name__}")
        if self.engine != other.engine:
            raise InvalidSegmentError(
                f"{op} combines audiences of one engine; these live in {self.engine} and "
                f"{other.engine} (collect() the engine's one first)")
        if self.is_local and other.ids.dtype != self.ids.dtype:
            raise InvalidSegmentError(
                f"audiences have different id types ({self.ids.dtype} and {other.ids.dtype})"
            )
        if other.id_column != self.id_column:
            raise InvalidSegmentError(
                f"audiences have different id columns ({self.id_column!r} and "
                f"{other.id_column!r})")
        return other

    def _engine_op(self, other: Audience, how: str) -> Any:
        a, b = self._frame(), other._frame()
        if how == "union":
            return nw.concat([a, b], how="vertical").unique().to_native()
        return a.join(b, on=self.id_column, how=how).to_native()  # type: ignore[arg-type]

    def __or__(self, other: Audience) -> Audience:
        other = self._check(other, "|")
        if not self.is_local:
            return self._combine(other, self._engine_op(other, "union"), "|")
        return self._combine(other, pl.concat([self.ids, other.ids]).unique(), "|")

    def __and__(self, other: Audience) -> Audience:
        other = self._check(other, "&")
        if not self.is_local:
            return self._combine(other, self._engine_op(other, "semi"), "&")
        return self._combine(other, self.ids.filter(self.ids.is_in(other.ids.implode())), "&")

    def __sub__(self, other: Audience) -> Audience:
        other = self._check(other, "-")
        if not self.is_local:
            return self._combine(other, self._engine_op(other, "anti"), "-")
        return self._combine(other, self.ids.filter(~self.ids.is_in(other.ids.implode())), "-")

    def diff(self, previous: Audience) -> tuple[Audience, Audience]:
        """Who ``entered`` (here, not in ``previous``) and who ``left`` (in ``previous``, not
        here): the incremental sync a platform's add and remove calls take. Runs where the ids
        are (Spark audiences stay in Spark)."""
        previous = self._check(previous, "diff")
        entered, left = self - previous, previous - self
        return (Audience(entered.ids, self.segment, self.population_size,
                         f"{self.name} (entered)", id_column=self.id_column),
                Audience(left.ids, previous.segment, previous.population_size,
                         f"{self.name} (left)", id_column=self.id_column))

    def report(self, path: str | os.PathLike[str], population: Population,
               **options: Any) -> Any:
        """Write this audience's report: one self-contained HTML page and its charts as PNG.

        See :func:`segmentation._report.write_report` for ``options`` (``others``, ``rfm``,
        ``tiers``, ``evaluation``, ``model``, ``upload``, ``audit``, ``shareable``, ``k``,
        ``epsilon``...). Returns the paths written.
        """
        from ._report import write_report

        self.local_ids("a report")
        return write_report(self, path, population, **options)

    def overlap(self, other: Audience) -> int:
        """How many people are in both."""
        other = self._check(other, "overlap")
        if not self.is_local:
            engine = as_table(self.ids, "audience ids").engine
            return engine.count(self._frame().join(other._frame(), on=self.id_column,
                                                   how="semi"))
        return int(self.ids.is_in(other.ids.implode()).sum())

    def sample(self, n: int | None = None, fraction: float | None = None,
               random_state: int | None = None) -> Audience:
        """A random subset of ``n`` people or a ``fraction`` of them."""
        ids = self.local_ids("sample")
        if (n is None) == (fraction is None):
            raise InvalidSegmentError("give exactly one of n= or fraction=")
        random_state = check_random_state(random_state)
        if n is not None:
            k = check_int(n, "n", 0)
        else:
            k = round(check_number(fraction, "fraction", 0, 1) * self.size)
        if not 0 <= k <= self.size:
            raise InvalidSegmentError(f"cannot sample {shown(k)} from an audience of "
                                      f"{self.size:,}")
        rng = np.random.default_rng(random_state)
        idx = np.sort(rng.choice(self.size, size=k, replace=False))
        return Audience(ids.gather(idx), self.segment, self.population_size,
                        f"{self.name} (sample)", id_column=self.id_column)

    def split(self, test: float = 0.1, random_state: int | None = None
              ) -> tuple[Audience, Audience]:
        """A (train, holdout) pair: ``test`` of the people held out, the rest kept."""
        check_number(test, "test", 0, 1, low_open=True, high_open=True)
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
        audience with no CRM row are not customers and cannot be uploaded by identifier: the
        report's warnings say how many. A
        Spark audience takes a Spark CRM table: the join and the upload run in Spark (a
        :class:`privacy.SparkUpload`).
        """
        import privacy
        from privacy._io import read_table
        from privacy._platforms import rules_for_platform
        from privacy._redact import safe_names
        from privacy._upload import recognize_columns

        key = id or self.id_column
        in_spark = self.engine == "spark" and as_table(crm, "crm").engine.name == "spark"
        table: Any = crm if in_spark else read_table(crm, what="crm")
        names = list(table.columns)
        if key not in names:
            raise UnknownColumnError(
                f"the CRM has no {named(key)} column to join the audience on; it has: "
                f"{', '.join(safe_names(names))}")
        if in_spark:  # a semi join in Spark; the upload is prepared there too
            # (Spark would compare a string id with a long one as numbers: '007' = 7)
            crm_type = as_table(crm, "crm").schema[key]
            _check_id_kinds(as_table(self.ids, "audience ids").schema[self.id_column],
                            crm_type, f"audience {self.name!r}", "the CRM", as_text=True)
            column = self.ids[self.id_column]
            ids = self.ids.select((column.cast("string") if crm_type == pl.Utf8 else column)
                                  .alias(key))
            members = table.join(ids, on=key, how="left_semi")
            absent = ids.join(table.select(key), on=key, how="left_anti").count()
        else:
            ids = self.local_ids("export")
            _check_id_kinds(ids.dtype, table.schema[key], f"audience {self.name!r}", "the CRM",
                            as_text=True)
            as_crm = ids.cast(table.schema[key])
            members = table.filter(pl.col(key).is_in(as_crm.implode()))
            absent = int((~as_crm.is_in(table[key].implode())).sum())
        if columns is None:
            found = recognize_columns([c for c in names if c != key], platform)
            rules = rules_for_platform(platform)
            columns = {c: k for c, k in found.items() if k in rules}
        upload = privacy.prepare_upload(members, platform, columns=columns, **kwargs)
        if absent:  # counted and said, never silently left behind
            upload.report.warnings.append(
                f"{absent:,} of the audience's {self.size:,} people have no CRM row: they are "
                "not in this upload (only people in the CRM can be uploaded by identifier)")
        if isinstance(crm, (str, os.PathLike)):  # the CRM file is never replaced by a write
            upload.sources = (crm,)
        return upload


class Population:
    """Profiles (one row per person) and, optionally, their events.

    Parameters
    ----------
    profiles : table, path or table name
        polars (eager or lazy), pandas, pyarrow, a Parquet/CSV path, a Spark DataFrame, a
        DuckDB relation, or (with ``spark=``) a table name in Spark's catalog; one row per
        ``id``. Segments run in the table's own engine: a Spark population runs Spark jobs
        and its audiences stay Spark DataFrames.
    events : table, path or table name, optional
        Columns ``id``, ``event``, ``ts`` (datetime), ``value`` and any properties; the same
        engine as the profiles.
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
    spark : SparkSession, optional
        Reads ``profiles`` and ``events`` given as strings as Spark table names.
    """

    def __init__(self, profiles: object, events: object = None, id: str = "user_id",
                 now: dt.datetime | None = None, crm: object = None,
                 event_types: Collection[str] | None = None, spark: Any = None) -> None:
        self._p, self._e = as_tables(profiles, events, id, spark)
        #: The files the tables were read from: what this population writes never replaces them.
        self.sources: tuple[str | os.PathLike[str], ...] = () if spark is not None else tuple(
            x for x in (profiles, events, crm) if isinstance(x, (str, os.PathLike)))
        if self._e is not None and self._e.engine.name != self._p.engine.name:
            raise SegmentationError(
                f"profiles and events must live in one engine; got {self._p.engine.name} "
                f"profiles and {self._e.engine.name} events")
        if self._p.engine.name == "spark":
            _check_spark_names(self._p, "profiles")
            if self._e is not None:
                _check_spark_names(self._e, "events")
        for table, what in ((self._p, "profiles"), (self._e, "events")):
            if table is not None:
                check_no_working_names(table.schema, what)
                check_no_patterns(table.schema, what)
                table.engine.check_text(table.frame, what, table.schema)
        if not isinstance(id, str):
            raise InvalidSegmentError(f"id must be a column name (str), got {type(id).__name__}")
        self.id = id
        schema = self._p.schema
        if id not in schema:
            raise UnknownColumnError(
                f"id column {named(id)} is not in the profiles; they have: {', '.join(schema)}"
            )
        if self._e is not None:
            ev = self._e.schema
            missing = [c for c in (id, "event", "ts") if c not in ev]
            if missing:
                raise UnknownColumnError(
                    f"the events table needs columns {missing}; it has: {', '.join(ev)}"
                )
            _check_event_types(schema[id], ev, id)
        self.now = checked_now(now)
        self._event_names: frozenset[str] | None = None
        self._seen_events: frozenset[str] = frozenset()
        if event_types is not None and (
                isinstance(event_types, (str, bytes)) or not isinstance(event_types, Iterable)
                or not all(isinstance(e, str) for e in event_types)):
            raise InvalidSegmentError("event_types takes a collection of event names (str)")
        self._declared_events = frozenset(event_types or ())
        self.crm: Any = crm
        self._n: int | None = None

    def __repr__(self) -> str:
        # never counts: a repr must not scan a lakehouse table
        n = f"{self._n:,}" if self._n is not None else "not counted yet"
        engine = "" if self.engine == "polars" else f", engine={self.engine}"
        return (f"Population(n={n}, events={'yes' if self._e is not None else 'no'}"
                f"{engine})")

    @property
    def engine(self) -> str:
        """Where segments run: ``"polars"``, ``"spark"`` or ``"duckdb"``."""
        return self._p.engine.name

    @property
    def schema(self) -> dict[str, pl.DataType]:
        """The profiles' columns as polars dtypes (read from the plan, nothing scanned)."""
        return dict(self._p.schema)

    @property
    def profiles(self) -> Any:
        """The profiles: a polars LazyFrame, or the engine's own table (Spark DataFrame...)."""
        return self._p.native

    @property
    def events(self) -> Any:
        """The events (None without them), as :attr:`profiles`."""
        return self._e.native if self._e is not None else None

    def local(self, what: str) -> Population:
        """This population when it runs in polars; others are refused with a way forward."""
        if self.engine == "polars":
            self.n  # noqa: B018 -- one row per person, checked once
            return self
        raise SegmentationError(
            f"{what} runs in this process on a polars population, and this one lives in "
            f"{self.engine}; call population.to_polars() first (it collects both tables to "
            "the driver), or a sample of them")

    def to_polars(self) -> Population:
        """The same population with both tables collected into polars (this process)."""
        if self.engine == "polars":
            return self
        profiles = self._p.engine.to_polars(self._p.frame)
        events = self._e.engine.to_polars(self._e.frame) if self._e is not None else None
        return Population(profiles, events, id=self.id, now=self.now, crm=self.crm,
                          event_types=self._declared_events or None)

    @property
    def n(self) -> int:
        """Number of people. Counted once, with the check that the profiles hold one row per
        person: a null id or an id on two rows is an error, never a person counted twice."""
        if self._n is None:
            self._n = self._count_people()
        return self._n

    def _count_people(self) -> int:
        """The profiles' rows, their null ids and distinct ids, in one pass in their engine."""
        col = nw.col(self.id)
        counts = self._p.frame.select(nw.len().alias("rows"), col.null_count().alias("nulls"),
                                      col.n_unique().alias("distinct"))
        # an empty table sums to NULL in SQL engines: no rows, no nulls, no ids
        rows, nulls, distinct = (int(v or 0) for v in self._p.engine.to_polars(counts).row(0))
        extra = rows - nulls - (distinct - (1 if nulls else 0))  # n_unique counts null once
        if nulls or extra:
            def rows_of(k: int) -> str:
                return f"{k:,} row{'s' if k != 1 else ''}"

            problems = ([f"{rows_of(nulls)} without an id"] if nulls else []) + (
                [f"{rows_of(extra)} repeating an id already on another row"] if extra else [])
            raise InvalidSegmentError(
                f"the profiles must hold one row per person ({self.id!r} unique and never "
                f"null); they have {' and '.join(problems)}, of {rows_of(rows)}. Drop the rows "
                f"whose id is null and deduplicate first (e.g. .unique({self.id!r}) in polars, "
                f".dropDuplicates([{self.id!r}]) in Spark)")
        return rows

    def _compiled(self, cond: Condition, extra: Sequence[Condition] = (),
                  prefilter: Condition | None = None
                  ) -> tuple[nw.LazyFrame[Any], dict[str, str]]:
        """Validated, aggregates joined: the frame the condition's expression runs over."""
        self.n  # noqa: B018 -- one row per person, checked once (counts, plans, selects)
        # each time: a DuckDB connection's collation can change (the events' in aggregate_table)
        self._p.engine.check_session(self._p.frame, "profiles")
        events_schema = self._e.schema if self._e is not None else None
        for c in (cond, *extra):
            validate(c, self._p.schema, events_schema, self.id)
        return compile_mask(cond, self._p, self._e, self.id, self.now,
                            self._known_events(And((cond, *extra)) if extra else cond),
                            extra, prefilter)

    def _mask(self, cond: Condition, aliases: dict[str, str]) -> nw.Expr:
        return condition_expr(cond, aliases, self.now, self._p.schema,
                              self._e.schema if self._e is not None else None)

    def _known_events(self, cond: Condition) -> frozenset[str] | None:
        """Event names known to exist, enough to check ``cond``'s: the declared ones, those
        seen so far, and the names ``cond`` uses that occur (one filtered scan, which storage
        can prune); every name in the table only when one is unknown (for the message)."""
        aggs = aggregates_used(cond)
        if self._e is None or not aggs:
            return None
        known = self._seen_events | self._declared_events
        wanted = sorted({a.event for a in aggs} - known)
        if wanted and self._event_names is None:
            found = self._e.engine.to_polars(
                self._e.frame.filter(nw.col("event").is_in(wanted)).select("event").unique())
            self._seen_events |= frozenset(str(n) for n in found["event"].to_list())
            known = self._seen_events | self._declared_events
        if {a.event for a in aggs} - known:  # a typo: list what the table holds
            if self._event_names is None:
                names = self._e.engine.to_polars(self._e.frame.select("event").unique())
                self._event_names = frozenset(
                    str(n) for n in names["event"].drop_nulls().to_list())
            known = self._event_names | self._declared_events
        return known

    def _ids_frame(self, segment: Segment | Condition | Field) -> nw.LazyFrame[Any]:
        cond = _as_segment(segment).condition
        # the AND-ed profile conditions filter the profiles before any event aggregate is
        # joined (the rest is tested after the join)
        parts = conditions_of(cond)
        early = [p for p in parts if not aggregates_used(p)]
        late = [p for p in parts if aggregates_used(p)]
        if not early or not late:
            frame, aliases = self._compiled(cond)
            return frame.filter(self._mask(cond, aliases)).select(self.id)
        first = early[0] if len(early) == 1 else And(tuple(early))
        rest = late[0] if len(late) == 1 else And(tuple(late))
        frame, aliases = self._compiled(cond, prefilter=first)
        return frame.filter(self._mask(rest, aliases)).select(self.id)

    def plan(self, segment: Segment | Condition | Field) -> Any:
        """The lazy plan of the matching ids: a polars LazyFrame (collect it, or sink it for
        large populations), or the engine's own (a Spark DataFrame, a DuckDB relation)."""
        return self._ids_frame(segment).to_native()

    def select(self, segment: Segment | Condition | Field, *, streaming: bool = False) -> Audience:
        """Evaluate a segment: the :class:`Audience` of matching people (possibly empty).

        A polars population collects the ids (``streaming`` uses polars' streaming engine);
        another engine's audience keeps them there, uncounted, until asked.
        """
        seg = _as_segment(segment)
        plan = self.plan(seg)
        if self._p.engine.keeps_ids:  # Spark, DuckDB: the ids stay there, uncounted
            return Audience(plan, seg, self.n, seg.name, self.now, self.id)
        with numbers_fit():
            ids = plan.collect(engine="streaming" if streaming else "auto")[self.id].sort()
        return Audience(ids, seg, self.n, seg.name, self.now, self.id)

    @property
    def size(self) -> PopulationSize:
        """How many people: an ``int``, as :attr:`Audience.size` is. Called with a segment,
        ``population.size(segment)``, it counts the people that segment selects (in the
        engine, without collecting them)."""
        return PopulationSize(self.n, self)

    def count(self, segment: Segment | Condition | Field) -> int:
        """How many people ``segment`` selects (``population.size(segment)`` says the same)."""
        return self._p.engine.count(self._ids_frame(segment))

    def _sums(self, frame: nw.LazyFrame[Any], masks: Sequence[nw.Expr]) -> list[int]:
        """How many rows each mask selects, in one pass."""
        if not masks:
            return []
        row = self._p.engine.to_polars(frame.select([
            m.fill_null(value=False).cast(nw.Int64).sum().alias(f"s{i}")
            for i, m in enumerate(masks)
        ])).row(0)
        return [int(v or 0) for v in row]

    def waterfall(self, segment: Segment | Condition | Field) -> pl.DataFrame:
        """Size after each AND-ed clause, in order: where an audience gets small."""
        cond = _as_segment(segment).condition
        clauses = list(conditions_of(cond))
        frame, aliases = self._compiled(cond)
        sizes = self._sums(frame, [self._mask(And(tuple(clauses[: i + 1])) if i else clauses[0],
                                              aliases) for i in range(len(clauses))])
        previous = [self.n, *sizes[:-1]]
        return pl.DataFrame({
            "step": list(range(1, len(clauses) + 1)),
            "clause": [describe(c) for c in clauses],
            "size": sizes,
            "share_of_population": [s / self.n if self.n else 0.0 for s in sizes],
            "share_of_previous": [
                s / p if p else 0.0 for s, p in zip(sizes, previous, strict=True)
            ],
        }, schema={"step": pl.Int64, "clause": pl.Utf8, "size": pl.Int64,
                   "share_of_population": pl.Float64, "share_of_previous": pl.Float64})

    def membership(self, audience: Audience) -> nw.LazyFrame[Any]:
        """The profiles with a boolean ``__audiencekit_member`` column: in ``audience`` or not."""
        check_instance(audience, Audience, "audience", " (select one from this population)")
        other = "polars" if audience.is_local else audience.engine
        if other != self.engine:
            raise InvalidSegmentError(
                f"the audience lives in {other} and the population in {self.engine}: use an "
                "audience this population selected (or collect() both)")
        frame = self._p.frame
        _check_id_kinds(audience.ids.dtype if audience.is_local else
                        as_table(audience.ids, "audience ids").schema[audience.id_column],
                        self._p.schema[self.id], f"audience {audience.name!r}", "the population")
        if audience.is_local:  # a polars population: the ids are a Series here
            ids = audience.ids.cast(self._p.schema[self.id])
            return nw.from_native(frame.to_native().with_columns(
                pl.col(self.id).is_in(ids.implode()).alias(MEMBER)))
        marks = audience._frame().unique().with_columns(nw.lit(value=True).alias(MEMBER))
        return frame.join(marks, on=self.id, how="left").with_columns(
            nw.col(MEMBER).fill_null(value=False))

    def profile(self, audience: Audience, columns: Sequence[str] | None = None,
                top: int = 10) -> pl.DataFrame:
        """Each feature in the audience against the whole population, as an index.

        Categorical and boolean columns give the share of each level; list columns the share
        of people with each item; numeric columns the mean. ``index`` = audience / population
        (1.0 = like everyone, 2.0 = twice as common in the audience). Runs in the population's
        engine; only the small table of figures comes back. Levels read the same in every
        engine: bytes in hexadecimal, structs as JSON, dates and times in ISO 8601 ('2026-11-30',
        '08:15:00.5'), a datetime as its instant in UTC ('2026-11-30 08:15:00+00:00', a naive
        one being UTC), 'infinity' past the years an engine writes.
        """
        check_instance(audience, Audience, "audience", " (select one from this population)")
        top = min(check_int(top, "top", 1), 2**32)  # more levels than any column has: all
        return profile_rows(self, audience, self.known_columns(columns), top)

    def known_columns(self, columns: Sequence[str] | None, name: str = "columns") -> list[str]:
        """``columns`` checked against the profiles (every column but the id when None);
        ``name`` is the argument's, for the errors."""
        schema = self._p.schema
        if columns is not None:
            columns = check_names(columns, name)
        cols = list(columns) if columns is not None else [c for c in schema if c != self.id]
        check_not_id(cols, self.id, name)
        unknown = [c for c in cols if c not in schema]
        if unknown:
            raise UnknownColumnError(f"unknown columns {names_shown(unknown)}; the profiles have: "
                                     f"{', '.join(schema)}")
        return cols

    def overlap(self, audiences: Sequence[Audience]) -> pl.DataFrame:
        """A symmetric matrix of how many people each pair of audiences shares."""
        if isinstance(audiences, Audience):
            audiences = [audiences]
        # a list: a set's order (by memory address) would reorder the matrix from run to run
        audiences = listed(audiences, "overlap", "a list of Audience objects")
        for a in audiences:
            check_instance(a, Audience, "each audience")
        names = distinct_names(audiences, reserved=("audience",))  # the first column's name
        data: dict[str, Any] = {"audience": names}
        counts: dict[tuple[int, int], int] = {}
        for i, a in enumerate(audiences):
            for j, b in enumerate(audiences):
                if (j, i) not in counts:
                    counts[i, j] = a.size if i == j else a.overlap(b)
        for j in range(len(audiences)):
            data[names[j]] = [counts.get((i, j), counts.get((j, i)))
                              for i in range(len(audiences))]
        return pl.DataFrame(data)

    def to_sql(self, segment: Segment | Condition | Field, dialect: str = "duckdb",
               profiles: str = "profiles", events: str = "events") -> str:
        """The segment as SQL over tables of these names (list columns known from here);
        checked against this population's columns, types and event names as :meth:`select`
        is (a misspelt event would otherwise select nobody, silently)."""
        segment = _as_segment(segment)
        validate(segment.condition, self._p.schema,
                 self._e.schema if self._e is not None else None, self.id)
        check_event_names(aggregates_used(segment.condition),
                          self._known_events(segment.condition))
        return segment.to_sql(
            dialect, profiles, events, self.id, self.now, schema=self.schema,  # type: ignore[arg-type]
            event_schema=dict(self._e.schema) if self._e is not None else None)


def _check_spark_names(table: Any, what: str) -> None:
    """Refuse Spark columns whose names hold a dot or a backtick: Spark's column references read
    ``a.b`` as field ``b`` of a struct ``a`` and a backtick as quoting, so every event segment
    (which joins its counts to the profiles, naming each column) failed with Spark's
    AnalysisException, whatever columns the segment used."""
    odd = [c for c in table.schema if "." in c or "`" in c]
    if odd:
        raise InvalidSegmentError(
            f"{what} columns {odd} hold a dot or a backtick, which Spark reads as a struct's "
            "field or as quoting: rename them before building the Population, e.g. "
            "df.withColumnRenamed('device.model', 'device_model') (the SQL of Segment.to_sql "
            "quotes such names)")
    session = table.native.sparkSession
    twins = case_twins(table.schema)
    if twins and str(session.conf.get("spark.sql.caseSensitive", "false")).lower() != "true":
        # Spark resolves names case-insensitively by default: 'age' was ambiguous between
        # 'Age' and 'age' (a raw AnalysisException at the first segment)
        raise InvalidSegmentError(
            f"{what} columns {names_shown(twins)} differ only in case, and Spark reads column "
            "names case-insensitively (spark.sql.caseSensitive is false): rename them apart")


def _check_event_types(id_type: Any, events: dict[str, Any], id: str) -> None:
    """The events' columns are of kinds a segment can read: times, names, the profiles' ids.

    A text ``ts`` would fail inside the engine, and an integer one would be read as
    microseconds since 1970 (epoch seconds would all be in January 1970): both are refused
    rather than guessed. An empty or all-null column (polars' Null type) matches nobody.
    """
    ts = events["ts"]
    if not (ts in (pl.Date, pl.Null) or isinstance(ts, pl.Datetime)):
        raise ColumnTypeError(
            f"the events' 'ts' must be a datetime or date column, got {ts}; parse it first "
            "(polars: pl.col('ts').str.to_datetime(); Spark: to_timestamp('ts'); epoch "
            "seconds: pl.from_epoch('ts')); a CSV file's times are read when written year "
            "first in one form per column, such as 2026-10-31T10:00:00Z or 2026-10-31 "
            "(01/02/2026 could be either of two days: it is not guessed at)")
    if not (is_text(events["event"]) or events["event"] == pl.Null):
        raise ColumnTypeError(
            f"the events' 'event' column must hold event names as text, got {events['event']}; "
            "cast it to a string column")
    other = events[id]
    if not same_id_kind(other, id_type):
        raise ColumnTypeError(
            f"the id column {id!r} is {id_type} in the profiles but {other} in the events: "
            "cast one to the other's type so that people can be matched")


class PopulationSize(int):
    """A population's size (an ``int``) that also counts a segment when called."""

    _population: Population

    def __new__(cls, value: int, population: Population) -> PopulationSize:
        size = super().__new__(cls, value)
        size._population = population
        return size

    def __call__(self, segment: Segment | Condition | Field) -> int:
        """How many people ``segment`` selects."""
        return self._population.count(segment)

    def __repr__(self) -> str:
        return int.__repr__(self)


def distinct_names(audiences: Sequence[Audience], reserved: Sequence[str] = ()) -> list[str]:
    """The audiences' names, made distinct ("gamers", "gamers (2)") and kept off ``reserved``."""
    names: list[str] = []
    for a in audiences:
        name, k = a.name, 2
        while name in names or name in reserved:
            name, k = f"{a.name} ({k})", k + 1
        names.append(name)
    return names
