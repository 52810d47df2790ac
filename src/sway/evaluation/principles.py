"""The scoring principles of DESIGN.md as checks on a parameter set, for the fit.

A fitted parameter set must still be the Sway score: unique reactors beat repeats, ratio beats
volume, selective reactors count more, effortful reactions weigh more, reactions from
influential accounts count more, older reactions weigh less. :func:`principle_violations` scores
one tiny hand-built scenario per principle with the pure-Python reference scorer
(:mod:`sway.scoring.reference`, the oracle the SQL pipeline agrees with) and names every
principle the parameters break. The scenarios and thresholds are those of
``tests/scoring/test_principles.py``, so the fit only proposes defaults that keep that suite
green.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sway.events import Event
from sway.scoring.calibration import ReferenceCurve
from sway.scoring.params import ScoreParams
from sway.scoring.reference import ReferenceResult, reference_scores

__all__ = ["PRINCIPLES", "principle_violations"]

_AS_OF = datetime(2024, 6, 1, tzinfo=UTC)
#: Any increasing curve serves: the checks compare scores, and a score is 1 exactly when raw
#: influence is 0. A fixed one keeps the checks independent of the version being fitted.
_CURVE = ReferenceCurve(version="principles", scale=1.0, shape=1.0)


def _ev(
    actor: str | None,
    action: str,
    target: str | None = None,
    *,
    days_ago: float = 1.0,
    content_id: str | None = None,
    parent_id: str | None = None,
    n: list[int] | None = None,
) -> Event:
    counter = n if n is not None else [0]
    counter[0] += 1
    return Event(
        "t",
        f"e{counter[0]}",
        _AS_OF - timedelta(days=days_ago),
        actor,
        action,
        target,
        content_id,
        parent_id,
    )


class _Toy:
    """Builds one scenario's events with unique ids and scores them."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._n = [0]

    def add(self, actor: str | None, action: str, target: str | None = None, **kw: Any) -> None:
        self.events.append(_ev(actor, action, target, n=self._n, **kw))

    def posts(self, author: str, count: int) -> None:
        for i in range(count):
            self.add(author, "post", content_id=f"{author}-p{i}", days_ago=2.0)

    def score(self, params: ScoreParams) -> dict[str, dict[str, Any]]:
        result: ReferenceResult = reference_scores(
            self.events, as_of=_AS_OF, params=params, curve=_CURVE
        )
        return {account: row for (_, account), row in result.accounts.items()}


def _unique_reactors(p: ScoreParams) -> bool:
    toy = _Toy()
    toy.posts("many", 10)
    toy.posts("one", 10)
    for i in range(10):
        toy.add(f"fan{i}", "like", "many", content_id=f"many-p{i}", days_ago=1 + i)
        toy.add("superfan", "like", "one", content_id=f"one-p{i}", days_ago=1 + i)
    s = toy.score(p)
    return bool(
        s["many"]["reach"] > 2 * s["one"]["reach"] and s["many"]["score"] > s["one"]["score"]
    )


def _ratio_beats_volume(p: ScoreParams) -> bool:
    toy = _Toy()
    toy.posts("focused", 10)
    toy.posts("prolific", 200)
    toy.posts("spammer", 500)
    for i in range(20):
        toy.add(f"r{i}", "like", "focused", content_id=f"focused-p{i % 10}")
        toy.add(f"r{i}", "like", "prolific", content_id=f"prolific-p{i % 10}")
    s = toy.score(p)
    return bool(
        s["focused"]["amplification"] > 10 * s["prolific"]["amplification"]
        and s["focused"]["score"] > s["prolific"]["score"]
        and s["spammer"]["score"] == 1.0
    )


def _selective_reactors(p: ScoreParams) -> bool:
    toy = _Toy()
    toy.add("picky", "like", "a", content_id="a1")
    toy.add("liker", "like", "b", content_id="b1")
    for i in range(199):
        toy.add("liker", "like", f"x{i}", content_id=f"x{i}")
    s = toy.score(p)
    return bool(
        s["picky"]["selectivity"] > 0.9 > 0.3 > s["liker"]["selectivity"]
        and s["a"]["reach"] > 2 * s["b"]["reach"]
        and s["a"]["score"] > s["b"]["score"]
    )


def _effortful_reactions(p: ScoreParams) -> bool:
    toy = _Toy()
    toy.add("u1", "reply", "replied", content_id="c1", parent_id="p1")
    toy.add("u2", "repost", "reposted", content_id="p2")
    toy.add("u3", "like", "liked", content_id="p3")
    s = toy.score(p)
    ordered = all(
        s["replied"][c] > s["reposted"][c] > s["liked"][c]
        for c in ("score", "reach", "amplification")
    )
    return bool(ordered and s["liked"]["score"] > 1.0)


def _who_reacts_matters(p: ScoreParams) -> bool:
    toy = _Toy()
    for i in range(20):
        toy.add(f"f{i}", "like", "star", content_id=f"s{i}")
    toy.add("star", "like", "a", content_id="a1")
    toy.add("nobody", "like", "b", content_id="b1")
    s = toy.score(p)
    return bool(
        s["a"]["network_impact"] > 5 * s["b"]["network_impact"]
        and s["a"]["score"] > s["b"]["score"]
    )


def _older_reactions_weigh_less(p: ScoreParams) -> bool:
    toy = _Toy()
    toy.add("u1", "like", "recent", content_id="p1", days_ago=1)
    toy.add("u2", "like", "old", content_id="p2", days_ago=80)
    toy.add("u3", "like", "gone", content_id="p3", days_ago=p.window_days + 1)
    s = toy.score(p)
    return bool(
        s["recent"]["score"] > s["old"]["score"] > 1.0
        and s["recent"]["network_impact"] > 3 * s["old"]["network_impact"] > 0
        and "gone" not in s
    )


#: Each principle (its DESIGN.md wording) and its check.
PRINCIPLES: dict[str, Callable[[ScoreParams], bool]] = {
    "unique reactors beat raw counts": _unique_reactors,
    "ratios beat volume": _ratio_beats_volume,
    "selective reactors count more": _selective_reactors,
    "effortful reactions weigh more": _effortful_reactions,
    "who reacts matters": _who_reacts_matters,
    "older reactions weigh less (trailing window with decay)": _older_reactions_weigh_less,
}


def principle_violations(params: ScoreParams) -> list[str]:
    """The principles that ``params`` break (empty: the parameter set is admissible)."""
    return [name for name, holds in PRINCIPLES.items() if not holds(params)]
