"""The privacy panel of a profile: who can see the score, and where a person's data is
exported or erased.

The links are made in one place, :func:`privacy_links`, from the routes of
:mod:`sway.api.routes.privacy` (``docs/privacy.md``), so that the erasure and export flows are
named once for the whole dashboard.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote

from sway.api.keys import ApiKey

__all__ = ["PrivacyLink", "privacy_links", "public_href", "score_viewers"]


@dataclass(frozen=True)
class PrivacyLink:
    """A privacy action: its HTTP route (what a client or a form calls) and its CLI twin."""

    label: str
    method: str
    href: str
    cli: str


def privacy_links(person_id: str) -> list[PrivacyLink]:
    """Export and erasure of a person's data (``person_id``: a person, or the
    ``network:account_id`` of an account standing for itself)."""
    path = f"/v1/privacy/people/{quote(person_id, safe='')}"
    # The CLI twins name the person as the commands do (--person), quoted for a shell.
    person = shlex.quote(person_id)
    return [
        PrivacyLink(
            label="Export everything stored about this person",
            method="GET",
            href=f"{path}/export",
            cli=f"sway export-person --person {person}",
        ),
        PrivacyLink(
            label="Erase this person's data",
            method="DELETE",
            href=path,
            cli=f"sway forget --person {person}",
        ),
    ]


def public_href(person_id: str) -> str:
    """Where a published score is served without a key."""
    return f"/v1/public/people/{quote(person_id, safe='')}"


def score_viewers(keys: Iterable[ApiKey], person_id: str) -> list[ApiKey]:
    """The active keys that can read this person's score: every key with the ``read`` scope
    (or ``admin``), and the person's own keys (scope ``self``)."""
    return [
        k
        for k in keys
        if k.active and (k.allows("read") or ("self" in k.scopes and k.person_id == person_id))
    ]
