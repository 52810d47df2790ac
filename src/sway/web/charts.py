"""Charts drawn on the server as inline SVG with Matplotlib (already a dependency of Sway).

Server-side SVG needs no script, works offline, prints, and is read by screen readers through
its ``aria-label`` and the table each page puts beside it. Text stays text (``svg.fonttype =
none``), so a chart is a few kilobytes and uses the page's own font.

Only Matplotlib's object API is used (``Figure``, never ``pyplot``): pyplot keeps global state
that concurrent requests would share. Rendering still takes a lock, as Matplotlib makes no
promise about threads.
"""

from __future__ import annotations

import io
import math
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from typing import Any

import matplotlib
from matplotlib.figure import Figure

__all__ = ["Bar", "Node", "Point", "Series", "bars_svg", "history_svg", "network_svg"]

_LOCK = threading.Lock()
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
    points: Sequence[Point]


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


def _figure(width: float, height: float) -> Figure:
    with matplotlib.rc_context(_RC):
        return Figure(figsize=(width, height), layout="constrained")


def history_svg(series: Sequence[Series], *, label: str) -> str:
    """Score over time, one line per series; a dashed line marks where a new series (a new
    algorithm version or new parameters) starts, since scores of two series do not compare."""
    with matplotlib.rc_context(_RC):
        fig = _figure(7.0, 2.6)
        ax = fig.add_subplot()
        # Oldest series first, so that each later one's start is where a new series begins.
        drawn = sorted((s for s in series if s.points), key=lambda s: min(p.when for p in s.points))
        for i, s in enumerate(drawn):
            color = _COLORS[i % len(_COLORS)]
            xs = [_days(p.when) for p in s.points]
            ys = [p.value for p in s.points]
            ax.plot(xs, ys, marker="o", markersize=4, color=color, label=s.name, linewidth=1.5)
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
            ax.legend(loc="lower left", fontsize=8, frameon=False)
        fig.autofmt_xdate()
    return _svg(fig, label)


def bars_svg(
    bars: Sequence[Bar], *, label: str, unit: str = "points", value_format: str = "{:+.1f}"
) -> str:
    """Signed horizontal bars (factor contributions): green adds, red takes away."""
    with matplotlib.rc_context(_RC):
        fig = _figure(7.0, 0.45 * max(len(bars), 1) + 0.6)
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


def network_svg(center: str, drivers: Sequence[Node], driven: Sequence[Node], *, label: str) -> str:
    """A small network picture: who drives the subject (left, arrows in) and whom it drives
    (right, arrows out); a node's size follows its contribution."""
    with matplotlib.rc_context(_RC):
        fig = _figure(7.0, 3.4)
        ax = fig.add_subplot()
        ax.set_axis_off()
        ax.set_xlim(-1.9, 1.9)
        ax.set_ylim(-1.25, 1.25)
        ax.set_aspect("equal")
        top = max([n.weight for n in (*drivers, *driven)] + [1e-12])
        for side, nodes, color in ((-1, drivers, _COLORS[0]), (1, driven, _COLORS[1])):
            for i, node in enumerate(nodes):
                angle = math.pi * (0.5 - (i + 1) / (len(nodes) + 1))
                x, y = side * math.cos(angle) * 1.15, math.sin(angle) * 1.0
                start, end = ((x, y), (0.0, 0.0)) if side < 0 else ((0.0, 0.0), (x, y))
                ax.annotate(
                    "",
                    xy=end,
                    xytext=start,
                    arrowprops={
                        "arrowstyle": "-|>",
                        "color": "#9ca3af",
                        "shrinkA": 9,
                        "shrinkB": 9,
                        "linewidth": 0.6 + 2.4 * node.weight / top,
                    },
                )
                size = 40 + 260 * node.weight / top
                ax.scatter([x], [y], s=size, color=color, zorder=3)
                ax.annotate(
                    node.label,
                    (x, y),
                    xytext=(-8 if side < 0 else 8, 0),
                    textcoords="offset points",
                    ha="right" if side < 0 else "left",
                    va="center",
                    fontsize=8,
                    color=_INK,
                )
        ax.scatter([0], [0], s=420, color=_INK, zorder=4)
        ax.annotate(
            center,
            (0, 0),
            xytext=(0, -16),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=9,
            color=_INK,
            weight="bold",
        )
        ax.annotate("who drives it", (-1.85, 1.2), fontsize=8, color=_MUTED, va="top")
        ax.annotate("whom it drives", (1.85, 1.2), fontsize=8, color=_MUTED, va="top", ha="right")
    return _svg(fig, label)
