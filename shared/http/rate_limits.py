"""Rate limits and lockouts over the ``limits`` library: moving windows kept in this process's memory (each instance
counts on its own, so N instances admit up to N times a limit), answered as a 429 with ``Retry-After``.

A limit is written as ``limits`` parses it: ``"30/minute"``, several joined by ``;`` (``"30/minute;300/hour"``).
Keys are hashed before they are kept, so a phone number is never held in the limiter's memory as typed.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping

from fastapi import Request
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from shared.refusals import RateLimited


def _key(value: str) -> str:
    return hashlib.blake2b(value.encode(), digest_size=12).hexdigest()


class RateLimits:
    """Named limits (``{"reports_per_address": "30/minute;300/hour", ...}``); ``enabled=False`` admits everything."""

    def __init__(self, limits: Mapping[str, str], *, enabled: bool = True):
        self._items: dict[str, list[RateLimitItem]] = {name: parse_many(spec) for name, spec in limits.items()}
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self.enabled = enabled

    def _wait(self, name: str, key: str) -> float | None:
        """Seconds until every window of the limit has room again; None: it has room now."""
        waits = []
        for item in self._items[name]:
            if not self._limiter.test(item, name, key):
                reset, _ = self._limiter.get_window_stats(item, name, key)
                waits.append(reset - time.time())
        return max(waits) if waits else None

    def hit(self, name: str, value: str, *, message: str, field: str | None = None) -> None:
        """Count one more try under ``name`` for ``value``; a 429 ``rate_limited`` if the limit is reached."""
        if not self.enabled:
            return
        key = _key(value)
        wait = self._wait(name, key)
        if wait is not None:
            raise RateLimited("rate_limited", message, wait, field)
        for item in self._items[name]:
            self._limiter.hit(item, name, key)

    def check_lock(self, name: str, value: str, *, message: str, field: str | None = None) -> None:
        """A lockout: refused while the failures counted under ``name`` fill the limit (429 ``locked``)."""
        if not self.enabled:
            return
        wait = self._wait(name, _key(value))
        if wait is not None:
            raise RateLimited("locked", message, wait, field)

    def fail(self, name: str, value: str) -> None:
        """Count one failure towards a lockout."""
        if self.enabled:
            for item in self._items[name]:
                self._limiter.hit(item, name, _key(value))


def client_address(request: Request) -> str:
    """The caller's address as the server sees it (behind a proxy, uvicorn's ``--forwarded-allow-ips`` makes it the
    client's)."""
    return request.client.host if request.client else "unknown"
