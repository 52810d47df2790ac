"""DuckDB-dialect step SQL rewritten as Spark SQL, with the differences that change results fixed.

The steps of :mod:`sway.scoring.steps` are written once, in DuckDB's dialect. sqlglot rewrites
them for Spark (function names, ``||``, NULL ordering made explicit); this module adds what a
syntactic rewrite leaves different in meaning:

- a literal such as ``86400000000.0`` is a ``DECIMAL`` in both engines, but DuckDB's ``/`` on a
  decimal gives a ``DOUBLE`` while Spark keeps decimal arithmetic (another rounding, and
  overflow at 38 digits); the literals are made ``DOUBLE`` so that Spark computes as DuckDB does;
- ``$name`` parameters become Spark's named parameter markers ``:name``, bound by Spark as typed
  literals (never pasted into the text).
"""

from __future__ import annotations

from functools import lru_cache

from sway.engines.base import missing_extra
from sway.errors import EngineError

try:
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError
except ImportError as _missing:  # an install without the `spark` extra
    raise missing_extra("Spark", _missing, extra="spark") from None

__all__ = ["to_spark_sql"]


def _double_literals(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Literal) and node.is_number and "." in node.this:
        # The literal's text reads back as the same double in both engines (the steps only
        # use short decimal literals), so only the arithmetic that follows changes type.
        return exp.cast(node.copy(), exp.DataType.Type.DOUBLE)
    return node


@lru_cache(maxsize=256)
def to_spark_sql(sql: str) -> str:
    """``sql`` in DuckDB's dialect with ``$name`` parameters as Spark SQL with ``:name`` markers.

    Raises
    ------
    EngineError
        When the text uses something Spark SQL cannot express.
    """
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
        tree = tree.transform(_double_literals)
        return tree.sql(dialect="spark", unsupported_level=sqlglot.ErrorLevel.RAISE)
    except SqlglotError as exc:
        raise EngineError(f"cannot translate step SQL to Spark SQL: {exc}") from None
