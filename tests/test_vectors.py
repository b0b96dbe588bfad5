"""The platforms' published examples (spec, "Published examples") as a data file."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import privacy

VECTORS = Path(__file__).parent / "vectors"


def _load(name: str) -> list[dict[str, str]]:
    with open(VECTORS / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


PASS = _load("identifiers.csv")
FAIL = _load("must_fail.csv")


def _id(row: dict[str, str]) -> str:
    return f"{row['platform']}-{row['kind']}-{row['input']!r}"


@pytest.mark.parametrize("row", PASS, ids=_id)
def test_published_normalization(row: dict[str, str]) -> None:
    got = privacy.normalize(row["input"], row["kind"], row["platform"], row["region"])
    assert got == row["normalized"]


@pytest.mark.parametrize("row", [r for r in PASS if r["hash"]], ids=_id)
def test_published_hash(row: dict[str, str]) -> None:
    encoding = "base64" if row["platform"] == "uid2" else "hex"
    assert privacy.Hasher(encoding=encoding).hash(row["normalized"]) == row["hash"]


@pytest.mark.parametrize("row", FAIL, ids=_id)
def test_must_fail(row: dict[str, str]) -> None:
    value, reason = privacy.normalize(
        row["input"], row["kind"], row["platform"], row["region"], reasons=True
    )
    assert value is None
    assert reason == row["reason"]


def test_vectorized_equals_scalar() -> None:
    """A Series gives the same answers as one value at a time."""
    for platform in ("meta", "uid2"):
        rows = [r for r in PASS if r["platform"] == platform and r["region"] == "US"]
        for kind in {r["kind"] for r in rows}:
            subset = [r for r in rows if r["kind"] == kind]
            series = privacy.normalize([r["input"] for r in subset], kind, platform)
            assert series.to_list() == [r["normalized"] for r in subset]


def test_uid2_base64_is_of_raw_digest_not_hex() -> None:
    value = privacy.Hasher(encoding="base64").hash("user@example.com")
    assert len(value) == 44
    assert value != privacy.Hasher().hash("user@example.com")


@pytest.mark.parametrize("email", [
    "jane@example.co",  # the shortest top-level label there is
    "jane@example.xn--p1ai",  # an IDN top-level label as an A-label (.рф)
    "jane@example.рф",  # and as a U-label
    "jane@" + "b" * 63 + ".com",  # a domain label of 63 octets, the most DNS allows
    "jane@a1.example.museum",
])
def test_edge_of_valid_emails_pass(email: str) -> None:
    """Beside the must-fail domains: the nearest valid ones are kept, on every platform."""
    for platform in ("meta", "google", "uid2", "tiktok", "snap", "x"):
        assert privacy.normalize(email, "email", platform) == email


@pytest.mark.parametrize(("region", "state", "code"), [
    ("US", "California", "ca"), ("US", "PR", "pr"), ("US", "dc", "dc"),
    ("CA", "Ontario", "on"), ("CA", "QC", "qc"), ("CA", "Yukon", "yt"),
])
def test_state_of_its_own_country_passes(region: str, state: str, code: str) -> None:
    """Beside the must-fail states of the other country: each country's own codes and names."""
    for platform in ("meta", "snap"):
        assert privacy.normalize(state, "state", platform, region) == code


@pytest.mark.parametrize(("region", "state", "code"), [
    ("US", "N.Y.", "ny"), ("US", "n.y", "ny"), ("US", "Calif.", "ca"), ("US", "W. Va.", "wv"),
    ("US", "D.C.", "dc"), ("US", "Mass", "ma"), ("US", "Wash.", "wa"), ("US", "P.R.", "pr"),
    ("CA", "B.C.", "bc"), ("CA", "Que.", "qc"), ("CA", "P.E.I.", "pe"), ("CA", "Nfld.", "nl"),
    ("CA", "N.W.T.", "nt"), ("CA", "Ont", "on"),
])
def test_states_abbreviated_as_styles_write_them(region: str, state: str, code: str) -> None:
    """The AP's, the GPO's and Canada Post's older abbreviations, and codes written with
    stops: 'N.Y.' folded to 'n y' had been an unknown_code, a real New Yorker left out."""
    for platform in ("meta", "snap"):
        assert privacy.normalize(state, "state", platform, region) == code


@pytest.mark.parametrize(("region", "state", "reason"), [
    ("US", "Ont.", "invalid_for_region"), ("CA", "N.Y.", "invalid_for_region"),
    ("US", "N.Q.", "unknown_code"), ("US", "Cali", "unknown_code"), ("US", "N", "unknown_code"),
])
def test_abbreviations_of_no_state_or_of_the_other_country_are_rejected(
        region: str, state: str, reason: str) -> None:
    assert privacy.normalize(state, "state", "meta", region, reasons=True) == (None, reason)


@pytest.mark.parametrize(("region", "state", "value"), [
    ("DE", "Texas", "texas"), ("DE", "BY", "by"), ("GB", "Ontario", "ontario"),
    ("AU", "New South Wales", "newsouthwales"), ("FR", "Île-de-France", "îledefrance"),
])
def test_a_state_outside_north_america_is_its_name_as_written(region: str, state: str,
                                                              value: str) -> None:
    """Outside the US and Canada the platforms take the lower-cased name without punctuation
    or spaces: before, 'Texas' or 'Ontario' on such a row became a US or Canadian code."""
    for platform in ("meta", "snap"):
        assert privacy.normalize(state, "state", platform, region) == value
