"""RFM groups, discovered clusters, and the segmentation command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

import segmentation as seg


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
