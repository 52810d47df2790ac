"""The server's logs carry no secret: every record is redacted before a handler writes it.

The Klout routes take the key in the query string (``?key=``), and a browser's WebSocket can
only send it there; uvicorn's access log writes the whole request line. A filter on the
handlers (not the loggers: records that propagate from child loggers skip logger filters)
passes every record's message and arguments through :func:`sway.privacy.audit.redact`.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from uvicorn.config import LOGGING_CONFIG

from sway.privacy.audit import redact

__all__ = ["RedactSecrets", "log_config"]


class RedactSecrets(logging.Filter):
    """Redact API keys and secret query parameters in a record (always lets it through)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {
                k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()
            }
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration, with :class:`RedactSecrets` on every handler."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_secrets"] = {"()": RedactSecrets}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("redact_secrets")
    return config
