"""``python -m segmentation lookalike``: the library's own ranking and tiers, as files, from a
seed segment or a table of ids; its failures are ``error: ...`` and exit 2 in the command's
own words, and leave no output behind."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import polars as pl
import pytest

import segmentation as seg
from tests.test_cli_behaviour import run

NOW = "2026-11-01T00:00:00"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("lookalike_cli")
    pop = seg.synthetic_population(6_000, seed=5)
    pop.profiles.collect().write_parquet(tmp / "p.parquet")
    pop.events.collect().write_parquet(tmp / "e.parquet")
    (tmp / "high.json").write_text(seg.Segment("high value",
                                               seg.field("is_high_value") == True).to_json())  # noqa: E712
    (tmp / "customers.json").write_text(seg.Segment("customers",
                                                    seg.field("is_customer") == True).to_json())  # noqa: E712
    return tmp


def _population(folder: Path) -> seg.Population:
    return seg.Population(folder / "p.parquet", folder / "e.parquet",
                          now=seg.DEFAULT_NOW)


def test_the_output_is_the_librarys_ranking_with_nested_tiers(folder: Path) -> None:
    done = run("segmentation", "lookalike", "high.json", "--profiles", "p.parquet", "--events",
               "e.parquet", "--now", NOW, "--exclude", "customers.json", "--random-state", "3",
               "--tiers", "0.05", "0.01", "0.02", "-o", "top.parquet", cwd=folder)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    # what (nearly) no candidate has is left out, said on stderr in the command's words
    assert "warning: left out" in done.stderr
    assert "--features" in done.stderr
    assert "features=" not in done.stderr
    assert "plan" in summary["left_out"]
    assert "event top_up" in summary["left_out"]

    pop = _population(folder)
    seeds = pop.select(seg.field("is_high_value") == True)  # noqa: E712
    customers = pop.select(seg.field("is_customer") == True)  # noqa: E712
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model = seg.Lookalike(random_state=3).fit(pop, seeds, exclude=customers)
    tiers = model.tiers(pop, (0.01, 0.02, 0.05), exclude=customers)
    ranked = model.ranked(pop, exclude=customers)
    assert summary["seeds"] == seeds.size
    assert summary["candidates"] == ranked.height
    assert summary["now"] == NOW + "+00:00"  # naive --now is UTC, said so
    assert summary["tiers"] == {"0.01": tiers[0.01].size, "0.02": tiers[0.02].size,
                                "0.05": tiers[0.05].size}
    assert summary["bags"] == model.n_estimators_
    assert summary["apart"] == model.explain(5)["reading"].to_list()

    out = pl.read_parquet(folder / "top.parquet")
    assert out.columns == ["user_id", "score", "tier"]
    assert out.height == tiers[0.05].size
    assert out.drop("tier").equals(ranked.head(out.height))
    for share, audience in tiers.items():  # nested: a tier is the rows at or under its share
        inside = out.filter(pl.col("tier") <= share)["user_id"]
        assert sorted(inside) == sorted(audience.ids), share
    assert not out["user_id"].is_in(customers.ids.implode()).any()


def test_a_table_of_ids_as_seed_matched_as_written_and_evaluated(tmp_path: Path) -> None:
    pop = seg.synthetic_population(4_000, seed=2)
    # text ids with leading zeros: the profiles CSV keeps them as text
    profiles = pop.profiles.collect().select(
        pl.format("0{}", pl.col("user_id")).alias("user_id"), "age", "gender", "region",
        "data_gb_month", "device_age_years", "is_high_value")
    profiles.write_csv(tmp_path / "p.csv")
    seeds = profiles.filter(pl.col("is_high_value"))["user_id"]
    # ids that read as numbers alone ('0100' is not among them): read again as text
    plain = seeds.filter(~seeds.str.starts_with("00"))
    pl.DataFrame({"user_id": plain.str.strip_chars_start("0")}).write_csv(tmp_path / "bad.csv")
    pl.DataFrame({"user_id": plain}).write_csv(tmp_path / "seeds.csv")
    done = run("segmentation", "lookalike", "seeds.csv", "--profiles", "p.csv", "--now", NOW,
               "--features", "age", "gender", "region", "data_gb_month", "device_age_years",
               "--evaluate", "-o", "top.csv", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["seeds"] == plain.n_unique()
    assert summary["seeds_not_in_population"] == 0
    assert set(summary["evaluation"]["tiers"]) == {"0.01", "0.02", "0.05", "0.1"}
    assert 0.5 < summary["evaluation"]["auc"] <= 1.0
    top = pl.read_csv(tmp_path / "top.csv", schema_overrides={"user_id": pl.Utf8})
    assert top.height == summary["tiers"]["0.1"]
    assert top["user_id"].str.starts_with("0").all()
    assert not top["user_id"].is_in(plain.implode()).any()  # seeds are never candidates
    assert top["score"].is_sorted(descending=True)
    # the same ids written without their zeros name nobody: '7' is not '07'
    again = run("segmentation", "lookalike", "bad.csv", "--profiles", "p.csv", "--now", NOW,
                "-o", "top2.csv", cwd=tmp_path)
    assert again.returncode == 2
    assert again.stderr.startswith("error: ")
    assert "no seed is in the population" in again.stderr
    assert not (tmp_path / "top2.csv").exists()


FAILURES = {
    "a seed table without the id column": (["noid.csv"], "no id column 'user_id'"),
    "too few seeds": (["few.csv"], "pass --allow-small-seed"),
    "no seed file": (["maria.canary@example.com.csv"], "not found"),
    "the output is the seed": (["few.csv", "-o", "few.csv"], "also an input"),
    "tiers out of range": (["high.json", "--tiers", "0", "0.01"], "--tiers must"),
    "event types without events": (["high.json", "--event-types", "game_session", "--no-ev"],
                                   "has no events"),
    "a negative --explain": (["high.json", "--explain", "-2"], "--explain must be 0"),
    "an unknown feature": (["high.json", "--features", "maria.canary@example.com"],
                           "unknown feature"),
    "an id column named like an output": (["high.json", "--id", "score", "--scored"],
                                           "has the name of a column of the lookalike's output"),
}


@pytest.mark.parametrize("name", list(FAILURES))
def test_failures_say_error_in_the_commands_words_and_write_nothing(folder: Path,
                                                                    name: str) -> None:
    (folder / "noid.csv").write_text("uid\n1\n2\n")
    (folder / "few.csv").write_text("user_id\n1\n2\n")
    pl.read_parquet(folder / "p.parquet").rename({"user_id": "score"}).write_parquet(
        folder / "scored.parquet")
    args, said = FAILURES[name]
    events = [] if "--no-ev" in args or "--scored" in args else ["--events", "e.parquet"]
    profiles = "scored.parquet" if "--scored" in args else "p.parquet"
    args = [a for a in args if a not in ("--no-ev", "--scored")]
    output = [] if "-o" in args else ["-o", "out.csv"]
    done = run("segmentation", "lookalike", *args, "--profiles", profiles, *events,
               "--now", NOW, *output, cwd=folder)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr.startswith("error: ")
    assert "Traceback" not in done.stderr
    assert said in done.stderr, done.stderr
    assert "maria.canary@example.com" not in done.stderr
    assert "allow_small_seed=" not in done.stderr
    assert not (folder / "out.csv").exists()
