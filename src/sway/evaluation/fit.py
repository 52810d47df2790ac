"""Fit the score's parameters on data: seeded coordinate descent over a small grid.

The objective is how well the score ranks accounts by their future engagement: for each split
of :mod:`sway.evaluation.splits`, ``(Spearman + NDCG@k) / 2`` of Sway's raw influence against
the number of distinct reactors each candidate gets in the split's truth window; the mean over
a dataset's training splits; the mean over datasets, each weighing the same, so that one large
network cannot dictate the defaults. One parameter set serves every dataset.

The search (:func:`fit_parameters`), a coordinate descent over a small grid per knob:

1. starts from the hand-set priors of version 1.0 (:data:`PRIORS`), whatever the current
   defaults are, so that the published fit is reproducible;
2. visits the knobs of :data:`SEARCH_SPACE` in an order drawn from ``seed`` (a new order every
   pass) and tries every grid value of the knob with the others held. A knob may tie several
   parameters (reposts and endorsements, replies, comments and quotes move together: no
   dataset tells them apart); action weights are in units of a like;
3. skips any candidate that breaks a DESIGN principle
   (:func:`sway.evaluation.principles.principle_violations`) or weighs a mention above a reply;
4. moves to the best value only if it raises the training objective by at least ``min_gain``
   (a parameter stays at its prior unless the data clearly prefers another value);
5. stops after a pass without a move, or after ``passes`` passes;
6. does it ``restarts`` times, each with its own knob order, and keeps the descent that ends
   highest (coordinate descent can stop at different points depending on the order).

The validation splits (later than every training split) are never optimised: the objective on
them is reported for the priors and for the fit, as the out-of-sample check. Nothing at or after
a dataset's evaluation split is read (see :mod:`sway.evaluation.splits`).

Only parameters that change the scoring steps rerun the scorer; the raw-influence mix is applied
to cached sub-scores, so the mix knobs are nearly free.

References
----------
.. [1] S. J. Wright (2015). "Coordinate descent algorithms." Mathematical Programming 151(1),
   3-34.
.. [2] J. Bergstra, Y. Bengio (2012). "Random search for hyper-parameter optimization." JMLR
   13, 281-305 (why a small grid per knob, not a full grid, is enough here).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sway.errors import ConfigError
from sway.evaluation.metrics import ndcg_at_k, spearman
from sway.evaluation.principles import principle_violations
from sway.evaluation.protocol import default_split
from sway.evaluation.splits import (
    DEFAULT_TRAIN_QUANTILES,
    DEFAULT_VALIDATE_QUANTILE,
    FitSplit,
    PreparedSplit,
    place_splits,
    prepare_split,
)
from sway.scoring.params import ScoreParams
from sway.scoring.scorer import InfluenceScorer
from sway.store.db import Store

__all__ = [
    "KNOBS",
    "MIX_KNOBS",
    "NOT_FITTED",
    "PRIORS",
    "SEARCH_SPACE",
    "DataSpec",
    "FitResult",
    "fit_parameters",
    "parse_spec",
    "split_metric",
]

Array = NDArray[np.float64]

#: The hand-set priors of algorithm version 1.0: where the search starts.
PRIORS: dict[str, float] = {
    "weight_reply": 3.0,
    "weight_comment": 3.0,
    "weight_quote": 3.0,
    "weight_repost": 2.0,
    "weight_endorse": 2.0,
    "weight_mention": 1.5,
    "weight_like": 1.0,
    "weight_vote": 1.0,
    "weight_follow": 0.5,
    "anonymous_weight": 0.5,
    "half_life_days": 30.0,
    "window_days": 90.0,
    "selectivity_rate": 10.0,
    "selectivity_strength": 0.5,
    "amplification_prior": 2.0,
    "mix_reach": 0.4,
    "mix_amplification": 0.3,
    "mix_network_impact": 0.3,
    "damping": 0.85,
    "full_endorsement": 1.0,
}

#: Each knob of the search and the parameters it sets (tied: no dataset tells them apart).
KNOBS: dict[str, tuple[str, ...]] = {
    "weight_repost": ("weight_repost", "weight_endorse"),
    "weight_reply": ("weight_reply", "weight_comment", "weight_quote"),
    "weight_mention": ("weight_mention",),
    "anonymous_weight": ("anonymous_weight",),
    "half_life_days": ("half_life_days",),
    "selectivity_rate": ("selectivity_rate",),
    "selectivity_strength": ("selectivity_strength",),
    "amplification_prior": ("amplification_prior",),
    "damping": ("damping",),
    "mix_amplification": ("mix_amplification",),
    "mix_network_impact": ("mix_network_impact",),
}

#: Knobs of the raw-influence mix: ``mix_reach`` is what the other two leave of 1.
MIX_KNOBS = ("mix_amplification", "mix_network_impact")

#: The grid of every knob (each includes its prior). The bounds are design choices:
#:
#: - action weights are in units of a like (fixed at 1), with replies > reposts > likes
#:   (DESIGN) and a mention at most a reply (both name the account in a post; a reply also
#:   answers it);
#: - an anonymous reaction cannot be checked for selectivity or credibility (the integrity
#:   layer cannot discount it), so it counts at most half of a named, credible reactor's;
#: - each sub-score keeps at least 5% of raw influence, so that the principles that rest on it
#:   (ratio beats volume, who reacts matters) still move the score;
#: - at least half of a reactor's standing flows on in the graph step (damping >= 0.5).
SEARCH_SPACE: dict[str, tuple[float, ...]] = {
    "weight_repost": (1.5, 2.0, 3.0, 5.0),
    "weight_reply": (2.0, 3.0, 5.0, 8.0),
    "weight_mention": (0.5, 1.0, 1.5, 3.0, 5.0, 8.0),
    "anonymous_weight": (0.1, 0.25, 0.5),
    "half_life_days": (5.0, 7.0, 10.0, 14.0, 21.0, 30.0, 45.0),
    "selectivity_rate": (3.0, 10.0, 30.0),
    "selectivity_strength": (0.25, 0.5, 0.75, 1.0),
    "amplification_prior": (0.5, 1.0, 2.0, 5.0),
    "damping": (0.5, 0.7, 0.85),
    "mix_amplification": (0.05, 0.1, 0.2, 0.3),
    "mix_network_impact": (0.05, 0.1, 0.2, 0.3),
}

#: Not fitted: likes and up-votes are the unit of the action weights; a full endorsement is
#: one fresh like by definition (docs/scoring.md); the trailing window is a DESIGN constant (90
#: days); no dataset has follows or people owning several accounts; the rest are numerical
#: settings.
NOT_FITTED = (
    "weight_like",
    "weight_vote",
    "full_endorsement",
    "window_days",
    "weight_follow",
    "person_norm",
    "tolerance",
    "max_iter",
    "top_n",
)

#: A state of the search: every score parameter, as a float.
State = dict[str, float]


def _score_params(state: Mapping[str, float]) -> ScoreParams:
    """The validated parameters of a state (``max_iter`` and ``top_n`` are whole floats)."""
    values: dict[str, Any] = dict(state)
    return ScoreParams(**values)


def _start_state() -> State:
    # The published fit (version 1.1) ran without the integrity layer; version 1.2 keeps its
    # values and turns the layer on (docs/integrity.md), so the fit still reproduces them.
    return {**ScoreParams().as_dict(), **PRIORS, "integrity": 0.0}


@dataclass(frozen=True)
class DataSpec:
    """One dataset of the fit: a store, the network in it, and its evaluation split."""

    name: str
    store: Path
    network: str
    evaluation_split: datetime | None = None


def parse_spec(text: str) -> DataSpec:
    """``PATH:NETWORK`` or ``PATH:NETWORK@ISO_SPLIT``; the name is the file's stem."""
    from sway.events import parse_ts

    body, _, split_text = text.partition("@")
    path, sep, network = body.rpartition(":")
    if not sep or not path or not network:
        raise ConfigError(f"expected STORE:NETWORK[@SPLIT], found {text!r}")
    split = None
    if split_text:
        try:
            split = parse_ts(split_text)
        except ValueError as exc:
            raise ConfigError(f"{text!r}: {exc}") from None
    return DataSpec(Path(path).stem, Path(path), network, split)


@dataclass
class FitResult:
    """What the fit found and how: enough to publish and to reproduce it."""

    #: The fitted score parameters (every field of ScoreParams): the defaults to publish.
    params: dict[str, Any]
    #: The parameters the search started from (the priors of version 1.0).
    priors: dict[str, Any]
    seed: int
    restarts: int
    k: int
    horizon_days: float
    splits: list[FitSplit]
    #: Objective by role ("train", "validate") for the priors and the fit, overall and per dataset.
    objective: dict[str, dict[str, float]] = field(default_factory=dict)
    per_dataset: dict[str, dict[str, float]] = field(default_factory=dict)
    #: Every knob visit: restart, pass, knob, from, to, training objective, whether it moved.
    history: list[dict[str, Any]] = field(default_factory=list)
    #: The training objective each restart ended at (the best is kept).
    restart_objectives: list[float] = field(default_factory=list)
    #: Scorer runs made (each one scoring run of one split).
    scorer_runs: int = 0

    def changed(self) -> dict[str, float]:
        """The parameters the fit moved away from the priors."""
        return {
            name: value
            for name, value in self.params.items()
            if not math.isclose(value, self.priors[name], rel_tol=1e-12)
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "params": self.params,
            "priors": self.priors,
            "changed": self.changed(),
            "seed": self.seed,
            "restarts": self.restarts,
            "k": self.k,
            "horizon_days": self.horizon_days,
            "search_space": {k: list(v) for k, v in SEARCH_SPACE.items()},
            "knob_parameters": {k: list(v) for k, v in KNOBS.items()},
            "not_fitted": list(NOT_FITTED),
            "splits": [s.as_dict() for s in self.splits],
            "objective": self.objective,
            "per_dataset": self.per_dataset,
            "restart_objectives": self.restart_objectives,
            "history": self.history,
            "scorer_runs": self.scorer_runs,
        }


def _mix(params: Mapping[str, float]) -> tuple[float, float, float]:
    amp, impact = params["mix_amplification"], params["mix_network_impact"]
    # Rounded so that grid values give round shares (0.9, not 0.8999999999999999).
    return (round(1.0 - amp - impact, 12), amp, impact)


def split_metric(raw: Array, truth: Array, k: int) -> float:
    """The objective of one split: the mean of Spearman and NDCG@k."""
    return 0.5 * (spearman(raw, truth) + ndcg_at_k(raw, truth, k))


class _Objective:
    """Scores parameter sets on prepared splits, caching sub-scores per scoring setting."""

    def __init__(self, prepared: Sequence[PreparedSplit], *, k: int, cache_size: int = 6) -> None:
        self.prepared = list(prepared)
        self.k = k
        self.cache_size = cache_size
        self._logs: OrderedDict[tuple[Any, ...], list[Array]] = OrderedDict()
        self._values: dict[tuple[Any, ...], dict[str, float]] = {}
        self.scorer_runs = 0

    @staticmethod
    def _scoring_key(params: Mapping[str, float], role: str) -> tuple[Any, ...]:
        return (role, *sorted((n, v) for n, v in params.items() if not n.startswith("mix_")))

    def _log_subscores(self, params: Mapping[str, float], role: str) -> list[Array]:
        """Per split of ``role``: ``log1p`` of reach, amplification, impact (3 x candidates)."""
        key = self._scoring_key(params, role)
        if key in self._logs:
            self._logs.move_to_end(key)
            return self._logs[key]
        out: list[Array] = []
        for prep in self.prepared:
            if prep.split.role != role:
                continue
            scorer = InfluenceScorer(**params).fit(prep.engine, as_of=prep.split.split)
            self.scorer_runs += 1
            rows = scorer.accounts_.select(
                ["account_id", "reach", "amplification", "network_impact"]
            ).to_pydict()
            index = {a: i for i, a in enumerate(rows["account_id"])}
            where = np.array([index.get(account, -1) for account in prep.keys])
            logs = np.zeros((3, len(prep.keys)))
            found = where >= 0
            for j, column in enumerate(("reach", "amplification", "network_impact")):
                values = np.array(rows[column], dtype=float)
                logs[j, found] = np.log1p(values[where[found]])
            out.append(logs)
        self._logs[key] = out
        while len(self._logs) > self.cache_size:
            self._logs.popitem(last=False)
        return out

    def per_dataset(self, state: Mapping[str, float], role: str) -> dict[str, float]:
        """Mean split objective per dataset, over the splits of ``role``."""
        params = dict(state)
        memo = (role, *sorted(params.items()))
        if memo in self._values:
            return self._values[memo]
        mix = np.array(_mix(params))
        logs = self._log_subscores(params, role)
        scores: dict[str, list[float]] = {}
        preps = [p for p in self.prepared if p.split.role == role]
        for prep, log in zip(preps, logs, strict=True):
            raw = mix @ log
            scores.setdefault(prep.split.dataset, []).append(split_metric(raw, prep.truth, self.k))
        result = {name: float(np.mean(values)) for name, values in scores.items()}
        self._values[memo] = result
        return result

    def overall(self, state: Mapping[str, float], role: str) -> float:
        values = self.per_dataset(state, role)
        return float(np.mean(list(values.values()))) if values else float("nan")


def _admissible(state: Mapping[str, float]) -> bool:
    """Valid parameters that keep every DESIGN principle, with a mention weighing at most a
    reply (both name the account in a post; a reply also answers it)."""
    if state["weight_mention"] > state["weight_reply"] or _mix(state)[0] <= 0:
        return False
    try:
        params = _score_params(state)
    except ConfigError:
        return False
    return not principle_violations(params)


def _set(state: Mapping[str, float], knob: str, value: float) -> State:
    out = dict(state)
    for name in KNOBS[knob]:
        out[name] = float(value)
    if knob in MIX_KNOBS:
        out["mix_reach"] = _mix(out)[0]
    return out


def _value(state: Mapping[str, float], knob: str) -> float:
    return state[KNOBS[knob][0]]


Progress = Callable[[str], None]


def _descend(
    objective: _Objective,
    start: State,
    *,
    rng: np.random.Generator,
    restart: int,
    passes: int,
    min_gain: float,
    space: Mapping[str, Sequence[float]],
    progress: Progress,
) -> tuple[State, float, list[dict[str, Any]]]:
    """One coordinate descent from ``start``; knob order drawn from ``rng`` every pass."""
    state = dict(start)
    best = objective.overall(state, "train")
    history: list[dict[str, Any]] = []
    knobs = list(space)
    for number in range(1, passes + 1):
        moved = False
        for index in rng.permutation(len(knobs)):
            knob = knobs[int(index)]
            current = _value(state, knob)
            chosen, chosen_value = current, best
            for value in space[knob]:
                if math.isclose(value, current, rel_tol=1e-12):
                    continue
                candidate = _set(state, knob, value)
                if not _admissible(candidate):
                    continue
                value_objective = objective.overall(candidate, "train")
                if value_objective > chosen_value + (min_gain if chosen == current else 0.0):
                    chosen, chosen_value = value, value_objective
            step = chosen != current
            if step:
                state = _set(state, knob, chosen)
                best = chosen_value
                moved = True
                progress(
                    f"restart {restart}, pass {number}: {knob} {current:g} -> {chosen:g}: "
                    f"{best:.4f}"
                )
            history.append(
                {
                    "restart": restart,
                    "pass": number,
                    "knob": knob,
                    "from": current,
                    "to": chosen,
                    "train_objective": best,
                    "moved": step,
                }
            )
        if not moved:
            break
    return state, best, history


def fit_parameters(
    specs: Sequence[DataSpec],
    *,
    horizon: timedelta = timedelta(days=30),
    k: int = 100,
    seed: int = 0,
    restarts: int = 3,
    passes: int = 3,
    min_gain: float = 0.001,
    train_quantiles: Sequence[float] = DEFAULT_TRAIN_QUANTILES,
    validate_quantile: float = DEFAULT_VALIDATE_QUANTILE,
    space: Mapping[str, Sequence[float]] | None = None,
    progress: Progress | None = None,
) -> FitResult:
    """Fit one default parameter set on several datasets (see the module docstring).

    Parameters
    ----------
    specs
        The datasets: a store, a network, and the evaluation split to keep clear of (default:
        :func:`~sway.evaluation.protocol.default_split`, as ``sway evaluate`` uses).
    horizon
        Length of a truth window.
    k
        ``k`` of NDCG@k in the objective.
    seed
        Draws the order in which knobs are visited.
    restarts
        Coordinate descents from the priors, each visiting the knobs in its own order; the one
        ending at the best training objective is kept (the first, on a tie).
    passes, min_gain
        At most this many passes over the knobs; a move must gain at least ``min_gain``.
    train_quantiles, validate_quantile
        Where the splits sit (:func:`~sway.evaluation.splits.place_splits`).
    space
        Knob -> grid values (default :data:`SEARCH_SPACE`); a subset of the knobs may be given.
    progress
        Called with a line of text at each move.
    """
    space = dict(space if space is not None else SEARCH_SPACE)
    unknown = sorted(set(space) - set(KNOBS))
    if unknown:
        raise ConfigError(f"unknown fit knob {unknown[0]!r}; known: {', '.join(KNOBS)}")
    if not specs:
        raise ConfigError("nothing to fit on: give at least one STORE:NETWORK")
    if restarts < 1:
        raise ConfigError(f"restarts must be at least 1, found {restarts}")
    report = progress or (lambda _line: None)
    start = _start_state()
    window = timedelta(days=float(start["window_days"]))
    splits: list[FitSplit] = []
    prepared: list[PreparedSplit] = []
    try:
        for spec in specs:
            with Store.open(spec.store, read_only=True) as store:
                evaluation_split = spec.evaluation_split or default_split(store, spec.network)
                times = [
                    row[0]
                    for row in store.con.sql(
                        "SELECT ts FROM events WHERE network = $network AND ts < $split "
                        "ORDER BY ts",
                        params={"network": spec.network, "split": evaluation_split},
                    ).fetchall()
                ]
                placed = place_splits(
                    times,
                    dataset=spec.name,
                    network=spec.network,
                    evaluation_split=evaluation_split,
                    horizon=horizon,
                    train_quantiles=train_quantiles,
                    validate_quantile=validate_quantile,
                )
                for split in placed:
                    prep = prepare_split(store, split, candidate_window=window, max_window=window)
                    if len(prep.keys) < 2:
                        prep.close()
                        continue
                    prepared.append(prep)
                    splits.append(split)
                report(
                    f"{spec.name}: evaluation split {evaluation_split:%Y-%m-%d %H:%M}; "
                    + ", ".join(
                        f"{s.role} {s.split:%Y-%m-%d}+{(s.end - s.split).days}d"
                        for s in splits
                        if s.dataset == spec.name
                    )
                )
        if not any(s.role == "train" for s in splits):
            raise ConfigError("no training split has two candidates or more: nothing to fit")
        objective = _Objective(prepared, k=k)
        report(f"start: training objective {objective.overall(start, 'train'):.4f}")
        rng = np.random.default_rng(seed)
        best: tuple[State, float] | None = None
        history: list[dict[str, Any]] = []
        ends: list[float] = []
        for restart in range(1, restarts + 1):
            state, value, steps = _descend(
                objective,
                start,
                rng=rng,
                restart=restart,
                passes=passes,
                min_gain=min_gain,
                space=space,
                progress=report,
            )
            history += steps
            ends.append(value)
            if best is None or value > best[1]:
                best = (state, value)
        assert best is not None
        fitted = best[0]
        result = FitResult(
            params=_score_params(fitted).as_dict(),
            priors=_score_params(start).as_dict(),
            seed=seed,
            restarts=restarts,
            k=k,
            horizon_days=horizon.total_seconds() / 86400,
            splits=splits,
            history=history,
            restart_objectives=ends,
        )
        for role in ("train", "validate"):
            for label, state in (("priors", start), ("fitted", fitted)):
                values = objective.per_dataset(state, role)
                if values:
                    result.objective.setdefault(role, {})[label] = float(
                        np.mean(list(values.values()))
                    )
                for name, value in values.items():
                    result.per_dataset.setdefault(name, {})[f"{role}_{label}"] = value
        result.scorer_runs = objective.scorer_runs
        return result
    finally:
        for prep in prepared:
            prep.close()
