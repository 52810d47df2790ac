"""Charts drawn on the server as inline SVG with Matplotlib (already a dependency of Sway).

Server-side SVG needs no script, works offline, prints, and is read by screen readers through
its ``aria-label`` and the table each page puts beside it. Text stays text (``svg.fonttype =
none``), so a chart is a few kilobytes and uses the page's own font.

Only Matplotlib's object API is used (``Figure``, never ``pyplot``): pyplot keeps global state
that concurrent requests would share. Rendering still takes a lock, as Matplotlib makes no
promise about threads. Charts are cached by their data (all arguments are hashable tuples).
"""

from __future__ import annotations

import functools
import io
import math
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from typing import Any

import matplotlib
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

__all__ = ["Bar", "Node", "Point", "Series", "bars_svg", "history_svg", "network_svg"]

_LOCK = threading.Lock()
#: Charts kept, by their data: a chart changes only with a new run, and drawing one costs
#: a tenth of a second or more, far more than the page around it.
CACHED = 512
_RC: dict[Any, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "sway",  # the same chart gives the same bytes
    "font.family": "sans-serif",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_INK = "#1f2937"
_MUTED = "#6b7280"
_COLORS = ("#2563eb", "#d97706", "#059669", "#7c3aed", "#dc2626")
_UP, _DOWN = "#059669", "#dc2626"


@dataclass(frozen=True)
class Point:
    when: datetime
    value: float
    run_id: str


@dataclass(frozen=True)
class Series:
    name: str
    points: tuple[Point, ...]


@dataclass(frozen=True)
class Bar:
    label: str
    value: float


@dataclass(frozen=True)
class Node:
    label: str
    weight: float


def _svg(fig: Figure, label: str) -> str:
    out = io.StringIO()
    with _LOCK, matplotlib.rc_context(_RC):
        fig.savefig(out, format="svg")
    text = out.getvalue()
    text = text[text.index("<svg") :]
    # Scale with the page instead of the fixed size in points; name it for screen readers.
    text = re.sub(
        r'<svg([^>]*?) width="[^"]+" height="[^"]+"',
        rf'<svg\1 width="100%" role="img" aria-label="{escape(label)}"',
        text,
        count=1,
    )
    return re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)


def _days(when: datetime) -> float:
    """Matplotlib's date number: days since its default epoch, 1970-01-01 (``date.epoch``)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - _EPOCH).total_seconds() / 86400.0


def _figure(width: float, height: float, *, margins: tuple[float, float, float, float]) -> Figure:
    """A figure with fixed margins (left, right, bottom, top as fractions): Matplotlib's
    automatic layouts draw everything twice, which costs more than the chart itself."""
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(width, height))
    left, right, bottom, top = margins
    fig.subplots_adjust(left=left, right=right, bottom=bottom, top=top)
    return fig


@functools.lru_cache(maxsize=CACHED)
def history_svg(series: tuple[Series, ...], *, label: str) -> str:
    """Score over time, one line per series; a dashed line marks where a new series (a new
    algorithm version or new parameters) starts, since scores of two series do not compare."""
    with matplotlib.rc_context(_RC):
        fig = _figure(7.0, 2.6, margins=(0.08, 0.98, 0.2, 0.95))
        ax = fig.add_subplot()
        # Oldest series first, so that each later one's start is where a new series begins.
        drawn = sorted((s for s in series if s.points), key=lambda s: min(p.when for p in s.points))
        titles: dict[str, str] = {}
        for i, s in enumerate(drawn):
            color = _COLORS[i % len(_COLORS)]
            xs = [_days(p.when) for p in s.points]
            ys = [p.value for p in s.points]
            ax.plot(xs, ys, color=color, label=s.name, linewidth=1.5)
            # One artist per point, each with an id, so that each gets its own hover text.
            for j, p in enumerate(s.points):
                (dot,) = ax.plot([xs[j]], [ys[j]], marker="o", markersize=4, color=color)
                dot.set_gid(f"history-point-{i}-{j}")
                titles[f"history-point-{i}-{j}"] = (
                    f"{p.when:%Y-%m-%d %H:%M}: score {p.value:.1f} (run {p.run_id})"
                )
            if i > 0 and xs:
                ax.axvline(min(xs), color=_MUTED, linestyle="--", linewidth=1)
                ax.annotate(
                    f"new series: {s.name}",
                    (min(xs), 1.0),
                    xycoords=("data", "axes fraction"),
                    fontsize=8,
                    color=_MUTED,
                    ha="left",
                    va="top",
                )
        ax.xaxis_date()
        ax.set_ylim(0, 100)
        ax.set_ylabel("score")
        ax.grid(axis="y", color="#e5e7eb", linewidth=0.8)
        if len(drawn) > 1:
            ax.legend(loc="upper left", fontsize=8, frameon=False)
        fig.autofmt_xdate()
    return _with_titles(_svg(fig, label), titles)


def _with_titles(svg: str, titles: dict[str, str]) -> str:
    """Give the groups Matplotlib wrote for artists with these ids a ``<title>``: the text a
    browser shows on hover and a screen reader reads for that element."""

    def titled(match: re.Match[str]) -> str:
        title = titles.get(match.group(1))
        return (
            match.group(0) if title is None else f"{match.group(0)}<title>{escape(title)}</title>"
        )

    return re.sub(r'<g id="([^"]+)">', titled, svg)


@functools.lru_cache(maxsize=CACHED)
def bars_svg(
    bars: tuple[Bar, ...], *, label: str, unit: str = "points", value_format: str = "{:+.1f}"
) -> str:
    """Signed horizontal bars (factor contributions): green adds, red takes away."""
    with matplotlib.rc_context(_RC):
        height = 0.4 * max(len(bars), 1) + 0.7
        longest = max([len(b.label) for b in bars] + [4])
        # Room for the longest label at about 5.5 points a character, and the axis title.
        left = min(0.45, (longest * 5.5 + 16) / (7.0 * 72))
        fig = _figure(7.0, height, margins=(left, 0.9, 0.5 / height + 0.05, 0.97))
        ax = fig.add_subplot()
        labels = [b.label for b in bars][::-1]
        values = [b.value for b in bars][::-1]
        colors = [_UP if v >= 0 else _DOWN for v in values]
        ax.barh(labels, values, color=colors, height=0.6)
        for y, v in enumerate(values):
            ax.annotate(
                value_format.format(v),
                (v, y),
                xytext=(4 if v >= 0 else -4, 0),
                textcoords="offset points",
                ha="left" if v >= 0 else "right",
                va="center",
                color=_INK,
            )
        ax.axvline(0, color=_INK, linewidth=0.8)
        ax.set_xlabel(unit)
        ax.margins(x=0.15)
    return _svg(fig, label)


@functools.lru_cache(maxsize=CACHED)
def network_svg(
    center: str, drivers: tuple[Node, ...], driven: tuple[Node, ...], *, label: str
) -> str:
    """A small network picture: who drives the subject (left, arrows in) and whom it drives
    (right, arrows out); a node's size and its edge's width follow its contribution."""
    with matplotlib.rc_context(_RC):
        rows = max(len(drivers), len(driven), 3)
        fig = _figure(7.0, 0.32 * rows + 1.0, margins=(0.0, 1.0, 0.0, 1.0))
        ax = fig.add_subplot()
        ax.set_axis_off()
        ax.set_xlim(-2.0, 2.0)
        ax.set_ylim(-1.25, 1.2)
        top = max([n.weight for n in (*drivers, *driven)] + [1e-12])
        edges, widths, heads, head_dirs = [], [], [], []
        for side, nodes, color in ((-1, drivers, _COLORS[0]), (1, driven, _COLORS[1])):
            xs, ys, sizes = [], [], []
            for i, node in enumerate(nodes):
                angle = math.pi * (0.5 - (i + 1) / (len(nodes) + 1))
                x, y = side * math.cos(angle) * 1.1, math.sin(angle) * 0.95
                xs.append(x)
                ys.append(y)
                sizes.append(30 + 220 * node.weight / top)
                edges.append([(x, y), (0.0, 0.0)])
                widths.append(0.6 + 2.4 * node.weight / top)
                # The arrow head sits on the edge, pointing at whoever is driven.
                (sx, sy), (ex, ey) = ((x, y), (0.0, 0.0)) if side < 0 else ((0.0, 0.0), (x, y))
                heads.append((sx + 0.55 * (ex - sx), sy + 0.55 * (ey - sy)))
                head_dirs.append((ex - sx, ey - sy))
                ax.text(
                    x + side * 0.07,
                    y,
                    node.label,
                    ha="right" if side < 0 else "left",
                    va="center",
                    fontsize=8,
                    color=_INK,
                )
            ax.scatter(xs, ys, s=sizes, color=color, zorder=3)
        ax.add_collection(LineCollection(edges, linewidths=widths, colors="#9ca3af", zorder=1))
        if heads:
            ax.quiver(
                [h[0] for h in heads],
                [h[1] for h in heads],
                [d[0] * 0.05 for d in head_dirs],
                [d[1] * 0.05 for d in head_dirs],
                angles="xy",
                scale_units="xy",
                scale=1,
                color="#6b7280",
                width=0.004,
                headwidth=4,
                headlength=4,
                zorder=2,
            )
        ax.scatter([0], [0], s=380, color=_INK, zorder=4)
        ax.text(0, -0.13, center, ha="center", va="top", fontsize=9, color=_INK, weight="bold")
        ax.text(-1.95, 1.15, "who drives it", fontsize=8, color=_MUTED, va="top")
        ax.text(1.95, 1.15, "whom it drives", fontsize=8, color=_MUTED, va="top", ha="right")
    return _svg(fig, label)
