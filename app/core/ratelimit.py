"""Per-key request rate limits: ``429 Too Many Requests`` with ``Retry-After`` (pure ASGI middleware).

Built on the maintained ``limits`` library (moving-window strategy, in-memory storage), so counts are per
process: run several workers and each enforces the limit on its own share of the traffic.

Who is counted:
- a request with ``Authorization: Bearer <key>`` counts against that key (identified by a digest of the key,
  the same SHA-256 that is stored as ``api_keys.key_hash``; the key itself is never kept or logged);
- a request without a key counts against the client address;
- every ``401`` also counts against the client address, and once that budget is spent the address is refused
  before any key lookup, so cycling through made-up keys does not escape the limit.

Only ``/api/`` paths are limited: health probes and the API docs are not.
"""

import hashlib
import math
import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.problems import problem_response

LIMITED_PREFIX = "/api/"


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, limit: str | None) -> None:
        """``limit`` in the ``limits`` notation (``"600/minute"``, ``"10/second"``); empty/None: off."""
        self.app = app
        self.item: RateLimitItem | None = parse(limit) if limit else None
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        item = self.item
        if item is None or scope["type"] != "http" or not scope["path"].startswith(LIMITED_PREFIX):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        address = client[0] if client else "unknown"
        identity = self._identity(scope, address)
        if identity[0] == "key" and not self.limiter.test(item, "unauthorized", address):
            await self._refuse(item, ("unauthorized", address), scope, receive, send)
            return
        if not self.limiter.hit(item, *identity):
            await self._refuse(item, identity, scope, receive, send)
            return

        async def watch_status(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 401:
                self.limiter.hit(item, "unauthorized", address)
            await send(message)

        await self.app(scope, receive, watch_status)

    @staticmethod
    def _identity(scope: Scope, address: str) -> tuple[str, str]:
        for name, value in scope["headers"]:
            if name == b"authorization":
                scheme, _, key = value.decode("latin-1").partition(" ")
                if scheme.lower() == "bearer" and key.strip():
                    return "key", hashlib.sha256(key.strip().encode()).hexdigest()
        return "address", address

    async def _refuse(
        self, item: RateLimitItem, identity: tuple[str, str], scope: Scope, receive: Receive, send: Send
    ) -> None:
        reset_at = self.limiter.get_window_stats(item, *identity).reset_time
        retry_after = max(1, math.ceil(reset_at - time.time()))
        response = problem_response(
            429,
            "rate-limited",
            "Too many requests",
            f"The limit is {item}; retry after {retry_after} s.",
            instance=scope["path"],
            headers={"Retry-After": str(retry_after)},
        )
        await response(scope, receive, send)
