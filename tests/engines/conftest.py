"""One local Spark session for every Spark test (starting one costs seconds)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
from collections.abc import Iterator
from typing import Any

import pytest

#: CI sets this so that a missing PySpark or Java fails the Spark tests instead of skipping them.
REQUIRE_SPARK = os.environ.get("SWAY_REQUIRE_SPARK") == "1"


def _missing() -> str | None:
    if importlib.util.find_spec("pyspark") is None:
        return 'PySpark is not installed (pip install "sway[spark]")'
    home = os.environ.get("JAVA_HOME")
    if not (home and os.path.exists(os.path.join(home, "bin", "java"))) and not shutil.which(
        "java"
    ):
        return "Java is not installed (PySpark needs Java 17 or 21)"
    return None


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    missing = _missing()
    if missing is not None:
        if REQUIRE_SPARK:
            pytest.fail(f"SWAY_REQUIRE_SPARK=1 but {missing}")
        pytest.skip(missing)
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
