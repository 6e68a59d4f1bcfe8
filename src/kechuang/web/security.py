"""CSRF tokens and login rate limiting."""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


def csrf_token(session: dict) -> str:
    token = session.get(CSRF_FIELD)
    if not token:
        token = secrets.token_urlsafe(32)
        session[CSRF_FIELD] = token
    return token


def csrf_valid(session: dict, supplied: str | None) -> bool:
    expected = session.get(CSRF_FIELD)
    return bool(expected and supplied and hmac.compare_digest(expected, supplied))


class LoginRateLimiter:
    """Back-off after failed logins, never a lock of the account.

    Failures count per (user name, address) and per address. Past ``max_failures`` in the window
    that pair (or address) must wait, the wait doubling with each further failure up to
    ``max_wait``. A guesser at one address is slowed; the real user at another address logs in
    as usual, so nobody can lock anyone out by typing wrong passwords on their behalf."""

    def __init__(self, max_failures: int = 5, window_seconds: float = 900.0, address_failures: int = 30,
                 max_wait: float = 900.0):
        self.max_failures = max_failures
        self.address_failures = address_failures
        self.window = window_seconds
        self.max_wait = max_wait
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures.setdefault(key, deque())
        while q and now - q[0] > self.window:
            q.popleft()
        if not q:
            self._failures.pop(key, None)
            q = self._failures.setdefault(key, deque())
        return q

    def _wait(self, q: deque[float], limit: int, now: float) -> float:
        over = len(q) - limit
        if over < 0:
            return 0.0
        return max(0.0, q[-1] + min(self.max_wait, 2.0 ** min(over + 1, 20)) - now)

    @staticmethod
    def _keys(username: str, address: str) -> tuple[str, str]:
        return f"pair:{username.strip().lower()}|{address}", f"ip:{address}"

    def wait_seconds(self, username: str, address: str) -> float:
        """Seconds this user name must wait at this address before another attempt (0 = go)."""
        now = time.monotonic()
        pair, ip = self._keys(username, address)
        with self._lock:
            if len(self._failures) > 100_000:  # bounded memory under a flood of names
                self._failures.clear()
            return max(self._wait(self._recent(pair, now), self.max_failures, now),
                       self._wait(self._recent(ip, now), self.address_failures, now))

    def fail(self, username: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            for k in self._keys(username, address):
                self._recent(k, now).append(now)

    def succeed(self, username: str, address: str) -> None:
        with self._lock:
            self._failures.pop(self._keys(username, address)[0], None)


def client_address(request, trusted_proxies: frozenset[str]) -> str:
    """The client's address: the connection's peer, or, only when that peer is a configured proxy
    (KECHUANG_TRUSTED_PROXIES), the last address in X-Forwarded-For that is not a proxy."""
    peer = request.client.host if request.client else "unknown"
    if peer not in trusted_proxies:
        return peer
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if hop not in trusted_proxies:
            return hop[:64]
    return peer
