"""An audience report a marketer reads: one self-contained HTML page, the same charts as PNG.

The page makes no request of any kind (charts are inline SVG drawn as paths, styles inline, and a
Content-Security-Policy that forbids loading anything), so it opens offline and can be mailed.
It holds no identifier: ids never reach it, and the upload section shows counts, never samples.

``shareable=True`` makes the variant for people outside the data team: every count goes through
:class:`privacy.Disclosure` (under ``k`` shown as "under k", two-significant-digit ranges, and
differentially private noise with ``epsilon``, one budget for the whole page), and the audit's
messages (which quote counts) are left out.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from privacy._disclosure import Disclosure, SafeCount, margin95

from . import _format as fmt
from ._charts import Chart, bars, gain_curve, heatmap
from ._checks import check_instance, check_number, listed, shown
from ._errors import InvalidSegmentError
from ._population import Audience, Population, distinct_names
from ._profile import numeric_dtype
from ._segments import describe
from ._shareable import check_figures, shareable_report

__all__ = ["ReportFiles", "write_report"]

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:2rem auto;
max-width:62rem;color:#1d2630;padding:0 1rem;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2.2rem;
border-bottom:1px solid #d7dde3;padding-bottom:.2rem}
.headline{display:flex;gap:2.5rem;flex-wrap:wrap;margin:1rem 0}
.big{font-size:2rem;font-weight:600}.muted{color:#5b6773;font-size:.9rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem}
td,th{border-bottom:1px solid #e4e8ec;padding:.25rem .7rem;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:.8rem 0}svg.chart{max-width:100%;height:auto}
.sev-critical{color:#a4161a;font-weight:600}.sev-high{color:#c0392b}.sev-medium{color:#b9770e}
.note{background:#f3f6f9;padding:.6rem .9rem;border-radius:4px;font-size:.9rem}
"""

_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        "form-action 'none'; base-uri 'none'")


@dataclass(frozen=True)
class ReportFiles:
    """What :func:`write_report` wrote: the page and a PNG per chart."""

    html: Path
    charts: list[Path] = field(default_factory=list)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]], kinds: str = "") -> str:
    """An HTML table; ``kinds`` has a letter per column: ``t`` text, ``n`` a number, ``c`` a
    count of people (right-aligned, and marked so that tests can find every count)."""
    kinds = kinds or "t" * len(headers)
    css = {"t": "", "n": "n", "c": "n count"}
    head = "".join(f'<th class="{css[k]}">{_e(h)}</th>'
                   for h, k in zip(headers, kinds, strict=True))
    body = "".join(
        "<tr>" + "".join(f'<td class="{css[k]}">{_e(v)}</td>'
                         for v, k in zip(row, kinds, strict=True)) + "</tr>"
        for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _figure(chart: Chart) -> str:
    return f'<figure data-chart="{_e(chart.name)}">{chart.svg}</figure>'


class _Counts:
    """Counts as the page shows them: exact with separators, or released safely."""

    def __init__(self, shareable: bool, k: int, epsilon: float | None, groups: int) -> None:
        self.shareable = shareable
        self.disclosure = Disclosure(k=k, epsilon=epsilon) if shareable else None
        self.each = None if epsilon is None or not shareable else epsilon / max(groups, 1)

    def release(self, counts: Sequence[int], sensitivity: int, label: str) -> list[Any]:
        if self.disclosure is None:
            return [int(c) for c in counts]
        return self.disclosure.release(counts, sensitivity=sensitivity, label=label,
                                       epsilon=self.each)


def _shown(c: int | SafeCount) -> str:
    return c.shown if isinstance(c, SafeCount) else fmt.count(c)


def _value(c: int | SafeCount) -> float:
    """A number to draw: the exact count, or the middle of a released range (0 under k)."""
    return c.middle if isinstance(c, SafeCount) else float(c)


def _share_text(part: int | SafeCount, whole: int | SafeCount) -> str:
    if isinstance(part, SafeCount) and part.under_k:
        return "-"
    w = _value(whole)
    return fmt.share(min(_value(part) / w, 1.0)) if w else "-"


def write_report(
    audience: Audience,
    path: str | os.PathLike[str],
    population: Population,
    *,
    others: Sequence[Audience] = (),
    profile: Sequence[str] | None = None,
    rfm: Any = None,
    tiers: Mapping[float, Audience] | None = None,
    evaluation: Any = None,
    model: Any = None,
    upload: Any = None,
    audit: Any = None,
    shareable: bool = False,
    k: int = 100,
    epsilon: float | None = None,
    title: str | None = None,
    top: int = 12,
) -> ReportFiles:
    """Write the audience's report: one self-contained HTML page and its charts as PNG beside it.

    Parameters
    ----------
    audience : Audience
    path : path of the HTML file
        Charts are written beside it as ``<stem>_<chart>.png``.
    population : Population
        Where the audience was selected (waterfall, profile, overlaps).
    others : sequence of Audience
        Audiences to show the overlap with (a heatmap of counts and shares).
    profile : sequence of str, optional
        Profile columns to compare (default: every profile column but the id).
    rfm : RFM, optional
        RFM groups (from :func:`segmentation.rfm`).
    tiers, evaluation, model : optional
        A lookalike's tiers (``model.tiers(...)``), its :func:`evaluate_lookalike` result (the
        gain curve with its spread) and the fitted model (what sets the seed apart).
    upload, audit : optional
        A :class:`privacy.Upload` (rows in and out, rejections by reason) and the
        :class:`privacy.AuditReport` of it (findings by severity with their remedies).
    shareable : bool
        The variant for outsiders: no count under ``k``, two-digit ranges, and with
        ``epsilon`` differential privacy over the whole page.
    """
    if not isinstance(audience, Audience):
        raise InvalidSegmentError(f"report takes an Audience, got {type(audience).__name__}")
    if not isinstance(population, Population):
        raise InvalidSegmentError(
            f"report needs the Population the audience came from, got "
            f"{type(population).__name__}")
    others = _check_others(others)
    shareable, k, epsilon, top = _check_figures(shareable, k, epsilon, top)
    _check_parts(tiers, evaluation, model, upload, audit, rfm, title)
    from privacy._io import atomic_write, check_output

    # never over the files the population was read from (a profiles.parquet given as the
    # report's path used to be replaced by the page)
    inputs = population.sources
    target = check_output(path, inputs=inputs, what="report")
    if target.suffix.lower() not in (".html", ".htm"):
        # a page written as audience.png or report.txt is a file no one opens as a page
        raise InvalidSegmentError(
            f"the report is an HTML page: give a path ending in .html, got one ending in "
            f"{target.suffix or 'no suffix'!r}")
    population.local("a report")
    schema = population.profiles.collect_schema()
    columns = population.known_columns(profile, "profile")
    segment = audience.segment
    groups = sum([1, shareable, bool(others), segment is not None, bool(columns),
                  rfm is not None,
                  bool(tiers), upload is not None])
    counts = _Counts(shareable, k, epsilon, groups)
    charts: list[Chart] = []
    sections: list[str] = []

    # the audience, its overlaps, its waterfall and profile: released together when shareable
    everyone = [audience, *others]
    names = distinct_names(everyone)
    if shareable:
        shared = shareable_report(everyone, population, segment=segment,
                                  profile=[c for c in columns if not numeric_dtype(schema[c])],
                                  top=4, profile_first=1, disclosure=counts.disclosure,
                                  epsilon_each=counts.each)
        sizes: list[Any] = [shared.sizes[n] for n in names]
    else:
        shared = None
        sizes = [a.size for a in everyone]
    everybody = counts.release([population.n], 1, "population size")[0]
    sections.append(_headline(audience, population, sizes[0], everybody, k, epsilon))
    if segment is not None:
        sections.append(_waterfall(population, segment, shared, charts))
    if columns:
        sections.append(_profile(population, audience, columns, schema, shared, names[0],
                                 top, charts))
    if others:
        sections.append(_overlaps(everyone, names, sizes, shared, charts))
    if rfm is not None:
        sections.append(_rfm(rfm, counts, charts))
    if tiers or evaluation is not None or model is not None:
        sections.append(_lookalike(tiers or {}, evaluation, model, counts, charts))
    if upload is not None or audit is not None:
        sections.append(_upload(upload, audit, counts))
    if shareable and counts.disclosure is not None:
        sections.append(_protection(counts.disclosure))

    heading = title or f"Audience: {audience.name}"
    made = dt.datetime.now(dt.timezone.utc)
    page = (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(heading)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{_e(heading)}</h1>" + "".join(sections)
        + f'<p class="muted">Made by audiencekit on {made:%Y-%m-%d %H:%M} UTC.</p>'
        "</body></html>\n"
    )
    # each chart's file checked like the page's (not an input, a key, a link or a special
    # file) before anything is written
    pngs = [check_output(target.with_name(f"{target.stem}_{chart.name}.png"), inputs=inputs,
                         what="chart") for chart in charts]
    written = []
    for chart, png in zip(charts, pngs, strict=True):
        with atomic_write(png) as handle:
            handle.write(chart.png)
        written.append(png)
    with atomic_write(target, "w") as handle:
        handle.write(page)
    return ReportFiles(target, written)


def _check_others(others: object) -> list[Audience]:
    """The audiences to show overlaps with: a sequence of Audience (None: none)."""
    if others is None:
        return []
    if isinstance(others, Audience):
        return [others]
    audiences = listed(others, "others", "a list of Audience objects")
    bad = [o for o in audiences if not isinstance(o, Audience)]
    if bad:
        raise InvalidSegmentError(f"others takes Audience objects, got a "
                                  f"{type(bad[0]).__name__} among them")
    return audiences


def _check_figures(shareable: object, k: object, epsilon: object, top: object
                   ) -> tuple[bool, int, float | None, int]:
    """How counts are shown, checked before anything is counted: the package's error naming
    what was received (a k of "100" or an epsilon of -1 used to fail deep in the release)."""
    if not isinstance(shareable, (bool, np.bool_)):
        raise InvalidSegmentError(f"shareable must be True or False, got {shown(shareable)}")
    number, budget, most = check_figures(k, epsilon, top)
    if budget is not None and not shareable:
        raise InvalidSegmentError("epsilon applies to the shareable variant: pass "
                                  "shareable=True")
    return bool(shareable), number, budget, most


def _check_parts(tiers: object, evaluation: object, model: object, upload: object,
                 audit: object, rfm: object, title: object) -> None:
    """The optional sections' inputs, each the object its section reads (a path or a dict in
    their place used to fail with an AttributeError halfway through the page)."""
    from privacy._audit_report import AuditReport
    from privacy._upload import UploadReport

    from ._rfm import RFM

    if tiers is not None:
        if not isinstance(tiers, Mapping):
            raise InvalidSegmentError(f"tiers takes the mapping model.tiers(...) returns "
                                      f"(share -> Audience), got {type(tiers).__name__}")
        for share, tier in tiers.items():
            check_number(share, "a tier's share", 0, 1, low_open=True)
            check_instance(tier, Audience, "each tier", " (use model.tiers(...))")
    if evaluation is not None or model is not None:
        from ._lookalike import Lookalike, LookalikeEvaluation

        if evaluation is not None:
            check_instance(evaluation, LookalikeEvaluation, "evaluation",
                           " (use segmentation.evaluate_lookalike(...))")
        if model is not None:
            check_instance(model, Lookalike, "model", " (a fitted segmentation.Lookalike)")
    if upload is not None and not isinstance(getattr(upload, "report", None), UploadReport):
        raise InvalidSegmentError(f"upload must be a privacy.Upload or SparkUpload, got "
                                  f"{type(upload).__name__}")
    if audit is not None:
        check_instance(audit, AuditReport, "audit", " (use privacy.audit(...))")
    if rfm is not None:
        check_instance(rfm, RFM, "rfm", " (use segmentation.rfm(...))")
    if title is not None and not isinstance(title, str):
        raise InvalidSegmentError(f"title must be text, got {type(title).__name__}")


def _headline(audience: Audience, population: Population, size: int | SafeCount,
              everybody: int | SafeCount, k: int, epsilon: float | None) -> str:
    shareable = isinstance(everybody, SafeCount)
    definition = describe(audience.segment.condition) if audience.segment is not None \
        else "a combination of audiences"
    if audience.segment is not None and audience.segment.description:
        definition = f"{audience.segment.description} ({definition})"
    events = "with events" if population.events is not None else "profiles only"
    share = _share_text(size, everybody)
    variant = ""
    if shareable:
        variant = (f'<p class="note">Shareable variant: counts under {k:,} are shown as '
                   f'"under {k:,}", others as ranges of two significant digits'
                   + (f", with differential privacy (epsilon {epsilon:g} for the whole page)"
                      if epsilon is not None else "") + ".</p>")
    return (
        f'<div class="headline"><div><div class="big">{_e(_shown(size))}</div>'
        f'<div class="muted">people</div></div><div><div class="big">{_e(share)}</div>'
        f'<div class="muted">of the population</div></div></div>'
        f"<p><b>Who:</b> {_e(definition)}</p>"
        f'<p class="muted">Evaluated {audience.created_at:%Y-%m-%d %H:%M} UTC on a population of '
        f"{_e(_shown(everybody))} "
        f"people ({events}), as of {population.now:%Y-%m-%d}.</p>{variant}"
    )


def _waterfall(population: Population, segment: Any, shared: Any, charts: list[Chart]) -> str:
    if shared is not None:
        steps = [(r["clause"], r["size"]) for r in shared.waterfall]
    else:
        frame = population.waterfall(segment)
        steps = [("everyone", population.n), *zip(frame["clause"], frame["size"], strict=True)]
    labels = [c for c, _ in steps]
    first = steps[0][1]
    notes = [f"{_shown(n)} ({_share_text(n, first)})" for _, n in steps]
    chart = bars("waterfall", "People kept after each condition", labels,
                 [_value(n) for _, n in steps], notes, "people")
    charts.append(chart)
    rows = [(i, c, _shown(n), _share_text(n, first)) for i, (c, n) in enumerate(steps)]
    return ("<h2>Waterfall: where the audience gets small</h2>" + _figure(chart)
            + _table(["step", "condition", "people", "of everyone"], rows, "ntcn"))


def _profile(population: Population, audience: Audience, columns: list[str], schema: Any,
             shared: Any, name: str, top: int, charts: list[Chart]) -> str:
    rows: list[tuple[str, str, str, str, float]] = []  # what, audience, population, note, index
    noisy = 0
    if shared is not None:
        scales = [x["scale"] for x in shared.privacy.get("releases", ())
                  if x["figures"] == "profile"]
        margin = margin95(scales[0]) if scales else 0
        for r in shared.profile:
            if r["audience_name"] != name or r["audience_share"] == "-":
                continue
            a, p = _value(r["audience"]), _value(r["population"])
            if a < 2 * margin:  # the noise could be half the figure: a difference it made up
                noisy += 1
                continue
            a_share = a / max(_value(shared.sizes[name]), 1.0)
            p_share = p / max(_value(shared.population), 1.0)
            if p_share > 0 and a_share > 0:
                rows.append((f"{r['feature']} = {r['value']}", r["audience_share"],
                             r["population_share"], "", a_share / p_share))
    else:
        categorical = [c for c in columns if not numeric_dtype(schema[c])]
        numeric = [c for c in columns if numeric_dtype(schema[c])]
        if categorical:
            for r in population.profile(audience, categorical, top=6).iter_rows(named=True):
                # index 0 is a level none of the audience has: the largest difference of all
                if r["population"] and r["index"] is not None:
                    rows.append((f"{r['feature']} = {r['value']}", fmt.share(r["audience"]),
                                 fmt.share(r["population"]), "", float(r["index"])))
        if numeric:
            frame = population.profiles.select([population.id, *numeric]).collect()
            member = frame[population.id].is_in(
                audience.ids.cast(frame.schema[population.id]).implode())
            for c in numeric:
                a = frame[c].filter(member).median()
                p = frame[c].median()
                if a is not None and p:  # durations divide into a plain ratio too
                    rows.append((f"median {c}", fmt.number(a), fmt.number(p), "",
                                 float(a / p)))
    rows = [r for r in rows if r[4] >= 0 and math.isfinite(r[4])]
    rows.sort(key=lambda r: -abs(math.log(r[4])) if r[4] > 0 else -math.inf)
    rows = rows[:top]
    hidden = (f'<p class="note">{noisy} levels not shown: at this epsilon their noise '
              "(95% margin) could be half the count or more; profile fewer columns or give the "
              "report a larger epsilon.</p>") if noisy else ""
    if not rows:
        return ("<h2>Profile against the population</h2><p>No column to compare.</p>"
                + hidden)
    notes = [_likely(r[0], r[4]) for r in rows]
    drawn = [r for r in rows if r[4] > 0]  # a log scale has no 0: those are in the table
    figure = ""
    if drawn:
        chart = bars("profile", "How the audience differs from everyone (1x = like everyone)",
                     [r[0] for r in drawn], [r[4] for r in drawn],
                     [fmt.ratio(r[4]) for r in drawn], "audience / population", log=True,
                     reference=1.0)
        charts.append(chart)
        figure = _figure(chart)
    table = _table(["what", "in the audience", "in the population", "reading"],
                   [(r[0], r[1], r[2], n) for r, n in zip(rows, notes, strict=True)],
                   "tnnt")
    return ("<h2>Profile against the population: the largest differences</h2>"
            + figure + table + hidden)


def _likely(what: str, index: float) -> str:
    if what.startswith("median "):
        return f"{fmt.ratio(index)} the population's median"
    if index == 0:
        return "none of the audience"
    if index >= 1 or fmt.ratio(1 / index) == fmt.ratio(1.0):  # 0.97: '1.0x less likely'
        return f"{fmt.ratio(index)} as likely as everyone"
    return f"{fmt.ratio(1 / index)} less likely than everyone"


def _overlaps(audiences: list[Audience], names: list[str], sizes: list[Any], shared: Any,
              charts: list[Chart]) -> str:
    n = len(audiences)
    cells: list[list[Any]] = [[None] * n for _ in range(n)]
    for i in range(n):
        cells[i][i] = sizes[i]
        for j in range(i + 1, n):
            if shared is not None:
                c = shared.overlaps[(names[i], names[j])]
            else:
                c = audiences[i].overlap(audiences[j])
            cells[i][j] = cells[j][i] = c
    shares = [[min(_value(cells[i][j]) / _value(sizes[i]), 1.0) if _value(sizes[i]) else 0.0
               for j in range(n)] for i in range(n)]
    notes = [[f"{_shown(cells[i][j])}\n{_share_text(cells[i][j], sizes[i])}" for j in range(n)]
             for i in range(n)]
    chart = heatmap("overlap", "Overlap: people in both (share of the row's audience)", names,
                    shares, notes)
    charts.append(chart)
    rows = [(names[i], names[j], _shown(cells[i][j]), _share_text(cells[i][j], sizes[i]),
             _share_text(cells[i][j], sizes[j])) for i in range(n) for j in range(i + 1, n)]
    return ("<h2>Overlap with other audiences</h2>" + _figure(chart)
            + _table(["audience", "and", "in both", "of the first", "of the second"], rows,
                     "ttcnn"))


def _rfm(rfm: Any, counts: _Counts, charts: list[Chart]) -> str:
    sizes = rfm.sizes()
    groups = [str(g) for g in sizes["group"]]
    exact = [int(x) for x in sizes["len"]]
    released = counts.release(exact, 1, "RFM groups")  # disjoint groups: one person, one
    chart = bars("rfm", "RFM groups", groups, [_value(c) for c in released],
                 [_shown(c) for c in released], "people")
    charts.append(chart)
    if counts.shareable:
        table = _table(["group", "people"],
                       [(g, _shown(c)) for g, c in zip(groups, released, strict=True)], "tc")
    else:
        total = max(sum(exact), 1)
        table = _table(["group", "people", "share"],
                       [(g, _shown(c), fmt.share(c / total))
                        for g, c in zip(groups, released, strict=True)], "tcn")
    return "<h2>RFM groups</h2>" + _figure(chart) + table


def _lookalike(tiers: Mapping[float, Audience], evaluation: Any, model: Any, counts: _Counts,
               charts: list[Chart]) -> str:
    parts = ["<h2>Lookalike</h2>"]
    if tiers:
        fractions = sorted(tiers)
        released = counts.release([tiers[f].size for f in fractions], len(fractions),
                                  "lookalike tiers")
        parts.append(_table(["tier", "people"],
                            [(f"top {fmt.tier(f)}", _shown(c))
                             for f, c in zip(fractions, released, strict=True)], "tc"))
    if evaluation is not None:
        g = evaluation.gains
        chart = gain_curve("gain", "Hidden seed customers found, by share targeted",
                           g["top_share"].to_list(), g["gain_mean"].to_list(),
                           g["gain_std"].fill_null(0.0).to_list(), evaluation.auc_mean)
        charts.append(chart)
        t = evaluation.table
        rows: list[tuple[object, ...]] = [
            (f"top {fmt.tier(r['fraction'])}",
             f"{fmt.share(r['recall_mean'])} ± {fmt.share(r['recall_std'] or 0.0)}",
             f"{fmt.ratio(r['lift_mean'])} ± {fmt.number(r['lift_std'] or 0.0, 2)}")
                for r in t.iter_rows(named=True)]
        parts.append(_figure(chart))
        parts.append(_table(["tier", "hidden seeds found", "lift over random"], rows,
                            "tnn"))
    if model is not None:
        explained = model.explain(top=8)
        rows = [(r["reading"], fmt.share(r["seed_share"]), fmt.share(r["rest_share"]),
                 fmt.ratio(r["ratio"]) if r["rest_share"] else "seeds only")
                for r in explained.iter_rows(named=True)]
        parts.append("<p>What sets the seed customers apart (shares of each group):</p>")
        parts.append(_table(["what", "seed customers", "everyone else", "as likely"], rows,
                            "tnnn"))
    return "".join(parts)


def _upload(upload: Any, audit: Any, counts: _Counts) -> str:
    parts = ["<h2>Upload and audit</h2>"]
    if upload is not None:
        report = upload.report
        columns = report.columns
        figures = [report.rows_in, report.rows_out]
        for c in columns:
            figures += [c.valid, *c.rejected.values()]
        released = counts.release(figures, 2 + len(columns), "upload counts")
        parts.append(f"<p>{_e(report.platform)} upload: <b>{_e(_shown(released[0]))}</b> rows "
                     f"in, <b>{_e(_shown(released[1]))}</b> rows out.</p>")
        rows: list[tuple[object, ...]] = []
        i = 2
        for c in columns:
            valid = released[i]
            i += 1
            reasons = []
            for reason in c.rejected:
                reasons.append(f"{reason}: {_shown(released[i])}")
                i += 1
            rows.append((c.header or c.kind, c.kind, _shown(valid),
                         ", ".join(reasons) or "none"))
        parts.append(_table(["column", "kind", "valid", "rejected, by reason"], rows, "ttct"))
    if audit is not None:
        order = ("critical", "high", "medium", "low", "info")
        findings = sorted(audit.findings, key=lambda f: order.index(f.severity)
                          if f.severity in order else 9)
        if counts.shareable:  # messages quote counts: only what and what to do
            rows = [(f.severity, f.check, f.remedy) for f in findings]
            table = _table(["severity", "check", "what to do"], rows)
        else:
            rows = [(f.severity, f.check, f.column or "", f.message, f.remedy)
                    for f in findings]
            table = _table(["severity", "check", "column", "finding", "what to do"], rows)
        tally = {s: sum(f.severity == s for f in findings) for s in order}
        summary = ", ".join(f"{n} {s}" for s, n in tally.items() if n) or "no findings"
        parts.append(f"<p>Audit: {_e(summary)}.</p>"
                     + table.replace("<td>critical</td>", '<td class="sev-critical">critical'
                                     "</td>").replace("<td>high</td>",
                                                      '<td class="sev-high">high</td>'))
    return "".join(parts)


def _protection(disclosure: Disclosure) -> str:
    s = disclosure.summary()
    text = (f"Counts under {s['k']:,} are shown as \"under {s['k']:,}\"; others as ranges of "
            f"{s['ranges']}. ")
    table = ""
    if "epsilon_budget" in s:
        text += (f"Differential privacy: {s['mechanism']}; epsilon {s['epsilon_used']:g} of "
                 f"{s['epsilon_budget']:g} used over {len(s['releases'])} groups of figures. "
                 "Each count is within the margin below of the true count 95% of the time "
                 "(before rounding); small audiences with many figures are noisy.")
        if "delta_used" in s:
            text += (f" Level names read from the data: {s['selection']}; delta "
                     f"{s['delta_used']:.2g} of {s['delta_budget']:g}.")
        table = _table(
            ["figures", "counts", "one person changes at most", "epsilon", "margin (95%)"],
            [(r["figures"], r["counts"], r["sensitivity"], fmt.number(r["epsilon"]),
              "± " + fmt.count(margin95(r["scale"]))) for r in s["releases"]],
            "tnnnn")
    else:
        text += s["method"] + "."
    return f'<h2>How these figures are protected</h2><p class="note">{_e(text)}</p>{table}'
