"""Bad keys and failed logins, throttled per client address (``sway.api.throttle``): the
rule on a hand-driven clock, then over HTTP (the API's routes, the Klout routes, and the
dashboard's login sharing the count)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.conftest import Keys, settings_for
from sway.api.app import create_app
from sway.api.throttle import FailureThrottle
from sway.store.queries import klout_id

BAD = "sway_nope1234_" + "x" * 43


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_five_failures_refuse_the_address_for_a_doubling_wait() -> None:
    clock = Clock()
    throttle = FailureThrottle(limit=5, window=900, delay=60, max_delay=240, clock=clock)
    assert [throttle.failed("a") for _ in range(4)] == [0, 0, 0, 0]
    assert throttle.retry_after("a") == 0
    assert throttle.failed("a") == 60  # the fifth
    assert throttle.retry_after("a") == 60 and throttle.retry_after("b") == 0
    clock.now += 59.5
    assert throttle.retry_after("a") == 1
    clock.now += 0.5
    assert throttle.retry_after("a") == 0
    # Each failure after a wait, within the window, doubles the next wait, up to the cap.
    assert throttle.failed("a") == 120
    clock.now += 120
    assert throttle.failed("a") == 240
    clock.now += 240
    assert throttle.failed("a") == 240
    # A success forgets the address.
    throttle.succeeded("a")
    assert throttle.retry_after("a") == 0 and throttle.failed("a") == 0


def test_failures_further_apart_than_the_window_are_forgotten() -> None:
    clock = Clock()
    throttle = FailureThrottle(limit=3, window=60, delay=10, clock=clock)
    for _ in range(10):
        assert throttle.failed("a") == 0
        clock.now += 61
    assert [throttle.failed("a") for _ in range(3)] == [0, 0, 10]  # all within the window
    # Forgotten a window after the end of the wait: the next lockout starts from the
    # first delay again.
    clock.now += 10 + 60
    assert throttle.retry_after("a") == 0 and len(throttle) == 0
    assert [throttle.failed("a") for _ in range(3)] == [0, 0, 10]


def test_memory_stays_bounded_dropping_the_stalest_addresses() -> None:
    clock = Clock()
    throttle = FailureThrottle(limit=2, max_clients=3, clock=clock)
    for n in range(10):
        throttle.failed(f"10.0.0.{n}")
        clock.now += 1
    assert len(throttle) == 3
    assert throttle.failed("10.0.0.9") > 0  # the newest kept its first failure
    assert throttle.failed("10.0.0.0") == 0  # the oldest was dropped and starts again


def test_parameters_are_checked() -> None:
    with pytest.raises(ValueError):
        FailureThrottle(limit=0)
    with pytest.raises(ValueError):
        FailureThrottle(delay=120, max_delay=60)


def test_bad_keys_lock_the_address_out_even_with_a_good_key(db: Path, keys: Keys) -> None:
    with TestClient(create_app(settings_for(db))) as client:
        # Calls without any key are no guess: not counted.
        assert {client.get("/v1/runs").status_code for _ in range(8)} == {401}
        assert client.get("/v1/runs", headers=keys.header("read")).status_code == 200
        bad = [
            client.get("/v1/runs", headers={"Authorization": f"Bearer {BAD}"}).status_code,
            client.get("/v1/runs", headers={"X-API-Key": "not a key"}).status_code,
            client.get(f"/v2/user.json/{klout_id('breaking')}?key={BAD}").status_code,
            client.get("/v1/runs", headers={"X-API-Key": BAD}).status_code,
            client.get("/v1/runs", headers={"X-API-Key": BAD}).status_code,
        ]
        assert bad == [401, 401, 403, 401, 401]
        refused = client.get("/v1/runs", headers=keys.header("read"))
        assert refused.status_code == 429
        error = refused.json()["error"]
        assert error["code"] == "too_many_failures" and "retry after" in error["message"]
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        # The Klout routes refuse as Mashery did (403 with Retry-After).
        klout = client.get(f"/v2/user.json/{klout_id('breaking')}?key={keys.read}")
        assert klout.status_code == 403 and int(klout.headers["Retry-After"]) >= 1
        # The dashboard's login counts the same address: refused too.
        login = client.post(
            "/login",
            data={"key": keys.read, "next": "/"},
            headers={"Origin": "http://testserver"},
            follow_redirects=False,
        )
        assert login.status_code == 429 and "Retry-After" in login.headers
