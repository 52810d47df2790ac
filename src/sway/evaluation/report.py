"""Evaluation and fit results as tables on the terminal, and evaluation results as a PNG chart."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.table import Table

from sway.evaluation.metrics import METRICS, Interval
from sway.evaluation.protocol import SWAY_METHODS, EvaluationResult

if TYPE_CHECKING:
    from sway.evaluation.fit import FitResult

__all__ = ["chart", "fit_table", "table"]


def table(result: EvaluationResult) -> Table:
    """Every method's metrics with their 95% intervals; the best baseline is marked."""
    t = Table(
        title=(
            f"{result.network}: split {result.split:%Y-%m-%d %H:%M}, horizon "
            f"{result.horizon_days:g} d, target {result.target}, {result.candidates:,} candidates"
        ),
    )
    t.add_column("method", no_wrap=True)
    for name in METRICS:
        t.add_column(name.replace("@k", f"@{result.k}"), no_wrap=True)
    best = {m: result.best_baseline(m) for m in METRICS}
    for method in (*SWAY_METHODS, *result.baselines()):
        cells = []
        for metric in METRICS:
            text = str(result.metrics[method][metric])
            cells.append(f"[bold]{text}[/bold]" if best[metric] == method else text)
        t.add_row(method, *cells)
    if result.gains:
        t.add_section()
        t.add_row(
            "sway vs best baseline",
            *(_gain(*result.gains[m]) if m in result.gains else "" for m in METRICS),
        )
    return t


def _gain(baseline: str, gain: Interval) -> str:
    """``+5.1% [+1.2%, +9.0%] vs activity``: a relative gain and its paired 95% interval."""
    return f"{gain.value:+.1%} [{gain.low:+.1%}, {gain.high:+.1%}]\nvs {baseline}"


def chart(result: EvaluationResult, path: Path) -> None:
    """Two panels: future engagement per Sway score decile; metric bars against the baselines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = ["sway", *result.baselines()]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    left.bar(range(1, len(result.deciles) + 1), result.deciles, color="#3b6ea5")
    left.set_xticks(range(1, len(result.deciles) + 1))
    # Future engagement is heavy-tailed: a log scale (linear near 0) keeps the lower deciles
    # readable next to the top one.
    left.set_yscale("symlog", linthresh=1.0)
    top = max(result.deciles, default=1.0)
    ticks = [t for t in (0, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000) if t <= top * 1.05]
    left.set_yticks(ticks, [f"{t:g}" for t in ticks])
    left.set_xlabel("Sway score decile (1 = top 10%)")
    left.set_ylabel(f"mean future {result.target} (log scale)")
    left.set_title("Future engagement by score decile")
    width = 0.8 / len(METRICS)
    for i, metric in enumerate(METRICS):
        values = [result.metrics[m][metric].value for m in methods]
        low = [v - result.metrics[m][metric].low for m, v in zip(methods, values, strict=True)]
        high = [result.metrics[m][metric].high - v for m, v in zip(methods, values, strict=True)]
        xs = [j + i * width for j in range(len(methods))]
        right.bar(
            xs,
            values,
            width,
            yerr=[low, high],
            capsize=2,
            label=metric.replace("@k", f"@{result.k}"),
        )
    right.set_xticks([j + width for j in range(len(methods))], methods, rotation=30, ha="right")
    right.set_title("Sway vs baselines (95% bootstrap intervals)")
    right.legend(fontsize=8)
    fig.suptitle(
        f"{result.network}: split {result.split:%Y-%m-%d}, horizon {result.horizon_days:g} d, "
        f"target {result.target}, {result.candidates:,} candidates"
    )
    fig.tight_layout()
    _save_small_png(fig, path)
    plt.close(fig)


def _save_small_png(fig: Any, path: Path) -> None:
    """Save as a 64-colour palette PNG: a chart has few colours, and a third of the bytes of
    full colour keeps charts cheap to publish next to the docs."""
    from PIL import Image

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    buffer.seek(0)
    with Image.open(buffer) as image:
        small = image.convert("RGB").quantize(colors=64, dither=Image.Dither.NONE)
        small.save(path, format="PNG", optimize=True)


def fit_table(result: FitResult) -> Table:
    """The fitted values against the priors, then the objective per dataset and role."""
    from sway.evaluation.fit import NOT_FITTED, PRIORS

    t = Table(
        title=(
            f"Fitted parameters (seed {result.seed}, {result.restarts} restart(s), "
            f"{result.scorer_runs:,} scorer runs)"
        )
    )
    t.add_column("parameter", no_wrap=True)
    t.add_column("prior", justify="right")
    t.add_column("fitted", justify="right")
    for name in PRIORS:
        prior, fitted = result.priors[name], result.params[name]
        label = f"{name} (not fitted)" if name in NOT_FITTED else name
        text = f"{fitted:g}" if prior == fitted else f"[bold]{fitted:g}[/bold]"
        t.add_row(label, f"{prior:g}", text)
    t.add_section()
    t.add_row("objective", "priors", "fitted")
    for role in ("train", "validate"):
        pair = result.objective.get(role, {})
        if "priors" in pair and "fitted" in pair:
            t.add_row(f"all datasets ({role})", f"{pair['priors']:.4f}", f"{pair['fitted']:.4f}")
    for dataset, values in result.per_dataset.items():
        for role in ("train", "validate"):
            prior, fitted = values.get(f"{role}_priors"), values.get(f"{role}_fitted")
            if prior is not None and fitted is not None:
                t.add_row(f"{dataset} ({role})", f"{prior:.4f}", f"{fitted:.4f}")
    return t
