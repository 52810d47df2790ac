"""Rules for the test suite itself, checked on its source so that they cannot drift.

- A test of an optional part skips only through ``tests/optional.py``, which fails it instead
  where ``SWAY_REQUIRE_<PART>=1`` (CI sets them all): pytest's own import-or-skip or skip-if
  would skip in CI too, and a red CI would look green.
- No assertion compares a value with itself (``f(x) == f(x)`` passes whatever ``f`` does).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from optional import PARTS, import_or_missing, missing, required

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
#: Skipping by hand; built from parts so that this file does not match itself.
_SKIPS = re.compile("|".join(["import" + "orskip", r"mark\.skip" + "if", r"pytest\.skip" + r"\("]))


def _sources() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*.py") if "fixtures" not in p.relative_to(TESTS).parts)


def test_only_the_optional_module_skips() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in _sources()
        if path.name != "optional.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _SKIPS.search(line)
    ]
    assert not offenders, "skip through tests/optional.py instead:\n" + "\n".join(offenders)


def test_ci_requires_every_optional_part() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for part in PARTS:
        assert f"export SWAY_REQUIRE_{part}=1" in ci, part


def _self_comparisons(tree: ast.AST) -> list[int]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert) and isinstance(node.test, ast.Compare | ast.BoolOp):
            compares = [n for n in ast.walk(node.test) if isinstance(n, ast.Compare)]
            for compare in compares:
                operands = [ast.dump(o) for o in (compare.left, *compare.comparators)]
                if len(set(operands)) < len(operands):
                    found.append(node.lineno)
    return found


def test_no_assertion_compares_a_value_with_itself() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in _sources()
        for line in _self_comparisons(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert not offenders, "an assertion compares a value with itself:\n" + "\n".join(offenders)


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ('assert klout_id("a") == klout_id("a")', True),
        ("assert x == y == x", True),
        ("assert ok and f(1) == f(1)", True),
        ("assert f(1) == f(2)", False),
        ("assert x < y", False),
    ],
)
def test_the_self_comparison_check_finds_them(source: str, found: bool) -> None:
    assert bool(_self_comparisons(ast.parse(source))) is found


def test_a_missing_part_skips_unless_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SWAY_REQUIRE_SHARED_DATA", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not present"):
        missing("SHARED_DATA", "../shared/data is not present")
    monkeypatch.setenv("SWAY_REQUIRE_SHARED_DATA", "1")
    with pytest.raises(pytest.fail.Exception, match="SWAY_REQUIRE_SHARED_DATA=1 but"):
        missing("SHARED_DATA", "../shared/data is not present")
    with pytest.raises(pytest.fail.Exception, match="no_such_module_here is not installed"):
        monkeypatch.setenv("SWAY_REQUIRE_DEV", "1")
        import_or_missing("no_such_module_here", part="DEV")
    with pytest.raises(ValueError, match="unknown optional part"):
        required("GPU")
