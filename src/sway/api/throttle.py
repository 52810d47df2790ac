"""Failed sign-ins and bad keys, throttled per client address.

Keys are 256-bit random, so guessing one is hopeless; the throttle keeps a client that tries
anyway (or a misconfigured script sending a stale key in a loop) from costing the server work
and from filling the logs. One :class:`FailureThrottle` per app counts, per client address, the
dashboard's failed logins and the API calls with a key that is not one (malformed, unknown or
revoked; a call without any key is not a guess and is not counted). After ``limit`` failures
with no more than ``window`` seconds between them, the address is refused (**429** with
``Retry-After``), whatever key it sends, for ``delay`` seconds; each further failure within
``window`` of the end of that wait doubles the wait, up to ``max_delay``. A successful login
clears the address. At most ``max_clients`` addresses are tracked (the stalest are dropped
first), so memory stays bounded whatever the number of clients.

The address is the socket's peer (``request.client.host``): behind a reverse proxy on the same
machine uvicorn puts the ``X-Forwarded-For`` client there; behind any other proxy every client
shares the proxy's address (see ``docs/security.md``).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import HTTPConnection

from sway.api.errors import ApiError
from sway.api.keys import ApiKey

__all__ = ["FailureThrottle", "authenticate", "client_address", "refused", "throttle_of"]


@dataclass
class _Client:
    failures: int
    last: float  # clock at the last failure
    until: float  # clock until which the address is refused (0: not refused)


class FailureThrottle:
    """Failures per client address, and whether (and for how long) an address is refused.

    Thread-safe. Parameters are keyword-only; ``clock`` gives monotonic seconds (injectable
    for tests).
    """

    def __init__(
        self,
        *,
        limit: int = 5,
        window: float = 900.0,
        delay: float = 60.0,
        max_delay: float = 3600.0,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1 or window <= 0 or delay <= 0 or max_delay < delay or max_clients < 1:
            raise ValueError("limit, window, delay and max_clients must be positive")
        self.limit = limit
        self.window = window
        self.delay = delay
        self.max_delay = max_delay
        self.max_clients = max_clients
        self._clock = clock
        self._clients: OrderedDict[str, _Client] = OrderedDict()  # stalest first
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._clients)

    def retry_after(self, client: str) -> int:
        """Whole seconds ``client`` must wait before its next try; 0 when it may try now."""
        now = self._clock()
        with self._lock:
            entry = self._current(client, now)
            if entry is None or entry.until <= now:
                return 0
            return max(1, math.ceil(entry.until - now))

    def failed(self, client: str) -> int:
        """Count a failure of ``client``; returns the wait it now has (0: none yet)."""
        now = self._clock()
        with self._lock:
            entry = self._current(client, now)
            if entry is None:
                entry = _Client(0, now, 0.0)
                self._clients[client] = entry
                self._bound()
            entry.failures += 1
            entry.last = now
            self._clients.move_to_end(client)
            if entry.failures >= self.limit:
                doublings = min(entry.failures - self.limit, 60)  # the cap is reached long before
                wait = min(self.max_delay, self.delay * 2.0**doublings)
                entry.until = now + wait
                return max(1, math.ceil(wait))
            return 0

    def succeeded(self, client: str) -> None:
        """Forget ``client``'s failures (after a successful login)."""
        with self._lock:
            self._clients.pop(client, None)

    def _current(self, client: str, now: float) -> _Client | None:
        """The entry of ``client``, dropped (``None``) once it has expired."""
        entry = self._clients.get(client)
        if entry is not None and now >= self._expiry(entry):
            del self._clients[client]
            return None
        return entry

    def _expiry(self, entry: _Client) -> float:
        return max(entry.last, entry.until) + self.window

    def _bound(self) -> None:
        """Keep at most ``max_clients`` addresses, dropping those whose last failure is the
        oldest (they are kept in that order)."""
        while len(self._clients) > self.max_clients:
            self._clients.popitem(last=False)


def throttle_of(conn: HTTPConnection) -> FailureThrottle:
    """The app's throttle (made by :func:`sway.api.app.create_app`; one is made here for an
    app built otherwise)."""
    state = conn.app.state
    throttle = getattr(state, "failures", None)
    if throttle is None:
        with _MAKING:
            throttle = getattr(state, "failures", None)
            if throttle is None:
                throttle = state.failures = FailureThrottle()
    assert isinstance(throttle, FailureThrottle)
    return throttle


_MAKING = threading.Lock()


def client_address(conn: HTTPConnection) -> str:
    """The client's address, as the throttle counts it."""
    return conn.client.host if conn.client is not None else "unknown"


def authenticate(conn: HTTPConnection, secret: str | None) -> ApiKey | None:
    """The active key ``secret`` is (``ServiceState.authenticate``), throttled per client
    address: an :class:`~sway.api.errors.ApiError` 429 with ``Retry-After`` while the address
    is refused; a secret given that is no active key counts as a failure."""
    throttle = throttle_of(conn)
    client = client_address(conn)
    wait = throttle.retry_after(client)
    if wait:
        raise refused(wait)
    key = conn.app.state.sway.authenticate(secret)
    if key is None and secret:
        throttle.failed(client)
    assert key is None or isinstance(key, ApiKey)
    return key


def refused(wait: int) -> ApiError:
    """The 429 answered to an address over its failures."""
    return ApiError(
        429,
        f"too many tries with a bad key from this address; retry after {wait} s",
        code="too_many_failures",
        headers={"Retry-After": str(wait)},
    )
