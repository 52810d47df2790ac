"""The triage page's inbox parser: JSON lines or an array, errors naming line and field."""

from __future__ import annotations

import pytest

from sway.api.errors import ApiError
from sway.web.inbox import TRIAGE_FORM_MAX, parse_inbox


def test_json_lines_and_a_json_array_give_the_same_messages() -> None:
    lines = '{"network": "twitter", "author": "@ada", "text": "refund please"}\n\n' + (
        '{"id": "b", "network": "mastodon", "author": "bo@x.social", "text": "hi", "orders": 3}'
    )
    array = "[" + ",".join(line for line in lines.splitlines() if line) + "]"
    for text in (lines, array):
        first, second = parse_inbox(text)
        assert (first.network, first.author, first.text) == ("twitter", "ada", "refund please")
        assert (second.id, second.network) == ("b", "mastodon")
        assert second.customer is not None and second.customer.orders == 3


@pytest.mark.parametrize(
    ("text", "status", "field"),
    [
        ('{"network": "x", "author": "a", "text": "t"}\n{"network": ', 422, "line 2"),
        ('[{"network": "x", "author": "a", "text": "t"}, 7]', 422, "message 2"),
        ('{"network": "x", "text": "t"}', 422, "message 1.author"),
        (
            "["
            + ",".join(['{"network":"x","author":"a","text":"t"}'] * (TRIAGE_FORM_MAX + 1))
            + "]",
            413,
            "messages",
        ),
    ],
)
def test_bad_input_names_where(text: str, status: int, field: str) -> None:
    with pytest.raises(ApiError) as caught:
        parse_inbox(text)
    assert (caught.value.status, caught.value.field) == (status, field)
