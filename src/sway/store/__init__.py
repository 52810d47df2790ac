"""The embedded store (DuckDB) and what reads and writes it."""

from sway.store.db import DEFAULT_DB, SCHEMA_VERSION, Store, default_db_path

__all__ = ["DEFAULT_DB", "SCHEMA_VERSION", "Store", "default_db_path"]
