"""The triage page's inbox: messages typed or pasted into a form, and an example to start from.

The same message rules as ``sway triage`` and ``POST /v1/triage`` (:func:`sway.triage.parse_message`);
errors name the line or the message and the field, as :class:`~sway.api.errors.ApiError`.
"""

from __future__ import annotations

from typing import Any

import orjson

from sway.api.errors import ApiError
from sway.api.state import ServiceState
from sway.errors import SourceError
from sway.triage import Message, parse_message

__all__ = ["TRIAGE_FORM_MAX", "example_inbox", "parse_inbox"]

#: Most messages triaged from the form at once.
TRIAGE_FORM_MAX = 1000


def example_inbox(state: ServiceState) -> str:
    """A few messages from the top accounts of the served run, to try the queue with."""
    accounts, _ = state.index.leaderboard(offset=0, limit=3)
    texts = (
        "Thanks, the new release looks great.",
        "My order never arrived and nobody answers. I need a refund, please fix this!",
        "How much is the team plan? Thinking of buying it this week.",
        "Urgent: the app is crashing on start for days, can you help asap?",
    )
    messages: list[dict[str, Any]] = []
    for i, text in enumerate(texts):
        if not accounts:
            break
        a = accounts[i % len(accounts)]
        messages.append(
            {"id": f"m{i + 1}", "network": a.network, "author": a.account_id, "text": text}
        )
    messages.append(
        {
            "id": "m5",
            "network": "twitter",
            "author": "someone_new",
            "text": "is it in stock?",
            "lifetime_value": 1200,
            "orders": 6,
        }
    )
    return "\n".join(orjson.dumps(m).decode() for m in messages)


def parse_inbox(text: str) -> list[Message]:
    """Messages from the form: JSON lines, or one JSON array; errors name the line."""
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            data = orjson.loads(stripped)
        except orjson.JSONDecodeError as exc:
            raise ApiError(422, f"not valid JSON ({exc})", field="messages") from None
        rows = list(data) if isinstance(data, list) else []
    else:
        rows = []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                rows.append(orjson.loads(line))
            except orjson.JSONDecodeError as exc:
                raise ApiError(
                    422, f"line {n}: not valid JSON ({exc})", field=f"line {n}"
                ) from None
    if len(rows) > TRIAGE_FORM_MAX:
        raise ApiError(413, f"more than {TRIAGE_FORM_MAX} messages at once", field="messages")
    messages = []
    for i, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise ApiError(422, f"message {i}: expected a JSON object", field=f"message {i}")
        try:
            messages.append(parse_message(row, record=i))
        except SourceError as exc:
            field = f"message {i}" + (f".{exc.field}" if exc.field else "")
            raise ApiError(
                422, f"{field}: {exc.message}", code="invalid_input", field=field
            ) from None
    return messages
