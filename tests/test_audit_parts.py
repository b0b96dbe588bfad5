"""An export split into parts is audited part by part: the same findings as the same rows in
one file, whatever the split, with every figure that needs the whole export (distinct values,
duplicated rows, k-anonymity classes, first samples) counted across the parts."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import privacy
from privacy._audit_counts import QUASI, ROWS, ValueCounts, row_hash

from .oracle import sha
from .test_audit import FAULTS, clean_upload, keyed_export, run


def _split(frame: pl.DataFrame, sizes: list[int]) -> list[pl.DataFrame]:
    bounds = np.cumsum([0, *sizes])
    return [frame.slice(int(a), int(b - a)) for a, b in itertools.pairwise(bounds)]


def _write_parts(frames: list[pl.DataFrame], folder: Path, fmt: str) -> Path:
    folder.mkdir()
    for i, part in enumerate(frames):
        path = folder / f"part-{i:05d}.{fmt}"
        part.write_csv(path) if fmt == "csv" else part.write_parquet(path)
    (folder / "_SUCCESS").write_text("")
    return folder


def _findings(report: privacy.AuditReport) -> list[tuple[object, ...]]:
    return [(f.check, f.severity, f.column, f.count, f.share, f.message, f.remedy)
            for f in report.findings]


def _same(one: privacy.AuditReport, parts: privacy.AuditReport) -> None:
    assert _findings(parts) == _findings(one), (one.to_text(), parts.to_text())
    assert parts.rows == one.rows
    assert parts.summary == one.summary


@pytest.mark.parametrize("name", [n for n, (_, kw, _) in FAULTS.items() if "manifest" not in kw])
def test_every_fault_is_found_alike_in_four_parts(name: str, tmp_path: Path) -> None:
    plant, kwargs, expected = FAULTS[name]
    frame = plant(keyed_export() if kwargs.get("platform") == "partner" else clean_upload())
    one = tmp_path / "export.csv"
    frame.write_csv(one)
    n = frame.height  # uneven parts; the faults sit in the first rows, so in the first part
    folder = _write_parts(_split(frame, [n // 7, n // 3, 0, n - n // 7 - n // 3]),
                          tmp_path / "export", "csv")
    whole, split = run(one, **kwargs), run(folder, batch_bytes=0, **kwargs)
    _same(whole, split)
    assert expected in {(f.check, f.severity) for f in split.findings}


def _messy(rows: int, seed: int) -> pl.DataFrame:
    """Every kind of value the checks look at, repeated across rows (so across parts)."""
    rng = np.random.default_rng(seed)
    i = np.arange(rows)
    email = [sha(f"p{k}@example.com") for k in rng.integers(0, rows // 2, rows)]
    email[3] = email[3].upper()
    email[rows - 2] = sha("")  # junk, in the last part
    note = np.array(["ok"] * rows, dtype=object)
    # clear emails in every part, each of another domain: the first one is the sample
    for j, row in enumerate(sorted(rng.choice(rows - 2, 6, replace=False))):
        note[row] = f"mary.jones@{'abcdef'[j]}example.com"
    note[rows - 1] = "4111 1111 1111 1111"
    note[rows // 2] = "=HYPERLINK(1)"
    note[rows // 3] = "(650) 555-1212"
    return pl.DataFrame({
        "email": email,
        "phone": [sha(f"1650{k:07d}") for k in rng.integers(0, 3_000, rows)],
        "zip": [sha(f"{10000 + k % 300:05d}") for k in i],
        "age": [str(20 + k) for k in rng.integers(0, 50, rows)],
        "gender": rng.choice(["f", "m", None], rows).tolist(),
        "msisdn": [f"+1650253{k % 10_000:04d}" for k in i],
        "note": note.tolist(),
        "segment": rng.choice(["gamers", "payday_loans", "Diabetes care"], rows).tolist(),
        "visits": rng.integers(0, 5, rows),
    })


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_messy_export_in_uneven_parts_equals_one_file(tmp_path: Path, fmt: str) -> None:
    frame = _messy(3_000, 1)
    frame = pl.concat([frame, frame.slice(100, 40)])  # duplicated rows across parts
    one = tmp_path / f"export.{fmt}"
    frame.write_csv(one) if fmt == "csv" else frame.write_parquet(one)
    folder = _write_parts(_split(frame, [1, 999, 0, 1_500, 540]), tmp_path / "export", fmt)
    for kwargs in ({"platform": "partner"}, {"platform": "meta"},
                   {"platform": "partner", "quasi_identifiers": ["age", "gender"], "k": 40},
                   {"platform": "meta", "dictionary": ["p3@example.com", "p5@example.com"]}):
        whole = run(one, **kwargs)
        # one part at a time, two or three parts per batch, everything in one batch
        for batch in (0, one.stat().st_size // 3, 1 << 30):
            split = run(folder, batch_bytes=batch, **kwargs)
            _same(whole, split)
        checks = {f.check for f in split.findings}
        assert {"plaintext", "duplicates", "sensitive_segment", "junk_hashes",
                "spreadsheet_formula"} <= checks, split.to_text()
    assert "k_anonymity" in checks


def test_a_column_hashed_in_some_parts_only_is_counted_over_its_clear_classes(
        tmp_path: Path) -> None:
    """zip is hashed in the first parts and clear in the rest (clear overall): the parts
    disagree on the quasi-identifiers, so the classes are counted again over all parts."""
    rows = 1_200
    zips = [f"{10000 + k % 97:05d}" for k in range(rows)]
    zips = [sha(z) if k < 500 else z for k, z in enumerate(zips)]
    frame = pl.DataFrame({"email": [sha(f"p{k}@x.com") for k in range(rows)], "zip": zips,
                          "age": [str(20 + k % 13) for k in range(rows)]})
    one = tmp_path / "export.csv"
    frame.write_csv(one)
    folder = _write_parts(_split(frame, [250, 250, 700]), tmp_path / "export", "csv")
    whole = run(one, platform="partner")
    split = run(folder, platform="partner", batch_bytes=0)
    _same(whole, split)
    found = [f for f in split.findings if f.check == "k_anonymity"]
    assert [f.column for f in found] == ["zip,age"]


def test_parts_with_other_columns_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    _write_parts([pl.DataFrame({"email": [sha("a")]}), pl.DataFrame({"mail": [sha("b")]})],
                 folder, "csv")
    for batch in (0, 1 << 30):  # across batches and within one
        with pytest.raises(privacy.PrivacyError, match="starts at row 1 of the export"):
            run(folder, platform="partner", batch_bytes=batch)


def test_batch_bytes_is_checked(tmp_path: Path) -> None:
    for bad in (-1, 1.5, True, "big"):
        with pytest.raises(privacy.PrivacyError, match="batch_bytes"):
            run(pl.DataFrame({"email": [sha("a")]}), batch_bytes=bad)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c", "d", None]),
                          st.integers(0, 30), st.sampled_from(["x", "y"])),
                min_size=1, max_size=120),
       st.lists(st.integers(0, 40), min_size=1, max_size=6), st.integers(2, 6))
def test_value_counts_over_parts_equal_the_whole(rows: list[tuple[str | None, int, str]],
                                                 cuts: list[int], k: int) -> None:
    """Distinct values, top counts, distinct rows and classes: one part or many, the same."""
    frame = pl.DataFrame({"a": [r[0] for r in rows], "b": [str(r[1]) for r in rows],
                          "q": [r[2] for r in rows]}, schema={"a": pl.Utf8, "b": pl.Utf8,
                                                             "q": pl.Utf8})
    bounds = sorted({0, frame.height, *(c for c in cuts if c < frame.height)})
    pieces = [frame.slice(a, b - a) for a, b in itertools.pairwise(bounds)]

    def tracked(f: pl.DataFrame) -> pl.DataFrame:
        h = f.select(pl.all().hash())
        return h.select("a", "b", row_hash(h, ["a", "b", "q"]).alias(ROWS),
                        row_hash(h, ["b", "q"]).alias(QUASI))

    many = ValueCounts(len(pieces), k)
    for piece in pieces:
        many.add(tracked(piece))
    assert many.buckets == (1 if len(pieces) == 1 else max(2, 4 * len(pieces)))
    try:
        assert many.distinct(["a", "b", ROWS]) == {
            "a": frame["a"].n_unique(), "b": frame["b"].n_unique(), ROWS: frame.n_unique()}
        for c in ("a", "b"):
            assert many.top(c) == frame[c].value_counts()["count"].max()
        sizes = frame.group_by("b", "q").len()["len"]
        classes = many.classes()
        assert classes is not None
        assert (classes.count, classes.smallest, classes.under_k) == (
            sizes.len(), sizes.min(), sizes.filter(sizes < k).sum())
    finally:
        many.close()
    assert many._folder is None  # the spill is gone once counted


def test_the_facts_say_how_much_they_hold_never_what() -> None:
    from privacy._audit_facts import ExportFacts, Probes

    facts = ExportFacts(Probes(None, dt.date(2026, 11, 23),
                               dictionary=pl.Series([sha("mary.jones@example.com")])))
    try:
        facts.add(pl.DataFrame({"note": ["call mary.jones@example.com"] * 3}))
        facts.finish()
        assert facts.tally("email", "note") == (3, "call mary.jones@example.com")
        for shown in (repr(facts), repr(facts.probes), str(facts)):
            assert "mary" not in shown
            assert "ExportFacts(rows=3" in shown or "Probes(" in shown
    finally:
        facts.close()


@settings(max_examples=60, deadline=None)
@given(known=st.lists(st.integers(0, 2**64 - 1), min_size=9, max_size=200),
       others=st.lists(st.integers(0, 2**64 - 1), max_size=60),
       picks=st.lists(st.integers(0, 10**6), max_size=60))
def test_domain_membership_is_a_set_test_for_any_part_size(known: list[int], others: list[int],
                                                          picks: list[int]) -> None:
    """A small part is searched in the sorted domain hashes, a large one in a hash set: the
    same answer either way, edges of the 64-bit range included."""
    from privacy._audit_facts import _Known

    domain = pl.Series(known, dtype=pl.UInt64)
    members = _Known(domain)
    values = pl.Series([known[i % len(known)] for i in picks] + others + [0, 2**64 - 1],
                       dtype=pl.UInt64)
    # one value at a time (a binary search: 8 x 1 < 9+ digests) and all of them repeated past
    # the domain's size (a hash set)
    parts = [values.slice(i, 1) for i in range(len(values))]
    parts.append(pl.concat([values] * (len(known) // len(values) + 1)))
    for part in parts:
        assert members.member(part).to_list() == part.is_in(domain.implode()).to_list()
