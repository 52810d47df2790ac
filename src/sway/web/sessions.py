"""The dashboard's sessions, kept in the server's memory.

Logging in opens a session: a random id (256 bits, :func:`secrets.token_urlsafe`) that is all
the browser's cookie holds, mapped here to the id of the key that logged in (never the key
itself) and to the session's form token (the synchronizer token every form posts back). A
session ends at logout, after ``idle`` seconds without a page, ``lifetime`` seconds after
login, or when its key is revoked (:mod:`sway.web.auth` looks the key up on every request).
Sessions live as long as the server process: a restart logs everybody out. At most
``max_sessions`` are kept (the least recently used go first), so memory stays bounded.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Session", "SessionStore"]

#: Bytes of randomness in a session id and in a form token.
TOKEN_BYTES = 32


@dataclass
class Session:
    session_id: str
    key_id: str
    #: The synchronizer token the session's forms carry.
    csrf: str
    opened: float
    seen: float


class SessionStore:
    """Open sessions by id; thread-safe. ``clock`` gives monotonic seconds (for tests)."""

    def __init__(
        self,
        *,
        idle: float = 30 * 60.0,
        lifetime: float = 12 * 3600.0,
        max_sessions: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if idle <= 0 or lifetime <= 0 or max_sessions < 1:
            raise ValueError("idle, lifetime and max_sessions must be positive")
        self.idle = idle
        self.lifetime = lifetime
        self.max_sessions = max_sessions
        self._clock = clock
        self._sessions: OrderedDict[str, Session] = OrderedDict()  # least recently used first
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._sessions)

    def open(self, key_id: str) -> Session:
        """A new session for the key ``key_id``."""
        now = self._clock()
        session = Session(
            session_id=secrets.token_urlsafe(TOKEN_BYTES),
            key_id=key_id,
            csrf=secrets.token_urlsafe(TOKEN_BYTES),
            opened=now,
            seen=now,
        )
        with self._lock:
            self._sessions[session.session_id] = session
            while len(self._sessions) > self.max_sessions:
                self._sessions.popitem(last=False)
        return session

    def get(self, session_id: str | None) -> Session | None:
        """The open session ``session_id`` (now marked as used), or ``None`` when there is
        none or it has expired (then it is dropped)."""
        if not session_id:
            return None
        now = self._clock()
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            if now - session.seen >= self.idle or now - session.opened >= self.lifetime:
                del self._sessions[session_id]
                return None
            session.seen = now
            self._sessions.move_to_end(session_id)
            return session

    def close(self, session_id: str | None) -> None:
        """End the session ``session_id`` (nothing when there is none)."""
        if session_id:
            with self._lock:
                self._sessions.pop(session_id, None)
