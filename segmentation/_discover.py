"""Discovered segments: clusters of a population, each explained as a readable rule.

Clusters come from k-means (or a Gaussian mixture) on scaled features, with k chosen by
silhouette (or BIC) on a sample when not given. A cluster is not usable as a targeting
definition by itself, so each one is explained by a shallow decision tree (cluster vs rest) whose
positive leaves become a rule :class:`Segment` over the original columns; the rule's precision
and recall against the cluster say how faithful the explanation is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from decimal import ROUND_CEILING, Decimal, localcontext
from functools import reduce

import numpy as np
import polars as pl
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.mixture import GaussianMixture
from sklearn.tree import DecisionTreeClassifier

from ._checks import check_instance, check_int, check_names, named, shown
from ._conditions import Condition, field
from ._errors import ColumnTypeError, InvalidSegmentError
from ._features import kind_of
from ._population import Audience, Population
from ._reserved import check_id_not_an_output
from ._segments import Segment, describe

__all__ = ["Cluster", "Discovery", "discover"]


@dataclass(frozen=True)
class _Column:
    """One encoded feature, and what the tree saw of its source column's nulls."""

    name: str  # encoded name
    source: str  # profile column
    kind: str  # "numeric", "level", "item"
    value: object = None
    fill: float | None = None  # numeric: the value nulls were given (None: no nulls)
    nulls: bool = False  # level/item: nulls were read as "not this level/item"
    integer: bool = False  # numeric: the column holds integers


@dataclass(frozen=True)
class Cluster:
    """A discovered cluster: its size, its rule segment and how well the rule fits."""

    label: int
    size: int
    segment: Segment
    precision: float
    recall: float
    profile: pl.DataFrame


@dataclass(frozen=True)
class Discovery:
    """The result of :func:`discover`."""

    k: int
    method: str
    selection: dict[int, float]
    clusters: list[Cluster]
    labels: pl.DataFrame

    def summary(self) -> pl.DataFrame:
        return pl.DataFrame({
            "cluster": [c.label for c in self.clusters],
            "size": [c.size for c in self.clusters],
            "rule": [c.segment.description for c in self.clusters],
            "precision": [c.precision for c in self.clusters],
            "recall": [c.recall for c in self.clusters],
        })


def _encode(frame: pl.DataFrame, features: Sequence[str], max_levels: int = 12
            ) -> tuple[np.ndarray, list[_Column]]:
    cols: list[np.ndarray] = []
    meta: list[_Column] = []
    for name in features:
        s = frame[name]
        dtype = s.dtype
        if kind_of(dtype) is None or isinstance(dtype, pl.Array):
            # a date's levels were its text ('2020-01-01'), so the cluster's rule compared a
            # date column with a string and failed when selected; durations and arrays failed
            # with polars' own errors
            raise ColumnTypeError(
                f"discover clusters on numbers, booleans, text and lists; feature "
                f"{named(name)} is {dtype} (turn it into a number, e.g. days since a date, or "
                "leave it out)")
        if isinstance(dtype, pl.List):
            items = s.explode().drop_nulls().value_counts(sort=True).head(max_levels)[name]
            for item in items:
                cols.append(s.list.contains(item).fill_null(False).to_numpy().astype(float))
                meta.append(_Column(f"{name}:{item}", name, "item", item,
                                    nulls=s.null_count() > 0))
        elif dtype == pl.Boolean:
            cols.append(s.fill_null(False).to_numpy().astype(float))
            meta.append(_Column(name, name, "level", True, nulls=s.null_count() > 0))
        elif dtype.is_numeric():
            x = s.cast(pl.Float64)
            bad = int((~x.is_finite()).sum())
            if bad:
                raise InvalidSegmentError(
                    f"feature {name!r} holds {bad:,} NaN or infinite values: clusters need "
                    "finite numbers (fill or drop them, or leave the column out)")
            median = x.median()
            fill = (float(median) if isinstance(median, float) else 0.0) if x.null_count() else None
            cols.append(x.fill_null(fill if fill is not None else 0.0).to_numpy())
            meta.append(_Column(name, name, "numeric", fill=fill, integer=dtype.is_integer()))
        else:
            text = s.cast(pl.Utf8)
            for level in text.drop_nulls().value_counts(sort=True).head(max_levels)[name]:
                cols.append((text == level).fill_null(False).to_numpy().astype(float))
                meta.append(_Column(f"{name}={level}", name, "level", level,
                                    nulls=text.null_count() > 0))
    if not cols:
        raise InvalidSegmentError(
            f"features {list(features)} hold no values (every one is null): nothing to cluster")
    return np.column_stack(cols), meta


def _cut(below: float, above: float, integer: bool = False) -> float:
    """A threshold ``d`` with ``below <= d < above`` (``below`` and ``above`` being the sample
    values either side of the tree's split, so that ``<= d`` splits the sample exactly as the
    tree does): the shortest decimal in the middle half of the gap, near the tree's own
    midpoint, or for integers the shortest in the whole gap (``age <= 3`` for 3 and 4)."""
    lo, hi = below, above
    if not integer:  # halves first: a gap from -1e308 to 1e308 is past a double
        mid, quarter = below / 2 + above / 2, above / 4 - below / 4
        lo, hi = max(below, mid - quarter), min(above, mid + quarter)
    exact = Decimal(lo)
    with localcontext() as context:
        context.prec = 60  # a double's exact value and a coarser rounding of it both fit
        exp = max(exact.adjusted(), Decimal(hi).adjusted()) + 1
        while exp >= exact.adjusted() - 17:
            d = float(exact.quantize(Decimal(1).scaleb(exp), rounding=ROUND_CEILING)) + 0.0
            if d <= hi and below <= d < above:
                return d
            exp -= 1
    return below  # adjacent doubles: no shorter number between them


@dataclass
class _Bounds:
    """What one path of the tree says of one source column."""

    lo: float | None = None  # numeric: value > lo
    hi: float | None = None  # numeric: value <= hi
    nulls: bool = True  # the rows the tree saw as this column's nulls follow the path
    equal: object = None  # level: the level the path requires
    unequal: list[object] = dataclass_field(default_factory=list)  # levels it rules out
    has: list[object] = dataclass_field(default_factory=list)  # items the list must hold
    lacks: list[object] = dataclass_field(default_factory=list)  # items it must not hold


def _written(col: _Column, b: _Bounds) -> Condition:
    """One source column's part of a path, null rows included where the tree sent them."""
    f = field(col.source)
    parts: list[Condition] = []
    if col.kind == "numeric":
        def number(v: float) -> float | int:
            return int(v) if col.integer and v.is_integer() else v
        if b.lo is not None:
            parts.append(f > number(b.lo))
        if b.hi is not None:
            parts.append(f <= number(b.hi))
        nulls = col.fill is not None and b.nulls
    elif col.kind == "level":
        if b.equal is not None:
            parts.append(f == b.equal)
        else:
            parts += [f == False if v is True else f != v for v in b.unequal]  # noqa: E712
        nulls = col.nulls and b.equal is None
    else:
        parts += [f.contains(v) for v in b.has] + [~f.contains(v) for v in b.lacks]
        nulls = col.nulls and not b.has
    cond = reduce(lambda a, c: a & c, parts)
    return cond | f.is_null() if nulls else cond


def _rule(tree: DecisionTreeClassifier, meta: list[_Column], xs: np.ndarray,
          scale: tuple[np.ndarray, np.ndarray] | None = None) -> Condition | None:
    """The regions where the tree predicts the cluster, as a rule over the profile columns.

    The rule selects exactly the sample rows ``xs`` (the tree's training rows) that the tree
    predicts: thresholds are the shortest decimals between the sample values either side of the
    tree's split (scikit-learn splits float32 copies at their midpoints, which rounded to a
    fixed number of places had made ``tiny > 0.0 and tiny <= 0.0`` of a column in millionths),
    the rows the tree saw with a filled-in null follow it, a subtree predicting the cluster
    throughout is one path, and each path states each column once (its tightest bounds).
    ``scale`` = (mean, std) when the tree learned from ``(xs - mean) / std``."""
    t = tree.tree_
    positive = t.value[:, 0, :].argmax(axis=1) == 1
    leaf = t.children_left == -1
    everywhere = positive.copy()  # every leaf under the node predicts the cluster
    for node in range(t.node_count - 1, -1, -1):  # children are numbered after parents
        if not leaf[node]:
            everywhere[node] = everywhere[t.children_left[node]] & everywhere[
                t.children_right[node]]
    mean, std = scale if scale is not None else (np.zeros(xs.shape[1]), np.ones(xs.shape[1]))

    def seen(values: np.ndarray | float, j: int) -> np.ndarray:
        """What the tree compared: float32 copies of the values it learned from."""
        return np.asarray((np.asarray(values) - mean[j]) / std[j], dtype=np.float32
                          ).astype(np.float64)
    paths: list[Condition] = []
    first: dict[str, int] = {}  # one key per profile column in a path: its first encoded one
    for i, c in enumerate(meta):
        first.setdefault(c.source, i)

    def walk(node: int, path: dict[int, _Bounds]) -> None:
        if everywhere[node]:
            parts = [_written(meta[key], b) for key, b in path.items()]
            paths.append(reduce(lambda a, c: a & c, parts) if parts else
                         field(meta[0].source).is_not_null() | field(meta[0].source).is_null())
            return
        if leaf[node]:
            return
        j, thr = int(t.feature[node]), float(t.threshold[node])
        col, key = meta[j], first[meta[j].source]
        if col.kind == "numeric":  # one threshold for both sides of the split
            values = xs[:, j]
            left = seen(values, j) <= thr
            d = _cut(float(values[left].max()), float(values[~left].min()), col.integer)
        for le, child in ((True, t.children_left[node]), (False, t.children_right[node])):
            b = replace(path.get(key, _Bounds()))
            b.unequal, b.has, b.lacks = list(b.unequal), list(b.has), list(b.lacks)
            if col.kind == "numeric":
                if le:
                    b.hi = d if b.hi is None else min(b.hi, d)
                else:
                    b.lo = d if b.lo is None else max(b.lo, d)
                if col.fill is not None:
                    b.nulls = b.nulls and bool(seen(col.fill, j) <= thr) == le
            elif col.kind == "level":
                if le:
                    b.unequal.append(col.value)
                else:
                    b.equal = col.value
            else:
                (b.lacks if le else b.has).append(col.value)
            walk(child, {**path, key: b})

    walk(0, {})
    if not paths:
        return None
    return reduce(lambda a, c: a | c, paths)


def discover(population: Population, features: Sequence[str], k: int | None = None,
             random_state: int = 0, method: str = "kmeans", k_range: Sequence[int] = range(2, 9),
             sample: int = 20_000, max_depth: int = 3) -> Discovery:
    """Cluster the population on ``features`` and explain each cluster as a rule segment.

    Parameters
    ----------
    population : Population
    features : sequence of str
        Profile columns: numeric (scaled), categorical or boolean (one-hot), list (multi-hot).
    k : int, optional
        Number of clusters; chosen by silhouette (k-means) or BIC (mixture) when ``None``.
    random_state : int
        Seeds the sample, the clustering and the trees.
    method : {"kmeans", "gmm"}
    sample : int
        Rows used to choose k and fit the clusters (all rows are then labelled).
    max_depth : int
        Depth of the explaining trees (3 keeps rules readable).
    """
    if method not in ("kmeans", "gmm"):
        raise InvalidSegmentError(f"method must be 'kmeans' or 'gmm', got {named(method)}")
    check_instance(population, Population, "population")
    check_id_not_an_output(population.id, ("cluster",), "the cluster labels")
    features = check_names(features, "features")
    random_state = check_int(random_state, "random_state", 0)
    if random_state >= 2**32:  # scikit-learn's seeds are 32-bit: 10**12 failed inside KMeans
        raise InvalidSegmentError(f"random_state must be an int from 0 to 2**32 - 1, got "
                                  f"{shown(random_state)}")
    sample = check_int(sample, "sample", 10)
    max_depth = check_int(max_depth, "max_depth", 1)
    if k is not None:
        k = check_int(k, "k", 2)
    if isinstance(k_range, (str, bytes)) or not isinstance(k_range, Iterable):
        raise InvalidSegmentError(f"k_range takes cluster counts (ints of at least 2), got "
                                  f"{shown(k_range)}")
    k_range = [check_int(n, "each k in k_range", 2) for n in k_range]
    if k is None and not k_range:
        raise InvalidSegmentError("k_range is empty: give cluster counts to choose from")
    if not features:
        raise InvalidSegmentError("discover needs at least one feature column")
    population.local("discover")
    population.known_columns(features, "features")
    frame = population.profiles.select([population.id, *features]).collect()
    if frame.height < 10:
        raise InvalidSegmentError(f"discover needs at least 10 people, got {frame.height}")
    x, meta = _encode(frame, features)
    mean, std = x.mean(axis=0), x.std(axis=0)
    if not (std > 0).any():
        raise InvalidSegmentError(
            f"features {list(features)} are the same for everyone: nothing to cluster")
    scaled = np.where(std > 0, std, 1.0)
    z = (x - mean) / scaled
    rng = np.random.default_rng(random_state)
    idx = rng.choice(len(z), size=min(sample, len(z)), replace=False)
    zs = z[idx]
    distinct = len(np.unique(zs, axis=0))
    if k is not None and k > distinct:
        raise InvalidSegmentError(
            f"k={shown(k)} clusters, but the sample of {len(zs):,} people has {distinct:,} "
            "distinct feature values: ask for fewer")
    # silhouette needs fewer clusters than points; more clusters than distinct values is noise
    k_range = [n for n in k_range if n <= min(distinct, len(zs) - 1)]
    if k is None and not k_range:
        raise InvalidSegmentError(
            f"the sample has {distinct:,} distinct feature values: too few for k_range's "
            "cluster counts")

    def fit(n_clusters: int) -> KMeans | GaussianMixture:
        if method == "kmeans":
            return KMeans(n_clusters, n_init=4, random_state=random_state).fit(zs)
        return GaussianMixture(n_clusters, covariance_type="diag",
                               random_state=random_state).fit(zs)

    selection: dict[int, float] = {}
    if k is None:
        sil_idx = idx[: min(len(idx), 4_000)]
        for n_clusters in k_range:
            model = fit(n_clusters)
            if method == "kmeans":
                labels_s = model.predict(z[sil_idx])
                selection[n_clusters] = float(silhouette_score(z[sil_idx], labels_s)) if len(
                    set(labels_s)) > 1 else -1.0
            else:
                selection[n_clusters] = float(model.bic(zs))
        pick = max if method == "kmeans" else min
        k = pick(selection, key=selection.__getitem__)
    model = fit(k)
    labels = model.predict(z)
    ids = frame[population.id]
    labelled = pl.DataFrame({population.id: ids, "cluster": labels})
    clusters: list[Cluster] = []
    for c in range(k):
        y = labels == c
        size = int(y.sum())
        tree = DecisionTreeClassifier(max_depth=max_depth, class_weight="balanced",
                                      random_state=random_state).fit(zs, y[idx])
        # on the scaled copy: scikit-learn's float32 copy of 1 + 1e-9 * x is all 1.0
        rule = _rule(tree, meta, x[idx], (mean, scaled))
        if rule is None:
            continue
        segment = Segment(f"cluster {c}", rule, describe(rule))
        chosen = population.select(segment)
        member_ids = ids.filter(pl.Series(y))
        hit = int(chosen.ids.is_in(member_ids.implode()).sum())
        members = Audience(member_ids.sort(), None, population.n, f"cluster {c}",
                           id_column=population.id)
        clusters.append(Cluster(
            label=c, size=size, segment=segment,
            precision=hit / chosen.size if chosen.size else 0.0,
            recall=hit / size if size else 0.0,
            profile=population.profile(members, features),
        ))
    return Discovery(k=k, method=method, selection=selection, clusters=clusters,
                     labels=labelled)
