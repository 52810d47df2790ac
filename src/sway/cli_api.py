"""The service commands of the ``sway`` CLI: ``serve``, ``apikey``, ``crm enrich``, ``triage``.

Imported by :mod:`sway.cli` after its groups exist. Thin: each command calls library code
(:mod:`sway.api`, :mod:`sway.crm`, :mod:`sway.triage`).
"""

from __future__ import annotations

import contextlib
import csv
import json
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import click
import orjson
from rich.table import Table

from sway.cli import cli, err_console, fail, open_store, out_console
from sway.errors import SourceError

__all__ = ["follow_chunks"]


def _settings(ctx: click.Context, config: Path | None, **overrides: Any) -> Any:
    from sway.api.settings import Settings

    # The global --db (or $SWAY_DB) wins over `db` in a config file only when it was given.
    source = ctx.find_root().get_parameter_source("db")
    given = source is not None and source != click.core.ParameterSource.DEFAULT
    return Settings.load(config=config, db=ctx.obj["db"] if given else None, **overrides)


def _config_option(func: Any) -> Any:
    return click.option(
        "--config",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="TOML config file ([serve] table).  [default: $SWAY_CONFIG, else ./sway.toml]",
    )(func)


# -- serve --------------------------------------------------------------------------------


@cli.command()
@click.option("--host", default=None, help="Interface to listen on.  [default: 127.0.0.1]")
@click.option(
    "--port", default=None, type=click.IntRange(0, 65535), help="Port; 0 picks a free one."
)
@click.option("--access-log/--no-access-log", default=True, help="Log every request.")
@_config_option
@click.pass_context
def serve(
    ctx: click.Context, host: str | None, port: int | None, access_log: bool, config: Path | None
) -> None:
    """Serve the API: our REST routes under /v1, Klout-v2-shaped routes under /v2, OpenAPI at
    /openapi.json and interactive docs at /docs.

    The server reads the store through short read-only sessions and an in-memory index of
    the latest run, so `sway ingest`, `sway score` and `sway apikey` keep working beside it;
    it picks their changes up within seconds (see docs/api.md).

    \b
    Examples:
      sway serve                                  # http://127.0.0.1:8000/docs
      sway --db team.duckdb serve --port 9000
      sway apikey create --name crm --scope read  # then: curl -H "X-API-Key: KEY" ...
    """
    import socket

    import uvicorn

    from sway.api.app import create_app
    from sway.api.logs import log_config
    from sway.api.state import ServiceState

    settings = _settings(ctx, config, host=host, port=port)
    state = ServiceState(settings)
    state.start(background=False)  # fail here, with a clean message, if the store is unusable
    app = create_app(settings, state=state)
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.host, settings.port))
    except OSError as exc:
        state.stop()
        fail(f"cannot listen on {settings.host}:{settings.port} ({exc.strerror})")
    bound = sock.getsockname()[1]
    url = f"http://{settings.host if ':' not in settings.host else f'[{settings.host}]'}:{bound}"

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                # Printed once listening, alone on its line, so that scripts can wait for it.
                click.echo(f"sway: serving {url} (docs at {url}/docs) from {settings.db}")
                sys.stdout.flush()

    server = Server(
        uvicorn.Config(
            app,
            lifespan="on",
            access_log=access_log,
            log_config=log_config(),
            log_level="info",
            server_header=False,
        )
    )
    server.run(sockets=[sock])


# -- apikey -------------------------------------------------------------------------------


@cli.group()
def apikey() -> None:
    """Create, list and revoke API keys (stored hashed; a key is shown once)."""


@apikey.command("create")
@click.option("--name", required=True, help="What the key is for (shown in lists and logs).")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(["read", "crm", "write", "admin"]),
    help="What it may do (repeatable): read, crm, write, admin.",
)
@click.option(
    "--person",
    default=None,
    help="Make the person's own key instead (scope self: their data only).",
)
@click.option(
    "--per-second",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Its own rate limit per second.  [default: the server's, 10]",
)
@click.option(
    "--per-day",
    type=click.IntRange(min=1),
    default=None,
    help="Its own quota per UTC day.  [default: the server's, 10,000]",
)
@click.pass_context
def apikey_create(
    ctx: click.Context,
    name: str,
    scopes: tuple[str, ...],
    person: str | None,
    per_second: float | None,
    per_day: int | None,
) -> None:
    """Create a key and print it, alone on stdout (capture it: it is not shown again).

    \b
    Examples:
      sway apikey create --name dashboard --scope read
      KEY=$(sway apikey create --name care --scope read --scope crm)
      sway apikey create --name loader --scope write --per-second 50 --per-day 1000000
      sway apikey create --name ada-own --person ada
    """
    from sway.api.keys import create_key

    if person is not None and scopes:
        fail("a person's own key has the scope self alone: drop --scope")
    if person is None and not scopes:
        fail("give --scope (read, crm, write, admin) or --person")
    with open_store(ctx) as store:
        new = create_key(
            store,
            name=name,
            scopes=("self",) if person is not None else scopes,
            rate_per_second=per_second,
            rate_per_day=per_day,
            person_id=person,
        )
    click.echo(
        f"created key {new.key.key_id} ({name}; scopes {', '.join(sorted(new.key.scopes))}); "
        "it is printed once, on stdout",
        err=True,
    )
    click.echo(new.secret)


@apikey.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def apikey_list(ctx: click.Context, as_json: bool) -> None:
    """List keys (ids, names, scopes, limits, last use; never the secrets)."""
    from sway.api.keys import list_keys

    with open_store(ctx, read_only=True) as store:
        keys = list_keys(store)
    if as_json:
        click.echo(json.dumps([k.as_dict() for k in keys], indent=2))
        return
    table = Table("key id", "name", "scopes", "limits", "created", "last used", "revoked")
    for k in keys:
        limits = f"{k.rate_per_second or 'default'}/s, {k.rate_per_day or 'default'}/day"
        table.add_row(
            k.key_id,
            k.name,
            ",".join(sorted(k.scopes)),
            limits,
            k.created_at.isoformat(timespec="seconds"),
            "" if k.last_used_at is None else k.last_used_at.isoformat(timespec="seconds"),
            "" if k.revoked_at is None else k.revoked_at.isoformat(timespec="seconds"),
        )
    out_console.print(table)


@apikey.command("revoke")
@click.argument("key_id")
@click.pass_context
def apikey_revoke(ctx: click.Context, key_id: str) -> None:
    """Revoke the key KEY_ID (a running server stops accepting it within seconds)."""
    from sway.api.keys import revoke_key

    with open_store(ctx) as store:
        key = revoke_key(store, key_id)
    click.echo(f"revoked key {key.key_id} ({key.name})")


# -- crm ----------------------------------------------------------------------------------


@cli.group()
def crm() -> None:
    """Social-CRM: customer records with influence and a priority."""


def _read_records(path: Path) -> tuple[list[str], list[dict[str, Any]], bool]:
    """``(columns, rows, is_csv)`` from a CSV, JSON Lines or JSON-array file (or ``-``)."""
    from sway.crm import read_records

    raw = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SourceError("not UTF-8 text", path=path) from None
    return read_records(text, path=str(path))


def _load_index(ctx: click.Context) -> Any:
    from sway.api.index import ServingIndex

    with open_store(ctx, read_only=True) as store:
        return ServingIndex.build(store, lookups_only=True)


@crm.command("enrich")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path, allow_dash=True))
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path, allow_dash=True),
    help="Where to write: .csv (the input's columns, then sway_*), .jsonl, or - for stdout.",
)
@click.option(
    "--weights",
    default=None,
    metavar="NAME=X,...",
    help="Override priority weights, e.g. value=0.6,history=0.1,influence=0.3.",
)
@_config_option
@click.pass_context
def crm_enrich(
    ctx: click.Context,
    input_path: Path,
    output: Path,
    weights: str | None,
    config: Path | None,
) -> None:
    """Add score, networks, topics and a priority to customer records.

    INPUT is CSV (columns id, email, lifetime_value, orders, customer_since, open_tickets and
    handle_<network> such as handle_twitter; other columns are kept), JSON Lines or a JSON
    list (with "handles": {"twitter": "jack"}). The priority formula is in docs/api.md.

    \b
    Examples:
      sway crm enrich customers.csv --output enriched.csv
      sway crm enrich customers.jsonl -o - --weights influence=0.5
    """
    from sway.crm import CSV_COLUMNS, CrmWeights, csv_cells, enrich, parse_customer, parse_weights

    settings = _settings(ctx, config)
    w: CrmWeights = settings.crm
    if weights:
        w = CrmWeights.from_mapping({**w.as_dict(), **parse_weights(weights)})
    header, rows, is_csv = _read_records(input_path)
    customers = []
    for i, row in enumerate(rows):
        try:
            customers.append(parse_customer(row, record=i + 1))
        except SourceError as exc:
            where = {"line": i + 2} if is_csv else {"record": i + 1}
            raise SourceError(exc.message, path=input_path, field=exc.field, **where) from None
    index = _load_index(ctx)
    started = time.perf_counter()
    today = datetime.now(UTC).date()
    results = enrich(customers, index, w, as_of=today)
    as_csv = output.suffix.lower() == ".csv" or (str(output) == "-" and is_csv)
    count = 0
    with _open_out(output) as fh:
        if as_csv:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow([*header, *CSV_COLUMNS])
            for row, result in zip(rows, results, strict=True):
                writer.writerow([*(_cell(row.get(h)) for h in header), *csv_cells(result)])
                count += 1
        else:
            for result in results:
                fh.write(orjson.dumps(result.as_dict()).decode())
                fh.write("\n")
                count += 1
    if str(output) != "-":
        err_console.print(
            f"{output}: {count:,} records enriched in {time.perf_counter() - started:.1f} s"
        )


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return str(value)


class _Stdout:
    def __enter__(self) -> IO[str]:
        return sys.stdout

    def __exit__(self, *exc: object) -> None:
        sys.stdout.flush()


def _open_out(path: Path) -> Any:
    if str(path) == "-":
        return _Stdout()
    return path.open("w", encoding="utf-8", newline="")


# -- triage -------------------------------------------------------------------------------


def follow_chunks(
    source: IO[bytes], *, follow: bool, idle_timeout: float | None, poll: float = 0.05
) -> Iterator[list[bytes]]:
    """Whole lines of ``source`` as they arrive, in chunks of what could be read at once; with
    ``follow``, keep waiting at the end of the file for more (like ``tail -f``) until
    ``idle_timeout`` seconds pass without any. A line still being written waits for its end."""
    read = getattr(source, "read1", source.read)
    pending = b""
    idle_since = time.monotonic()
    while True:
        data = read(1 << 16)
        if data:
            idle_since = time.monotonic()
            lines = (pending + data).split(b"\n")
            pending = lines.pop()
            if lines:
                yield lines
            continue
        if not follow:
            break
        if idle_timeout is not None and time.monotonic() - idle_since >= idle_timeout:
            break
        time.sleep(poll)
    if pending.strip():
        yield [pending]


#: The triager of this process; worker processes inherit it when forked (copy-on-write: the
#: index's arrays are shared, not copied).
_TRIAGER: Any = None

#: ``(priority, output JSON, error)``: ``priority`` is None for a bad line; ``error`` is then
#: ``(field, message)``. Plain tuples: they cross process boundaries cheaply.
Outcome = tuple[float | None, bytes, tuple[str | None, str] | None]


def _triage_batch(batch: list[tuple[int, bytes]]) -> list[Outcome]:
    from sway.triage import parse_message

    triager = _TRIAGER
    out: list[Outcome] = []
    for number, line in batch:
        try:
            try:
                row = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise SourceError(f"not valid JSON ({exc})", line=number) from None
            result = triager.triage(parse_message(row, record=number))
        except SourceError as exc:
            error = {"error": {"line": number, "field": exc.field, "message": exc.message}}
            out.append((None, orjson.dumps(error), (exc.field, exc.message)))
            continue
        out.append((result.priority, orjson.dumps(result.as_dict()), None))
    return out


def _batches(
    chunks: Iterator[list[bytes]], *, most: int = 512
) -> Iterator[list[tuple[int, bytes]]]:
    """Numbered non-blank lines, in batches of at most ``most`` of those already read: a batch
    never waits for lines still to come, so streaming latency stays one read's work."""
    number = 0
    for chunk in chunks:
        batch: list[tuple[int, bytes]] = []
        for line in chunk:
            number += 1
            if line.strip():
                batch.append((number, line))
                if len(batch) == most:
                    yield batch
                    batch = []
        if batch:
            yield batch


def _run_batches(
    batches: Iterator[list[tuple[int, bytes]]], workers: int
) -> Iterator[list[Outcome]]:
    """:func:`_triage_batch` over ``batches`` in order, on ``workers`` forked processes."""
    import multiprocessing

    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield from map(_triage_batch, batches)
        return
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        yield from pool.imap(_triage_batch, batches)


@cli.command()
@click.argument(
    "input_path",
    metavar="[INPUT]",
    required=False,
    type=click.Path(path_type=Path, allow_dash=True),
)
@click.option(
    "--follow",
    "follow_path",
    default=None,
    metavar="FILE|-",
    type=click.Path(path_type=Path, allow_dash=True),
    help="Stream: triage each line as it arrives (FILE is followed as it grows; - is stdin).",
)
@click.option(
    "--idle-timeout",
    type=click.FloatRange(min=0),
    default=None,
    help="With --follow FILE: stop after this many seconds without a new line.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Processes triaging in parallel (forked; output order is kept).",
)
@_config_option
@click.pass_context
def triage(
    ctx: click.Context,
    input_path: Path | None,
    follow_path: Path | None,
    idle_timeout: float | None,
    workers: int,
    config: Path | None,
) -> None:
    """Order incoming messages by priority, with the reasons.

    Messages are JSON lines: {"network": ..., "author": ..., "text": ...} and optional id,
    received_at and customer fields (lifetime_value, orders, customer_since, open_tickets).
    Without --follow, INPUT is read whole and printed as the ordered queue; with --follow,
    each message is printed as soon as it is triaged, in arrival order. A bad line prints an
    error object and the stream goes on. Formula and ordering rule: docs/api.md.

    \b
    Examples:
      sway triage inbox.jsonl
      tail -f inbox.jsonl | sway triage --follow -
      sway triage --follow inbox.jsonl --idle-timeout 60 --workers 2
    """
    global _TRIAGER
    from sway.triage import Triager

    if (input_path is None) == (follow_path is None):
        fail("give INPUT, or --follow FILE|- (one of them)")
    settings = _settings(ctx, config)
    _TRIAGER = Triager(_load_index(ctx), weights=settings.triage, crm_weights=settings.crm)
    path = follow_path or input_path
    assert path is not None
    stream = sys.stdin.buffer if str(path) == "-" else path.open("rb")
    out = sys.stdout.buffer
    following = follow_path is not None
    try:
        chunks = follow_chunks(
            stream, follow=following and str(path) != "-", idle_timeout=idle_timeout
        )
        queue_: list[tuple[float, int, bytes]] = []
        for outcomes in _run_batches(_batches(chunks), workers):
            for priority, data, error in outcomes:
                if following:
                    out.write(data + b"\n")
                elif priority is None:
                    assert error is not None
                    line = orjson.loads(data)["error"]["line"]
                    raise SourceError(error[1], path=path, line=line, field=error[0])
                else:
                    queue_.append((-priority, len(queue_), data))
            if following:
                out.flush()
        # The queue: highest priority first; equal priorities keep arrival order.
        for position, (_, _, data) in enumerate(sorted(queue_), 1):
            out.write(b'{"position":' + str(position).encode() + b"," + data[1:] + b"\n")
    except KeyboardInterrupt:
        pass
    except BrokenPipeError:
        return
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
        with contextlib.suppress(BrokenPipeError):
            out.flush()
