"""The topics commands of the ``sway`` CLI; imported by :mod:`sway.cli` after its groups exist.

``sway topics ...`` (compute, runs, list, top, show, hide, propose, corrections, sentiment,
volume, endorsements, evaluate), ``sway endorse`` and ``sway export topics``. Every command only
calls library code (:mod:`sway.store.topics`, :mod:`sway.topics`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from sway.cli import cli, export, fail, open_store, out_console
from sway.errors import ConfigError
from sway.events import parse_ts
from sway.words import plural

__all__ = ["topics"]


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return "" if value is None else str(value)


def _json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, default=_iso, ensure_ascii=False))


def _wide() -> Console:
    """Tables of periods need room: never squeeze them below 120 columns, even in a pipe."""
    return Console(soft_wrap=True, width=max(out_console.width, 120))


def _params(pairs: tuple[str, ...]) -> dict[str, Any]:
    """``-p min_posts=3 -p keyphrases=all`` → typed topic parameters."""
    from sway.topics.params import TopicParams

    defaults = TopicParams().as_dict()
    out: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or name not in defaults:
            raise ConfigError(
                f"expected -p NAME=VALUE with NAME one of {', '.join(defaults)}, found {pair!r}"
            )
        default = defaults[name]
        try:
            out[name] = type(default)(value.strip()) if not isinstance(default, str) else value
        except ValueError:
            raise ConfigError(f"-p {name}: expected a number, found {value!r}") from None
    return out


@cli.group()
def topics() -> None:
    """What people are influential about: topics with evidence, leaderboards, corrections."""


_RUN_OPTION = click.option(
    "--run",
    "topic_run_id",
    default=None,
    help="A topic run id (or prefix).  [default: the latest]",
)


# -- compute ------------------------------------------------------------------------------


@topics.command("compute")
@click.option("--run", "run_id", default=None, help="The score run.  [default: the latest]")
@click.option(
    "--ontology",
    default="klout",
    show_default=True,
    help="'klout' (bundled), a folder of Klout CSV files, or a custom ontology CSV file.",
)
@click.option(
    "--param",
    "-p",
    "param_pairs",
    multiple=True,
    metavar="NAME=VALUE",
    help="A topic parameter, e.g. -p min_posts=3 -p keyphrases=all (see docs/topics.md).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the topic run as JSON.")
@click.pass_context
def topics_compute(
    ctx: click.Context,
    run_id: str | None,
    ontology: str,
    param_pairs: tuple[str, ...],
    as_json: bool,
) -> None:
    """Compute the topics of a score run (its window and reactor credibility) and publish them.

    \b
    Examples:
      sway score && sway topics compute
      sway topics compute --run 1.0-3f2a --ontology team-topics.csv -p min_posts=3
    """
    from sway.store.topics import compute_topics

    with open_store(ctx) as store:
        info, new = compute_topics(
            store, run_id=run_id, ontology=ontology, params=_params(param_pairs)
        )
    if as_json:
        _json({**info.as_dict(), "new": new})
        return
    state = "computed" if new else "already published"
    s = info.summary
    click.echo(
        f"topic run {info.topic_run_id} ({state}) for score run {info.run_id} as of "
        f"{_iso(info.as_of)}: {s.get('shown', 0):,} account topics shown over "
        f"{s.get('topics_shown', 0):,} topics, from {s.get('items', 0):,} items "
        f"({s.get('endorsements_accepted', 0)}/{s.get('endorsements', 0)} endorsements accepted)"
    )


@topics.command("runs")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000))
@click.pass_context
def topics_runs(ctx: click.Context, limit: int) -> None:
    """List published topic runs, newest first."""
    from sway.store.topics import list_topic_runs

    with open_store(ctx, read_only=True) as store:
        runs = list_topic_runs(store, limit=limit)
    table = Table("topic run", "score run", "as of", "ontology", "topics", "shown", "created")
    for r in runs:
        table.add_row(
            r.topic_run_id,
            r.run_id or "",
            _iso(r.as_of),
            r.ontology,
            f"{r.summary.get('topics_shown', 0):,}",
            f"{r.summary.get('shown', 0):,}",
            _iso(r.created_at)[:19],
        )
    _wide().print(table)


@topics.command("list")
@_RUN_OPTION
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def topics_list(ctx: click.Context, topic_run_id: str | None, limit: int, as_json: bool) -> None:
    """The topics of a run, by how many accounts are influential about each."""
    from sway.store.topics import catalog_rows, get_topic_run

    with open_store(ctx, read_only=True) as store:
        run = get_topic_run(store, topic_run_id)
        rows = catalog_rows(store, run.topic_run_id, limit=limit)
    if as_json:
        _json({"topic_run": run.topic_run_id, "rows": rows})
        return
    table = Table(
        "topic", "id", "kind", "accounts", "best score", "evidence", title=run.topic_run_id
    )
    for r in rows:
        table.add_row(
            r["topic"],
            r["topic_id"],
            r["kind"],
            f"{r['accounts']:,}",
            f"{r['best_score']:.1f}",
            f"{r['evidence']:,}",
        )
    _wide().print(table)


# -- reading ------------------------------------------------------------------------------


@topics.command("top")
@click.option("--topic", "-t", required=True, help="Topic name, slug or id.")
@click.option("--network", "-n", default=None, help="Only accounts of this network.")
@click.option("--people", is_flag=True, help="Rank people (linked accounts) instead.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100_000))
@_RUN_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def topics_top(
    ctx: click.Context,
    topic: str,
    network: str | None,
    people: bool,
    limit: int,
    topic_run_id: str | None,
    as_json: bool,
) -> None:
    """The most influential accounts (or people) on a topic: the score on the topic's own
    reaction graph, with the content evidence behind it.

    \b
    Examples:
      sway topics top --topic "Machine Learning" --limit 10
      sway topics top -t discussion --network stackexchange --people
    """
    from sway.store.topics import topic_leaderboard

    with open_store(ctx, read_only=True) as store:
        name, rows = topic_leaderboard(
            store, topic, network=network, people=people, limit=limit, topic_run_id=topic_run_id
        )
    if as_json:
        _json({"topic": name, "rows": rows})
        return
    table = Table(
        "#", "person" if people else "account", "score", "expertise", "evidence", title=name
    )
    for i, r in enumerate(rows, 1):
        mark = " (proposed)" if r["status"] == "proposed" else ""
        table.add_row(
            str(i),
            f"{r['subject']}{mark}",
            f"{r['score']:.1f}",
            f"{r['expertise']:.3g}",
            f"{r['evidence_count']:,}",
        )
    out_console.print(table)


@topics.command("show")
@click.argument("subject", required=False, metavar="NETWORK:ACCOUNT")
@click.option("--person", default=None, help="Show a person (linked accounts) instead.")
@click.option("--no-evidence", is_flag=True, help="Leave out the posts and reactors.")
@_RUN_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def topics_show(
    ctx: click.Context,
    subject: str | None,
    person: str | None,
    no_evidence: bool,
    topic_run_id: str | None,
    as_json: bool,
) -> None:
    """What an account or person is influential about, with the evidence behind each topic.

    \b
    Examples:
      sway topics show stackexchange:french-meta:user:358
      sway topics show --person ada --json
    """
    from sway.store.topics import profile_topics

    if (subject is None) == (person is None):
        fail("give NETWORK:ACCOUNT or --person ID (one of them)")
    with open_store(ctx, read_only=True) as store:
        unknown = _unknown_subject(store, subject, person)
        if unknown:
            fail(unknown)
        profile = profile_topics(
            store,
            subject or person or "",
            topic_run_id=topic_run_id,
            evidence=not no_evidence,
        )
    if as_json:
        _json(profile.as_dict())
        return
    out_console.print(
        f"[bold]{profile.subject}[/bold] is influential about "
        f"({profile.topic_run_id}, as of {_iso(profile.as_of)}):"
    )
    if not profile.topics:
        out_console.print("  no topic has enough evidence yet")
    for t in profile.topics:
        mark = " [proposed]" if t["status"] == "proposed" else ""
        out_console.print(
            f"  [bold]{t['topic']}[/bold]{mark}: score {t['score']:.1f}, expertise "
            f"{t['expertise']:.3g}, {plural(t['evidence_count'], 'reaction')} on "
            f"{plural(t['posts'], 'post')} from {plural(t['reactors'], 'named reactor')}"
            + (f", {plural(t['endorsements'], 'endorsement')}" if t["endorsements"] else "")
        )
        for p in (t.get("evidence") or {}).get("posts", []):
            out_console.print(
                f"      post {p['post_id']}: {plural(p['reactions'], 'reaction')}, "
                f"{plural(p['reactors'], 'reactor')}"
            )
        reactors = (t.get("evidence") or {}).get("reactors", [])
        if reactors:
            out_console.print("      reactors: " + ", ".join(r["reactor"] for r in reactors))
    if profile.broader:
        out_console.print("  broader: " + ", ".join(b["topic"] for b in profile.broader))
    if profile.proposed_without_evidence:
        out_console.print(
            "  proposed, no evidence yet: " + ", ".join(profile.proposed_without_evidence)
        )
    if profile.hidden:
        out_console.print("  hidden: " + ", ".join(profile.hidden))


def _unknown_subject(store: Any, account: str | None, person: str | None) -> str | None:
    """Why ``topics show`` cannot show this subject (it names no account or person the store
    knows), or ``None``: "no topic has enough evidence yet" is only said of someone known."""
    from sway.store.people import networks, parse_account_ref, unknown_account

    def is_person(name: str) -> bool:
        return bool(store.scalar("SELECT count(*) FROM people WHERE person_id = ?", [name]))

    if person is not None:
        known = is_person(person) or (
            ":" in person and not unknown_account(store, parse_account_ref(person))
        )
        return None if known else f"no person {person!r} in this store; see `sway people list`"
    assert account is not None
    if is_person(account):  # a person id given where the account goes: read as before
        return None
    if ":" not in account:
        have = ", ".join(networks(store)) or "none yet"
        return (
            f"expected NETWORK:ACCOUNT, found {account!r}: the network first, then the "
            f"network's account id (this store's networks: {have}); a person is --person ID"
        )
    why = unknown_account(store, parse_account_ref(account))
    return None if why is None else f"{why}; see `sway accounts`"


# -- corrections --------------------------------------------------------------------------


def _correction_command(action: str) -> Any:
    @click.argument("subject", metavar="NETWORK:ACCOUNT|PERSON")
    @click.option("--topic", "-t", required=True, help="Topic name, slug or id.")
    @click.option("--note", default=None, help="Why (kept with the correction).")
    @click.option("--undo", is_flag=True, help=f"Remove this {action} instead.")
    @click.pass_context
    def command(ctx: click.Context, subject: str, topic: str, note: str | None, undo: bool) -> None:
        from sway.store.topics import hide_topic, propose_topic, remove_correction

        with open_store(ctx) as store:
            if undo:
                removed = remove_correction(store, subject, topic)
                click.echo(f"{subject}: {removed} correction(s) removed")
                return
            name = (hide_topic if action == "hide" else propose_topic)(
                store, subject, topic, note=note
            )
        verb = "hidden from every output" if action == "hide" else "proposed"
        click.echo(f"{subject}: {name!r} {verb} (kept across runs)")

    return command


topics.command(
    "hide",
    help="Hide a topic for an account or person: no output shows it, in this run or later.\n\n"
    "\b\nExample:\n  sway topics hide twitter:42 --topic Casinos",
)(_correction_command("hide"))
topics.command(
    "propose",
    help="Propose a topic for an account or person: shown (marked proposed) as soon as it has "
    "any content evidence, even below the minimum.\n\n"
    "\b\nExample:\n  sway topics propose --topic Linguistics mastodon:ada@hachyderm.io",
)(_correction_command("propose"))


@topics.command("corrections")
@click.argument("subject", required=False, metavar="[NETWORK:ACCOUNT|PERSON]")
@click.pass_context
def topics_corrections(ctx: click.Context, subject: str | None) -> None:
    """List hidden and proposed topics (of one subject, or all)."""
    from sway.store.topics import list_corrections

    with open_store(ctx, read_only=True) as store:
        rows = list_corrections(store, subject)
    table = Table("subject", "action", "topic", "topic id", "note", "when")
    for r in rows:
        table.add_row(
            r["subject"],
            r["action"],
            r["topic_name"] or "",
            r["topic_id"],
            r["note"] or "",
            _iso(r["created_at"])[:19],
        )
    out_console.print(table)


# -- endorsements -------------------------------------------------------------------------


@cli.command("endorse")
@click.argument("giver", metavar="GIVER")
@click.argument("target", metavar="TARGET")
@click.option("--topic", "-t", required=True, help="Topic name, slug or id.")
@click.option("--at", "at", default=None, help="When (ISO 8601).  [default: now]")
@click.pass_context
def endorse(ctx: click.Context, giver: str, target: str, topic: str, at: str | None) -> None:
    """Endorse TARGET on a topic (+K), as GIVER (both NETWORK:ACCOUNT).

    At most 5 per giver per day and once per giver, target and topic per 7 days; weighted by the
    giver's credibility and expertise, discounted inside collusion groups, capped, and never
    creating a topic without content evidence (applied by the next `sway topics compute`).

    \b
    Example:
      sway endorse mastodon:bob@x.social mastodon:ada@hachyderm.io --topic Linguistics
    """
    from sway.store.topics import add_endorsement

    when = None
    if at is not None:
        try:
            when = parse_ts(at)
        except ValueError as exc:
            raise ConfigError(f"--at: {exc}") from None
    with open_store(ctx) as store:
        e = add_endorsement(store, giver, target, topic, at=when)
    click.echo(f"{giver} endorsed {target} on {e.topic_id} at {_iso(e.ts)} ({e.endorsement_id})")


@topics.command("endorsements")
@click.argument("target", required=False, metavar="[NETWORK:ACCOUNT]")
@click.pass_context
def topics_endorsements(ctx: click.Context, target: str | None) -> None:
    """List endorsements made with `sway endorse` (of one target, or all)."""
    from sway.store.topics import list_endorsements

    with open_store(ctx, read_only=True) as store:
        rows = list_endorsements(store, target)
    table = Table("when", "network", "giver", "target", "topic", "id")
    for r in rows:
        table.add_row(
            _iso(r["ts"])[:19],
            r["network"],
            r["giver"],
            r["target"],
            r["topic_name"] or r["topic_id"],
            r["endorsement_id"],
        )
    out_console.print(table)


# -- sentiment and volume -----------------------------------------------------------------


@topics.command("sentiment")
@click.argument("subject", metavar="NETWORK:ACCOUNT")
@click.option("--topic", "-t", default=None, help="Only reactions on this topic.")
@_RUN_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def topics_sentiment(
    ctx: click.Context, subject: str, topic: str | None, topic_run_id: str | None, as_json: bool
) -> None:
    """Sentiment of the replies, comments and mentions an account received, per period, with a
    flag where a rise in engagement was driven by negative reactions.

    \b
    Example:
      sway topics sentiment twitter:42 --topic Smartphones
    """
    from sway.store.topics import topic_sentiment

    with open_store(ctx, read_only=True) as store:
        name, rows = topic_sentiment(store, subject, topic=topic, topic_run_id=topic_run_id)
    if as_json:
        _json({"subject": subject, "topic": name, "periods": rows})
        return
    table = Table(
        "period",
        "reactions",
        "texts",
        "positive",
        "negative",
        "neutral",
        "down-votes",
        "mean",
        "flag",
        title=f"{subject} · {name}",
    )
    for r in rows:
        table.add_row(
            str(r["period_start"]),
            f"{r['reactions']:,}",
            f"{r['texts']:,}",
            f"{r['positive']:,}",
            f"{r['negative']:,}",
            f"{r['neutral']:,}",
            f"{r['downvotes']:,}",
            "" if r["mean_compound"] is None else f"{r['mean_compound']:+.2f}",
            "rise driven by negative reactions" if r["negative_rise"] else "",
        )
    _wide().print(table)


@topics.command("volume")
@click.option("--topic", "-t", required=True, help="Topic name, slug or id.")
@click.option("--account", "-a", default=None, metavar="NETWORK:ACCOUNT", help="Its share too.")
@_RUN_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def topics_volume(
    ctx: click.Context, topic: str, account: str | None, topic_run_id: str | None, as_json: bool
) -> None:
    """How much is said about a topic per period (items, authors, reactions), and an account's
    share of it.

    \b
    Example:
      sway topics volume --topic discussion --account stackexchange:french-meta:user:358
    """
    from sway.store.topics import topic_volume

    with open_store(ctx, read_only=True) as store:
        name, rows = topic_volume(store, topic, account=account, topic_run_id=topic_run_id)
    if as_json:
        _json({"topic": name, "account": account, "periods": rows})
        return
    columns = ["period", "items", "authors", "reactions"]
    if account:
        columns += ["account items", "account reactions", "share"]
    table = Table(*columns, title=name)
    for r in rows:
        cells = [
            str(r["period_start"]),
            f"{r['items']:,}",
            f"{r['authors']:,}",
            f"{r['reactions']:,}",
        ]
        if account:
            cells += [f"{r['account_items']:,}", f"{r['account_reactions']:,}", f"{r['share']:.0%}"]
        table.add_row(*cells)
    _wide().print(table)


# -- export -------------------------------------------------------------------------------


@export.command("topics")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl", "parquet"]),
    default=None,
    help="Output format.  [default: from the --output extension]",
)
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (.gz compresses CSV and JSON Lines).",
)
@_RUN_OPTION
@click.pass_context
def export_topics(
    ctx: click.Context, fmt: str | None, output: Path, topic_run_id: str | None
) -> None:
    """Export one row per account and topic shown: network, account, person, topic, score,
    evidence_count (then topic_id, expertise, raw, reactors, posts, endorsements, status,
    direct, topic_run_id, run_id, as_of). Hidden topics are left out.

    \b
    Example:
      sway export topics --format csv --output topics.csv
    """
    from sway.cli_scoring import write_rows
    from sway.store.topics import export_batches, get_topic_run

    kind = fmt or _kind(output)
    with open_store(ctx, read_only=True) as store:
        run = get_topic_run(store, topic_run_id)
        rows = write_rows(export_batches(store, run.topic_run_id), output, kind)
    click.echo(f"{output}: {rows:,} account topics from topic run {run.topic_run_id}")


def _kind(output: Path) -> str:
    name = output.name.lower().removesuffix(".gz")
    for suffix, kind in ((".csv", "csv"), (".jsonl", "jsonl"), (".parquet", "parquet")):
        if name.endswith(suffix):
            return kind
    raise ConfigError(f"{output}: cannot tell the format from the name; pass --format")


# -- evaluate -----------------------------------------------------------------------------


@topics.command("evaluate")
@click.option("--network", "-n", default="stackexchange", show_default=True)
@click.option("--min-answers", default=5, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--split-quantile", default=0.7, show_default=True, type=click.FloatRange(0.05, 0.95))
@click.option("--horizon", default="365d", show_default=True, help="Measured after the split.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.pass_context
def topics_evaluate(
    ctx: click.Context,
    network: str,
    min_answers: int,
    split_quantile: float,
    horizon: str,
    json_path: Path | None,
) -> None:
    """Measure the topic aims on Stack Exchange data, where tags are the ground truth.

    1. For users with at least --min-answers answers: does Sway's top 3 contain the tag they
    answered most? 2. For each tag with enough activity: does Sway's topic ranking before a
    split predict the on-tag engagement after it better than counting answers (Spearman,
    NDCG@10)? Nothing is written to the store.

    \b
    Example:
      sway topics evaluate --network stackexchange --json topics-eval.json
    """
    from sway.cli_evaluate import parse_duration
    from sway.engines.duckdb import DuckDBEngine
    from sway.store.topics import network_events
    from sway.topics.evaluate import evaluate_events, report_markdown

    with open_store(ctx, read_only=True) as store:
        events = network_events(store, network)
    if events.num_rows == 0:
        fail(f"network {network!r} has no events")
    result = evaluate_events(
        events,
        DuckDBEngine.from_events,
        min_answers=min_answers,
        split_quantile=split_quantile,
        horizon=parse_duration(horizon),
    )
    click.echo(report_markdown(result))
    if json_path is not None:
        json_path.write_text(json.dumps(result, indent=2, default=_iso), encoding="utf-8")
        click.echo(f"{json_path}: written")


# -- campaign -----------------------------------------------------------------------------


@cli.command("campaign")
@click.option("--topic", "-t", required=True, help="Topic name, slug or id.")
@click.option("-k", "k", default=5, show_default=True, type=click.IntRange(1, 50), help="People.")
@click.option("--network", "-n", default=None, help="Only accounts of this network.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print the plan as JSON (as GET /v1/campaign)."
)
@click.pass_context
def campaign(ctx: click.Context, topic: str, k: int, network: str | None, as_json: bool) -> None:
    """The K people who together reach the largest distinct audience on a topic.

    The same plan as the dashboard's campaign builder and GET /v1/campaign: greedy maximum
    coverage over the topic audiences of the topic's most influential accounts.

    \b
    Examples:
      sway campaign --topic "Machine Learning" -k 5
      sway campaign -t discussion -k 3 --network stackexchange --json
    """
    from sway.api.errors import ApiError
    from sway.api.index import ServingIndex
    from sway.api.service import campaign as plan_campaign

    with open_store(ctx, read_only=True) as store:
        index = ServingIndex.build(store, lookups_only=True)
        try:
            plan = plan_campaign(store, index, topic, network=network, k=k)
        except ApiError as exc:
            fail(exc.message)
    if as_json:
        _json(plan.model_dump(mode="json"))
        return
    table = Table(
        "#",
        "account",
        "score",
        "topic score",
        "audience",
        "new",
        "already reached",
        "reach",
        title=f"{plan.topic}: {len(plan.members)} of k={k}",
    )
    for i, m in enumerate(plan.members, 1):
        a = m.account
        name = a.handle or a.display_name or a.account_id
        table.add_row(
            str(i),
            f"{a.network}:{name}",
            "-" if a.score is None else f"{a.score:.1f}",
            f"{m.topic_score:.1f}",
            str(m.audience),
            f"+{m.new}",
            str(m.overlap),
            str(m.reach),
        )
    out_console.print(table)
    since = "over all history" if plan.start.year <= 1970 else f"from {_iso(plan.start)}"
    click.echo(
        f"expected reach {plan.reach} distinct people ({plan.audience_sum} counted separately) "
        f"{since} to {_iso(plan.end)}, among the topic's {plan.candidates} most influential "
        "accounts"
    )
