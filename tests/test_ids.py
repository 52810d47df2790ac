"""Person ids (``sway.ids``): names and implicit ``NETWORK:ACCOUNT`` ids pass; paths, control
characters and the like are refused with the id and the rule in the message."""

from __future__ import annotations

import pytest

from sway.errors import ConfigError
from sway.ids import PERSON_ID_RULE, check_person_id

GOOD = [
    "ada",
    "torisuda",
    "team.ada-2",
    "A_1",
    "twitter:12",
    "twitter:1376916704832462858",
    "mastodon:ada@x.social",
    "stackexchange:conlang-meta:user:7",
    "csv:John Smith",
]
BAD = [
    "../../x",
    "..",
    "a..b",
    "ada/bob",
    "twitter:a/b",
    "twitter:..",
    "ada\\bob",
    "ada\n",
    "ada\x00",
    "twitter:a\tb",
    " ada",
    "ada ",
    "twitter: ada",
    "-ada",
    ".ada",
    "Twitter:12",
    "twitter:",
    ":12",
    "a" * 101,
    "twitter:" + "a" * 301,
]


@pytest.mark.parametrize("person_id", GOOD)
def test_names_and_implicit_account_ids_pass(person_id: str) -> None:
    assert check_person_id(person_id) == person_id


@pytest.mark.parametrize("person_id", BAD)
def test_anything_else_is_refused_naming_the_id_and_the_rule(person_id: str) -> None:
    with pytest.raises(ConfigError) as refused:
        check_person_id(person_id)
    assert str(refused.value) == f"person id {person_id!r}: expected {PERSON_ID_RULE}"


@pytest.mark.parametrize("person_id", ["", "   "])
def test_nothing_is_refused_as_nothing(person_id: str) -> None:
    with pytest.raises(ConfigError, match="found nothing"):
        check_person_id(person_id)
