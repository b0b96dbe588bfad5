"""The report's charts: matplotlib figures rendered once to inline SVG and to PNG.

SVG text is drawn as paths (no font files, no network), so a page opens the same offline on any
machine. Figures are drawn without pyplot: no display needed, and the caller's backend, figures
and rcParams are left alone.
"""

from __future__ import annotations

import functools
import html
import io
import math
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ._errors import InvalidSegmentError

__all__ = ["Chart", "bars", "gain_curve", "heatmap"]

_BLUE, _GREY, _ORANGE = "#2f6db5", "#9aa5b1", "#d9822b"


@dataclass(frozen=True)
class Chart:
    """One chart: its file stem, its title, the inline SVG and the PNG bytes."""

    name: str
    title: str
    svg: str
    png: bytes


_STYLE: Any = {"svg.fonttype": "path", "font.size": 9, "axes.spines.top": False,
                "axes.spines.right": False, "svg.hashsalt": "audiencekit",
                # text is shown as written: '$5 to $10' is not mathtext (nor '$\\x$' an error)
                "text.parse_math": False}


@contextmanager
def drawing(who: str = "reports need") -> Iterator[None]:
    """The charts' style for building and saving charts (see :func:`axes`) inside the block.

    The caller's matplotlib stays as it was: pyplot is not used (no backend switch, none of
    their figures closed; a Figure renders with canvases of its own, no display needed) and
    rcParams come back as they were."""
    try:
        import matplotlib
    except ImportError:
        raise InvalidSegmentError(f"{who} matplotlib: pip install 'audiencekit[plot]'") from None
    with matplotlib.rc_context(_STYLE):
        yield


def _styled(chart: Callable[..., Chart]) -> Callable[..., Chart]:
    """``chart`` built and saved inside :func:`drawing`."""
    @functools.wraps(chart)
    def styled(*args: Any, **kwargs: Any) -> Chart:
        with drawing():
            return chart(*args, **kwargs)
    return styled


def axes(width: float, height: float) -> tuple[Any, Any]:
    """A new figure of ``width`` x ``height`` inches and its one Axes (inside :func:`drawing`)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    return fig, fig.subplots()


def _render(fig: Any, name: str, title: str) -> Chart:
    svg_buffer, png_buffer = io.StringIO(), io.BytesIO()
    fig.savefig(svg_buffer, format="svg", metadata={"Date": None})
    fig.savefig(png_buffer, format="png", dpi=110)
    svg = svg_buffer.getvalue()
    svg = svg[svg.index("<svg"):]  # no XML prolog or DOCTYPE inside HTML
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)  # creator, RDF links
    label = html.escape(title, quote=True)
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{label}" class="chart" ', 1)
    return Chart(name, title, svg, png_buffer.getvalue())


def _short(label: str, width: int = 48) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


@_styled
def bars(name: str, title: str, labels: Sequence[str], values: Sequence[float],
         notes: Sequence[str], xlabel: str, *, log: bool = False,
         reference: float | None = None) -> Chart:
    """Horizontal bars, top to bottom in the given order, each with its note at the end."""
    n = max(len(labels), 1)
    fig, ax = axes(7.2, 0.42 * n + 1.1)
    y = list(range(len(labels)))[::-1]
    colors = [_BLUE if (reference is None or v >= reference) else _ORANGE for v in values]
    ax.barh(y, values, color=colors, height=0.62)
    ax.set_yticks(y, [_short(x) for x in labels])
    ax.set_xlabel(xlabel)
    if log:
        ax.set_xscale("log")
    if reference is not None:
        ax.axvline(reference, color=_GREY, linewidth=1, linestyle="--")
    top = max([v for v in values if v > 0] or [1.0])
    for yi, v, note in zip(y, values, notes, strict=True):
        ax.text(v * (1.04 if log else 1) + (0 if log else top * 0.01), yi, note,
                va="center", fontsize=8)
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    if not log:
        ax.set_xlim(0, top * 1.22)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    else:
        low = min([v for v in values if v > 0] or [1.0])
        lo, hi = min(low, reference or low) / 1.6, max(top, reference or top) * 2.2
        ax.set_xlim(lo, hi)
        ticks = [t for t in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100) if lo <= t <= hi]
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}x"))
    ax.set_title(title, loc="left", fontsize=10)
    fig.tight_layout()
    return _render(fig, name, title)


@_styled
def heatmap(name: str, title: str, labels: Sequence[str], values: Sequence[Sequence[float]],
            notes: Sequence[Sequence[str]]) -> Chart:
    """A square matrix with a note in every cell (counts and shares)."""
    n = len(labels)
    fig, ax = axes(1.9 * n + 2.6, 1.2 * n + 1.4)
    ax.imshow(values, cmap="Blues", vmin=0, vmax=1)
    short = [_short(x, 26) for x in labels]
    ax.set_xticks(range(n), short, rotation=20, ha="right")
    ax.set_yticks(range(n), short)
    for i in range(n):
        for j in range(n):
            dark = values[i][j] > 0.55
            ax.text(j, i, notes[i][j], ha="center", va="center", fontsize=8,
                    color="white" if dark else "black")
    ax.set_title(title, loc="left", fontsize=10)
    fig.tight_layout()
    return _render(fig, name, title)


@_styled
def gain_curve(name: str, title: str, top_share: Sequence[float], gain: Sequence[float],
               spread: Sequence[float], auc: float) -> Chart:
    """Cumulative gain with its spread across random states, against random targeting."""
    fig, ax = axes(6.4, 4.2)
    xs = [0.0, *top_share]
    ys = [0.0, *gain]
    sd = [0.0, *[0.0 if math.isnan(s) else s for s in spread]]
    ax.fill_between(xs, [a - b for a, b in zip(ys, sd, strict=True)],
                    [a + b for a, b in zip(ys, sd, strict=True)], color=_BLUE, alpha=0.18,
                    label="spread (one standard deviation)")
    ax.plot(xs, ys, marker="o", color=_BLUE, label=f"lookalike (AUC {auc:.2f})")
    ax.plot([0, 1], [0, 1], linestyle="--", color=_GREY, label="random targeting")
    ax.set_xlabel("share of candidates targeted")
    ax.set_ylabel("share of hidden seed customers found")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title(title, loc="left", fontsize=10)
    fig.tight_layout()
    return _render(fig, name, title)
