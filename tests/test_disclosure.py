"""Shareable figures: the noise is OpenDP's discrete Laplace at the stated scale (mean, spread,
chi-square against the mechanism's own distribution), the budget is enforced, and no released
figure is ever an exact count under k."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import privacy
import segmentation as seg
from privacy import BudgetExhaustedError, Disclosure, round_significant
from privacy._disclosure import laplace_measurement, margin95


def _discrete_laplace_pmf(k: np.ndarray, scale: float) -> np.ndarray:
    """P(noise = k) of the discrete Laplace with this scale, written from its definition."""
    a = math.exp(-1 / scale)
    return (1 - a) / (1 + a) * a ** np.abs(k)


@pytest.mark.parametrize(("sensitivity", "epsilon"), [(1, 0.5), (3, 1.0)])
def test_noise_has_the_mechanisms_mean_spread_and_distribution(sensitivity, epsilon):
    measurement, cost = laplace_measurement(sensitivity, epsilon)
    assert cost == pytest.approx(epsilon)
    true = 1_000
    draws = np.array(measurement([true] * 20_000)) - true
    scale = sensitivity / epsilon
    a = math.exp(-1 / scale)
    variance = 2 * a / (1 - a) ** 2
    # mean within 5 standard errors; variance within 10%
    assert abs(draws.mean()) < 5 * math.sqrt(variance / len(draws))
    assert draws.var() == pytest.approx(variance, rel=0.1)
    # chi-square over bins with at least 5 expected draws (tails pooled)
    values, counts = np.unique(draws, return_counts=True)
    observed = dict(zip(values.tolist(), counts.tolist(), strict=True))
    support = np.arange(-60, 61)
    expected = _discrete_laplace_pmf(support, scale) * len(draws)
    keep = expected >= 5
    obs = np.array([observed.get(int(k), 0) for k in support[keep]], dtype=float)
    exp = expected[keep]
    tail_obs = len(draws) - obs.sum()
    tail_exp = len(draws) - exp.sum()
    chi2 = ((obs - exp) ** 2 / exp).sum() + (tail_obs - tail_exp) ** 2 / tail_exp
    dof = int(keep.sum())
    # the 99.99th percentile of chi-square with dof degrees of freedom, Wilson-Hilferty
    z = 3.719
    critical = dof * (1 - 2 / (9 * dof) + z * math.sqrt(2 / (9 * dof))) ** 3
    assert chi2 < critical


def test_wrong_noise_would_fail_the_check():
    # the same check against a scale twice too small must fail: the test can fail
    measurement, _ = laplace_measurement(1, 0.5)
    draws = np.array(measurement([0] * 20_000))
    a = math.exp(-1 / 1.0)
    assert draws.var() > 1.5 * (2 * a / (1 - a) ** 2)


def test_the_budget_is_charged_and_enforced():
    d = Disclosure(epsilon=1.0)
    d.release([500, 600], sensitivity=2, label="sizes", epsilon=0.4)
    assert d.spent == pytest.approx(0.4)
    with pytest.raises(BudgetExhaustedError, match=r"only 0\.6 of 1 is left"):
        d.release([500], sensitivity=1, label="more", epsilon=0.7)
    d.release([500], sensitivity=1, label="rest")  # the remainder
    assert d.remaining == pytest.approx(0.0)
    with pytest.raises(BudgetExhaustedError, match="is spent"):
        d.release([500], sensitivity=1, label="again")
    summary = d.summary()
    assert summary["epsilon_used"] == pytest.approx(1.0)
    assert Disclosure(epsilon=1.0).release([], sensitivity=1, label="none") == []
    assert [r["figures"] for r in summary["releases"]] == ["sizes", "rest"]


@pytest.mark.parametrize(("n", "low", "high"), [
    (100, 100, 110), (12_345, 12_000, 13_000), (12_000, 12_000, 13_000), (999, 990, 1_000),
    (1_234_567, 1_200_000, 1_300_000),
])
def test_ranges_have_two_significant_digits(n, low, high):
    c = Disclosure().show(n)
    assert (c.low, c.high) == (low, high)
    assert c.low <= n < c.high
    assert c.shown == f"{low:,}-{high:,}"


def test_round_significant():
    assert round_significant(0) == 0
    assert round_significant(99) == 99
    assert round_significant(12_345, up=True) == 13_000
    assert round_significant(12_345, 3) == 12_300
    # a float log10 counted 10**15 - 1 as 16 digits: 900... instead of 990...
    assert round_significant(10**15 - 1) == 990 * 10**12
    assert round_significant(10**18 - 1, up=True) == 10**18


@settings(max_examples=300, deadline=None)
@given(n=st.integers(1, 2**62), digits=st.integers(1, 6))
def test_round_significant_keeps_exactly_the_leading_digits(n, digits):
    text = str(n)
    kept = text[:digits] + "0" * max(len(text) - digits, 0)
    assert round_significant(n, digits) == int(kept)
    up = round_significant(n, digits, up=True)
    assert up == (n if kept == text else int(kept) + 10 ** max(len(text) - digits, 0))


@settings(max_examples=200, deadline=None)
@given(n=st.integers(0, 10**7), k=st.integers(1, 5_000))
def test_no_count_under_k_is_ever_shown(n, k):
    c = Disclosure(k=k).show(n)
    if n < k:
        assert c.under_k
        assert (c.low, c.high) == (None, None)
        assert c.shown == f"under {k:,}"
    else:
        assert k <= c.low <= n < c.high


@pytest.mark.parametrize("bad", [{"k": 0}, {"k": 2.5}, {"epsilon": 0}, {"epsilon": -1},
                                 {"epsilon": float("inf")}, {"epsilon": True}, {"digits": 0},
                                 {"digits": True}, {"delta": 0.0}, {"delta": 0.01},
                                 {"delta": 1}, {"delta": True}, {"epsilon": np.bool_(True)},
                                 {"epsilon": np.float64("inf")}, {"delta": np.float32(0.5)}])
def test_bad_settings_are_the_packages_error(bad):
    with pytest.raises(privacy.InvalidInputError):
        Disclosure(**bad)


def test_bad_counts_are_the_packages_error():
    with pytest.raises(privacy.InputTypeError):
        Disclosure().release([1.5], sensitivity=1, label="x")
    with pytest.raises(privacy.InvalidInputError):
        Disclosure().release([-1], sensitivity=1, label="x")
    with pytest.raises(privacy.InvalidInputError):
        Disclosure().release([1], sensitivity=0, label="x")


@pytest.mark.parametrize("counts", [np.array([-5]), [np.int64(-1)], [np.int64(2**62)],
                                    [np.uint64(2**63)]])
def test_numpy_counts_are_checked_like_ints(counts):
    """A NumPy integer used to be returned before the checks: a negative or huge one went to
    the mechanism."""
    report = Disclosure(epsilon=1.0)
    with pytest.raises(privacy.InvalidInputError):
        report.release(counts, sensitivity=1, label="x")
    assert report.spent == 0


@pytest.mark.parametrize("counts", [5, "123", {"a": 1}, None, 2.5])
def test_counts_that_are_not_a_sequence_are_the_packages_error(counts):
    with pytest.raises(privacy.InputTypeError, match="sequence of ints"):
        Disclosure(epsilon=1.0).release(counts, sensitivity=1, label="x")


@pytest.mark.parametrize("count", [12.0, float("inf"), float("nan"), "12", True, None])
def test_show_takes_ints_only(count):
    """show(12.0) printed "12.0-13.0", show(True) "under 100", show(inf) an OverflowError."""
    with pytest.raises(privacy.InputTypeError, match="ints"):
        Disclosure(k=10).show(count)


def test_show_takes_numpy_and_noisy_negative_counts():
    assert Disclosure(k=10).show(np.int32(400)).shown == "400-410"
    assert Disclosure(k=10).show(-3).under_k


@pytest.mark.parametrize(("settings", "epsilon", "delta"), [
    ({"epsilon": np.int64(2)}, 2.0, 1e-9),
    ({"epsilon": np.float32(0.5)}, 0.5, 1e-9),
    ({"epsilon": 1, "delta": np.float32(1e-6)}, 1.0, float(np.float32(1e-6))),
])
def test_numpy_budgets_are_numbers(settings, epsilon, delta):
    """Disclosure(epsilon=np.int64(2)) was refused as "not a positive, finite number" (k and
    digits took NumPy integers); the budget is kept as a float."""
    report = Disclosure(**settings)
    assert (report.epsilon, report.delta) == (epsilon, delta)
    assert type(report.epsilon) is float
    assert type(report.delta) is float
    assert report.release([500], sensitivity=1, label="x", epsilon=np.float32(0.25))[0].low
    assert report.spent == pytest.approx(0.25)


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), "0.5", True, np.bool_(True),
                                 np.float64("nan"), np.int64(0)])
def test_a_release_epsilon_is_checked_like_the_budget(bad):
    """Before, NaN escaped as OpenDP's exception, text as a TypeError, True passed as 1, and 0
    or a negative epsilon was reported as a spent budget."""
    report = Disclosure(epsilon=1.0)
    with pytest.raises(privacy.InvalidInputError, match="epsilon"):
        report.release([500], sensitivity=1, label="x", epsilon=bad)
    assert report.spent == 0


def test_the_spent_budget_is_not_a_setting():
    """A negative "spent" passed in used to widen the budget: epsilon 1 with spent=-5 allowed
    releases costing 6."""
    with pytest.raises(TypeError):
        Disclosure(epsilon=1.0, spent=-5.0)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Disclosure(epsilon=1.0, ledger=[])  # type: ignore[call-arg]
    report = Disclosure(epsilon=1.0)
    report.release([500], sensitivity=1, label="x", epsilon=1.0)
    with pytest.raises(BudgetExhaustedError):
        report.release([500], sensitivity=1, label="y", epsilon=0.5)


def test_counts_past_64_bits_are_the_packages_error():
    with pytest.raises(privacy.InvalidInputError, match="2\\*\\*62"):
        Disclosure(epsilon=1.0).release([2**70], sensitivity=1, label="x")


# --- the audience report -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def population():
    return seg.synthetic_population(3_000, seed=5)


def _exact_small_counts(population, audiences, segment):
    counts = {a.size for a in audiences} | {population.n}
    counts |= {a.overlap(b) for a in audiences for b in audiences}
    counts |= set(population.waterfall(segment)["size"].to_list())
    return counts


def _figures(report_dict):
    """Every released count in a report, as SafeCount dicts."""
    out = list(report_dict["sizes"].values()) + report_dict["overlaps"]
    out += [r["size"] for r in report_dict["waterfall"]]
    out += [r["audience"] for r in report_dict["profile"]]
    out += [r["population"] for r in report_dict["profile"]]
    return out


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(low=st.integers(18, 70), width=st.integers(0, 6), k=st.sampled_from([10, 100, 250]),
       epsilon=st.sampled_from([None, 0.5, 4.0]))
def test_a_shareable_report_never_holds_a_count_under_k(population, low, width, k, epsilon):
    segment = seg.Segment("narrow", seg.field("age").between(low, low + width)
                          & (seg.field("is_5g_capable") == True))  # noqa: E712
    small = population.select(segment)
    gamers = population.select(seg.field("interests").contains("gaming"))
    report = seg.shareable_report([small, gamers], population, segment=segment,
                                  profile=["gender", "plan", "interests"], k=k, epsilon=epsilon)
    data = report.to_dict()
    for figure in _figures(data):
        if figure["under_k"]:
            assert figure["low"] is None
            assert figure["high"] is None
        else:
            assert figure["low"] >= k
    if epsilon is None:
        # thresholds only: no exact count under k in any shown figure, nor any number under k
        small_exact = {c for c in _exact_small_counts(population, [small, gamers], segment)
                       if c < k}
        for figure in _figures(data):
            numbers = {int(x.replace(",", "")) for x in re.findall(r"\d[\d,]*", figure["shown"])}
            assert numbers == {k} if figure["under_k"] else min(numbers) >= k
            assert not (numbers & small_exact)
    else:
        assert data["privacy"]["epsilon_used"] == pytest.approx(epsilon)


def test_the_report_states_its_protection_and_holds_no_identifier(population):
    profiles = population.profiles.collect().with_columns(
        user_id=pl.format("canary{}@example.com", pl.col("user_id")))
    pop = seg.Population(profiles, now=population.now)
    a = pop.select(seg.field("plan") == "prepaid")
    b = pop.select(seg.field("interests").contains("music"))
    report = seg.shareable_report([a, b], pop, profile=["gender", "arpu"], epsilon=1.0)
    data = json.loads(report.to_json())
    assert data["privacy"]["method"] == "differential privacy"
    assert data["privacy"]["epsilon_budget"] == 1.0
    assert "OpenDP" in data["privacy"]["mechanism"]
    assert any("arpu" in w for w in data["withheld"])
    assert "canary" not in report.to_json() + report.to_text()
    assert "epsilon 1 of 1" in report.to_text()


def test_a_duration_is_a_number_withheld_not_levels(population, tmp_path):
    # profile() shows a duration's mean; the shareable report read it as levels and failed
    # with polars' "casting from Duration to String not supported" (so did report(shareable=
    # True) on any population with a duration column)
    profiles = population.profiles.collect().with_columns(
        since_upgrade=pl.duration(days=pl.col("age") % 3))
    pop = seg.Population(profiles, now=population.now)
    a = pop.select(seg.field("age") > 40)
    report = seg.shareable_report([a], pop, profile=["since_upgrade", "gender"])
    assert any("since_upgrade (numeric" in w for w in report.withheld)
    assert a.report(tmp_path / "page.html", pop, shareable=True).html.exists()


def test_the_report_refuses_what_it_cannot_do(population):
    a = population.select(seg.field("plan") == "prepaid")
    with pytest.raises(seg.SegmentationError, match="population="):
        seg.shareable_report(a, segment=seg.Segment("x", seg.field("age") > 30))
    with pytest.raises(seg.SegmentationError, match="Audience"):
        seg.shareable_report([])
    with pytest.raises(seg.UnknownColumnError):
        seg.shareable_report(a, population, profile=["nope"])


_POP = object()  # stands for the population fixture in the parameters below


@pytest.mark.parametrize(("kwargs", "says"), [
    ({"audiences": _POP}, "got Population"),  # a TypeError escaped before
    ({"audiences": "prepaid"}, "got str"),
    ({"population": ["not", "one"]}, "population must be a Population"),
    ({"population": _POP, "segment": "age > 30"}, "segment must be a Segment"),
    ({"population": _POP, "profile": "plan"}, "list of column names"),
    ({"population": _POP, "profile": ["plan", 3]}, "list of column names"),
    ({"population": _POP, "profile": ["plan"], "profile_first": 0}, "positive int"),
    ({"disclosure": 0.5}, "privacy.Disclosure"),
    # a k, epsilon or top of the wrong kind failed as privacy's error or a TypeError
    ({"k": "100"}, "k must be an int"),
    ({"k": 0}, "k must be an int of at least 1, got 0"),
    ({"epsilon": -1}, "epsilon must be a number"),
    ({"epsilon": "1"}, "epsilon must be a number"),
    ({"population": _POP, "profile": ["plan"], "top": "5"}, "top must be an int"),
    ({"population": _POP, "profile": ["plan"], "top": -1}, "top must be an int"),
])
def test_the_report_names_a_wrong_argument(population, kwargs, says):
    """Each wrong argument is the package's error saying what was received (a Population as
    the audiences was a raw TypeError; profile="plan" profiled columns "p", "l", "a", "n")."""
    given = {"audiences": population.select(seg.field("plan") == "prepaid"), **kwargs}
    given = {k: population if v is _POP else v for k, v in given.items()}
    with pytest.raises(seg.SegmentationError, match=re.escape(says)):
        seg.shareable_report(**given)


def test_the_report_takes_iterables(population):
    a = population.select(seg.field("plan") == "prepaid")
    report = seg.shareable_report(iter([a]), population, profile=(c for c in ["plan"]))
    assert report.sizes


@pytest.mark.parametrize("scale", [0.5, 2.0, 12.0, 150.0])
def test_the_stated_margin_covers_95_percent_of_the_noise(scale):
    measurement, _ = laplace_measurement(1, 1 / scale)
    n = 20_000
    noise = np.abs(np.array(measurement([0] * n)))
    m = margin95(scale)
    covered = (noise <= m).mean()
    # the smallest such margin, by the distribution written from its definition
    support = np.arange(-m, m + 1)
    inside = _discrete_laplace_pmf(support, scale).sum()
    assert inside >= 0.95
    # OpenDP's draws cover the margin as often as the distribution says (the noise is not
    # seeded: within 4.5 standard errors, so a run fails by chance about once in 150,000;
    # a discrete margin can cover up to ~97% exactly, so no fixed upper bound)
    assert abs(covered - inside) <= 4.5 * np.sqrt(inside * (1 - inside) / n) + 1e-9
    assert m == 0 or inside - 2 * _discrete_laplace_pmf(np.array([m]), scale)[0] < 0.95


# --- level names: a name is a disclosure too ------------------------------------------------------


@pytest.fixture(scope="module")
def rare_places(population):
    """The population with one person in 'Smallville', 99 in 'Tinytown', 100 in 'Midtown', one
    with the interest 'falconry', and an Enum column whose 'gold' tier nobody holds."""
    df = population.profiles.collect()
    i = pl.int_range(pl.len())
    city = (pl.when(i == 0).then(pl.lit("Smallville")).when(i <= 99).then(pl.lit("Tinytown"))
            .when(i <= 199).then(pl.lit("Midtown")).otherwise(pl.col("city")))
    tier = pl.Enum(["bronze", "silver", "gold"])
    df = df.with_columns(
        city=city,
        interests=pl.when(i == 0).then(pl.col("interests").list.concat(pl.lit(["falconry"])))
        .otherwise(pl.col("interests")),
        tier=pl.when(i % 2 == 0).then(pl.lit("bronze")).otherwise(pl.lit("silver")).cast(tier))
    return seg.Population(df, now=population.now)


@pytest.mark.parametrize("epsilon", [None, 1.0, 50.0])
def test_a_level_held_by_few_people_is_never_named(rare_places, epsilon):
    # the report named every level it profiled: 'city = Smallville: under 100' says that
    # someone lives there, with or without epsilon
    pop = rare_places
    everyone = pop.select(seg.field("age") > 0)
    report = seg.shareable_report([everyone], pop, profile=["city", "interests", "tier"],
                                  epsilon=epsilon, top=500)
    text = report.to_text() + report.to_json()
    for rare in ("Smallville", "Tinytown", "falconry"):
        assert rare not in text
    named = {(r["feature"], r["value"]) for r in report.profile}
    # Enum levels are public: named even when nobody holds them
    assert {("tier", "bronze"), ("tier", "silver"), ("tier", "gold")} <= named
    if epsilon is None:
        assert ("city", "Midtown") in named  # exactly k = 100 people: named
    else:
        assert report.privacy["delta_used"] <= report.privacy["delta_budget"]
        assert report.privacy["epsilon_used"] == pytest.approx(epsilon)
        assert "delta" in report.to_text()


def test_select_keeps_names_held_by_k_or_more():
    d = Disclosure(k=100)
    assert d.select({"a": 100, "b": 99, "c": 5_000}, contributions=1, label="x") == \
        {"a": 100, "c": 5_000}
    assert d.summary()["method"].startswith("thresholds and rounding")


def test_select_with_epsilon_spends_epsilon_and_delta():
    d = Disclosure(epsilon=1.0, delta=1e-8)
    kept = d.select({"big": 10_000, "one": 1, "k": 100}, contributions=2, label="levels of x",
                    epsilon=0.05)
    assert "big" in kept
    assert "one" not in kept
    assert abs(kept["big"] - 10_000) < 1_000  # noise of scale 40: past 1,000 once in e**25
    entry = d.ledger[-1]
    assert entry["epsilon"] == pytest.approx(0.05)
    assert 0.5e-8 < entry["delta"] <= 1e-8  # at k the delta was larger: the threshold rose
    assert entry["threshold"] > 100
    summary = d.summary()
    assert "make_laplace_threshold" in summary["selection"]
    assert summary["delta_used"] <= 1e-8
    with pytest.raises(BudgetExhaustedError):  # all the delta was spent
        d.select({"big": 10_000}, contributions=1, label="levels of y", epsilon=0.1, delta=1e-8)


@settings(max_examples=20, deadline=None)
@given(count=st.integers(1, 20), contributions=st.integers(1, 5),
       epsilon=st.sampled_from([0.1, 1.0, 10.0]))
def test_a_name_held_by_few_is_not_selected_even_with_a_large_epsilon(count, contributions,
                                                                      epsilon):
    d = Disclosure(k=100, epsilon=epsilon)
    assert d.select({"rare": count}, contributions=contributions, label="x") == {}


@pytest.mark.parametrize(("args", "error"), [
    ({"counts": ["a"]}, privacy.InputTypeError),
    ({"counts": {"a": 1.5}}, privacy.InputTypeError),
    ({"counts": {"a": -1}}, privacy.InvalidInputError),
    ({"contributions": 0}, privacy.InvalidInputError),
    ({"contributions": True}, privacy.InvalidInputError),
    ({"delta": float("nan")}, privacy.InvalidInputError),
    ({"delta": -1e-9}, privacy.InvalidInputError),
    ({"delta": "1e-9"}, privacy.InvalidInputError),
    ({"delta": True}, privacy.InvalidInputError),
])
def test_select_arguments(args, error):
    kwargs = {"counts": {"a": 1}, "contributions": 1, "label": "x", **args}
    with pytest.raises(error):
        Disclosure(epsilon=1.0).select(**kwargs)


# --- a report spends its budget whole or not at all ----------------------------------------------


def test_a_report_that_does_not_fit_the_budget_releases_nothing(population):
    a = population.select(seg.field("age") > 30)
    b = population.select(seg.field("interests").contains("gaming"))
    d = Disclosure(epsilon=1.0)
    seg.shareable_report([a, b], population, profile=["gender"], disclosure=d,
                         epsilon_each=0.25)
    spent, releases = d.spent, len(d.ledger)
    assert spent == pytest.approx(0.75)
    # the sizes used to be released (and paid for) before the overlaps were refused
    with pytest.raises(BudgetExhaustedError, match="nothing was released"):
        seg.shareable_report([a, b], population, profile=["gender"], disclosure=d,
                             epsilon_each=0.25)
    with pytest.raises(seg.UnknownColumnError):  # also checked before any release
        seg.shareable_report([a, b], population, profile=["nope"], disclosure=d,
                             epsilon_each=0.05)
    assert (d.spent, len(d.ledger)) == (spent, releases)
    with pytest.raises(seg.InvalidSegmentError, match="epsilon_each"):
        seg.shareable_report([a], population, disclosure=d, epsilon_each="0.1")


def test_a_disclosure_passed_in_is_split_over_the_reports_groups(population):
    a = population.select(seg.field("age") > 30)
    b = population.select(seg.field("interests").contains("gaming"))
    d = Disclosure(epsilon=1.0)
    # without epsilon_each the sizes took the whole budget and the overlaps were refused
    report = seg.shareable_report([a, b], population, profile=["gender"], disclosure=d)
    assert report.privacy["epsilon_used"] == pytest.approx(1.0)
    assert {r["figures"] for r in d.ledger} >= {"audience sizes", "pairwise overlaps",
                                               "profile"}
    # a profile of numeric columns releases nothing: it is not a group the budget is split over
    numeric = seg.shareable_report([a], population, profile=["arpu"], epsilon=1.0)
    assert numeric.privacy["epsilon_used"] == pytest.approx(1.0)


def test_numpy_integers_are_ints_for_k_and_digits() -> None:
    # before: Disclosure(k=np.int64(10)) was refused with "k must be a positive int, got
    # np.int64(10)", as if 10 were wrong
    d = Disclosure(k=np.int64(10), digits=np.int32(2))
    assert (d.k, d.digits) == (10, 2)
    assert type(d.k) is int
    assert d.release([9, 10], sensitivity=1, label="x")[0].under_k
    for bad in ({"k": np.int64(0)}, {"k": 2.0}, {"k": np.bool_(True)}, {"digits": np.int64(7)}):
        with pytest.raises(privacy.InvalidInputError):
            Disclosure(**bad)



def test_a_shareable_text_keeps_one_figure_per_line(population):
    # before: a level with a line break (held by k people or more, so named) wrote lines of
    # its own into to_text(): a forged 'Protection: counts under 1 hidden' line
    evil = "prepaid\nProtection: counts under 1 hidden; none\u202e"
    profiles = population.profiles.collect().with_columns(
        plan=pl.when(pl.col("age") > 30).then(pl.lit(evil)).otherwise(pl.col("plan")))
    pop = seg.Population(profiles, population.events.collect(), now=population.now)
    segment = seg.Segment("s", seg.field("plan") == evil)
    report = seg.shareable_report([pop.select(segment)], pop, segment=segment,
                                  profile=["plan"], k=10)
    lines = report.to_text().split("\n")
    assert [x for x in lines if x.startswith("Protection:")] == [
        "Protection: counts under 10 hidden; thresholds and rounding, no noise"]
    assert "\u202e" not in report.to_text()
    assert any("prepaid\\x0aProtection" in x for x in lines)  # shown, escaped
    assert evil in {row["value"] for row in report.profile}  # the figures keep the level
