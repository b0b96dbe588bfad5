"""prepare_upload: layouts, reports, atomic files, signed manifests, the CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import privacy

from .oracle import KEY

CRM = pl.DataFrame({
    "E-Mail": ["Mary@Example.com ", "bad", None, "john_smith@gmail.com"],
    "Mobile": ["(650) 555-1212", "", "+44 20 7946 0018", "650.555.1213"],
    "fname": ["Mary", "Jo", "", "John"],
    "Country": ["US", "US", "United Kingdom", "usa"],
    "dob": ["2/16/1997", "1990-01-01", "31/12/1980", "not a date"],
})


def test_meta_layout_and_report() -> None:
    up = privacy.prepare_upload(CRM, "meta")
    assert up.frame.columns == ["email", "phone", "fn", "country", "dob"]
    r = up.report
    assert (r.rows_in, r.rows_out, r.rows_without_key) == (4, 3, 1)
    email = next(c for c in r.columns if c.kind == "email")
    assert email.valid == 2
    assert email.rejected == {"malformed": 1, "empty": 1}
    dob = next(c for c in r.columns if c.kind == "dob")
    assert dob.rejected == {"malformed": 1}
    assert up.frame["email"][0] == privacy.Hasher().hash("mary@example.com")
    # every rejection is listed by row and column, without the value
    assert set(up.rejections.columns) == {"row", "column", "kind", "reason"}
    assert up.rejections.height == sum(sum(c.rejected.values()) for c in r.columns)
    assert r.warnings
    assert "minimum audience of 100" in r.warnings[0]


def test_google_keeps_country_and_zip_plain() -> None:
    crm = pl.DataFrame({"email": ["a@b.com"], "zip": ["94025-1234"], "country": ["US"]})
    up = privacy.prepare_upload(crm, "google")
    assert up.frame.row(0) == (privacy.Hasher().hash("a@b.com"), "US", "94025")
    assert up.frame.columns == ["Email", "Country", "Zip"]


def test_uid2_is_base64() -> None:
    up = privacy.prepare_upload(pl.DataFrame({"email": ["USER@example.com"]}), "uid2")
    assert up.frame["email_hash"][0] == "tMmiiTI7IaAcPpQPFQ65uMVCWH8av9jw4cwf/F5HVRQ="


@pytest.mark.parametrize("kind", ["pandas", "arrow", "csv", "parquet"])
def test_inputs(kind: str, tmp_path: Path) -> None:
    crm = pl.DataFrame({"email": ["mary@example.com"], "zip": ["02134"]})
    if kind == "pandas":
        src: object = pd.DataFrame(crm.to_dict(as_series=False))
    elif kind == "arrow":
        src = pa.table(crm.to_dict(as_series=False))
    elif kind == "csv":
        src = tmp_path / "crm.csv"
        crm.write_csv(src)
    else:
        src = tmp_path / "crm.parquet"
        crm.write_parquet(src)
    up = privacy.prepare_upload(src, "meta")
    # CSV ZIPs keep their leading zero (read as text)
    assert up.frame["zip"][0] == privacy.Hasher().hash("02134")


def test_write_is_atomic_and_manifest_verifies(tmp_path: Path) -> None:
    key = privacy.generate_signing_key()
    up = privacy.prepare_upload(CRM, "meta")
    out = tmp_path / "upload.csv"
    manifest = up.write(out, signing_key=key)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["upload.csv", "upload.csv.manifest.json"]
    on_disk = json.loads((tmp_path / "upload.csv.manifest.json").read_text())
    assert on_disk == manifest
    for field in ("platform", "rows", "schema", "normalization_version", "hash_scheme", "sha256",
                  "created_at", "tool", "signature"):
        assert field in manifest
    assert manifest["rows"] == 3
    assert manifest["hash_scheme"] == "sha256-hex"
    assert "anonymous" not in json.dumps(manifest).replace("not anonymous", "")
    assert privacy.verify_manifest(on_disk, key.public_key(), out)
    # tampering with the file or the manifest is caught
    out.write_text(out.read_text() + "x\n")
    with pytest.raises(privacy.ManifestError, match="sha256 differs"):
        privacy.verify_manifest(on_disk, key.public_key(), out)
    on_disk["rows"] = 4
    with pytest.raises(privacy.ManifestError, match="does not verify"):
        privacy.verify_manifest(on_disk, key.public_key())


def test_unrecognized_layout_lists_headers() -> None:
    with pytest.raises(privacy.MissingColumnError, match=r"2 headers \(f\*\*\*, b\*\*\*\)"):
        privacy.prepare_upload(pl.DataFrame({"foo": ["x"], "bar": ["y"]}), "meta")


@pytest.mark.parametrize(("headers", "want"), [
    # Salesforce's contact export (its "Other" address is not the mailing one)
    (["First Name", "Email", "Mobile", "Mailing City", "Mailing State/Province",
      "Mailing Zip/Postal Code", "Mailing Country", "Other City"],
     ["fn", "email", "phone", "ct", "st", "zip", "country"]),
    # HubSpot's
    (["Email", "Last Name", "Mobile Phone Number", "City", "State/Region", "Postal Code",
      "Country/Region"], ["email", "ln", "phone", "ct", "st", "zip", "country"]),
])
def test_crm_exports_headers_are_recognized(headers: list[str], want: list[str]) -> None:
    # before: "State/Province", "Zip/Postal Code", "Mailing City", "Country/Region" were
    # unrecognized columns, so their identifiers were left out of the upload
    values = {"Email": "ana@example.com", "Mobile": "+1 650 555 1212", "Mailing Country": "US",
              "Mobile Phone Number": "+1 650 555 1212", "Country/Region": "US"}
    crm = pl.DataFrame({h: [values.get(h, "x")] for h in headers})
    up = privacy.prepare_upload(crm, "meta")
    assert sorted(up.frame.columns) == sorted(want)
    assert up.report.unrecognized_columns == (["O***"] if "Other City" in headers else [])


@pytest.mark.parametrize(("headers", "want"), [
    # a French, a German, a Spanish, an Italian, a Portuguese and a Dutch CRM's headers
    (["Courriel", "Téléphone", "Prénom", "Nom de famille", "Code postal", "Ville", "Pays",
      "Date de naissance", "Sexe"],
     ["email", "phone", "fn", "ln", "zip", "ct", "country", "dob", "gen"]),
    (["E-Mail-Adresse", "Handynummer", "Vorname", "Nachname", "PLZ", "Ort", "Land",
      "Geburtsdatum", "Geschlecht"],
     ["email", "phone", "fn", "ln", "zip", "ct", "country", "dob", "gen"]),
    (["Correo electrónico", "Teléfono móvil", "Apellidos", "Código Postal", "Ciudad", "País",
      "Fecha de nacimiento"], ["email", "phone", "ln", "zip", "ct", "country", "dob"]),
    (["Cognome", "Cellulare", "Città", "Data di nascita", "Sesso"],
     ["ln", "phone", "ct", "dob", "gen"]),
    (["Telemóvel", "Sobrenome", "Cidade", "Data de nascimento"], ["phone", "ln", "ct", "dob"]),
    (["Telefoonnummer", "Voornaam", "Achternaam", "Woonplaats", "Geboortedatum", "Geslacht"],
     ["phone", "fn", "ln", "ct", "dob", "gen"]),
    # full-width letters, and letters without a decomposition ('Fødselsdato')
    (["ＥＭＡＩＬ", "Fødselsdato"], ["email", "dob"]),
])
def test_european_crm_headers_are_recognized(headers: list[str], want: list[str]) -> None:
    # before: only English headers were known, and accents broke the folding ('Téléphone'
    # folded to 't_l_phone'): a French CRM's phones were left out of the upload as an
    # unrecognized column
    values = {"Courriel": "ana@example.com", "E-Mail-Adresse": "ana@example.com",
              "Correo electrónico": "ana@example.com", "ＥＭＡＩＬ": "ana@example.com",
              "Téléphone": "+33 6 12 34 56 78", "Handynummer": "+49 151 23456789",
              "Teléfono móvil": "+34 612 345 678", "Cellulare": "+39 347 123 4567",
              "Telemóvel": "+351 912 345 678", "Telefoonnummer": "+31 6 12345678"}
    crm = pl.DataFrame({h: [values.get(h, "x")] for h in headers})
    up = privacy.prepare_upload(crm, "meta")
    assert sorted(up.frame.columns) == sorted(want)
    assert up.report.unrecognized_columns == []
    # the phones were read, not only named: a valid number in each
    if "phone" in want:
        assert up.frame["phone"].null_count() == 0


@pytest.mark.parametrize("header", [
    # words that also name something else stay unrecognized (pass columns=): a full name as
    # often as a part of it, Italy's postcode and a data cap, a status, a video's genre, a
    # telco's own columns
    "Nom", "Nome", "Nombre", "Name", "CAP", "Estado", "Genre", "Portable", "GSM", "Region",
])
def test_ambiguous_header_words_are_not_guessed(header: str) -> None:
    crm = pl.DataFrame({"email": ["ana@example.com"], header: ["x"]})
    up = privacy.prepare_upload(crm, "meta")
    assert up.frame.columns == ["email"]
    assert len(up.report.unrecognized_columns) == 1


def test_a_sales_region_is_not_a_state() -> None:
    crm = pl.DataFrame({"email": ["ana@example.com"], "region": ["North"],
                        "billing_city": ["Paris"]})
    assert privacy.prepare_upload(crm, "meta").frame.columns == ["email"]


def test_explicit_mapping_errors() -> None:
    crm = pl.DataFrame({"mail": ["a@b.com"]})
    with pytest.raises(privacy.MissingColumnError, match="it has"):
        privacy.prepare_upload(crm, "meta", columns={"email": "email"})
    with pytest.raises(privacy.UnsupportedIdentifierError, match="linkedin does not take"):
        privacy.prepare_upload(crm, "linkedin", columns={"mail": "phone"})
    with pytest.raises(privacy.UnknownPlatformError, match="use one of"):
        privacy.prepare_upload(crm, "myspace", columns={"mail": "email"})
    with pytest.raises(privacy.InvalidInputError, match="no rows"):
        privacy.prepare_upload(crm.clear(), "meta", columns={"mail": "email"})
    with pytest.raises(privacy.InvalidInputError, match="one identifier type per list"):
        privacy.prepare_upload(
            pl.DataFrame({"email": ["a@b.com"], "maid": ["x"]}), "x"
        )


def test_keyed_upload_records_scheme_not_key(tmp_path: Path) -> None:
    key = KEY
    up = privacy.prepare_upload(CRM, "meta", key=key, key_id="partner-2026")
    manifest = up.write(tmp_path / "partner.csv")
    assert manifest["hash_scheme"] == "hmac-sha256-hex"
    assert manifest["key_id"] == "partner-2026"
    assert "kkkk" not in json.dumps(manifest)
    assert "kkkk" not in repr(up)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "privacy", *args], cwd=cwd, capture_output=True, text=True,
        check=False,
    )


def test_cli_hash_and_keygen(tmp_path: Path) -> None:
    privacy.synthetic_crm(300, seed=1).write_csv(tmp_path / "crm.csv")
    assert _cli("keygen", "sign.pem", cwd=tmp_path).returncode == 0
    done = _cli("hash", "crm.csv", "--platform", "meta", "-o", "up.csv", "--signing-key",
                "sign.pem", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "300 rows in" in done.stdout
    assert "(signed)" in done.stdout
    public = privacy.load_public_key(tmp_path / "sign.pub.pem")
    assert privacy.verify_manifest(tmp_path / "up.csv.manifest.json", public, tmp_path / "up.csv")


def test_cli_unreadable_input_exits_2(tmp_path: Path) -> None:
    done = _cli("hash", "missing.csv", "--platform", "meta", "-o", "x.csv", cwd=tmp_path)
    assert done.returncode == 2
    assert "not found" in done.stderr


@pytest.mark.parametrize(("text", "sep", "where"), [
    (b"email,phone\na@example.com,+14155550100\nb@example.com,+1415,5550101\n", None,
     "line 3 (3 fields, the header 2) has more fields than its header"),
    # a quoted field over two lines: the row ends on line 4
    (b"email,phone\na@example.com,+14155550100\n\"b@\nexample.com\",+1,4155550101\n", None,
     "line 4 (3 fields, the header 2) has more fields"),
    (b"email;phone\na@example.com;+14155550100\nb@example.com;+1;4155550101\n", ";",
     "line 3 (3 fields, the header 2) has more fields"),
    # a quote inside an unquoted field (RFC 4180 has none; polars refuses the file), also after
    # a quoted field that holds the delimiter
    (b"email,phone\na@example.com,+14155550100\nb\"@example.com,+14155550101\n", None,
     "line 3 has a double quote inside a field that does not begin with one"),
    (b"email,phone,x\n\"a,b@example.com\",+14155550100,c\"d\n", None,
     "line 2 has a double quote inside a field"),
    (b"email,phone\n\"a@example.com\"x,+14155550100\n", None,
     "line 2 has text after a field's closing quote"),
    (b"email,phone\na@example.com,1\n\"b@example.com,+14155550100\nc@example.com,2\n", None,
     "a quoted field in the row that starts on line 3 is never closed"),
    (b"", None, "it is empty; a CSV needs a header row"),
    (b"\xef\xbb\xbf", None, "it is empty"),
])
def test_an_unreadable_csv_is_named_by_its_line_never_its_cells(
        tmp_path: Path, text: bytes, sep: str | None, where: str) -> None:
    """A CSV polars cannot read stops with what is wrong, where, and the remedy, never its
    cells; a short row is read, its missing fields counted as empty; quotes written as RFC 4180
    says are read."""
    crm = tmp_path / "crm.csv"
    crm.write_bytes(text)
    with pytest.raises(privacy.ReadError, match=re.escape(where)) as caught:
        privacy.prepare_upload(crm, "meta", separator=sep)
    assert "example" not in str(caught.value)
    assert "5550101" not in str(caught.value)
    done = _cli("hash", "crm.csv", "--platform", "meta", "-o", "up.csv",
                *(("--delimiter", sep) if sep else ()), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("error: ")
    assert where in done.stderr
    assert "example" not in done.stderr
    assert not (tmp_path / "up.csv").exists()
    crm.write_bytes(b"email,phone\na@example.com,+14155550100\nb@example.com\n")
    phone = next(c for c in privacy.prepare_upload(crm, "meta").report.columns
                 if c.kind == "phone")
    assert (phone.valid, phone.rejected) == (1, {"empty": 1})
    crm.write_bytes(b'fn,email\n"O""Brien",a@example.com\n"Mary\nAnn",b@example.com\n')
    fn = next(c for c in privacy.prepare_upload(crm, "meta").report.columns
              if c.kind == "first_name")
    assert (fn.valid, fn.rejected) == (1, {"control_character": 1})


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.text('QJ,"\n\r ', max_size=8), min_size=1, max_size=5))
def test_every_csv_polars_refuses_is_diagnosed_without_its_cells(rows: list[str]) -> None:
    """Whatever stray quotes, delimiters and line ends a file holds, when polars refuses it the
    diagnosis names a line and what is wrong there, and never a cell."""
    from privacy._io import csv_problem

    data = ("QQ,JJ\n" + "\n".join(rows) + "\n").encode()
    try:
        pl.read_csv(data, infer_schema=False)
    except pl.exceptions.NoDataError:
        return
    except pl.exceptions.PolarsError:
        problem = csv_problem(data)
        assert problem is not None
        assert "Q" not in problem
        assert "J" not in problem


@pytest.mark.parametrize(("encoding", "bom"), [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"),
                                              ("cp1252", b"")])
def test_lines_ending_in_a_carriage_return_alone_are_lines(tmp_path: Path, encoding: str,
                                                           bom: bytes) -> None:
    """Excel's "CSV (Macintosh)" ends lines in a carriage return alone: polars read the whole
    file as its header row ("no rows", with cells for column names). Its rows are rows."""
    lines = ["email,phone,fn", "a@example.com,+14155550100,Zoë", "b@example.com,,\"Ann\rMarie\""]
    unix = tmp_path / "unix.csv"
    unix.write_text("\n".join(lines) + "\n", encoding="utf-8")
    mac = tmp_path / "mac.csv"
    mac.write_bytes(bom + "\r".join(lines).encode(encoding))
    want = privacy.prepare_upload(unix, "meta", key=KEY)
    got = privacy.prepare_upload(mac, "meta", key=KEY, encoding=encoding)
    assert got.report.rows_in == 2
    assert got.frame.to_dicts() == want.frame.to_dicts()
    assert {c.kind: c.rejected for c in got.report.columns} == {
        "email": {}, "phone": {"empty": 1}, "first_name": {"control_character": 1}}
    assert privacy.audit(mac, platform="meta").rows == 2


@pytest.mark.parametrize("ahead", [1, 2, 3, 20])
def test_prepare_values_any_normalize_ahead(ahead: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """However many chunks are normalized ahead (more than there are, too), each chunk's
    hashes come back in order."""
    from privacy import _pipeline

    values = privacy.synthetic_crm(2_000, seed=5)["phone"]
    monkeypatch.setattr(_pipeline, "CHUNK_ROWS", 300)
    monkeypatch.setattr(_pipeline, "NORMALIZE_AHEAD", ahead)
    got = privacy.prepare_values(values, "phone", "meta")
    assert got.to_list() == privacy.Hasher().hash(privacy.normalize(values, "phone")).to_list()


@pytest.mark.parametrize(("kind", "platform", "processes"), [
    ("email", "meta", 1), ("email", "google", 1), ("phone", "meta", 1), ("zip", "google", 1),
    ("first_name", "meta", 1), ("email", "uid2", 1), ("dob", "meta", 1), ("email", "meta", 2),
    ("phone", "snap", 2),
])
def test_prepare_values_overlapped_equals_serial(kind: str, platform: str, processes: int,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from privacy import _hashing, _pipeline
    from privacy._platforms import rule_for

    crm = privacy.synthetic_crm(2_500, seed=3)
    column = {"first_name": "first_name", "dob": "dob"}.get(kind, kind)
    values = crm[column]
    monkeypatch.setattr(_pipeline, "CHUNK_ROWS", 300)  # nine chunks: the overlapped path
    # Workers for chunks this small too: chunk i+1 is sent before chunk i is collected.
    monkeypatch.setattr(_hashing, "_MIN_WORKER_ROWS", 50)
    got = privacy.prepare_values(values, kind, platform, reasons=True, processes=processes)
    normalized = privacy.normalize(values, kind, platform, reasons=True)
    rule = rule_for(platform, kind)
    expected = normalized["value"]
    if rule.handling == "hash":
        expected = privacy.Hasher(encoding=rule.encoding).hash(expected)
    assert got["value"].to_list() == expected.to_list()
    assert got["reason"].to_list() == normalized["reason"].to_list()
    assert got.height == len(values)


def test_prepare_values_inputs() -> None:
    assert privacy.prepare_values(["94025-1234", "x"], "zip", "google").to_list() == ["94025",
                                                                                      None]
    with pytest.raises(privacy.InputTypeError, match="column"):
        privacy.prepare_values("a@b.com", "email")
    with pytest.raises(privacy.UnknownPlatformError):
        privacy.prepare_values(["a@b.com"], "email", "myspace")
    keyed = privacy.prepare_values(["a@b.com"], "email", key=KEY)
    assert keyed.to_list() != privacy.prepare_values(["a@b.com"], "email").to_list()


def test_csv_with_invalid_utf8_is_a_counted_rejection(tmp_path: Path) -> None:
    # A CRM export from a Latin-1 system: nothing is lost, and nothing is guessed: "Ren\xe9e"
    # is not "rene" (another person), it is rejected as invalid_encoding and never hashed.
    path = tmp_path / "crm.csv"
    path.write_bytes(b"email,first_name\nmary@example.com,Ren\xe9e\njohn@example.com,John\n")
    up = privacy.prepare_upload(path, "meta")
    assert up.report.rows_in == 2
    assert up.frame["fn"][1] == privacy.Hasher().hash("john")
    assert up.frame["fn"][0] is None
    fn = next(c for c in up.report.columns if c.kind == "first_name")
    assert fn.rejected == {"invalid_encoding": 1}
    assert fn.valid + sum(fn.rejected.values()) == 2
    ragged = tmp_path / "ragged.csv"
    ragged.write_bytes(b"email\n\"unterminated@example.com\n")
    with pytest.raises(privacy.PrivacyError, match=r"could not read|no recognized|found"):
        privacy.prepare_upload(ragged, "meta")


@pytest.mark.parametrize(("platform", "crm", "says"), [
    # 300 rows, 60 people: under meta's 100 (rows would pass)
    ("meta", {"email": [f"p{i % 60}@example.com" for i in range(300)]},
     "300 rows of 60 distinct people is under meta's minimum audience of 100"),
    # no match key: every row with any value is uploaded, and counted as distinct rows
    ("meta", {"fn": [f"Ann{chr(97 + i % 26)}" for i in range(300)],
              "zip": ["94025"] * 300},
     "300 rows of 26 distinct people is under meta's minimum"),
    # google's address rows: no match key to bound them
    ("google", {"first_name": ["Ann"] * 150, "last_name": ["Lee"] * 150,
                "country": ["US"] * 150, "zip": ["94025"] * 150},
     "150 rows of 1 distinct person is under google's minimum"),
    ("tiktok", {"email": [f"p{i % 999}@example.com" for i in range(5_000)]},
     "5,000 rows of 999 distinct people is under tiktok's minimum audience of 1,000"),
])
def test_the_minimum_audience_counts_people_not_rows(platform: str, crm: dict, says: str) -> None:
    report = privacy.prepare_upload(pl.DataFrame(crm), platform).report
    assert [w for w in report.warnings if says in w], report.warnings


@pytest.mark.parametrize(("platform", "crm"), [
    ("meta", {"email": [f"p{i}@example.com" for i in range(100)] * 3}),
    # 60 emails, but each row another phone: 300 distinct rows
    ("meta", {"email": [f"p{i % 60}@example.com" for i in range(300)],
              "phone": [f"+1 650 253 {i:04d}" for i in range(300)]}),
    # rows without a key are not uploaded and not counted; 100 with one
    ("meta", {"email": [f"p{i}@example.com" if i < 100 else None for i in range(500)],
              "zip": ["94025"] * 500}),
    ("tiktok", {"email": [f"p{i}@example.com" for i in range(1_000)] * 2}),
])
def test_a_minimum_met_by_distinct_people_has_no_warning(platform: str, crm: dict) -> None:
    report = privacy.prepare_upload(pl.DataFrame(crm), platform).report
    assert not [w for w in report.warnings if "minimum audience" in w], report.warnings


def test_columns_named_like_polars_patterns_are_read_as_named_or_refused() -> None:
    # before: polars runs a Series' methods as pl.col(its name), and reads '^email$' as a
    # regular expression over the names (matching 'email', not itself): normalize() and
    # prepare_upload raised a raw IndexError; audit raised KeyError or DuplicateError
    emails = ["Jane.Doe@Example.com ", "bad@", None, "joe@example.org"]
    phones = ["+1 650 253 0000", "650-253-0001", "x", None]
    want = privacy.normalize(pl.Series("email", emails), "email")
    for name in ("^email$", "^e.*$", "*", "^$"):
        got = privacy.normalize(pl.Series(name, emails), "email")
        assert got.to_list() == want.to_list(), name
        assert privacy.normalize(pl.Series(name, phones), "phone", default_region="US"
                                 ).to_list() == privacy.normalize(
            pl.Series("phone", phones), "phone", default_region="US").to_list(), name
    plain = privacy.prepare_upload(pl.DataFrame({"email": emails, "phone": phones}), "meta",
                                   key=KEY)
    for email, phone in (("^email$", "^phone$"), ("*", "^p+$")):
        crm = pl.DataFrame({email: emails, phone: phones})
        upload = privacy.prepare_upload(crm, "meta", key=KEY,
                                        columns={email: "email", phone: "phone"})
        assert upload.frame.equals(plain.frame), (email, phone)
        assert upload.report.rows_out == plain.report.rows_out
    # an audit reads every column by name: such a column is refused, naming it
    hashed = plain.frame
    for name in ("*", "^email$", "^$"):
        with pytest.raises(privacy.InvalidInputError, match="read as patterns") as info:
            privacy.audit(hashed.rename({"email": name}), platform="meta")
        assert repr(name) in str(info.value)
    # must-pass: '^', '$' and '*' inside names polars reads as names
    for name in ("email^", "$email", "^email", "*email*"):
        assert privacy.audit(hashed.rename({"email": name}), platform="meta").rows == hashed.height


MULTI = pl.DataFrame({
    "mail_home": ["Mary@Example.com", None, "bad", None, "joe@example.org"],
    "mail_work": ["mary@work.example", "ann@example.net", None, None, "joe@example.org"],
    "mobile": ["(650) 555-1212", None, None, "", "650.555.1213"],
    "landline": [None, None, "+44 844 412 4653", None, None],
})
MULTI_MAP = {"mail_home": "email", "mobile": "phone", "mail_work": "email", "landline": "phone"}


def test_meta_takes_up_to_three_email_and_phone_columns_under_one_header(tmp_path: Path) -> None:
    # before: a second email column was refused ('each kind may be mapped once'), though Meta's
    # customer file takes up to three email and three phone columns, each headed 'email'/'phone'
    up = privacy.prepare_upload(MULTI, "meta", columns=MULTI_MAP)
    assert up.frame.columns == ["email", "email (2)", "phone", "phone (2)"]  # unique in a frame
    # a row is kept when any of its identifiers is valid: the 3rd only by its second phone;
    # the 4th has none
    assert (up.report.rows_in, up.report.rows_out) == (5, 4)
    kept = [0, 1, 2, 4]
    for name, column, kind in (("email", "mail_home", "email"), ("email (2)", "mail_work", "email"),
                               ("phone", "mobile", "phone"), ("phone (2)", "landline", "phone")):
        want = privacy.prepare_values(MULTI[column], kind, "meta")
        assert up.frame[name].to_list() == [want[i] for i in kept], name
    # each CRM column is reported on its own
    assert [(c.column, c.header, c.valid) for c in up.report.columns] == [
        ("mail_home", "email", 2), ("mail_work", "email", 3), ("mobile", "phone", 2),
        ("landline", "phone", 1)]
    assert up.report.columns[0].rejected == {"empty": 2, "malformed": 1}
    key = privacy.generate_signing_key()
    manifest = up.write(tmp_path / "up.csv", signing_key=key)
    lines = (tmp_path / "up.csv").read_text().splitlines()
    assert lines[0] == "email,email,phone,phone"  # the file repeats the platform's headers
    assert len(lines) == 5
    assert [s["name"] for s in manifest["schema"]] == ["email", "email", "phone", "phone"]
    # the audit reads the repeated headers, checks the signature and knows each column's kind
    report = privacy.audit(tmp_path / "up.csv", public_key=key.public_key())
    assert report.platform == "meta"
    assert report.rows == 4
    assert not [f for f in report.findings if f.check in ("manifest", "format", "plaintext")]
    assert {f.column for f in report.findings if f.check == "reversible"} == {"phone",
                                                                             "phone (2)"}
    # the table's order is the platform's, the CRM's order within a kind
    swapped = privacy.prepare_upload(MULTI, "meta", columns={
        "mail_work": "email", "landline": "phone", "mail_home": "email", "mobile": "phone"})
    assert swapped.frame["email"].to_list() == up.frame["email (2)"].to_list()


def test_columns_per_kind_are_capped_at_what_each_platform_takes(tmp_path: Path) -> None:
    four = pl.DataFrame({f"e{i}": [f"p{i}@example.com"] for i in range(4)})
    emails = {c: "email" for c in four.columns}
    with pytest.raises(privacy.InvalidInputError, match=r"meta's file takes up to 3 email "
                       r"columns.*got 4: 'e0', 'e1', 'e2', 'e3'"):
        privacy.prepare_upload(four, "meta", columns=emails)
    three = {c: "email" for c in four.columns[:3]}
    assert privacy.prepare_upload(four, "meta", columns=three).frame.width == 3
    assert privacy.prepare_upload(four, "tiktok", columns=three).frame.columns == [
        "Email_SHA256", "Email_SHA256 (2)", "Email_SHA256 (3)"]
    # Google's file 'may include multiple Email columns', with no stated maximum
    assert privacy.prepare_upload(four, "google", columns=emails).frame.width == 4
    for platform in ("snap", "linkedin", "uid2", "x"):
        with pytest.raises(privacy.InvalidInputError, match=f"{platform}'s file takes one "
                           "email column; got 2"):
            privacy.prepare_upload(four, platform, columns={"e0": "email", "e1": "email"})
    with pytest.raises(privacy.InvalidInputError, match="takes one first_name column"):
        privacy.prepare_upload(pl.DataFrame({"a": ["x"], "b": ["y"]}), "meta",
                               columns={"a": "first_name", "b": "first_name"})
    # a repeated header holds only in CSV: a Parquet upload is refused before any file is made
    up = privacy.prepare_upload(four, "meta", columns=three)
    with pytest.raises(privacy.InvalidInputError, match=r"repeats the header 'email'.*only CSV"):
        up.write(tmp_path / "up.parquet")
    assert not list(tmp_path.iterdir())
    single = privacy.prepare_upload(four, "meta", columns={"e0": "email"})
    single.write(tmp_path / "one.parquet")  # must-pass: one column per header
    assert pl.read_parquet(tmp_path / "one.parquet").columns == ["email"]


def test_numbered_headers_are_recognized_where_the_platform_takes_several() -> None:
    crm = pl.DataFrame({"Email": ["a@example.com"], "Email 2": ["b@example.com"],
                        "email3": ["c@example.org"], "phone": ["+1 650 555 1212"],
                        "Phone_2": ["+44 844 412 4653"], "zip4": ["1234"]})
    up = privacy.prepare_upload(crm, "meta")
    assert up.frame.columns == ["email", "email (2)", "email (3)", "phone", "phone (2)"]
    # 'zip4' is a ZIP+4 extension, not a second ZIP
    assert up.report.unrecognized_columns == ["zip4"]
    assert "Email 2" in up.report.to_text()  # a numbered header is a header, shown as such
    # a platform taking one column of a kind still asks which one
    with pytest.raises(privacy.InvalidInputError, match="several columns look like the same"):
        privacy.prepare_upload(crm, "snap")
    # a platform that takes no phone leaves the phone columns out, however many
    assert privacy.prepare_upload(crm.drop("Email 2", "email3"), "linkedin").frame.columns == [
        "email"]
    # two unnumbered aliases are two guesses, not two columns: still a question, with the hint
    with pytest.raises(privacy.InvalidInputError, match=r"number them .*meta takes several "
                       r"columns of email \(up to 3\)"):
        privacy.prepare_upload(pl.DataFrame({"email": ["a@example.com"],
                                             "mail": ["b@example.com"]}), "meta")


def test_google_address_match_takes_any_of_several_zip_columns() -> None:
    crm = pl.DataFrame({"fn": ["Ann", "Bo", "Cy"], "ln": ["Lee", "Ma", "No"],
                        "country": ["US", "US", "US"], "zip": [None, "94025", None],
                        "zip_old": ["10001", None, None]})
    up = privacy.prepare_upload(crm, "google", columns={
        "fn": "first_name", "ln": "last_name", "country": "country", "zip": "zip",
        "zip_old": "zip"})
    assert up.frame.columns == ["First Name", "Last Name", "Country", "Zip", "Zip (2)"]
    # rows 1 and 2 have a complete address (a ZIP in either column); row 3 has none
    assert up.report.rows_out == 2
    assert up.frame["Zip"].to_list() == [None, "94025"]
    assert up.frame["Zip (2)"].to_list() == ["10001", None]


def test_a_repeated_header_is_read_only_where_a_platform_repeats_it(tmp_path: Path) -> None:
    hashed = privacy.Hasher().hash(pl.Series(["a@example.com"]))[0]
    # ('fn' hashed: a clear one is a finding of its own)
    fn = privacy.Hasher().hash(pl.Series(["maria"]))[0]
    (tmp_path / "meta.csv").write_text(f"email,email,fn\n{hashed},maria@example.com,{fn}\n")
    report = privacy.audit(tmp_path / "meta.csv", platform="meta")
    clear = [f for f in report.findings if f.check == "plaintext"]
    assert [f.column for f in clear] == ["email (2)"]
    assert "maria@example.com" not in report.to_text()
    # a header no platform repeats is still refused, in an audit and in a CRM
    (tmp_path / "fn.csv").write_text(f"email,fn,fn\n{hashed},x,y\n")
    with pytest.raises(privacy.InvalidInputError, match="header 'fn' twice"):
        privacy.audit(tmp_path / "fn.csv", platform="meta")
    with pytest.raises(privacy.InvalidInputError, match="header 'email' twice"):
        privacy.prepare_upload(tmp_path / "meta.csv", "meta")
    # 'email (2)' written beside a repeated 'email' would be two columns of one name
    (tmp_path / "both.csv").write_text(f"email,email,email (2)\n{hashed},{hashed},{hashed}\n")
    with pytest.raises(privacy.InvalidInputError, match="'email \\(2\\)' twice"):
        privacy.audit(tmp_path / "both.csv", platform="meta")


def test_a_list_over_linkedins_maximum_is_reported_and_flagged(tmp_path: Path) -> None:
    # the spec: LinkedIn takes 300 to 300,000 rows per list; a longer file is refused there,
    # and nothing said so before
    crm = pl.DataFrame({"email": [f"p{i}@example.com" for i in range(300_001)]})
    over = privacy.prepare_upload(crm, "linkedin")
    assert over.report.warnings == [
        "300,001 rows is over linkedin's maximum of 300,000 rows per list: the platform refuses "
        "the file; split the CRM into lists of at most 300,000 rows, one upload each"]
    over.write(tmp_path / "over.csv")
    sizes = [f for f in privacy.audit(tmp_path / "over.csv").findings
             if f.check == "audience_size"]
    assert [(f.severity, f.count) for f in sizes] == [("high", 300_001)]
    assert "maximum of 300,000" in sizes[0].message
    # must-pass: exactly the maximum, and the same list for a platform with no maximum
    assert privacy.prepare_upload(crm.head(300_000), "linkedin").report.warnings == []
    assert privacy.prepare_upload(crm, "meta", columns={"email": "email"}).report.warnings == []


def test_google_lists_hold_one_kind_of_key() -> None:
    # before: the synthetic CRM's google upload held Email, Phone, the address and 'User ID'
    # together; Google's lists take contact information, User IDs or mobile device IDs, one
    # kind per list (the upload's data type)
    crm = privacy.synthetic_crm(500, seed=2)
    up = privacy.prepare_upload(crm, "google")
    assert up.frame.columns == ["Email", "Phone", "First Name", "Last Name", "Country", "Zip"]
    assert "customer_id" in up.report.ignored_columns
    assert [w for w in up.report.warnings if "one kind of key" in w and "'customer_id' "
            "(User ID)" in w]
    with pytest.raises(privacy.InvalidInputError, match=r"one kind of key .* got contact "
                       r"information: 'email'; User ID: 'customer_id'"):
        privacy.prepare_upload(crm, "google", columns={"email": "email",
                                                       "customer_id": "external_id"})
    ids = privacy.prepare_upload(crm, "google", columns={"customer_id": "external_id"})
    assert ids.frame.columns == ["User ID"]
    assert not [w for w in ids.report.warnings if "kind of key" in w]
    devices = pl.DataFrame({"customer_id": ["1", "2"],
                            "maid": ["AECE52E7-03EE-455A-B3C4-E57283966239", None]})
    with pytest.raises(privacy.InvalidInputError, match="User ID: 'customer_id'; Mobile "
                       "Device ID: 'maid'"):
        privacy.prepare_upload(devices, "google")  # neither is the contact information
    # must-pass: other platforms take an external id beside emails
    assert "extern_id" in privacy.prepare_upload(crm, "meta").frame.columns


def test_part_of_a_google_address_is_reported() -> None:
    crm = pl.DataFrame({"email": ["a@example.com"], "zip": ["94025-1234"], "country": ["US"]})
    up = privacy.prepare_upload(crm, "google")
    assert up.frame.columns == ["Email", "Country", "Zip"]  # nothing taken away
    notes = [w for w in up.report.warnings if "mailing address" in w]
    assert len(notes) == 1
    assert "has no First Name, Last Name, so Country, Zip match nobody" in notes[0]
    full = crm.with_columns(first_name=pl.lit("Ann"), last_name=pl.lit("Lee"))
    assert not [w for w in privacy.prepare_upload(full, "google").report.warnings
                if "mailing address" in w]
    # meta matches each field on its own: no such note
    assert not [w for w in privacy.prepare_upload(crm, "meta").report.warnings
                if "mailing address" in w]


def test_cli_maps_columns_and_reads_dates_day_first(tmp_path: Path) -> None:
    # before: the command line recognized headers only: 'Mail Home' and 'Mail Work' could not
    # be uploaded, nor a second email column, nor dates of birth written day first in the US
    (tmp_path / "crm.csv").write_text(
        "id,Mail Home,Mail Work,born\n1,a@example.com,b@example.com,01/02/1990\n"
        "2,,c@example.com,03/04/1991\n")
    done = _cli("hash", "crm.csv", "--platform", "meta", "-o", "up.csv",
                "--column", "Mail Home=email", "--column", "Mail Work=email",
                "--column", "born=dob", "--dayfirst", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = (tmp_path / "up.csv").read_text().splitlines()
    assert lines[0] == "email,email,dob"
    hasher = privacy.Hasher()
    assert lines[1].split(",") == [hasher.hash("a@example.com"), hasher.hash("b@example.com"),
                                   hasher.hash("19900201")]
    assert lines[2].split(",")[0] == ""
    month_first = _cli("hash", "crm.csv", "--platform", "meta", "-o", "m.csv",
                       "--column", "born=dob", "--monthfirst", cwd=tmp_path)
    assert month_first.returncode == 0, month_first.stderr
    assert (tmp_path / "m.csv").read_text().splitlines()[1] == hasher.hash("19900102")
    for bad, says in ((["--column", "Mail Home"], "--column takes CRM_COLUMN=KIND"),
                      (["--column", "nope=email"], "not in the table"),
                      (["--column", "born=dob", "--column", "born=dob"], "twice"),
                      (["--column", "Mail Home=emial"], "unknown identifier kind")):
        failed = _cli("hash", "crm.csv", "--platform", "meta", "-o", "x.csv", *bad,
                      cwd=tmp_path)
        assert failed.returncode == 2, bad
        assert failed.stderr.startswith("error: "), failed.stderr
        assert says in failed.stderr
        assert "Traceback" not in failed.stderr
        assert not (tmp_path / "x.csv").exists()


def test_rejection_reasons_come_in_one_order_every_run() -> None:
    """Reasons by name in an upload's report and a PSI side's report: they came in the order
    polars' value_counts gave them, another each run, so the audience report's page and the
    reports' dicts changed between two runs on the same data."""
    emails = (["a@b.com"] + ["", ""] + ["n/a"] * 3 + ["a\x00b@c.com"] * 4 + ["q" * 300] * 5
              + ["bad@"] * 6 + ["=1+1"] * 7 + ["a@b.com\u200bx"] * 8 + ["d" * 64 + "@x.org"])
    crm = pl.DataFrame({"email": emails})
    want = sorted(privacy.normalize(emails, "email", reasons=True)["reason"].drop_nulls().unique())
    assert len(want) >= 6  # one order among 720 if it were left to chance
    for _ in range(5):
        report = privacy.prepare_upload(crm, "meta").report
        assert list(report.columns[0].rejected) == want
        assert list(report.to_dict()["columns"][0]["rejected"]) == want
        match = privacy.psi.match(emails, ["a@b.com"], kind="email")
        assert list(match.receiver["rejected_by_reason"]) == want
