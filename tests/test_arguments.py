"""Wrong arguments to the public API are the package's own errors, saying what was received.

Each case below escaped before as a comparison, attribute or iteration error from inside
(``'<=' not supported between 'int' and 'str'``, ``'NoneType' object has no attribute``,
numpy's ``expected non-negative integer``, polars' ``ColumnNotFoundError``...)."""

from __future__ import annotations

import datetime as dt
import re
import warnings
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

import privacy
import segmentation as seg


@pytest.fixture(scope="module")
def pop() -> seg.Population:
    return seg.synthetic_population(2_000, seed=3)


@pytest.fixture(scope="module")
def older(pop: seg.Population) -> seg.Audience:
    return pop.select(seg.field("age") > 40)


_POP, _AUD = object(), object()  # stand for the fixtures in the parameters


def _call(fn: Any, args: dict[str, Any], pop: seg.Population, older: seg.Audience) -> Any:
    given = {k: pop if v is _POP else older if v is _AUD else v for k, v in args.items()}
    return fn(**given)


@pytest.mark.parametrize(("method", "args", "says"), [
    ("sample", {"n": "10"}, "n must be an int"),
    ("sample", {"n": 1.5}, "n must be an int"),
    ("sample", {"n": True}, "n must be an int"),
    ("sample", {"n": -1}, "at least 0"),
    ("sample", {"fraction": "x"}, "fraction must be a number"),
    ("sample", {"fraction": float("nan")}, "fraction must be a number"),
    ("sample", {"fraction": 1.5}, "within [0, 1]"),
    ("sample", {"n": 5, "random_state": -1}, "random_state"),
    ("sample", {"n": 5, "random_state": "x"}, "random_state"),
    ("split", {"test": None}, "test must be a number"),
    ("split", {"test": 1.0}, "within (0, 1)"),
    ("split", {"test": 0.2, "random_state": 1.5}, "random_state"),
])
def test_audience_sampling_arguments(older: seg.Audience, method: str, args: dict,
                                     says: str) -> None:
    with pytest.raises(seg.InvalidSegmentError, match=re.escape(says)):
        getattr(older, method)(**args)


def test_audience_sampling_takes_numpy_integers(older: seg.Audience) -> None:
    a = older.sample(n=np.int64(5), random_state=np.int32(1))
    b = older.sample(n=5, random_state=1)
    assert a.size == 5
    assert a.ids.to_list() == b.ids.to_list()


@pytest.mark.parametrize(("name", "args", "says"), [
    ("profile", {"audience": None}, "audience must be an Audience, got NoneType"),
    ("profile", {"audience": _POP}, "got Population"),
    ("profile", {"audience": _AUD, "columns": 5}, "list of column names"),
    ("profile", {"audience": _AUD, "columns": "plan"}, "list of column names"),
    ("profile", {"audience": _AUD, "top": None}, "top must be an int"),
    ("profile", {"audience": _AUD, "top": 0}, "at least 1"),
    ("overlap", {"audiences": None}, "list of Audience objects, got NoneType"),
    ("overlap", {"audiences": ["x"]}, "each audience must be an Audience, got str"),
    ("membership", {"audience": None}, "audience must be an Audience, got NoneType"),
    ("membership", {"audience": [1, 2]}, "audience must be an Audience, got list"),
    ("known_columns", {"columns": 5}, "list of column names"),
    ("known_columns", {"columns": "plan"}, "list of column names"),
])
def test_population_arguments(pop: seg.Population, older: seg.Audience, name: str,
                              args: dict, says: str) -> None:
    with pytest.raises(seg.SegmentationError, match=re.escape(says)):
        _call(getattr(pop, name), args, pop, older)


@pytest.mark.parametrize(("fn", "args", "says"), [
    (seg.rfm, {"population": None}, "population must be a Population, got NoneType"),
    (seg.rfm, {"population": _POP, "value": 5}, "value must be a non-empty str"),
    (seg.rfm, {"population": _POP, "value": "amount"}, "unknown events column 'amount'"),
    (seg.rfm, {"population": _POP, "event_name": "top_upp"}, "unknown event 'top_upp'"),
    (seg.discover, {"population": None, "features": ["age"]}, "population must be a Population"),
    (seg.discover, {"population": _POP, "features": None}, "list of column names"),
    (seg.discover, {"population": _POP, "features": "age"}, "list of column names"),
    (seg.discover, {"population": _POP, "features": ["age"], "random_state": -1},
     "random_state must be an int"),
    (seg.discover, {"population": _POP, "features": ["age"], "sample": None}, "sample must be"),
    (seg.discover, {"population": _POP, "features": ["age"], "max_depth": 0}, "max_depth"),
    (seg.synthetic_population, {"n": True}, "n must be an int"),
    (seg.synthetic_population, {"n": 100, "seed": None}, "seed must be an int"),
    (seg.synthetic_population, {"n": 100, "now": 5}, "now must be a datetime"),
    (seg.synthetic_population, {"n": 100, "customer_share": None}, "customer_share"),
    (seg.synthetic_population, {"n": 100, "events_scale": float("inf")}, "events_scale"),
])
def test_function_arguments(pop: seg.Population, older: seg.Audience, fn: Any, args: dict,
                            says: str) -> None:
    with pytest.raises(seg.SegmentationError, match=re.escape(says)):
        _call(fn, args, pop, older)


def test_a_population_from_an_empty_path_or_a_folder_without_parquet(tmp_path: Path) -> None:
    """"" was read as the working folder and failed later inside polars."""
    with pytest.raises(seg.SegmentationError, match="empty path"):
        seg.Population("")
    (tmp_path / "notes.txt").write_text("not a table")
    with pytest.raises(seg.SegmentationError, match="no Parquet parts"):
        seg.Population(tmp_path)


def test_a_folder_of_parquet_parts_is_still_read(tmp_path: Path) -> None:
    pl.DataFrame({"user_id": [1, 2], "age": [30, 40]}).write_parquet(tmp_path / "part-0.parquet")
    assert seg.Population(tmp_path).count(seg.field("age") > 35) == 1


@pytest.mark.parametrize("event_types", [5, "top_up", [1, 2]])
def test_event_types_must_be_names(pop: seg.Population, event_types: Any) -> None:
    with pytest.raises(seg.InvalidSegmentError, match="event_types"):
        seg.Population(pop.profiles, pop.events, event_types=event_types)


def test_evaluate_lookalike_names_a_wrong_exclude_or_truth(pop: seg.Population) -> None:
    model = seg.Lookalike(n_estimators=1, allow_small_seed=True)
    seeds = pop.select(seg.field("is_high_value"))
    with pytest.raises(seg.SeedError, match="exclude takes an Audience"):
        seg.evaluate_lookalike(model, pop, seeds, exclude=[1, 2])
    for truth in (5, "no_such_column"):
        with pytest.raises(seg.UnknownColumnError, match="truth must name a profile column"):
            seg.evaluate_lookalike(model, pop, seeds, truth=truth)
    # text and lists raised polars' InvalidOperationError from a cast
    for truth, kind in (("city", "String"), ("interests", "List")):
        with pytest.raises(seg.ColumnTypeError, match=f"'{truth}' is {kind}"):
            seg.evaluate_lookalike(model, pop, seeds, truth=truth)


# --- privacy -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "says"), [
    ({"phone_block": None}, "phone_block must be an int"),
    ({"phone_block": -5}, "phone_block must be an int"),
    ({"min_audience": "x"}, "min_audience must be None or a positive int"),
    ({"min_audience": 0}, "min_audience must be None or a positive int"),
    ({"quasi_identifiers": 5}, "got int"),
    ({"quasi_identifiers": {"zip": 1}}, "got dict"),
    ({"dictionary": 5}, "dictionary must be an iterable of emails or a file path, got int"),
])
def test_audit_arguments(args: dict, says: str) -> None:
    export = pl.DataFrame({"email": ["a" * 64] * 3})
    with pytest.raises(privacy.PrivacyError, match=re.escape(says)):
        privacy.audit(export, **args)


@pytest.mark.parametrize("progress", [True, "progress.log", 5, [print]])
def test_a_progress_that_cannot_be_called_is_refused_before_any_work(progress: Any) -> None:
    """prepare_upload and audit called progress after the first chunk or check: a True or a
    file name failed there as Python's TypeError ('bool' object is not callable)."""
    crm = pl.DataFrame({"email": ["jane@example.com"] * 3})
    with pytest.raises(privacy.InputTypeError, match="progress must be a function"):
        privacy.prepare_upload(crm, "meta", progress=progress)
    with pytest.raises(privacy.InputTypeError, match="progress must be a function"):
        privacy.audit(pl.DataFrame({"email": ["a" * 64] * 3}), progress=progress)


def test_an_empty_column_mapping_is_refused() -> None:
    """columns={} failed inside polars ("cannot return empty fold")."""
    crm = pl.DataFrame({"email": ["jane@example.com"] * 3})
    with pytest.raises(privacy.InvalidInputError, match="columns maps no column"):
        privacy.prepare_upload(crm, "meta", columns={})
    assert privacy.prepare_upload(crm, "meta", columns={"email": "email"}).report.rows_out == 3


def test_audit_reads_quasi_identifiers_from_a_generator() -> None:
    """The check consumed a generator before the audit read it: no quasi-identifier was used."""
    export = pl.DataFrame({"email": [f"{i:064x}" for i in range(200)],
                           "zip": [str(10_000 + i) for i in range(200)]})
    listed = privacy.audit(export, quasi_identifiers=["zip"], k=5)
    generated = privacy.audit(export, quasi_identifiers=(q for q in ["zip"]), k=5)
    assert [f.check for f in generated.findings] == [f.check for f in listed.findings]
    assert any(f.check == "k_anonymity" for f in listed.findings)


@pytest.mark.parametrize(("args", "says"), [
    ({"n": None}, "n must be a non-negative int"),
    ({"n": 10, "seed": -1}, "seed must be a non-negative int"),
    ({"n": 10, "invalid_share": None}, "invalid_share"),
    ({"n": 10, "invalid_share": 2.0}, "invalid_share"),
])
def test_synthetic_crm_arguments(args: dict, says: str) -> None:
    with pytest.raises(privacy.InvalidInputError, match=re.escape(says)):
        privacy.synthetic_crm(**args)


@pytest.mark.parametrize(("args", "error"), [
    ({"n": None}, privacy.InputTypeError), ({"n": 1.5}, privacy.InputTypeError),
    ({"n": 1234, "digits": None}, privacy.InvalidInputError),
    ({"n": 1234, "digits": 0}, privacy.InvalidInputError),
])
def test_round_significant_arguments(args: dict, error: type) -> None:
    with pytest.raises(error):
        privacy.round_significant(**args)
    assert privacy.round_significant(np.int64(12_345)) == 12_000


@pytest.mark.parametrize(("params", "says"), [
    ({"windows": None}, "windows must be a list of durations"),
    ({"windows": [5]}, "windows must be a list of durations"),
    ({"features": ["age", 3]}, "features takes column names (str), got int"),
    ({"features": 5}, "features takes a list of column names"),
    ({"event_types": [None]}, "event_types takes event names (str)"),
])
def test_lookalike_lists_are_checked(pop: seg.Population, params: dict, says: str) -> None:
    """windows=None raised "'NoneType' object is not iterable" from the feature builder."""
    seeds = pop.select(seg.field("is_high_value"))
    with pytest.raises(seg.InvalidSegmentError, match=re.escape(says)):
        seg.Lookalike(n_estimators=1, allow_small_seed=True, **params).fit(pop, seeds)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_lookalike_windows_take_timedeltas_too(pop: seg.Population) -> None:
    import datetime as dt

    seeds = pop.select(seg.field("is_high_value"))
    model = seg.Lookalike(windows=[dt.timedelta(days=30)], n_estimators=1, allow_small_seed=True,
                          random_state=0)
    assert model.fit(pop, seeds).expand(pop, 0.05).size > 0


@pytest.mark.parametrize(("args", "says"), [
    ({"candidates": 5}, "candidates must be a sequence of Lookalike models, got int"),
    ({"fraction": None}, "fraction must be a number"),
    ({"random_state": -1}, "random_state must be an int"),
])
def test_select_lookalike_arguments(args: dict, says: str) -> None:
    x = np.random.default_rng(0).normal(size=(600, 3))
    seeds = np.zeros(600, dtype=bool)
    seeds[:200] = True
    with pytest.raises(seg.InvalidSegmentError, match=re.escape(says)):
        seg.select_lookalike(x, seeds, folds=2, repeats=1, **args)


@pytest.mark.parametrize("manifest", [None, [1], "manifest.json"])
def test_sign_manifest_takes_a_dict(manifest: Any) -> None:
    """None raised "'NoneType' object has no attribute 'items'"."""
    with pytest.raises(privacy.InputTypeError, match="manifest must be a dict"):
        privacy.sign_manifest(manifest, privacy.generate_signing_key())


@pytest.fixture(scope="module")
def upload() -> privacy.Upload:
    return privacy.prepare_upload(privacy.synthetic_crm(200, seed=1), "meta")


@pytest.mark.parametrize("path", [4155550123, ["up.csv"], b"up.csv"])
def test_a_path_that_is_no_path_is_the_packages_error(upload: privacy.Upload,
                                                      pop: seg.Population,
                                                      older: seg.Audience, path: Any) -> None:
    """os.fspath's TypeError ('expected str, bytes or os.PathLike object, not int') escaped
    from every writer and from Upload.manifest."""
    for call in (lambda: upload.write(path), lambda: upload.manifest(path),
                 lambda: older.report(path, pop)):
        with pytest.raises(privacy.InputTypeError, match="must be a file path"):
            call()


def test_a_file_that_cannot_be_hashed_is_named_masked(upload: privacy.Upload,
                                                      tmp_path: Path) -> None:
    """Upload.manifest and verify_manifest(file=...) read the file with open(): a missing one
    was Python's FileNotFoundError with the path in full, /dev/zero was read for ever."""
    key = privacy.generate_signing_key()
    written = tmp_path / "up.csv"
    signed = upload.write(written, key)
    for path, says in ((tmp_path / "maria.canary@example.com", "No such file"),
                       (Path("/dev/zero"), "not a regular file"), (tmp_path, "directory")):
        with pytest.raises(privacy.ReadError, match=says) as err:
            upload.manifest(path)
        assert "canary" not in str(err.value)
        with pytest.raises(privacy.ReadError, match=says):
            privacy.verify_manifest(signed, key.public_key(), file=path)
    assert privacy.verify_manifest(signed, key.public_key(), file=written)


@pytest.mark.parametrize("fail_on", [["high"], {"high": 1}, None, "severe"])
def test_fail_on_is_a_severity(upload: privacy.Upload, fail_on: Any) -> None:
    """A list was a TypeError ('unhashable type: list')."""
    with pytest.raises(privacy.InvalidInputError, match="fail_on must be one of"):
        privacy.audit(upload.frame, "meta").ok(fail_on)


_CANARY = "maria.canary@example.com"


@pytest.mark.parametrize("call", [
    lambda pop, older: older.sample(n=_CANARY),
    lambda pop, older: older.sample(fraction=_CANARY),
    lambda pop, older: older.split(test=0.2, random_state=_CANARY),
    lambda pop, older: pop.profile(older, top=_CANARY),
    lambda pop, older: seg.discover(pop, ["age"], sample=_CANARY),
    lambda pop, older: seg.synthetic_population(10, seed=_CANARY),
    lambda pop, older: seg.shareable_report(older, pop, profile=["plan"], profile_first=_CANARY),
    lambda pop, older: seg.Lookalike(windows=[_CANARY, 5]).fit(pop, older),
    lambda pop, older: privacy.synthetic_crm(_CANARY),
    lambda pop, older: privacy.audit(pl.DataFrame({"email": ["a" * 64]}), min_audience=_CANARY),
    lambda pop, older: privacy.round_significant(5, _CANARY),
    # before: the disclosure's checks quoted the value ('got 'maria.canary@...'')
    lambda pop, older: privacy.Disclosure(k=_CANARY),
    lambda pop, older: privacy.Disclosure(epsilon=_CANARY),
    lambda pop, older: privacy.Disclosure(delta=_CANARY),
    lambda pop, older: seg.shareable_report(older, pop, k=_CANARY),
    lambda pop, older: seg.shareable_report(older, pop, epsilon=_CANARY),
    # before: quoted with repr ("method must be one of ..., got 'maria.canary@...'")
    lambda pop, older: seg.Lookalike(method=_CANARY).fit(pop, older),
    lambda pop, older: seg.Lookalike(n_estimators=_CANARY).fit(pop, older),
    lambda pop, older: seg.Lookalike(unlabeled_ratio=_CANARY).fit(pop, older),
    lambda pop, older: seg.Lookalike(random_state=_CANARY).fit(pop, older),
    lambda pop, older: seg.Lookalike(n_jobs=[_CANARY]).fit(pop, older),
    lambda pop, older: seg.Lookalike(features=_CANARY).fit(pop, older),
    lambda pop, older: seg.evaluate_lookalike(seg.Lookalike(), pop, older, hidden=_CANARY),
    lambda pop, older: seg.evaluate_lookalike(seg.Lookalike(), pop, older,
                                              random_states=[_CANARY]),
    lambda pop, older: seg.evaluate_lookalike(seg.Lookalike(), pop, older, truth=_CANARY),
    lambda pop, older: seg.discover(pop, ["age"], method=_CANARY),
    lambda pop, older: seg.field(["maria.canary@example.com"]),
    lambda pop, older: seg.event({_CANARY: 1}),
    lambda pop, older: seg.event("top_up").count(within=_CANARY),
    lambda pop, older: seg.event("top_up").count(between=[_CANARY]),
    lambda pop, older: seg.field("age").between(1, 2, closed=_CANARY),
    lambda pop, older: seg.Segment("s", seg.field("age") > 1).to_sql(dialect=_CANARY),
    lambda pop, older: seg.Segment("s", seg.field("age") > 1).to_sql(schema={_CANARY: 1}),
    lambda pop, older: seg.Segment.from_dict({"schema_version": _CANARY}),
    lambda pop, older: seg.Segment.from_dict({"schema_version": seg.SCHEMA_VERSION, "name": "s",
                                              "condition": {"op": _CANARY}}),
    lambda pop, older: pop.profile(older, columns=[_CANARY]),
    lambda pop, older: pop.select(seg.field(_CANARY) > 1),
    lambda pop, older: pop.select(seg.event(_CANARY).count() > 1),
    lambda pop, older: pop.select(seg.event("top_up").sum(_CANARY) > 1),
    lambda pop, older: seg.rfm(pop, event_name=_CANARY),
    lambda pop, older: seg.rfm(pop, value=_CANARY),
    lambda pop, older: seg.Population(pop.profiles, id=_CANARY),
    lambda pop, older: seg.Population(_CANARY),
    lambda pop, older: older.export("meta", crm=pop.crm, id=_CANARY),
    lambda pop, older: seg.Lookalike(features=[_CANARY]).fit(pop, older),
    lambda pop, older: seg.Lookalike(event_types=[_CANARY]).fit(pop, older),
    lambda pop, older: privacy.Hasher(encoding=_CANARY),
    lambda pop, older: privacy.audit(pl.DataFrame({"email": ["a" * 64]})).ok(fail_on=_CANARY),
])
def test_a_wrong_argument_is_not_echoed(pop: seg.Population, older: seg.Audience, call) -> None:
    """An argument in the wrong place can be someone's email: errors name its type only, or
    show it masked."""
    with pytest.raises((seg.SegmentationError, privacy.PrivacyError)) as err:
        call(pop, older)
    assert "canary" not in str(err.value)
    assert any(shape in str(err.value)
               for shape in ("a str", "list", "a dict", "a tuple", "m***@e***.com"))


@pytest.mark.parametrize("call", [
    lambda: privacy.audit(pl.DataFrame({"email": ["a" * 64]}), phone_block=-16505551234),
    lambda: seg.synthetic_population(10, seed=-4155550123),
    lambda: privacy.synthetic_crm(10, seed=np.int64(-4155550123)),
    lambda: seg.synthetic_population(50, seed=0).select(seg.field("age") > 1).sample(
        n=4155550123),
    lambda: seg.discover(seg.synthetic_population(500, seed=0), ["age"], k=4155550123),
    lambda: seg.Lookalike(method=4155550123).fit(seg.synthetic_population(500, seed=0), []),
    lambda: seg.Lookalike(min_seeds=-4155550123).fit(seg.synthetic_population(500, seed=0),
                                                     []),
    # before: NumPy's MemoryError, which quoted the number
    lambda: seg.synthetic_population(4155550123),
    lambda: privacy.synthetic_crm(np.int64(4155550123)),
    # before: taken, and the fit ran bag after bag until the memory gave out
    lambda: seg.Lookalike(n_estimators=4155550123).fit(seg.synthetic_population(500, seed=0),
                                                       []),
])
def test_a_wrong_number_like_a_phone_is_not_echoed(call) -> None:
    """A number of seven digits or more in the wrong place can be a phone number."""
    with pytest.raises((seg.SegmentationError, privacy.PrivacyError)) as err:
        call()
    assert "5550123" not in str(err.value)
    assert "5551234" not in str(err.value)
    assert "1,000,000 or more" in str(err.value)


# --- the events' column types ---------------------------------------------------------------

_T = dt.datetime(2026, 10, 31, 10)


@pytest.mark.parametrize(("events", "says"), [
    ({"user_id": [1], "event": ["game"], "ts": ["2026-10-31T10:00:00"]}, "'ts' must be a datetime"),
    # epoch seconds would have been read as microseconds: everyone in January 1970
    ({"user_id": [1], "event": ["game"], "ts": [1761904800]}, "'ts' must be a datetime"),
    ({"user_id": [1], "event": [5], "ts": [_T]}, "'event' column must hold event names"),
    ({"user_id": ["1"], "event": ["game"], "ts": [_T]}, "is Int64 in the profiles but String"),
])
def test_events_of_the_wrong_kinds(events: dict, says: str) -> None:
    profiles = pl.DataFrame({"user_id": [1, 2]})
    with pytest.raises(seg.ColumnTypeError, match=says):
        seg.Population(profiles, pl.DataFrame(events), now=_T)


@pytest.mark.parametrize("events", [
    {"user_id": [1], "event": ["game"], "ts": [_T.date()]},
    {"user_id": pl.Series([1], dtype=pl.Int32), "event": ["game"], "ts": [_T]},
    {"user_id": [1], "event": pl.Series(["game"], dtype=pl.Categorical),
     "ts": pl.Series([_T], dtype=pl.Datetime("ms", "Europe/Paris"))},
])
def test_events_of_the_right_kinds(events: dict) -> None:
    profiles = pl.DataFrame({"user_id": [1, 2]})
    pop = seg.Population(profiles, pl.DataFrame(events), now=_T + dt.timedelta(days=1))
    assert pop.select(seg.event("game").count(within="7d") >= 1).ids.to_list() == [1]


# --- seed and excluded ids of another kind than the population's ---------------------------


@pytest.mark.parametrize(("seeds", "says"), [
    (["0001", "0002"], "are String but the population's ids are Int64"),
    ([1.5, 2.0], "1 numbers that are not whole"),
    ([1, 2, None], r"hold nulls \(1 of 3\)"),
    ([1, "2"], "are String"),  # NumPy reads the list as text
    ([2**64], "outside the range"),
])
def test_seed_ids_of_another_kind_are_not_cast_into_a_guess(pop: seg.Population, seeds: list,
                                                            says: str) -> None:
    # before: "0001" was cast to person 1, 1.5 truncated to person 1, a None raised polars'
    # ComputeError
    with pytest.raises(seg.SeedError, match=says):
        seg.Lookalike().fit(pop, seeds)


@pytest.mark.filterwarnings("ignore:200 seeds")
def test_excluded_ids_are_checked_like_seeds(pop: seg.Population) -> None:
    ids = pop.profiles.collect()["user_id"]
    model = seg.Lookalike(random_state=0).fit(pop, ids[:200])
    with pytest.raises(seg.SeedError, match="the excluded ids are String"):
        model.tiers(pop, [0.1], exclude=[str(i) for i in ids[200:300]])
    # whole floats (a pandas integer column with gaps) and NumPy integers still name people
    as_floats = model.expand(pop, 0.1, exclude=[float(i) for i in ids[200:300]])
    as_ints = model.expand(pop, 0.1, exclude=np.asarray(ids[200:300]))
    assert as_floats.ids.to_list() == as_ints.ids.to_list()
    assert not set(as_ints.ids.to_list()) & set(ids[200:300].to_list())


@pytest.mark.filterwarnings("ignore:200 seeds")
def test_decimal_ids_of_scale_zero_and_integer_seeds_take_each_other_exactly() -> None:
    # before: int seeds for DECIMAL(20, 0) ids (Spark's unsigned 64-bit ids, DuckDB's HUGEINT)
    # were refused as "Int64 but the population's ids are Decimal", and Decimal seeds for
    # integer ids as "Decimal(38, 0) but ... Int64"
    base = seg.synthetic_population(n=2_000, seed=4)
    plain = seg.Population(base.profiles.collect(), None, now=base.now)
    wide = seg.Population(base.profiles.collect().with_columns(
        pl.col("user_id").cast(pl.Decimal(20, 0))), None, now=base.now)
    seeds = plain.profiles.collect()["user_id"].to_list()[:200]

    def chosen(population: seg.Population, given: list) -> list[int]:
        model = seg.Lookalike(random_state=0).fit(population, given)
        return [int(i) for i in model.expand(population, 0.05).ids.to_list()]

    want = chosen(plain, seeds)
    assert chosen(wide, seeds) == want
    assert chosen(plain, [Decimal(i) for i in seeds]) == want
    with pytest.raises(seg.SeedError, match="Decimal"):  # not whole: no guess
        seg.Lookalike().fit(plain, [Decimal(i) + Decimal("0.5") for i in seeds])
    with pytest.raises(seg.SeedError, match="outside the range"):
        seg.Lookalike().fit(wide, [10**20, *seeds[1:]])


def test_ids_of_another_kind_are_not_matched_by_a_cast() -> None:
    # before: polars cast the audience's text ids to the population's integers (an
    # InvalidOperationError for 'x', and '007' would have been person 7); an export cast the
    # audience's integers to the CRM's text
    now = dt.datetime(2026, 11, 1)
    numbers = seg.Population(pl.DataFrame({"user_id": [1, 2, 7], "age": [20, 30, 40]}), now=now)
    texts = seg.Population(pl.DataFrame({"user_id": ["1", "2", "007"], "age": [20, 30, 40]}),
                           now=now)
    of_texts = texts.select(seg.field("age") > 10)
    with pytest.raises(seg.ColumnTypeError, match="String ids and the population Int64"):
        numbers.profile(of_texts)
    crm = pl.DataFrame({"user_id": [1, 7], "email": ["a@example.com", "b@example.com"]})
    with pytest.raises(seg.ColumnTypeError, match="String ids and the CRM Int64"):
        of_texts.export("meta", crm=crm)
    # a CRM read as text (as privacy reads CSV files) matches integers written in decimal,
    # and nothing else: '007' is not person 7
    text_crm = crm.with_columns(pl.Series("user_id", ["1", "007"]))
    upload = numbers.select(seg.field("age") > 10).export("meta", crm=text_crm)
    assert upload.report.rows_out == 1
    # ids of one kind in different widths still match
    small = pl.DataFrame({"user_id": pl.Series([7], dtype=pl.Int32), "email": ["b@example.com"]})
    upload = numbers.select(seg.field("age") > 35).export("meta", crm=small)
    assert upload.report.rows_out == 1


# --- discover on features it cannot cluster --------------------------------------------------

_D = pl.DataFrame({"user_id": list(range(200)), "age": [20 + i % 50 for i in range(200)],
                   "empty": pl.Series([None] * 200, dtype=pl.Utf8), "same": [1.0] * 200,
                   "odd": [i % 2 for i in range(200)],
                   "score": [float("inf") if i == 7 else float(i) for i in range(200)]})


@pytest.mark.parametrize(("features", "params", "says"), [
    (["empty"], {}, "hold no values"),  # numpy's "need at least one array to concatenate"
    (["same"], {}, "the same for everyone"),  # silhouettes of -1 and no cluster at all
    (["score"], {}, "1 NaN or infinite values"),  # scikit-learn's "Input X contains NaN"
    (["age"], {"k": 100}, "50 distinct feature values"),  # KMeans' n_samples >= n_clusters
    (["odd"], {"k_range": [3, 4]}, "too few for k_range"),
    (["age"], {"k_range": [1, 2]}, "each k in k_range must be an int of at least 2"),
    (["age"], {"k_range": "23"}, "k_range takes cluster counts"),
    # scikit-learn's InvalidParameterError from inside KMeans
    (["age"], {"random_state": 2**32}, r"random_state must be an int from 0 to 2\*\*32 - 1"),
])
def test_discover_refuses_what_it_cannot_cluster(features: list, params: dict, says: str) -> None:
    pop = seg.Population(_D, now=dt.datetime(2026, 11, 1))
    with pytest.raises(seg.InvalidSegmentError, match=says):
        seg.discover(pop, features, **params)


@pytest.mark.parametrize(("column", "kind"), [
    # a date's levels were its text, so the cluster's rule compared a date with a string and
    # failed when selected; durations and arrays failed with polars' own errors
    (pl.Series([dt.date(2020, 1, 1 + i % 28) for i in range(200)]), "Date"),
    (pl.Series([dt.timedelta(days=i) for i in range(200)]), "Duration"),
    (pl.Series([[i % 3] for i in range(200)]).list.to_array(1), "Array"),
    (pl.Series([{"a": i} for i in range(200)]), "Struct"),
    (pl.Series([b"x"] * 200), "Binary"),
])
def test_discover_refuses_columns_it_cannot_write_rules_for(column: pl.Series, kind: str) -> None:
    pop = seg.Population(_D.with_columns(column.alias("other")), now=dt.datetime(2026, 11, 1))
    with pytest.raises(seg.ColumnTypeError, match=f"feature 'other' is {kind}"):
        seg.discover(pop, ["age", "other"], k=2)
    assert seg.discover(pop, ["age", "odd"], k=2).k == 2  # must-pass beside it


def _quiet_fit(pop: seg.Population, columns: list) -> object:
    with warnings.catch_warnings():  # "100 seeds: platforms recommend 1,000 to 5,000"
        warnings.simplefilter("ignore", UserWarning)
        return seg.Lookalike(features=columns, random_state=0).fit(pop, list(range(100)))


_NAMED = {  # each place that takes a list of profile columns
    "discover": lambda pop, cols: seg.discover(pop, cols, k=2),
    "profile": lambda pop, cols: pop.profile(pop.select(seg.field("age") > 30), columns=cols),
    "lookalike": lambda pop, cols: _quiet_fit(pop, cols),
    "shareable": lambda pop, cols: seg.shareable_report([pop.select(seg.field("age") > 30)],
                                                        pop, profile=cols),
}


@pytest.mark.parametrize("place", list(_NAMED))
@pytest.mark.parametrize(("columns", "says"), [
    (["odd", "odd"], "'odd' is in .* more than once; name each once"),
    (["age", "user_id"], "the id column 'user_id' is in .*: an id names a person"),
    (["cust_ref"], "the id column 'cust_ref' is in"),
])
def test_a_column_named_twice_or_the_id_as_a_trait_is_refused(place: str, columns: list,
                                                              says: str) -> None:
    # polars' DuplicateError from a select of the id beside itself, or of a column twice
    frame = _D.drop("empty", "same", "score")
    if "cust_ref" in columns:
        frame = frame.rename({"user_id": "cust_ref"})
    pop = seg.Population(frame, id="cust_ref" if "cust_ref" in columns else "user_id",
                         now=dt.datetime(2026, 11, 1))
    with pytest.raises(seg.InvalidSegmentError, match=says):
        _NAMED[place](pop, columns)
    assert _NAMED[place](pop, ["age", "odd"]) is not None  # must-pass beside it


def test_discover_takes_numpy_integers_and_skips_counts_past_the_distinct_values() -> None:
    pop = seg.Population(_D, now=dt.datetime(2026, 11, 1))
    assert seg.discover(pop, ["age"], k=np.int64(3)).k == 3
    found = seg.discover(pop, ["odd"], k_range=[2, 3, 4])
    assert found.k == 2
    assert list(found.selection) == [2]


@pytest.mark.parametrize("now", [dt.datetime(500, 1, 1), dt.datetime(1001, 1, 8, 23),
                                 dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=5))),
                                 dt.date(2026, 1, 1), "2026-01-01"])
def test_now_is_a_datetime_a_thousand_years_after_the_year_1(now: Any) -> None:
    # before: the year 500 raised a raw OverflowError from a long window's bounds, and to_sql
    # took a date and failed with an AttributeError
    segment = seg.Segment("s", seg.event("game").count(within="365250d") >= 1)
    profiles = pl.DataFrame({"user_id": [1]})
    with pytest.raises(seg.InvalidSegmentError, match="now must be"):
        seg.Population(profiles, now=now)
    with pytest.raises(seg.InvalidSegmentError, match="now must be"):
        segment.to_sql(now=now)
    with pytest.raises(seg.InvalidSegmentError, match="now must be"):
        segment.to_polars(profiles, now=now)


def test_the_longest_window_fits_from_the_earliest_now() -> None:
    events = pl.DataFrame({"user_id": [1], "event": ["game"], "ts": [dt.datetime(1001, 1, 1)]})
    pop = seg.Population(pl.DataFrame({"user_id": [1, 2]}), events, now=dt.datetime(1001, 1, 9))
    assert pop.count(seg.event("game").count(within="365250d") >= 1) == 1


def _hashed_export(tmp: Path) -> Path:
    path = tmp / "export.csv"
    hasher = privacy.Hasher()
    values = hasher.hash(pl.Series([f"user{i}@example.com" for i in range(150)]))
    pl.DataFrame({"email": values}).write_csv(path)
    return path


# A count computed with NumPy is an int: each of these said "must be an int ..., got 10"
_LOOKALIKE_POP = seg.synthetic_population(1_000, seed=2)

WHOLE_NUMBER_ARGUMENTS = [
    ("audit k", lambda n, tmp: privacy.audit(_hashed_export(tmp), "meta", k=n(10))),
    ("audit phone_block", lambda n, tmp: privacy.audit(_hashed_export(tmp), "meta",
                                                       phone_block=n(1_000))),
    ("audit min_audience", lambda n, tmp: privacy.audit(_hashed_export(tmp), "meta",
                                                        min_audience=n(100))),
    ("audit batch_bytes", lambda n, tmp: privacy.audit(_hashed_export(tmp), "meta",
                                                       batch_bytes=n(0))),
    ("Hasher processes", lambda n, tmp: privacy.Hasher(processes=n(1))),
    ("round_significant digits", lambda n, tmp: privacy.round_significant(12_345, n(2))),
    ("release sensitivity", lambda n, tmp: privacy.Disclosure(epsilon=1.0).release(
        [500], sensitivity=n(1), label="size")),
    ("select contributions", lambda n, tmp: privacy.Disclosure(epsilon=1.0).select(
        {"a": 500}, contributions=n(1), label="levels")),
    ("psi receiver_max", lambda n, tmp: privacy.psi.Sender(
        [f"u{i}@example.com" for i in range(20)]).setup(n(100))),
    ("rfm bins", lambda n, tmp: seg.rfm(seg.synthetic_population(500, seed=1), bins=n(4))),
    ("select_lookalike folds", lambda n, tmp: seg.select_lookalike(
        np.random.default_rng(0).normal(size=(600, 3)), np.arange(600) < 200,
        [seg.Lookalike(method="classifier", n_estimators=1, random_state=0)],
        folds=n(2), repeats=n(1))),
    # n_jobs=np.int64(1) passed the check and failed in threadpoolctl ('limits must either be
    # an int...'), n_estimators=np.int64 was taken
    ("Lookalike n_jobs and n_estimators", lambda n, tmp: seg.Lookalike(
        n_jobs=n(1), n_estimators=n(2), features=["age"], allow_small_seed=True,
        random_state=0).fit(_LOOKALIKE_POP, _LOOKALIKE_POP.select(seg.field("is_customer")))),
]


@pytest.mark.parametrize(("what", "call"), WHOLE_NUMBER_ARGUMENTS,
                         ids=[w for w, _ in WHOLE_NUMBER_ARGUMENTS])
def test_numpy_integers_are_ints_and_bools_are_not(what: str, call: Any,
                                                   tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        call(np.int64, tmp_path)
        call(int, tmp_path)
    with pytest.raises((privacy.PrivacyError, seg.SegmentationError), match="int"):
        call(lambda v: True, tmp_path)


@pytest.mark.parametrize("bins", [100, 101, 130, 1_000])
def test_rfm_bins_are_at_most_percentiles(bins: int) -> None:
    """130 bins overflowed the scores' Int8 in a raw polars InvalidOperationError."""
    pop = seg.synthetic_population(3_000, seed=1)
    if bins > 100:
        with pytest.raises(seg.InvalidSegmentError, match="at most 100"):
            seg.rfm(pop, bins=bins)
        return
    result = seg.rfm(pop, bins=bins)
    assert int(result.scores["f"].max()) <= bins


# --- the library's working columns and its outputs' columns ---------------------------------


def test_columns_named_like_the_librarys_old_working_columns_are_the_users() -> None:
    """A profile column '__agg0' made an event segment fail with polars' DuplicateError, and
    one named '__member' was overwritten by the membership flag in profile()."""
    base = seg.synthetic_population(1_500, seed=5)
    profiles = base.profiles.collect().with_columns(
        pl.lit(7).alias("__agg0"), pl.lit("x").alias("__member"), pl.lit(1).alias("__us:ts"))
    pop = seg.Population(profiles, base.events.collect(), now=base.now)
    segment = (seg.event("game_session").count(within="30d") >= 2) & (seg.field("__agg0") == 7)
    assert pop.select(segment).size == base.select(
        seg.event("game_session").count(within="30d") >= 2).size
    table = pop.profile(pop.select(seg.field("age") > 40), columns=["__member"])
    assert table["value"].to_list() == ["x"]


@pytest.mark.parametrize("where", ["profiles", "events"])
def test_a_column_named_like_a_working_column_is_refused(where: str) -> None:
    base = seg.synthetic_population(300, seed=5)
    profiles, events = base.profiles.collect(), base.events.collect()
    if where == "profiles":
        profiles = profiles.with_columns(pl.lit(1).alias("__audiencekit_agg0"))
    else:
        events = events.with_columns(pl.lit(1).alias("__audiencekit_member"))
    with pytest.raises(seg.InvalidSegmentError, match="__audiencekit_"):
        seg.Population(profiles, events, now=base.now)


@pytest.mark.parametrize(("id_name", "call"), [
    ("r", lambda pop: seg.rfm(pop)),
    ("group", lambda pop: seg.rfm(pop)),
    ("frequency", lambda pop: seg.rfm(pop)),
    ("score", lambda pop: _fitted(pop).ranked(pop)),
    ("cluster", lambda pop: seg.discover(pop, ["age"], k_range=[2])),
])
def test_an_id_named_like_an_outputs_column_is_refused(id_name: str, call: Any) -> None:
    """An id column 'r' came back from rfm() as the recency scores, 'score' from ranked() as
    the scores alone: the ids were silently gone."""
    base = seg.synthetic_population(1_500, seed=5)
    pop = seg.Population(base.profiles.collect().rename({"user_id": id_name}),
                         base.events.collect().rename({"user_id": id_name}), id=id_name,
                         now=base.now)
    with pytest.raises(seg.InvalidSegmentError, match=f"the id column '{id_name}'"):
        call(pop)


def test_an_id_named_score_ranks_into_the_same_tiers_in_every_engine(spark) -> None:
    # before: local tiers took an id column 'score' and Spark's refused it (its ranked frame
    # of the id and 'score' was used inside); ranked() keeps refusing it in both, as its
    # output has a column 'score'
    from tests.engines import engine_population

    base = seg.synthetic_population(1_500, seed=5)
    pop = seg.Population(base.profiles.collect().rename({"user_id": "score"}),
                         base.events.collect().rename({"user_id": "score"}), id="score",
                         now=base.now)
    model = _fitted(pop)
    remote = engine_population(pop, "spark", spark)
    want = model.tiers(pop, (0.05, 0.1))
    got = model.tiers(remote, (0.05, 0.1))
    for f in (0.05, 0.1):
        assert want[f].size > 0
        assert sorted(got[f].collect().ids.to_list()) == sorted(want[f].ids.to_list())
    for population in (pop, remote):
        with pytest.raises(seg.InvalidSegmentError, match="the id column 'score'"):
            model.ranked(population)


def _fitted(pop: seg.Population) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return seg.Lookalike(n_estimators=2, random_state=0, allow_small_seed=True).fit(
            pop, pop.select(seg.field("is_high_value")))


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_columns_named_like_old_working_columns_in_every_engine(engine: str, request) -> None:
    """The same as test_columns_named_like_the_librarys_old_working_columns_are_the_users, in
    DuckDB and Spark: the working columns are renamed in the compiler every engine runs."""
    from tests.engines import engine_population

    spark = request.getfixturevalue("spark") if engine == "spark" else None
    base = seg.synthetic_population(1_500, seed=5)
    profiles = base.profiles.collect().with_columns(
        pl.lit(7).alias("__agg0"), pl.lit("x").alias("__member"), pl.lit(1).alias("__row0"))
    local = seg.Population(profiles, base.events.collect(), now=base.now)
    remote = engine_population(local, engine, spark)
    segment = (seg.event("game_session").count(within="30d") >= 2) & (seg.field("__agg0") == 7)
    assert remote.count(segment) == local.select(segment).size
    audience = remote.select(seg.field("age") > 40)
    assert remote.profile(audience, columns=["__member"])["value"].to_list() == ["x"]
    with pytest.raises(seg.InvalidSegmentError, match="__audiencekit_"):
        engine_population(seg.Population(profiles.with_columns(
            pl.lit(1).alias("__audiencekit_agg0")), base.events.collect(), now=base.now),
            engine, spark)


HUGE = 10**400  # an int with no float: float(HUGE) is an OverflowError


@pytest.mark.parametrize("call", [
    lambda pop, older: privacy.Disclosure(epsilon=HUGE),
    lambda pop, older: privacy.Disclosure(epsilon=-HUGE),
    lambda pop, older: privacy.Disclosure(delta=HUGE),
    lambda pop, older: privacy.Disclosure(k=-HUGE),
    lambda pop, older: privacy.Disclosure(digits=HUGE),
    lambda pop, older: older.sample(fraction=HUGE),
    lambda pop, older: older.sample(n=-HUGE),
    lambda pop, older: older.split(test=HUGE),
    lambda pop, older: older.split(random_state=-HUGE),
    lambda pop, older: privacy.psi.Sender(["a@b.com"]).setup(receiver_max=HUGE),
    lambda pop, older: privacy.psi.match(["a@b.com"], ["a@b.com"], receiver_max=HUGE),
    lambda pop, older: privacy.audit(pl.DataFrame({"email": ["x"]}), phone_block=HUGE),
    lambda pop, older: privacy.audit(pl.DataFrame({"email": ["x"]}), phone_block=10_000_001),
    lambda pop, older: privacy.normalize([10**5000], "external_id"),
    lambda pop, older: older.report("never-written.html", pop, epsilon=HUGE),
])
def test_numbers_past_the_float_range_are_the_packages_error(pop: seg.Population,
                                                            older: seg.Audience, call) -> None:
    with pytest.raises((privacy.PrivacyError, seg.SegmentationError)) as caught:
        call(pop, older)
    assert "0000000" not in str(caught.value)  # not echoed either


def test_profile_top_past_any_column_is_every_level(pop: seg.Population,
                                                     older: seg.Audience) -> None:
    assert pop.profile(older, ["gender"], top=HUGE).equals(pop.profile(older, ["gender"]))


def test_spark_output_folders_and_globs_are_read_as_one_table(tmp_path: Path) -> None:
    """A Spark output folder holds _SUCCESS, hidden .crc checksums and maybe a _temporary/ of
    unfinished parts: polars raised its raw InvalidOperationError ('different file
    extensions'); globs ('events/*.parquet') were 'file not found'; CSV part folders refused."""
    def spark_folder(name: str, frames: dict[str, pl.DataFrame], csv: bool = False) -> Path:
        folder = tmp_path / name
        for sub, frame in frames.items():
            (folder / sub).mkdir(parents=True, exist_ok=True)
            part = folder / sub / f"part-00000-abc.{'csv' if csv else 'snappy.parquet'}"
            frame.write_csv(part) if csv else frame.write_parquet(part)
            (folder / sub / f".{part.name}.crc").write_bytes(b"\x00crc")
        (folder / "_SUCCESS").write_text("")
        stale = folder / "_temporary" / "0"  # a failed job's parts: not data
        stale.mkdir(parents=True)
        frames_list = list(frames.values())
        frames_list[0].write_parquet(stale / "part-00009.parquet")
        return folder

    profiles = pl.DataFrame({"user_id": [1, 2, 3, 4], "age": [20, 30, 40, 50]})
    flat = spark_folder("flat", {".": profiles})
    pop = seg.Population(flat)
    assert pop.n == 4
    assert pop.count(seg.field("age") > 25) == 3
    # Hive partitions become columns; the stale _temporary parts are not read
    events = spark_folder("events", {
        "day=2026-10-30": pl.DataFrame({"user_id": [1, 2], "event": ["game", "game"],
                                        "ts": [dt.datetime(2026, 10, 30, 9)] * 2}),
        "day=2026-10-31": pl.DataFrame({"user_id": [1], "event": ["game"],
                                        "ts": [dt.datetime(2026, 10, 31, 9)]})})
    pop = seg.Population(flat, events, now=dt.datetime(2026, 11, 1))
    assert pop.events.collect().height == 3
    assert pop.select(seg.event("game").count(within="30d") >= 2).ids.to_list() == [1]
    assert pop.select(seg.event("game", where=seg.field("day") == dt.date(2026, 10, 31)).did()
                      ).ids.to_list() == [1]
    # globs, Parquet and CSV; a CSV folder of parts typed as one table
    assert seg.Population(tmp_path / "flat" / "*.parquet").n == 4
    # a glob across partition folders (was "no file matches *.parquet"): Hive columns kept,
    # the _temporary parts and .crc files still left out
    for pattern in ("*/*.parquet", "**/*.parquet", "day=2026-10-3[01]/part-*"):
        globbed = seg.Population(flat, tmp_path / "events" / pattern, now=dt.datetime(2026, 11, 1))
        assert globbed.events.collect().sort("ts").equals(pop.events.collect().sort("ts"))
    with pytest.raises(seg.SegmentationError, match="is not a folder"):
        seg.Population(tmp_path / "nowhere" / "*" / "*.parquet")
    csv_parts = tmp_path / "csv"
    csv_parts.mkdir()
    profiles[:2].write_csv(csv_parts / "part-00000.csv")
    profiles[2:].with_columns(age=pl.format("0{}", "age")).write_csv(csv_parts / "part-00001.csv")
    (csv_parts / "_SUCCESS").write_text("")
    for source in (csv_parts, csv_parts / "part-*.csv"):
        both = seg.Population(source)
        assert both.n == 4
        assert both.profiles.collect()["age"].to_list() == ["20", "30", "040", "050"]  # as written
    # must-fail: nothing to read, kinds mixed, a glob matching nothing, parts that disagree
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("not a table")
    with pytest.raises(seg.SegmentationError, match="no Parquet parts"):
        seg.Population(tmp_path / "notes")
    (csv_parts / "part-00002.parquet").write_bytes(b"PAR1")
    with pytest.raises(seg.SegmentationError, match="several kinds"):
        seg.Population(csv_parts)
    with pytest.raises(seg.SegmentationError, match="no file matches"):
        seg.Population(tmp_path / "flat" / "*.csv")
    other = tmp_path / "other"
    other.mkdir()
    profiles.write_csv(other / "a.csv")
    profiles.rename({"age": "years"}).write_csv(other / "b.csv")
    with pytest.raises(seg.SegmentationError, match="other columns"):
        seg.Population(other)


@pytest.mark.parametrize("values", [
    np.array([14155552671, 16505551212], dtype=np.int64),
    np.array([14155552671, 16505551212], dtype=np.uint64),
    [np.int64(14155552671), np.uint64(16505551212)],
    np.array(["+1 415 555 2671", "+1 650 555 1212"]),
    np.array([14155552671.0, 16505551212.0]),
    np.array([np.int64(14155552671), "+1 650 555 1212"], dtype=object)])
def test_numpy_columns_and_integers_are_identifiers(values) -> None:
    # before: NumPy integers (an array's elements, df[col].to_numpy()) were refused as
    # "must be str, int, date or None, got int64"
    assert privacy.normalize(values, "phone").to_list() == ["14155552671", "16505551212"]


def test_numpy_arrays_that_are_no_identifier_column_are_refused() -> None:
    for values in (np.array([[14155552671]]), np.array([True, False]),
                   np.array([0.5, 14155552671.0]), np.array([np.float32(1.5)], dtype=object)):
        with pytest.raises(privacy.InputTypeError):
            privacy.normalize(values, "phone")


def test_pandas_missing_values_in_lists_are_empty_and_numpy_dates_are_dates() -> None:
    # before: a list from pandas' tolist() (pd.NA from a "string" column, NaT from a datetime
    # column) was refused as "got NAType", or NaT (a datetime subclass) counted as malformed;
    # NumPy datetime64 values were refused as "got datetime64"
    pd = pytest.importorskip("pandas")
    emails = pd.Series(["Mary@Example.com", None], dtype="string").tolist()
    assert privacy.normalize(emails, "email", reasons=True).rows() == [
        ("mary@example.com", None), (None, "empty")]
    births = pd.Series(pd.to_datetime(["1990-02-03", None])).tolist()
    assert privacy.normalize(births, "dob", reasons=True).rows() == [
        ("19900203", None), (None, "empty")]
    numpy_births = [np.datetime64("1990-02-03"), np.datetime64("1990-02-03T23:59:59"),
                    np.datetime64("NaT")]
    assert privacy.normalize(numpy_births, "dob", reasons=True).rows() == [
        ("19900203", None), ("19900203", None), (None, "empty")]
    # a missing value is empty in every kind, never malformed
    assert privacy.normalize([pd.NaT, pd.NA, np.datetime64("NaT")], "phone",
                             reasons=True)["reason"].to_list() == ["empty"] * 3


# --- pandas' times: NaT passes for a datetime, a Timestamp may hold nanoseconds --------------


def test_pandas_nat_and_nanoseconds_are_refused_as_times() -> None:
    """pd.NaT is a datetime subclass: a Population took it as its now, a condition as its
    value, normalize and synthetic_population raised Python's TypeError from it; nanoseconds
    are past what a datetime, Spark or DuckDB hold."""
    pd = pytest.importorskip("pandas")
    profiles = pl.DataFrame({"user_id": [1]})
    for bad, says in ((pd.NaT, "missing time"),
                      (pd.Timestamp("2026-11-01 00:00:00.000000500"), "nanoseconds")):
        with pytest.raises(seg.InvalidSegmentError, match=says):
            seg.Population(profiles, now=bad)
        with pytest.raises(seg.InvalidSegmentError, match=says):
            seg.field("joined") > bad  # noqa: B015 -- the comparison builds a condition
        with pytest.raises(seg.InvalidSegmentError, match=says):
            seg.synthetic_population(100, now=bad)
    with pytest.raises(privacy.InputTypeError, match=r"now must be .* missing time"):
        privacy.normalize(["1990-01-01"], "dob", now=pd.NaT)
    with pytest.raises(privacy.InputTypeError, match=r"today must be .* missing time"):
        privacy.audit(pl.DataFrame({"email": ["x"]}), today=pd.NaT)
    # must-pass: a Timestamp to the microsecond is that datetime, aware ones in UTC
    stamp = pd.Timestamp("2026-11-01 05:00:00.000123", tz="Asia/Kolkata")
    now = seg.Population(profiles, now=stamp).now
    assert type(now) is dt.datetime
    assert now == dt.datetime(2026, 10, 31, 23, 30, 0, 123)
    assert (seg.field("joined") > pd.Timestamp("2026-01-01")).args == (dt.datetime(2026, 1, 1),)
    assert privacy.normalize(["1990-01-01"], "dob", now=stamp).to_list() == ["19900101"]


def test_the_audit_takes_a_datetime_as_its_day() -> None:
    # a datetime (a date subclass) made the enumeration of birth dates run in microseconds:
    # numpy tried to allocate 28 PiB
    frame = pl.DataFrame({"dob": [privacy.Hasher().hash("19900101")] * 120})
    at_noon = privacy.audit(frame, platform="meta",
                            today=dt.datetime(2026, 1, 1, 12, tzinfo=dt.timezone.utc))
    on_the_day = privacy.audit(frame, platform="meta", today=dt.date(2026, 1, 1))
    assert [f.to_dict() for f in at_noon.findings] == [f.to_dict() for f in on_the_day.findings]
    assert any(f.check == "reversible" for f in on_the_day.findings)


def test_audiences_in_a_set_are_refused_where_their_order_is_the_output(tmp_path: Path) -> None:
    """A set of audiences iterates by memory address: the overlap matrix, the shareable
    report and the report page listed them in another order each run."""
    pop = seg.synthetic_population(500, seed=1)
    old = pop.select(seg.Segment("old", seg.field("age") > 30))
    young = pop.select(seg.Segment("young", seg.field("age") < 30))
    for call in (lambda a: pop.overlap(a), lambda a: seg.shareable_report(a, pop),
                 lambda a: old.report(tmp_path / "page.html", pop, others=a)):
        with pytest.raises(seg.InvalidSegmentError, match="no order; pass a list"):
            call({old, young})
        call([old, young])  # must-pass: a list
    assert pop.overlap([old, young]).columns[1:] == ["old", "young"]
