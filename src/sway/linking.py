"""Linking accounts to a person from what someone typed: ``NETWORK:ACCOUNT``, where ACCOUNT is
the network's account id or the account's handle.

Handles are resolved exactly as CRM enrichment resolves a customer's handles: through an
:class:`sway.crm.InfluenceSource` (the service's in-memory index, :meth:`sway.api.index.
ServingIndex.signal`): a handle (``@`` optional, A-Z in any case) first, else an account id.
An account that source does not know may still be named by the store's events (an account
that no importer gave a profile, not scored yet); it is kept as given. Any other account is
refused: a typo, or a handle where the store only has ids, would otherwise make a link that
matches nothing and quietly leaves the person's score as it was. ``allow_unknown`` links such
accounts anyway (their data may be ingested later).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sway.crm import InfluenceSource
from sway.errors import ConfigError
from sway.store.db import Store
from sway.store.people import AccountRef, account_known, unknown_account

__all__ = ["Resolved", "resolve_accounts"]


@dataclass(frozen=True)
class Resolved:
    """One account as typed (``given``) and as it will be linked (``ref``); ``known`` is
    ``False`` for an account the store does not know, linked as given."""

    given: AccountRef
    ref: AccountRef
    known: bool = True

    @property
    def by_handle(self) -> bool:
        return self.ref != self.given


def resolve_accounts(
    store: Store,
    accounts: Iterable[AccountRef],
    source: InfluenceSource,
    *,
    allow_unknown: bool = False,
) -> list[Resolved]:
    """Each account resolved (module docstring), in the order given.

    Raises
    ------
    ConfigError
        When an account is unknown and ``allow_unknown`` is false; the message names every
        unknown account and why (a network the store does not have is named as such).
    """
    resolved: list[Resolved] = []
    problems: list[str] = []
    for given in accounts:
        found = source.signal(given.network, given.account_id)
        if found is not None:
            resolved.append(Resolved(given, AccountRef(found.network, found.account_id)))
        elif account_known(store, given):
            resolved.append(Resolved(given, given))
        else:
            problems.append(unknown_account(store, given) or f"no account {given}")
            resolved.append(Resolved(given, given, known=False))
    if problems and not allow_unknown:
        raise ConfigError(
            "; ".join(problems)
            + ". Give the network's account id or the account's handle (see `sway accounts`), "
            "or --allow-unknown to link an account whose data is not ingested yet"
        )
    return resolved
