"""The audience report: renders in a real headless Chromium with no console error and no request
leaving the page, every chart present and not blank; no identifier in it; the shareable variant
never shows a count under k; numbers formatted for people."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import warnings
from html import escape as html_escape
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import privacy
import segmentation as seg

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHARTS = {"waterfall", "profile", "overlap", "rfm", "gain"}


@pytest.fixture(scope="module")
def world():
    """A canary population (ids and CRM emails that must never reach a report) with every
    section's inputs."""
    pop0 = seg.synthetic_population(4_000, seed=3)
    profiles = pop0.profiles.collect().with_columns(
        user_id=pl.format("canary{}@example.com", pl.col("user_id")))
    events = pop0.events.collect().with_columns(  # type: ignore[union-attr]
        user_id=pl.format("canary{}@example.com", pl.col("user_id")))
    pop = seg.Population(profiles, events, now=pop0.now)
    crm = pop0.crm.with_columns(
        user_id=pl.format("canary{}@example.com", pl.col("user_id")),
        email=pl.format("canary.crm{}@example.com", pl.int_range(pl.len())))
    segment = seg.Segment("young gamers", seg.field("age").between(18, 30)
                          & seg.field("interests").contains("gaming"), "young gamers")
    audience = pop.select(segment)
    heavy = pop.select(seg.Segment("heavy", seg.event("game_session").count(within="30d") >= 5))
    customers = pop.select(seg.Segment("customers", seg.field("is_customer") == True))  # noqa: E712
    upload = (audience & customers).export("meta", crm=crm)
    audit = privacy.audit(upload.frame, platform="meta")
    seeds = pop.select(seg.field("is_high_value") == True)  # noqa: E712
    model = seg.Lookalike(features=["age", "data_gb_month", "interests"], n_estimators=3,
                          random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model.fit(pop, seeds)
        evaluation = seg.evaluate_lookalike(model, pop, seeds, random_states=(0, 1))
    return {"pop": pop, "audience": audience, "others": [heavy, customers],
            "rfm": seg.rfm(pop, "top_up", within="90d"), "upload": upload, "audit": audit,
            "model": model, "evaluation": evaluation,
            "tiers": model.tiers(pop, (0.01, 0.05), exclude=customers)}


def _write(world, path: Path, **options) -> seg.Audience:
    w = world
    return w["audience"].report(path, w["pop"], others=w["others"], rfm=w["rfm"],
                                tiers=w["tiers"], evaluation=w["evaluation"], model=w["model"],
                                upload=w["upload"], audit=w["audit"], **options)


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        if os.environ.get("AUDIENCEKIT_REQUIRE_BROWSER"):
            pytest.fail("chromium is required here (AUDIENCEKIT_REQUIRE_BROWSER) but missing")
        pytest.skip("no chromium on this machine (.ci/run installs Debian's)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", "--disable-sync"])
        yield b
        b.close()


def _blank(png: bytes) -> bool:
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    colors = image.getcolors(maxcolors=1 << 20) or []
    inked = sum(n for n, c in colors if sum(c) < 3 * 235)
    return len(colors) < 3 or inked < 0.005 * image.width * image.height


@pytest.mark.parametrize("shareable", [False, True])
def test_the_report_renders_offline_in_chromium(world, browser, tmp_path, shareable):
    # a large epsilon for the shareable page: enough signal for every chart to be drawn
    files = _write(world, tmp_path / "report.html", shareable=shareable,
                   epsilon=50.0 if shareable else None, profile=["gender", "plan", "interests"])
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    errors, requests = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    url = files.html.resolve().as_uri()
    page.goto(url)
    page.wait_for_load_state("load")
    assert errors == []
    assert requests == [url]  # the page itself, nothing else
    charts = page.query_selector_all("figure[data-chart]")
    assert {c.get_attribute("data-chart") for c in charts} == CHARTS
    for chart in charts:
        assert chart.query_selector("svg") is not None
        assert not _blank(chart.screenshot()), chart.get_attribute("data-chart")
    page.close()
    assert {p.name for p in files.charts} == {f"report_{c}.png" for c in CHARTS}
    for png in files.charts:
        assert png.read_bytes().startswith(b"\x89PNG")
        assert not _blank(png.read_bytes())


def test_a_blank_image_is_seen_as_blank():
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (200, 100), "white").save(out, format="PNG")
    assert _blank(out.getvalue())


@pytest.mark.parametrize("shareable", [False, True])
def test_the_report_holds_no_identifier(world, tmp_path, shareable):
    files = _write(world, tmp_path / "r.html", shareable=shareable)
    text = files.html.read_text(encoding="utf-8")
    assert "canary" not in text.lower()
    assert "@example.com" not in text
    assert "<script" not in text.lower()
    assert "https://" not in text
    assert "http://" not in text.replace("http://www.w3.org", "")  # SVG namespaces: names


def _counts(html: str) -> list[str]:
    return re.findall(r'<td class="n count">([^<]*)</td>', html)


def test_counts_are_formatted_for_people(world, tmp_path):
    html = _write(world, tmp_path / "r.html").html.read_text(encoding="utf-8")
    counts = _counts(html)
    assert counts
    assert all(re.fullmatch(r"\d{1,3}(,\d{3})*", c) for c in counts), counts
    shares = re.findall(r"(\d+\.\d+)%", html)
    assert shares
    assert all(len(s.split(".")[1]) == 1 for s in shares)  # one decimal, never 16


def test_tiers_are_named_by_their_exact_share(world, tmp_path):
    # before: names rounded to whole percents, so tiers of 1.5% and 2.5% were both "top 2%"
    # (in the audiences' names, the report and the CLI's table) and 0.5% was "top 0%"
    customers = world["others"][1]
    tiers = world["model"].tiers(world["pop"], (0.005, 0.015, 0.025, 0.1), exclude=customers)
    assert [t.name for t in tiers.values()] == [
        "lookalike top 0.5%", "lookalike top 1.5%", "lookalike top 2.5%", "lookalike top 10%"]
    html = world["audience"].report(tmp_path / "t.html", world["pop"], tiers=tiers,
                                    evaluation=world["evaluation"]).html.read_text("utf-8")
    rows = re.findall(r"<td[^>]*>top ([\d.]+%)</td>", html)
    assert rows[:4] == ["0.5%", "1.5%", "2.5%", "10%"], rows


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(low=st.integers(18, 70), width=st.integers(0, 4), k=st.sampled_from([50, 100, 300]),
       epsilon=st.sampled_from([None, 1.0]))
def test_the_shareable_report_never_shows_a_count_under_k(world, tmp_path_factory, low, width,
                                                         k, epsilon):
    pop = world["pop"]
    small = pop.select(seg.Segment("small", seg.field("age").between(low, low + width)
                                   & (seg.field("plan") == "prepaid")))
    path = tmp_path_factory.mktemp("share") / "r.html"
    files = small.report(path, pop, others=world["others"], rfm=world["rfm"],
                         profile=["gender", "plan", "interests"], shareable=True, k=k,
                         epsilon=epsilon)
    html = files.html.read_text(encoding="utf-8")
    counts = _counts(html)
    assert counts
    for c in counts:
        if c.startswith("under "):
            assert c == f"under {k:,}"
            continue
        low_, high_ = (int(x.replace(",", "")) for x in c.split("-"))
        assert k <= low_ < high_
    big = re.findall(r'<div class="big">([^<]*)</div>', html)[0]
    assert big == f"under {k:,}" or int(big.split("-")[0].replace(",", "")) >= k


def test_bad_report_arguments_are_the_packages_errors(world, tmp_path):
    a, pop = world["audience"], world["pop"]
    with pytest.raises(seg.SegmentationError, match="Population"):
        a.report(tmp_path / "r.html", "profiles.parquet")
    with pytest.raises(seg.SegmentationError, match="shareable=True"):
        a.report(tmp_path / "r.html", pop, epsilon=1.0)
    with pytest.raises(seg.UnknownColumnError):
        a.report(tmp_path / "r.html", pop, profile=["nope"])
    with pytest.raises(privacy.PrivacyError, match="folder"):
        a.report(tmp_path, pop)


@pytest.mark.parametrize(("options", "says"), [
    # each failed with an AttributeError or a TypeError halfway through the page, or as
    # privacy's error, or (k, top=0, title) was taken as given
    ({"k": "100"}, "k must be an int"),
    ({"k": 0, "shareable": True}, "k must be an int of at least 1, got 0"),
    ({"epsilon": -1, "shareable": True}, "epsilon must be a number"),
    ({"shareable": "no"}, "shareable must be True or False, got a str"),
    ({"top": "5"}, "top must be an int"),
    ({"top": 0}, "top must be an int of at least 1"),
    ({"title": 5}, "title must be text, got int"),
    ({"others": 3}, "others takes a list of Audience"),
    ({"others": ["prepaid"]}, "got a str among them"),
    ({"tiers": "tiers.json"}, "tiers takes the mapping"),
    ({"tiers": [0.01]}, "tiers takes the mapping"),
    ({"tiers": {"1%": None}}, "a tier's share must be a number"),
    ({"tiers": {1.5: None}}, "a tier's share must be a number"),
    ({"tiers": {0.01: "top.csv"}}, "each tier must be an Audience"),
    ({"evaluation": {"auc": 0.8}}, "evaluation must be a LookalikeEvaluation"),
    ({"model": "model.pkl"}, "model must be a Lookalike"),
    ({"upload": "meta.csv"}, "upload must be a privacy.Upload"),
    ({"audit": []}, "audit must be an AuditReport"),
    ({"rfm": {"champions": 3}}, "rfm must be"),
])
def test_each_wrong_report_option_is_named(world, tmp_path, options, says):
    page = tmp_path / "r.html"
    with pytest.raises(seg.SegmentationError, match=re.escape(says)):
        world["audience"].report(page, world["pop"], **options)
    assert list(tmp_path.iterdir()) == []  # refused before anything was written


def test_report_options_of_numpy_kinds_and_none_others_are_taken(world, tmp_path):
    files = world["audience"].report(tmp_path / "r.html", world["pop"], others=None,
                                     shareable=np.bool_(True), k=np.int64(50),
                                     epsilon=np.int64(4), top=np.int32(3))
    assert "epsilon 4 for the whole page" in files.html.read_text(encoding="utf-8")


def test_the_report_command(tmp_path):
    pop = seg.synthetic_population(2_000, seed=1)
    pop.profiles.collect().write_parquet(tmp_path / "p.parquet")
    segment = seg.Segment("gamers", seg.field("interests").contains("gaming"))
    (tmp_path / "s.json").write_text(segment.to_json(), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-m", "segmentation", "report", "s.json", "--profiles",
            "p.parquet", "--now", "2026-11-01", "--profile", "gender", "plan", "-o", "r.html"]
    out = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True,  # noqa: S603
                         check=False)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "r_waterfall.png").is_file()
    out = subprocess.run([*args[:-1], "p.parquet"], cwd=tmp_path, env=env,  # noqa: S603
                         capture_output=True, text=True, check=False)
    assert out.returncode == 2
    assert out.stderr.startswith("error: ")
    # the shareable page withholds the numeric column: the waterfall is its one chart
    one = [*args[:10], "arpu", "--shareable", "-o", "one.html"]
    out = subprocess.run(one, cwd=tmp_path, env=env, capture_output=True, text=True,  # noqa: S603
                         check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "wrote one.html and 1 chart beside it"


def test_edge_audiences_still_make_a_page(world, tmp_path):
    pop = world["pop"]
    nobody = pop.select(seg.Segment("<script>alert(1)</script>", seg.field("age") > 500))
    for shareable in (False, True):
        files = nobody.report(tmp_path / f"n{shareable}.html", pop, others=world["others"],
                              shareable=shareable)
        html = files.html.read_text(encoding="utf-8")
        assert "<script>" not in html
        assert "&lt;script&gt;" in html
    combined = world["audience"] & world["others"][0]  # no segment: no waterfall
    files = combined.report(tmp_path / "c.html", pop, profile=["gender"])
    assert "Waterfall" not in files.html.read_text(encoding="utf-8")
    bare = seg.Population(pop.profiles.collect())  # no events
    files = bare.select(seg.field("age") > 30).report(tmp_path / "b.html", bare, profile=["age"],
                                                      shareable=True)
    assert "with events" not in files.html.read_text(encoding="utf-8")


def test_dollar_signs_in_names_are_text_and_the_callers_matplotlib_is_left_alone(world,
                                                                                  tmp_path):
    """A '$' in an audience, condition or column name was read as mathtext: '$\\x$' raised
    matplotlib's raw ValueError and 'Spend $5 to $10' lost its dollar signs to italics. And
    the charts changed the caller's rcParams (font size, spines) and switched pyplot's backend."""
    import matplotlib
    import matplotlib.pyplot as plt

    from segmentation._charts import bars

    pop = world["pop"]
    before = {k: matplotlib.rcParams[k] for k in ("font.size", "axes.spines.top",
                                                 "svg.fonttype", "text.parse_math")}
    backend = matplotlib.get_backend()
    theirs = plt.figure()
    try:
        odd = [seg.Segment(r"a $\x$ b", seg.field("age") > 30),
               seg.Segment("Spend $5 to $10", seg.field("plan") == "$5 to $10 plan"),
               seg.Segment("under 10$", seg.field("age") > 50)]
        audiences = [pop.select(s) for s in odd]
        for i, audience in enumerate(audiences):
            files = audience.report(tmp_path / f"d{i}.html", pop,
                                    others=audiences[:i] + audiences[i + 1:])
            page = files.html.read_text(encoding="utf-8")
            assert html_escape(odd[i].name) in page
            assert len(files.charts) >= 2
        chart = bars("x", "Spend $5 to $10", ["Spend $5 to $10"], [3.0], ["n"], "people")
        start = chart.svg.index("<!-- Spend $5 to $10 -->")
        glyphs = chart.svg[start:chart.svg.index("</g>", start)].count("<use ")
        assert glyphs == len("Spend $5 to $10")  # every character drawn, the dollars too
        assert "Oblique" not in chart.svg  # nothing set in math italics
        assert {k: matplotlib.rcParams[k] for k in before} == before
        assert matplotlib.get_backend() == backend
        assert plt.fignum_exists(theirs.number)
    finally:
        plt.close(theirs)


def test_a_report_never_replaces_the_files_its_population_was_read_from(tmp_path) -> None:
    """Given the population's own profiles or events path, the page (or a chart beside it)
    used to replace the data it was about."""
    src = seg.synthetic_population(2_000, seed=1)
    profiles, events = tmp_path / "profiles.parquet", tmp_path / "events.parquet"
    src.profiles.collect().write_parquet(profiles)
    src.events.collect().write_parquet(events)
    before = profiles.read_bytes(), events.read_bytes()
    pop = seg.Population(str(profiles), events, now=src.now)
    audience = pop.select(seg.field("age") >= 18)
    for target in (profiles, events, tmp_path / "x" / ".." / "profiles.parquet"):
        with pytest.raises(privacy.WriteError, match="input"):
            audience.report(target, pop)
    # a chart's file that must not be replaced (here a link to the data): nothing written
    (tmp_path / "r_profile.png").symlink_to(profiles)
    with pytest.raises(privacy.WriteError, match="symbolic link"):
        audience.report(tmp_path / "r.html", pop)
    assert not (tmp_path / "r.html").exists()
    assert [p.name for p in tmp_path.glob("r_*")] == ["r_profile.png"]  # no chart, no temp
    assert (profiles.read_bytes(), events.read_bytes()) == before


@pytest.mark.parametrize("name", ["audience.png", "report.txt", "report", "page.pdf"])
def test_the_page_needs_an_html_name(tmp_path: Path, name: str) -> None:
    # before: the HTML page was written as audience.png (and its charts as
    # audience_waterfall.png beside it)
    pop = seg.synthetic_population(500, seed=2)
    with pytest.raises(seg.InvalidSegmentError, match=r"ending in \.html"):
        pop.select(seg.field("age") > 30).report(tmp_path / name, pop)
    assert list(tmp_path.iterdir()) == []
    assert pop.select(seg.field("age") > 30).report(tmp_path / "R.HTM", pop).html.exists()


def test_a_level_none_of_the_audience_has_is_the_largest_difference(tmp_path: Path) -> None:
    """'young = yes' is in 22% of everyone and none of the audience: it leads the profile
    (it was left out, as a log-scale chart cannot draw 0); 0.97 reads '1.0x as likely', not
    '1.0x less likely'."""
    n = 400
    ages = [20 + i % 50 for i in range(n)]
    profiles = pl.DataFrame({"user_id": list(range(n)), "age": ages,
                             "young": ["yes" if a <= 30 else "no" for a in ages],
                             "plan": ["a" if i % 2 else "b" for i in range(n)]})
    pop = seg.Population(profiles)
    audience = pop.select(seg.field("age") > 30)
    audience.report(tmp_path / "r.html", pop, profile=["young", "plan"])
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    readings = re.findall(r'<td class="">([^<]*= [^<]*)</td>(?:<td[^>]*>[^<]*</td>){2}'
                          r'<td class="">([^<]*)</td>', html)
    assert readings[0] == ("young = yes", "none of the audience"), readings
    assert ("young = no", "1.3x as likely as everyone") in readings
    plan = dict(readings)
    assert plan["plan = b"] == "1.0x as likely as everyone"  # 48.7% against 50.0%
    assert "less likely" not in html


def test_durations_and_bytes_in_the_report_and_the_shareable_report(tmp_path: Path) -> None:
    """Before: a Duration column broke the report (float() of a median timedelta), and a
    Binary column whose bytes are not UTF-8 broke the shareable report (a raw ComputeError
    from a cast to text). Durations read in their unit; bytes in hexadecimal, as
    Population.profile writes them."""
    import datetime as dt

    n = 600
    profiles = pl.DataFrame({
        "user_id": list(range(n)),
        "tenure": [dt.timedelta(days=10 + i % 50 + (30 if i < 300 else 0)) for i in range(n)],
        "digest": [b"\xff\x01" if i % 2 else b"a" for i in range(n)],
        "tags": [[b"\xfe", b"a"] if i % 3 else [b"a"] for i in range(n)],
        "plan": [{"tier": i % 2, "blob": b"\xff"} for i in range(n)]})
    pop = seg.Population(profiles)
    audience = pop.select(seg.field("user_id") < 300)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the page's notes on a small population
        audience.report(tmp_path / "r.html", pop, profile=["tenure", "digest"])
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert re.search(r'median tenure</td><td class="n">64.5 days</td><td class="n">49.5 days'
                     r'</td><td class="">1.3x', html), html
    text = seg.shareable_report(audience, pop, profile=["digest", "tags", "plan"]).to_text()
    for level in ("digest=61: ", "digest=ff01: ", "tags=61: 100%", "tags=fe: 67%",
                  'plan={"tier":0,"blob":"ff"}: ', 'plan={"tier":1,"blob":"ff"}: '):
        assert level in text, text
