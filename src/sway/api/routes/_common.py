"""Parameters shared by several routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

__all__ = ["AccountId", "Limit", "Network", "Offset", "PersonId"]

#: Pages: ``offset`` items skipped, at most ``limit`` returned.
Offset = Annotated[int, Query(ge=0, le=1_000_000_000, description="Items to skip.")]
Limit = Annotated[int, Query(ge=1, le=1000, description="Most items to return.")]
Network = Annotated[
    str,
    Path(
        pattern=r"^[a-z][a-z0-9_.-]{0,63}$",
        description="A network name: `twitter`, `mastodon`, `bluesky`, ...",
    ),
]
AccountId = Annotated[
    str, Path(min_length=1, max_length=1000, description="The network's account id.")
]
PersonId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=1000,
        description="A person id, or `network:account_id` for an account's own person.",
    ),
]
