"""The ``sway`` command line: thin commands that call library code.

Every :class:`~sway.errors.SwayError` becomes a one-line message on stderr and exit code 2.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from sway import __version__
from sway.errors import ConfigError, SwayError
from sway.sources import available, broken
from sway.store import Store, default_db_path
from sway.words import plural

__all__ = ["main"]

err_console = Console(stderr=True)
# Tables of ids, names and intervals need room: in a pipe (make demo, CI logs), where Rich
# would assume 80 columns, use 120.
out_console = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 120)


class SwayCommandError(click.ClickException):
    """A SwayError shown as ``sway: error: ...`` with exit code 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"sway: error: {self.format_message()}", err=True)


class SwayGroup(click.Group):
    """Turns SwayError raised anywhere below into a clean message, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SwayError as exc:
            raise SwayCommandError(str(exc)) from None


def fail(message: str) -> NoReturn:
    raise SwayCommandError(message)


@contextmanager
def open_store(ctx: click.Context, *, read_only: bool = False) -> Iterator[Store]:
    path: Path = ctx.obj["db"]
    if read_only and not path.exists():
        fail(f"{path}: no such store; run `sway ingest FILE` first (or pass --db)")
    with Store.open(path, read_only=read_only) as store:
        yield store


def progress_bar(quiet: bool) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,} records"),
        TimeElapsedColumn(),
        console=err_console,
        disable=quiet or not err_console.is_terminal,
        transient=True,
    )


def update_progress(bar: Progress, task: TaskID, done: int) -> None:
    bar.update(task, completed=done)


def parse_options(pairs: tuple[str, ...]) -> dict[str, str]:
    options: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"expected --option KEY=VALUE, found {pair!r}")
        options[key.strip()] = value.strip()
    return options


@click.group(cls=SwayGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    envvar="SWAY_DB",
    show_envvar=True,
    help="The store file.  [default: ./sway.duckdb]",
)
@click.version_option(__version__, prog_name="sway")
@click.pass_context
def cli(ctx: click.Context, db: Path | None) -> None:
    """Sway: transparent influence scores from the social data you already have.

    \b
    Examples:
      sway ingest tweets.jsonl              # recognise the format, load it
      sway stats                            # what is in the store
      sway --db team.duckdb accounts --network mastodon
    """
    ctx.ensure_object(dict)
    ctx.obj["db"] = db or default_db_path()


# -- ingest -----------------------------------------------------------------------------


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "-f",
    "fmt",
    default="auto",
    show_default=True,
    help="Input format (see `sway formats`); 'auto' recognises it from the content.",
)
@click.option(
    "--option",
    "-o",
    "option_pairs",
    multiple=True,
    metavar="KEY=VALUE",
    help="An importer option, e.g. -o network=email -o action=mention (repeatable).",
)
@click.option(
    "--skip-bad",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write rejected records with their reasons to this file and ingest the rest.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary.")
@click.pass_context
def ingest(
    ctx: click.Context,
    paths: tuple[Path, ...],
    fmt: str,
    option_pairs: tuple[str, ...],
    skip_bad: Path | None,
    quiet: bool,
) -> None:
    """Load files or folders into the store: atomic and idempotent per file.

    A bad record stops the file with an error naming file, line and field, and nothing of
    that file is stored; with --skip-bad the bad records go to a file and the rest is loaded.

    \b
    Examples:
      sway ingest data/demo/                       # a Stack Exchange dump folder
      sway ingest events.csv.gz --format events
      sway ingest CollegeMsg.txt -f snap -o network=collegemsg -o action=mention
    """
    from sway.errors import SourceError
    from sway.store.ingest import ingest_each

    options = parse_options(option_pairs)
    rejects = skip_bad.open("w", encoding="utf-8") if skip_bad else None
    failures = 0
    try:
        with open_store(ctx) as store:
            for path in paths:
                with progress_bar(quiet) as bar:
                    task = bar.add_task(f"ingesting {path.name}", total=None)

                    def detected(file: Path, source: Any) -> None:
                        if fmt == "auto" and not quiet:
                            err_console.print(f"{file}: recognised as --format {source.name}")

                    try:
                        summary = ingest_each(
                            store,
                            path,
                            format=fmt,
                            options=options,
                            rejects=rejects,
                            on_progress=partial(update_progress, bar, task),
                            on_detect=detected,
                        )
                    except SourceError as exc:
                        # This input stored nothing; the others still go in.
                        click.echo(f"sway: error: {exc}", err=True)
                        failures += 1
                        continue
                for rejected in summary.failed:
                    click.echo(f"sway: error: {rejected.error}", err=True)
                failures += len(summary.failed)
                if not quiet:
                    click.echo(summary.line())
    finally:
        if rejects is not None:
            rejects.close()
    if failures:
        ctx.exit(2)


@cli.command()
def formats() -> None:
    """List the input formats `sway ingest` reads."""
    for name, cls in available().items():
        click.echo(f"{name:18} {cls.description}")
        for option, help_text in cls.options.items():
            click.echo(f"{'':18}   -o {option}=...  {help_text}")
    for name, reason in broken().items():
        click.echo(f"{name:18} FAILED TO LOAD: {reason}", err=True)


# -- looking at the store -----------------------------------------------------------------


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@click.pass_context
def stats(ctx: click.Context, as_json: bool) -> None:
    """Counts per network and action, and the time span of the data."""
    from sway.store.queries import stats as store_stats

    with open_store(ctx, read_only=True) as store:
        s = store_stats(store)
    if as_json:
        click.echo(json.dumps(s.__dict__, default=str, indent=2))
        return
    out_console.print(
        f"{s.events:,} events, {s.accounts:,} accounts, {s.people_linked:,} linked people, "
        f"from {s.first} to {s.last} ({s.ingests} ingests)"
    )
    table = Table("network", "events", "actors", "first", "last", title="per network")
    for row in s.per_network:
        table.add_row(
            row["network"],
            f"{row['events']:,}",
            f"{row['actors']:,}",
            str(row["first"])[:19],
            str(row["last"])[:19],
        )
    out_console.print(table)
    table = Table("network", "action", "events", title="per action")
    for row in s.per_action:
        table.add_row(row["network"], row["action"], f"{row['events']:,}")
    out_console.print(table)


@cli.command()
@click.option("--network", "-n", default=None, help="Only this network.")
@click.option("--search", "-s", default=None, help="Handle, display name or id contains this.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def accounts(
    ctx: click.Context, network: str | None, search: str | None, limit: int, as_json: bool
) -> None:
    """List accounts with the events they made and the reactions they received.

    \b
    Example:
      sway accounts --network stackexchange --limit 10
    """
    from sway.store.queries import account_rows

    with open_store(ctx, read_only=True) as store:
        rows = account_rows(store, network=network, search=search, limit=limit)
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    table = Table("network", "account", "handle", "name", "followers", "made", "received")
    for r in rows:
        table.add_row(
            r["network"],
            r["account_id"],
            r["handle"] or "",
            r["display_name"] or "",
            "" if r["followers"] is None else f"{r['followers']:,}",
            f"{r['made']:,}",
            f"{r['received']:,}",
        )
    out_console.print(table)


# -- export -------------------------------------------------------------------------------


@cli.group()
def export() -> None:
    """Write what the store holds to files."""


@export.command("events")
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
    type=click.Path(path_type=Path),
    help="File to write (.gz compresses CSV and JSON Lines); a folder with --partition.",
)
@click.option("--network", "-n", default=None, help="Only this network.")
@click.option(
    "--partition",
    is_flag=True,
    help="Parquet only: a folder partitioned by network and date (for Spark).",
)
@click.pass_context
def export_events(
    ctx: click.Context, fmt: str | None, output: Path, network: str | None, partition: bool
) -> None:
    """Export events in the canonical format (re-ingestable with --format events).

    \b
    Examples:
      sway export events --output events.csv.gz
      sway export events --format parquet --partition --output events/
    """
    from sway.sources.canonical import write_events
    from sway.store.queries import event_batches

    with open_store(ctx, read_only=True) as store:
        if partition:
            if fmt not in (None, "parquet"):
                fail("--partition writes Parquet; drop --format or use --format parquet")
            import pyarrow.dataset as ds

            batches = list(event_batches(store, network=network, partition_columns=True))
            ds.write_dataset(
                batches,
                output,
                format="parquet",
                partitioning=["network", "date"],
                partitioning_flavor="hive",
                existing_data_behavior="overwrite_or_ignore",
            ) if batches else output.mkdir(parents=True, exist_ok=True)
            rows = sum(b.num_rows for b in batches)
        else:
            rows = write_events(event_batches(store, network=network), output, kind=fmt)
    click.echo(f"{output}: {rows:,} events")


# -- people -------------------------------------------------------------------------------


@cli.group()
def people() -> None:
    """Say which accounts belong to one person or brand (several per network allowed)."""


def _resolved(store: Store, accounts: tuple[str, ...], *, allow_unknown: bool) -> list[Any]:
    """The accounts as `sway crm enrich` resolves them (handles to ids), see sway.linking;
    each handle found is said on stderr, as is each unknown account let through."""
    from sway.api.index import ServingIndex
    from sway.linking import resolve_accounts
    from sway.store.people import parse_account_ref

    refs = [parse_account_ref(a) for a in accounts]
    index = ServingIndex.build(store, lookups_only=True)
    resolved = resolve_accounts(store, refs, index, allow_unknown=allow_unknown)
    for r in resolved:
        note = f"the account {r.ref}" if r.by_handle else None if r.known else "not in this store"
        if note:
            click.echo(f"{r.given}: {note}", err=True)
    return resolved


@people.command("link")
@click.argument("person")
@click.argument("accounts", nargs=-1, required=True)
@click.option(
    "--allow-unknown",
    is_flag=True,
    help="Link accounts this store does not know yet (their data is ingested later).",
)
@click.pass_context
def people_link(
    ctx: click.Context, person: str, accounts: tuple[str, ...], allow_unknown: bool
) -> None:
    """Link NETWORK:ACCOUNT ... to PERSON (created if new).

    ACCOUNT is the network's account id or the account's handle (@ optional), found as `sway
    crm enrich` finds them; an account the store does not know is refused unless
    --allow-unknown.

    \b
    Examples:
      sway people link ada twitter:ada_l mastodon:ada@hachyderm.io
      sway people link ada twitter:@Ada_L
      sway people link ada bluesky:did:plc:abc123 --allow-unknown
    """
    from sway.store.people import link

    with open_store(ctx) as store:
        resolved = _resolved(store, accounts, allow_unknown=allow_unknown)
        added = link(store, person, [r.ref for r in resolved])
    click.echo(f"{person}: {plural(added, 'account')} linked")


@people.command("unlink")
@click.argument("person")
@click.argument("accounts", nargs=-1, required=True)
@click.pass_context
def people_unlink(ctx: click.Context, person: str, accounts: tuple[str, ...]) -> None:
    """Unlink accounts (NETWORK:ACCOUNT, by account id or handle) from PERSON."""
    from sway.store.people import unlink

    with open_store(ctx) as store:
        resolved = _resolved(store, accounts, allow_unknown=True)
        removed = unlink(store, person, [r.ref for r in resolved])
    click.echo(f"{person}: {plural(removed, 'account')} unlinked")


@people.command("import")
@click.argument("mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def people_import(ctx: click.Context, mapping: Path) -> None:
    """Apply a CSV with columns person,network,account (all or nothing)."""
    from sway.store.people import import_mapping

    with open_store(ctx) as store:
        added = import_mapping(store, mapping)
    click.echo(f"{mapping}: {plural(added, 'link')} added")


@people.command("suggest")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.pass_context
def people_suggest(ctx: click.Context, limit: int) -> None:
    """Suggest accounts on different networks that may be one person (nothing is applied)."""
    from sway.store.people import suggest_links

    with open_store(ctx, read_only=True) as store:
        suggestions = suggest_links(store, limit=limit)
    if not suggestions:
        click.echo("no suggestions")
    for s in suggestions:
        refs = " ".join(str(r) for r in s.accounts)
        click.echo(f"{s.reason} {s.key!r}: sway people link PERSON {refs}")


@people.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of lines.")
@click.pass_context
def people_list(ctx: click.Context, as_json: bool) -> None:
    """List linked people and their accounts."""
    from sway.store.people import linked_people

    with open_store(ctx, read_only=True) as store:
        rows = linked_people(store)
    if as_json:
        click.echo(
            json.dumps(
                [{"person_id": p, "accounts": [str(r) for r in refs]} for p, refs in rows],
                indent=2,
            )
        )
        return
    for person, refs in rows:
        click.echo(f"{person}: {' '.join(str(r) for r in refs)}")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="sway")


# Commands defined in their own modules join the CLI here (after `cli` and its groups exist).
from sway import (  # noqa: E402, F401
    cli_api,
    cli_evaluate,
    cli_integrity,
    cli_privacy,
    cli_scoring,
    cli_topics,
)

if __name__ == "__main__":  # pragma: no cover
    # `python -m sway.cli`: run the imported module's CLI, the one the commands joined.
    from sway.cli import main as imported_main

    imported_main(sys.argv[1:])
