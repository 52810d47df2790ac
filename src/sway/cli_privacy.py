"""Privacy commands of the ``sway`` CLI: ``forget``, ``export-person``, ``audit``, ``check`` and
``privacy`` (minimum age, who sees scores).

Thin: each command calls :mod:`sway.privacy` and prints. Imported by :mod:`sway.cli` after its
groups exist.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click

from sway.cli import cli, fail, open_store
from sway.errors import ConfigError
from sway.privacy import (
    audit_entries,
    check,
    drain_journal,
    export_person,
    forget,
    minor_age,
    plan_forget,
    record,
    set_minor_age,
    set_visibility,
    visibility,
)
from sway.privacy.visibility import publish_default, set_publish_default

__all__: list[str] = []


@cli.command("forget")
@click.argument("accounts", nargs=-1, metavar="[NETWORK:ACCOUNT]...")
@click.option("--person", default=None, help="A person id: erase the person and all accounts.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def forget_command(
    ctx: click.Context, accounts: tuple[str, ...], person: str | None, yes: bool
) -> None:
    """Erase accounts or a person from the store, for good.

    Removes their accounts, profile data, scores and history in every run, explanations,
    topics, endorsements and person links; keeps others' reactions to and from them only as
    anonymous; tombstones them so no later ingest brings them back; and rewrites the store
    file so no erased byte is left in it. What to erase is checked before asking.

    \b
      sway forget twitter:12345
      sway forget --person ada --yes
    """
    if not accounts and person is None:
        fail("say what to forget: NETWORK:ACCOUNT ... or --person ID")
    if not yes:
        # Check first (unknown accounts, a person id that is not one), so that nobody
        # confirms an erasure that then fails; the store is not held during the question.
        with open_store(ctx, read_only=True) as store:
            plan_forget(store, accounts=accounts, person=person)
        what = ", ".join([*accounts, *([f"person {person}"] if person else [])])
        if not click.confirm(f"Erase {what} for good?", err=True):
            fail("nothing erased")
    with open_store(ctx) as store:
        report = forget(store, accounts=accounts, person=person, requested_by="cli")
    click.echo(report.line())


@cli.command("export-person")
@click.argument("subject", required=False, metavar="[PERSON|NETWORK:ACCOUNT]")
@click.option(
    "--person",
    default=None,
    metavar="PERSON|NETWORK:ACCOUNT",
    help="The person (or the account standing for itself) to export.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the JSON here instead of standard output.",
)
@click.pass_context
def export_person_command(
    ctx: click.Context, subject: str | None, person: str | None, output: Path | None
) -> None:
    """Everything held about a person (or an account), as JSON: an access request.

    The person is given with --person, as in the other commands (the positional form is
    still read, deprecated).

    \b
      sway export-person --person ada -o ada.json
      sway export-person --person twitter:12345
    """
    if (subject is None) == (person is None):
        fail("give the person with --person ID (or NETWORK:ACCOUNT)")
    if subject is not None:
        click.echo(
            f"note: `sway export-person {subject}` is deprecated; use --person {subject}",
            err=True,
        )
    who = person if person is not None else subject
    assert who is not None
    with open_store(ctx) as store:
        data = export_person(store, who)
        record(store, actor="cli", action="privacy.export", subject=who)
    text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True)
    if output is None:
        click.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        click.echo(f"wrote {output}", err=True)


@cli.command("audit")
@click.option("--actor", default=None, help="Only entries by this key id (or `cli`).")
@click.option("--subject", default=None, help="Only entries about this person or account.")
@click.option("--action", default=None, help="Only actions starting with this (e.g. `read`).")
@click.option("--since", default=None, help="Only entries at or after this ISO 8601 instant.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_context
def audit_command(
    ctx: click.Context,
    actor: str | None,
    subject: str | None,
    action: str | None,
    since: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """The audit log: every read of a person's data by a key, every export, erasure and key
    change, newest first."""
    try:
        start = datetime.fromisoformat(since) if since else None
    except ValueError:
        raise ConfigError(f"--since: expected an ISO 8601 instant, found {since!r}") from None
    with open_store(ctx) as store:
        # Entries a server journaled and has not moved yet (it moves them every few seconds).
        drain_journal(store)
        rows = audit_entries(
            store, actor=actor, subject=subject, action=action, since=start, limit=limit
        )
    for row in rows:
        if as_json:
            click.echo(json.dumps(row, default=str, sort_keys=True))
        else:
            detail = "" if row["detail"] is None else " " + json.dumps(row["detail"])
            click.echo(
                f"{row['logged_at'].isoformat()} {row['actor']} {row['action']} "
                f"{row['subject'] or '-'}{detail}"
            )


@cli.command("check")
@click.option(
    "--read-only",
    is_flag=True,
    help="Only look: do not finish an erasure a crash interrupted (then reported as a problem).",
)
@click.pass_context
def check_command(ctx: click.Context, read_only: bool) -> None:
    """Check the store's integrity: every table readable, schema version, links between
    tables, runs against their scores, no tombstoned account left, no erasure half-done.
    Opening for writing first finishes an erasure that a crash cut short. Exit 1 on any
    problem."""
    with open_store(ctx, read_only=read_only) as store:
        report = check(store)
    for item in report.checked:
        click.echo(f"checked: {item}")
    for problem in report.problems:
        click.echo(f"problem: {problem}", err=True)
    if not report.ok:
        raise SystemExit(1)
    click.echo(f"{report.path}: ok (schema version {report.schema_version})")


@cli.group("privacy")
def privacy_group() -> None:
    """Privacy settings: the minimum age, and who may see scores."""


@privacy_group.command("show")
@click.argument("subject", required=False, metavar="[PERSON|NETWORK:ACCOUNT]")
@click.pass_context
def privacy_show(ctx: click.Context, subject: str | None) -> None:
    """The minimum age and the default visibility, or one subject's visibility."""
    with open_store(ctx, read_only=True) as store:
        if subject is not None:
            seen = visibility(store, subject)
            how = "chosen" if seen.chosen else "store default"
            click.echo(f"{subject}: {'public' if seen.public else 'private'} ({how})")
            return
        click.echo(f"minor age: {minor_age(store)}")
        click.echo(f"scores: {'public' if publish_default(store) else 'private'} by default")


@privacy_group.command("set")
@click.option("--minor-age", type=int, default=None, help="Accounts younger are never stored.")
@click.option(
    "--publish/--private",
    "publish",
    default=None,
    help="With SUBJECT: that person's scores; without: everyone's default.",
)
@click.option("--reset", is_flag=True, help="With SUBJECT: back to the store default.")
@click.argument("subject", required=False, metavar="[PERSON|NETWORK:ACCOUNT]")
@click.pass_context
def privacy_set(
    ctx: click.Context,
    minor_age: int | None,
    publish: bool | None,
    reset: bool,
    subject: str | None,
) -> None:
    """Set the minimum age, the default visibility of scores, or one subject's visibility.

    \b
      sway privacy set --minor-age 18
      sway privacy set --publish ada
      sway privacy set --reset ada
    """
    if minor_age is None and publish is None and not reset:
        fail("give --minor-age, --publish/--private or --reset")
    if reset and subject is None:
        fail("--reset needs a SUBJECT")
    with open_store(ctx) as store:
        if minor_age is not None:
            click.echo(f"minor age: {set_minor_age(store, minor_age)}")
        if subject is not None and (publish is not None or reset):
            seen = set_visibility(store, subject, None if reset else publish)
            record(store, actor="cli", action="privacy.visibility", subject=subject)
            click.echo(f"{subject}: {'public' if seen.public else 'private'}")
        elif publish is not None:
            set_publish_default(store, publish)
            click.echo(f"scores: {'public' if publish else 'private'} by default")
