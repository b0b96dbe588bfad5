"""Boosted trees compiled to lookup tables score exactly as scikit-learn walks them."""

from __future__ import annotations

import warnings
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.ensemble._hist_gradient_boosting.binning import _BinMapper
from sklearn.pipeline import Pipeline

import segmentation as seg
from segmentation._trees import BinnedBoosting, Quantizer, compile_trees


def _data(seed: int, n: int = 4_000) -> tuple[np.ndarray, np.ndarray]:
    """Continuous, integer (ties), binary and constant columns, float32 as features are."""
    rng = np.random.default_rng(seed)
    x = np.column_stack([
        rng.normal(size=n), rng.integers(0, 5, n), rng.random(n) < 0.3, np.full(n, 2.5),
        rng.exponential(3.0, n).round(1), rng.normal(size=n) * 1e6,
    ]).astype(np.float32)
    logit = x[:, 0] * (x[:, 2] > 0) + 0.5 * x[:, 1] - 0.2 * x[:, 4] + rng.normal(size=n)
    return x, logit > np.quantile(logit, 0.8)


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000), depth=st.sampled_from([1, 2]),
       bags=st.integers(1, 3), max_bins=st.sampled_from([7, 63, 255]))
def test_tables_equal_the_trees_logit(seed: int, depth: int, bags: int, max_bins: int) -> None:
    x, y = _data(seed)
    models = [HistGradientBoostingClassifier(max_iter=30, max_depth=depth, max_bins=max_bins,
                                             learning_rate=0.3, random_state=seed + b)
              .fit(x[b::bags], y[b::bags]) for b in range(bags)]
    tables = compile_trees(models, x.shape[1])
    assert tables is not None
    expected = np.mean([m.decision_function(x) for m in models], axis=0)
    np.testing.assert_allclose(tables.raw(x), expected, rtol=0, atol=1e-9)
    np.testing.assert_allclose(tables.raw(x.astype(np.float64)), expected, rtol=0, atol=1e-9)


def _boosting(cls: type, seed: int) -> HistGradientBoostingClassifier:
    return cls(max_iter=20, max_depth=2, max_bins=63, max_features=0.5, min_samples_leaf=20,
               random_state=seed)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), max_bins=st.sampled_from([4, 63]),
       weighted=st.booleans())
def test_binned_boosting_is_scikit_learns_own_on_bin_numbers(seed: int, max_bins: int,
                                                             weighted: bool) -> None:
    x, y = _data(seed)
    bins = Quantizer(max_bins=max_bins, sample=1_000, random_state=seed).fit(x).transform(x)
    w = np.where(y, 4.0, 1.0) if weighted else None
    with mock.patch.object(_BinMapper, "fit_transform",
                           side_effect=AssertionError("the bin numbers were binned again")):
        ours = _boosting(BinnedBoosting, seed).fit(bins, y, sample_weight=w)
    theirs = _boosting(HistGradientBoostingClassifier, seed).fit(bins, y, sample_weight=w)
    top = bins.max(axis=0).astype(int)  # every bin number is a bin
    assert [len(t) for t in ours._bin_mapper.bin_thresholds_] == list(top)
    np.testing.assert_array_equal(ours.decision_function(bins), theirs.decision_function(bins))


def test_binned_boosting_keeps_a_bin_that_a_bag_lacks() -> None:
    x, y = _data(3)
    q = Quantizer(max_bins=63, sample=1_000, random_state=3).fit(x)
    bins = q.transform(x)
    bag = bins[:, 1] != 2  # an integer column with 5 values: bin 2 is absent from this bag
    trees = _boosting(BinnedBoosting, 3).fit(bins[bag], y[bag])
    assert len(trees._bin_mapper.bin_thresholds_[1]) == int(bins[:, 1].max())
    plain = _boosting(HistGradientBoostingClassifier, 3).fit(bins[bag], y[bag])
    # the same splits of the bag's own rows, and every row compiles to what the trees say
    np.testing.assert_allclose(trees.decision_function(bins[bag]),
                               plain.decision_function(bins[bag]), rtol=0, atol=1e-12)
    pipe = Pipeline([("bins", q), ("trees", trees)])
    tables = compile_trees([pipe], x.shape[1])
    assert tables is not None
    np.testing.assert_allclose(tables.raw(x), pipe.decision_function(x), rtol=0, atol=1e-9)


@pytest.mark.parametrize("spoil", ["fraction", "negative", "missing", "too_many", "raw"])
def test_binned_boosting_bins_anything_else_as_scikit_learn_does(spoil: str) -> None:
    x, y = _data(5)
    data = Quantizer(max_bins=63, sample=1_000, random_state=5).fit(x).transform(x)
    data = data.astype(np.float64)
    if spoil == "fraction":
        data[7, 0] += 0.25
    elif spoil == "negative":
        data[7, 0] = -1.0
    elif spoil == "missing":
        data[7, 0] = np.nan
    elif spoil == "too_many":
        data[:, 4] = np.arange(len(data)) % 100  # 100 distinct integers over 63 bins
    else:
        data = x
    ours = _boosting(BinnedBoosting, 5).fit(data, y)
    theirs = _boosting(HistGradientBoostingClassifier, 5).fit(data, y)
    for a, b in zip(ours._bin_mapper.bin_thresholds_, theirs._bin_mapper.bin_thresholds_,
                    strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ours.decision_function(data), theirs.decision_function(data))


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), max_bins=st.sampled_from([4, 63]))
def test_quantized_trees_compile_back_to_raw_cut_points(seed: int, max_bins: int) -> None:
    x, y = _data(seed)
    q = Quantizer(max_bins=max_bins, sample=1_000, random_state=seed).fit(x)
    assert all(len(e) <= max_bins - 1 for e in q.edges_)
    trees = HistGradientBoostingClassifier(max_iter=25, max_depth=2, max_bins=63,
                                           random_state=seed).fit(q.transform(x), y)
    pipe = Pipeline([("bins", q), ("trees", trees)])
    tables = compile_trees([pipe], x.shape[1])
    assert tables is not None
    np.testing.assert_allclose(tables.raw(x), pipe.decision_function(x), rtol=0, atol=1e-9)
    fresh = _data(seed + 1)[0]  # rows the quantizer never saw
    np.testing.assert_allclose(tables.raw(fresh), pipe.decision_function(fresh), rtol=0,
                               atol=1e-9)


def test_deeper_trees_do_not_compile_and_score_by_predict_proba() -> None:
    x, y = _data(1)
    deep = HistGradientBoostingClassifier(max_iter=10, max_depth=3, random_state=0).fit(x, y)
    assert compile_trees([deep], x.shape[1]) is None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        m = seg.Lookalike(estimator=HistGradientBoostingClassifier(max_iter=10, max_depth=3),
                          n_estimators=2, min_unlabeled=0, random_state=0).fit(x, y)
    assert m.tables_ is None
    np.testing.assert_allclose(
        m.score_samples(x), np.mean([e.predict_proba(x)[:, 1] for e in m.estimators_], axis=0))


def test_default_model_scores_out_of_bag_from_its_tables() -> None:
    x, y = _data(2, n=6_000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        m = seg.Lookalike(n_estimators=3, min_unlabeled=1_500, random_state=0)
        oob = m.fit_score(x, y)
    assert m.tables_ is not None
    assert len(m.bag_tables_) == 3
    logits = np.array([e.decision_function(x) for e in m.estimators_])  # bins, then trees
    drawn = np.zeros((3, len(x)), bool)
    for i, bag in enumerate(m.bags_):
        drawn[i, bag] = True
    out = (~drawn).sum(axis=0)
    mean = logits.mean(axis=0)
    oob_logit = np.where(out > 0, (logits * ~drawn).sum(axis=0) / np.maximum(out, 1), mean)
    np.testing.assert_allclose(oob, 1 / (1 + np.exp(-oob_logit)), rtol=1e-9)
    assert ((drawn.sum(axis=0) == 1) & ~y).any()  # some rows were out of some bags
    np.testing.assert_allclose(m.score_samples(x), 1 / (1 + np.exp(-mean)), rtol=1e-9)


def test_tables_refuse_the_wrong_width() -> None:
    x, y = _data(3)
    model = HistGradientBoostingClassifier(max_iter=5, max_depth=2).fit(x, y)
    tables = compile_trees([model], x.shape[1])
    assert tables is not None
    with pytest.raises(ValueError, match="expected 6 columns"):
        tables.raw(x[:, :5])


def test_float64_rows_between_float32_values_compile_exactly() -> None:
    """Thresholds stay float64: a float64 row just over a cut is not rounded onto it."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(5_000, 2))
    y = x[:, 0] + 0.3 * rng.normal(size=5_000) > 0.8
    model = HistGradientBoostingClassifier(max_iter=20, max_depth=2).fit(x, y)
    tables = compile_trees([model], 2)
    assert tables is not None
    cut = tables.edges[0][len(tables.edges[0]) // 2]
    probe = np.array([[np.nextafter(cut, np.inf), 0.0], [cut, 0.0]])
    np.testing.assert_allclose(tables.raw(probe), model.decision_function(probe), atol=1e-9)
    np.testing.assert_allclose(tables.raw(x), model.decision_function(x), atol=1e-9)
