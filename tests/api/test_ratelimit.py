"""Per-key rate limits: the token bucket and the daily quota, on our routes and Klout's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from api.conftest import settings_for
from sway.api.app import create_app
from sway.api.keys import create_key
from sway.api.ratelimit import RateLimiter
from sway.api.state import ServiceState
from sway.store import Store
from sway.store.queries import klout_id


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0
        self.moment = datetime(2024, 5, 1, 23, 59, 58, tzinfo=UTC)

    def monotonic(self) -> float:
        return self.t

    def now(self) -> datetime:
        return self.moment

    def advance(self, seconds: float) -> None:
        self.t += seconds
        self.moment += timedelta(seconds=seconds)


def test_bucket_allows_a_burst_then_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(clock=clock.monotonic, now=clock.now)
    decisions = [limiter.check("k", per_second=10, per_day=10_000) for _ in range(11)]
    assert all(d.allowed for d in decisions[:10])
    refused = decisions[10]
    assert not refused.allowed and refused.limit == "second" and refused.retry_after == 1
    clock.advance(0.1)  # a tenth of a second refills one call
    assert limiter.check("k", per_second=10, per_day=10_000).allowed
    assert not limiter.check("k", per_second=10, per_day=10_000).allowed
    assert limiter.check("other", per_second=10, per_day=10_000).allowed  # keys are separate


def test_daily_quota_resets_at_midnight_utc() -> None:
    clock = Clock()
    limiter = RateLimiter(clock=clock.monotonic, now=clock.now)
    assert limiter.check("k", per_second=100, per_day=2).remaining_day == 1
    assert limiter.check("k", per_second=100, per_day=2).remaining_day == 0
    refused = limiter.check("k", per_second=100, per_day=2)
    assert not refused.allowed and refused.limit == "day"
    assert refused.retry_after == 2  # 23:59:58 -> midnight
    clock.advance(2)
    assert limiter.check("k", per_second=100, per_day=2).allowed


def test_quota_used_before_a_restart_still_counts() -> None:
    clock = Clock()
    limiter = RateLimiter(clock=clock.monotonic, now=clock.now)
    limiter.preload(clock.now().date(), {"k": 5})
    assert not limiter.check("k", per_second=100, per_day=5).allowed
    assert limiter.check("k", per_second=100, per_day=6).allowed


def test_our_routes_answer_429_with_retry_after(db: Path) -> None:
    with Store.open(db) as store:
        key = create_key(store, name="slow", scopes=["read"], rate_per_second=2).secret
    # A clock that stands still: on a loaded machine the real one can refill the bucket between
    # two requests and the third call would pass.
    state = ServiceState(settings_for(db))
    state.limiter = RateLimiter(clock=Clock().monotonic)
    with TestClient(create_app(settings_for(db), state=state)) as client:
        codes = [client.get("/v1/runs", headers={"X-API-Key": key}) for _ in range(3)]
        assert [r.status_code for r in codes] == [200, 200, 429]
        body = codes[2].json()["error"]
        assert body["code"] == "rate_limited" and body["field"] == "second"
        assert int(codes[2].headers["Retry-After"]) >= 1
        # Klout routes refuse as Mashery did: 403, with Retry-After and the Mashery code.
        klout = client.get(f"/v2/user.json/{klout_id('breaking')}/score?key={key}")
        assert klout.status_code == 403
        assert klout.json() == {"error": 403, "description": "Developer Over Qps"}
        assert klout.headers["X-Mashery-Error-Code"] == "ERR_403_DEVELOPER_OVER_QPS"
        assert klout.headers["Retry-After"] == "1"


def test_daily_quota_is_kept_across_restarts(db: Path) -> None:
    with Store.open(db) as store:
        key = create_key(store, name="daily", scopes=["read"], rate_per_day=3).secret
    with TestClient(create_app(settings_for(db))) as client:
        assert [
            client.get("/v1/runs", headers={"X-API-Key": key}).status_code for _ in range(2)
        ] == [200, 200]
    # A new server reads today's count from the store (written at shutdown).
    state = ServiceState(settings_for(db))
    with TestClient(create_app(settings_for(db), state=state)) as client:
        assert client.get("/v1/runs", headers={"X-API-Key": key}).status_code == 200
        refused = client.get(f"/v2/user.json/{klout_id('breaking')}?key={key}")
        assert refused.status_code == 403
        assert refused.json()["description"] == "Developer Over Rate"
        assert refused.headers["X-Mashery-Error-Code"] == "ERR_403_DEVELOPER_OVER_RATE"
        # A key without the scope is refused before its limits are looked at.
        assert client.get("/v1/admin/usage", headers={"X-API-Key": key}).status_code == 403
    with Store.open(db, read_only=True) as store:
        calls, limited = store.rows(
            "SELECT calls, limited FROM api_usage WHERE key_id = ?", [key.split("_")[1]]
        )[0]
    assert (calls, limited) == (3, 1)  # refused calls do not use the quota
