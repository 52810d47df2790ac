"""Volatility of daily scores on the seeded community, integrity on."""

from __future__ import annotations

from datetime import timedelta

from sway.cli_integrity import volatility

from .helpers import T0, community


def test_steady_accounts_move_under_one_point_a_day() -> None:
    events = community(accounts=30, days=60)
    result = volatility(
        events, None, start=T0 + timedelta(days=50), end=T0 + timedelta(days=55), integrity=True
    )
    assert result["days"] == 6
    assert result["steady_accounts"] >= 20
    assert 0.0 < result["median_change"] < 1.0, result
