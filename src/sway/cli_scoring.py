"""Scoring commands of the ``sway`` CLI (``score``, ``show``, ``explain``, exports of scores).

Imported by :mod:`sway.cli` after its groups exist, so that these commands can join them.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import json
import re
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click
import orjson
import pyarrow as pa
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from sway.cli import cli, err_console, export, fail, open_store, out_console
from sway.errors import ConfigError, ScoringError
from sway.events import parse_ts

if TYPE_CHECKING:
    from sway.engines.base import Engine
    from sway.scoring.decay import DecayWarning
    from sway.scoring.scorer import InfluenceScorer, RunPlan
    from sway.store.runs import RunInfo

__all__ = ["parse_window"]

_WINDOW_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([hdwy]?)\s*$", re.I)
_UNIT_DAYS = {"h": 1 / 24, "d": 1.0, "w": 7.0, "y": 365.0, "": 1.0}


def parse_window(text: str) -> float:
    """``90d``, ``12w``, ``36h``, ``2y`` (365 days each) or a number of days -> days."""
    match = _WINDOW_RE.match(text)
    if not match or float(match.group(1)) <= 0:
        raise ConfigError(f"expected a window such as 90d, 12w, 36h or 2y, found {text!r}")
    return float(match.group(1)) * _UNIT_DAYS[match.group(2).lower()]


def _window_label(days: float) -> str:
    return f"{days:g}d" if days >= 1 else f"{days * 24:g}h"


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return str(value)


def _fmt(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:+.{digits}f}"


def chosen_run(store: Any, run_id: str | None) -> RunInfo:
    """The run ``--run`` names (default: the latest that is not withdrawn); a withdrawn run
    named by its id is shown, with a warning on stderr."""
    from sway.store.runs import get_run

    run = get_run(store, run_id)
    if run.withdrawal is not None:
        click.echo(
            f"note: run {run.run_id} was withdrawn on {_iso(run.withdrawal.withdrawn_at)} "
            f"({run.withdrawal.reason}); it is not served",
            err=True,
        )
    return run


# -- score --------------------------------------------------------------------------------


@cli.command()
@click.option(
    "--as-of",
    "as_of",
    default=None,
    metavar="ISO8601",
    help="End of the window (exclusive), e.g. 2024-05-01T00:00:00Z.  [default: just after the "
    "newest event]",
)
@click.option(
    "--window",
    default="90d",
    show_default=True,
    help="How far back to look: days (90d), weeks (12w), hours (36h) or years (2y).",
)
@click.option(
    "--engine",
    default="duckdb",
    show_default=True,
    help="Execution engine (see sway.engines).",
)
@click.option(
    "--param",
    "-p",
    "param_pairs",
    multiple=True,
    metavar="NAME=VALUE",
    help="Override a score parameter, e.g. -p half_life_days=14 (a different series).",
)
@click.option(
    "--master",
    default=None,
    metavar="URL",
    help="Spark only: local[*], local[2], spark://HOST:7077, yarn, k8s://...  [default: the "
    "one spark-submit sets, else local[*]]",
)
@click.option(
    "--events",
    "events_uri",
    default=None,
    metavar="PATH_OR_URI",
    help="Spark only: score canonical events in Parquet (sway export events --format parquet "
    "--partition) instead of the store's.",
)
@click.option(
    "--links",
    "links_uri",
    default=None,
    metavar="PATH_OR_URI",
    help="Spark only, with --events: person links in Parquet (person_id, network, account_id).",
)
@click.option(
    "--checkpoint-dir",
    default=None,
    metavar="URI",
    help="Spark only: where checkpoints are written (shared storage on a cluster: hdfs://, "
    "s3a://).  [default: executor storage]",
)
@click.option(
    "--output",
    default=None,
    metavar="URI",
    help="Write the run (scores and explanations) as Parquet into this folder instead of "
    "publishing it; load it with sway ingest-scores.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary.")
@click.pass_context
def score(
    ctx: click.Context,
    as_of: str | None,
    window: str,
    engine: str,
    master: str | None,
    events_uri: str | None,
    links_uri: str | None,
    checkpoint_dir: str | None,
    output: str | None,
    param_pairs: tuple[str, ...],
    quiet: bool,
) -> None:
    """Score every account and person: reach, amplification, network impact, 1-100.

    A run is immutable and identified by the algorithm version, parameters, window, as-of time
    and data; scoring the same data again reuses the published run and writes nothing.

    When most accounts that received reactions score about 1 because their reactions are many
    half-lives old (data that went quiet long before as-of), a warning on stderr says so and
    suggests a half-life suited to the data.

    \b
    Examples:
      sway score                                   # window of 90 days up to the newest event
      sway score --as-of 2024-05-01T00:00:00Z --window 30d
      sway score -p half_life_days=14
      sway score --engine spark --master local[4] --events events/ --output run/
    """
    from sway.engines import open_engine
    from sway.scoring.decay import check_decay
    from sway.scoring.scorer import InfluenceScorer
    from sway.store.run_files import write_run
    from sway.store.runs import get_run, run_exists, save_run

    params: dict[str, Any] = {"window_days": parse_window(window)}
    for pair in param_pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise ConfigError(f"expected --param NAME=VALUE, found {pair!r}")
        try:
            params[name.strip()] = float(value) if "." in value or "e" in value else int(value)
        except ValueError:
            raise ConfigError(f"--param {name}: expected a number, found {value!r}") from None
    when = None
    if as_of is not None:
        try:
            when = parse_ts(as_of, field="--as-of")
        except ValueError as exc:
            raise ConfigError(f"--as-of: {exc}") from None
    spark_only = {"--master": master, "--events": events_uri, "--links": links_uri,
                  "--checkpoint-dir": checkpoint_dir}  # fmt: skip
    given = [name for name, value in spark_only.items() if value is not None]
    if given and engine != "spark":
        raise ConfigError(f"{given[0]} needs --engine spark")
    if events_uri is not None and output is None:
        raise ConfigError("--events needs --output (there is no store to publish into)")
    if links_uri is not None and events_uri is None:
        raise ConfigError("--links goes with --events (the store has its own person links)")
    scorer = InfluenceScorer(**params)
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        store = None if events_uri is not None else stack.enter_context(open_store(ctx))
        if engine == "spark":
            from sway.engines.spark import SparkEngine, spark_session

            session = spark_session(master)
            if events_uri is not None:
                eng: Engine = SparkEngine.from_parquet(
                    session, events_uri, links=links_uri, checkpoint_dir=checkpoint_dir
                )
            else:
                eng = SparkEngine.for_store(store, session=session, checkpoint_dir=checkpoint_dir)
        else:
            eng = open_engine(engine, store)
        try:
            plan = scorer.plan(eng, as_of=when)
            if store is not None and output is None and run_exists(store, plan.run_id):
                withdrawal = get_run(store, plan.run_id).withdrawal
                if withdrawal is not None:
                    # The same data and parameters give the same run: scoring again cannot
                    # bring back a withdrawn run, and must not look as if it did.
                    raise ScoringError(
                        f"run {plan.run_id} is already published and was withdrawn "
                        f"({withdrawal.reason}); change the data or the parameters to publish "
                        "a new run"
                    )
                if not quiet:
                    click.echo(
                        f"run {plan.run_id} is already published (same version, parameters, "
                        f"window, as-of and data): nothing written"
                    )
                return
            # The integrity layer reads account ages, follow counts and bot flags (from the
            # store; events read from files come without their accounts).
            wants_accounts = store is not None and scorer.get_params()["integrity"]
            accounts = accounts_table(store) if wants_accounts else None
            _fit_with_progress(scorer, eng, plan, quiet=quiet, accounts=accounts)
            decay = check_decay(scorer, eng)
        finally:
            eng.close()
        if output is not None:
            write_run(scorer, output, engine=eng.name)
            verb = f"written to {output}"
        else:
            assert store is not None
            verb = "published" if save_run(store, scorer, engine=eng.name) else "already published"
    if not quiet:
        s = scorer.summary_
        click.echo(
            f"run {plan.run_id} {verb}: {s['accounts']:,} accounts, {s['people']:,} people from "
            f"{s['events']:,} events in the {_window_label(plan.window_days)} window up to "
            f"{_iso(plan.as_of)}; skipped {s['unknown_targets']:,} reactions without a known "
            f"target and ignored {s['self_reactions']:,} self-reactions; graph step "
            f"{s['graph_iterations']} iterations; {time.perf_counter() - started:.1f} s"
        )
    if decay is not None:
        # Even with --quiet: the run is published, but its scores say little.
        _warn_decay(decay)


def _warn_decay(decay: DecayWarning) -> None:
    """Most engaged accounts score about 1 because the half-life is far shorter than the age of
    their reactions (sway.scoring.decay): say so, with the numbers and a half-life to try."""
    click.echo(
        f"warning: {decay.at_floor:,} of {decay.engaged:,} accounts with reactions in the "
        f"window score about 1: their newest reaction is typically {decay.median_age_days:,.0f} "
        f"days old (median), {decay.half_lives:,.0f} half-lives of {decay.half_life_days:g} "
        "days, so decay has all but erased it. The data is quieter than the half-life assumes: "
        f"try -p half_life_days={decay.suggested_half_life_days:g} (a fifth of that age), or "
        "an --as-of nearer the activity.",
        err=True,
    )


def accounts_table(store: Any) -> pa.Table | None:
    """The store's accounts table in ``ACCOUNT_SCHEMA`` (None when it has no rows)."""
    from sway.events import ACCOUNT_SCHEMA

    table = store.con.sql(
        f"SELECT {', '.join(ACCOUNT_SCHEMA.names)} FROM accounts"
    ).to_arrow_table()
    return table.cast(ACCOUNT_SCHEMA) if table.num_rows else None


def _fit_with_progress(
    scorer: InfluenceScorer,
    eng: Engine,
    plan: RunPlan,
    *,
    quiet: bool,
    accounts: pa.Table | None = None,
) -> None:
    with Progress(
        SpinnerColumn(),
        TextColumn("scoring: {task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} steps"),
        TimeElapsedColumn(),
        console=err_console,
        disable=quiet or not err_console.is_terminal,
        transient=True,
    ) as bar:
        task = bar.add_task("starting", total=None)

        def step(name: str, done: int, total: int) -> None:
            bar.update(task, description=name, completed=done, total=total)

        scorer.fit(eng, plan=plan, on_step=step, accounts=accounts)


@cli.command("ingest-scores")
@click.argument("uri")
@click.pass_context
def ingest_scores(ctx: click.Context, uri: str) -> None:
    """Publish a run written by `sway score --output` (e.g. on a Spark cluster) into the store.

    The run is published as if it had been scored here, in one transaction; a run that is
    already published is left as it is.

    \b
    Example:
      sway ingest-scores run/
    """
    from sway.store.run_files import read_run
    from sway.store.runs import save_run

    run = read_run(uri)
    with open_store(ctx) as store:
        written = save_run(store, run, engine=run.engine)
    verb = "published" if written else "is already published: nothing written"
    click.echo(
        f"run {run.plan_.run_id} {verb} ({run.accounts_.num_rows:,} accounts, "
        f"{run.people_.num_rows:,} people, scored by {run.engine})"
    )


# -- runs ---------------------------------------------------------------------------------


_RUNS_LIMIT = click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000))
_RUNS_JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")


@cli.group(invoke_without_command=True)
@_RUNS_LIMIT
@_RUNS_JSON
@click.pass_context
def runs(ctx: click.Context, limit: int, as_json: bool) -> None:
    """Published score runs: list them (what `sway runs` alone does), or withdraw one.

    \b
    Examples:
      sway runs --limit 5
      sway runs withdraw 1.0-3f2a --reason "scored before the spam import was removed"
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(runs_list, limit=limit, as_json=as_json)


@runs.command("list")
@_RUNS_LIMIT
@_RUNS_JSON
@click.pass_context
def runs_list(ctx: click.Context, limit: int, as_json: bool) -> None:
    """List published score runs, newest as-of first; withdrawn runs are marked.

    \b
    Example:
      sway runs list --json
    """
    from sway.store.runs import list_runs

    with open_store(ctx, read_only=True) as store:
        found = list_runs(store, limit=limit)
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in found], indent=2, default=str))
        return
    table = Table(
        "run", "series", "as of", "window", "events", "accounts", "people", "engine", "status"
    )
    for r in found:
        table.add_row(
            r.run_id,
            r.series,
            _iso(r.as_of),
            _window_label(r.window_days),
            f"{r.events_used:,}",
            f"{r.summary.get('accounts', 0):,}",
            f"{r.summary.get('people', 0):,}",
            r.engine,
            # Text, not markup: a reason is anyone's words ("[erased]" after an erasure).
            Text("published" if r.withdrawal is None else f"withdrawn: {r.withdrawal.reason}"),
        )
    out_console.print(table)


@runs.command("withdraw")
@click.argument("run_id", metavar="RUN")
@click.option("--reason", required=True, help="Why the run is withdrawn (kept with it).")
@click.option(
    "--by",
    default=None,
    help="Who withdraws it, for the record.  [default: the user running the command]",
)
@click.pass_context
def runs_withdraw(ctx: click.Context, run_id: str, reason: str, by: str | None) -> None:
    """Withdraw a published run (an id or a unique prefix): it stays in the store as it was
    and in `sway runs`, marked withdrawn, but is never again served as the latest run (CLI,
    API, dashboard, CRM) nor compared against for day/week/month changes; the topics computed
    on it go with it (the topics of the run served instead are served). A withdrawal is
    recorded with who, when and why, in the audit log too, and is not undone.

    \b
    Example:
      sway runs withdraw 1.0-3f2a --reason "scored before the spam import was removed"
    """
    from sway.privacy import record
    from sway.store.runs import get_run, withdraw_run

    who = by if by is not None else _user_name()

    def audit(run: RunInfo) -> None:
        record(
            store,
            actor="cli",
            action="runs.withdraw",
            subject=f"run:{run.run_id}",
            detail={"by": who, "reason": reason.strip()},
        )

    with open_store(ctx) as store:
        run = withdraw_run(store, run_id, reason=reason, by=who, audit=audit)
        try:
            served: str | None = get_run(store).run_id
        except ScoringError:
            served = None
    assert run.withdrawal is not None
    click.echo(f"run {run.run_id} withdrawn ({_iso(run.withdrawal.withdrawn_at)}, by {who})")
    click.echo(
        f"latest run now: {served}" if served else "no run left to serve; run `sway score`",
        err=True,
    )


def _user_name() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a bare container)
        return "cli"


# -- show ---------------------------------------------------------------------------------


def _one_subject(account: str | None, person: str | None) -> None:
    if (account is None) == (person is None):
        fail("give NETWORK:ACCOUNT or --person ID (one of them)")


@cli.command()
@click.argument("account", required=False, metavar="NETWORK:ACCOUNT")
@click.option("--person", default=None, help="Show a person (linked accounts) instead.")
@click.option("--run", "run_id", default=None, help="A run id (or prefix).  [default: latest]")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def show(
    ctx: click.Context, account: str | None, person: str | None, run_id: str | None, as_json: bool
) -> None:
    """Score, sub-scores, day/week/month change and history of an account or a person.

    \b
    Examples:
      sway show stackexchange:17
      sway show --person ada --run 1.0-3f2a
    """
    from sway.store.people import parse_account_ref
    from sway.store.runs import (
        account_history,
        account_result,
        changes,
        person_history,
        person_result,
    )
    from sway.store.topics import influential_about

    _one_subject(account, person)
    with open_store(ctx, read_only=True) as store:
        run = chosen_run(store, run_id)
        if account is not None:
            ref = parse_account_ref(account)
            row = account_result(store, run.run_id, ref.network, ref.account_id)
            subject = str(ref)
            history = account_history(store, ref.network, ref.account_id, series=run.series)
            topics = influential_about(store, subject)
        else:
            assert person is not None
            row = person_result(store, run.run_id, person)
            subject = f"person {person}"
            history = person_history(store, person, series=run.series)
            topics = influential_about(store, person)
    if row is None:
        fail(
            f"{subject} was not scored in run {run.run_id} (no activity in its "
            f"{_window_label(run.window_days)} window up to {_iso(run.as_of)})"
        )
    delta = changes(history, run.as_of)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "subject": subject,
                    "run": run.run_id,
                    "as_of": _iso(run.as_of),
                    **{k: row[k] for k in ("score", "reach", "amplification", "network_impact")},
                    "change": delta,
                    "topics": topics,
                    "history": [{**h, "as_of": _iso(h["as_of"])} for h in history],
                },
                indent=2,
            )
        )
        return
    handle = f" (@{row['handle']})" if row.get("handle") else ""
    out_console.print(
        f"[bold]{subject}[/bold]{handle}: score [bold]{row['score']:.1f}[/bold] "
        f"in run {run.run_id} as of {_iso(run.as_of)}"
    )
    out_console.print(
        f"  reach {row['reach']:.3g} · amplification {row['amplification']:.3g} · "
        f"network impact {row['network_impact']:.3g}"
    )
    out_console.print("  change: " + " · ".join(f"{k} {_fmt(v)}" for k, v in delta.items()))
    if topics:
        out_console.print(
            "  influential about: " + ", ".join(f"{t['topic']} ({t['score']:.0f})" for t in topics)
        )
    table = Table(
        "as of",
        "score",
        "reach",
        "amplification",
        "network impact",
        "run",
        title=f"history (series {run.series})",
    )
    for h in history[-30:]:
        table.add_row(
            _iso(h["as_of"]),
            f"{h['score']:.1f}",
            f"{h['reach']:.3g}",
            f"{h['amplification']:.3g}",
            f"{h['network_impact']:.3g}",
            h["run_id"],
        )
    out_console.print(table)


# -- explain ------------------------------------------------------------------------------


@cli.command()
@click.argument("account", required=False, metavar="NETWORK:ACCOUNT")
@click.option("--person", default=None, help="Explain a person (linked accounts) instead.")
@click.option("--run", "run_id", default=None, help="A run id (or prefix).  [default: latest]")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def explain(
    ctx: click.Context, account: str | None, person: str | None, run_id: str | None, as_json: bool
) -> None:
    """Why a score is what it is: factor contributions (adding up to the score), top reactors
    and posts, per-network breakdown, what was discounted, and what would raise it.

    \b
    Examples:
      sway explain stackexchange:17
      sway explain --person ada --json
    """
    from sway.scoring.explain import explain_account, explain_person, integrity_lines
    from sway.store.people import parse_account_ref
    from sway.store.runs import (
        account_result,
        person_accounts_in_run,
        person_network_results,
        person_result,
        reference_curve_of,
        top_posts,
        top_reactors,
    )

    _one_subject(account, person)
    with open_store(ctx, read_only=True) as store:
        run = chosen_run(store, run_id)
        curve = reference_curve_of(store, run)
        if account is not None:
            ref = parse_account_ref(account)
            row = account_result(store, run.run_id, ref.network, ref.account_id)
            if row is None:
                fail(f"{ref} was not scored in run {run.run_id} (no activity in its window)")
            result = explain_account(
                row,
                run_id=run.run_id,
                params=run.params,
                curve=curve,
                top_reactors=top_reactors(store, run.run_id, ref.network, ref.account_id),
                top_posts=top_posts(store, run.run_id, ref.network, ref.account_id),
                integrity=integrity_lines(run.summary, ref.network, ref.account_id),
            )
        else:
            assert person is not None
            prow = person_result(store, run.run_id, person)
            if prow is None:
                fail(f"person {person} was not scored in run {run.run_id}")
            rows = [
                r
                for n, a in person_accounts_in_run(store, run.run_id, person)
                if (r := account_result(store, run.run_id, n, a)) is not None
            ]
            result = explain_person(
                {"person_id": person, **prow},
                rows,
                run_id=run.run_id,
                params=run.params,
                curve=curve,
                networks=person_network_results(store, run.run_id, person),
            )
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2, default=str))
        return
    _print_explanation(result)


def _print_explanation(result: Any) -> None:
    terms = " + ".join(f"{c.points:.1f} {c.factor.replace('_', ' ')}" for c in result.contributions)
    out_console.print(
        f"[bold]{result.subject}[/bold]: score [bold]{result.score:.1f}[/bold] = "
        f"{result.base:g} (floor) + {terms}   [dim](run {result.run_id})[/dim]"
    )
    table = Table("factor", "sub-score", "part of raw", "points")
    for c in result.contributions:
        table.add_row(
            c.factor.replace("_", " "), f"{c.value:.4g}", f"{c.part:.4g}", f"{c.points:.2f}"
        )
    out_console.print(table)
    if len(result.networks) > 1 or result.accounts:
        t = Table("network", "score there", "points here", title="per network")
        for n in result.networks:
            t.add_row(n.name, f"{n.score:.1f}", f"{n.points:.2f}")
        out_console.print(t)
        t = Table("account", "own score", "points here", title="per account")
        for a in result.accounts:
            t.add_row(a.name, f"{a.score:.1f}", f"{a.points:.2f}")
        out_console.print(t)
    if result.top_reactors:
        t = Table("reactor", "reactions", "selectivity", "reach added", title="top reactors")
        for r in result.top_reactors:
            t.add_row(
                str(r["reactor"]),
                f"{r['reactions']:,}",
                f"{r['selectivity']:.2f}",
                f"{r['contribution']:.3g}",
            )
        out_console.print(t)
    if result.top_posts:
        t = Table("post", "reactions", "reactors", "amplification added", title="top posts")
        for r in result.top_posts:
            t.add_row(
                str(r["post_id"]),
                f"{r['reactions']:,}",
                f"{r['reactors']:,}",
                f"{r['contribution']:.3g}",
            )
        out_console.print(t)
    for title, items in (
        ("Discounted", result.discounts),
        ("Notes", result.notes),
        ("What would raise it", result.suggestions),
    ):
        if items:
            out_console.print(f"[bold]{title}[/bold]")
            for item in items:
                out_console.print(f"  - {item}")


# -- top ----------------------------------------------------------------------------------


_ACCOUNT_KEYS = ("network", "account_id", "handle", "display_name")


@cli.command()
@click.option("--network", "-n", default=None, help="Only accounts of this network.")
@click.option("--people", is_flag=True, help="Rank people (linked accounts) instead.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--run", "run_id", default=None, help="A run id (or prefix).  [default: latest]")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def top(
    ctx: click.Context,
    network: str | None,
    people: bool,
    limit: int,
    run_id: str | None,
    as_json: bool,
) -> None:
    """The highest scores of a run, with their sub-scores.

    \b
    Examples:
      sway top --limit 20
      sway top --network stackexchange --limit 5
      sway top --people --json
    """
    from sway.store.runs import top_accounts, top_people

    with open_store(ctx, read_only=True) as store:
        run = chosen_run(store, run_id)
        if people:
            if network is not None:
                fail("--network ranks accounts; drop it with --people")
            rows = top_people(store, run.run_id, limit=limit)
        else:
            rows = top_accounts(store, run.run_id, network=network, limit=limit)
    if as_json:
        keys: tuple[str, ...] = ("person_id", "accounts", "networks") if people else _ACCOUNT_KEYS
        keys += ("score", "reach", "amplification", "network_impact")
        click.echo(
            json.dumps(
                {
                    "run": run.run_id,
                    "as_of": _iso(run.as_of),
                    "rows": [{"rank": i, **{k: r[k] for k in keys}} for i, r in enumerate(rows, 1)],
                },
                indent=2,
                default=str,
            )
        )
        return
    title = f"run {run.run_id} as of {_iso(run.as_of)}"
    first = ("person", "accounts") if people else ("account", "name")
    table = Table("#", *first, "score", "reach", "amplification", "network impact", title=title)
    for i, r in enumerate(rows, 1):
        name = (
            (r["person_id"], f"{r['accounts']}")
            if people
            else (
                f"{r['network']}:{r['account_id']}",
                r.get("handle") or r.get("display_name") or "",
            )
        )
        table.add_row(
            str(i),
            *name,
            f"{r['score']:.1f}",
            f"{r['reach']:.3g}",
            f"{r['amplification']:.3g}",
            f"{r['network_impact']:.3g}",
        )
    out_console.print(table)


# -- export -------------------------------------------------------------------------------


def _kind(output: Path, fmt: str | None) -> str:
    if fmt:
        return fmt
    name = output.name.lower().removesuffix(".gz")
    for suffix, kind in (
        (".csv", "csv"),
        (".jsonl", "jsonl"),
        (".ndjson", "jsonl"),
        (".json", "jsonl"),
        (".parquet", "parquet"),
    ):
        if name.endswith(suffix):
            return kind
    raise ConfigError(f"{output}: cannot tell the format from the name; pass --format")


def _open_text(path: Path) -> IO[str]:
    if path.suffix.lower() == ".gz":
        return gzip.open(path, "wt", encoding="utf-8", newline="")
    return path.open("w", encoding="utf-8", newline="")


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, float):
        return repr(value)
    return "" if value is None else value


def write_rows(batches: Iterable[pa.RecordBatch], output: Path, kind: str) -> int:
    """Write Arrow batches as CSV (header first), JSON Lines or Parquet; returns rows."""
    rows = 0
    batches = iter(batches)
    if kind == "parquet":
        import pyarrow.parquet as pq

        writer: pq.ParquetWriter | None = None
        try:
            for batch in batches:
                if writer is None:
                    writer = pq.ParquetWriter(output, batch.schema)
                writer.write_batch(batch)
                rows += batch.num_rows
        finally:
            if writer is not None:
                writer.close()
        if writer is None:
            pq.write_table(pa.table({}), output)
        return rows
    with _open_text(output) as fh:
        out = csv.writer(fh, lineterminator="\n") if kind == "csv" else None
        header_written = False
        for batch in batches:
            if out is not None and not header_written:
                out.writerow(batch.schema.names)
                header_written = True
            for row in batch.to_pylist():
                if out is not None:
                    out.writerow([_cell(v) for v in row.values()])
                else:
                    fh.write(
                        orjson.dumps(
                            {k: (_iso(v) if isinstance(v, datetime) else v) for k, v in row.items()}
                        ).decode()
                    )
                    fh.write("\n")
            rows += batch.num_rows
    return rows


def _export_options(func: Any) -> Any:
    func = click.option(
        "--run", "run_id", default=None, help="A run id (or prefix).  [default: latest]"
    )(func)
    func = click.option(
        "--output",
        "-o",
        required=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help="File to write (.gz compresses CSV and JSON Lines).",
    )(func)
    func = click.option(
        "--format",
        "fmt",
        type=click.Choice(["csv", "jsonl", "parquet"]),
        default=None,
        help="Output format.  [default: from the --output extension]",
    )(func)
    return func


def _export(
    ctx: click.Context, fmt: str | None, output: Path, run_id: str | None, people: bool
) -> tuple[int, str]:
    from sway.store.runs import people_rows, score_rows

    kind = _kind(output, fmt)
    with open_store(ctx, read_only=True) as store:
        run = chosen_run(store, run_id)
        batches: Iterator[pa.RecordBatch] = (
            people_rows(store, run.run_id) if people else score_rows(store, run.run_id)
        )
        return write_rows(batches, output, kind), run.run_id


@export.command("scores")
@_export_options
@click.pass_context
def export_scores(ctx: click.Context, fmt: str | None, output: Path, run_id: str | None) -> None:
    """Export one row per account of a run: network, account, person, score, reach,
    amplification, network_impact, run_id, as_of (then raw, amplification_basis, handle).

    \b
    Examples:
      sway export scores --output scores.csv
      sway export scores --format parquet --output scores.parquet --run 1.0-3f2a
    """
    rows, run = _export(ctx, fmt, output, run_id, people=False)
    click.echo(f"{output}: {rows:,} accounts from run {run}")


@export.command("people")
@_export_options
@click.pass_context
def export_people(ctx: click.Context, fmt: str | None, output: Path, run_id: str | None) -> None:
    """Export one row per person of a run: person, score, reach, amplification,
    network_impact, accounts, networks, run_id, as_of, raw.

    \b
    Example:
      sway export people --output people.jsonl
    """
    rows, run = _export(ctx, fmt, output, run_id, people=True)
    click.echo(f"{output}: {rows:,} people from run {run}")
