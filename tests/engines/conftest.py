"""One local Spark session for every Spark test (starting one costs seconds)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from optional import missing


def spark_missing() -> str | None:
    """What of the Spark engine's needs is not installed (the ``spark`` extra, Java), if any.
    Tests act on it through :func:`optional.missing`: a skip, or a failure in CI."""
    for module in ("pyspark", "sqlglot"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed"
    home = os.environ.get("JAVA_HOME")
    if not (home and os.path.exists(os.path.join(home, "bin", "java"))) and not shutil.which(
        "java"
    ):
        return "Java is not installed (PySpark needs Java 17 or 21)"
    return None


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    why = spark_missing()
    if why is not None:
        missing("SPARK", why)
    from sway.engines.spark import spark_session

    # The Klout client used by the API tests sets a process-wide default socket timeout and
    # leaves it; PySpark's gateway sockets would inherit it and time out while the JVM starts.
    leaked = socket.getdefaulttimeout()
    socket.setdefaulttimeout(None)
    session = spark_session(
        "local[2]",
        app_name="sway-tests",
        conf={
            # Tiny data: two shuffle partitions, no web UI, a small driver.
            "spark.sql.shuffle.partitions": "2",
            "spark.default.parallelism": "2",
            "spark.ui.enabled": "false",
            "spark.driver.memory": "1g",
        },
    )
    yield session
    session.stop()
    socket.setdefaulttimeout(leaked)
