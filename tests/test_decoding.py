"""Decoding and values: nothing guessed, nothing lost. Bytes that are not UTF-8, control
characters, over-long values, spreadsheet formulas and countries that are not countries are
counted rejections, never hashed; files in another encoding or with another delimiter get an
error that says how to read them; columns never disappear silently."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

import privacy
from privacy.__main__ import main


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def reasons(values: list, kind: str, **kw: object) -> list[str | None]:
    return privacy.normalize(values, kind, reasons=True, **kw)["reason"].to_list()


# --- bytes that are not UTF-8 ---------------------------------------------------------------


@pytest.mark.parametrize(("raw", "kind"), [
    (b"Jos\xe9", "first_name"), (b"m\xfcller@example.com", "email"), (b"\xff\xfe", "last_name"),
    (b"650 555 \xa01212", "phone"), (b"Z\xfcrich", "city"),
])
def test_invalid_utf8_is_a_counted_rejection(tmp_path: Path, raw: bytes, kind: str) -> None:
    header = {"first_name": b"first_name", "email": b"email", "last_name": b"last_name",
              "phone": b"phone", "city": b"city"}[kind]
    path = tmp_path / "crm.csv"
    path.write_bytes(b"email," + header + b"\nok@example.com," + raw + b"\n"
                     if kind != "email" else b"email\n" + raw + b"\n")
    up = privacy.prepare_upload(path, "meta")
    col = next(c for c in up.report.columns if c.kind == kind)
    assert col.rejected == {"invalid_encoding": 1}
    assert col.valid == 0
    # bytes values given to the API directly: the same rejection, never a lossy guess
    assert reasons([raw], kind) == ["invalid_encoding"]
    assert privacy.normalize([raw.decode("utf-8", "replace")], kind).to_list() == [None]


@pytest.mark.parametrize("value", ["b\udcff@example.com", "\ud800", "Jos\udce9",
                                   "\ud83d\ude00bob", "650 555 \udca01212"])
@pytest.mark.parametrize("kind", ["email", "first_name", "phone", "external_id"])
def test_unpaired_surrogates_are_invalid_encoding(value: str, kind: str) -> None:
    """Text that no UTF-8 spells (what surrogateescape leaves of undecodable bytes, or a lone
    JSON escape) is rejected like undecodable bytes, in a list, a pandas column or alone:
    never an encoder's traceback, never hashed."""
    pd = pytest.importorskip("pandas")
    assert reasons([value, "ok@example.com"], kind)[0] == "invalid_encoding"
    column = pd.Series([value, "x"], dtype=object)
    assert privacy.normalize(column, kind, reasons=True)["reason"][0] == "invalid_encoding"
    assert privacy.normalize(value, kind, reasons=True) == (None, "invalid_encoding")
    hashed = privacy.prepare_values([value, None], kind, reasons=True)
    assert hashed["value"].to_list() == [None, None]
    assert hashed["reason"].to_list() == ["invalid_encoding", "empty"]


def test_valid_text_beside_a_surrogate_is_kept() -> None:
    out = privacy.normalize(["b\udcff@example.com", "Mary@Example.com"], "email")
    assert out.to_list() == [None, "mary@example.com"]


@pytest.mark.parametrize("values", ["\udcff", ["ok", "\udcff"], ["\ud800", None, "\ud800"]])
def test_hashing_refuses_text_that_is_not_unicode(values: object) -> None:
    """Hashing takes normalized text; a surrogate never reaches the digest as "close enough"
    (and the error does not quote the value)."""
    with pytest.raises(privacy.InvalidInputError, match="not valid Unicode") as err:
        privacy.Hasher().hash(values)
    assert "\udcff" not in str(err.value)
    assert "\ud800" not in str(err.value)


@given(st.lists(st.one_of(st.text(st.characters(exclude_categories=()), max_size=20),
                          st.none()), min_size=1, max_size=15),
       st.sampled_from(["email", "phone", "first_name", "external_id"]))
def test_nothing_is_lost_with_any_code_point(values: list, kind: str) -> None:
    """Any Python text, surrogates included: valid or rejected with a known reason."""
    out = privacy.normalize(values, kind, reasons=True)
    assert out.height == len(values)
    for value, reason in out.iter_rows():
        assert (value is None) != (reason is None)
        assert reason is None or reason in privacy.REASONS


def test_valid_utf8_bytes_are_text() -> None:
    assert privacy.normalize([b"Jos\xc3\xa9"], "first_name").to_list() == ["josé"]


@pytest.mark.parametrize("value", ["ab\x00c@example.com", "a\x1b[31m@example.com",
                                   "x\ty@example.com", "a\nb@example.com", "a\x7f@example.com",
                                   "a\x85b@example.com"])
def test_control_characters_are_rejected(value: str) -> None:
    assert reasons([value], "email") == ["control_character"]


def test_surrounding_blanks_are_not_control_characters() -> None:
    assert reasons([" a@example.com\r\n", "\ta@example.com"], "email") == [None, None]


def _address(n: int) -> str:
    """An address of ``n`` characters with a 60-character local part (RFC 5321 allows 64)."""
    domain = "example.com"
    while len(domain) < n - 61:
        domain = ("b" * min(60, n - 61 - len(domain) - 1) + "." + domain)
    return "a" * 60 + "@" + domain


@pytest.mark.parametrize(("kind", "limit", "make"), [
    ("email", 254, _address),
    ("first_name", 128, lambda n: "a" * n),
    ("external_id", 256, lambda n: "x" * n),
    ("city", 128, lambda n: "b" * n),
])
def test_values_past_the_kind_limit(kind: str, limit: int, make) -> None:
    platform = "meta"
    assert reasons([make(limit)], kind, platform=platform) == [None]
    assert reasons([make(limit + 1)], kind, platform=platform) == ["too_long"]


@pytest.mark.parametrize("platform", ["meta", "google", "tiktok", "uid2", "snap"])
def test_an_email_local_part_past_64_octets_is_too_long(platform: str) -> None:
    """RFC 5321 caps the local part at 64 octets: no mailbox has a longer one, so none matches
    (they were hashed before). Octets, not characters; the address as given, before a
    platform drops dots or a +tag."""
    for local, expected in (("a" * 64, None), ("a" * 65, "too_long"), ("\u00fc" * 32, None),
                            ("\u00fc" * 33, "too_long"), ("a" * 60 + ".b+tag", "too_long")):
        assert reasons([local + "@gmail.com"], "email", platform=platform) == [expected], local
    assert reasons(["a" * 70], "email", platform=platform) == ["malformed"]  # no "@"


def test_utf16_file_says_how_to_read_it(tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    path.write_bytes("email\nmary@example.com\n".encode("utf-16"))
    with pytest.raises(privacy.ReadError, match=r"UTF-16.*--encoding utf-16"):
        privacy.prepare_upload(path, "meta")
    code, _, err = cli("hash", str(path), "--platform", "meta", "-o", str(tmp_path / "u.csv"))
    assert code == 2
    assert "--encoding" in err
    code, _, err = cli("hash", str(path), "--platform", "meta", "-o", str(tmp_path / "u.csv"),
                         "--encoding", "utf-16")
    assert code == 0, err
    assert pl.read_csv(tmp_path / "u.csv")["email"][0] == privacy.Hasher().hash("mary@example.com")


def test_latin1_file_read_with_its_encoding(tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    path.write_bytes(b"first_name,email\nJos\xe9,j@example.com\n")
    up = privacy.prepare_upload(path, "meta", encoding="latin-1")
    assert up.frame["fn"][0] == privacy.Hasher().hash("josé")


def test_semicolon_file_says_how_to_read_it(tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    path.write_text("email;phone\nmary@example.com;+16505551212\n")
    with pytest.raises(privacy.ReadError, match=r"semicolon.*--delimiter"):
        privacy.prepare_upload(path, "meta")
    code, _, err = cli("hash", str(path), "--platform", "meta", "-o", str(tmp_path / "u.csv"),
                       "--delimiter", ";")
    assert code == 0, err
    assert pl.read_csv(tmp_path / "u.csv").columns == ["email", "phone"]


# --- spreadsheet formulas -------------------------------------------------------------------


@pytest.mark.parametrize("value", ["=HYPERLINK(\"http://x\",\"y\")", "+cmd", "-2+3", "@SUM(A1)",
                                   "=1+1"])
def test_plain_values_that_a_spreadsheet_runs_are_rejected(value: str) -> None:
    assert reasons([value], "external_id") == ["spreadsheet_formula"]
    assert reasons([value], "external_id", platform="google") == ["spreadsheet_formula"]


def test_hashed_kinds_keep_their_plus() -> None:
    # a phone's "+" is its format; it is hashed, never written in clear
    assert reasons(["+1 650 555 1212"], "phone", platform="google") == [None]


def test_audit_flags_formulas_in_clear() -> None:
    frame = pl.DataFrame({"note": ["=HYPERLINK(\"http://evil\")", "fine", "-5", "+1 650"]})
    report = privacy.audit(frame, platform="partner")
    found = [f for f in report.findings if f.check == "spreadsheet_formula"]
    assert len(found) == 1
    assert found[0].count == 1


# --- regions --------------------------------------------------------------------------------


def test_a_country_that_is_not_one_is_never_the_us() -> None:
    out = privacy.normalize(["(650) 555-1212", "+44 20 7946 0018", "94025-1234", "03/04/1990",
                             "1990-03-04"], "phone", default_region=["Narnia"] * 5,
                            reasons=True)
    assert out["reason"].to_list()[:2] == ["unknown_country", None]
    assert reasons(["94025-1234"], "zip", default_region=["Narnia"]) == ["unknown_country"]
    assert reasons(["03/04/1990"], "dob", default_region=["Narnia"]) == ["unknown_country"]
    # unambiguous whatever the region: kept
    assert reasons(["1990-03-04", "13/04/1990"], "dob", default_region=["Narnia"] * 2) == \
        [None, None]


def test_snap_zips_are_us_zips_only_in_the_us() -> None:
    # before: Snap read every ZIP the US way whatever the row's country: a ZIP+4 with no
    # country known was cut to 5 digits, and Vienna's 1010 was padded to Massachusetts' 01010
    got = privacy.normalize(["94105-1234", "1234", "94105", "1010", "10115", "SW1A 1AA",
                             "02139-4307", "2139"], "zip", platform="snap",
                            default_region=[None, None, None, "AT", "DE", "GB", "US", "US"],
                            reasons=True)
    assert got.rows() == [(None, "unknown_country"), (None, "unknown_country"), ("94105", None),
                          (None, "malformed"), ("10115", None), (None, "malformed"),
                          ("02139", None), ("02139", None)]
    assert reasons(["a@example.com"], "email", default_region=["Narnia"]) == [None]
    with pytest.raises(privacy.InvalidInputError):
        privacy.normalize(["(650) 555-1212"], "phone", default_region="Narnia")


def test_a_junk_country_column_is_counted_not_guessed() -> None:
    crm = pl.DataFrame({"phone": ["(650) 555-1212", "(650) 555-1213", "020 7946 0018"],
                        "country": ["US", "Atlantis", ""]})
    up = privacy.prepare_upload(crm, "meta", default_region="GB")
    phone = next(c for c in up.report.columns if c.kind == "phone")
    # "US" -> valid; "Atlantis" -> unknown_country; blank -> the default region, GB: valid
    assert phone.rejected == {"unknown_country": 1}
    assert phone.valid == 2



@pytest.mark.parametrize(("value", "code"), [
    ("North Macedonia", "mk"), ("Eswatini", "sz"), ("Cabo Verde", "cv"), ("Türkiye", "tr"),
    ("Curaçao", "cw"), ("Sint Maarten", "sx"), ("Timor-Leste", "tl"), ("Taiwan", "tw"),
    ("Russian Federation", "ru"), ("Korea, Republic of", "kr"), ("Viet Nam", "vn"),
    ("DZA", "dz"), ("NGA", "ng"), ("Mng", "mn"), ("ISL", "is"), ("Bo", "bo"), ("AO", "ao"),
    ("Macedonia", "mk"), ("Swaziland", "sz"), ("Deutschland", "de"), ("usa", "us"),
    ("U.S.", "us"), ("U.S.A.", "us"), ("the United States", "us"), ("U.K.", "gb"),
    ("Antigua & Barbuda", "ag"), ("St Kitts & Nevis", "kn"), ("St. Lucia", "lc"),
    ("Trinidad & Tobago", "tt"), ("U.A.E.", "ae"), ("Burma", "mm"), ("DR Congo", "cd"),
    ("Republic of Ireland", "ie"), ("Britain", "gb"), ("Macau", "mo"),
])
def test_countries_by_their_iso_names_and_codes(value: str, code: str) -> None:
    """ISO 3166-1's current names and every alpha-3 code, not only the old or common ones; a
    code wins over a name in another language that spells it (Vietnamese 'Nga' is Russia)."""
    assert privacy.normalize(value, "country", "meta") == code
    assert privacy.normalize(value, "country", "google") == code.upper()


@pytest.mark.parametrize("value", ["AN", "Netherlands Antilles", "YU", "ZR", "SU", "CS", "TP",
                                   "Soviet Union", "XK", "EU", "840", "352", "Antilles Holandeses"])
def test_withdrawn_or_unassigned_countries_are_unknown(value: str) -> None:
    """A code ISO 3166-1 withdrew (AN split into CW, SX and BQ in 2010) names no country a
    platform matches today; a numeric code is refused too (352 is Iceland's ISO number and
    Luxembourg's calling code): rejected and counted, never mapped to a guess."""
    assert privacy.normalize(value, "country", "meta", reasons=True) == (None, "unknown_code")


def test_a_current_country_name_is_a_phone_region() -> None:
    assert privacy.normalize(["070 123 456", "020 7946 0958"], "phone",
                             default_region=["North Macedonia", "Netherlands Antilles"],
                             reasons=True).rows() == [("38970123456", None),
                                                       (None, "unknown_country")]

def test_dates_of_birth_take_today() -> None:
    today = dt.date(2000, 1, 1)
    assert reasons(["1999-12-31", "2000-01-02"], "dob", today=today) == [None, "out_of_range"]
    assert privacy.normalize("1/2/99", "dob", today=today) == "19990102"
    assert privacy.normalize("1/2/01", "dob", today=today) == "19010102"
    crm = pl.DataFrame({"email": ["a@example.com"], "dob": ["2000-06-01"]})
    up = privacy.prepare_upload(crm, "meta", today=today)
    assert next(c for c in up.report.columns if c.kind == "dob").rejected == {"out_of_range": 1}


_FAR = pl.Series("dob", [2**63 - 1, 0, None, -(2**63) + 1], dtype=pl.Int64)


@pytest.mark.parametrize("column", [
    _FAR.cast(pl.Datetime("us")), _FAR.cast(pl.Datetime("us", "Asia/Tokyo")),
    pl.Series("dob", [2**31 - 1, 0, None, -(2**31) + 1], dtype=pl.Int32).cast(pl.Date)])
def test_dates_past_the_years_polars_writes_are_out_of_range(column: pl.Series, capfd) -> None:
    # before: DuckDB's 'infinity' as polars reads it (the largest 64-bit number) panicked
    # polars' strftime in normalize and prepare_upload and its cast in the audit (a
    # PanicException past every 'except Exception', with a Rust message on stderr)
    capfd.readouterr()
    assert privacy.normalize(column, "dob", reasons=True).rows() == [
        (None, "out_of_range"), ("19700101", None), (None, "empty"), (None, "out_of_range")]
    crm = pl.DataFrame({"email": ["a@example.com"] * 4, "dob": column})
    up = privacy.prepare_upload(crm, "meta")
    assert next(c for c in up.report.columns if c.kind == "dob").rejected == {
        "out_of_range": 2, "empty": 1}
    held = crm.with_columns(plan=pl.struct("dob"), dobs=pl.concat_list("dob"))
    report = privacy.audit(held, platform="meta")
    assert any(f.check == "plaintext" and f.column == "email" for f in report.findings)
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("value", ["infinity", "-infinity", "Infinity", "+10000-01-01",
                                   "-0005-03-01", "99999-01-01", "+262142-12-31 23:00:00"])
def test_dates_no_birth_date_can_be_are_out_of_range(value: str) -> None:
    # before: 'malformed', as if it were not a date (DuckDB and PostgreSQL write 'infinity';
    # polars writes years outside 1-9999 with a sign)
    assert reasons([value, "1990-02-03"], "dob") == ["out_of_range", None]


@pytest.mark.parametrize("value", ["+1990-01-01x", "infinityx", "10000", "+infinity-1"])
def test_text_that_is_no_date_stays_malformed(value: str) -> None:
    assert reasons([value], "dob") == ["malformed"]


@pytest.mark.parametrize(("value", "region", "want"), [
    # month names as European CRMs write them (before: 'malformed', or right by chance when
    # the first three letters were an English abbreviation: 'mars', 'marzo')
    ("25. März 1985", "DE", "19850325"), ("2 Jänner 1980", "AT", "19800102"),
    ("3 février 1985", "FR", "19850203"), ("1er mai 1985", "FR", "19850501"),
    ("25 de marzo de 1985", "ES", "19850325"), ("7 de outubro de 1971", "PT", "19711007"),
    ("25 maart 1985", "NL", "19850325"), ("12 dicembre 1966", "IT", "19661212"),
    # must-pass beside them: the English forms
    ("16 Feb 1997", "US", "19970216"), ("February 16, 1997", "US", "19970216"),
    ("Feb. 16th 1997", "US", "19970216"), ("Sept 3 1990", "US", "19900903"),
])
def test_month_names_are_read_in_the_languages_of_european_crms(value: str, region: str,
                                                                 want: str) -> None:
    assert privacy.normalize(value, "dob", default_region=region) == want


@pytest.mark.parametrize("value", ["1 junk 1990", "3 decimal 1990", "5 octopus 1990",
                                   "25 marzipan 1985", "4 novel 1980", "16 Febuary 1997"])
def test_a_word_that_starts_like_a_month_is_no_month(value: str) -> None:
    # before: any word whose first three letters were an English month's was that month,
    # so '1 junk 1990' was hashed as the 1st of June 1990: a guess, never made now (a
    # misspelt month is malformed, counted, and not hashed)
    assert reasons([value], "dob") == ["malformed"]


@pytest.mark.parametrize(("value", "want"), [
    # genders as European CRMs write them (before: unsupported_value, left out of the upload)
    ("Femme", "f"), ("Féminin", "f"), ("weiblich", "f"), ("Mujer", "f"), ("Femmina", "f"),
    ("Feminino", "f"), ("Vrouw", "f"), ("Homme", "m"), ("Männlich", "m"), ("Hombre", "m"),
    ("Maschio", "m"), ("Masculino", "m"), ("Mannelijk", "m"),
    # must-pass beside them: the English words; one-letter codes that mean another gender
    # in another language stay unread (Spain's 'M' is mujer, Germany's 'W' weiblich,
    # France's 'H' homme): 'M' is male as the platforms define it, 'H' and 'W' are refused
    ("Female", "f"), ("man", "m"), ("M", "m"), ("H", None), ("W", None), ("D", None),
])
def test_genders_are_read_in_the_languages_of_european_crms(value: str, want: str | None
                                                             ) -> None:
    assert privacy.normalize(value, "gender") == want


def test_the_audit_reverses_hashes_of_genders_written_in_those_languages() -> None:
    frame = pl.DataFrame({"gen": [privacy.Hasher().hash(v) for v in ["Femme", "Homme"] * 200]})
    report = privacy.audit(frame, platform="meta")
    assert any(f.check == "reversible" and f.count == 400 for f in report.findings)


# --- columns never disappear ------------------------------------------------------------------


def test_unrecognized_columns_are_listed() -> None:
    crm = pl.DataFrame({"email": ["a@example.com"], "loyalty_tier": ["gold"], "notes": ["x"]})
    up = privacy.prepare_upload(crm, "meta")
    assert up.report.unrecognized_columns == ["loyalty_tier", "notes"]
    assert "loyalty_tier" in up.report.to_text()
    assert up.report.to_dict()["unrecognized_columns"] == ["loyalty_tier", "notes"]


def test_duplicated_header_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    path.write_text("email,phone,email\na@example.com,1,b@example.com\n")
    with pytest.raises(privacy.InvalidInputError, match="'email' twice"):
        privacy.prepare_upload(path, "meta")
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame([["a@example.com", "b@example.com"]], columns=["email", "email"])
    with pytest.raises(privacy.InvalidInputError, match="twice"):
        privacy.prepare_upload(frame, "meta")
    # pyarrow allows it too: the message said 'text, integer or date columns' instead
    import pyarrow as pa

    table = pa.table([pa.array(["a@example.com"]), pa.array(["b@example.com"])],
                     names=["email", "email"])
    with pytest.raises(privacy.InvalidInputError, match="'email' twice"):
        privacy.prepare_upload(table, "meta")


def test_columns_name_the_tables_columns_as_text() -> None:
    # a pandas column 0 is '0' once read: {0: 'email'} was 'not in the table; it has ['0']'
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame([["a@example.com", "x"]], columns=[0, 1])
    with pytest.raises(privacy.InputTypeError, match=r"got int '0'.*is '0' here"):
        privacy.prepare_upload(frame, "meta", columns={0: "email"})
    assert privacy.prepare_upload(frame, "meta", columns={"0": "email"}).report.rows_out == 1


@given(st.lists(st.one_of(st.text(max_size=30), st.binary(max_size=30), st.none()),
                min_size=1, max_size=20),
       st.sampled_from(["email", "phone", "first_name", "dob", "zip", "external_id"]))
def test_nothing_is_lost(values: list, kind: str) -> None:
    """Every value is either valid or rejected with a known reason; rejected is never hashed."""
    out = privacy.normalize(values, kind, reasons=True)
    assert out.height == len(values)
    for value, reason in out.iter_rows():
        assert (value is None) != (reason is None)
        assert reason is None or reason in privacy.REASONS
    hashed = privacy.prepare_values(values, kind, reasons=True)
    assert hashed["reason"].to_list() == out["reason"].to_list()
    assert hashed["value"].is_null().to_list() == out["value"].is_null().to_list()


def test_dates_of_birth_take_now_like_the_rest_of_the_library() -> None:
    now = dt.datetime(2000, 1, 1, 3, 0, tzinfo=dt.timezone(dt.timedelta(hours=5)))  # 1999 UTC
    assert reasons(["1999-12-31", "2000-01-01"], "dob", now=now) == [None, "out_of_range"]
    assert privacy.prepare_values(["2000-01-01"], "dob", now=dt.date(2000, 1, 1)).to_list() \
        == [privacy.Hasher().hash("20000101")]
    with pytest.raises(privacy.InvalidInputError):
        privacy.normalize(["1999-12-31"], "dob", now=now, today=dt.date(2000, 1, 1))
    with pytest.raises(privacy.InputTypeError):
        privacy.normalize(["1999-12-31"], "dob", now="2000-01-01")


# --- invisible format characters and full-width codes -----------------------------------------

# Unicode format characters (Cf) that copy-paste brings along: byte order mark, zero-width
# space, left-to-right and right-to-left marks, an embedding and its pop, soft hyphen, word
# joiner, a tag character (the "ASCII smuggling" block).
INVISIBLE = ["\ufeff", "\u200b", "\u200e", "\u200f", "\u202a", "\u202c", "\u00ad", "\u2060",
             "\U000e0041"]
#: A valid value of each kind (meta, US), with what it normalizes to.
VALID = {
    "email": ("Ann@Example.com", "ann@example.com"), "phone": ("+1 650 555 1212", "16505551212"),
    "first_name": ("Ann", "ann"), "last_name": ("O'Neil", "oneil"), "city": ("San Jose", "sanjose"),
    "state": ("CA", "ca"), "zip": ("94043", "94043"), "country": ("US", "us"),
    "gender": ("Female", "f"), "dob": ("1990-02-28", "19900228"),
    "maid": ("6D92078A-8246-4BA4-AE5B-76104861E7DC", "6d92078a-8246-4ba4-ae5b-76104861e7dc"),
    "external_id": ("A-123", "A-123"),
}


@given(kind=st.sampled_from(sorted(VALID)),
       before=st.lists(st.sampled_from([*INVISIBLE, " ", "\u00a0", "\u200c"]), max_size=3),
       after=st.lists(st.sampled_from([*INVISIBLE, " ", "\t", "\u200d"]), max_size=3))
def test_invisible_characters_around_a_value_are_blanks(kind: str, before: list[str],
                                                        after: list[str]) -> None:
    """Around a value they go as blanks go: the value hashes as if they were not there."""
    raw, want = VALID[kind]
    assert privacy.normalize("".join(before) + raw + "".join(after), kind) == want


@pytest.mark.parametrize("mark", INVISIBLE)
@pytest.mark.parametrize("kind", ["email", "zip", "dob", "maid", "external_id", "country",
                                  "gender", "state"])
def test_invisible_characters_inside_a_value_are_a_counted_rejection(kind: str, mark: str
                                                                     ) -> None:
    """Inside a value where every character counts, nothing is guessed: counted, not hashed
    (before, "a<soft hyphen>@b.com" was hashed as itself and could never match)."""
    raw, _ = VALID[kind]
    middle = len(raw) // 2
    assert privacy.normalize(raw[:middle] + mark + raw[middle:], kind, reasons=True) == (
        None, "invisible_character")


@pytest.mark.parametrize("mark", INVISIBLE)
@pytest.mark.parametrize("kind", ["phone", "first_name", "last_name", "city"])
def test_invisible_characters_inside_phones_and_names_go_with_their_punctuation(
        kind: str, mark: str) -> None:
    raw, want = VALID[kind]
    middle = len(raw) // 2
    assert privacy.normalize(raw[:middle] + mark + raw[middle:], kind) == want


def test_direction_marks_around_a_phone_no_longer_lose_it() -> None:
    # as pasted from a right-to-left page: before, "invalid_for_region"
    assert privacy.normalize("\u200e+44 20 7946 0958", "phone") == "442079460958"
    assert privacy.normalize("\u202a+44 20 7946 0958\u202c", "phone", "google") == "+442079460958"


def test_joiners_that_spell_names_are_kept() -> None:
    """The zero-width non-joiner is part of Persian spelling (and the joiner of Indic): kept
    inside a name, refused inside an email."""
    name = "\u0645\u0647\u0631\u200c\u0646\u0627\u0632"  # Mehrnaz, with its non-joiner
    assert privacy.normalize(name, "first_name") == name
    assert privacy.normalize("ann\u200c@example.com", "email", reasons=True) == (
        None, "invisible_character")


def test_invisible_characters_are_counted_in_an_upload() -> None:
    crm = pl.DataFrame({"email": ["a\u00adb@example.com", "\ufeffc@example.com", "d@example.com"]})
    up = privacy.prepare_upload(crm, "meta")
    col = next(c for c in up.report.columns if c.kind == "email")
    assert col.rejected == {"invisible_character": 1}
    assert col.valid == 2
    assert "invisible_character" in privacy.REASONS


def test_a_value_of_invisible_characters_only_is_empty() -> None:
    assert privacy.normalize("\u200b\ufeff", "email", reasons=True) == (None, "empty")


@pytest.mark.parametrize(("kind", "region", "wide", "want"), [
    ("zip", "US", "９４０４３", "94043"), ("zip", "JP", "１００－０００１", "1000001"),
    ("zip", "GB", "ＳＷ１Ａ　１ＡＡ", "sw1a1aa"), ("dob", "US", "１９９０／０２／２８", "19900228"),
])
def test_full_width_codes_are_their_ascii(kind: str, region: str, wide: str, want: str) -> None:
    """Full-width digits and letters (Japanese and Chinese input) are ASCII written wide: the
    same code. Before, a full-width ZIP outside the US was hashed as itself."""
    assert privacy.normalize(wide, kind, default_region=region) == want


def test_other_digit_forms_are_not_read_as_digits() -> None:
    assert privacy.normalize("①②③④⑤", "zip", reasons=True) == (None, "malformed")
    assert privacy.normalize("９４０４３²", "zip", reasons=True) == (None, "malformed")


def test_no_default_region_assumes_none() -> None:
    """default_region=None: no region is assumed for any row. What reads the same in every
    region (an international number, an ISO or unambiguous date) is kept; the rest is
    unknown_country, never the US. It used to fail with an error about the values."""
    got = privacy.normalize(["6505551212", "+44 20 7946 0958"], "phone", default_region=None,
                            reasons=True)
    assert got.rows() == [(None, "unknown_country"), ("442079460958", None)]
    dates = privacy.normalize(["1990-02-03", "03/02/1990", "16/02/1990"], "dob",
                              default_region=None, reasons=True)
    assert dates.rows() == [("19900203", None), (None, "unknown_country"), ("19900216", None)]
    up = privacy.prepare_upload(pl.DataFrame({"phone": ["6505551212", "+442079460958"]}),
                                "meta", default_region=None)
    assert up.report.columns[0].rejected == {"unknown_country": 1}


@pytest.mark.parametrize("region", [123, {"US": 1}, 4.5])
def test_a_wrong_default_region_is_named_in_the_error(region: object) -> None:
    with pytest.raises(privacy.InputTypeError, match="default_region"):
        privacy.normalize(["6505551212"], "phone", default_region=region)


_NOT_ONE_COLUMN = [
    # (input, what the message says): results line up with the input by position, so each of
    # these gave a wrong answer or Python's error: a bytearray was seven "malformed" values
    # (its bytes as small integers), a set an arbitrary order, a 0-d array a raw TypeError
    (bytearray(b"ann@example.com"), "bytearray; decode"),
    (memoryview(b"ann@example.com"), "memoryview; decode"),
    (b"ann@example.com", "bytes; decode"),
    ({"ann@example.com", "bo@example.com"}, "set has no order"),
    (frozenset({"ann@example.com"}), "frozenset has no order"),
    ({"ann@example.com": 1}, "dict has no order"),
    (np.array("ann@example.com"), r"0-d array of shape \(\)"),
    (np.array([["ann@example.com"]]), r"2-d array of shape \(1, 1\)"),
    (pl.DataFrame({"email": ["ann@example.com"]}), r"a table \(DataFrame\)"),
    (pl.LazyFrame({"email": ["ann@example.com"]}), r"a table \(LazyFrame\)"),
    (pa.table({"email": ["ann@example.com"]}), r"a table \(Table\)"),
    (pd.DataFrame({"email": ["ann@example.com"]}), r"a table \(DataFrame\)"),
]


@pytest.mark.parametrize(("values", "says"), _NOT_ONE_COLUMN)
def test_values_that_are_not_one_ordered_column_are_refused(values: object, says: str) -> None:
    key = bytes(range(32))
    calls = [lambda: privacy.normalize(values, "email"),
             lambda: privacy.prepare_values(values, "email", "meta"),
             lambda: privacy.Hasher(key=key).hash(values),
             lambda: privacy.psi.match(values, ["ann@example.com"], kind="email"),
             lambda: privacy.normalize(["6505551212"], "phone", default_region=values)]
    for call in calls:
        with pytest.raises(privacy.InputTypeError, match=says):
            call()


def test_ordered_columns_of_every_kind_are_taken() -> None:
    # must-pass beside the refusals: the same value from each ordered container
    want = ["ann@example.com", None]
    for values in (["Ann@example.com", "x"], ("Ann@example.com", "x"),
                   np.array(["Ann@example.com", "x"]), pl.Series(["Ann@example.com", "x"]),
                   pd.Series(["Ann@example.com", "x"]), pa.array(["Ann@example.com", "x"]),
                   pa.chunked_array([["Ann@example.com"], ["x"]]),
                   {"Ann@example.com": 1, "x": 2}.keys(), iter(["Ann@example.com", "x"])):
        assert privacy.normalize(values, "email").to_list() == want, type(values).__name__


# --- floats: whole numbers a float holds exactly, each value alone ---------------------------


@given(values=st.lists(st.integers(-(2**53), 2**53) | st.none(), min_size=1, max_size=20))
def test_whole_floats_are_their_integers(values: list) -> None:
    # a pandas integer column with gaps arrives as floats: each value is its integer's text
    floats = pl.Series("id", [None if v is None else float(v) for v in values], dtype=pl.Float64)
    ints = pl.Series("id", values, dtype=pl.Int64)
    got = privacy.normalize(floats, "external_id", platform="meta")
    assert got.to_list() == privacy.normalize(ints, "external_id", platform="meta").to_list()


@pytest.mark.parametrize("bad", [2.5, 1e19, float(2**53) * 2, float("inf"), -(2.0**60)])
def test_floats_that_lost_or_never_had_digits_are_refused(bad: float) -> None:
    # before: 1.0 became "1.0" when another row held 2.5 (and "1" otherwise), and 1e19 raised
    # polars' InvalidOperationError
    column = pl.Series("id", [1.0, bad])
    with pytest.raises(privacy.InputTypeError, match="1 float value"):
        privacy.normalize(column, "external_id", platform="meta")
    with pytest.raises(privacy.InputTypeError, match="not whole numbers under 2"):
        privacy.normalize([1.0, bad], "external_id", platform="meta")
    with pytest.raises(privacy.InputTypeError, match="float"):
        privacy.prepare_upload(pl.DataFrame({"external_id": [1.0, bad]}), "meta")


def test_a_tables_mixed_cells_keep_a_floats_text() -> None:
    # a pandas object column mixing numbers and text is read cell by cell; outside an
    # identifier a fraction is text like any other (the identifier rule above once refused it
    # when a Population read the table)
    import pandas as pd

    import segmentation as seg

    frame = pd.DataFrame({"user_id": [1, 2, 3, 4],
                          "mixed": pd.Series([1, "a", 2.5, None], dtype=object)})
    pop = seg.Population(frame, now=dt.datetime(2026, 11, 1))
    assert pop.profiles.collect()["mixed"].to_list() == ["1", "a", "2.5", None]
    assert pop.select(seg.field("mixed") == "2.5").ids.to_list() == [3]
    crm = pd.DataFrame({"phone": pd.Series([6505551234, "+1 650 555 1235", 16505551236.0],
                                           dtype=object)})
    assert privacy.prepare_upload(crm, "meta", default_region="US").report.rows_out == 3


@pytest.mark.parametrize(("value", "kind", "expected"), [
    (dt.date(1990, 1, 2), "dob", "19900102"), (dt.datetime(1990, 1, 2, 23, 30), "dob", "19900102"),
    (np.datetime64("1990-01-02"), "dob", "19900102"), (6505551212, "phone", "16505551212"),
    (np.int64(2139), "zip", "02139"), (6505551212.0, "phone", "16505551212"),
    (16, "dob", None),
])
def test_one_value_of_any_kind_a_column_takes_is_one_value(value: object, kind: str,
                                                           expected: str | None) -> None:
    # a date of birth as a date, or a phone as an int, was an InputTypeError alone ("values
    # must be a str, a sequence or a polars Series") and fine in a list
    assert privacy.normalize(value, kind) == expected
    assert privacy.normalize([value], kind).to_list() == [expected]
    assert privacy.normalize(value, kind, reasons=True)[0] == expected


@pytest.mark.parametrize("value", [6505551212.5, b"a@example.com", {"a@example.com"}])
def test_one_value_a_column_refuses_is_refused_alone(value: object) -> None:
    with pytest.raises(privacy.InputTypeError):
        privacy.normalize(value, "phone")
