"""The privacy commands as people type them: `forget` checks what it is asked before asking
for confirmation, `export-person` takes --person like the other commands, and the commands the
dashboard suggests are ones that work."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from privacy.conftest import ERASEE, ERASEE_ID
from sway.cli import cli
from sway.web.privacy import privacy_links


def invoke(db: Path, *args: str, answer: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", str(db), *args], input=answer)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["twitter:nobody"], "no account twitter:nobody in this store"),
        (["--person", "nobody"], "no person 'nobody'"),
        (["nocolon"], "expected NETWORK:ACCOUNT"),
        ([ERASEE, "twitter:nobody"], "no account twitter:nobody in this store"),
    ],
)
def test_forget_refuses_before_asking(network_db: Path, args: list[str], message: str) -> None:
    # No answer is given: a prompt would read end-of-input and abort instead of this error.
    code, out, err = invoke(network_db, "forget", *args)
    assert code == 2 and message in err
    assert "Erase" not in out + err  # never asked
    assert "erased" not in out


def test_forget_asks_once_the_request_is_valid(network_db: Path) -> None:
    code, _, err = invoke(network_db, "forget", ERASEE, answer="n\n")
    assert code == 2 and f"Erase {ERASEE} for good?" in err and "nothing erased" in err
    code, out, err = invoke(network_db, "forget", ERASEE, answer="y\n")
    assert code == 0, err
    assert out.startswith("erased 1 account and 0 person records: ")
    assert " rows removed or anonymised across 2 runs" in out


def test_export_person_takes_person_like_the_other_commands(network_db: Path) -> None:
    code, out, err = invoke(network_db, "export-person", "--person", "erasee")
    assert code == 0, err
    data = json.loads(out)
    code, old_form, err = invoke(network_db, "export-person", "erasee")
    assert code == 0 and "deprecated; use --person erasee" in err
    assert json.loads(old_form).keys() == data.keys()
    code, _, err = invoke(network_db, "export-person", "erasee", "--person", "erasee")
    assert code == 2 and "--person" in err
    code, _, err = invoke(network_db, "export-person")
    assert code == 2 and "--person" in err


@pytest.mark.parametrize("person", ["erasee", ERASEE])
def test_the_commands_the_dashboard_suggests_work(network_db: Path, person: str) -> None:
    export, erase = (shlex.split(link.cli) for link in privacy_links(person))
    assert export[:3] == ["sway", "export-person", "--person"]
    assert erase[:3] == ["sway", "forget", "--person"]
    code, out, err = invoke(network_db, *export[1:])
    assert code == 0, err
    assert ERASEE_ID in out
    code, out, err = invoke(network_db, *erase[1:], "--yes")
    assert code == 0, err
    assert out.startswith("erased ")


def test_a_suggested_command_is_quoted_for_a_shell() -> None:
    _, erase = privacy_links("it's me")
    assert shlex.split(erase.cli) == ["sway", "forget", "--person", "it's me"]
