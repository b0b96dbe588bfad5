"""Model features from a population: the fitted pipeline that the lookalike model carries.

Numeric columns are imputed (median, plus a missing flag when there were nulls) and scaled;
categorical and boolean columns are one-hot (nulls a level of their own when common) with rare
levels bucketed into one "another value" feature; list
columns are multi-hot over their most common items; event aggregates per person are counted over
windows (count and total value in the last 30 and 90 days, days since the last event). What was
learned at fit time (levels, items, medians, scales, event types) is reused at transform time,
so a model fitted on one population scores another consistently.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from ._checks import check_names, check_not_id, named, names_shown
from ._clock import DAY_US, epoch_us, utc_now
from ._compile import aggregate_table
from ._conditions import duration_text, event, parse_duration
from ._engines import polars_epoch_us
from ._errors import ColumnTypeError, InvalidSegmentError, UnknownColumnError
from ._reserved import working

__all__ = ["FLOAT32_MAX", "MIN_HOLDERS", "FeatureBuilder", "kind_of"]

#: A level or list item held by fewer people is no feature of its own: in a small population
#: 0.5% is one person, and the level (an email, a name) would name them in the model's
#: feature names and in explain()'s readings, which reports and the command line show.
MIN_HOLDERS = 10


@dataclass
class _Spec:
    name: str
    kind: str  # numeric | categorical | list
    median: float = 0.0
    has_missing: bool = False
    #: categorical: the values kept as levels (never null); list: the items encoded
    levels: list[str] = field(default_factory=list)
    #: categorical: whether null is common enough to be a level of its own
    null_level: bool = False


@dataclass(frozen=True)
class _Feature:
    """One column of the matrix: where it comes from (``key``, unique by construction), its
    name as first spelled (two may read alike), and how it reads in words."""

    key: tuple[str, ...]
    name: str
    label: str
    is_share: bool


def _quoted(value: str) -> str:
    """A level as written in a reading; quoted when blank or padded, so it is visible."""
    return value if value and value.strip() == value else repr(value)


def _spec_features(spec: _Spec) -> list[_Feature]:
    """The features one profile column becomes, in the matrix's order."""
    c = spec.name
    if spec.kind == "numeric":
        return [_Feature(("num", c), c, c, False)] + (
            [_Feature(("num", c, "missing"), f"{c}:missing", f"{c} unknown", True)]
            if spec.has_missing else [])
    if spec.kind == "categorical":
        return ([_Feature(("cat", c, "=", v), f"{c}={v}", f"{c} is {_quoted(v)}", True)
                 for v in spec.levels]
                + ([_Feature(("cat", c, "missing"), f"{c}:missing", f"{c} is missing", True)]
                   if spec.null_level else [])
                + [_Feature(("cat", c, "other"), f"{c}:other", f"{c} is another value", True)])
    return [_Feature(("list", c, v), f"{c}:{v}",
                     f"interested in {_quoted(v)}" if c == "interests"
                     else f"{c} has {_quoted(v)}", True) for v in spec.levels]


def _article(word: str) -> str:
    return "an" if word[:1].lower() in ("a", "e", "i", "o", "u") else "a"


def _unique(names: list[str]) -> list[str]:
    """Names made unique: a later name that reads like an earlier one (a column ``plan=a``
    beside the level ``a`` of ``plan``) gets ``#2``, ``#3``..."""
    seen: set[str] = set()
    out = []
    for name in names:
        candidate, k = name, 1
        while candidate in seen:
            k += 1
            candidate = f"{name}#{k}"
        seen.add(candidate)
        out.append(candidate)
    return out


class FeatureBuilder:
    """Learns and applies the feature encoding of profiles (and events).

    Parameters
    ----------
    columns : sequence of str, optional
        Profile columns to use; all but the id when None.
    windows : sequence of str
        Event windows for counts and sums ("30d", "90d").
    rare_share : float
        Levels rarer than this share go to one "another value" feature, and so do levels
        held by fewer than :data:`MIN_HOLDERS` people, whatever the share.
    max_items : int
        Most common items of a list column to encode (each held by at least
        :data:`MIN_HOLDERS` people).
    event_types : sequence of str, optional
        Event types to aggregate (all when None); leave out events only customers have.
    """

    mean_: np.ndarray
    scale_: np.ndarray
    feature_names_: list[str]
    #: per feature, how it reads in words and whether its values are shares (0 to 1)
    feature_labels_: list[tuple[str, bool]]

    def __init__(self, columns: Sequence[str] | None = None,
                 windows: Sequence[str] = ("30d", "90d"), rare_share: float = 0.005,
                 max_items: int = 20, event_types: Sequence[str] | None = None) -> None:
        # sets in sorted order (see check_names): the same columns in the same order each run
        self.columns = check_names(columns, "features") if columns is not None else None
        self.event_types = (check_names(event_types, "event_types", "event names")
                            if event_types is not None else None)
        self.windows = (tuple(sorted(windows, key=lambda w: parse_duration(duration_text(w))))
                        if isinstance(windows, AbstractSet) else tuple(windows))
        self.rare_share = rare_share
        self.max_items = max_items

    # -- event aggregates ------------------------------------------------------------------------

    def _event_specs(self) -> list[tuple[Any, str, str, str]]:
        """Per learned event aggregate: the segment aggregate, its column name, its kind
        (count, sum, since) and how it reads: per event type, counts and value totals in each
        window and days since the last one. Event names are free text (``app:open``): what a
        column is comes from here, never from parsing its name."""
        # each span once, as segments write it: timedelta(days=30) and a second "30d" are "30d"
        spans: dict[Any, str] = {}
        for window in self.windows:
            spans.setdefault(parse_duration(duration_text(window)), duration_text(window))
        out = []
        for e in self.event_types_:
            q = event(e)
            for w in spans.values():
                out.append((q.count(within=w), f"ev:{e}:count_{w}", "count",
                            f"{e} events in {w}"))
                if self.has_value_:
                    out.append((q.sum("value", within=w), f"ev:{e}:sum_{w}", "sum",
                                f"{e} total value in {w}"))
            out.append((q.days_since_last(), f"ev:{e}:days_since_last", "since",
                        f"days since the last {e}"))
        return out

    def event_aggregates(self) -> tuple[list[Any], dict[str, str]]:
        """The learned event features as segment aggregates, and the columns they are computed
        into: plain positional names (``__audiencekit_ev0``...), as an event type is free text
        and Spark reads a dot or a backtick in a column name as syntax. :meth:`_named` gives
        the features' names back."""
        specs = self._event_specs()
        return ([agg for agg, *_ in specs],
                {agg.key: working(f"ev{i}") for i, (agg, *_) in enumerate(specs)})

    def _named(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        """The event aggregates' columns of ``frame`` (positional), named as features."""
        specs = self._event_specs()
        return frame.select([pl.col(working(f"ev{i}")).alias(name)
                             for i, (_, name, *_) in enumerate(specs)])

    def _event_features(self) -> list[_Feature]:
        """The event features in :meth:`_filled_events`' order: the aggregates, then a
        "never" flag per days-since column."""
        specs = self._event_specs()
        return ([_Feature(("ev", name), name, label, False) for _, name, _, label in specs]
                + [_Feature(("ev", name, "never"), f"{name}:never",
                            f"never had {_article(agg.event)} {agg.event} event", True)
                   for agg, name, kind, _ in specs if kind == "since"])

    def _features(self) -> list[_Feature]:
        """Every feature of the matrix, in order."""
        return [f for sp in self.specs_ for f in _spec_features(sp)] + self._event_features()

    def _event_frame(self, population: Any, ids: pl.Series) -> pl.DataFrame | None:
        """Per person, the event features, with the segments' own aggregate definitions (one
        pass over the events)."""
        table = population._e
        if table is None or not self.event_types_:
            return None
        aggs, aliases = self.event_aggregates()
        per_person = aggregate_table(aggs, table, population.id, population.now, aliases)
        # collected, then joined: one polars plan holding both ran slower (2.6 s against 2.1 s
        # for 1M people and 30M events)
        found = table.engine.to_polars(per_person)
        frame = pl.DataFrame({population.id: ids}).join(
            found, on=population.id, how="left", maintain_order="left")
        return self._filled_events(self._named(frame.lazy())).collect()

    def _filled_events(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        """Raw event aggregates (null: no such event) as features: zero counts and sums, and
        "never seen" as long ago as the data goes, with a flag."""
        specs = self._event_specs()
        since = [name for _, name, kind, _ in specs if kind == "since"]
        # never seen: as long ago as the data goes (its own span, learned at fit), and a flag
        return frame.select(
            [pl.col(name).cast(pl.Float64).fill_null(
                self.never_days_ if kind == "since" else 0.0) for _, name, kind, _ in specs]
            + [pl.col(c).is_null().cast(pl.Float32).alias(f"{c}:never") for c in since])

    # -- fit / transform -------------------------------------------------------------------------

    def _profile_frame(self, population: Any) -> tuple[pl.DataFrame, str]:
        population.local("building the lookalike's features")
        schema = population.profiles.collect_schema()
        cols = self.columns if self.columns is not None else [
            c for c in schema if c != population.id]
        check_not_id(cols, population.id, "features")
        missing = [c for c in cols if c not in schema]
        if missing:
            raise UnknownColumnError(f"unknown feature columns {names_shown(missing)}; the "
                                     "profiles have: "
                                     f"{', '.join(schema)}")
        return population.profiles.select([population.id, *cols]).collect(), population.id

    def fit(self, population: Any) -> FeatureBuilder:
        self.fit_transform(population)
        return self

    def fit_transform(self, population: Any) -> np.ndarray:
        """Learn the encoding, and return the fitted population's scaled matrix (one pass)."""
        frame, id_col = self._profile_frame(population)
        n = max(frame.height, 1)
        specs: list[_Spec] = []
        skipped: list[str] = []
        for c in frame.columns:
            if c == id_col:
                continue
            s = frame[c]
            dtype = s.dtype
            kind = kind_of(dtype)
            if kind == "list":
                items = (s.explode().drop_nulls().value_counts(sort=True)
                         .filter(pl.col("count") >= MIN_HOLDERS).head(self.max_items))
                specs.append(_Spec(c, "list", levels=[str(v) for v in items[c]]))
            elif kind == "numeric":
                x = _as_float(s)
                specs.append(_Spec(c, "numeric", median=float(x.median() or 0.0),  # type: ignore[arg-type]
                                   has_missing=bool(x.is_null().any())))
            elif kind == "categorical":
                counts = s.cast(pl.Utf8).value_counts(sort=True)
                keep = counts.filter((pl.col("count") / n >= self.rare_share)
                                     & (pl.col("count") >= MIN_HOLDERS))[c].to_list()
                specs.append(_Spec(c, "categorical",
                                   levels=[str(v) for v in keep if v is not None],
                                   null_level=None in keep))
            elif self.columns is None:  # by default: left out, and said so below
                skipped.append(f"{c} ({dtype})")
            else:
                raise InvalidSegmentError(
                    f"feature column {c!r} has type {dtype}; use numeric, text, boolean or "
                    "list columns"
                )
        #: default columns of types no feature is made from (dates, structs, binary...)
        self.skipped_ = skipped
        if skipped:
            warnings.warn(
                f"left out columns of types the lookalike cannot use: {', '.join(skipped)}; "
                "turn them into numbers or text to use them (a date as days since it)",
                UserWarning, stacklevel=4)
        self.specs_ = specs
        events = population.events
        if events is not None:
            ev_schema = events.collect_schema()
            self.has_value_ = "value" in ev_schema and ev_schema["value"].is_numeric()
            present = sorted(str(e) for e in events.select(pl.col("event").unique())
                             .collect()["event"].to_list())
            if self.event_types is not None:
                unknown = sorted(set(self.event_types) - set(present))
                if unknown:
                    raise UnknownColumnError(f"event types {names_shown(unknown)} are not in the "
                                             "events; "
                                             f"they have: {', '.join(present)}")
                present = [e for e in present if e in self.event_types]
            self.event_types_ = present
            # in epoch microseconds (UTC for an aware time): a polars datetime past Python's
            # years (DuckDB's '-infinity') panicked when read as a datetime
            first = events.select(polars_epoch_us("ts", ev_schema["ts"]).min()).collect().item()
            span = (epoch_us(utc_now(population.now)) - first) / DAY_US if first is not None \
                else 0.0
            self.never_days_ = float(max(span, 1.0))
        else:
            if self.event_types:  # named for nothing: a model without them, quietly
                raise UnknownColumnError(
                    f"event types {names_shown(list(self.event_types))} are named, but the "
                    "population has no events; give it its events table")
            self.has_value_, self.event_types_ = False, []
            self.never_days_ = 1.0
        return self._encode(population, frame, fitting=True)

    def _encode(self, population: Any, frame: pl.DataFrame | None = None,
                fitting: bool = False) -> np.ndarray:
        frame, ev = self._frames(population, frame)
        return self._blocks(frame, ev, fitting)[0]

    def _frames(self, population: Any, frame: pl.DataFrame | None = None
                ) -> tuple[pl.DataFrame, pl.DataFrame | None]:
        """The profile columns (``frame`` when already read) and the event features aligned
        with them: what the matrix is filled from."""
        if frame is None:
            frame, _ = self._profile_frame(population)
        return frame, self._event_frame(population, frame[population.id])

    def without(self, columns: Sequence[str], event_types: Sequence[str]
                ) -> tuple[FeatureBuilder, np.ndarray]:
        """A copy of this fitted builder without some profile columns and event types, and
        the positions of the features it keeps (the same encoding, means and scales)."""
        drop_cols, drop_events = set(columns), set(event_types)
        kept = copy.copy(self)
        kept.specs_ = [sp for sp in self.specs_ if sp.name not in drop_cols]
        kept.event_types_ = [e for e in self.event_types_ if e not in drop_events]
        kept.columns = [sp.name for sp in kept.specs_]
        kept.event_types = list(kept.event_types_)
        position = {f.key: i for i, f in enumerate(self._features())}
        features = kept._features()
        keep = np.array([position[f.key] for f in features], dtype=np.intp)
        kept._describe(features)
        kept.mean_, kept.scale_ = self.mean_[keep], self.scale_[keep]
        return kept, keep

    def matrix_from_frame(self, frame: pl.DataFrame) -> np.ndarray:
        """The scaled feature matrix of rows that hold the profile columns and the raw event
        aggregates (named as :meth:`event_aggregates` says, null when none): how a partition
        of a Spark population is scored."""
        ev = (self._filled_events(self._named(frame.lazy())).collect()
              if self.event_types_ else None)
        return self._blocks(frame, ev)[0]

    def _columns(self, frame: pl.DataFrame, ev: pl.DataFrame | None) -> list[Any]:
        """Per feature (in :meth:`_features`' order), a function giving its raw column (any
        numeric or boolean array), called when the matrix is filled: one column at a time
        besides the matrix."""
        cols: list[Any] = []
        for spec in self.specs_:
            s = frame[spec.name]
            getters: list[Any]
            if spec.kind == "numeric":
                x = _as_float(s)
                getters = [lambda x=x, m=spec.median: x.fill_null(m).to_numpy()]
                if spec.has_missing:
                    getters.append(lambda x=x: x.is_null().to_numpy())
            elif spec.kind == "categorical":
                # one code per row: the level's position, then missing (when a level), then
                # everything else; a null is never a value's text (a level "__null__")
                known, n_codes = spec.levels, len(_spec_features(spec))
                codes = s.cast(pl.Utf8).replace_strict(
                    known, list(range(len(known))), default=n_codes - 1,
                    return_dtype=pl.Int32).to_numpy(writable=True)
                codes[s.is_null().to_numpy()] = len(known) if spec.null_level else n_codes - 1
                getters = [lambda c=codes, i=i: c == i for i in range(n_codes)]
            else:
                items = self._items(s, spec.levels)
                getters = [lambda r=items, i=i: r[i] for i in range(len(spec.levels))]
            cols.extend(getters)
        if ev is not None:  # the event features, in _filled_events' order
            cols.extend(lambda c=c: ev[c].to_numpy() for c in ev.columns)
        return cols

    @staticmethod
    def _items(s: pl.Series, levels: list[str]) -> list[np.ndarray]:
        """Per item, which rows' lists hold it (one pass over the exploded lists)."""
        exploded = pl.DataFrame({"item": s.cast(pl.List(pl.Utf8))}).with_row_index(
            "row").explode("item")
        codes = exploded["item"].replace_strict(levels, list(range(len(levels))), default=-1,
                                                return_dtype=pl.Int32).to_numpy()
        rows = exploded["row"].to_numpy()
        out = []
        for i in range(len(levels)):
            has = np.zeros(s.len(), dtype=bool)
            has[rows[codes == i]] = True
            out.append(has)
        return out

    def _blocks(self, frame: pl.DataFrame, ev: pl.DataFrame | None,
                fitting: bool = False, out: np.ndarray | None = None
                ) -> tuple[np.ndarray, list[str]]:
        """The scaled feature matrix (float32, one contiguous column per feature) and the
        features' names; ``fitting`` learns each column's mean and scale first. ``out``: a
        float32 column-major buffer of at least as many rows to fill instead of a new matrix
        (its first rows are returned)."""
        cols = self._columns(frame, ev)
        matrix = (np.empty((frame.height, len(cols)), dtype=np.float32, order="F")
                  if out is None else out[: frame.height])
        means, scales = [], []
        for j, column in enumerate(cols):
            col = matrix[:, j]
            raw = column()
            if raw.dtype.kind == "f" and not _plain(raw):
                mean, scale = (_moments(raw) if fitting
                               else (float(self.mean_[j]), float(self.scale_[j])))
                col[:] = _scaled(raw, mean, scale)
                if fitting:
                    means.append(mean)
                    scales.append(scale)
                continue
            col[:] = raw
            if fitting:
                std = float(col.std(dtype=np.float64)) if len(col) else 0.0
                means.append(float(col.mean(dtype=np.float64)) if len(col) else 0.0)
                scales.append(std if std > 0 else 1.0)
                mean, scale = means[-1], scales[-1]
            else:
                mean, scale = float(self.mean_[j]), float(self.scale_[j])
            col -= np.float32(mean)
            col *= np.float32(1.0 / scale)
        if fitting:
            self.mean_, self.scale_ = np.array(means), np.array(scales)
            self._describe(self._features())
        return matrix, self.feature_names_

    def _describe(self, features: list[_Feature]) -> None:
        """Set the features' names (unique) and readings (``(words, is_share)``)."""
        self.feature_names_ = _unique([f.name for f in features])
        self.feature_labels_ = [(f.label, f.is_share) for f in features]
        since = {("ev", name) for _, name, kind, _ in self._event_specs() if kind == "since"}
        #: the matrix columns of days since the last event (never seen: ``never_days_``)
        self.since_columns_ = [j for j, f in enumerate(features) if f.key in since]

    def transform(self, population: Any) -> np.ndarray:
        """The scaled feature matrix (float32, column-major), one row per profile, in profile
        order."""
        self.check_readable(population)
        return self._encode(population)

    def check_readable(self, population: Any) -> None:
        """Refuse, before any row is read, a population the fitted features cannot be read
        from as they were learned: a feature column now of another kind (a text ``age`` was
        cast to numbers or failed with polars' own error; a boolean one was read as ages of 0
        and 1), or no events, or event values that are not numbers, for a model that reads
        them (with no events table the event columns of the matrix were left unfilled: the
        scores read whatever memory held)."""
        schema = population.schema
        changed = [f"{named(sp.name)} ({sp.kind} when fitted, {schema[sp.name]} here)"
                   for sp in self.specs_
                   if sp.name in schema and kind_of(schema[sp.name]) != sp.kind]
        if changed:
            raise ColumnTypeError(
                f"feature column{'s' if len(changed) > 1 else ''} {', '.join(changed)} "
                f"changed kind since the model was fitted; give "
                f"{'them their' if len(changed) > 1 else 'it its'} fitted type (or fit again)")
        if not self.event_types_:
            return
        events = population._e
        if events is None:
            raise InvalidSegmentError(
                f"the model reads event features ({names_shown(self.event_types_)}) and this "
                "population has no events; give it the events table (a person without events "
                "then scores as one)")
        value = events.schema.get("value")
        if self.has_value_ and (value is None or not value.is_numeric()):
            raise ColumnTypeError(
                f"the model reads the events' numeric 'value' column, and these events have "
                f"{'none' if value is None else f'one of type {value}'}; give them the "
                "fitted events' value column")

    def map_rows(self, population: Any, fn: Callable[[np.ndarray], np.ndarray],
                 rows: int = 131_072) -> np.ndarray:
        """``fn`` of the scaled feature matrix, in blocks of ``rows`` rows filled into one
        reused buffer, concatenated in profile order: the whole matrix (356 MB for 1M people
        and 89 features) is never held, and the buffer's pages are touched once."""
        self.check_readable(population)
        frame, ev = self._frames(population)
        buffer = np.empty((min(rows, frame.height), len(self.feature_names_)),
                          dtype=np.float32, order="F")
        parts = [fn(self._blocks(frame.slice(start, rows),
                                 ev.slice(start, rows) if ev is not None else None,
                                 out=buffer)[0])
                 for start in range(0, frame.height, rows)]
        return np.concatenate(parts) if parts else np.empty(0)

    def ids(self, population: Any) -> pl.Series:
        return population.profiles.select(population.id).collect()[population.id]


#: Raw values up to this size are numbers to scale; beyond it (no telco measure comes near) a
#: value is taken as an infinity of its sign: above (below) every other value, and out of the
#: mean and spread, which it would otherwise swamp (one 1e300 made every other value the same
#: float32 number).
_PLAIN = 1e30
#: Where :func:`_scaled` puts infinities and values past ``_PLAIN`` (with their sign).
FLOAT32_MAX = float(np.finfo(np.float32).max)


def kind_of(dtype: Any) -> str | None:
    """The kind of feature a column of ``dtype`` makes: ``list`` (its items, numbers or
    text), ``numeric`` (booleans excepted), ``categorical`` (text, booleans, categories), or
    None (dates, structs, binary, lists of those...: no feature; a list of maps or structs
    failed casting its items to text)."""
    if isinstance(dtype, (pl.List, pl.Array)):
        return "list" if kind_of(dtype.inner) in ("numeric", "categorical") else None
    if dtype.is_numeric() and dtype != pl.Boolean:
        return "numeric"
    if dtype == pl.Boolean or dtype == pl.Utf8 or isinstance(dtype, (pl.Categorical, pl.Enum)):
        return "categorical"
    return None


def _as_float(s: pl.Series) -> pl.Series:
    """A numeric profile column as floats, NaN as missing (like null): one NaN made the
    column's mean NaN, and so every scaled value of the feature."""
    return s.cast(pl.Float64).fill_nan(None)


def _plain(raw: np.ndarray) -> bool:
    """Whether every value of a float column is a number up to ``_PLAIN`` in size."""
    if raw.size == 0:
        return True
    low, high = float(raw.min()), float(raw.max())  # NaN propagates: not plain
    return low >= -_PLAIN and high <= _PLAIN


def _moments(raw: np.ndarray) -> tuple[float, float]:
    """The mean and standard deviation (1 when zero) of a column's values up to ``_PLAIN`` in
    size; (0, 1) when there are none. NaN, infinities and larger values are placed by
    :func:`_scaled`, not averaged."""
    with np.errstate(invalid="ignore"):
        values = raw[np.abs(raw) <= _PLAIN]
    if values.size == 0:
        return 0.0, 1.0
    std = float(values.std())
    return float(values.mean()), (std if std > 0 else 1.0)


def _scaled(raw: np.ndarray, mean: float, scale: float) -> np.ndarray:
    """``(raw - mean) / scale`` as float32 for a column that is not :func:`_plain`: NaN (an
    event total over NaN values, say) is the fitted mean (0: no evidence either way); an
    infinity or a value past ``_PLAIN`` is float32's largest value of its sign, above (below)
    every other value, as the trees' bins need."""
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.where(np.abs(raw) > _PLAIN, np.sign(raw) * FLOAT32_MAX,
                       np.clip((raw - mean) / scale, -FLOAT32_MAX, FLOAT32_MAX))
    return np.nan_to_num(out, nan=0.0).astype(np.float32)
