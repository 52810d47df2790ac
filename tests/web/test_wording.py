"""Counted words on the dashboard's pages agree with their count: "1 reaction", "2 reactions"."""

from __future__ import annotations

import re
from typing import Any

import pytest

from web.conftest import Server

pytestmark = pytest.mark.slow
COUNTED = re.compile(r"\b(\d[\d,]*) (reactions?|reactors?|accounts?|runs?)\b")


def test_every_count_on_a_profile_has_the_right_number(page: Any, server: Server) -> None:
    page.goto(server.url + "/")
    profiles = [a.get_attribute("href") for a in page.locator("#board tbody tr a").all()[:5]]
    counted: list[tuple[int, str]] = []
    for href in profiles:
        page.goto(server.url + href)
        for details in page.locator("details").all():
            details.evaluate("d => d.open = true")
        counted += [
            (int(n.replace(",", "")), word)
            for n, word in COUNTED.findall(page.locator("main").inner_text())
        ]
    # The top accounts of the demo have influencers with one reaction and with several.
    assert {n == 1 for n, _ in counted} == {True, False}, counted
    wrong = [f"{n} {word}" for n, word in counted if word.endswith("s") == (n == 1)]
    assert not wrong, wrong
