"""Shallow boosted trees compiled to lookup tables: millions of lookalike scores a second.

A tree of depth at most 2 reads at most three features: the root's ``a``, and ``b`` or ``c``
under it. Its value is ``[x_a <= t] * left(x_b) + [x_a > t] * right(x_c)``, a sum of functions
of feature *pairs*. So a whole ensemble (every bag, every boosting round) is a constant plus one
table per feature pair and per lone feature, indexed by bins: the bins of a feature are cut at
the thresholds its splits use. Scoring a row is then one ``searchsorted`` per feature used and one
table lookup per pair, whatever the number of trees (hundreds of trees walked one at a time
score about 10^5 rows a second on one core; the tables score millions).

The compilation is exact: the sum of the tables equals scikit-learn's raw prediction (the
logit) up to floating-point rounding, checked by the tests. Only histogram gradient boosting
classifiers with numeric splits and trees of depth at most 2 compile; anything else is scored by
its own ``predict_proba``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline

from ._errors import InvalidSegmentError

__all__ = ["BinnedBoosting", "Quantizer", "TreeTables", "compile_trees"]

#: Rows scored at a time: small enough for every intermediate array to stay in cache.
_CHUNK = 65_536


@dataclass(frozen=True)
class TreeTables:
    """An additive model of feature pairs over binned features (see the module docstring).

    ``edges[f]``: sorted cut points of feature ``features[f]`` (``x <= edges[j]`` is bin
    ``<= j``); ``pairs``: (i, j, table) with ``table[bin_i, bin_j]`` for feature positions
    ``i < j``; ``singles``: (i, table); ``constant``: the baseline.
    """

    n_features_in: int
    features: tuple[int, ...]
    edges: tuple[np.ndarray, ...]
    pairs: tuple[tuple[int, int, np.ndarray], ...]
    singles: tuple[tuple[int, np.ndarray], ...]
    constant: float

    def raw(self, x: np.ndarray) -> np.ndarray:
        """The ensemble's mean raw score (logit) of each row of ``x`` (float32 or float64)."""
        if x.ndim != 2 or x.shape[1] != self.n_features_in:
            raise InvalidSegmentError(f"expected {self.n_features_in} columns (one per "
                                      f"feature), got an array of shape {x.shape}")
        out = np.empty(x.shape[0], dtype=np.float64)
        for start in range(0, x.shape[0], _CHUNK):
            out[start:start + _CHUNK] = self._chunk(x[start:start + _CHUNK])
        return out

    def _chunk(self, x: np.ndarray) -> np.ndarray:
        bins = [np.searchsorted(e, x[:, f], side="left").astype(np.intp)
                for f, e in zip(self.features, self.edges, strict=True)]
        acc = np.full(x.shape[0], self.constant, dtype=np.float64)
        for i, j, table in self.pairs:
            index = bins[i] * table.shape[1]
            index += bins[j]
            acc += table.ravel().take(index)
        for i, table in self.singles:
            acc += table.take(bins[i])
        return acc


class Quantizer(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Each feature as the number of its cut points under the value: at most ``max_bins``
    values per feature, cut at quantiles of (a sample of) the rows, or between the distinct
    values when there are few.

    Fitted once and shared by every bag of a lookalike, it makes the bags' own binning trivial
    (histogram gradient boosting with sample weights otherwise computes weighted percentiles
    per feature and per bag: half of a bag's time). A tree split ``bins <= k + 0.5`` is
    ``x <= edges_[f][k]``, which is how the trees compile back to the raw features.
    """

    def __init__(self, max_bins: int = 63, sample: int = 50_000, random_state: Any = None
                 ) -> None:
        self.max_bins = max_bins
        self.sample = sample
        self.random_state = random_state

    def fit(self, x: np.ndarray, y: Any = None) -> Quantizer:
        rng = np.random.default_rng(self.random_state)
        rows = x if x.shape[0] <= self.sample else x[np.sort(
            rng.choice(x.shape[0], self.sample, replace=False))]
        edges = []
        for f in range(x.shape[1]):
            values = np.sort(np.asarray(rows[:, f], dtype=np.float64))
            distinct = values[np.r_[True, values[1:] != values[:-1]]] if len(values) else values
            if len(distinct) <= self.max_bins:
                cuts = (distinct[:-1] + distinct[1:]) / 2
            else:  # cut between the values at the quantiles: no value is split from itself
                at = np.linspace(0, len(values) - 1, self.max_bins + 1)[1:-1].astype(np.intp)
                low, high = values[at], values[np.minimum(at + 1, len(values) - 1)]
                cuts = np.unique(np.where(low < high, (low + high) / 2, low))
            edges.append(np.unique(cuts))
        self.edges_ = edges
        self.n_features_in_ = x.shape[1]
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        out = np.empty(x.shape, dtype=np.float32, order="F")
        for f, e in enumerate(self.edges_):
            out[:, f] = np.searchsorted(e, x[:, f], side="left")
        return out


class BinnedBoosting(HistGradientBoostingClassifier):  # type: ignore[misc]
    """Histogram gradient boosting over a :class:`Quantizer`'s bin numbers, kept as they are.

    Given numbers that are already bins ``0 .. m``, scikit-learn would find its own bins again
    per feature and per fit (a sort of every column: a third of a 40,000-row bag's fitting
    time), only to cut between consecutive integers. Here the cuts are ``k + 0.5`` for every
    ``k < m`` straight away, and the bins are the numbers themselves: when a fit sees every bin
    number, the same bins, trees and scores as scikit-learn's own binning (tested); a bin number
    that a bag lacks keeps its own, empty, bin instead of being merged with a neighbour's, which
    changes no split on that bag's rows. Anything else (fractions, negatives, missing values,
    more bins than ``max_bins``, validation data) goes through scikit-learn's own binning.
    """

    def _bin_data(self, X: Any, *args: Any, **kwargs: Any) -> np.ndarray:
        mapper = getattr(self, "_bin_mapper", None)
        top = _top_bin(X, self.max_bins) if kwargs.get("is_training_data") is True else None
        if top is None or mapper is None or mapper.is_categorical is not None:
            return super()._bin_data(X, *args, **kwargs)
        mapper.is_categorical_ = np.zeros(X.shape[1], dtype=np.uint8)
        mapper.missing_values_bin_idx_ = mapper.n_bins - 1
        mapper.bin_thresholds_ = [np.arange(m, dtype=np.float64) + 0.5 for m in top]
        mapper.n_bins_non_missing_ = (top + 1).astype(np.uint32)
        return np.asfortranarray(X, dtype=np.uint8)


def _top_bin(x: np.ndarray, max_bins: int) -> np.ndarray | None:
    """The largest bin number of each column when ``x`` holds only bin numbers (integers from
    0 to ``max_bins - 1``); None otherwise."""
    if x.ndim != 2 or x.shape[0] == 0 or x.dtype.kind != "f":
        return None
    low, top = x.min(axis=0), x.max(axis=0)  # NaN propagates: a missing value is not a bin
    if not (np.isfinite(top).all() and (low >= 0).all() and (top < max_bins).all()):
        return None
    if not np.array_equal(x, np.floor(x)):
        return None
    return top.astype(np.int64)


def _trees(model: Any) -> list[np.ndarray] | None:
    """The node arrays of a fitted binary histogram gradient boosting classifier whose trees
    can be compiled (numeric splits, depth at most 2); None otherwise."""
    predictors = getattr(model, "_predictors", None)
    if predictors is None or getattr(model, "n_trees_per_iteration_", 0) != 1:
        return None
    if getattr(model, "is_categorical_", None) is not None:
        return None
    trees = [p[0].nodes for p in predictors]
    for nodes in trees:
        if bool(np.any(nodes["depth"][~nodes["is_leaf"].astype(bool)] > 1)):
            return None
    return trees


def _unbinned(nodes: np.ndarray, edges: Sequence[np.ndarray]) -> np.ndarray:
    """Nodes whose thresholds ``k + 0.5`` on bin numbers are the raw cut points ``edges[k]``
    (``bin <= k`` iff ``x <= edges[k]``)."""
    nodes = nodes.copy()
    for node in nodes:
        if not node["is_leaf"]:
            node["num_threshold"] = float(edges[int(node["feature_idx"])][
                int(np.floor(node["num_threshold"]))])
    return nodes


def compile_trees(models: Sequence[Any], n_features_in: int) -> TreeTables | None:
    """The mean of the models' raw scores as one :class:`TreeTables`, or None when a model
    does not compile."""
    all_trees = []
    constant = 0.0
    for model in models:
        quantizer = None
        if isinstance(model, Pipeline) and len(model.steps) == 2 and isinstance(
                model.steps[0][1], Quantizer):
            quantizer, model = model.steps[0][1], model.steps[1][1]
        trees = _trees(model)
        if trees is None:
            return None
        if quantizer is not None:  # splits on bin numbers: back to the raw cut points
            trees = [_unbinned(nodes, quantizer.edges_) for nodes in trees]
        all_trees.append(trees)
        constant += float(np.ravel(model._baseline_prediction)[0])
    weight = 1.0 / len(models)
    # cut points per feature, exactly as the trees compare (float64)
    cuts: dict[int, set[float]] = {}
    for trees in all_trees:
        for nodes in trees:
            split = ~nodes["is_leaf"].astype(bool)
            for f, t in zip(nodes["feature_idx"][split], nodes["num_threshold"][split],
                            strict=True):
                cuts.setdefault(int(f), set()).add(float(t))
    features = tuple(sorted(cuts))
    position = {f: i for i, f in enumerate(features)}
    edges = tuple(np.array(sorted(cuts[f]), dtype=np.float64) for f in features)
    sizes = [len(e) + 1 for e in edges]
    pairs: dict[tuple[int, int], np.ndarray] = {}
    singles: dict[int, np.ndarray] = {}

    def last_bin(f: int, threshold: float) -> int:  # x <= threshold  <=>  bin <= last_bin
        return int(np.searchsorted(edges[position[f]], threshold, side="left"))

    def add_single(f: int, lo: int, hi: int, value: float) -> None:
        """Rows whose bin of feature ``f`` is in [lo, hi] get ``value``."""
        i = position[f]
        table = singles.setdefault(i, np.zeros(sizes[i]))
        table[lo:hi + 1] += value

    def add_pair(a: int, a_lo: int, a_hi: int, b: int, b_lo: int, b_hi: int,
                 value: float) -> None:
        i, j = position[a], position[b]
        if i > j:
            i, j, a_lo, a_hi, b_lo, b_hi = j, i, b_lo, b_hi, a_lo, a_hi
        table = pairs.setdefault((i, j), np.zeros((sizes[i], sizes[j])))
        table[a_lo:a_hi + 1, b_lo:b_hi + 1] += value

    for trees in all_trees:
        for nodes in trees:
            root = nodes[0]
            if root["is_leaf"]:
                constant += float(root["value"])
                continue
            a = int(root["feature_idx"])
            cut = last_bin(a, float(root["num_threshold"]))
            top = sizes[position[a]] - 1
            for child, (lo, hi) in ((int(root["left"]), (0, cut)),
                                    (int(root["right"]), (cut + 1, top))):
                node = nodes[child]
                if node["is_leaf"]:
                    add_single(a, lo, hi, float(node["value"]))
                    continue
                b = int(node["feature_idx"])
                cut_b = last_bin(b, float(node["num_threshold"]))
                left, right = nodes[int(node["left"])], nodes[int(node["right"])]
                if b == a:  # both splits on one feature: intervals of it
                    add_single(a, lo, min(hi, cut_b), float(left["value"]))
                    add_single(a, max(lo, cut_b + 1), hi, float(right["value"]))
                    continue
                top_b = sizes[position[b]] - 1
                add_pair(a, lo, hi, b, 0, cut_b, float(left["value"]))
                add_pair(a, lo, hi, b, cut_b + 1, top_b, float(right["value"]))
    # a lone feature's table folds into a pair that holds it: one lookup fewer per row
    for i in list(singles):
        for (p, q), table in pairs.items():
            if i in (p, q):
                table += singles.pop(i)[:, None] if i == p else singles.pop(i)[None, :]
                break
    return TreeTables(
        n_features_in=n_features_in, features=features, edges=edges,
        pairs=tuple((i, j, t * weight) for (i, j), t in sorted(pairs.items())),
        singles=tuple((i, t * weight) for i, t in sorted(singles.items())),
        constant=constant * weight,
    )
