"""Credibility rules on tiny hand-built data."""

from __future__ import annotations

from datetime import timedelta

import pyarrow as pa

from sway.events import ACCOUNT_SCHEMA
from sway.integrity import IntegrityParams, compute_integrity
from sway.integrity.signals import normalise_text

from .helpers import T0, table

AS_OF = T0 + timedelta(days=60)


def _report(rows: list[dict[str, object]], accounts: pa.Table | None = None):  # type: ignore[no-untyped-def]
    return compute_integrity(table(rows), as_of=AS_OF, window_days=90, accounts=accounts)


def test_normalise_text_ignores_links_mentions_digits() -> None:
    assert normalise_text("Buy NOW http://a.b/1 @bob #deal 42!") == normalise_text("buy now @al")


def test_honest_reactor_keeps_full_credibility() -> None:
    rows = [
        {
            "ts": T0 + timedelta(days=d),
            "actor": "a",
            "action": "like",
            "target": "b",
            "content_id": f"b{d}",
        }
        for d in range(10)
    ]
    assert _report(rows).credibility_of("x", "a") == 1.0


def test_busy_reactor_loses_credibility_in_proportion() -> None:
    rows = [
        {
            "ts": T0 + timedelta(days=1, seconds=7 * i + (i % 5) * 300),
            "actor": "bot",
            "action": "like",
            "target": f"t{i}",
            "content_id": f"p{i}",
        }
        for i in range(200)
    ]
    report = _report(rows)
    assert report.credibility_of("x", "bot") <= 50 / 200 + 1e-9
    assert any("reactions a day" in r for r in report.reasons["x:bot"])


def test_timer_like_account_is_discounted() -> None:
    rows = [
        {
            "ts": T0 + timedelta(hours=6 * i),
            "actor": "tick",
            "action": "post",
            "content_id": f"p{i}",
        }
        for i in range(40)
    ]
    report = _report(rows)
    assert report.credibility_of("x", "tick") < 0.35
    assert "timer" in report.reasons["x:tick"][0]


def test_duplicate_texts_are_discounted() -> None:
    rows = [
        {
            "ts": T0 + timedelta(days=i, minutes=i * 37 % 500),
            "actor": "spam",
            "action": "post",
            "content_id": f"p{i}",
            "text": f"Win big at http://x.y/{i} @u{i}",
        }
        for i in range(10)
    ]
    # 9 of 10 texts repeat another: 1 - 0.9 * (0.9 - 0.3) / (1 - 0.3)
    assert abs(_report(rows).credibility_of("x", "spam") - (1 - 0.9 * 0.6 / 0.7)) < 1e-12


def test_reply_spam_at_silent_high_profile_accounts() -> None:
    p = IntegrityParams()
    rows: list[dict[str, object]] = []
    for c in range(12):  # twelve celebrities with many fans each
        rows += [
            {
                "ts": T0 + timedelta(days=1),
                "actor": f"fan{c}-{f}",
                "action": "like",
                "target": f"celeb{c}",
                "content_id": f"c{c}",
            }
            for f in range(p.high_profile_reactors)
        ]
        rows.append(
            {
                "ts": T0 + timedelta(days=2, hours=c),
                "actor": "spammer",
                "action": "mention",
                "target": f"celeb{c}",
            }
        )
    report = _report(rows)
    assert report.credibility_of("x", "spammer") <= 0.1 + 1e-9
    assert report.credibility_of("x", "fan0-0") == 1.0


def test_declared_bot_and_follow_farm_from_accounts_table() -> None:
    rows = [
        {
            "ts": T0 + timedelta(days=1),
            "actor": who,
            "action": "like",
            "target": "z",
            "content_id": "z1",
        }
        for who in ("bot", "farmer", "person")
    ]
    accounts = pa.Table.from_pylist(
        [
            {"network": "x", "account_id": "bot", "is_bot": True},
            {"network": "x", "account_id": "farmer", "following": 5000, "followers": 3},
            {"network": "x", "account_id": "person", "following": 300, "followers": 200},
        ],
        schema=ACCOUNT_SCHEMA,
    )
    report = _report(rows, accounts)
    assert report.credibility_of("x", "bot") == IntegrityParams().bot_credibility
    assert report.credibility_of("x", "farmer") == 0.2
    assert report.credibility_of("x", "person") == 1.0


def test_new_account_ramps_in_and_is_capped() -> None:
    rows = [
        {
            "ts": T0 + timedelta(days=59),
            "actor": "new",
            "action": "like",
            "target": "z",
            "content_id": "z1",
        }
    ]
    accounts = pa.Table.from_pylist(
        [{"network": "x", "account_id": "new", "created_at": AS_OF - timedelta(days=6)}],
        schema=ACCOUNT_SCHEMA,
    )
    report = compute_integrity(
        table(rows), as_of=AS_OF, window_days=90, accounts=accounts, fresh_raw_cap=0.2
    )
    row = report.credibility.to_pylist()[0]
    # Six days old: inside the 14-day probation, so it counts nothing as an endorser yet.
    assert row["credibility"] == 0.0
    assert row["max_raw"] == 0.2 * (6 / 14) ** 2
    assert "newcomer" in report.reasons["x:new"][0]


def test_newcomer_earns_weight_linearly_after_probation() -> None:
    p = IntegrityParams()
    # "old" interacts from the start of the data (any age); "late" first interacts 22 days
    # before as_of, 38 days after the data starts: half-way between probation and full weight.
    rows = [
        {"ts": T0, "actor": "old", "action": "like", "target": "z", "content_id": "z0"},
        {
            "ts": AS_OF - timedelta(days=22),
            "actor": "late",
            "action": "like",
            "target": "z",
            "content_id": "z1",
        },
    ]
    report = _report(rows)
    expected = (22 - p.probation_days) / (p.ramp_days - p.probation_days)
    assert abs(report.credibility_of("x", "late") - expected) < 1e-9
    assert report.credibility_of("x", "old") == 1.0


def test_history_before_the_window_makes_an_account_established() -> None:
    rows = [
        {
            "ts": AS_OF - timedelta(days=2),
            "actor": "back",
            "action": "like",
            "target": "z",
            "content_id": "z1",
        },
        {"ts": T0, "actor": "o", "action": "like", "target": "z", "content_id": "z0"},
    ]
    history = pa.table(
        {
            "network": ["x"],
            "account_id": ["back"],
            "first_us": pa.array([int((T0.timestamp() - 400 * 86400) * 1e6)], pa.int64()),
        }
    )
    with_history = compute_integrity(
        table(rows),
        as_of=AS_OF,
        window_days=90,
        history=history,
        data_start=T0 - timedelta(days=800),
    )
    without = _report(rows)
    assert with_history.credibility_of("x", "back") == 1.0
    assert without.credibility_of("x", "back") == 0.0


def test_ring_is_named_and_its_internal_reactions_discounted() -> None:
    ring = [f"r{i}" for i in range(5)]
    rows = [
        {
            "ts": T0 + timedelta(days=d, hours=i),
            "actor": a,
            "action": "like",
            "target": b,
            "content_id": f"{b}-{d}",
        }
        for d in range(3)
        for i, a in enumerate(ring)
        for b in ring
        if a != b
    ]
    rows.append(
        {"ts": T0, "actor": "outsider", "action": "like", "target": "r0", "content_id": "r0-0"}
    )
    report = _report(rows)
    assert report.groups == {"ring-1": [f"x:{r}" for r in ring]}
    pairs = report.pairs.to_pylist()
    assert len(pairs) == 20 and all(p["factor"] == 0.1 for p in pairs)
    assert report.credibility_of("x", "outsider") == 1.0


def test_one_off_burst_is_damped_relative_to_baseline() -> None:
    rows = [
        {
            "ts": T0 + timedelta(days=10, minutes=i),
            "actor": f"f{i}",
            "action": "like",
            "target": "star",
            "content_id": "s1",
        }
        for i in range(45)
    ]
    bursts = _report(rows).bursts.to_pylist()
    assert len(bursts) == 1
    # Baseline 1 a day (the floor): the limit is burst_ratio reactions, each of the 45 counts
    # sqrt(limit / 45).
    limit = IntegrityParams().burst_ratio
    assert abs(bursts[0]["factor"] - (limit / 45) ** 0.5) < 1e-12


def test_newcomer_answered_by_established_accounts_counts() -> None:
    late = AS_OF - timedelta(days=3)

    def like(actor: str, target: str, ts: object, post: str) -> dict[str, object]:
        return {"ts": ts, "actor": actor, "action": "like", "target": target, "content_id": post}

    rows = [
        like("old1", "z", T0, "z0"),
        like("old2", "z", T0, "z1"),
        # "welcomed" is answered by two established accounts; "guest" only by its host "old1".
        like("welcomed", "z", late, "z2"),
        like("old1", "welcomed", late, "w1"),
        like("old2", "welcomed", late, "w2"),
        like("guest", "old1", late, "o1"),
        like("old1", "guest", late, "g1"),
        like("lonely", "z", late, "z3"),
    ]
    report = _report(rows)
    assert report.credibility_of("x", "welcomed") == 1.0
    assert report.credibility_of("x", "lonely") == 0.0
    # The host cannot vouch for its guest's reactions to itself.
    assert report.credibility_of("x", "guest") == 1.0
    pairs = {(r["src"], r["dst"]): r["factor"] for r in report.pairs.to_pylist()}
    assert pairs[("guest", "old1")] == 0.0
    assert ("welcomed", "z") not in pairs


def _repost(actor: str, target: str, ts: object, post: str) -> dict[str, object]:
    return {"ts": ts, "actor": actor, "action": "repost", "target": target, "content_id": post}


def test_newcomers_count_as_far_as_established_accounts_share_the_post() -> None:
    late = AS_OF - timedelta(days=3)
    ratio = IntegrityParams().crowd_ratio
    # Two established accounts and twenty newcomers repost "src"'s post "viral"; thirty
    # newcomers repost "quiet"'s post "alone", which no established account touched.
    rows = [_repost(f"old{i}", "z", T0, f"z{i}") for i in range(2)]
    rows += [_repost(f"old{i}", "src", late, "viral") for i in range(2)]
    rows += [_repost(f"new{i}", "src", late, "viral") for i in range(20)]
    rows += [_repost(f"bot{i}", "quiet", late, "alone") for i in range(30)]
    report = _report(rows)
    pairs = {(r["src"], r["dst"]): r["factor"] for r in report.pairs.to_pylist()}
    # Together the post's newcomers count ratio x its two established reactors.
    share = min(1.0, ratio * 2 / 20)
    assert all(abs(pairs[(f"new{i}", "src")] - share) < 1e-12 for i in range(20))
    assert abs(sum(pairs[(f"new{i}", "src")] for i in range(20)) - min(20, ratio * 2)) < 1e-9
    # Weighed pair by pair, not as a whole, and the explanation says so.
    assert report.credibility_of("x", "new0") == 1.0
    assert any("same posts" in r for r in report.reasons["x:new0"])
    # Where no established account reacted, newcomers count nothing, however many.
    assert all(report.credibility_of("x", f"bot{i}") == 0.0 for i in range(30))


def test_the_target_cannot_make_the_crowd_of_its_own_post() -> None:
    late = AS_OF - timedelta(days=3)
    # "host" (established) reposted the post from "src"; the newcomers repost it from "host":
    # host is the only established reactor, and cannot vouch for reactions to itself.
    rows = [_repost("host", "z", T0, "z0"), _repost("host", "src", late, "p")]
    rows += [_repost(f"new{i}", "host", late, "p") for i in range(10)]
    report = _report(rows)
    assert all(report.credibility_of("x", f"new{i}") == 0.0 for i in range(10))


def test_a_repost_spike_is_not_a_burst_but_a_reply_spike_is() -> None:
    def spike(action: str) -> list[dict[str, object]]:
        return [
            {
                "ts": T0 + timedelta(days=10, minutes=i),
                "actor": f"f{i}",
                "action": action,
                "target": "star",
                "content_id" if action == "repost" else "parent_id": "s1",
            }
            for i in range(45)
        ]

    assert _report(spike("repost")).bursts.num_rows == 0
    assert _report(spike("reply")).bursts.num_rows == 1


def test_naming_an_account_that_never_touched_a_viral_post_borrows_nothing() -> None:
    late = AS_OF - timedelta(days=3)
    rows = [_repost(f"old{i}", "z", T0, f"z{i}") for i in range(5)]
    rows += [_repost(f"old{i}", "src", late, "viral") for i in range(5)]
    # Bought accounts repost the viral post "through" an account that never touched it.
    rows += [_repost(f"bot{i}", "customer", late, "viral") for i in range(10)]
    report = _report(rows)
    assert all(report.credibility_of("x", f"bot{i}") == 0.0 for i in range(10))
