"""The fit: time-based splits clear of the evaluation window, reproducible with a seed, and
only parameter sets that keep the DESIGN principles."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from sway.cli import cli
from sway.errors import ConfigError
from sway.evaluation.fit import (
    KNOBS,
    PRIORS,
    SEARCH_SPACE,
    DataSpec,
    FitResult,
    fit_parameters,
    parse_spec,
)
from sway.evaluation.principles import PRINCIPLES, principle_violations
from sway.evaluation.splits import place_splits
from sway.events import Event
from sway.scoring.params import ScoreParams
from sway.store import Store
from sway.store.ingest import ingest_records

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2024, 1, 1, tzinfo=UTC)
#: The evaluation split of the synthetic network: the fit must not see anything from here on.
EVALUATION = START + timedelta(days=100)
HORIZON = timedelta(days=20)
#: A small search: two scoring knobs and one mix knob keep each fit to a few seconds.
SPACE = {
    "half_life_days": (7.0, 30.0),
    "weight_mention": (1.5, 5.0),
    "mix_network_impact": (0.05, 0.3),
}


def messages(seed: int = 0, days: int = 100, n: int = 2500) -> list[Event]:
    """Messages among 40 accounts over ``days`` days; popularity persists but drifts."""
    rng = np.random.default_rng(seed)
    events = []
    for i in range(n):
        day = float(rng.uniform(0, days))
        actor = f"u{rng.integers(40)}"
        # Who is popular shifts slowly with time, so recency carries information.
        rank = min(int(rng.pareto(1.1)), 39)
        target = f"u{(rank + int(day // 25)) % 40}"
        if actor != target:
            events.append(
                Event("chat", f"m{seed}-{i}", START + timedelta(days=day), actor, "mention", target)
            )
    return events


def flood() -> list[Event]:
    """At and after the evaluation split: a burst that would change any fit that saw it."""
    return [
        Event("chat", f"late{i}", EVALUATION + timedelta(hours=i % 300), f"n{i}", "mention", "u39")
        for i in range(600)
    ]


def store_with(tmp_path: Path, name: str, events: list[Event]) -> Path:
    path = tmp_path / f"{name}.duckdb"
    with Store.open(path) as store:
        ingest_records(store, iter(events), source=name, format="test", sha256=name)
    return path


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("fit")
    past = messages(0) + messages(1, n=1500)
    return {
        "past": store_with(tmp, "past", past),
        "both": store_with(tmp, "both", past + flood()),
        "other": store_with(tmp, "other", messages(2)),
    }


def fit(
    paths: list[Path],
    *,
    seed: int = 0,
    space: Mapping[str, tuple[float, ...]] = SPACE,
    passes: int = 2,
    restarts: int = 1,
) -> FitResult:
    specs = [DataSpec(f"d{i}", p, "chat", EVALUATION) for i, p in enumerate(paths)]
    return fit_parameters(
        specs, horizon=HORIZON, seed=seed, space=space, k=10, passes=passes, restarts=restarts
    )


def test_splits_sit_before_the_evaluation_split_and_training_before_validation() -> None:
    rng = np.random.default_rng(0)
    times = sorted(START + timedelta(days=float(d)) for d in rng.uniform(0, 200, 3000))
    splits = place_splits(
        times, dataset="d", network="n", evaluation_split=EVALUATION, horizon=HORIZON
    )
    train = [s for s in splits if s.role == "train"]
    (validate,) = [s for s in splits if s.role == "validate"]
    assert len(train) == 3
    assert all(s.split < s.end <= EVALUATION for s in splits)
    # Every training target lies before the validation split: fit on earlier windows.
    assert all(s.end <= validate.split for s in train)
    assert [s.split for s in train] == sorted(s.split for s in train)
    assert max(s.split for s in train) < validate.split
    # Splits follow the events before the evaluation split, not the ones after it.
    later = times + [EVALUATION + timedelta(days=d) for d in range(1000)]
    assert splits == place_splits(
        later, dataset="d", network="n", evaluation_split=EVALUATION, horizon=HORIZON
    )


def test_split_placement_refuses_nonsense() -> None:
    with pytest.raises(ConfigError, match="no events before"):
        place_splits([], dataset="d", network="n", evaluation_split=EVALUATION, horizon=HORIZON)
    with pytest.raises(ConfigError, match="quantile"):
        place_splits(
            [START],
            dataset="d",
            network="n",
            evaluation_split=EVALUATION,
            horizon=HORIZON,
            train_quantiles=(0.9,),
            validate_quantile=0.5,
        )


def test_the_fit_never_reads_the_evaluation_window(stores: dict[str, Path]) -> None:
    clean = fit([stores["past"]])
    # The same data plus a flood at and after the evaluation split: not one number moves.
    flooded = fit([stores["both"]])
    assert flooded.as_dict() == clean.as_dict()
    assert all(s.end <= EVALUATION for s in clean.splits)
    assert {s.role for s in clean.splits} == {"train", "validate"}


def test_the_fit_is_reproducible_with_a_seed(stores: dict[str, Path]) -> None:
    paths = [stores["past"], stores["other"]]
    first = fit(paths, seed=3, passes=1, restarts=2)
    again = fit(paths, seed=3, passes=1, restarts=2)
    assert first.as_dict() == again.as_dict()
    # The seed draws the order in which knobs are visited; each restart has its own order.
    other = fit(paths, seed=4, passes=1)
    orders = [[h["knob"] for h in first.history if h["restart"] == r] for r in (1, 2)]
    assert sorted(orders[0]) == sorted(orders[1]) == sorted(SPACE)
    assert orders[0] != [h["knob"] for h in other.history]
    assert len(first.restart_objectives) == 2
    assert first.objective["train"]["fitted"] == pytest.approx(max(first.restart_objectives))
    # Both datasets weigh in, and the fit does not make the training objective worse.
    assert set(first.per_dataset) == {"d0", "d1"}
    assert first.objective["train"]["fitted"] >= first.objective["train"]["priors"]
    assert set(first.objective) == {"train", "validate"}
    assert first.scorer_runs > 0


def test_the_fit_starts_from_the_priors_and_keeps_the_principles(stores: dict[str, Path]) -> None:
    # A repost of 8 breaks "effortful reactions weigh more" (a repost above a reply), and a
    # mention of 5 would weigh more than a reply (3): neither is ever taken, however well it
    # ranks (on these messages, a larger mention weight does rank better).
    space = {
        "weight_repost": (2.0, 8.0),
        "weight_mention": (1.5, 5.0),
        "half_life_days": (7.0, 30.0),
    }
    result = fit([stores["past"]], space=space)
    # The priors of 1.0, without the integrity layer (the published fit ran without it).
    start = {**ScoreParams().as_dict(), **PRIORS, "integrity": 0}
    assert result.priors == ScoreParams(**start).as_dict()
    assert result.params["weight_repost"] == 2.0 and result.params["weight_mention"] == 1.5
    assert not principle_violations(ScoreParams(**result.params))
    # Tied parameters move together; likes are the unit.
    for names in KNOBS.values():
        assert len({result.params[n] for n in names}) == 1
    assert result.params["weight_like"] == 1.0
    assert result.params["mix_reach"] == pytest.approx(
        1 - result.params["mix_amplification"] - result.params["mix_network_impact"]
    )


def test_unknown_knobs_and_empty_input_are_refused(stores: dict[str, Path]) -> None:
    with pytest.raises(ConfigError, match="unknown fit knob 'window'"):
        fit([stores["past"]], space={"window": (30.0,)})
    with pytest.raises(ConfigError, match="nothing to fit on"):
        fit_parameters([])


def test_every_prior_is_on_its_grid() -> None:
    for knob, names in KNOBS.items():
        assert all(PRIORS[n] in SEARCH_SPACE[knob] for n in names), knob
    assert set(SEARCH_SPACE) == set(KNOBS)


def test_principles_hold_for_the_defaults_and_catch_violations() -> None:
    assert principle_violations(ScoreParams()) == []
    assert principle_violations(ScoreParams(**{**PRIORS})) == []
    assert "effortful reactions weigh more" in principle_violations(ScoreParams(weight_like=4.0))
    assert "selective reactors count more" in principle_violations(
        ScoreParams(selectivity_strength=0.1)
    )
    assert "ratios beat volume" in principle_violations(ScoreParams(mix_amplification=0.0))
    assert "who reacts matters" in principle_violations(ScoreParams(mix_network_impact=0.0))
    assert len(PRINCIPLES) == 6


def test_the_defaults_are_the_published_fit() -> None:
    published = json.loads((ROOT / "docs" / "evaluation" / "fit.json").read_text())
    defaults = ScoreParams().as_dict()
    # Every parameter the fit covers (fitted, or held at its prior) is the published value.
    assert {n: defaults[n] for n in PRIORS} == {n: published["params"][n] for n in PRIORS}
    assert published["objective"]["train"]["fitted"] >= published["objective"]["train"]["priors"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "a/b/college.duckdb:collegemsg",
            DataSpec("college", Path("a/b/college.duckdb"), "collegemsg"),
        ),
        (
            "C:/x/se.duckdb:stackexchange@2016-10-24",
            DataSpec(
                "se",
                Path("C:/x/se.duckdb"),
                "stackexchange",
                datetime(2016, 10, 24, tzinfo=UTC),
            ),
        ),
    ],
)
def test_dataset_specs(text: str, expected: DataSpec) -> None:
    assert parse_spec(text) == expected


def test_bad_specs_are_refused() -> None:
    for bad in ("store.duckdb", ":chat", "s.duckdb:chat@yesterday"):
        with pytest.raises(ConfigError):
            parse_spec(bad)


def test_fit_cli_prints_the_values_and_writes_json(stores: dict[str, Path], tmp_path: Path) -> None:
    out = CliRunner().invoke(
        cli,
        [
            "fit",
            f"{stores['past']}:chat@{EVALUATION.isoformat()}",
            "--horizon",
            "20d",
            "--k",
            "10",
            "--passes",
            "1",
            "--knob",
            "half_life_days",
            "--json",
            str(tmp_path / "fit.json"),
        ],
    )
    assert out.exit_code == 0, out.output
    assert "half_life_days" in out.stdout and "validate" in out.stdout
    saved = json.loads((tmp_path / "fit.json").read_text())
    assert set(saved["params"]) == set(ScoreParams.names())
    assert saved["splits"] and all(s["end"] <= EVALUATION.isoformat() for s in saved["splits"])
    missing = CliRunner().invoke(cli, ["fit", f"{tmp_path / 'nope.duckdb'}:chat"])
    assert missing.exit_code == 2 and "no such store" in missing.stderr
    bad = CliRunner().invoke(cli, ["fit", f"{stores['past']}:chat", "--knob", "window"])
    assert bad.exit_code == 2 and "unknown --knob 'window'" in bad.stderr


def test_the_mix_reuses_the_sub_scores(stores: dict[str, Path]) -> None:
    # Only the mix changes between these candidates: one scoring pass per split is enough.
    result = fit([stores["past"]], space={"mix_network_impact": (0.05, 0.1, 0.2, 0.3)}, passes=1)
    assert result.scorer_runs == len(result.splits)
