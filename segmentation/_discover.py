"""Discovered segments: clusters of a population, each explained as a readable rule.

Clusters come from k-means (or a Gaussian mixture) on scaled features, with k chosen by
silhouette (or BIC) on a sample when not given. A cluster is not usable as a targeting
definition by itself, so each one is explained by a shallow decision tree (cluster vs rest) whose
positive leaves become a rule :class:`Segment` over the original columns; the rule's precision
and recall against the cluster say how faithful the explanation is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
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
    """One encoded feature and how to write a split on it as a condition."""

    name: str  # encoded name
    source: str  # profile column
    kind: str  # "numeric", "level", "item"
    value: object = None

    def condition(self, le: bool, threshold: float) -> Condition:
        f = field(self.source)
        if self.kind == "numeric":
            t = float(np.round(threshold, 4))
            return f <= t if le else f > t
        if self.kind == "level":
            present = f == self.value
            return ~present if le else present
        present = f.contains(self.value)
        return ~present if le else present


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
                meta.append(_Column(f"{name}:{item}", name, "item", item))
        elif dtype == pl.Boolean:
            cols.append(s.fill_null(False).to_numpy().astype(float))
            meta.append(_Column(name, name, "level", True))
        elif dtype.is_numeric():
            x = s.cast(pl.Float64)
            bad = int((~x.is_finite()).sum())
            if bad:
                raise InvalidSegmentError(
                    f"feature {name!r} holds {bad:,} NaN or infinite values: clusters need "
                    "finite numbers (fill or drop them, or leave the column out)")
            cols.append(x.fill_null(x.median() or 0.0).to_numpy())
            meta.append(_Column(name, name, "numeric"))
        else:
            text = s.cast(pl.Utf8)
            for level in text.drop_nulls().value_counts(sort=True).head(max_levels)[name]:
                cols.append((text == level).fill_null(False).to_numpy().astype(float))
                meta.append(_Column(f"{name}={level}", name, "level", level))
    if not cols:
        raise InvalidSegmentError(
            f"features {list(features)} hold no values (every one is null): nothing to cluster")
    return np.column_stack(cols), meta


def _rule(tree: DecisionTreeClassifier, meta: list[_Column]) -> Condition | None:
    """OR of the paths to leaves that predict the cluster."""
    t = tree.tree_
    paths: list[Condition] = []

    def walk(node: int, path: list[Condition]) -> None:
        if t.children_left[node] == -1:
            counts = t.value[node][0]
            if counts.argmax() == 1:
                paths.append(reduce(lambda a, b: a & b, path) if path else field(meta[0].source)
                             .is_not_null())
            return
        col = meta[t.feature[node]]
        walk(t.children_left[node], [*path, col.condition(True, t.threshold[node])])
        walk(t.children_right[node], [*path, col.condition(False, t.threshold[node])])

    walk(0, [])
    if not paths:
        return None
    return reduce(lambda a, b: a | b, paths)


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
    population.known_columns(features)
    frame = population.profiles.select([population.id, *features]).collect()
    if frame.height < 10:
        raise InvalidSegmentError(f"discover needs at least 10 people, got {frame.height}")
    x, meta = _encode(frame, features)
    mean, std = x.mean(axis=0), x.std(axis=0)
    if not (std > 0).any():
        raise InvalidSegmentError(
            f"features {list(features)} are the same for everyone: nothing to cluster")
    z = (x - mean) / np.where(std > 0, std, 1.0)
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
                                      random_state=random_state).fit(x[idx], y[idx])
        rule = _rule(tree, meta)
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
