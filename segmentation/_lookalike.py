"""Lookalike audiences: score non-seeds by how much they look like a seed of customers.

Everything that is not a seed is *unlabeled*, not negative (positive-unlabeled learning): some of
the unlabeled people are exactly the lookalikes we want. The default method is Mordelet and
Vert's bagging PU learner: many classifiers, each trained on the seeds against a fresh random
subsample of the unlabeled, averaged; an unlabeled person of the fitted population is scored only
by the models that did not draw them as a negative (out of bag). Also available: a plain
seed-versus-rest classifier, and a similarity method (closeness to the nearest seeds in the
scaled feature space).

:func:`select_lookalike` chooses among candidate models by cross-validation on the seeds alone
(a fold of seeds is hidden, the rest fitted, and the hidden seeds' recall at the top of the
ranking compared), the only model selection possible when nobody is known to be a non-lookalike.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import warnings
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import polars as pl
from scipy.special import expit
from sklearn.base import BaseEstimator, clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import NearestNeighbors
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_array
from threadpoolctl import threadpool_limits

from . import _format as fmt
from ._checks import check_int, check_names, check_number, ids_like, named, shown
from ._engines import as_lazy
from ._errors import (
    ColumnTypeError,
    InvalidSegmentError,
    SeedError,
    SegmentationError,
    UnknownColumnError,
)
from ._features import FLOAT32_MAX, FeatureBuilder
from ._population import Audience, Population
from ._reserved import check_id_not_an_output
from ._trees import BinnedBoosting, Quantizer, TreeTables, compile_trees

__all__ = [
    "DEFAULT_CANDIDATES",
    "Lookalike",
    "LookalikeEvaluation",
    "LookalikeNotFittedError",
    "LookalikeSelection",
    "evaluate_lookalike",
    "lift_chart",
    "select_lookalike",
]

METHODS = ("pu_bagging", "classifier", "similarity")
#: The most bags a Lookalike fits (the default takes 2-8; more adds nothing but time).
MAX_BAGS = 1_000


class LookalikeNotFittedError(SegmentationError, NotFittedError):
    """Scoring, ranking or explaining before ``fit`` (scikit-learn's NotFittedError too)."""


def _default_estimator(random_state: Any, max_depth: int = 2, binned: bool = False
                       ) -> HistGradientBoostingClassifier:
    """Shallow, regularized boosting: pairwise interactions.

    Depth 2 was chosen on a 200,000-person synthetic population with 1,000-seed draws (it beat
    depth 3 and 15-leaf trees by 4-10% of the oracle's precision at the top 1%: with few seeds,
    deeper trees fit the noise of the unlabeled sample). 50 rounds at rate 0.12 over 63 bins:
    fewer rounds fit less of the unlabeled sample's noise too. Chosen on seed draws 1-3 of the
    peer benchmark's population (50, 60 or 80 rounds at lower rates all beat 80 at 0.12; 120
    and 160 were worse), then checked on a population that choice never saw (seed 7, draws
    4-6): ahead of 80 rounds with 1,000 and with 10,000 seeds, in three quarters of the time.
    The figures that count are the benchmarks' (``targeting_precision.py``, and
    ``lookalike_peers.py`` on draws 4-6, which the choice never saw). Depth 2 also compiles to
    lookup tables (:mod:`segmentation._trees`).

    Each split looks at a random half of the features (``max_features=0.5``): with 1,000 seeds
    the trees otherwise keep splitting on the few features that fit the seeds' own noise best.
    Chosen on the peer benchmark's population with seed draws other than its 4-6 (6 draws:
    +0.008 of the oracle at 1% with 1,000 seeds, ahead in 5 of 6; +0.0004 with 10,000), then
    checked on a population that choice never saw (seed 7: +0.005, ahead in 5 of 6, and
    +0.0002 with 10,000 seeds); a third of the features lost 0.003-0.006 with 10,000 seeds.

    ``binned``: the trees take a :class:`Quantizer`'s bin numbers as their bins
    (:class:`BinnedBoosting`), which is how the lookalike fits them.
    """
    return (BinnedBoosting if binned else HistGradientBoostingClassifier)(
        max_iter=50, learning_rate=0.12, max_depth=max_depth, max_bins=63,
        min_samples_leaf=100, l2_regularization=1.0, max_features=0.5, early_stopping=False,
        random_state=random_state,
    )


def _default_bags(n_seeds: int) -> int:
    """Bags of ``pu_bagging`` when ``n_estimators`` is None: 8 up to 5,000 seeds, then about
    40,000 / seeds, down to 2 from 20,000.

    With the default trees (each split sees half the features) the mean of more bags varies
    less, which counts most when the seeds are few. Chosen on the peer benchmark's population
    with seed draws other than its 4-6 (6 draws each) and 10,000 unlabeled people per bag:
    against 2 bags of 20,000, 8 bags ranked +0.011 of the oracle's precision at 1% with 1,000
    seeds (ahead in 6 of 6; +0.006 at 5%) and +0.004 with 3,000 (5 of 6); with 10,000 seeds, 4
    bags of 30,000 did as well as 8 (+0.0010 against +0.0011) in half the fitting time. Checked
    on a population that choice never saw (seed 7): +0.006 with 1,000 seeds and +0.0016 with
    10,000 (ahead in 5 of 6 each). Fewer, smaller bags (4 of 20,000 or 8 of 10,000 with 10,000
    seeds) and bags of part of the seeds lost that gain.
    """
    return int(min(8, max(2, round(40_000 / max(n_seeds, 1)))))


def _proba(model: Any, x: np.ndarray) -> np.ndarray:
    if hasattr(model, "predict_proba"):
        return model.predict_proba(x)[:, 1]
    return model.decision_function(x)


class Lookalike(BaseEstimator):
    """A scikit-learn-compatible lookalike model (positive-unlabeled learning).

    Parameters
    ----------
    method : {"pu_bagging", "classifier", "similarity"}
        Bagged PU learning (default), one seed-versus-rest classifier, or closeness to the
        nearest seeds.
    estimator : classifier, optional
        The base classifier (anything with ``fit`` and ``predict_proba``); when None, histogram
        gradient boosting of depth-2 trees, with the seeds weighed as much as the unlabeled
        sample. Boosted trees of depth at most 2 are compiled to lookup tables once fitted
        (``tables_``; see :mod:`segmentation._trees`) and score millions of rows a second; the
        score is then the logistic of the bags' mean logit. Other estimators score with their
        own ``predict_proba``, averaged over the bags.
    n_estimators : int, optional
        Bags for ``pu_bagging``. When None, from the number of seeds (``n_estimators_`` says
        how many): 8 up to 5,000 seeds, then about 40,000 / seeds, down to 2 from 20,000 (see
        :func:`_default_bags`). At most 1,000.
    unlabeled_ratio, min_unlabeled : float, int
        Unlabeled people drawn in each bag: ``unlabeled_ratio`` per seed, at least
        ``min_unlabeled`` (all of them when there are fewer).
    n_neighbors : int
        Seeds considered by ``similarity``.
    features : sequence of str, optional
        Profile columns to use when ``X`` is a Population. When None, all but the id, less the
        columns that (nearly) every candidate has alike, absent or one value (ARPU and tenure
        null, plan 'none', is_customer false: customers only), which are left out with a
        warning naming them.
    windows : sequence of str
        Windows of the event aggregates.
    event_types : sequence of str, optional
        Event types to aggregate. When None, every type that the candidates (everyone who is
        not a seed) have: a type that (nearly) no candidate has (top-ups, support calls that
        only customers make) is left out with a warning naming it, since a model that learns
        it cannot rank non-customers. Name types here to use them anyway.
    min_seeds : int
        Fewer seeds is an error unless ``allow_small_seed``; under 1,000 warns (platform
        guidance is 1,000 to 5,000).
    allow_small_seed : bool
    max_fit_seeds, max_fit_rows : int
        A Spark population is fitted on the driver from a sample: every seed up to
        ``max_fit_seeds`` (else a uniform sample of them) and a uniform sample of everyone else,
        ``max_fit_rows`` people in all (``fit_sample_`` says what was drawn). Scoring and tiers
        then run in Spark, per partition, with the model broadcast once.
    n_jobs : int or None
        Native threads (OpenMP, BLAS) a fit or a scoring may use, pinned with threadpoolctl:
        1 by default, since on a busy 2-core host more threads can multiply a fit's time
        (560 s instead of 12 s was seen); None leaves the libraries' own defaults.
    id : str, optional
        The id column of a table ``X`` (``user_id`` when None and the table has one). A table
        without it whose columns look like ids is an error: an id is never a feature.
    random_state : int, optional

    Examples
    --------
    >>> import segmentation as seg
    >>> pop = seg.synthetic_population(5_000, seed=1)
    >>> seeds = pop.select(seg.field("is_high_value"))
    >>> model = seg.Lookalike(n_estimators=3, features=["age", "interests", "data_gb_month"],
    ...                       allow_small_seed=True, random_state=0)
    >>> import warnings; warnings.simplefilter("ignore", UserWarning)
    >>> tiers = model.fit(pop, seeds).tiers(pop, fractions=(0.01, 0.05))
    >>> [t.size for t in tiers.values()]
    [47, 233]
    """

    def __init__(self, method: str = "pu_bagging", estimator: Any = None,
                 n_estimators: int | None = None,
                 unlabeled_ratio: float = 3.0, min_unlabeled: int = 10_000,
                 n_neighbors: int = 10,
                 features: Sequence[str] | None = None, windows: Sequence[str] = ("30d", "90d"),
                 event_types: Sequence[str] | None = None,
                 min_seeds: int = 100, allow_small_seed: bool = False,
                 id: str | None = None, n_jobs: int | None = 1,
                 random_state: Any = None, max_fit_seeds: int = 50_000,
                 max_fit_rows: int = 500_000) -> None:
        self.method = method
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.unlabeled_ratio = unlabeled_ratio
        self.min_unlabeled = min_unlabeled
        self.n_neighbors = n_neighbors
        self.features = features
        self.windows = windows
        self.event_types = event_types
        self.min_seeds = min_seeds
        self.allow_small_seed = allow_small_seed
        self.id = id
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.max_fit_seeds = max_fit_seeds
        self.max_fit_rows = max_fit_rows

    # -- inputs --------------------------------------------------------------------------------

    def _matrix(self, X: Any, fitting: bool) -> tuple[np.ndarray, pl.Series | None]:
        if isinstance(X, Population):
            if fitting:
                self.features_ = FeatureBuilder(self.features, self.windows,
                                                event_types=self.event_types)
                x = self.features_.fit_transform(X)
                self.feature_names_in_ = np.array(self.features_.feature_names_, dtype=object)
                return x, self.features_.ids(X)
            builder = self._builder()
            return builder.transform(X), builder.ids(X)
        if _is_table(X):  # read as a Population reads its profiles
            frame = as_lazy(X, "X").collect()
            return self._matrix(Population(*_table_with_id(frame, self.id)), fitting)
        x = _numeric_matrix(X)
        if fitting:
            self.features_ = None  # type: ignore[assignment]  # a matrix has no builder
            self.n_features_in_ = x.shape[1]
        elif getattr(self, "features_", None) is not None:
            raise InvalidSegmentError("this model was fitted on a Population; score Populations")
        elif x.shape[1] != self.n_features_in_:
            raise InvalidSegmentError(f"X has {x.shape[1]} features, but Lookalike is expecting "
                                      f"{self.n_features_in_} features as input")
        return x, None

    def _builder(self) -> FeatureBuilder:
        """The fitted feature builder, which a Population is scored through."""
        builder: FeatureBuilder | None = getattr(self, "features_", None)
        if builder is None:
            raise InvalidSegmentError("this model was fitted on an array; score arrays")
        return builder

    def _seed_mask(self, seeds: Any, ids: pl.Series | None, n: int) -> np.ndarray:
        if isinstance(seeds, Audience):
            seeds = seeds.ids
        if isinstance(seeds, pl.Series):
            arr = seeds.to_numpy()
        elif isinstance(seeds, np.ndarray) or hasattr(seeds, "__array__"):
            arr = np.asarray(seeds)
        elif isinstance(seeds, Iterable) and not isinstance(seeds, (str, bytes, dict)):
            arr = np.asarray(list(seeds))
        else:
            raise SeedError(f"seeds must be an Audience, ids or a boolean array, got "
                            f"{type(seeds).__name__}")
        if arr.ndim == 1 and len(arr) == n and arr.dtype == object:
            _refuse_mask_with_nulls(arr)
        zero_one = (arr.ndim == 1 and len(arr) == n and arr.dtype.kind in "iuf"
                    and bool(np.isin(arr, (0, 1)).all()))
        if arr.dtype == bool or zero_one or (arr.ndim == 1 and len(arr) == n and ids is None):
            if arr.shape != (n,):
                raise SeedError(f"a seed mask must have one value per row ({n}), got {arr.shape}")
            if arr.dtype.kind not in "biuf":
                raise SeedError(f"Unknown label type: a seed mask holds True/False (or 1/0), got "
                                f"{arr.dtype} values")
            self.n_seeds_missing_ = 0
            # positive-unlabeled convention: nonzero marks a labeled seed, zero is unlabeled
            return arr != 0
        if ids is None:
            raise SeedError("seed ids need a Population or table to look them up in; with an "
                            "array X pass a boolean mask")
        wanted = ids_like(seeds if isinstance(seeds, pl.Series) else arr, ids.dtype,
                          "the seed ids")
        found = ids.is_in(wanted.implode()).to_numpy()
        self.n_seeds_missing_ = int(wanted.n_unique() - wanted.is_in(ids.implode()).sum())
        if self.n_seeds_missing_:
            warnings.warn(f"{self.n_seeds_missing_:,} seed ids are not in the population and "
                          "were left out", UserWarning, stacklevel=3)
        return found

    # -- fit -----------------------------------------------------------------------------------

    def _check_params(self) -> None:
        """Every parameter checked before anything is read: a wrong one is an
        InvalidSegmentError naming it and what it got, never a NumPy or scikit-learn error."""
        if self.method not in METHODS:
            raise InvalidSegmentError(f"method must be one of {METHODS}, got {named(self.method)}")
        # (name, lowest value, what None means when None is allowed)
        for name, low, none in (("n_estimators", 1, "from the seeds"), ("min_unlabeled", 0, ""),
                                ("n_neighbors", 1, ""), ("min_seeds", 0, ""),
                                ("max_fit_seeds", 1, ""), ("max_fit_rows", 2, "")):
            value = getattr(self, name)
            if none and value is None:
                continue
            if not _is_int(value) or value < low:
                either = f"None ({none}) or " if none else ""
                raise InvalidSegmentError(f"{name} must be {either}an int >= {low}, got "
                                          f"{shown(value)}")
        if self.n_estimators is not None and self.n_estimators > MAX_BAGS:
            # 4,155,550,123 bags (a phone in the wrong place) ran until the memory gave out
            raise InvalidSegmentError(f"n_estimators must be None (from the seeds) or at most "
                                      f"{MAX_BAGS:,} bags, got {shown(self.n_estimators)}")
        for name in ("features", "windows", "event_types"):
            value = getattr(self, name)
            if isinstance(value, (str, bytes)):
                raise InvalidSegmentError(f"{name} must be a list, got the single "
                                          f"string {named(value)} (write [{named(value)}])")
            if name == "windows":
                if (isinstance(value, Mapping) or not isinstance(value, Iterable)
                        or not all(isinstance(w, (str, dt.timedelta)) for w in value)):
                    raise InvalidSegmentError(f"windows must be a list of durations, e.g. "
                                              f"['30d', '90d'], got {shown(value)}")
            elif value is not None:
                check_names(value, name, *{"features": ("column names", "['age']"),
                                           "event_types": ("event names", "['app_open']")}[name])
        ratio = self.unlabeled_ratio
        if not _is_real(ratio) or not np.isfinite(ratio) or ratio <= 0:
            raise InvalidSegmentError(f"unlabeled_ratio must be a finite number > 0, got "
                                      f"{shown(ratio)}")
        if not isinstance(self.allow_small_seed, (bool, np.bool_)):
            raise InvalidSegmentError(f"allow_small_seed must be True or False, got "
                                      f"{shown(self.allow_small_seed)}")
        if self.random_state is not None and (not _is_int(self.random_state)
                                              or self.random_state < 0):
            raise InvalidSegmentError(f"random_state must be None or an int >= 0, got "
                                      f"{shown(self.random_state)}")
        est = self.estimator
        if est is not None and not (hasattr(est, "fit") and hasattr(est, "get_params") and (
                hasattr(est, "predict_proba") or hasattr(est, "decision_function"))):
            raise InvalidSegmentError(
                f"estimator must be a scikit-learn classifier (fit, get_params and predict_proba "
                f"or decision_function), got {type(est).__name__}")
        self._check_n_jobs()

    def _check_n_jobs(self) -> None:
        if self.n_jobs is not None and (not _is_int(self.n_jobs) or self.n_jobs < 1):
            raise InvalidSegmentError(f"n_jobs must be a positive int or None, got "
                                      f"{shown(self.n_jobs)}")

    def _require_fitted(self) -> None:
        if getattr(self, "n_seeds_", None) is None:
            raise LookalikeNotFittedError("this Lookalike is not fitted yet: call "
                                          "fit(population, seeds) first")

    def _threads(self) -> Any:
        """A context pinning native thread pools to ``n_jobs``."""
        self._check_n_jobs()
        if self.n_jobs is None:
            return contextlib.nullcontext()
        # threadpoolctl takes a Python int only (np.int64 was a TypeError); applied from here
        return threadpool_limits(limits=int(self.n_jobs))

    def fit(self, X: Any, seeds: Any = None, sample_weight: Any = None, *, y: Any = None,
            exclude: Any = None) -> Lookalike:
        """Learn what sets the seeds apart from everyone else (see :meth:`_fit_seeds`)."""
        self._check_params()
        if isinstance(X, Population) and X.engine == "spark":
            return self._fit_spark(X, seeds if seeds is not None else y, exclude)
        with self._threads():
            return self._fit_seeds(X, seeds, sample_weight, y=y, exclude=exclude)

    def _fit_spark(self, population: Population, seeds: Any, exclude: Any) -> Lookalike:
        """Fit on the driver from a seed-stratified sample of a Spark population (see
        :mod:`segmentation._spark_lookalike`); ``fit_sample_`` says what was drawn."""
        from ._spark_lookalike import fit_sample

        if seeds is None:
            raise SeedError("Lookalike requires the seeds (an Audience or ids)")
        local, sampled, info = fit_sample(population, seeds, self.max_fit_seeds,
                                          self.max_fit_rows, self.random_state)
        if exclude is not None and not (isinstance(exclude, Audience) and exclude.is_local):
            exclude = None  # the sample's leak check runs on the seeds; exclusions apply later
        with self._threads():
            self._fit_seeds(local, sampled, exclude=exclude)
        self.fit_sample_ = info
        # scores of a Spark population are never out-of-bag
        self.fit_fingerprint_: tuple[int, int] | None = None
        self._spark_seeds_ = seeds
        return self

    def _fit_seeds(self, X: Any, seeds: Any = None, sample_weight: Any = None, *,
                   y: Any = None, exclude: Any = None) -> Lookalike:
        """Learn what sets the seeds apart from everyone else.

        ``seeds``: an Audience, ids (with a Population or table ``X``), or a boolean array
        aligned with the rows of ``X`` (nonzero = seed; ``y=`` is accepted as an alias, as
        scikit-learn tools pass it). ``sample_weight`` weighs the seeds (value-based lookalikes:
        high-value seeds count more); it is ignored for unlabeled rows. ``exclude`` (an
        Audience or ids: customers, say) names who will not be targeted: what (nearly) no one
        else has is left out of the features unless named (see ``features``).
        """
        if seeds is None:
            seeds = y
        if seeds is None:
            raise SeedError("Lookalike requires y to be passed, but the target y is None: pass "
                            "the seeds (an Audience, ids or a boolean mask)")
        for learned in [k for k in vars(self) if k.endswith("_") and not k.startswith("_")]:
            delattr(self, learned)  # a refit starts from nothing

        x, ids = self._matrix(X, fitting=True)
        if x.shape[0] < 2:
            raise SeedError(f"Lookalike needs seeds and non-seeds: got n_samples={x.shape[0]}")
        mask = self._seed_mask(seeds, ids, x.shape[0])
        if isinstance(X, Population) and ids is not None and bool(mask.any()):
            x = self._without_leaks(X, ids, mask, x, exclude)
        if x.shape[1] == 0:
            left = getattr(self, "left_out_", [])
            raise InvalidSegmentError(
                "the lookalike has no features to learn from"
                + (f" (left out as no candidate has them: {', '.join(left)})" if left else "")
                + "; name profile columns of numbers, text, booleans or lists in features=, or "
                "give the population events")
        n_seeds = int(mask.sum())
        if n_seeds == 0:
            raise SeedError("the seed is empty: no seed is in the population")
        if n_seeds == x.shape[0]:
            raise SeedError("every row is a seed: there is nobody left to score")
        if n_seeds < self.min_seeds and not self.allow_small_seed:
            raise SeedError(f"{n_seeds} seeds is under {self.min_seeds}: too few to learn from; "
                            "pass allow_small_seed=True to fit anyway")
        if n_seeds < 1000:
            warnings.warn(f"{n_seeds} seeds: platforms recommend 1,000 to 5,000",
                          UserWarning, stacklevel=2)
        weights = None
        if sample_weight is not None:
            try:
                weights = np.asarray(sample_weight, dtype=float)
            except (TypeError, ValueError):
                raise SeedError(f"sample_weight must be numbers, one per row; got "
                                f"{type(sample_weight).__name__}") from None
            if not np.isfinite(weights).all():
                raise SeedError("sample_weight must be finite numbers (no NaN or infinity)")
            if weights.shape != (x.shape[0],):
                raise SeedError(f"sample_weight needs one value per row ({x.shape[0]}), got "
                                f"{weights.shape}")
            if (weights[mask] < 0).any():
                raise SeedError("sample_weight must not be negative")
            if not (weights[mask] > 0).any():
                raise SeedError("sample_weight is zero for every seed: nothing to learn from")
        self.n_seeds_ = n_seeds
        self.seed_ids_ = ids.filter(pl.Series(mask)) if ids is not None else None
        self.n_fit_rows_ = x.shape[0]
        self.fit_fingerprint_ = _fingerprint(ids) if ids is not None else None
        self.bags_: list[np.ndarray] = []
        self._warn_separating_features(x, mask)
        rng = np.random.default_rng(self.random_state)
        pos = np.flatnonzero(mask)
        unl = np.flatnonzero(~mask)
        self.contrasts_ = _contrasts(self, x, mask)
        base = self.estimator if self.estimator is not None else _default_estimator(
            int(rng.integers(2**31)), binned=True)
        # the default trees see each feature as bin numbers cut once for every bag
        quantizer = (Quantizer(random_state=int(rng.integers(2**31))).fit(x)
                     if self.estimator is None else None)
        if self.method == "similarity":
            k = min(self.n_neighbors, n_seeds)
            self.neighbors_ = NearestNeighbors(n_neighbors=k).fit(x[pos])
            self.estimators_ = []
            return self
        if self.method == "classifier":
            model = clone(base)
            y = mask.astype(int)
            w: np.ndarray | None = _balanced(mask, weights)
            self.estimators_ = [_fit(model, x, y, w, quantizer)]
            self._compile(x.shape[1])
            return self
        k = min(len(unl), max(1, round(self.unlabeled_ratio * n_seeds), self.min_unlabeled))
        # the default trees weigh the seeds as much as the unlabeled sample of each bag (with a
        # 20:1 sample and no weights they ranked 0.91x the oracle at 1% instead of 0.93x)
        balance = self.estimator is None
        self.estimators_ = []
        self.n_estimators_ = (int(self.n_estimators) if self.n_estimators is not None
                              else _default_bags(n_seeds))
        for _ in range(self.n_estimators_):
            sample = rng.choice(unl, size=k, replace=False)
            rows = np.concatenate([pos, sample])
            y = np.concatenate([np.ones(len(pos), int), np.zeros(k, int)])
            w = None
            if weights is not None or balance:
                seed_w = weights[pos] if weights is not None else np.ones(len(pos))
                w = np.concatenate([seed_w * (k / len(pos) if balance else 1.0), np.ones(k)])
            model = clone(base)
            if "random_state" in model.get_params():
                model.set_params(random_state=int(rng.integers(2**31)))
            self.estimators_.append(_fit(model, x[rows], y, w, quantizer))
            self.bags_.append(np.sort(sample).astype(np.int64))
        self._compile(x.shape[1])
        return self

    def _compile(self, n_features: int) -> None:
        """Lookup tables of the fitted trees (``tables_``; None when they do not compile: then
        each estimator's ``predict_proba`` scores), one per bag for out-of-bag scores."""
        self.tables_: TreeTables | None = compile_trees(self.estimators_, n_features)
        self.bag_tables_: list[TreeTables] = []
        if self.tables_ is not None and len(self.estimators_) > 1:
            self.bag_tables_ = [cast(TreeTables, compile_trees([m], n_features))
                                for m in self.estimators_]

    def fit_score(self, X: Any, seeds: Any = None, sample_weight: Any = None, *,
                  y: Any = None, exclude: Any = None) -> np.ndarray:
        """Fit, then score the rows of ``X`` themselves, out of bag.

        With ``pu_bagging`` an unlabeled row is scored only by the bags that did not draw it as
        a negative (each bag learned it as "not a seed", which would push real lookalikes down);
        rows every bag drew, and the seeds, get the plain average. Other methods score as
        :meth:`score_samples` does. ``expand`` and ``tiers`` use these scores when given the
        population the model was fitted on.
        """
        self.fit(X, seeds, sample_weight, y=y, exclude=exclude)
        x, _ = self._matrix(X, fitting=False)
        return self._score(x, oob=True)

    def _without_leaks(self, population: Population, ids: pl.Series, mask: np.ndarray,
                       x: np.ndarray, exclude: Any) -> np.ndarray:
        """Leave out, unless named, the columns and event types that (nearly) no candidate
        has (candidates: everyone who is neither a seed nor excluded). Plan, ARPU or top-ups
        exist only for customers: with ``exclude=customers`` a model that learned them could
        not rank the people it is for. ``left_out_`` says what went."""
        builder: FeatureBuilder = self.features_
        pid = population.id
        candidate = ~mask
        if exclude is not None:
            excluded = _ids_of(exclude)
            excluded = ids_like(excluded, ids.dtype, "the excluded ids")
            candidate &= ~ids.is_in(excluded.implode()).to_numpy()
        cand_ids = ids.filter(pl.Series(candidate))
        seed_ids = ids.filter(pl.Series(mask))
        n_cand, n_seed = len(cand_ids), max(int(mask.sum()), 1)
        self.left_out_ = []
        if n_cand == 0:
            return x
        is_cand = pl.col(pid).is_in(cand_ids.implode())
        is_seed = pl.col(pid).is_in(seed_ids.implode())
        presence: dict[str, tuple[float, float]] = {}
        if self.event_types is None and population.events is not None and builder.event_types_:
            having = population.events.group_by("event").agg(
                seed=pl.col(pid).filter(is_seed).n_unique(),
                cand=pl.col(pid).filter(is_cand).n_unique()).collect()
            for e, a, b in having.select(pl.col("event").cast(pl.Utf8), "seed", "cand").rows():
                if e in builder.event_types_:
                    presence[f"event {e}"] = (a / n_seed, b / n_cand)
        if self.features is None:
            presence.update(self._outside_common_state(population.profiles, is_seed, is_cand,
                                                       n_seed, n_cand))
        self.left_out_ = [name for name, (seed, cand) in presence.items()
                          if cand < _RARE and seed > cand]
        if not self.left_out_:
            return x
        warnings.warn(
            f"left out what (nearly) no candidate has, or (nearly) every candidate has alike: "
            f"{', '.join(self.left_out_)}; a model that learned it could not rank them. Name it "
            "in features= / event_types= to use it anyway", UserWarning, stacklevel=3)
        self.features_, keep = builder.without(
            [c for c in self.left_out_ if not c.startswith("event ")],
            [c.removeprefix("event ") for c in self.left_out_ if c.startswith("event ")])
        self.feature_names_in_ = np.array(self.features_.feature_names_, dtype=object)
        return np.asfortranarray(x[:, keep])

    def _outside_common_state(self, profiles: pl.LazyFrame, is_seed: pl.Expr, is_cand: pl.Expr,
                              n_seed: int, n_cand: int) -> dict[str, tuple[float, float]]:
        """Per default column: the shares of seeds and of candidates outside the state most
        candidates are in, absent (ARPU, tenure: customers only) or one value (plan 'none',
        is_customer false). A column (nearly) every candidate has alike cannot rank them, and
        a model that learned it from the seeds would spend itself on it."""
        cols = [sp.name for sp in self.features_.specs_]
        if not cols:
            return {}
        schema = profiles.collect_schema()
        flat = [c for c in cols if not isinstance(schema[c], (pl.List, pl.Array))]
        common = profiles.filter(is_cand).select(
            [pl.col(c).drop_nulls().mode().sort().first().alias(c) for c in flat]
        ).collect().row(0, named=True) if flat else {}
        held = {c: v for c, v in common.items() if v is not None}
        counts = profiles.select(
            [pl.col(c).is_not_null().and_(w).sum().alias(f"{k}:{c}")
             for c in cols for k, w in (("s", is_seed), ("c", is_cand))]
            + [(pl.col(c) == pl.lit(v, dtype=schema[c])).fill_null(False).and_(w).sum()
               .alias(f"{k}=:{c}")
               for c, v in held.items() for k, w in (("s", is_seed), ("c", is_cand))]
        ).collect().row(0, named=True)
        out = {}
        for c in cols:
            seed_in, cand_in = counts[f"s:{c}"] / n_seed, counts[f"c:{c}"] / n_cand
            if c in held and counts[f"c=:{c}"] / n_cand > 1 - cand_in:
                # most candidates hold one value: outside it are the other values and nulls
                seed_in = 1 - counts[f"s=:{c}"] / n_seed
                cand_in = 1 - counts[f"c=:{c}"] / n_cand
            out[c] = (seed_in, cand_in)
        return out

    def _warn_separating_features(self, x: np.ndarray, mask: np.ndarray) -> None:
        """Warn about 0/1 features that no seed has but most others do (or the reverse).

        Columns that exist only for customers (plan, ARPU, tenure) look like that when the seeds
        are customers and the targets are not: a model that splits on them first cannot rank
        the non-customers. Legitimate signals rarely separate a seed perfectly.
        """
        if getattr(self, "features_", None) is None:
            return
        names = self.features_.feature_names_
        seeds = x[mask]
        n_rest = max(int((~mask).sum()), 1)
        flagged = []
        # only a feature every seed has the same value of can separate them: few are
        for j in np.flatnonzero(seeds.min(axis=0) == seeds.max(axis=0)):
            column, value = x[:, j], seeds[0, j]
            low, high = column.min(), column.max()
            if low == high or not bool(((column == low) | (column == high)).all()):
                continue  # not a two-valued feature
            share = float(((column != value) & ~mask).sum() / n_rest)
            if share >= 0.5:
                flagged.append(f"{names[j]} ({share:.0%} of the rest differ from every seed)")
        if flagged:
            self.separating_features_ = flagged
            warnings.warn(
                "features that separate the seeds perfectly: " + "; ".join(flagged[:5])
                + ". If they exist only for customers (plan, ARPU, tenure...), leave them out "
                "with features=: the model cannot rank non-customers on them",
                UserWarning, stacklevel=3,
            )

    # -- scoring -------------------------------------------------------------------------------

    def score_samples(self, X: Any) -> np.ndarray:
        """How much each row looks like the seed (higher = more alike)."""
        self._require_fitted()
        if isinstance(X, Population):
            # features built and scored in blocks of rows: the whole matrix is never held
            return self._builder().map_rows(X, self._score)
        x, _ = self._matrix(X, fitting=False)
        return self._score(x)

    def _score(self, x: np.ndarray, oob: bool = False) -> np.ndarray:
        """Scores of ``x``; ``oob``: ``x`` holds the fitted rows, in the fitted order."""
        with self._threads():
            return self._score_rows(x, oob)

    def _score_rows(self, x: np.ndarray, oob: bool) -> np.ndarray:
        if self.method == "similarity":
            dist, _ = self.neighbors_.kneighbors(x)
            return -dist.mean(axis=1)
        tables = getattr(self, "tables_", None)
        if tables is not None:
            return cast(np.ndarray, expit(self._tables_raw(tables, x, oob)))
        bags = self.bags_
        if not (oob and bags and x.shape[0] == self.n_fit_rows_):
            return np.mean([_proba(m, x) for m in self.estimators_], axis=0)
        total = np.zeros(x.shape[0])
        out_total = np.zeros(x.shape[0])
        out_count = np.zeros(x.shape[0])
        for model, bag in zip(self.estimators_, bags, strict=True):
            p = _proba(model, x)
            total += p
            p[bag] = 0.0
            out_total += p
            out_count += 1
            out_count[bag] -= 1
        plain = total / len(self.estimators_)
        return np.where(out_count > 0, out_total / np.maximum(out_count, 1), plain)

    def _tables_raw(self, tables: TreeTables, x: np.ndarray, oob: bool) -> np.ndarray:
        """The bags' mean logit from the compiled tables; with ``oob`` (``x`` holds the fitted
        rows in order), a row a bag drew as a negative is scored by the other bags only: the
        bags' total, less what the bags that drew it say (those few rows are scored per bag)."""
        mean = tables.raw(x)
        bags = self.bags_
        if not (oob and bags and self.bag_tables_ and x.shape[0] == self.n_fit_rows_):
            return mean
        total = mean * len(bags)
        drawn = np.zeros(x.shape[0])
        for table, bag in zip(self.bag_tables_, bags, strict=True):
            total[bag] -= table.raw(x[bag])
            drawn[bag] += 1
        out = len(bags) - drawn
        return np.where(out > 0, total / np.maximum(out, 1), mean)

    def _ranked(self, population: Population, exclude: Any) -> tuple[pl.Series, np.ndarray]:
        self._require_fitted()
        if not isinstance(population, Population):
            raise InvalidSegmentError("expand and tiers take a Population")
        population.local("ranking by a lookalike")  # DuckDB: to_polars() first, it says
        cached = getattr(self, "_scored_", None)
        if cached is not None and cached[0]() is population and cached[1] is self.estimators_:
            ids, scores = cached[2], cached[3]  # the same population, the same fit
        else:
            builder = self._builder()
            ids = builder.ids(population)
            fitted_on_it = (self.fit_fingerprint_ is not None
                            and _fingerprint(ids) == self.fit_fingerprint_)
            # out-of-bag scores need the fitted rows' positions: the whole matrix; any other
            # population is scored in blocks of rows
            scores = (self._score(builder.transform(population), oob=True) if fitted_on_it
                      else builder.map_rows(population, self._score))
            # scoring is the slow part: tiers, expand and ranked on one population share it
            # (up to 10M rows held; never pickled)
            self._scored_ = ((weakref.ref(population), self.estimators_, ids, scores)
                             if len(ids) <= 10_000_000 else None)
        keep = ~ids.is_in(self._seed_ids(population, ids).implode()).to_numpy()
        if exclude is not None:
            ex = _ids_of(exclude)
            keep &= ~ids.is_in(ids_like(ex, ids.dtype, "the excluded ids").implode()).to_numpy()
        # best first, ties by id: as Spark orders them, so a tier's edge is the same people
        kept, kept_scores = ids.filter(pl.Series(keep)), scores[keep]
        order = pl.DataFrame({"score": kept_scores, "id": kept}).select(
            pl.arg_sort_by(["score", "id"], descending=[True, False])).to_series().to_numpy()
        return kept.gather(order), kept_scores[order]

    def _seed_ids(self, population: Population, ids: pl.Series) -> pl.Series:
        seeds = getattr(self, "seed_ids_", None)
        return seeds.cast(ids.dtype) if seeds is not None else pl.Series([], dtype=ids.dtype)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        state.pop("_scored_", None)  # a cache of one population's scores: not the model
        state.pop("_spark_seeds_", None)  # a Spark DataFrame: the session's, not the model
        return state

    def ranked(self, population: Population, exclude: Any = None) -> pl.DataFrame:
        """Every candidate (everyone but the seeds and ``exclude``) with its score, best first
        and equal scores by id (in every engine): the population's id column and ``score`` (a
        Spark DataFrame for a Spark population)."""
        self._require_fitted()
        if isinstance(population, Population):
            check_id_not_an_output(population.id, ("score",), "the ranked scores")
        if isinstance(population, Population) and population.engine == "spark":
            from ._spark_lookalike import ranked_frame

            return ranked_frame(self, population, exclude)  # type: ignore[no-any-return]
        ids, scores = self._ranked(population, exclude)
        return pl.DataFrame({population.id: ids, "score": scores})

    def expand(self, population: Population, fraction: float = 0.01, exclude: Any = None
               ) -> Audience:
        """The top ``fraction`` of the candidates (everyone but the seeds and ``exclude``)."""
        if not _is_share(fraction):
            raise InvalidSegmentError(f"fraction must be a share within (0, 1], like 0.01, got "
                                      f"{shown(fraction)}")
        return self.tiers(population, (fraction,), exclude)[fraction]

    def tiers(self, population: Population,
              fractions: Sequence[float] = (0.01, 0.02, 0.05, 0.10), exclude: Any = None
              ) -> dict[float, Audience]:
        """Nested audiences: the top 1%, 2%, 5%, 10%... of the candidates, by score."""
        fractions = _fractions(fractions)
        if isinstance(population, Population) and population.engine == "spark":
            from ._spark_lookalike import spark_tiers

            self._require_fitted()
            return spark_tiers(self, population, fractions, exclude)
        ranked, _ = self._ranked(population, exclude)
        out = {}
        for f, k in tier_sizes(fractions, len(ranked)).items():
            out[f] = Audience(ranked.head(k).sort(), None, population.n,
                              f"lookalike top {fmt.tier(f)}", id_column=population.id)
        return out

    def explain(self, top: int = 15) -> pl.DataFrame:
        """What sets the seed apart, in the data's units: shares and ratios.

        One row per feature, the most different first (by the standardized difference of the
        means): ``reading`` says it in words ("interested in gaming: 3.1x as likely among seeds
        (62% vs 20%)"; "game_session events in 30d 8+: ..."); ``seed_share`` and
        ``rest_share`` are the shares of seeds and of everyone else who are so (for a number,
        at or above ``threshold``, the seeds' median rounded to two digits, or under it when
        seeds have less of it; the next value up when everyone is at or over the median, as
        when most people had no such event); ``ratio`` is their quotient; features everyone
        has alike are not shown; ``seed_mean`` and ``rest_mean``
        the plain means (years, GB a month, event counts, or shares).
        """
        self._require_fitted()
        if not _is_int(top) or top < 1:
            raise InvalidSegmentError(f"top must be an int >= 1, got {shown(top)}")
        frame = self.contrasts_
        return frame.sort(pl.col("strength"), descending=True).head(top).drop("strength")

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.input_tags.allow_nan = False
        return tags


def _contrasts(model: Lookalike, x: np.ndarray, mask: np.ndarray) -> pl.DataFrame:
    """Per feature, the seeds against everyone else in the data's units (see ``explain``)."""
    builder = getattr(model, "features_", None)
    n_features = x.shape[1]
    names = (list(builder.feature_names_) if builder is not None
             else [f"x{i}" for i in range(n_features)])
    labels = (list(builder.feature_labels_) if builder is not None
              else [(name, False) for name in names])
    mean = builder.mean_ if builder is not None else np.zeros(n_features)
    scale = builder.scale_ if builder is not None else np.ones(n_features)
    n_rest = max(int((~mask).sum()), 1)
    seed_rows = x[mask]
    # days since the last event: "never" is the data's span, and a cut there only says who
    # ever had one, which the feature's "never had" flag already reads
    since = set(getattr(builder, "since_columns_", ()))
    never = float(getattr(builder, "never_days_", 0.0))
    rows = []
    for j, name in enumerate(names):
        label, is_share = labels[j]
        column, seed_column = x[:, j], seed_rows[:, j]
        if len(column) and column.min() == column.max():
            continue  # everyone alike (a level nobody holds): it sets nobody apart
        std = float(scale[j]) if builder is not None else float(column.std(dtype=np.float64))

        def raw(scaled: float, j: int = j) -> float:
            return scaled * float(scale[j]) + float(mean[j])

        def scaled(value: float, j: int = j) -> float:  # a raw cut in the matrix's units
            return (value - float(mean[j])) / float(scale[j])

        seed_mean, rest_mean = _means(column, mask, seed_column, n_rest)
        seed_mean, rest_mean = raw(seed_mean), raw(rest_mean)
        threshold: float | None = None
        if is_share:
            cut = scaled(0.5)
            has, seed_has, what = column > cut, seed_column > cut, label
        else:
            above = seed_mean >= rest_mean
            # a raw value read back from float32 rows: 0 comes back as 1e-08 or so
            tiny = 1e-6 * (abs(float(mean[j])) + float(scale[j]))

            def split(at: float, digits: int, above: bool = above, tiny: float = tiny,
                      column: np.ndarray = column, seed_column: np.ndarray = seed_column,
                      ) -> tuple[float, np.ndarray, np.ndarray]:
                value = raw(at)
                threshold = 0.0 if abs(value) <= tiny else float(f"{value:.{digits}g}")
                # float32 rows: a value equal to the cut may sit an ulp under it
                cut = scaled(threshold)
                cut -= 4 * float(np.spacing(np.float32(abs(cut)))) + 1e-12
                return threshold, *((column > cut, seed_column > cut) if above
                                    else (column <= cut, seed_column <= cut))

            # the seeds' median in two digits; when that puts everyone on one side (most
            # people had no such event: "0+", "under 0"; or 99.7 days shown as "100+"), more
            # digits, then the next value up ("1+", "under 1")
            middle = float(np.median(seed_column)) if len(seed_column) else 0.0
            higher = column[column > middle]
            starts = [middle] + ([float(higher.min())] if len(higher) else [])
            tries = [(at, digits) for at in starts for digits in (2, 3, 4, 7)]
            for at, digits in tries:
                value, has, seed_has = split(at, digits)
                if has.any() and not has.all():
                    break
            threshold = value
            if j in since and abs(value - never) <= 1e-3 * never:
                continue
            shown = f"{value:,.0f}" if value.is_integer() else f"{value:g}"
            what = f"{label} {shown}+" if above else f"{label} under {shown}"
        seed_share = float(seed_has.mean()) if len(seed_has) else 0.0
        rest_share = float((int(has.sum()) - int(seed_has.sum())) / n_rest)
        ratio = seed_share / rest_share if rest_share > 0 else float("inf")
        likely = (f"{fmt.ratio(ratio)} as likely among seeds" if rest_share > 0
                  else "among seeds only")
        rows.append({
            "feature": name,
            "reading": f"{what}: {likely} ({fmt.share(seed_share, 0)} vs "
                       f"{fmt.share(rest_share, 0)})",
            "seed_share": seed_share, "rest_share": rest_share, "ratio": ratio,
            "threshold": threshold, "seed_mean": seed_mean, "rest_mean": rest_mean,
            "strength": abs(seed_mean - rest_mean) / (std if std > 0 else 1.0),
        })
    return pl.DataFrame(rows, schema_overrides={"threshold": pl.Float64}, orient="row") \
        if rows else pl.DataFrame(schema={"feature": pl.Utf8, "reading": pl.Utf8,
                                          "seed_share": pl.Float64, "rest_share": pl.Float64,
                                          "ratio": pl.Float64, "threshold": pl.Float64,
                                          "seed_mean": pl.Float64, "rest_mean": pl.Float64,
                                          "strength": pl.Float64})


def _means(column: np.ndarray, mask: np.ndarray, seed_column: np.ndarray, n_rest: int
           ) -> tuple[float, float]:
    """The seeds' and the others' mean of a scaled feature; values the features put at
    float32's ends (infinities, values past 1e30) are left out: they are not numbers to
    average (the shares above or below the cut count them)."""
    ends = np.abs(column) >= FLOAT32_MAX
    if not ends.any():
        seed_mean = float(seed_column.mean(dtype=np.float64)) if len(seed_column) else 0.0
        return seed_mean, float((column.sum(dtype=np.float64)
                                 - seed_column.sum(dtype=np.float64)) / n_rest)
    seeds, rest = column[mask & ~ends], column[~mask & ~ends]
    return (float(seeds.mean(dtype=np.float64)) if len(seeds) else 0.0,
            float(rest.mean(dtype=np.float64)) if len(rest) else 0.0)


#: A share of candidates under which a column or an event type counts as absent for them.
_RARE = 0.01
_ID_LIKE = ("id", "msisdn", "imsi", "imei", "uuid", "guid")


def _is_table(X: Any) -> bool:
    """A Population or a table (polars, pandas, pyarrow): features are built from its
    columns."""
    module = type(X).__module__
    return isinstance(X, (Population, pl.DataFrame, pl.LazyFrame)) or (
        module.startswith("pandas") and hasattr(X, "columns")) or (
        module.startswith("pyarrow") and hasattr(X, "column_names"))


def _fractions(fractions: Any) -> tuple[float, ...]:
    """Shares of the candidates: a non-empty sequence of numbers within (0, 1]."""
    if isinstance(fractions, (str, bytes)) or not isinstance(fractions, Iterable):
        raise InvalidSegmentError(f"fractions must be a sequence of shares within (0, 1], like "
                                  f"(0.01, 0.05), got {type(fractions).__name__}")
    values = tuple(fractions)
    if not values or any(not _is_share(f) for f in values):
        raise InvalidSegmentError(f"fractions must be shares within (0, 1], got {named(values)}")
    return values


def tier_sizes(fractions: Sequence[float], candidates: int) -> dict[float, int]:
    """People in each tier (the share of the candidates, rounded), smallest share first; a
    tier of no one is said in a warning, not handed back as an empty audience in silence."""
    sizes = {f: round(f * candidates) for f in sorted(fractions)}
    empty = [fmt.tier(f) for f, k in sizes.items() if k == 0]
    if empty:
        warnings.warn(f"the top {', '.join(empty)} of {candidates:,} candidates "
                      f"{'is' if len(empty) == 1 else 'are'} no one: rank more people, or ask "
                      "for larger shares", UserWarning, stacklevel=3)
    return sizes


def _is_real(value: Any) -> bool:
    """A Python or NumPy number that is not a bool."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_))


def _is_share(value: Any, upper_open: bool = False) -> bool:
    if not _is_real(value):
        return False
    return bool(0 < value < 1) if upper_open else bool(0 < value <= 1)


def _ids_of(value: Any) -> pl.Series:
    if isinstance(value, Audience):
        return value.ids
    if isinstance(value, pl.Series):
        return value
    if isinstance(value, Iterable) and not isinstance(value, (str, bytes, dict)):
        return pl.Series("ids", list(value))
    raise SeedError(f"exclude takes an Audience or ids, got {type(value).__name__}")


def _table_with_id(frame: pl.DataFrame, id_col: str | None) -> tuple[pl.DataFrame, None, str]:
    """A table and its id column: the one named, ``user_id``, or row numbers when no column
    looks like an id (then every column is a feature). An id is never a feature."""
    if id_col is not None:
        if id_col not in frame.columns:
            raise UnknownColumnError(
                f"id column {named(id_col)} is not in the table; it has: "
                f"{', '.join(frame.columns)}")
        return frame, None, id_col
    if "user_id" in frame.columns:
        return frame, None, "user_id"
    looks = [c for c in frame.columns
             if c.lower() in _ID_LIKE or c.lower().endswith(("_id", "id_")) or
             c.lower().startswith("id_")]
    if looks:
        raise InvalidSegmentError(
            f"the table has no 'user_id' column and {named(looks[0])} looks like an id: pass "
            f"Lookalike(id={named(looks[0])}) so that it is never used as a feature")
    return frame.with_row_index("user_id"), None, "user_id"


def _fingerprint(ids: pl.Series) -> tuple[int, int]:
    """Row count and an order-sensitive checksum of the ids: is this the fitted population?"""
    h = ids.hash(seed=0).to_numpy()
    weights = np.arange(1, len(h) + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        return len(h), int(np.bitwise_xor.reduce(h * weights)) if len(h) else 0


def _numeric_matrix(X: Any) -> np.ndarray:
    """``X`` as a 2-D float array; anything else is an InvalidSegmentError (a ColumnTypeError
    when a value is of a type that is no number) that says what was received (its type and
    shape, never a value)."""
    try:
        return cast(np.ndarray, check_array(X, dtype=np.float64, ensure_all_finite=True))
    except (TypeError, ValueError) as exc:
        shape = getattr(X, "shape", None)
        got = f"{type(X).__name__}" + (f" of shape {tuple(shape)}" if shape is not None else "")
        # scikit-learn's first line says what is wrong (its later lines print the array, and
        # a failed conversion quotes the value: neither is repeated)
        lines = str(exc).strip().splitlines()
        reason = lines[0].rstrip(":") if lines else type(exc).__name__
        if "could not convert" in reason or not lines:
            reason = "its values are not numbers"
        error = ColumnTypeError if isinstance(exc, TypeError) else InvalidSegmentError
        raise error(f"X must be a Population, a table with an id column, or a 2-D array of "
                    f"finite numbers; got {got}: {reason}") from None


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _refuse_mask_with_nulls(arr: np.ndarray) -> None:
    """A row-aligned array of True/False with nulls (a nullable pandas or polars column) is a
    mask with holes, never a list of ids: say how many rows are null."""
    def null(v: Any) -> bool:
        return v is None or type(v).__name__ == "NAType" or (isinstance(v, float) and v != v)

    nulls = 0
    for v in arr:
        if null(v):
            nulls += 1
        elif not isinstance(v, (bool, np.bool_)):
            return  # not a mask (ids, say): read as such
    if nulls:
        raise SeedError(f"the seed mask has {nulls:,} null rows of {len(arr):,}: a mask holds "
                        "True/False for every row (fill the nulls, e.g. with False)")


def _balanced(mask: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    n_pos, n = mask.sum(), len(mask)
    w = np.where(mask, (n - n_pos) / max(n_pos, 1), 1.0)
    if weights is not None:
        w = np.where(mask, w * weights, w)
    return w


def _fit(model: Any, x: np.ndarray, y: np.ndarray, w: np.ndarray | None,
         quantizer: Quantizer | None = None) -> Any:
    """The model fitted on ``x`` (as bin numbers, behind the fitted ``quantizer``, if any)."""
    if quantizer is not None:
        return Pipeline([("bins", quantizer), ("trees", _fit(model, quantizer.transform(x), y, w))])
    if w is None:
        return model.fit(x, y)
    try:
        return model.fit(x, y, sample_weight=w)
    except TypeError:
        raise InvalidSegmentError(
            f"{type(model).__name__} does not take sample_weight; use another estimator for "
            "value-based seeds"
        ) from None


# --- evaluation ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LookalikeEvaluation:
    """Hidden-seed recall, precision and lift per tier, AUC, and a gain table, with spreads."""

    table: pl.DataFrame
    gains: pl.DataFrame
    auc_mean: float
    auc_std: float
    runs: pl.DataFrame


def evaluate_lookalike(model: Lookalike, population: Population, seeds: Audience,
                       hidden: float = 0.2, fractions: Sequence[float] = (0.01, 0.02, 0.05, 0.10),
                       exclude: Audience | None = None, truth: str | None = None,
                       random_states: Sequence[int] = (0, 1, 2)) -> LookalikeEvaluation:
    """Hide a share of the seeds, fit on the rest, and see where the hidden ones rank.

    Hidden seeds never reach ``fit``. Candidates are everyone but the fitted seeds and
    ``exclude`` (the hidden seeds stay candidates even when ``exclude`` holds them). ``truth``
    names a ground-truth profile column (a probability or a 0/1 outcome): precision is its mean
    in the tier, lift that precision over the candidates' mean.
    """
    if not isinstance(model, Lookalike):
        raise InvalidSegmentError(f"model must be a Lookalike, got {type(model).__name__}")
    if not isinstance(population, Population) or not isinstance(seeds, Audience):
        raise InvalidSegmentError(f"evaluate_lookalike takes a Population and an Audience of "
                                  f"seeds, got {type(population).__name__} and "
                                  f"{type(seeds).__name__}")
    population.local("evaluate_lookalike")  # DuckDB, Spark: to_polars() first, it says
    if not _is_share(hidden, upper_open=True):
        raise InvalidSegmentError(f"hidden must be a share within (0, 1), got {shown(hidden)}")
    fractions = _fractions(fractions)
    if (isinstance(random_states, (str, bytes)) or not isinstance(random_states, Iterable)
            or not (random_states := tuple(random_states))
            or not all(_is_int(r) and r >= 0 for r in random_states)):
        raise InvalidSegmentError(f"random_states must be a non-empty sequence of ints >= 0, "
                                  f"got {named(random_states)}")
    ids = population.profiles.select(population.id).collect()[population.id]
    if exclude is not None and not isinstance(exclude, Audience):
        raise SeedError(f"exclude takes an Audience (customers, say), got "
                        f"{type(exclude).__name__}")
    truth_values: pl.Series | None = None
    if truth is not None:
        if not isinstance(truth, str) or truth not in population.schema:
            raise UnknownColumnError(f"truth must name a profile column, got {named(truth)}; the "
                                     f"profiles have: {', '.join(population.schema)}"[:400])
        kind = population.schema[truth]
        if not (kind.is_numeric() or kind == pl.Boolean):
            raise ColumnTypeError(f"truth must be a column of numbers or booleans (a "
                                  f"probability or a 0/1 outcome); {named(truth)} is {kind}")
        truth_values = population.profiles.select(pl.col(truth).cast(pl.Float64)).collect()[truth]
    rows = []
    gain_rows = []
    aucs = []
    for state in random_states:
        fit_seeds, held = seeds.split(test=hidden, random_state=state)
        m = clone(model).set_params(random_state=state)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            m.fit(population, fit_seeds, exclude=exclude)
        x, _ = m._matrix(population, fitting=False)
        scores = m._score(x, oob=True)
        cand = ~ids.is_in(fit_seeds.ids.implode()).to_numpy()
        if exclude is not None:
            cand &= ~(ids.is_in(exclude.ids.implode()) & ~ids.is_in(held.ids.implode())).to_numpy()
        is_held = ids.is_in(held.ids.implode()).to_numpy()[cand]
        s = scores[cand]
        top = TopK(s)
        truth_cand = truth_values.to_numpy()[cand] if truth_values is not None else None
        base_rate = float(np.nanmean(truth_cand)) if truth_cand is not None else None
        if 0 < is_held.sum() < len(is_held):
            aucs.append(float(roc_auc_score(is_held, s)))
        for f in fractions:
            k = max(1, round(f * len(s)))
            recall = top.expected(is_held, k) / max(int(is_held.sum()), 1)
            precision = None
            if truth_cand is not None:  # the mean of the known truths in the top k
                known = top.expected(~np.isnan(truth_cand), k)
                precision = (top.expected(np.nan_to_num(truth_cand, nan=0.0), k) / known
                             if known > 0 else float("nan"))
            rows.append({"random_state": state, "fraction": f, "size": k, "recall": recall,
                         "precision": precision,
                         "lift": precision / base_rate if precision is not None and base_rate
                         else recall / f})
        for decile in range(1, 11):
            k = round(decile / 10 * len(s))
            gain_rows.append({"random_state": state, "top_share": decile / 10,
                              "gain": top.expected(is_held, k) / max(int(is_held.sum()), 1)})
    runs = pl.DataFrame(rows)
    table = runs.group_by("fraction", maintain_order=True).agg(
        pl.col("size").mean().alias("size"),
        pl.col("recall").mean().alias("recall_mean"), pl.col("recall").std().alias("recall_std"),
        pl.col("precision").mean().alias("precision_mean"),
        pl.col("precision").std().alias("precision_std"),
        pl.col("lift").mean().alias("lift_mean"), pl.col("lift").std().alias("lift_std"),
    )
    gains = pl.DataFrame(gain_rows).group_by("top_share", maintain_order=True).agg(
        pl.col("gain").mean().alias("gain_mean"), pl.col("gain").std().alias("gain_std"),
    ).with_columns(lift=pl.col("gain_mean") / pl.col("top_share"))
    return LookalikeEvaluation(table, gains, float(np.mean(aucs)) if aucs else float("nan"),
                               float(np.std(aucs)) if aucs else float("nan"), runs)


class TopK:
    """The top ``k`` of a ranking as an evaluation must count it: people with equal scores
    share the places left at the cut evenly. Taking them in row order (or whatever order a
    partial sort leaves) credited a model with the order of the table: a classifier with a
    few distinct scores, on a table listing the seeds first, showed recall 0.19 at 1% where
    its expected recall was 0.016."""

    def __init__(self, scores: np.ndarray) -> None:
        self.order = np.argsort(-scores, kind="stable")
        self.descending = -scores[self.order]  # ascending negatives: searchsorted works

    def expected(self, values: np.ndarray, k: int) -> float:
        """The expected sum of ``values`` over the top ``k`` (ties at the cut split evenly)."""
        if k <= 0:
            return 0.0
        k = min(k, len(self.order))
        ranked = np.asarray(values, dtype=np.float64)[self.order]
        at = self.descending[k - 1]
        first = int(np.searchsorted(self.descending, at, side="left"))
        last = int(np.searchsorted(self.descending, at, side="right"))
        tied = ranked[first:last].sum() * (k - first) / (last - first)
        return float(ranked[:first].sum() + tied)


def lift_chart(evaluation: LookalikeEvaluation, path: str | Path) -> Path:
    """Write a cumulative gain chart (PNG) of an evaluation; needs matplotlib (extra 'plot')."""
    from privacy._io import atomic_write

    from ._charts import axes, drawing

    g = evaluation.gains
    target = Path(path)
    with drawing("lift_chart needs"):
        fig, ax = axes(6, 4.5)
        ax.plot([0, *g["top_share"].to_list()], [0, *g["gain_mean"].to_list()], marker="o",
                label=f"model (AUC {evaluation.auc_mean:.3f})")
        ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="random")
        ax.set_xlabel("share of candidates targeted")
        ax.set_ylabel("share of hidden seeds found")
        ax.set_title("Lookalike cumulative gain (hidden seeds)")
        ax.legend()
        fig.tight_layout()
        with atomic_write(target) as handle:
            fig.savefig(handle, format="png", dpi=120)
    return target


# --- model selection -----------------------------------------------------------------------------


def _linear() -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))


def _feature_params(model: Lookalike) -> str:
    """What decides a model's features (they do not depend on the seeds)."""
    return repr((model.features, tuple(model.windows), model.event_types, model.id))


#: What :func:`select_lookalike` compares when given no candidates, with how each is built.
_CANDIDATES: tuple[tuple[str, Any], ...] = (
    ("pu_bagging + boosted depth-2 trees (Lookalike())",
     lambda rs: Lookalike(random_state=rs)),
    ("pu_bagging + boosted stumps (additive)",
     lambda rs: Lookalike(estimator=_default_estimator(None, max_depth=1), random_state=rs)),
    ("pu_bagging + logistic regression (C=0.1, scaled)",
     lambda rs: Lookalike(estimator=_linear(), random_state=rs)),
    ("classifier (seed versus rest) + boosted depth-2 trees",
     lambda rs: Lookalike(method="classifier", random_state=rs)),
)
#: The default candidates of :func:`select_lookalike`: bagged PU learning over depth-2 boosted
#: trees (the default model), over boosted stumps (an additive model, naive Bayes-like), over a
#: regularized logistic regression, and one seed-versus-rest classifier.
DEFAULT_CANDIDATES = tuple(name for name, _ in _CANDIDATES)


@dataclass(frozen=True)
class LookalikeSelection:
    """The chosen model refitted on every seed, its scores, and the cross-validation table.

    ``scores`` are the refitted model's out-of-bag scores of the rows of ``X`` (see
    :meth:`Lookalike.fit_score`); ``table`` has one row per candidate: its description, the mean
    and standard deviation of the hidden seeds' recall at ``fraction`` over every fold, and
    whether it was chosen.
    """

    best: Lookalike
    scores: np.ndarray
    table: pl.DataFrame


def select_lookalike(X: Any, seeds: Any, candidates: Sequence[Lookalike] | None = None, *,
                     fraction: float = 0.05, folds: int = 5, repeats: int = 2,
                     random_state: int = 0, sample_weight: Any = None) -> LookalikeSelection:
    """Choose a lookalike model by cross-validation on the seeds alone, and refit it.

    The seeds are split into ``folds`` folds (``repeats`` times, reshuffled). For each fold
    and candidate, the fold's seeds are hidden (they become unlabeled and never reach ``fit``),
    the candidate is fitted on the other seeds, every row but the fitted seeds is scored (out of
    bag), and the share of hidden seeds in the top ``fraction`` of that ranking is its recall.
    The candidate with the best mean recall is refitted on all the seeds. Nothing but the seeds
    is used: this is the model selection a positive-unlabeled task allows, and it is blind to
    any outcome outside them.

    Parameters
    ----------
    X : Population, table or 2-D array
    seeds : Audience, ids or boolean mask (as for :meth:`Lookalike.fit`)
    candidates : sequence of Lookalike, optional
        Unfitted models to compare; ``DEFAULT_CANDIDATES`` (described there) when None.
    fraction : float
        The share of the ranking the audience will take (0.05 for a top-5% lookalike).
    folds, repeats : int
    random_state : int
    sample_weight : array, optional
        Passed to every fit (value-based seeds).
    """
    check_number(fraction, "fraction", 0, 1, low_open=True, high_open=True)
    random_state = check_int(random_state, "random_state", 0)
    if (isinstance(candidates, (str, bytes, Mapping))
            or not (candidates is None or isinstance(candidates, Iterable))):
        raise InvalidSegmentError(f"candidates must be a sequence of Lookalike models, got "
                                  f"{type(candidates).__name__}")
    folds, repeats = check_int(folds, "folds", 2), check_int(repeats, "repeats", 1)
    if candidates is None:
        names = list(DEFAULT_CANDIDATES)
        models = [build(random_state) for _, build in _CANDIDATES]
    else:
        models = list(candidates)
        names = [repr(m) for m in models]
    if not models or not all(isinstance(m, Lookalike) for m in models):
        raise InvalidSegmentError("candidates must be a non-empty sequence of Lookalike models")
    probe = clone(models[0])
    if _is_table(X) and len({_feature_params(m) for m in models}) == 1:
        # features do not depend on the seeds: built once (with what the seeds' leak check
        # leaves out), every fold's fit takes the matrix
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            probe.set_params(n_estimators=1).fit(X, seeds, sample_weight)
        data, ids = probe._matrix(X, fitting=False)
        n_rows = data.shape[0]
    else:
        data = X
        x_probe, ids = probe._matrix(X, fitting=True)
        n_rows = x_probe.shape[0]
    mask = probe._seed_mask(seeds, ids, n_rows)
    seed_rows = np.flatnonzero(mask)
    if len(seed_rows) < 2 * folds:
        raise SeedError(f"{len(seed_rows)} seeds cannot be split into {folds} folds: pass fewer "
                        "folds or more seeds")
    rng = np.random.default_rng(random_state)
    splits = []
    for _ in range(repeats):
        order = rng.permutation(seed_rows)
        splits.extend(np.array_split(order, folds))
    recalls = np.zeros((len(models), len(splits)))
    for j, hidden in enumerate(splits):
        fit_mask = mask.copy()
        fit_mask[hidden] = False
        candidates_rows = ~fit_mask
        is_hidden = np.zeros(len(mask), bool)
        is_hidden[hidden] = True
        for i, model in enumerate(models):
            m = clone(model)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                scores = m.fit_score(data, fit_mask, sample_weight)
            s = scores[candidates_rows]
            k = max(1, round(fraction * len(s)))
            recalls[i, j] = TopK(s).expected(is_hidden[candidates_rows], k) / len(hidden)
    means = recalls.mean(axis=1)
    chosen = int(np.argmax(means))
    best = clone(models[chosen])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        scores = best.fit_score(X, mask, sample_weight)
    table = pl.DataFrame({
        "candidate": names, "recall_mean": means, "recall_std": recalls.std(axis=1),
        "chosen": [i == chosen for i in range(len(models))],
    })
    return LookalikeSelection(best, scores, table)
