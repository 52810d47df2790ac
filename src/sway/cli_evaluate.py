"""``sway evaluate``: does the score predict future engagement better than the baselines?"""

from __future__ import annotations

import contextlib
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click

from sway.cli import cli, open_store, out_console
from sway.errors import ConfigError
from sway.events import parse_ts
from sway.integrity.attacks import ATTACK_KINDS

__all__ = ["evaluate_command", "fit_command", "parse_duration"]


def parse_duration(text: str) -> timedelta:
    """``30d``, ``12h``, ``90`` (days) → timedelta."""
    value = text.strip().lower()
    units = {"d": 86400.0, "h": 3600.0, "w": 7 * 86400.0}
    factor = units.get(value[-1:])
    number = value[:-1] if factor else value
    try:
        amount = float(number)
    except ValueError:
        raise ConfigError(f"expected a duration such as 30d, 12h or 2w, found {text!r}") from None
    if amount <= 0:
        raise ConfigError(f"expected a positive duration, found {text!r}")
    return timedelta(seconds=amount * (factor or 86400.0))


@cli.command("evaluate")
@click.option("--network", "-n", required=True, help="The network to evaluate.")
@click.option(
    "--split-at",
    default=None,
    help="ISO 8601 instant: score before it, measure after it.  "
    "[default: when 70% of the network's events had happened]",
)
@click.option(
    "--horizon", default="30d", show_default=True, help="How long after the split to measure."
)
@click.option(
    "--window",
    default=None,
    help="Scoring window before the split, e.g. 90d.  [default: the algorithm's]",
)
@click.option(
    "--target",
    type=click.Choice(["distinct-reactors", "reactions", "reputation"]),
    default="distinct-reactors",
    show_default=True,
    help="What the ranking should predict.",
)
@click.option(
    "--k",
    default=100,
    show_default=True,
    type=click.IntRange(1, 1_000_000),
    help="Top k for NDCG@k and precision@k.",
)
@click.option(
    "--resamples",
    default=200,
    show_default=True,
    type=click.IntRange(10, 100_000),
    help="Bootstrap resamples for the 95% intervals.",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the results as JSON here.",
)
@click.option(
    "--chart",
    "chart_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also draw the results as a PNG chart here.",
)
@click.option(
    "--attack",
    type=click.Choice(ATTACK_KINDS),
    default=None,
    help="Evaluate on a copy of the data with this attack family injected before the split.",
)
@click.option(
    "--attack-size",
    default=50,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="Attacking accounts per attacked target.",
)
@click.option(
    "--attack-targets",
    "attack_targets_",
    default=10,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="Accounts attacked (drawn among those the future does not bear out).",
)
@click.pass_context
def evaluate_command(
    ctx: click.Context,
    network: str,
    split_at: str | None,
    horizon: str,
    window: str | None,
    target: str,
    k: int,
    resamples: int,
    json_path: Path | None,
    chart_path: Path | None,
    attack: str | None,
    attack_size: int,
    attack_targets_: int,
) -> None:
    """Score every account on events before a split; rank them against what happens after.

    Compares Sway's score (and each sub-score) with reactions received, distinct reactors,
    in-degree, follower count, plain PageRank and posting activity, on Spearman correlation,
    NDCG@k and precision@k of the future engagement, each with a bootstrap 95% interval.
    Nothing is written to the store.

    With --attack, the same on a copy of the data (in the store's spool folder, removed
    afterwards) where --attack-targets accounts that the future does not bear out are each
    attacked by --attack-size accounts before the split: the truth after it stays honest.

    \b
    Examples:
      sway evaluate -n collegemsg --split-at 2004-06-01 --horizon 30d
      sway evaluate -n stackexchange --target reputation --chart se.png
      sway evaluate -n collegemsg --attack capture-ring --attack-size 50
    """
    from sway.evaluation.attacked import attack_targets, write_attacked_copy
    from sway.evaluation.protocol import default_split, evaluate
    from sway.evaluation.report import chart, table
    from sway.scoring.scorer import InfluenceScorer
    from sway.store.db import Store
    from sway.store.spool import new_spool

    split: datetime | None = None
    if split_at is not None:
        try:
            split = parse_ts(split_at)
        except ValueError as exc:
            raise ConfigError(f"--split-at: {exc}") from None
    params = {"window_days": parse_duration(window).total_seconds() / 86400} if window else {}
    with open_store(ctx, read_only=True) as store, contextlib.ExitStack() as stack:
        under = store
        attacked: dict[str, Any] | None = None
        if attack is not None:
            split = split if split is not None else default_split(store, network)
            window_days = InfluenceScorer(**params).get_params()["window_days"]
            aimed = attack_targets(
                store,
                network=network,
                start=split - timedelta(days=float(window_days)),
                split=split,
                horizon=parse_duration(horizon),
                count=attack_targets_,
                seed=0,
            )
            folder = stack.enter_context(new_spool(store.path, "evaluate"))
            added = write_attacked_copy(
                store,
                folder / "attacked.duckdb",
                network=network,
                split=split,
                family=attack,
                size=attack_size,
                targets=aimed,
            )
            under = stack.enter_context(Store.open(folder / "attacked.duckdb", read_only=True))
            attacked = {"family": attack, "size": attack_size, "targets": aimed, "events": added}
            click.echo(
                f"under attack: {attack}, {len(aimed)} targets x {attack_size} accounts, "
                f"{added:,} events added before {split.isoformat()}"
            )
        result = evaluate(
            under,
            network=network,
            split=split,
            horizon=parse_duration(horizon),
            target=target,
            k=k,
            params=params,
            resamples=resamples,
        )
    out_console.print(table(result))
    if json_path is not None:
        data = {**result.as_dict(), "attack": attacked}
        json_path.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
        click.echo(f"{json_path}: written")
    if chart_path is not None:
        chart(result, chart_path)
        click.echo(f"{chart_path}: written")


@cli.command("fit")
@click.argument("datasets", nargs=-1, required=True, metavar="STORE:NETWORK[@SPLIT]...")
@click.option(
    "--horizon", default="30d", show_default=True, help="Length of each split's truth window."
)
@click.option(
    "--k",
    default=100,
    show_default=True,
    type=click.IntRange(1, 1_000_000),
    help="Top k of NDCG@k in the objective.",
)
@click.option(
    "--seed", default=0, show_default=True, help="Draws the order the knobs are visited in."
)
@click.option(
    "--passes",
    default=3,
    show_default=True,
    type=click.IntRange(1, 20),
    help="At most this many passes of coordinate descent.",
)
@click.option(
    "--min-gain",
    default=0.001,
    show_default=True,
    type=click.FloatRange(0.0, 1.0),
    help="Smallest gain of the training objective that moves a parameter from its prior.",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the fit (values, splits, objective, every step) as JSON here.",
)
@click.option(
    "--knob",
    "knobs",
    multiple=True,
    help="Fit only this knob (repeatable); the others keep their priors.  [default: all]",
)
@click.option("--quiet", "-q", is_flag=True, help="Do not print each move of the search.")
def fit_command(
    datasets: tuple[str, ...],
    horizon: str,
    k: int,
    seed: int,
    passes: int,
    min_gain: float,
    json_path: Path | None,
    knobs: tuple[str, ...],
    quiet: bool,
) -> None:
    """Fit the score's parameters on several datasets: one default set for all of them.

    Each dataset is a store and a network in it, optionally with the evaluation split to keep
    clear of (default: the one `sway evaluate` uses, 70% of the network's events). The fit
    reads only events before that split: it places training splits and, after them, a
    validation split among those events, and maximises the mean over datasets of
    (Spearman + NDCG@k) / 2 of future distinct reactors on the training splits, by seeded
    coordinate descent over a small grid, from the priors of version 1.0, keeping every
    DESIGN principle. The validation splits are reported, never optimised. Nothing is written
    to the stores; try the values with `sway score -p NAME=VALUE`.

    \b
    Examples:
      sway fit college.duckdb:collegemsg email.duckdb:email --json fit.json
      sway fit se.duckdb:stackexchange@2016-10-24 --seed 1
    """
    from sway.evaluation.fit import SEARCH_SPACE, fit_parameters, parse_spec
    from sway.evaluation.report import fit_table

    unknown = [k for k in knobs if k not in SEARCH_SPACE]
    if unknown:
        raise ConfigError(f"unknown --knob {unknown[0]!r}; known: {', '.join(SEARCH_SPACE)}")
    space = {k: SEARCH_SPACE[k] for k in knobs} if knobs else None

    specs = [parse_spec(text) for text in datasets]
    for spec in specs:
        if not spec.store.exists():
            raise ConfigError(f"{spec.store}: no such store; run `sway ingest` first")
    result = fit_parameters(
        specs,
        horizon=parse_duration(horizon),
        k=k,
        seed=seed,
        passes=passes,
        min_gain=min_gain,
        space=space,
        progress=None if quiet else (lambda line: click.echo(line, err=True)),
    )
    out_console.print(fit_table(result))
    if json_path is not None:
        json_path.write_text(json.dumps(result.as_dict(), indent=2, default=str), encoding="utf-8")
        click.echo(f"{json_path}: written")
