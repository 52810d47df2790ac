"""Every attack kind: reproducible, aimed at its target, and resisted by the integrity layer."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import sway.cli_integrity  # noqa: F401  (registers the commands until sway.cli imports it)
from sway.cli import cli
from sway.cli_integrity import run_attack
from sway.integrity.attacks import ATTACK_KINDS, inject_attack

from .helpers import community

BASE = community()
TARGET = "u20"  # a mid-popularity honest account


@pytest.mark.parametrize("kind", ATTACK_KINDS)
def test_attack_is_reproducible_and_adds_events(kind: str) -> None:
    a = inject_attack(BASE, None, kind=kind, size=10, network="x", target=TARGET, seed=3)
    b = inject_attack(BASE, None, kind=kind, size=10, network="x", target=TARGET, seed=3)
    assert a.events.equals(b.events)
    assert a.added > 0 and a.events.num_rows == BASE.num_rows + a.added
    assert BASE.num_rows == community().num_rows  # the original is untouched
    targets = set(a.events.slice(BASE.num_rows)["target"].drop_null().to_pylist())
    assert TARGET in targets or kind == "fresh-account"


#: Families the layer does not stop yet (docs/integrity.md, "Attacks designed with the code
#: in hand"): strict, so that the day one is stopped the marker has to go.
NOT_STOPPED = {"capture-ring", "slow-drip", "aged-ring", "mimic", "bought-standing"}


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param(
            k,
            marks=pytest.mark.xfail(strict=True, reason="not stopped yet: docs/integrity.md"),
        )
        if k in NOT_STOPPED
        else k
        for k in ATTACK_KINDS
    ],
)
def test_attack_meets_the_aims(kind: str) -> None:
    """The aims of docs/integrity.md on the seeded community: an attack lifts its target by at
    most 2 points, honest accounts move by at most 0.5 on average, a fresh account stays under
    30; without the integrity layer the same attack works (so the test can fail)."""
    # Five real fans for the fresh account: more would be an eighth of this 40-account
    # community changing its own behaviour (their selectivity falls), not bystander noise.
    target, size = ("fresh1", 5) if kind == "fresh-account" else (TARGET, 50)
    on = run_attack(BASE, None, kind=kind, size=size, network="x", target=target, seed=1)
    off = run_attack(
        BASE, None, kind=kind, size=size, network="x", target=target, seed=1, integrity=False
    )
    assert off.lift > 5, off
    assert on.honest_accounts > 0
    assert on.honest_mean_move <= 0.5, on
    if kind == "fresh-account":
        assert on.after < 30, on
    else:
        assert on.lift <= 2.0, on


def test_large_bot_ring_lifts_at_most_five_points() -> None:
    on = run_attack(BASE, None, kind="bot-ring", size=500, network="x", target=TARGET, seed=2)
    assert on.lift <= 5.0, on
    assert on.honest_mean_move <= 0.5, on


def test_attack_command(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sway.store import Store

    db = tmp_path / "s.duckdb"
    with Store.open(db) as store:
        store.con.register("base", BASE)
        cols = ", ".join(BASE.column_names)
        store.con.execute(f"INSERT INTO events ({cols}, ingest_id) SELECT {cols}, 1 FROM base")
    result = CliRunner().invoke(
        cli,
        ["--db", str(db), "attack", "--kind", "bot-ring", "--size", "5", "--target", f"x:{TARGET}"],
    )
    assert result.exit_code == 0, result.output
    assert "integrity on" in result.output and "integrity off" in result.output


def test_a_capture_holds_nothing_from_before_its_start() -> None:
    """In a short capture, what the attackers did before the capture began is not in the data
    (otherwise the attack would lengthen the capture and switch on rules that need history)."""
    from datetime import timedelta

    import pyarrow.compute as pc

    end = pc.max(BASE["ts"]).as_py()
    start = end - timedelta(days=3)
    full = inject_attack(BASE, None, kind="aged-ring", size=10, network="x", target=TARGET)
    clipped = inject_attack(
        BASE, None, kind="aged-ring", size=10, network="x", target=TARGET, capture_start=start
    )
    added = clipped.events.slice(BASE.num_rows)
    assert 0 < clipped.added < full.added
    assert pc.min(added["ts"]).as_py() >= start
    assert pc.min(full.events.slice(BASE.num_rows)["ts"]).as_py() < start
