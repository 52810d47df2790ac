"""What a person id may be, checked in one place wherever one is made (a person's own key,
a link of accounts).

A person id is either a name given when accounts are linked (``ada``, ``team.ada-2``:
letters, digits, ``.``, ``_`` and ``-``, starting with a letter or a digit, at most 100
characters) or the implicit id ``NETWORK:ACCOUNT`` of an account standing for itself
(``twitter:12``, ``mastodon:ada@x.social``, ``stackexchange:conlang-meta:user:7``; the network
as an event names it, the account any printable text). Never ``/`` or ``\\``, never ``..``,
never a control character or surrounding spaces: ids travel in URLs, file names and logs.
"""

from __future__ import annotations

import re

from sway.errors import ConfigError

__all__ = ["PERSON_ID_RULE", "check_person_id"]

#: What a person id looks like, for messages and docs.
PERSON_ID_RULE = (
    "a name of letters, digits, '.', '_' and '-' starting with a letter or digit (e.g. ada), "
    "or NETWORK:ACCOUNT (e.g. twitter:12), without '/', '\\', '..' or control characters"
)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
#: A network as :mod:`sway.events` accepts it.
_NETWORK = re.compile(r"[a-z][a-z0-9_.-]{0,63}")
_ACCOUNT_MAX = 300


def check_person_id(text: str) -> str:
    """``text`` when it is a valid person id (see the module docstring); otherwise a
    :class:`~sway.errors.ConfigError` naming it and saying what is expected."""
    if not text.strip():
        raise ConfigError(f"person id: expected {PERSON_ID_RULE}, found nothing")
    if _valid(text):
        return text
    raise ConfigError(f"person id {text!r}: expected {PERSON_ID_RULE}")


def _valid(text: str) -> bool:
    if "/" in text or "\\" in text or ".." in text or not text.isprintable():
        return False
    if _NAME.fullmatch(text):
        return True
    network, sep, account = text.partition(":")
    return bool(
        sep
        and _NETWORK.fullmatch(network)
        and account
        and len(account) <= _ACCOUNT_MAX
        and account == account.strip()
    )
