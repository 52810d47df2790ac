"""Evaluation results as a table on the terminal, JSON, and a PNG chart."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from sway.evaluation.metrics import METRICS
from sway.evaluation.protocol import SWAY_METHODS, EvaluationResult

__all__ = ["chart", "table"]


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
    return t


def chart(result: EvaluationResult, path: Path) -> None:
    """Two panels: future engagement per Sway score decile; metric bars against the baselines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = ["sway", *result.baselines()]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    left.bar(range(1, len(result.deciles) + 1), result.deciles, color="#3b6ea5")
    left.set_xlabel("Sway score decile (1 = top 10%)")
    left.set_ylabel(f"mean future {result.target}")
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
        f"{result.candidates:,} candidates"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
