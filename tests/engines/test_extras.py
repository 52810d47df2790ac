"""The ``spark`` extra brings everything ``sway score --engine spark`` imports, and a missing
optional dependency is a clean error naming the extra.

What the engine imports is read from its source (:func:`engine_imports`: every module the
Spark engine's files import, following Sway's own modules, minus the standard library), so a
new import is covered the day it is written. Two checks use it:

- :func:`test_the_declared_requirements_cover_the_spark_engine` (fast, offline): each of those
  modules is provided (``importlib.metadata.packages_distributions`` of this environment) by a
  distribution that ``pyproject.toml`` lists in the core dependencies or in the ``spark`` extra.
  It fails when a dependency is missing from the extra, as sqlglot once was.
- :func:`test_a_fresh_environment_gets_them_from_the_extra` (a package index): ``pip install
  --dry-run --report`` of ``sway[spark]`` in a virtual environment made with ``python -m venv``,
  so that nothing installed here can stand in: the distributions pip would install must
  provide every one of those modules. Installing for real would download PySpark (hundreds of
  MB) on every run for nothing the resolution does not already show; ``--no-deps`` would show
  nothing at all. It needs PyPI or a mirror: it skips without one, except where
  ``SWAY_REQUIRE_PACKAGE_INDEX=1`` (CI), where it fails.
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from optional import missing
from sway.cli import cli

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
#: The modules of the Spark engine (what `--engine spark` loads).
ENGINE = ("sway.engines.spark", "sway.engines.spark_sql", "sway.engines.spark_graph")
FIXTURE = ROOT / "tests" / "fixtures" / "scoring" / "events.csv"


def _module_file(name: str) -> Path | None:
    path = SRC.joinpath(*name.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _imported(module: str, tree: ast.AST) -> set[str]:
    """Absolute names of the modules ``tree`` imports (``TYPE_CHECKING`` imports included:
    the checks below are about what must be installable, not what runs first)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: sway.engines.x -> sway.engines
                base = module.rsplit(".", node.level)[0]
                names.add(f"{base}.{node.module}" if node.module else base)
            elif node.module:
                names.add(node.module)
                names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def engine_imports() -> set[str]:
    """Top-level names of the third-party modules the Spark engine imports, directly or
    through Sway's own modules."""
    seen: set[str] = set()
    todo = list(ENGINE)
    outside: set[str] = set()
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        path = _module_file(module)
        if path is None:
            continue  # `from sway.x import name` where name is not a module
        for name in _imported(module, ast.parse(path.read_text(encoding="utf-8"))):
            top = name.split(".")[0]
            if top == "sway":
                todo.append(name)
            elif top not in sys.stdlib_module_names and top != "__future__":
                outside.add(top)
    return outside


def _requirements(extra: str) -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    listed = [*project["dependencies"], *project["optional-dependencies"][extra]]
    return {canonicalize_name(Requirement(r).name): Requirement(r) for r in listed}


def test_the_engine_imports_what_we_think() -> None:
    # The reading of imports must see the engine's own optional dependencies at least; if it
    # did not, the checks below would pass on nothing.
    found = engine_imports()
    assert {"pyspark", "sqlglot", "pyarrow"} <= found, found


def test_the_declared_requirements_cover_the_spark_engine() -> None:
    declared = _requirements("spark")
    providers = importlib.metadata.packages_distributions()
    uncovered = []
    for module in sorted(engine_imports()):
        dists = {canonicalize_name(d) for d in providers.get(module, [])}
        if not dists:
            uncovered.append(f"{module} (not installed here, so its distribution is unknown)")
        elif not dists & set(declared):
            uncovered.append(f"{module} (from {', '.join(sorted(dists))})")
    assert not uncovered, (
        "the Spark engine imports modules that neither the core dependencies nor the `spark` "
        "extra bring: " + "; ".join(uncovered)
    )
    # And the versions installed here (what the tests run) are ones the extra allows.
    for name in ("pyspark", "sqlglot"):
        version = importlib.metadata.version(name)
        assert declared[name].specifier.contains(version, prereleases=True), (name, version)


@pytest.mark.slow
def test_a_fresh_environment_gets_them_from_the_extra(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
    reachable = subprocess.run(
        [*pip, "install", "--dry-run", "--quiet", "--no-deps", "--ignore-installed", "pip"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if reachable.returncode != 0:
        missing("PACKAGE_INDEX", f"pip cannot reach a package index: {reachable.stderr[-300:]}")
    report = tmp_path / "report.json"
    resolved = subprocess.run(
        [*pip, "install", "--dry-run", "--quiet", "--report", str(report), f"{ROOT}[spark]"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert resolved.returncode == 0, resolved.stderr[-2000:]
    installs = {
        canonicalize_name(item["metadata"]["name"])
        for item in json.loads(report.read_text(encoding="utf-8"))["install"]
    }
    assert "sway" in installs
    providers = importlib.metadata.packages_distributions()
    absent = [
        module
        for module in sorted(engine_imports())
        if not {canonicalize_name(d) for d in providers.get(module, [])} & installs
    ]
    assert not absent, f"pip install 'sway[spark]' would not bring: {', '.join(absent)}"


@pytest.mark.parametrize("module", ["sqlglot", "pyspark"])
def test_a_missing_optional_dependency_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str
) -> None:
    db = tmp_path / "s.duckdb"
    assert CliRunner().invoke(cli, ["--db", str(db), "ingest", "-q", str(FIXTURE)]).exit_code == 0
    # As if it were not installed: an import of it raises ImportError, and the engine's
    # modules are imported afresh.
    monkeypatch.setitem(sys.modules, module, None)
    for name in ENGINE:
        monkeypatch.delitem(sys.modules, name, raising=False)
    result = CliRunner().invoke(cli, ["--db", str(db), "score", "--engine", "spark"])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr.strip() == (
        f"sway: error: the Spark engine needs {module}, which is not installed: "
        'pip install "sway[spark]"'
    )
