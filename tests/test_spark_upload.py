"""Uploads prepared in Spark (per partition, mapInArrow) equal local uploads byte for byte, the
key stays out of closures and plans, and a folder of parts is audited as one export with every
part checked against one signed manifest."""

from __future__ import annotations

import base64
import datetime as dt
import pickle

import polars as pl
import pytest

import privacy
from tests.engines import collected, to_spark
from tests.oracle import KEY

TODAY = dt.date(2026, 11, 1)


@pytest.fixture(scope="module")
def crm() -> pl.DataFrame:
    return privacy.synthetic_crm(100_000, seed=11)


@pytest.fixture(scope="module")
def spark_crm(spark, crm: pl.DataFrame):
    return to_spark(spark, crm).repartition(4)


@pytest.fixture(scope="module")
def uploads(crm: pl.DataFrame, spark_crm):
    local = privacy.prepare_upload(crm, "meta", today=TODAY)
    remote = privacy.prepare_upload(spark_crm, "meta", today=TODAY)
    return local, remote


def _rows(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns)


def test_spark_upload_equals_the_local_one(uploads) -> None:
    local, remote = uploads
    assert isinstance(remote, privacy.SparkUpload)
    assert remote.report.to_dict() == local.report.to_dict()
    assert remote.report.rows_in == remote.report.rows_out + remote.report.rows_without_key
    got = collected(remote.frame)
    assert _rows(got).equals(_rows(local.frame))  # every hash, byte for byte
    by_reason = {(r["header"], r["reason"]): r["count"] for r in remote.rejections().collect()}
    want = local.rejections.group_by("kind", "reason").len()
    headers = {c.kind: c.header for c in local.report.columns}
    assert by_reason == {(headers[k], r): n for k, r, n in want.iter_rows()}


def test_invisible_characters_read_the_same_in_spark(spark) -> None:
    """Copy-paste artifacts (direction marks, zero-width spaces, soft hyphens, byte order marks)
    and full-width codes: the same values and the same counted rejections in Spark."""
    crm = pl.DataFrame({
        "email": ["\ufeffann@example.com", "a\u00adb@example.com", "c@example.com\u200e",
                  "d@example.com"],
        "phone": ["\u200e+44 20 7946 0958", "+1 650\u200b555 1212", "+1 650 555 1213",
                  "\u202a+1 650 555 1214\u202c"],
        "fn": ["Jo\u00adhn", "\u200bMary", "Ann", "\u0645\u0647\u0631\u200c\u0646\u0627\u0632"],
        "zip": ["９４０４３", "94\u200b043", "94043", "94043"],
    })
    local = privacy.prepare_upload(crm, "meta", today=TODAY)
    remote = privacy.prepare_upload(to_spark(spark, crm).repartition(2), "meta", today=TODAY)
    assert remote.report.to_dict() == local.report.to_dict()
    assert _rows(collected(remote.frame)).equals(_rows(local.frame))
    rejected = {c.kind: c.rejected for c in local.report.columns}
    assert rejected["email"] == {"invisible_character": 1}
    assert rejected["zip"] == {"invisible_character": 1}
    assert rejected["phone"] == {}
    assert rejected["first_name"] == {}


def test_keyed_hashes_match_and_the_key_stays_out_of_closures_and_plans(spark, crm) -> None:
    from privacy._spark import _Prepare

    small = crm.head(2_000)
    local = privacy.prepare_upload(small, "meta", key=KEY, key_id="k1", today=TODAY)
    remote = privacy.prepare_upload(to_spark(spark, small), "meta", key=KEY, key_id="k1",
                                    today=TODAY)
    assert _rows(collected(remote.frame)).equals(_rows(local.frame))
    plan = remote.frame._jdf.queryExecution().toString()
    for form in (KEY.hex(), base64.b64encode(KEY).decode(), KEY.decode("latin-1")):
        assert form not in plan
    import pyspark.cloudpickle as cloudpickle

    function = _Prepare([("email", "email")], "meta", None, "US", None,
                        spark.sparkContext.broadcast(KEY), TODAY, usable=True)
    pickled = cloudpickle.dumps(function)
    assert KEY not in pickled
    assert KEY not in pickle.dumps(function.key_ref)  # a broadcast pickles as its id
    assert KEY.hex() not in repr(function)
    assert KEY.decode("latin-1") not in repr(function)


def test_prepare_values_on_a_spark_column(spark, crm) -> None:
    phones = crm.select("phone").head(5_000)
    want = privacy.prepare_values(phones["phone"], "phone", reasons=True, today=TODAY)
    got = privacy.prepare_values(to_spark(spark, phones), "phone", reasons=True, today=TODAY)
    assert collected(got).equals(want)
    with pytest.raises(privacy.InvalidInputError, match="one column"):
        privacy.prepare_values(to_spark(spark, crm.head(10)), "phone")


def test_a_folder_of_parts_is_audited_as_one_export(uploads, tmp_path) -> None:
    local, remote = uploads
    key = privacy.generate_signing_key()
    folder = tmp_path / "meta_upload"
    manifest = remote.write(folder, key)
    parts = sorted(p.name for p in folder.iterdir())
    assert parts == [p["file"] for p in manifest["parts"]]
    assert len(parts) == 4
    assert sum(p["rows"] for p in manifest["parts"]) == local.report.rows_out
    # Spark's bookkeeping files are not parts
    (folder / "_SUCCESS").write_text("")
    (folder / ".part-00000.csv.crc").write_bytes(b"crc")
    single = tmp_path / "single.csv"
    local.write(single, key)
    public = key.public_key()
    whole = privacy.audit(folder, public_key=public, today=TODAY)
    one = privacy.audit(single, public_key=public, today=TODAY)
    assert whole.rows == one.rows == local.report.rows_out
    assert [(f.check, f.severity, f.column) for f in whole.findings] == \
        [(f.check, f.severity, f.column) for f in one.findings]
    assert not [f for f in whole.findings if f.check == "manifest" and f.severity != "info"]
    glob = privacy.audit(str(folder / "part-*.csv"), public_key=public, today=TODAY)
    assert glob.rows == whole.rows
    assert not [f for f in glob.findings if f.severity == "critical"]
    # the same folder through the CLI's reader
    assert privacy.prepare_upload(folder, "meta", today=TODAY).report.rows_in == whole.rows


def test_a_tampered_missing_or_added_part_is_caught(uploads, tmp_path) -> None:
    _, remote = uploads
    key = privacy.generate_signing_key()
    folder = tmp_path / "up"
    remote.write(folder, key)
    public = key.public_key()

    def critical() -> list[str]:
        report = privacy.audit(folder, public_key=public, today=TODAY)
        return [f.message for f in report.findings if f.severity == "critical"]

    part = folder / "part-00002.csv"
    original = part.read_bytes()
    lines = original.decode().splitlines()
    part.write_text("\n".join([lines[0], lines[2], lines[1], *lines[3:]]) + "\n")
    assert any("part-00002.csv's sha256" in m for m in critical())
    part.write_bytes(original)
    assert critical() == []
    (folder / "part-00009.csv").write_bytes(original)
    assert any("not in the manifest" in m for m in critical())
    (folder / "part-00009.csv").unlink()
    part.unlink()
    assert any("part-00002.csv of the manifest is missing" in m for m in critical())


def test_writing_parts_never_replaces_anything(uploads, tmp_path) -> None:
    _, remote = uploads
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "keep.csv").write_text("x\n")
    with pytest.raises(privacy.WriteError, match="not empty"):
        remote.write(tmp_path / "busy")
    assert (tmp_path / "busy" / "keep.csv").read_text() == "x\n"


def test_incremental_sync_as_additions_and_removals(tmp_path) -> None:
    import segmentation as seg

    pop = seg.synthetic_population(3_000, seed=2)
    before = pop.select(seg.field("age") < 30)
    after = pop.select(seg.field("age") < 32)
    entered, left = after.diff(before)
    assert set(entered.ids) == set(after.ids) - set(before.ids)
    assert set(left.ids) == set(before.ids) - set(after.ids)
    shrunk_entered, shrunk_left = before.diff(after)
    assert shrunk_entered.size == 0
    assert set(shrunk_left.ids) == set(entered.ids)
    customers = pop.select(seg.field("is_customer"))
    removal = (shrunk_left & customers).export("meta", crm=pop.crm, operation="remove")
    manifest = removal.write(tmp_path / "remove.csv")
    assert manifest["operation"] == "remove"
    with pytest.raises(privacy.InvalidInputError, match="operation"):
        privacy.prepare_upload(pop.crm, "meta", operation="delete")


def test_a_spark_audience_exports_in_spark(spark) -> None:
    import segmentation as seg
    from tests.engines import engine_population

    pop = seg.synthetic_population(3_000, seed=4)
    segment = seg.field("is_customer") & (seg.field("age") < 40)
    local = pop.select(segment).export("meta", crm=pop.crm, today=TODAY)
    remote_pop = engine_population(pop, "spark", spark)
    remote = remote_pop.select(segment).export("meta", crm=to_spark(spark, pop.crm),
                                               today=TODAY)
    assert isinstance(remote, privacy.SparkUpload)
    assert remote.report.to_dict() == local.report.to_dict()
    assert _rows(collected(remote.frame)).equals(_rows(local.frame))


def test_a_file_named_like_a_glob_is_that_file(tmp_path) -> None:
    odd = tmp_path / "crm[1].csv"
    odd.write_text("email\nmary@example.com\n")
    (tmp_path / "crm1.csv").write_text("email\nother@example.com\nthird@example.com\n")
    assert privacy.prepare_upload(odd, "meta", today=TODAY).report.rows_in == 1
    with pytest.raises(privacy.ReadError, match="no part files"):
        privacy.prepare_upload(tmp_path / "nothing-*.csv", "meta")


def test_a_spark_export_matches_integer_ids_with_text_crm_ids_as_written(spark) -> None:
    # Spark compares a string with a long as numbers: the CRM's '000007' would have been
    # person 7; as locally, integers match their decimal text only
    import segmentation as seg
    from tests.engines import engine_population

    pop = seg.synthetic_population(500, seed=4)
    remote_pop = engine_population(pop, "spark", spark)
    segment = seg.field("is_customer")
    padded = pop.crm.with_columns(pl.col("user_id").cast(pl.Utf8).str.zfill(6))
    plain = pop.crm.with_columns(pl.col("user_id").cast(pl.Utf8))
    with pytest.raises(privacy.InvalidInputError, match="no rows"):
        pop.select(segment).export("meta", crm=padded, today=TODAY)
    remote = remote_pop.select(segment)
    with pytest.raises(privacy.InvalidInputError, match="no rows"):
        remote.export("meta", crm=to_spark(spark, padded), today=TODAY)
    local = pop.select(segment).export("meta", crm=plain, today=TODAY)
    assert local.report.rows_in > 0
    assert remote.export("meta", crm=to_spark(spark, plain), today=TODAY).report.to_dict() == \
        local.report.to_dict()


@pytest.mark.parametrize(("ddl", "says"), [
    ("email string, external_id double", "is a double in Spark"),
    ("email string, external_id decimal(20,2)", "is a decimal in Spark"),
    ("email string, external_id boolean", "has type boolean"),
])
def test_spark_identifier_columns_of_other_types_are_refused_before_any_job(spark, ddl: str,
                                                                            says: str) -> None:
    # before: a double became "1.0" or "1" depending on the rows of its chunk, and a boolean
    # failed inside a task as Spark's PythonException
    value = {"double": 1.0, "decimal(20,2)": None, "boolean": True}[ddl.split(" ")[-1]]
    frame = spark.createDataFrame([("a@example.com", value)], ddl)
    with pytest.raises(privacy.InputTypeError, match=says):
        privacy.prepare_upload(frame, "meta", today=TODAY)


def test_audience_members_without_a_crm_row_are_counted_not_dropped_silently(spark) -> None:
    """An audience of customers and prospects exported only its customers' rows, and said
    nothing of the others."""
    import segmentation as seg
    from tests.engines import engine_population

    pop = seg.synthetic_population(3_000, seed=4)
    segment = seg.field("age") < 40
    audience = pop.select(segment)
    crm_ids = pop.crm["user_id"]
    absent = int((~audience.ids.is_in(crm_ids.implode())).sum())
    assert 0 < absent < audience.size
    said = (f"{absent:,} of the audience's {audience.size:,} people have no CRM row: they are "
            "not in this upload")
    local = audience.export("meta", crm=pop.crm, today=TODAY)
    assert any(w.startswith(said) for w in local.report.warnings)
    assert said in local.report.to_text()
    remote_pop = engine_population(pop, "spark", spark)
    remote = remote_pop.select(segment).export("meta", crm=to_spark(spark, pop.crm),
                                               today=TODAY)
    assert remote.report.to_dict() == local.report.to_dict()
    # everyone in the CRM: nothing to say
    customers = pop.select(seg.field("is_customer"))
    assert not any("no CRM row" in w for w in
                   customers.export("meta", crm=pop.crm, today=TODAY).report.warnings)


def test_the_minimum_audience_counts_people_not_rows_in_spark(spark) -> None:
    """300 rows of 60 people: under meta's 100 in Spark as locally (rows would pass)."""
    crm = pl.DataFrame({"email": [f"p{i % 60}@example.com" for i in range(300)],
                        "zip": ["94025"] * 300})
    local = privacy.prepare_upload(crm, "meta").report.warnings
    remote = privacy.prepare_upload(spark.createDataFrame(crm.to_pandas()), "meta").report.warnings
    assert remote == local
    assert "300 rows of 60 distinct people is under meta's minimum audience of 100" in local[0]
    crm = crm.with_columns(email=pl.Series([f"p{i}@example.com" for i in range(300)]))
    distinct = privacy.prepare_upload(spark.createDataFrame(crm.to_pandas()), "meta")
    assert not distinct.report.warnings


def test_several_email_and_phone_columns_upload_alike_in_spark(spark, crm: pl.DataFrame,
                                                               tmp_path) -> None:
    # Meta's file takes up to three email and three phone columns under one header each
    base = crm.head(20_000)
    cols = [c for c in base.columns if c.lower() in ("email", "phone")]
    assert len(cols) == 2
    email, phone = sorted(cols, key=lambda c: c.lower() != "email")
    extra = base.with_columns(
        pl.col(email).shift(7).alias("email_work"),
        pl.when(pl.int_range(pl.len()) % 3 == 0).then(pl.col(phone).reverse())
        .alias("phone_home"))
    mapping = {email: "email", phone: "phone", "email_work": "email", "phone_home": "phone"}
    local = privacy.prepare_upload(extra, "meta", columns=mapping, today=TODAY)
    remote = privacy.prepare_upload(to_spark(spark, extra).repartition(3), "meta",
                                    columns=mapping, today=TODAY)
    assert local.frame.columns == ["email", "email (2)", "phone", "phone (2)"]
    assert remote.report.to_dict() == local.report.to_dict()
    assert _rows(collected(remote.frame)).equals(_rows(local.frame))
    key = privacy.generate_signing_key()
    manifest = remote.write(tmp_path / "parts", key)
    for part in manifest["parts"]:
        header = (tmp_path / "parts" / part["file"]).read_text().split("\n", 1)[0]
        assert header == "email,email,phone,phone"
    local.write(tmp_path / "one.csv", key)
    whole = privacy.audit(tmp_path / "parts", public_key=key.public_key(), today=TODAY)
    one = privacy.audit(tmp_path / "one.csv", public_key=key.public_key(), today=TODAY)
    assert whole.rows == one.rows == local.report.rows_out
    assert [(f.check, f.severity, f.column) for f in whole.findings] == \
        [(f.check, f.severity, f.column) for f in one.findings]
    assert not [f for f in whole.findings if f.check == "manifest" and f.severity != "info"]


def test_a_google_upload_keeps_one_kind_of_key_in_spark_too(spark, crm: pl.DataFrame) -> None:
    base = crm.head(5_000)
    local = privacy.prepare_upload(base, "google", today=TODAY)
    remote = privacy.prepare_upload(to_spark(spark, base), "google", today=TODAY)
    assert remote.report.to_dict() == local.report.to_dict()
    assert [w for w in remote.report.warnings if "one kind of key" in w]
    assert "User ID" not in remote.frame.columns
