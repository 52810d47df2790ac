"""Reproducible synthetic attacks, injected into a copy of a real data set.

Every attack adds ``size`` attacker accounts (ids ``atk-<kind>-<seed>-<i>``) and their events
to the last days of the data, aimed at one target account, from a seeded random generator: the
same data, kind, size, target and seed give the same events. Attackers are *aged* accounts
(created one to three years before the data ends) with a little background posting, so that
only their behaviour, not their age, can give them away; ``fresh-account`` is the exception.

=============== ==========================================================================
kind            what the attackers do
=============== ==========================================================================
bot-ring        each likes and reposts ten other ring members' posts, and reposts and likes
                every recent post of the target (mutual boosting plus a shared target)
reply-spam      each replies to the target's posts and mentions it, and also replies to
                twenty of the most reacted-to accounts (who never answer)
boost-pod       each likes and reposts every recent post of the target within two minutes of
                its publication, and likes the other pod members' posts (lockstep)
chat-burst      a one-hour "chat": each replies to the target three times and the target
                replies back once; nothing else before or after (a one-off spike)
follow-farm     each follows the target and 200 other accounts at random
fresh-account   the target is a new account, created 7 days before the data ends, that posts
                twice a day and gets a like and a reply from ``size`` real accounts
=============== ==========================================================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sway.errors import ConfigError
from sway.events import ACCOUNT_SCHEMA, EVENT_SCHEMA

__all__ = ["ATTACK_KINDS", "Attack", "inject_attack"]

ATTACK_KINDS = (
    "bot-ring",
    "reply-spam",
    "boost-pod",
    "chat-burst",
    "follow-farm",
    "fresh-account",
)


@dataclass(frozen=True)
class Attack:
    """A data set with an attack injected.

    Attributes
    ----------
    events, accounts
        The copy with the attack (``EVENT_SCHEMA``, ``ACCOUNT_SCHEMA``).
    attackers
        The attacker account ids (on the target's network).
    network, target
        The account the attack is for.
    added
        Events added.
    """

    events: pa.Table
    accounts: pa.Table
    attackers: tuple[str, ...]
    network: str
    target: str
    added: int


class _Builder:
    def __init__(self, kind: str, network: str, seed: int, end: datetime) -> None:
        self.kind, self.network, self.end = kind, network, end
        self.rng = np.random.default_rng(seed)
        self.seed = seed
        self.rows: list[dict[str, object]] = []
        self.accounts: list[dict[str, object]] = []

    def when(self, days_back: float) -> datetime:
        return self.end - timedelta(days=days_back)

    def add(self, eid: str, ts: datetime, actor: str, action: str, **kw: object) -> None:
        self.rows.append(
            {
                "network": self.network,
                "event_id": f"atk-{self.kind}-{self.seed}-{eid}",
                "ts": ts,
                "actor": actor,
                "action": action,
                **kw,
            }
        )

    def attackers(self, size: int, *, posts: int = 3) -> list[str]:
        names = [f"atk-{self.kind}-{self.seed}-{i}" for i in range(size)]
        for name in names:
            age = float(self.rng.uniform(365, 3 * 365))
            self.accounts.append(
                {"network": self.network, "account_id": name, "created_at": self.when(age)}
            )
            for k in range(posts):
                when = self.when(float(self.rng.uniform(1, 60)))
                self.add(f"{name}-p{k}", when, name, "post", content_id=f"{name}-p{k}")
        return names

    def posts_of(self, name: str) -> list[str]:
        return [
            str(r["content_id"]) for r in self.rows if r["actor"] == name and r["action"] == "post"
        ]


def _target_posts(b: _Builder, target: str, count: int = 5) -> list[tuple[str, datetime]]:
    """Fresh posts of the target for the attackers to boost (the attack runs in the last days)."""
    posts = []
    for k in range(count):
        when = b.when(0.5 + k * 1.3)
        pid = f"{target}-boosted-{k}"
        b.add(f"t{k}", when, target, "post", content_id=pid)
        posts.append((pid, when))
    return posts


def _bot_ring(b: _Builder, target: str, size: int, top: list[str]) -> list[str]:
    ring = b.attackers(size)
    posts = {n: b.posts_of(n) for n in ring}
    boosted = _target_posts(b, target)
    for i, name in enumerate(ring):
        for j, other in enumerate(b.rng.choice(size, size=min(10, size - 1), replace=False)):
            if ring[other] == name:
                continue
            pid = posts[ring[other]][j % len(posts[ring[other]])]
            when = b.when(float(b.rng.uniform(0, 10)))
            b.add(f"{i}-l{j}", when, name, "like", target=ring[other], content_id=pid)
            b.add(f"{i}-r{j}", when, name, "repost", target=ring[other], content_id=pid)
        for k, (pid, at) in enumerate(boosted):
            when = at + timedelta(minutes=float(b.rng.uniform(5, 600)))
            b.add(f"{i}-tr{k}", when, name, "repost", target=target, content_id=pid)
            b.add(f"{i}-tl{k}", when, name, "like", target=target, content_id=pid)
    return ring


def _reply_spam(b: _Builder, target: str, size: int, top: list[str]) -> list[str]:
    spam = b.attackers(size)
    boosted = _target_posts(b, target)
    for i, name in enumerate(spam):
        for k, (pid, at) in enumerate(boosted):
            when = at + timedelta(minutes=float(b.rng.uniform(1, 120)))
            b.add(
                f"{i}-r{k}",
                when,
                name,
                "reply",
                target=target,
                parent_id=pid,
                content_id=f"{name}-r{k}",
                text=f"Great post! Check out my page {k}",
            )
        b.add(f"{i}-m", b.when(1), name, "mention", target=target, text="follow @x")
        for k, celeb in enumerate(top[:20]):
            b.add(
                f"{i}-c{k}",
                b.when(float(b.rng.uniform(0, 10))),
                name,
                "mention",
                target=celeb,
                text=f"Great post! Check out my page {k}",
            )
    return spam


def _boost_pod(b: _Builder, target: str, size: int, top: list[str]) -> list[str]:
    pod = b.attackers(size)
    boosted = _target_posts(b, target)
    for i, name in enumerate(pod):
        for k, (pid, at) in enumerate(boosted):
            when = at + timedelta(seconds=float(b.rng.uniform(10, 120)))
            b.add(f"{i}-r{k}", when, name, "repost", target=target, content_id=pid)
            b.add(f"{i}-l{k}", when, name, "like", target=target, content_id=pid)
        other = pod[(i + 1) % size]
        for k, pid in enumerate(b.posts_of(other)):
            b.add(
                f"{i}-p{k}",
                b.when(float(b.rng.uniform(0, 5))),
                name,
                "like",
                target=other,
                content_id=pid,
            )
    return pod


def _chat_burst(b: _Builder, target: str, size: int, top: list[str]) -> list[str]:
    chat = b.attackers(size, posts=0)
    start = b.when(2)
    b.add("q", start, target, "post", content_id=f"{target}-chat")
    for i, name in enumerate(chat):
        for k in range(3):
            when = start + timedelta(minutes=float(b.rng.uniform(0, 60)))
            b.add(
                f"{i}-r{k}",
                when,
                name,
                "reply",
                target=target,
                parent_id=f"{target}-chat",
                content_id=f"{name}-chat{k}",
            )
        when = start + timedelta(minutes=float(b.rng.uniform(30, 60)))
        b.add(
            f"{i}-back",
            when,
            target,
            "reply",
            target=name,
            parent_id=f"{name}-chat0",
            content_id=f"{target}-back{i}",
        )
    return chat


def _follow_farm(b: _Builder, target: str, size: int, top: list[str]) -> list[str]:
    farm = b.attackers(size, posts=1)
    for i, name in enumerate(farm):
        b.add(f"{i}-t", b.when(float(b.rng.uniform(0, 10))), name, "follow", target=target)
        pool = top if top else [target]
        for k in b.rng.choice(len(pool), size=min(200, len(pool)), replace=False).tolist():
            b.add(f"{i}-f{k}", b.when(float(b.rng.uniform(0, 10))), name, "follow", target=pool[k])
    return farm


def _fresh_account(b: _Builder, target: str, size: int, top: list[str]) -> list[str]:
    b.accounts.append({"network": b.network, "account_id": target, "created_at": b.when(7)})
    fans = [top[int(i)] for i in b.rng.choice(len(top), size=min(size, len(top)), replace=False)]
    for k in range(14):
        at = b.when(7 - k / 2)
        pid = f"{target}-fresh-{k}"
        b.add(f"p{k}", at, target, "post", content_id=pid)
        for i, fan in enumerate(fans):
            if b.rng.random() < 0.5:
                when = at + timedelta(minutes=float(b.rng.uniform(1, 600)))
                b.add(
                    f"{k}-{i}-l",
                    min(when, b.when(0.001)),
                    fan,
                    "like",
                    target=target,
                    content_id=pid,
                )
                b.add(
                    f"{k}-{i}-r",
                    min(when, b.when(0.001)),
                    fan,
                    "reply",
                    target=target,
                    parent_id=pid,
                    content_id=f"{pid}-re-{i}",
                )
    return []


_KINDS: dict[str, Callable[[_Builder, str, int, list[str]], list[str]]] = {
    "bot-ring": _bot_ring,
    "reply-spam": _reply_spam,
    "boost-pod": _boost_pod,
    "chat-burst": _chat_burst,
    "follow-farm": _follow_farm,
    "fresh-account": _fresh_account,
}


def _most_reacted(events: pa.Table, network: str, limit: int) -> list[str]:
    mask = pc.and_(pc.equal(events["network"], network), pc.not_equal(events["action"], "post"))
    targets = events.filter(mask)["target"].drop_null()
    counts = pc.value_counts(targets).to_pylist()
    counts.sort(key=lambda c: (-int(c["counts"]), str(c["values"])))
    return [str(c["values"]) for c in counts if c["values"]][:limit]


def inject_attack(
    events: pa.Table,
    accounts: pa.Table | None,
    *,
    kind: str,
    size: int,
    network: str,
    target: str,
    seed: int = 0,
) -> Attack:
    """A copy of ``events`` and ``accounts`` with one attack for ``network:target``.

    The attack ends just before the newest event, so a default run (``as_of`` after the newest
    event) sees all of it. ``events`` is not modified.
    """
    if kind not in _KINDS:
        raise ConfigError(f"unknown attack kind {kind!r}; known: {', '.join(ATTACK_KINDS)}")
    if size < 1:
        raise ConfigError("the attack size must be at least 1")
    end = pc.max(events["ts"]).as_py()
    if end is None:
        raise ConfigError("there are no events to attack")
    b = _Builder(kind, network, seed, end)
    top = [a for a in _most_reacted(events, network, 500) if a != target]
    attackers = _KINDS[kind](b, target, size, top)
    added = pa.Table.from_pylist(b.rows, schema=EVENT_SCHEMA)
    base = events.select(EVENT_SCHEMA.names).cast(EVENT_SCHEMA)
    new_accounts = pa.Table.from_pylist(b.accounts, schema=ACCOUNT_SCHEMA)
    if accounts is None:
        merged = new_accounts
    else:
        keep = accounts.select(ACCOUNT_SCHEMA.names).cast(ACCOUNT_SCHEMA)
        merged = pa.concat_tables([keep, new_accounts])
    return Attack(
        events=pa.concat_tables([base, added]),
        accounts=merged,
        attackers=tuple(attackers),
        network=network,
        target=target,
        added=added.num_rows,
    )
