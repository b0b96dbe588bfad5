"""No plaintext, ever: canary identifiers and a key pushed through every error path of the API
and the command line; all output is searched for them.

The paths (each a case below): a CRM without a header row (hash and audit, text and JSON);
swapped arguments of normalize; an unknown kind, platform or region made of a canary; a pandas
column mixing numbers and text; a pyarrow table that does not convert; columns= naming a missing
canary column; a duplicated canary header; a canary as a delimiter-less header; a manifest whose
fields hold canaries; verify_manifest with the wrong file; a short key; audits of frames whose
headers are canaries; and arbitrary bytes as CRM and export files (hypothesis).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import privacy
from privacy.__main__ import main

EMAIL = "canary.person@example.org"
PHONE = "+1 650 555 0199"
DIGITS = "16505550199"
NAME = "Zaphodina"
DOB = "1977-05-25"
KEY = b"K3y-canary-material-0123456789abcdef!!"
CANARIES = [EMAIL, PHONE, DIGITS, NAME, DOB, KEY.decode(), KEY.hex()]


def assert_clean(*texts: str) -> None:
    for text in texts:
        for canary in CANARIES:
            assert canary not in text, (canary, text[:500])


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(autouse=True)
def _capture_logs(caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    yield
    assert_clean(caplog.text)


API_ERRORS = {
    "normalize with swapped arguments": lambda: privacy.normalize("email", [EMAIL, PHONE]),
    "kind is a canary": lambda: privacy.normalize([EMAIL], NAME),
    "kind is an email": lambda: privacy.normalize([PHONE], EMAIL),
    "platform is a canary": lambda: privacy.normalize([EMAIL], "email", EMAIL),
    "region is a canary": lambda: privacy.normalize([PHONE], "phone", default_region=EMAIL),
    "region is a name": lambda: privacy.normalize([PHONE], "phone", default_region=NAME),
    "values of a wrong type": lambda: privacy.normalize([{EMAIL: 1}], "email"),
    "hash of numbers": lambda: privacy.Hasher().hash(pl.Series([int(DIGITS)])),
    "short key": lambda: privacy.Hasher(key=KEY[:8]),
    "no column recognized": lambda: privacy.prepare_upload(pl.DataFrame({EMAIL: [PHONE]}),
                                                           "meta"),
    "headerless names": lambda: privacy.prepare_upload(
        pl.DataFrame({NAME: ["x"], DOB: ["y"]}), "meta"),
    "columns= missing": lambda: privacy.prepare_upload(pl.DataFrame({"email": [EMAIL]}), "meta",
                                                       columns={EMAIL: "email"}),
    "columns= kind clash": lambda: privacy.prepare_upload(
        pl.DataFrame({EMAIL: ["a"], NAME: ["b"]}), "snap", columns={EMAIL: "email",
                                                                    NAME: "email"}),
    "columns= over meta's three emails": lambda: privacy.prepare_upload(
        pl.DataFrame({EMAIL: ["a"], NAME: ["b"], "c": ["c"], "d": ["d"]}), "meta",
        columns={EMAIL: "email", NAME: "email", "c": "email", "d": "email"}),
    "columns= unsupported kind": lambda: privacy.prepare_upload(
        pl.DataFrame({EMAIL: ["a"]}), "linkedin", columns={EMAIL: "phone"}),
    "verify with the wrong key type": lambda: privacy.verify_manifest({"rows": 1}, KEY),
    "sign with bytes": lambda: privacy.sign_manifest({"x": EMAIL}, KEY),
    "manifest of the wrong types": lambda: privacy.verify_manifest(
        {"rows": EMAIL, "sha256": PHONE, "signature": {"value": KEY.decode()}},
        privacy.generate_signing_key().public_key()),
    "load a key from canary bytes": lambda: privacy.load_private_key(KEY),
    "audit with a canary platform": lambda: privacy.audit(pl.DataFrame({"a": ["b"]}),
                                                          platform=EMAIL),
    "audit with a key of the wrong type": lambda: privacy.audit(pl.DataFrame({"a": ["b"]}),
                                                                public_key=5),
}


@pytest.mark.parametrize("name", list(API_ERRORS))
def test_api_errors_carry_no_plaintext(name: str) -> None:
    with pytest.raises(privacy.PrivacyError) as info:
        API_ERRORS[name]()
    assert_clean(str(info.value), repr(info.value))


def test_pandas_mixed_column_is_read_not_quoted() -> None:
    pd = pytest.importorskip("pandas")
    crm = pd.DataFrame({"phone": [16505550199, PHONE, None], "email": [EMAIL, 5, "x"]})
    up = privacy.prepare_upload(crm, "meta")
    assert up.report.rows_in == 3
    assert up.frame["phone"][0] == privacy.Hasher().hash(DIGITS)
    assert_clean(up.report.to_text(), json.dumps(up.report.to_dict()), repr(up))
    values = privacy.normalize(pd.Series([16505550199, PHONE]), "phone")
    assert values.to_list() == [DIGITS, DIGITS]


def test_pyarrow_that_does_not_convert() -> None:
    pa = pytest.importorskip("pyarrow")
    table = pa.table({"email": pa.array([{"x": EMAIL}])})
    with pytest.raises(privacy.PrivacyError) as info:
        privacy.prepare_upload(table, "meta")
    assert_clean(str(info.value))


def _unholdable_arrow_columns() -> list[tuple[object, str]]:
    """pyarrow arrays of types polars cannot hold (the 256-bit decimals panicked), with the
    type the error must name."""
    pa = pytest.importorskip("pyarrow")
    wide = pa.decimal256(60, 0)
    union = pa.UnionArray.from_sparse(pa.array([0], pa.int8()), [pa.array([1]), pa.array(["a"])])
    return [(pa.array([16505550199], wide), "decimal256(60, 0)"),
            (pa.array([16505550199], pa.decimal256(20, 0)), "decimal256(20, 0)"),
            (union, "union"),
            (pa.array([pa.MonthDayNano([1, 2, 3])]), "month_day_nano_interval"),
            (pa.array([[1]], pa.list_(wide)), "decimal256(60, 0)"),
            (pa.array([{"secret": 1}], pa.struct([("secret", wide)])), "decimal256(60, 0)")]


def test_arrow_types_polars_cannot_hold_are_named_never_a_panic(capfd, tmp_path: Path
                                                                ) -> None:
    # before: a 256-bit decimal column made polars panic: a PanicException (a BaseException,
    # past every except Exception) escaped prepare_upload, audit and normalize, and a Rust
    # panic message was printed on stderr; unions and intervals were refused without a name
    pa = pytest.importorskip("pyarrow")
    pd = pytest.importorskip("pandas")
    capfd.readouterr()
    for column, kind in _unholdable_arrow_columns():
        table = pa.table({"email": [EMAIL], "odd": column})
        for call in (privacy.prepare_upload, privacy.audit):
            with pytest.raises(privacy.InputTypeError, match=re.escape(f"odd ({kind})")) as info:
                call(table, "meta") if call is privacy.prepare_upload else call(table)
            assert_clean(str(info.value))
            assert "secret" not in str(info.value)
    frame = pd.DataFrame({"email": [EMAIL], "odd": pd.Series(
        [16505550199], dtype=pd.ArrowDtype(pa.decimal256(60, 0)))})
    with pytest.raises(privacy.InputTypeError, match=re.escape("odd (decimal256(60, 0))")):
        privacy.prepare_upload(frame, "meta")
    for values in (pa.array([16505550199], pa.decimal256(60, 0)),
                   pa.chunked_array([pa.array([16505550199], pa.decimal256(60, 0))]),
                   frame["odd"]):
        with pytest.raises(privacy.InputTypeError) as info:
            privacy.normalize(values, "phone", "meta", "US")
        assert_clean(str(info.value))
    assert capfd.readouterr().err == ""
    # a Parquet file's schema can declare decimals of more digits than polars holds: before,
    # 'could not read ...: InvalidOperationError; expected a Parquet file'
    import pyarrow.parquet as pq

    for column in (pa.array([10**50], pa.decimal256(60, 0)),
                   pa.array([[10**50]], pa.list_(pa.decimal256(60, 0)))):
        pq.write_table(pa.table({"email": [EMAIL], "odd": column}), tmp_path / "wide.parquet")
        for call in (privacy.prepare_upload, privacy.audit):
            with pytest.raises(privacy.InputTypeError,
                               match=re.escape("odd (decimal(60, 0)); write them as float")):
                call(tmp_path / "wide.parquet", "meta") if call is privacy.prepare_upload \
                    else call(tmp_path / "wide.parquet")
    # types polars holds still convert: 128-bit decimals and dictionary-encoded text
    table = pa.table({"email": pa.array([EMAIL]).dictionary_encode(),
                      "n": pa.array([1], pa.decimal128(38, 0))})
    assert privacy.prepare_upload(table, "meta").report.rows_in == 1


def test_headerless_crm_hash_and_audit(tmp_path: Path) -> None:
    crm = tmp_path / "crm.csv"
    crm.write_text(f"{EMAIL},{PHONE},{NAME},{DOB}\nother@example.org,+1 650 555 0100,Ann,"
                   "1980-01-01\n")
    code, out, err = cli("hash", str(crm), "--platform", "meta", "-o", str(tmp_path / "u.csv"))
    assert code == 2
    assert "no header row" in err
    assert_clean(out, err)
    report_json = tmp_path / "r.json"
    code, out, err = cli("audit", str(crm), "--json", str(report_json))
    assert code in (0, 1)
    report = json.loads(report_json.read_text())
    assert_clean(out, err, report_json.read_text())
    assert all(f["column"] is None or "***" in f["column"] or f["column"] == ""
               for f in report["findings"]), report["findings"]


@pytest.mark.parametrize(("names", "shown"), [
    # camelCase is a schema's way of joining words: shown (findings on 'osVersion' read 'o***')
    (["osVersion", "customerId", "e164Phone"], ["osVersion", "customerId", "e164Phone"]),
    # must-pass beside it: names and values of a headerless first row stay masked
    (["McDonald", "DeShawn", "Zaphodina"], ["M***", "D***", "Z***"]),
    (["osVersion", EMAIL], ["o***", "c***@e***.org"]),
])
def test_column_names_shown_in_reports(names: list[str], shown: list[str]) -> None:
    frame = pl.DataFrame({n: ["x"] * 3 for n in names})
    report = privacy.audit(frame, platform="partner")
    assert list(report.summary["types"]) == shown


def test_audit_of_canary_headers_and_values() -> None:
    frame = pl.DataFrame({EMAIL: [PHONE] * 3, NAME: [DOB] * 3, "city": [f"={EMAIL}"] * 3})
    report = privacy.audit(frame, platform="partner")
    assert_clean(report.to_text(), report.to_json(), repr(report.summary))
    assert {f.check for f in report.findings} >= {"plaintext", "spreadsheet_formula"}


def test_manifest_fields_and_wrong_file(tmp_path: Path) -> None:
    up = privacy.prepare_upload(pl.DataFrame({"email": [f"p{i}@example.org" for i in range(3)]}),
                                "meta")
    key = privacy.generate_signing_key()
    path = tmp_path / "u.csv"
    manifest = up.write(path, signing_key=key)
    other = tmp_path / f"{NAME}.csv"
    other.write_text(EMAIL)
    with pytest.raises(privacy.ManifestError) as info:
        privacy.verify_manifest(manifest, key.public_key(), other)
    assert_clean(str(info.value))
    m = dict(manifest, platform=EMAIL, description=f"anonymous {PHONE}", rows=NAME)
    report = privacy.audit(path, manifest=m, public_key=key.public_key())
    assert_clean(report.to_text(), report.to_json())


def test_cli_error_paths(tmp_path: Path) -> None:
    crm = tmp_path / "crm.csv"
    crm.write_text(f"email\n{EMAIL}\n")
    missing_key = tmp_path / f"{DIGITS}.pem"
    calls = [
        ("hash", str(crm), "--platform", "meta", "-o", str(tmp_path / "u.csv"),
         "--signing-key", str(missing_key)),
        ("hash", str(crm), "--platform", "meta", "-o", str(tmp_path / "u.csv"),
         "--region", EMAIL),
        ("hash", str(crm), "--platform", "meta", "-o", str(tmp_path / "u.csv"),
         "--encoding", EMAIL),
        ("hash", str(crm), "--platform", "meta", "-o", str(tmp_path / "u.csv"),
         "--delimiter", EMAIL),
        ("audit", str(crm), "--public-key", str(missing_key)),
        ("audit", str(crm), "--manifest", str(tmp_path / f"{EMAIL}.json")),
        ("audit", str(tmp_path / f"{EMAIL}.csv")),
        ("audit", str(crm), "--dictionary", str(tmp_path / f"{PHONE}.txt")),
    ]
    for args in calls:
        code, out, err = cli(*args)
        assert code == 2, (args, err)
        assert err.startswith("error: "), err
        assert "Traceback" not in err
        assert_clean(out, err)


def test_cli_never_echoes_control_characters(tmp_path: Path) -> None:
    crm = tmp_path / "crm.csv"
    crm.write_bytes(b"email,\x1b[31mnote\x1b[0m\nsomeone@example.org,\x00x\n")
    code, out, err = cli("hash", str(crm), "--platform", "meta", "-o", str(tmp_path / "u.csv"))
    assert code == 0, err
    assert "\x1b" not in out + err
    assert "\x00" not in out + err
    code, out, err = cli("audit", str(crm))
    assert "\x1b" not in out + err
    assert "\x00" not in out + err


_CANARY_LINES = st.sampled_from([
    EMAIL, PHONE, DIGITS, NAME, DOB, f"{EMAIL},{PHONE}", f"email,phone\n{EMAIL},{PHONE}",
    f"{NAME};{DOB}", f"\"{EMAIL}", f"={EMAIL}", "\x1b[2J", "\x00", "\r",
])


@settings(max_examples=40)
@given(parts=st.lists(st.one_of(st.binary(max_size=40), _CANARY_LINES.map(str.encode)),
                      max_size=8),
       suffix=st.sampled_from([".csv", ".tsv", ".parquet", ".txt"]))
def test_arbitrary_files_exit_cleanly(parts: list[bytes], suffix: str) -> None:
    """Any bytes as a CRM or an export: exit 0/1/2 only, no traceback, no canary."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"input{suffix}"
        path.write_bytes(b"\n".join(parts))
        out_path = Path(tmp) / "upload.csv"
        for args in (("hash", str(path), "--platform", "meta", "-o", str(out_path)),
                     ("audit", str(path), "--json", str(Path(tmp) / "r.json"))):
            code, out, err = cli(*args)
            assert code in (0, 1, 2), (args, err)
            assert "Traceback" not in out + err
            assert "unexpected" not in err, err  # a handled error, not the last resort
            files = "".join(p.read_text(errors="replace") for p in Path(tmp).glob("*.json"))
            assert_clean(out, err, files)
