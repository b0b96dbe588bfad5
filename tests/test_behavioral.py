"""RFM groups, discovered clusters, and the segmentation command line."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.tree import DecisionTreeClassifier

import segmentation as seg
from segmentation._discover import _cut, _encode, _rule


@pytest.fixture(scope="module")
def pop() -> seg.Population:
    return seg.synthetic_population(8_000, seed=11)


@pytest.mark.parametrize("bins", [5, 4])
def test_rfm_groups_equal_their_segments(pop: seg.Population, bins: int) -> None:
    result = seg.rfm(pop, "top_up", within="90d", bins=bins)
    assert set(result.segments) == {"champions", "loyal", "new", "at_risk", "hibernating",
                                    "need_attention", "inactive"}
    assert result.scores.height == pop.n
    total = 0
    for name, segment in result.segments.items():
        ids = pop.select(segment).ids
        expected = result.scores.filter(pl.col("group") == name)["user_id"].sort()
        assert ids.equals(expected), name
        total += ids.len()
    assert total == pop.n  # the groups partition the population
    champions = result.scores.filter(pl.col("group") == "champions")
    top = max(1, min(bins, round(4 * bins / 5)))  # the rules are written for 5 bins and scaled
    assert champions["r"].min() >= top
    assert champions["f"].min() >= top
    # the segments survive serialization and compile to SQL
    seg.Segment.from_dict(result.segments["champions"].to_dict())
    assert "top_up" in pop.to_sql(result.segments["champions"])


def test_rfm_needs_events() -> None:
    with pytest.raises(seg.InvalidSegmentError, match="events"):
        seg.rfm(seg.Population(pl.DataFrame({"user_id": [1]})))


def test_discover_explains_clusters(pop: seg.Population) -> None:
    found = seg.discover(pop, ["age", "data_gb_month", "interests", "device_os"],
                         k=3, random_state=0, sample=4_000)
    assert found.k == 3
    assert found.labels.height == pop.n
    assert sum(c.size for c in found.clusters) <= pop.n
    for cluster in found.clusters:
        assert 0 <= cluster.precision <= 1
        assert 0 <= cluster.recall <= 1
        # the rule is a real segment: re-evaluating it gives the precision reported
        chosen = pop.select(cluster.segment)
        members = found.labels.filter(pl.col("cluster") == cluster.label)["user_id"]
        hit = chosen.ids.is_in(members.implode()).sum()
        assert cluster.precision == pytest.approx(hit / chosen.size if chosen.size else 0.0)
    assert max(c.precision for c in found.clusters) > 0.6


def test_discover_chooses_k(pop: seg.Population) -> None:
    found = seg.discover(pop, ["age", "avg_downlink_mbps"], random_state=1, k_range=[2, 3, 4],
                         sample=2_000)
    assert set(found.selection) == {2, 3, 4}
    assert found.k == max(found.selection, key=found.selection.__getitem__)
    gmm = seg.discover(pop, ["age", "avg_downlink_mbps"], method="gmm", k_range=[2, 3],
                       sample=2_000)
    assert gmm.k == min(gmm.selection, key=gmm.selection.__getitem__)
    with pytest.raises(seg.UnknownColumnError):
        seg.discover(pop, ["nope"])


@pytest.mark.parametrize(("scale", "offset"), [(1.0, 0.0), (1e-6, 0.0), (1e-9, 1.0),
                                               (1e6, 2.0**40), (-3.0, 0.0), (1e-8, 5.0)])
def test_discover_rules_split_at_any_scale(scale: float, offset: float) -> None:
    # two clear blobs: the rule is one comparison that finds each cluster exactly; rounded to
    # four places, a column in millionths had become "tiny > 0.0 and tiny <= 0.0 or ..."
    rng = np.random.default_rng(0)
    blobs = np.r_[rng.normal(0, 1, 1_000), rng.normal(8, 1, 1_000)]
    values = blobs * scale + offset
    pop = seg.Population(pl.DataFrame({"user_id": np.arange(2_000), "v": values}))
    found = seg.discover(pop, ["v"], k=2, random_state=0)
    assert len(found.clusters) == 2
    for cluster in found.clusters:
        assert (cluster.precision, cluster.recall) == (1.0, 1.0), cluster.segment.description
        assert cluster.segment.description.count("v ") == 1, cluster.segment.description


def test_discover_rules_state_each_column_once_per_path(pop: seg.Population) -> None:
    found = seg.discover(pop, ["age", "data_gb_month", "interests", "device_os"],
                         k=3, random_state=0, sample=4_000)
    for cluster in found.clusters:
        for path in cluster.segment.description.strip("()").split(" or "):
            for name in ("age", "data_gb_month"):  # at most a lower and an upper bound
                assert path.count(f"{name} <=") <= 1, path
                assert path.count(f"{name} >") <= 1, path
            assert "not (device_os ==" not in path, path  # != where the column has no nulls


@given(st.floats(allow_nan=False, allow_infinity=False, width=64),
       st.floats(allow_nan=False, allow_infinity=False, width=64), st.booleans())
def test_a_rule_threshold_is_a_short_decimal_between_the_values_either_side(
        a: float, b: float, integer: bool) -> None:
    lo, hi = min(a, b), max(a, b)
    if lo == hi:
        return
    if integer:
        lo, hi = float(math.floor(lo)), float(math.floor(lo)) + 1 + math.floor(hi - lo)
        if lo + 1 == lo or hi == lo:
            return
    d = _cut(lo, hi, integer)
    assert lo <= d < hi
    digits = len(repr(d).split("e")[0].replace("-", "").replace(".", "").strip("0"))
    assert digits <= 17
    if integer:
        assert d.is_integer()
        assert d == lo or hi > lo + 1  # 3 and 4 give "<= 3"
    else:
        mid = lo / 2 + hi / 2
        quarter = hi / 4 - lo / 4
        assert abs(d - mid) <= quarter or d == lo  # near the tree's own midpoint
        rounded = float(f"{mid:.2g}")
        if lo <= rounded < hi and abs(rounded - mid) <= quarter:
            assert digits <= 2, (lo, hi, d)  # as short as a two-digit rounding that fits


_SCALES = st.sampled_from([1e-9, 1e-6, 1e-3, 1.0, 1e3, 1e9, 1e15])


@st.composite
def _profiles(draw: st.DrawFn) -> pl.DataFrame:
    n = draw(st.integers(20, 120))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    def holes(values: list) -> list:
        share = draw(st.sampled_from([0.0, 0.0, 0.2]))
        return [None if rng.random() < share else v for v in values]
    scale = draw(_SCALES)
    floats = (rng.normal(0, 3, n).round(draw(st.integers(0, 3))) * scale).tolist()
    ints = rng.integers(-10**draw(st.integers(1, 15)), 10**6, n).tolist()
    return pl.DataFrame({
        "user_id": np.arange(n),
        "f": pl.Series(holes(floats), dtype=pl.Float64),
        "i": pl.Series(holes(ints), dtype=pl.Int64),
        "plan": pl.Series(holes(rng.choice(["a", "b", "c'"], n).tolist()), dtype=pl.Utf8),
        "vip": pl.Series(holes((rng.random(n) < 0.4).tolist()), dtype=pl.Boolean),
        "tags": pl.Series(holes([rng.choice(["x", "y", "z"], rng.integers(0, 3)).tolist()
                                 for _ in range(n)]), dtype=pl.List(pl.Utf8)),
    })


@given(_profiles(), st.integers(0, 2**32 - 1), st.integers(1, 4))
def test_a_discovered_rule_selects_what_its_tree_predicts(frame: pl.DataFrame, labels: int,
                                                          depth: int) -> None:
    # the rule is the tree, on the rows it learned from: thresholds between the sample's own
    # values, nulls where the tree sent their filled-in values (a rule once said
    # "not (plan == 'a')", which in SQL's logic leaves out the people with no plan)
    features = ["f", "i", "plan", "vip", "tags"]
    x, meta = _encode(frame, features)
    y = np.random.default_rng(labels).random(frame.height) < 0.5
    mean, std = x.mean(axis=0), x.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    scaled = depth % 2 == 0  # discover's trees learn from the scaled copy
    tree = DecisionTreeClassifier(max_depth=depth, random_state=0).fit(
        (x - mean) / std if scaled else x, y)
    rule = _rule(tree, meta, x, (mean, std) if scaled else None)
    predicted = frame["user_id"].filter(
        pl.Series(tree.predict((x - mean) / std if scaled else x))).sort().to_list()
    if rule is None:
        assert predicted == []
        return
    chosen = seg.Population(frame).select(seg.Segment("rule", rule)).ids.sort().to_list()
    assert chosen == predicted, seg.describe(rule)


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "segmentation", *args], cwd=cwd, capture_output=True, text=True,
        check=False,
    )


def test_cli_demo_and_build(tmp_path: Path) -> None:
    done = _run("demo", "--n", "20000", "--out", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "out"
    for name in ("segment.json", "audience_ids.parquet", "waterfall.csv", "meta_upload.csv",
                 "meta_upload.csv.manifest.json", "signing-key.pub.pem", "audit.json",
                 "lookalike_top1pct.parquet"):
        assert (out / name).exists(), name
    assert not any("PRIVATE" in p.read_text(errors="ignore") for p in out.glob("*.pem"))
    audit = json.loads((out / "audit.json").read_text())
    assert audit["platform"] == "meta"
    severe = {f["check"] for f in audit["findings"] if f["severity"] in ("high", "critical")}
    assert severe <= {"audience_size"}  # 20,000 people leave fewer customers than meta's 100
    pop = seg.synthetic_population(500, seed=2)
    pop.profiles.collect().write_parquet(tmp_path / "p.parquet")
    pop.events.collect().write_parquet(tmp_path / "e.parquet")  # type: ignore[union-attr]
    built = _run("build", "out/segment.json", "--profiles", "p.parquet", "--events",
                 "e.parquet", "--now", "2026-11-01T00:00:00", "-o", "ids.parquet", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    summary = json.loads(built.stdout)
    assert summary["population"] == 500
    assert pl.read_parquet(tmp_path / "ids.parquet").height == summary["size"]
    bad = _run("build", "missing.json", "--profiles", "p.parquet", cwd=tmp_path)
    assert bad.returncode == 2
    assert "cannot read segment file" in bad.stderr
