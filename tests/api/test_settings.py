"""Settings: defaults, then the config file, then the environment, then explicit values."""

from __future__ import annotations

from pathlib import Path

import pytest

from sway.api.settings import Settings
from sway.errors import ConfigError


def test_defaults_are_klouts_limits() -> None:
    s = Settings.load(env={})
    assert (s.rate_per_second, s.rate_per_day) == (10.0, 10_000)
    assert (s.host, s.port) == ("127.0.0.1", 8000)
    assert s.crm.value == 0.5 and s.triage.kind == 0.3


def test_file_then_environment_then_overrides(tmp_path: Path) -> None:
    config = tmp_path / "sway.toml"
    config.write_text(
        '[serve]\nport = 9000\nrate_per_day = 50\ndb = "data/team.duckdb"\n'
        "[serve.crm]\ninfluence = 0.6\n[serve.triage]\ninfluence = 0\n",
        encoding="utf-8",
    )
    s = Settings.load(
        config=config, env={"SWAY_SERVE_RATE_PER_DAY": "70", "SWAY_SERVE_DOCS": "false"}
    )
    assert s.port == 9000 and s.rate_per_day == 70 and s.docs is False
    assert s.db == tmp_path / "data" / "team.duckdb"  # relative to the file
    assert s.crm.influence == 0.6 and s.crm.value == 0.5 and s.triage.influence == 0
    assert Settings.load(config=config, env={}, port=1234, host=None).port == 1234
    via_env = Settings.load(env={"SWAY_CONFIG": str(config)})
    assert via_env.port == 9000


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        ("[serve]\nport = 70000\n", {}, "port"),
        ("[serve]\ncolour = 1\n", {}, "unknown setting 'colour'"),
        ("[serve.crm]\nvalue = -1\n", {}, "CRM weight value"),
        ("[serve]\nrate_per_second = 0\n", {}, "rate_per_second"),
        ("serve = 3\n", {}, "must be a table"),
        ("[serve\n", {}, "not a readable TOML file"),
        ("", {"SWAY_SERVE_PORT": "eighty"}, "SWAY_SERVE_PORT"),
        ("", {"SWAY_SERVE_DOCS": "maybe"}, "true or false"),
    ],
)
def test_bad_settings_are_config_errors(
    tmp_path: Path, text: str, env: dict[str, str], message: str
) -> None:
    config = tmp_path / "sway.toml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        Settings.load(config=config, env=env)


def test_missing_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        Settings.load(config=tmp_path / "nope.toml", env={})
