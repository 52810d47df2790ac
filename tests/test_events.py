from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sway.errors import SourceError
from sway.events import EVENT_COLUMNS, EVENT_SCHEMA, Event, events_to_arrow, make_event, parse_ts

ROW = {
    "network": "twitter",
    "event_id": "42",
    "ts": "2024-05-01T12:00:00Z",
    "actor": "alice",
    "action": "reply",
    "target": "bob",
    "content_id": "c1",
    "parent_id": "p1",
    "text": "hi",
}


def test_make_event_parses_a_full_row() -> None:
    event = make_event(ROW)
    assert event == Event(
        network="twitter",
        event_id="42",
        ts=datetime(2024, 5, 1, 12, tzinfo=UTC),
        actor="alice",
        action="reply",
        target="bob",
        content_id="c1",
        parent_id="p1",
        text="hi",
    )


def test_empty_strings_are_missing_values() -> None:
    event = make_event({**ROW, "parent_id": "", "text": ""})
    assert event.parent_id is None and event.text is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-01T12:00:00Z", datetime(2024, 5, 1, 12, tzinfo=UTC)),
        ("2024-05-01T14:00:00+02:00", datetime(2024, 5, 1, 12, tzinfo=UTC)),
        ("2024-05-01 12:00:00", datetime(2024, 5, 1, 12, tzinfo=UTC)),
        (1714564800, datetime(2024, 5, 1, 12, tzinfo=UTC)),
    ],
)
def test_parse_ts_gives_utc(value: object, expected: datetime) -> None:
    assert parse_ts(value) == expected


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"network": "Twitter"}, "network", "lower-case network"),
        ({"event_id": ""}, "event_id", "non-empty id"),
        ({"ts": "yesterday"}, "ts", "ISO 8601"),
        ({"action": "retweet"}, "action", "expected one of"),
        ({"action": "post", "actor": ""}, "actor", "author of the post"),
        ({"target": "", "content_id": ""}, "target", "acts upon"),
        ({"value": "lots"}, "value", "expected a number"),
        ({"actor": ["a"]}, "actor", "expected a string"),
    ],
)
def test_bad_fields_name_file_line_and_field(
    change: dict[str, object], field: str, fragment: str
) -> None:
    with pytest.raises(SourceError) as info:
        make_event({**ROW, **change}, path="in.csv", line=7)
    message = str(info.value)
    assert message.startswith(f"in.csv:7: {field}: ")
    assert fragment in message
    assert info.value.field == field and info.value.line == 7


def test_anonymous_reactions_are_allowed() -> None:
    event = make_event({**ROW, "actor": "", "action": "vote", "value": "1"})
    assert event.actor is None and event.value == 1.0


def test_tags_accept_pipes_and_lists() -> None:
    assert make_event({**ROW, "tags": "a| b||c"}).tags == ("a", "b", "c")
    assert make_event({**ROW, "tags": ["x", "y"]}).tags == ("x", "y")


def test_arrow_batch_has_the_schema() -> None:
    table = events_to_arrow([make_event(ROW), make_event({**ROW, "event_id": "43"})])
    assert table.schema == EVENT_SCHEMA
    assert table.column_names == list(EVENT_COLUMNS)
    assert table.num_rows == 2
