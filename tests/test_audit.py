"""The audit: a corpus of faulty exports, each fault planted alone, and a clean baseline."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import privacy

from .oracle import hmac_hex, sha

TODAY = dt.date(2026, 11, 23)
N = 1_500


@functools.cache
def clean_upload() -> pl.DataFrame:
    """A meta upload of high-entropy identifiers only (emails, phones): nothing to find."""
    crm = pl.DataFrame({
        "email": [f"person{i}.x{i * 7919 % 10007}@example.com" for i in range(N)],
        "phone": [f"+1 650 253 {i:04d}" for i in range(N)],
    })
    return privacy.prepare_upload(crm, "meta").frame


@functools.cache
def keyed_export() -> pl.DataFrame:
    """A partner export keyed with HMAC: nothing reversible, nothing to find."""
    return pl.DataFrame({
        "email_hmac": [hmac_hex(f"person{i}@example.com") for i in range(N)],
        "phone_hmac": [hmac_hex(f"+1650253{i:04d}") for i in range(N)],
    })


@pytest.fixture(scope="module")
def clean() -> pl.DataFrame:
    return clean_upload()


@pytest.fixture(scope="module")
def keyed() -> pl.DataFrame:
    return keyed_export()


def run(frame: pl.DataFrame, **kwargs: object) -> privacy.AuditReport:
    kwargs.setdefault("platform", "meta")
    kwargs.setdefault("today", TODAY)
    kwargs.setdefault("phone_block", 20_000)
    return privacy.audit(frame, **kwargs)


def checks(report: privacy.AuditReport, severity_at_least: str = "info") -> set[tuple[str, str]]:
    order = privacy._audit_report.SEVERITIES
    return {(f.check, f.severity) for f in report.findings
            if order.index(f.severity) >= order.index(severity_at_least)}


def test_keyed_partner_baseline_is_clean(keyed: pl.DataFrame) -> None:
    report = run(keyed, platform="partner")
    # an in-memory table has no manifest (medium); keyed phones cannot be confirmed (low)
    assert report.ok("high"), report.to_text()
    assert {(f.check, f.severity) for f in report.findings} <= {("manifest", "medium"),
                                                                ("reversible", "low")}


def test_clean_baseline_is_clean(clean: pl.DataFrame) -> None:
    report = run(clean)
    # the only findings a clean meta upload has are the documented ones: phones enumerable
    # (medium, by design of the platform) and no manifest for an in-memory table (medium)
    assert report.ok("high")
    assert {f.check for f in report.findings} <= {"reversible", "manifest"}


def _replace(frame: pl.DataFrame, col: str, values: list[str], share: int = 50) -> pl.DataFrame:
    series = frame[col].to_list()
    for i in range(share):
        series[i] = values[i % len(values)]
    return frame.with_columns(pl.Series(col, series))


FAULTS: dict[str, tuple[Callable[[pl.DataFrame], pl.DataFrame], dict, tuple[str, str]]] = {
    "md5": (lambda f: f.with_columns(pl.col("email").str.slice(0, 32)), {},
            ("hash_format", "high")),
    "uppercase": (lambda f: f.with_columns(pl.col("email").str.to_uppercase()), {},
                  ("hash_format", "medium")),
    "wrong_length": (lambda f: _replace(f, "email", ["abc123", "deadbeef" * 5 + "ff"]), {},
                     ("hash_format", "high")),
    "base64_for_hex": (lambda f: _replace(f, "email", [base64.b64encode(bytes(32)).decode()]),
                       {}, ("hash_format", "high")),
    "not_hex_64": (lambda f: _replace(f, "email", ["g" * 64]), {}, ("hash_format", "high")),
    "double_hashing": (lambda f: _replace(f, "email", [sha(sha("m"))]), {},
                       ("hash_format", "high")),
    "junk_empty": (lambda f: _replace(f, "email", [sha("")]), {}, ("junk_hashes", "high")),
    "junk_null": (lambda f: _replace(f, "email", [sha("null"), sha("test@test.com")]), {},
                  ("junk_hashes", "high")),
    "dob_partner": (lambda f: f.with_columns(
        dob=pl.Series([sha(f"19{50 + i % 40}0{1 + i % 9}1{i % 9}") for i in range(N)])),
        {"platform": "partner"}, ("reversible", "high")),
    "zip_meta": (lambda f: f.with_columns(zip=pl.Series([sha(f"{i % 99999:05d}")
                                                         for i in range(N)])),
                 {}, ("reversible", "medium")),
    "keyed_gender_partner": (lambda f: f.with_columns(
        secret=pl.Series([hmac_hex("f" if i % 2 else "m") for i in range(N)])),
        {"platform": "partner"}, ("frequency", "high")),
    "combined_key": (lambda f: f.with_columns(name_zip_dob=pl.Series(
        [hmac_hex(f"n{i}") for i in range(N)])), {}, ("combined_key", "medium")),
    "plain_email": (lambda f: f.with_columns(note=pl.Series(
        ["ok"] * (N - 1) + ["call mary.jones@example.com"])), {}, ("plaintext", "critical")),
    "plain_phone": (lambda f: f.with_columns(note=pl.Series(["ok"] * (N - 1) + ["(650) 555-1212"])),
                    {}, ("plaintext", "critical")),
    "plain_dob": (lambda f: f.with_columns(note=pl.Series(["ok"] * (N - 1) + ["1984-07-09"])),
                  {}, ("plaintext", "high")),
    "plain_ip": (lambda f: f.with_columns(note=pl.Series(["ok"] * (N - 1) + ["10.12.13.14"])),
                 {}, ("plaintext", "high")),
    "card": (lambda f: f.with_columns(note=pl.Series(["ok"] * (N - 1) + ["4111 1111 1111 1111"])),
             {}, ("plaintext", "critical")),
    "plain_zip": (lambda f: f.with_columns(postal=pl.Series(["94025"] * N)), {},
                  ("plaintext", "medium")),
    "header_email": (lambda f: f.rename({"email": "jane.doe@example.com"}), {},
                     ("plaintext", "high")),
    "k_anonymity": (lambda f: f.with_columns(
        age=pl.Series([str(20 + i % 60) for i in range(N)]),
        zip=pl.Series([f"{10000 + i:05d}" for i in range(N)])),
        {"platform": "partner"}, ("k_anonymity", "high")),
    "too_small": (lambda f: f.head(50), {}, ("audience_size", "high")),
    "small_seed": (lambda f: f.head(500), {}, ("audience_size", "low")),
    # 180 rows, 60 people: under meta's 100 (rows would pass)
    "small_repeated": (lambda f: pl.concat([f.head(60)] * 3), {}, ("audience_size", "high")),
    "sensitive": (lambda f: f.with_columns(segment=pl.lit("diabetes_interest")), {},
                  ("sensitive_segment", "high")),
    "duplicate_rows": (lambda f: pl.concat([f, f.head(30)]), {}, ("duplicates", "low")),
    "anonymous_manifest": (lambda f: f, {"manifest": {"platform": "meta", "rows": N,
                                                      "description": "anonymized customers"}},
                           ("anonymous_claim", "medium")),
    "manifest_rows": (lambda f: f, {"manifest": {"platform": "meta", "rows": N + 5}},
                      ("manifest", "critical")),
    "email_dictionary": (lambda f: f, {"dictionary": ["person3.x23757@example.com",
                                                      "person3.x" + str(3 * 7919 % 10007)
                                                      + "@example.com"]},
                         ("reversible", "medium")),
}


@pytest.mark.parametrize("name", list(FAULTS))
def test_each_planted_fault_is_found(clean: pl.DataFrame, keyed: pl.DataFrame, name: str
                                     ) -> None:
    plant, kwargs, expected = FAULTS[name]
    base = keyed if kwargs.get("platform") == "partner" else clean
    report = run(plant(base), **kwargs)
    assert expected in checks(report), report.to_text()
    # the fault is found by its own check; the clean parts raise nothing at or above high
    others = {(c, s) for c, s in checks(report, "high") if c != expected[0]}
    allowed = {("keying", "high")} if name == "dob_partner" else set()
    if name == "double_hashing":
        allowed.add(("hash_format", "high"))
    assert others <= allowed, report.to_text()


@pytest.mark.parametrize("column", ["email", "phone"])
def test_placeholders_that_are_also_names_are_placeholders(clean: pl.DataFrame, column: str
                                                           ) -> None:
    """sha256('null') or ('na') in an email or phone column is a placeholder, not a reversed
    surname or country code; in a last-name column it is both (Null is a surname)."""
    placeholders = [sha("null"), sha("na"), sha("test"), sha("true")]
    report = run(_replace(clean, column, placeholders, share=8))
    found = {(f.check, f.column): f for f in report.findings}
    assert found["junk_hashes", column].count == 8
    assert not [f for f in report.findings if f.column == column and f.check == "reversible"
                and "names" in f.message], report.to_text()
    names = clean.with_columns(last_name=pl.Series([sha("null")] * 4 + [sha("smith")] * (N - 4)))
    by_check = {f.check: f for f in run(names).findings if f.column == "last_name"}
    assert by_check["junk_hashes"].count == 4
    assert by_check["reversible"].count == N


@pytest.mark.parametrize(("platform", "header", "written"), [
    ("meta", "ct", ["newyork", "losangeles", "saopaulo", "москва", "münchen", "springfield"]),
    ("snap", "CITY_SHA256", ["new york", "los angeles", "são paulo", "st. louis", "menlo park",
                             "coeur d'alene"]),
])
def test_cities_are_reversed_with_a_gazetteer(clean: pl.DataFrame, platform: str, header: str,
                                              written: list[str]) -> None:
    """Every city of a place of 1,000+ people, in the platform's own normalization (other
    names of large places too: 'New York' of New York City, Moscow in Cyrillic)."""
    cities = [written[i % len(written)] for i in range(N)]
    frame = clean.with_columns(pl.Series(header, [sha(c) for c in cities]))
    found = [f for f in run(frame, platform=platform).findings
             if f.check == "reversible" and f.column == header]
    assert len(found) == 1, found
    assert found[0].count == N
    assert "city column reversed by enumerating every city" in found[0].message
    assert not [f for f in run(frame, platform=platform).findings if f.check == "normalization"]
    # a place the gazetteer does not know
    frame = clean.with_columns(pl.Series(header, [sha("smallville")] * N))
    assert not [f for f in run(frame, platform=platform).findings
                if f.column == header and f.check in ("reversible", "normalization")]


#: The identifier kind of each meta header the tests below plant.
kind_of = {"gen": "gender", "dob": "dob", "st": "state", "country": "country", "fn": "first_name",
           "ln": "last_name", "ct": "city"}


@pytest.mark.parametrize(("header", "kind", "written"), [
    ("gen", "genders", ["Male", "FEMALE", "male", "F", "woman"]),
    ("dob", "dates of birth", ["1980-01-02", "02/01/1980", "01/02/1980", "02.01.1980",
                               "1980/01/02"]),
    ("st", "states", ["California", "TX", "new york", "ONTARIO"]),
    ("country", "countries", ["US", "Germany", "united kingdom", "FRANCE"]),
    ("fn", "first names", ["John", "MARY", "Paris"]),
    ("ln", "last names", ["Smith", "GARCIA", "Paris"]),
    ("ct", "cities", ["New York", "São Paulo", "Москва", "Los Angeles", "Paris"]),
])
def test_unnormalized_hashes_are_reversed_and_flagged(clean: pl.DataFrame, header: str,
                                                      kind: str, written: list[str]) -> None:
    """Hashes of values as a CRM wrote them ('Male', 'SMITH', '1980-01-02'): reversed as easily
    as normalized ones (an attacker enumerates both), and matched by no platform."""
    frame = clean.with_columns(pl.Series(header, [sha(written[i % len(written)])
                                                  for i in range(N)]))
    found = {f.check: f for f in run(frame).findings if f.column == header}
    assert found["reversible"].count == N, found
    assert found["normalization"].count == N
    assert found["normalization"].severity == "medium"
    assert f"hashes of {kind} as written, not normalized" in found["normalization"].message
    assert "the platform matches none of them" in found["normalization"].message
    # half normalized: only the written half is flagged; all reversed
    half = [sha(written[i % len(written)]) if i % 2 else
            sha(privacy.normalize(written[i % len(written)], kind_of[header], "meta"))
            for i in range(N)]
    found = {f.check: f for f in run(clean.with_columns(pl.Series(header, half))).findings
             if f.column == header}
    assert found["reversible"].count == N
    assert found["normalization"].count == N // 2


def test_a_normalized_upload_has_no_unnormalized_hash() -> None:
    """prepare_upload's own output, from values written every way the audit enumerates, is
    never flagged: it hashes what it normalized."""
    crm = pl.DataFrame({
        "email": [f"p{i}@example.com" for i in range(N)],
        "gender": [["Male", "FEMALE", "f", "woman"][i % 4] for i in range(N)],
        "dob": [["1980-01-02", "1975-12-31", "2001-07-04"][i % 3] for i in range(N)],
        "state": [["California", "TX", "ny"][i % 3] for i in range(N)],
        "first_name": [["John", "MARY", "ana"][i % 3] for i in range(N)],
        "last_name": [["Smith", "GARCIA", "lee"][i % 3] for i in range(N)],
        "city": [["New York", "São Paulo", "Los Angeles"][i % 3] for i in range(N)],
        "country": ["US"] * N,
    })
    report = run(privacy.prepare_upload(crm, "meta").frame)
    assert not [f for f in report.findings if f.check == "normalization"], report.to_text()
    reversed_ = {f.column for f in report.findings if f.check == "reversible"}
    assert {"gen", "dob", "st", "fn", "ln", "ct", "country"} <= reversed_


def test_one_field_is_not_a_combined_key(clean: pl.DataFrame) -> None:
    """'first_name' and 'last_name' name one field each (so do a platform's own headers);
    'name_zip_dob' and 'email_phone' name two."""
    crm = pl.DataFrame({"email": [f"p{i}@example.com" for i in range(N)],
                        "first_name": ["Ana"] * N, "last_name": [f"Lee{i}" for i in range(N)],
                        "zip": ["94025"] * N, "country": ["US"] * N})
    for platform in ("google", "snap", "meta"):
        upload = privacy.prepare_upload(crm, platform, columns={
            c: c for c in crm.columns if (platform, c) != ("snap", "country")
            and (platform != "google" or c != "zip")})
        assert "combined_key" not in {f.check for f in run(upload.frame, platform=platform)
                                      .findings}, platform
    names = clean.with_columns(first_name=clean["email"], last_name=clean["email"],
                               name_zip_dob=clean["email"], email_phone=clean["email"])
    found = {f.column: f.message for f in run(names).findings if f.check == "combined_key"}
    assert set(found) == {"name_zip_dob", "email_phone"}, found
    assert "(name+zip+dob)" in found["name_zip_dob"]


def test_audience_size_counts_people_not_rows(clean: pl.DataFrame) -> None:
    found = {f.check: f for f in run(pl.concat([clean.head(60)] * 3)).findings}
    assert found["audience_size"].count == 60
    assert "180 rows (60 distinct) is under the minimum audience of 100" in (
        found["audience_size"].message)
    seed = {f.check: f for f in run(pl.concat([clean.head(400)] * 3)).findings}["audience_size"]
    assert (seed.severity, seed.count) == ("low", 400)
    assert {f.check: f for f in run(clean.head(150)).findings}["audience_size"].severity == "low"


_FILE_ONLY = {"manifest", "anonymous_claim"}  # findings about the manifest and the file name


@pytest.mark.parametrize("name", [n for n, (_, kw, _) in FAULTS.items() if "manifest" not in kw])
def test_file_and_table_audits_agree(clean: pl.DataFrame, keyed: pl.DataFrame, name: str,
                                     tmp_path: Path) -> None:
    """A file is proven all-hex by one byte scan (or not, and checked per value): same findings."""
    plant, kwargs, _ = FAULTS[name]
    frame = plant(keyed if kwargs.get("platform") == "partner" else clean)
    path = tmp_path / "export.csv"
    frame.write_csv(path)
    from_table = run(frame, **kwargs)
    from_file = run(path, **kwargs)

    def key(r: privacy.AuditReport) -> set[tuple[object, ...]]:
        return {(f.check, f.severity, f.column, f.count) for f in r.findings
                if f.check not in _FILE_ONLY and "block of" not in f.message}

    assert key(from_file) == key(from_table), (from_table.to_text(), from_file.to_text())
    assert from_file.summary["types"] == from_table.summary["types"]


@pytest.mark.parametrize("chunk", [7, 64, 1 << 22])
def test_file_scan_proves_hex_cells_across_chunks(tmp_path: Path, chunk: int,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from privacy import _audit_scan

    monkeypatch.setattr(_audit_scan, "_SCAN_CHUNK", chunk)
    rows = "".join(f"{sha(str(i))},{sha(str(-i)) if i % 3 else ''}\r\n" for i in range(40))
    cases = {
        "clean": ("e_mail,phone_number_of_a_long_header\r\n" + rows, True),
        "quoted": ("email,phone\n" + rows + '"abc",' + sha("x") + "\n", False),
        "upper": ("email,phone\n" + rows.upper(), False),
        "header only": ("email,phone\n", True),
        "no newline": ("email,phone", False),
    }
    for label, (text, proven) in cases.items():
        path = tmp_path / f"{label}.csv"
        path.write_bytes(text.encode())
        scan = _audit_scan.FileScan(path)
        scan.run()
        assert scan.hex_cells is proven, label
        assert scan.sha256 == privacy._manifest.file_sha256(path)


def test_column_hex_check_reads_the_values_only() -> None:
    from privacy._audit_scan import only_hex as _only_hex

    s = pl.Series(["ab12", None, "ff", ""])
    assert _only_hex(s)
    assert _only_hex(s.slice(1, 2))
    assert not _only_hex(pl.Series(["ab12", "AB"]))
    assert not _only_hex(pl.Series(["zz"]).append(pl.Series(["00"])))
    assert _only_hex(pl.Series(["zz", "00", "0a"]).slice(1))  # a slice ignores what it left out
    assert _only_hex(pl.Series([], dtype=pl.Utf8))


def test_masked_samples_only(clean: pl.DataFrame) -> None:
    secret = "mary.jones@example.com"
    frame = clean.with_columns(note=pl.Series(["ok"] * (N - 1) + [secret]))
    report = run(frame)
    text = report.to_text() + report.to_json()
    assert secret not in text
    assert "m***@e***.com" in text


def test_file_manifest_signature_and_tampering(tmp_path: Path) -> None:
    crm = privacy.synthetic_crm(400, seed=5)
    key = privacy.generate_signing_key()
    path = tmp_path / "upload.csv"
    privacy.prepare_upload(crm, "meta").write(path, signing_key=key)
    good = privacy.audit(path, public_key=key.public_key(), today=TODAY, phone_block=10_000)
    assert good.platform == "meta"
    assert good.platform_source == "manifest"
    assert "manifest" not in {f.check for f in good.findings if f.severity != "info"}
    # the file changed after the manifest was written
    path.write_text(path.read_text().replace("a", "b", 1))
    tampered = privacy.audit(path, public_key=key.public_key(), today=TODAY, phone_block=10_000)
    assert ("manifest", "critical") in checks(tampered)
    # the manifest changed after signing
    path.unlink()
    privacy.prepare_upload(crm, "meta").write(path, signing_key=key)
    m = json.loads((tmp_path / "upload.csv.manifest.json").read_text())
    m["platform"] = "google"
    forged = privacy.audit(path, manifest=m, public_key=key.public_key(), today=TODAY,
                           phone_block=10_000)
    assert ("manifest", "critical") in checks(forged)
    other = privacy.generate_signing_key().public_key()
    wrong_key = privacy.audit(path, public_key=other, today=TODAY, phone_block=10_000)
    assert ("manifest", "critical") in checks(wrong_key)


def test_anonymous_file_name(tmp_path: Path, clean: pl.DataFrame) -> None:
    path = tmp_path / "anonymized_customers.csv"
    clean.write_csv(path)
    report = privacy.audit(path, platform="meta", today=TODAY, phone_block=10_000)
    assert ("anonymous_claim", "medium") in checks(report)


def test_platform_guess_and_json_schema(clean: pl.DataFrame) -> None:
    google = clean.rename({"email": "Email", "phone": "Phone"})
    report = privacy.audit(google, today=TODAY, phone_block=10_000)
    assert report.platform == "google"
    assert report.platform_source == "headers"
    data = json.loads(report.to_json())
    assert set(data) == {"version", "platform", "rows", "findings", "measurements"}
    for f in data["findings"]:
        assert set(f) == {"check", "severity", "column", "count", "share", "message", "remedy"}
    severities = [privacy._audit_report.SEVERITIES.index(f["severity"]) for f in data["findings"]]
    assert severities == sorted(severities, reverse=True)


def test_correct_upload_only_documented_findings() -> None:
    crm = privacy.synthetic_crm(3_000, seed=9)
    frame = privacy.prepare_upload(crm, "meta").frame
    report = privacy.audit(frame, platform="meta", today=TODAY, phone_block=10_000)
    assert report.ok("high"), report.to_text()
    reversed_cols = {f.column for f in report.findings if f.check == "reversible"}
    assert {"dob", "zip", "gen", "st", "country"} <= reversed_cols
    dob = next(f for f in report.findings if f.check == "reversible" and f.column == "dob")
    assert dob.severity == "medium"
    assert dob.share > 0.9


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.text(max_size=12), min_size=3, max_size=3), min_size=1,
                max_size=30))
def test_never_crashes_and_never_quotes_values(rows: list[list[str]]) -> None:
    frame = pl.DataFrame(rows, schema=["a", "b", "c"], orient="row")
    report = privacy.audit(frame, today=TODAY, phone_block=1_000)
    text = report.to_json()
    for row in rows:
        for value in row:
            if len(value) >= 8 and any(c.isdigit() or c == "@" for c in value):
                assert value not in text


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "privacy", "audit", *args], cwd=cwd, capture_output=True,
        text=True, check=False,
    )


def test_cli_exit_codes(tmp_path: Path, clean: pl.DataFrame) -> None:
    clean.write_csv(tmp_path / "clean.csv")
    ok = _cli("clean.csv", "--platform", "meta", "--json", "r.json", cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert json.loads((tmp_path / "r.json").read_text())["rows"] == N
    clean.with_columns(note=pl.lit("x@example.com")).write_csv(tmp_path / "leak.csv")
    assert _cli("leak.csv", "--platform", "meta", cwd=tmp_path).returncode == 1
    assert _cli("missing.csv", cwd=tmp_path).returncode == 2


def test_city_digests_are_cached_apart_from_the_day(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A new day hashes its dates again, not the gazetteer nor the names, ZIP codes and their
    written forms: the cities and the other domains that do not change have files of their own."""
    from privacy import _audit_domains as _audit

    cached = (_audit.domain_table,)
    monkeypatch.setenv("AUDIENCEKIT_CACHE_DIR", str(tmp_path))
    for table in cached:
        table.cache_clear()
    first = _audit.domain_table(dt.date(2001, 2, 3))
    assert len(list(tmp_path.glob("cities-*.parquet"))) == 1
    assert len(list(tmp_path.glob("static-*.parquet"))) == 1
    cities = first.filter(pl.col("domain").list.contains("city")).height
    assert cities > 100_000
    static = first.filter(pl.col("domain").list.contains("last_name" + _audit.WRITTEN)).height
    assert static > 100_000

    def no_listing() -> None:
        raise AssertionError("the cached digests should have been read")

    monkeypatch.setattr(_audit, "city_names", no_listing)
    monkeypatch.setattr(_audit, "_written_static", no_listing)
    monkeypatch.setattr(_audit, "_static_values", no_listing)
    for table in cached:
        table.cache_clear()
    second = _audit.domain_table(dt.date(2001, 2, 4))
    assert second.filter(pl.col("domain").list.contains("city")).height == cities
    assert second.filter(pl.col("domain").list.contains("last_name" + _audit.WRITTEN)
                         ).height == static
    # the new day's dates are there, as normalized and as written
    for day in ("20010204", "2001-02-04", "04.02.2001"):
        assert second["hex"].is_in([sha(day)]).any()
        assert not first["hex"].is_in([sha(day)]).any()
    assert [f.name[8:18] for f in tmp_path.glob("domains-*")] == ["2001-02-04"]
    for table in cached:
        table.cache_clear()


def test_domain_digests_are_cached_on_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    from privacy import _audit_domains as _audit

    day = dt.date(2001, 2, 3)
    monkeypatch.setenv("AUDIENCEKIT_CACHE_DIR", str(tmp_path / "cache"))
    _audit.domain_table.cache_clear()
    first = _audit.domain_table(day)
    files = list((tmp_path / "cache").glob("domains-*.parquet"))
    assert len(files) == 1
    assert "2001-02-03" in files[0].name
    _audit.domain_table.cache_clear()

    def no_hashing(*args: object) -> None:
        raise AssertionError("the cached table should have been read")

    monkeypatch.setattr(_audit, "_build_domain_table", no_hashing)
    assert _audit.domain_table(day).equals(first)
    monkeypatch.undo()
    monkeypatch.setenv("AUDIENCEKIT_CACHE_DIR", str(tmp_path / "cache"))
    files[0].write_bytes(b"not parquet")  # a damaged cache is rebuilt
    _audit.domain_table.cache_clear()
    assert _audit.domain_table(day).equals(first)
    assert pl.read_parquet(files[0]).equals(first)
    _audit.domain_table.cache_clear()
    _audit.domain_table(dt.date(2001, 2, 4))  # a new day replaces the old file
    assert [f.name[8:18] for f in (tmp_path / "cache").glob("domains-*")] == ["2001-02-04"]
    monkeypatch.setenv("AUDIENCEKIT_CACHE_DIR", "off")
    _audit.domain_table.cache_clear()
    assert _audit._cache_file(day) is None
    _audit.domain_table.cache_clear()


def test_a_cache_built_by_other_code_is_not_read(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: the cache's name carried only _DOMAINS_VERSION and the data's versions, so a
    names cache built by a working copy that had not bumped it (which lacked Faker's
    'unisex_last_names') kept being read as current by the released code."""
    from privacy import _audit_domains as _audit

    tag = _audit._tag()
    assert _audit._tag() == tag  # the same code: the same name
    other = tmp_path / "_audit_domains.py"
    other.write_bytes(Path(_audit.__file__).read_bytes() + b"\n# changed\n")
    monkeypatch.setattr(_audit, "__file__", str(other))
    assert _audit._tag() != tag


@pytest.mark.parametrize(("platform", "header", "normal"), [
    ("meta", "phone", ("1650",)),
    ("google", "Phone", ("+1650",)),
    ("partner", "phone", ("+1650", "1650")),
])
def test_phones_are_found_in_every_form_and_unnormalized_ones_flagged(
        clean: pl.DataFrame, platform: str, header: str, normal: tuple[str, ...]) -> None:
    """A number of the block hashed as E.164, as digits with the country code or as the
    national number is found whatever the destination; the forms the destination does not take
    are also a normalization finding (for a partner: the national number only)."""
    forms = ["+1650", "1650", "650"]
    phones = [sha(f"{forms[i % 3]}{i:07d}") for i in range(N)]
    frame = clean.rename({"phone": header}).with_columns(pl.Series(header, phones))
    found = {f.check: f for f in run(frame, platform=platform).findings if f.column == header}
    assert found["reversible"].count == N, found
    assert found["reversible"].severity == ("high" if platform == "partner" else "medium")
    written = sum(1 for i in range(N) if forms[i % 3] not in normal)
    assert found["normalization"].count == written
    assert "phone numbers as written, not normalized" in found["normalization"].message
    # the destination's own form only: found, not flagged
    own = [sha(f"{normal[0]}{i:07d}") for i in range(N)]
    found = {f.check: f for f in run(frame.with_columns(pl.Series(header, own)),
                                     platform=platform).findings if f.column == header}
    assert found["reversible"].count == N
    assert "normalization" not in found


def test_the_cache_removes_only_its_own_files_and_never_fails_the_audit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder given as the cache may hold other files named like the cache's: only files
    the cache wrote (kind, day, 16-hex tag) are replaced; a folder or a FIFO where a cache
    file goes leaves the audit as it is, uncached."""
    from privacy import _audit_domains as _audit

    monkeypatch.setenv("AUDIENCEKIT_CACHE_DIR", str(tmp_path))
    theirs = ["cities-2024.parquet", "static-notes.parquet", "domains-2001-02-03.parquet",
              "domains-2001-02-03-ABCDEF0123456789.parquet", "cities-0123456789abcdef.csv"]
    for name in theirs:
        (tmp_path / name).write_bytes(b"their data")
    stale = tmp_path / "domains-2001-02-02-0123456789abcdef.parquet"
    stale.write_bytes(b"an older day")
    _audit.domain_table.cache_clear()
    first = _audit.domain_table(dt.date(2001, 2, 3))
    assert all((tmp_path / name).read_bytes() == b"their data" for name in theirs)
    assert not stale.exists()
    cached = _audit._cache_file(dt.date(2001, 2, 4))
    assert cached is not None
    cached.mkdir()  # a folder where the next day's file goes
    _audit.domain_table.cache_clear()
    assert _audit.domain_table(dt.date(2001, 2, 4)).height > first.height - 10
    assert cached.is_dir()
    fifo = _audit._cache_file(dt.date(2001, 2, 5))
    assert fifo is not None
    os.mkfifo(fifo)  # a special file: never opened, never replaced
    _audit.domain_table.cache_clear()
    assert _audit.domain_table(dt.date(2001, 2, 5)).height > first.height - 10
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    _audit.domain_table.cache_clear()


def test_dictionary_emails_are_found_as_written_and_flagged(clean: pl.DataFrame) -> None:
    """Emails hashed as a CRM wrote them ('Mary.Jones@Example.com', or in capitals) are found
    with a dictionary as they are when normalized, and flagged: no platform matches them."""
    written = ["Mary.Jones@Example.com", "MARY.JONES@EXAMPLE.COM", "mary.jones@example.com",
               "ANN@EXAMPLE.ORG"]
    frame = _replace(clean, "email", [sha(w) for w in written], share=400)
    for dictionary, reversed_, flagged in (
            (["Mary.Jones@Example.com", "ann@example.org"], 400, 300),
            # 'Mary.Jones@Example.com' is no form of a lower-case entry: not found
            (["mary.jones@example.com", "Ann@Example.org"], 300, 200)):
        found = {f.check: f for f in run(frame, dictionary=dictionary).findings
                 if f.column == "email"}
        assert found["reversible"].count == reversed_, (dictionary, found)
        assert found["normalization"].count == flagged
        assert "emails as written, not normalized" in found["normalization"].message
    # normalized hashes only: found, not flagged
    frame = _replace(clean, "email", [sha("mary.jones@example.com")], share=400)
    found = {f.check for f in run(frame, dictionary=["Mary.Jones@Example.com"]).findings}
    assert "reversible" in found
    assert "normalization" not in found
