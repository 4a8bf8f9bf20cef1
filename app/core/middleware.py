"""Pure ASGI middleware (no BaseHTTPMiddleware: it costs latency on every request).

Gives each request an id (``X-Request-ID``, taken from the client when well-formed), logs one structured
line per request with the route *template* (never the raw path or query, which may carry identifiers),
and refuses bodies above the configured size with 413.
"""

import contextlib
import logging
import re
import time
import uuid
from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.problems import problem_response

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
access_log = logging.getLogger("dyadstudy.access")
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class BodyTooLarge(Exception):
    pass


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _VALID_ID.match(given) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        declared = headers.get(b"content-length", b"0")
        try:
            if declared.isdigit() and int(declared) > self.max_body_bytes:
                status = 413
                await self._too_large(scope, receive, send, request_id)
                return
            received = 0
            too_large = False

            async def limited_receive() -> Message:
                nonlocal received, too_large
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > self.max_body_bytes:
                        too_large = True
                        raise BodyTooLarge
                return message

            async def send_with_id(message: Message) -> None:
                nonlocal status
                if too_large:
                    # The framework may turn the aborted read into a response of its own (FastAPI answers
                    # 400 "error parsing the body"); it is dropped and replaced by the 413 below.
                    return
                if message["type"] == "http.response.start":
                    status = message["status"]
                    message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
                await send(message)

            with contextlib.suppress(BodyTooLarge):  # answered with 413 just below
                await self.app(scope, limited_receive, send_with_id)
            if too_large:
                status = 413
                await self._too_large(scope, receive, send, request_id)
        finally:
            route = scope.get("route")
            access_log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "route": getattr(route, "path", "<unmatched>"),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            request_id_var.reset(token)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        response = problem_response(
            413,
            "payload-too-large",
            "Request body too large",
            f"The body exceeds {self.max_body_bytes} bytes.",
            headers={"x-request-id": request_id},
        )
        await response(scope, receive, send)
