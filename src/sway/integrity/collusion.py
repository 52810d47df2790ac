"""Collusion: groups that mostly react to each other, and boost pods reacting in lockstep.

- **Rings**: an account that gives more than ``collusion_share`` of its reactions to accounts
  that react back (reciprocal partners) is a candidate; connected parts of the reciprocal graph
  among candidates with at least ``collusion_min_size`` accounts, in which at least
  ``collusion_density`` of the possible reaction edges exist, are groups. Reactions inside a
  group count ``collusion_discount``; a member's credibility as an endorser outside falls to
  the share of its reactions that leave the group; and where the group's outside reactions
  concentrate on one account (a shared target, over 30 %), those count
  ``collusion_discount`` too.
- **Pods**: a reaction is in lockstep when at least three other accounts react to the same post
  within ``lockstep_seconds``; an account with more than ``lockstep_share`` of its reactions in
  lockstep and most of them on one account has those reactions counted ``collusion_discount``.

Both use SciPy sparse matrices, so a graph of millions of reactions takes seconds.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from sway.integrity.frame import EventFrame
from sway.integrity.params import IntegrityParams
from sway.integrity.signals import AccountSignals

__all__ = ["CollusionResult", "find_collusion"]


@dataclass
class CollusionResult:
    """Groups (member codes, named ``ring-<n>``), pair discounts and pods."""

    groups: dict[str, list[int]] = field(default_factory=dict)
    group_of: dict[int, str] = field(default_factory=dict)
    pair_factor: dict[tuple[int, int], float] = field(default_factory=dict)
    pods: dict[int, int] = field(default_factory=dict)


def _rings(frame: EventFrame, signals: AccountSignals, p: IntegrityParams) -> CollusionResult:
    n = frame.n_accounts
    result = CollusionResult()
    src, dst = frame.actor[frame.named], frame.target[frame.named]
    if src.size == 0:
        return result
    counts = coo_matrix((np.ones(src.size), (src, dst)), shape=(n, n)).tocsr()
    counts.sum_duplicates()
    # Reactions to newcomers do not dilute the share: established members of a ring who all
    # start reacting to a new account are still a ring (and the groups do not flip on and off).
    established = counts
    if signals.newcomer.size:
        established = counts.multiply(~signals.newcomer[np.newaxis, :]).tocsr()
    given = np.asarray(established.sum(axis=1)).ravel()
    mutual = established.multiply(counts.T > 0).tocsr()
    to_partners = np.asarray(mutual.sum(axis=1)).ravel()
    partners = np.diff((mutual > 0).tocsr().indptr)
    share = np.divide(to_partners, given, out=np.zeros(n), where=given > 0)
    candidate = (share > p.collusion_share) & (partners >= 2)
    keep = np.flatnonzero(candidate)
    # Keep the 2-core: a candidate tied to the others by a single reciprocal pair (a busy
    # account that answers one member) is not part of a ring, and must not merge a dense ring
    # into a sparse component that the density rule would then let go.
    while keep.size:
        sub = (mutual > 0)[keep][:, keep]
        degree = np.diff(sub.tocsr().indptr)
        if degree.min() >= 2:
            break
        keep = keep[degree >= 2]
    if keep.size == 0:
        return result
    parts, labels = connected_components(sub, directed=False)
    sizes = np.bincount(labels, minlength=parts)
    big = [lab for lab in np.argsort(-sizes, kind="stable") if sizes[lab] >= p.collusion_min_size]
    number = 0
    for lab in big:
        members = sorted(int(c) for c in keep[labels == lab])
        # A ring is dense: its members react to a large share of one another. A sparse
        # component of reciprocal pairs is a community talking (e-mail, messaging), not a ring.
        inside_edges = (counts[members][:, members] > 0).sum()
        if inside_edges < p.collusion_density * len(members) * (len(members) - 1):
            continue
        number += 1
        name = f"ring-{number}"
        result.groups[name] = members
        member_set = set(members)
        outside: Counter[int] = Counter()
        for m in members:
            result.group_of[m] = name
            row = counts.getrow(m)
            inside = 0.0
            for t, c in zip(row.indices.tolist(), row.data.tolist(), strict=True):
                if t in member_set:
                    result.pair_factor[(m, t)] = p.collusion_discount
                    inside += c
                else:
                    outside[t] += int(c)
            leave = 1.0 - inside / given[m] if given[m] > 0 else 1.0
            signals.discount(
                m,
                max(leave, p.collusion_discount),
                f"in collusion group {name} ({len(members)} accounts; {1 - leave:.0%} of its "
                "reactions stay inside)",
                f"collusion group {name}",
            )
        total_out = sum(outside.values())
        if total_out:
            target, got = outside.most_common(1)[0]
            if got / total_out > 0.3:
                for m in members:
                    if counts[m, target] > 0:
                        result.pair_factor[(m, target)] = p.collusion_discount
    return result


def _pods(frame: EventFrame, p: IntegrityParams, result: CollusionResult) -> None:
    mask = frame.named & (frame.post != None)  # noqa: E711 (element-wise test)
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return
    posts = frame.post[idx].astype(str)
    order = np.lexsort((frame.ts_us[idx], posts))
    idx, posts = idx[order], posts[order]
    ts = frame.ts_us[idx]
    window = int(p.lockstep_seconds * 1_000_000)
    bounds = np.flatnonzero(np.r_[True, posts[1:] != posts[:-1], True])
    lockstep = np.zeros(idx.size, dtype=bool)
    for a, b in itertools.pairwise(bounds.tolist()):
        if b - a < 4:
            continue
        t = ts[a:b]
        near = np.searchsorted(t, t + window, side="right") - np.searchsorted(
            t, t - window, side="left"
        )
        lockstep[a:b] = near >= 4
    per_actor: dict[int, list[int]] = defaultdict(list)
    for row, locked in zip(idx.tolist(), lockstep.tolist(), strict=True):
        per_actor[int(frame.actor[row])].append(row if locked else -1 - row)
    for actor, rows in per_actor.items():
        if len(rows) < 3:
            continue
        locked_rows = [r for r in rows if r >= 0]
        if len(locked_rows) / len(rows) <= p.lockstep_share:
            continue
        target, got = Counter(int(frame.target[r]) for r in locked_rows).most_common(1)[0]
        if got / len(rows) > 0.5:
            result.pods[actor] = target
            result.pair_factor[(actor, target)] = p.collusion_discount


def find_collusion(
    frame: EventFrame, signals: AccountSignals, params: IntegrityParams | None = None
) -> CollusionResult:
    """Rings and pods of ``frame``; discounts ring members' credibility in ``signals``."""
    p = params or IntegrityParams()
    result = _rings(frame, signals, p)
    _pods(frame, p, result)
    for actor, target in result.pods.items():
        signals.discount(
            actor, 0.5, f"boost pod: reacts in lockstep to {frame.keys[target]}", "boost pod"
        )
    return result
