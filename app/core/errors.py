"""Typed domain errors. Each maps to one RFC 9457 problem (see ``app.core.problems``)."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldError:
    """One offending field: a JSON pointer into the request (``/body/items/3``) and what is wrong with it."""

    pointer: str
    detail: str


@dataclass
class DomainError(Exception):
    """Base of every error the service raises on purpose."""

    detail: str = ""
    errors: list[FieldError] = field(default_factory=list)
    extensions: dict[str, object] = field(default_factory=dict)

    status = 400
    type = "bad-request"
    title = "Bad request"


class Unauthorized(DomainError):
    status, type, title = 401, "unauthorized", "Missing or invalid API key"


class Forbidden(DomainError):
    status, type, title = 403, "forbidden", "The API key's role does not allow this"


class NotFound(DomainError):
    status, type, title = 404, "not-found", "Resource not found"


class Conflict(DomainError):
    status, type, title = 409, "conflict", "Conflict with the current state"


class InvalidPayload(DomainError):
    status, type, title = 422, "validation-error", "The request is not valid"


class PayloadTooLarge(DomainError):
    status, type, title = 413, "payload-too-large", "Request body too large"


@contextmanager
def at(prefix: str) -> Iterator[None]:
    """Re-root the pointers of a domain error raised inside (``/items/3`` → ``/body/rows/7/items/3``)."""
    try:
        yield
    except DomainError as exc:
        exc.errors = [FieldError(prefix + e.pointer, e.detail) for e in exc.errors]
        raise
