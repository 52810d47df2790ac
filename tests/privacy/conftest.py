"""A small, dense network with one account to erase, known by a distinctive id and handle."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from api.conftest import sway as run_cli
from sway.events import Account, Event
from sway.store import Store

#: The account erased in the tests, and what it is known by. Distinctive, so that a search of
#: the raw bytes of the store cannot hit anything else.
ERASEE_ID = "9917300412"
ERASEE_HANDLE = "Erasee_Handle_4412"
ERASEE = f"twitter:{ERASEE_ID}"
START = datetime(2024, 4, 1, 9, tzinfo=UTC)
AS_OF = "2024-04-10T00:00:00Z"
OTHERS = [f"10{i:02d}" for i in range(12)]


def network_records() -> list[Event | Account]:
    """Posts, replies mentioning the erasee by handle, likes, reposts and follows among 12
    accounts and the erasee, over a week; accounts with handles for everyone."""
    records: list[Event | Account] = [
        Account("twitter", ERASEE_ID, handle=ERASEE_HANDLE, display_name="Erasee Person"),
        *(Account("twitter", o, handle=f"member_{o}") for o in OTHERS),
    ]
    everyone = [ERASEE_ID, *OTHERS]
    n = 0
    for day in range(7):
        for i, author in enumerate(everyone):
            ts = START + timedelta(days=day, minutes=i)
            post = f"p{day}-{author}"
            records.append(
                Event(
                    "twitter", post, ts, author, "post", None, post, None, "notes on #engineering"
                )
            )
            for j in range(1, 4):
                reactor = everyone[(i + j + day) % len(everyone)]
                n += 1
                at = ts + timedelta(minutes=j)
                if j == 1:
                    text = f"@{ERASEE_HANDLE} and @member_{author} agree on engines"
                    records.append(
                        Event("twitter", f"r{n}", at, reactor, "reply", author, f"r{n}", post, text)
                    )
                else:
                    records.append(
                        Event(
                            "twitter", f"like:{reactor}:{post}", at, reactor, "like", author, post
                        )
                    )
    records += [
        Event("twitter", f"follow:{o}:{ERASEE_ID}", START, o, "follow", ERASEE_ID) for o in OTHERS
    ]
    return records


@pytest.fixture(scope="session")
def network_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The network in a store, scored and with topics computed (built once per session)."""
    from sway.store.ingest import ingest_records

    db = tmp_path_factory.mktemp("network") / "sway.duckdb"
    with Store.open(db) as store:
        ingest_records(store, network_records(), source="net", format="test", sha256="0")
    run_cli(db, "people", "link", "erasee", ERASEE, "twitter:1001")
    run_cli(db, "endorse", ERASEE, "twitter:1002", "--topic", "Engineering")
    run_cli(db, "endorse", "twitter:1003", ERASEE, "--topic", "Engineering")
    # A run with the integrity layer on (the default) and one without: the first's summary
    # names accounts (collusion groups, explanation lines), which erasure must reach as well.
    run_cli(db, "score", "--as-of", AS_OF, "-p", "integrity=0")
    run_cli(db, "score", "--as-of", AS_OF)
    run_cli(db, "topics", "compute")
    return db


@pytest.fixture
def network_db(network_template: Path, tmp_path: Path) -> Iterator[Path]:
    """A private copy of the network's store, alone in its own folder."""
    folder = tmp_path / "store"
    folder.mkdir()
    db = folder / "sway.duckdb"
    shutil.copy(network_template, db)
    yield db
