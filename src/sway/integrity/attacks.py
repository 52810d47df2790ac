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

The families below were added to judge the layer on attacks it was not built from, written with
its rules in hand (``docs/integrity.md``, "Attacks designed with the code in hand"). Their
attackers have no declared creation date unless said, as in a capture of an API's search.

=============== ==========================================================================
capture-ring    a short capture's ring: accounts first seen two days before the data ends
                each repost three of the target's posts, mention it twice and repost three
                other members' posts
slow-drip       each attacker posts once three weeks before the end, then leaves two
                replies on the target's real posts, spread over the last fifteen days
aged-ring       attackers aged 45 to 90 days with five of the data's most common reaction to
                random real accounts, then, in the last ten days, each likes and reposts the target's posts (at most two a day,
                irregular times, no text) and likes two other members' posts
mimic           (held out) each attacker replays a real reactor's last 60 days (the same
                posts and accounts, a few minutes later), then reacts to the target's posts
                three times
bought-standing (held out) ``size`` real accounts of middling standing (none of the most
                reacted-to) each like and answer one of the target's posts in the last five
                days
=============== ==========================================================================
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sway.errors import ConfigError
from sway.events import ACCOUNT_SCHEMA, EVENT_SCHEMA

__all__ = ["ATTACK_KINDS", "HELD_OUT", "Attack", "inject_attack"]

ATTACK_KINDS = (
    "bot-ring",
    "reply-spam",
    "boost-pod",
    "chat-burst",
    "follow-farm",
    "fresh-account",
    "capture-ring",
    "slow-drip",
    "aged-ring",
    "mimic",
    "bought-standing",
)
#: Families kept out of the design of defences, measured once at the end (decided before any
#: defence was written against the others; see docs/integrity.md).
HELD_OUT = frozenset({"mimic", "bought-standing"})


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
    def __init__(self, kind: str, network: str, seed: int, end: datetime, events: pa.Table) -> None:
        self.kind, self.network, self.end = kind, network, end
        self.rng = np.random.default_rng(seed)
        self.seed = seed
        self.events = events
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

    def attackers(
        self,
        size: int,
        *,
        posts: int = 3,
        dated: bool = True,
        posted: tuple[float, float] = (1, 60),
    ) -> list[str]:
        """``size`` attacker accounts, each with ``posts`` posts ``posted`` days back; created
        one to three years ago when ``dated`` (else no creation date, as in a capture)."""
        names = [f"atk-{self.kind}-{self.seed}-{i}" for i in range(size)]
        for name in names:
            age = float(self.rng.uniform(365, 3 * 365))
            if dated:
                self.accounts.append(
                    {"network": self.network, "account_id": name, "created_at": self.when(age)}
                )
            for k in range(posts):
                when = self.when(float(self.rng.uniform(*posted)))
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


def _real_posts(b: _Builder, author: str, count: int) -> list[tuple[str, datetime]]:
    """The ``count`` newest posts ``author`` wrote in the data (``(content_id, ts)``), or fresh
    ones in the last days where it wrote none."""
    e = b.events
    mask = pc.and_(
        pc.and_(pc.equal(e["network"], b.network), pc.equal(e["actor"], author)),
        pc.and_(pc.equal(e["action"], "post"), pc.is_valid(e["content_id"])),
    )
    mine = e.filter(mask).select(["content_id", "ts"]).to_pylist()
    mine.sort(key=lambda r: (r["ts"], str(r["content_id"])), reverse=True)
    posts = [(str(r["content_id"]), r["ts"]) for r in mine[:count]]
    return posts or _target_posts(b, author, count)


def _recent_reactions(b: _Builder, days: float) -> pa.Table:
    """The data's named reactions to posts of the last ``days`` days."""
    e = b.events
    since = pa.scalar(b.when(days), e["ts"].type)
    mask = pc.and_(
        pc.and_(pc.equal(e["network"], b.network), pc.greater_equal(e["ts"], since)),
        pc.and_(
            pc.and_(pc.not_equal(e["action"], "post"), pc.not_equal(e["action"], "follow")),
            pc.and_(pc.is_valid(e["actor"]), pc.is_valid(e["target"])),
        ),
    )
    return e.filter(mask).select(["actor", "action", "target", "content_id", "parent_id", "ts"])


def _capture_ring(b: _Builder, target: str, size: int, top: list[str]) -> list[str]:
    ring = b.attackers(size, posts=1, dated=False, posted=(1.6, 2.0))
    boosted = _real_posts(b, target, 3)
    for i, name in enumerate(ring):
        for k, (pid, _) in enumerate(boosted):
            when = b.when(float(b.rng.uniform(0.01, 1.5)))
            b.add(f"{i}-r{k}", when, name, "repost", target=target, content_id=pid)
        for k in range(2):
            when = b.when(float(b.rng.uniform(0.01, 1.5)))
            text = f"@{target} {['so right', 'must read', 'this!', 'agreed'][(i + k) % 4]} {i}"
            b.add(f"{i}-m{k}", when, name, "mention", target=target, text=text)
        for k, other in enumerate(b.rng.choice(size, size=min(3, size - 1), replace=False)):
            if ring[other] == name:
                continue
            when = b.when(float(b.rng.uniform(0.01, 1.5)))
            pid = b.posts_of(ring[other])[0]
            b.add(f"{i}-o{k}", when, name, "repost", target=ring[other], content_id=pid)
    return ring


def _slow_drip(b: _Builder, target: str, size: int, top: list[str]) -> list[str]:
    drip = b.attackers(size, posts=1, dated=False, posted=(20, 24))
    posts = _real_posts(b, target, 20)
    for i, name in enumerate(drip):
        for k in range(2):
            pid, at = posts[int(b.rng.integers(len(posts)))]
            when = max(b.when(float(b.rng.uniform(0.05, 15))), at + timedelta(minutes=5))
            b.add(
                f"{i}-c{k}",
                min(when, b.when(0.001)),
                name,
                "reply",
                target=target,
                parent_id=pid,
                content_id=f"{name}-c{k}",
                text=f"{['Thanks', 'Good point', 'Interesting', 'Agreed'][(i + k) % 4]}, {i}.",
            )
    return drip


def _aged_ring(b: _Builder, target: str, size: int, top: list[str]) -> list[str]:
    ring = b.attackers(size, posts=2)
    # Aged the way the data's own accounts act: its most common reaction, to random real
    # accounts (on their posts where the data has posts).
    history = _recent_reactions(b, 100_000)
    kinds = Counter(history["action"].to_pylist())
    habit = kinds.most_common(1)[0][0] if kinds else "like"
    aging = history.filter(pc.equal(history["action"], habit)).to_pylist()
    boosted = _real_posts(b, target, 5)
    for i, name in enumerate(ring):
        for k in range(5):
            if not aging:
                break
            row = aging[int(b.rng.integers(len(aging)))]
            when = b.when(float(b.rng.uniform(45, 90)))
            b.add(
                f"{i}-a{k}",
                when,
                name,
                habit,
                target=row["target"],
                content_id=row["content_id"],
                parent_id=row["parent_id"],
            )
        for k, (pid, _) in enumerate(boosted):
            when = b.when(float(b.rng.uniform(0.05, 10)))
            b.add(f"{i}-tl{k}", when, name, "like", target=target, content_id=pid)
            later = min(when + timedelta(hours=float(b.rng.uniform(1, 30))), b.when(0.001))
            b.add(f"{i}-tr{k}", later, name, "repost", target=target, content_id=pid)
        for k, other in enumerate(b.rng.choice(size, size=min(2, size - 1), replace=False)):
            if ring[other] == name:
                continue
            when = b.when(float(b.rng.uniform(0.05, 10)))
            pid = b.posts_of(ring[other])[0]
            b.add(f"{i}-o{k}", when, name, "like", target=ring[other], content_id=pid)
    return ring


def _mimic(b: _Builder, target: str, size: int, top: list[str]) -> list[str]:
    crowd = _recent_reactions(b, 60)
    by_actor: dict[str, list[dict[str, Any]]] = {}
    for row in crowd.to_pylist():
        if row["actor"] != target and row["target"] != target:
            by_actor.setdefault(str(row["actor"]), []).append(row)
    models = sorted(a for a, rows in by_actor.items() if len(rows) >= 3)
    ring = b.attackers(size, posts=1, dated=False, posted=(30, 60))
    boosted = _real_posts(b, target, 5)
    last = b.when(0.001)
    for i, name in enumerate(ring):
        if models:
            model = models[int(b.rng.integers(len(models)))]
            for k, row in enumerate(by_actor[model][:40]):
                copied: datetime = row["ts"] + timedelta(minutes=float(b.rng.uniform(1, 20)))
                b.add(
                    f"{i}-x{k}",
                    min(copied, last),
                    name,
                    str(row["action"]),
                    target=row["target"],
                    content_id=row["content_id"],
                    parent_id=row["parent_id"],
                )
        for k, action in enumerate(("like", "repost", "reply")):
            pid, at = boosted[k % len(boosted)]
            when = max(b.when(float(b.rng.uniform(0.05, 10))), at + timedelta(minutes=5))
            b.add(f"{i}-t{k}", min(when, last), name, action, target=target, content_id=pid)
    return ring


def _bought_standing(b: _Builder, target: str, size: int, top: list[str]) -> list[str]:
    received = Counter(_recent_reactions(b, 100_000)["target"].to_pylist())
    received.pop(target, None)
    ranked = [a for a, _ in sorted(received.items(), key=lambda item: (-item[1], str(item[0])))]
    # Middling standing: past the most reacted-to tenth, within the upper half.
    middle = ranked[len(ranked) // 10 : max(len(ranked) // 2, len(ranked) // 10 + 1)]
    chosen = [str(middle[int(i)]) for i in b.rng.permutation(len(middle))[:size]]
    posts = _real_posts(b, target, 5)
    last = b.when(0.001)
    for i, name in enumerate(chosen):
        pid, at = posts[i % len(posts)]
        when = min(max(b.when(float(b.rng.uniform(0.05, 5))), at + timedelta(minutes=5)), last)
        b.add(f"{i}-l", when, name, "like", target=target, content_id=pid)
        b.add(
            f"{i}-r",
            when,
            name,
            "reply",
            target=target,
            parent_id=pid,
            content_id=f"atk-{b.kind}-{b.seed}-{i}-reply",
        )
    return chosen


_KINDS: dict[str, Callable[[_Builder, str, int, list[str]], list[str]]] = {
    "bot-ring": _bot_ring,
    "reply-spam": _reply_spam,
    "boost-pod": _boost_pod,
    "chat-burst": _chat_burst,
    "follow-farm": _follow_farm,
    "fresh-account": _fresh_account,
    "capture-ring": _capture_ring,
    "slow-drip": _slow_drip,
    "aged-ring": _aged_ring,
    "mimic": _mimic,
    "bought-standing": _bought_standing,
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
    capture_start: datetime | None = None,
) -> Attack:
    """A copy of ``events`` and ``accounts`` with one attack for ``network:target``.

    The attack ends just before the newest event, so a default run (``as_of`` after the newest
    event) sees all of it. ``events`` is not modified. The data begins at ``capture_start``
    (default: its first event): what the attackers did before then is not in it, as in a
    capture of an API's recent search, where the attack cannot lengthen the data.
    """
    if kind not in _KINDS:
        raise ConfigError(f"unknown attack kind {kind!r}; known: {', '.join(ATTACK_KINDS)}")
    if size < 1:
        raise ConfigError("the attack size must be at least 1")
    end = pc.max(events["ts"]).as_py()
    if end is None:
        raise ConfigError("there are no events to attack")
    b = _Builder(kind, network, seed, end, events)
    top = [a for a in _most_reacted(events, network, 500) if a != target]
    attackers = _KINDS[kind](b, target, size, top)
    begins = capture_start if capture_start is not None else pc.min(events["ts"]).as_py()
    b.rows = [r for r in b.rows if r["ts"] >= begins]  # type: ignore[operator]
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
