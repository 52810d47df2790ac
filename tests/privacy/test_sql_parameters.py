"""No SQL is built from values by string concatenation: values travel as parameters.

The statements may splice in identifiers (table and column names from fixed allow-lists in the
module) and fragments of the module's own SQL, written as f-strings or by joining module
constants. What this test refuses, anywhere in ``src/``, is the shape through which a value gets
into SQL text: a placeholder inside quotes (``'{value}'``), ``%`` formatting of SQL, ``.format``
on SQL, and ``+`` between SQL and anything but another SQL constant.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "sway"
SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|ATTACH|COPY|DROP)\b")
#: ``str.format`` on SQL that takes relation names from the caller: CREATE VIEW cannot take
#: parameters (the relation is Sway's own: a table name or a ``read_parquet`` of its files).
FORMAT_ALLOWED = {("engines/duckdb.py", "_INPUT_EVENTS"), ("engines/duckdb.py", "_INPUT_LINKS")}


def _is_sql(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(SQL.search(node.value))
    if isinstance(node, ast.JoinedStr):
        return any(_is_sql(v) for v in node.values)
    return False


def _constant_sql(node: ast.AST) -> bool:
    """A literal, a module constant (UPPER_CASE or _UPPER_CASE), or a join of those."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        return node.id.lstrip("_").isupper()
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _constant_sql(node.left) and _constant_sql(node.right)
    return False


def violations(path: Path) -> list[str]:
    rel = path.relative_to(SRC).as_posix()
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        where = f"{rel}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.JoinedStr):
            parts = node.values
            for i, part in enumerate(parts):
                if not isinstance(part, ast.FormattedValue) or not _is_sql(node):
                    continue
                before = parts[i - 1] if i > 0 else None
                after = parts[i + 1] if i + 1 < len(parts) else None
                if (
                    isinstance(before, ast.Constant)
                    and str(before.value).endswith("'")
                    and isinstance(after, ast.Constant)
                    and str(after.value).startswith("'")
                ):
                    found.append(f"{where}: a value spliced into a SQL string literal")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and _is_sql(node.left):
            found.append(f"{where}: % formatting of SQL")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            if (_is_sql(node.left) or _is_sql(node.right)) and not (
                _constant_sql(node.left) and _constant_sql(node.right)
            ):
                found.append(f"{where}: SQL joined with a value by +")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "format"
        ):
            target = node.func.value
            name = target.id if isinstance(target, ast.Name) else None
            if (_is_sql(target) or (name and name.lstrip("_").isupper())) and (
                rel,
                name,
            ) not in FORMAT_ALLOWED:
                found.append(f"{where}: .format() on SQL")
    return found


def test_no_sql_is_built_from_values() -> None:
    files = sorted(SRC.rglob("*.py"))
    assert len(files) > 50
    found = [v for f in files for v in violations(f)]
    assert found == []


def test_the_check_catches_what_it_should(tmp_path: Path) -> None:
    bad = SRC / "_sql_probe_never_committed.py"
    bad.write_text(
        "def f(con, user):\n"
        "    con.execute(f\"SELECT * FROM events WHERE actor = '{user}'\")\n"
        "    con.execute(\"SELECT * FROM events WHERE actor = '%s'\" % user)\n"
        '    con.execute("SELECT * FROM events WHERE actor = \'" + user + "\'")\n'
        "    con.execute(\"SELECT * FROM events WHERE actor = '{}'\".format(user))\n"
        "    con.execute('SELECT * FROM events WHERE actor = ?', [user])\n",
        encoding="utf-8",
    )
    try:
        found = violations(bad)
    finally:
        bad.unlink()
    lines = {int(v.split(":")[1]) for v in found}
    kinds = {v.split(": ", 1)[1] for v in found}
    # Lines 2 to 5 build SQL from a value; line 6 passes it as a parameter.
    assert lines == {2, 3, 4, 5}
    assert kinds == {
        ".format() on SQL",
        "% formatting of SQL",
        "SQL joined with a value by +",
        "a value spliced into a SQL string literal",
    }
