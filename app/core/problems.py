"""Render every error as RFC 9457 ``application/problem+json``; registered once on the app."""

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg import errors as pg_errors
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.errors import Conflict, DomainError, FieldError, InvalidPayload
from app.db.constraints import CONSTRAINT_ERRORS

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://dyadstudy.org/problems/"
logger = logging.getLogger("dyadstudy.errors")


def problem_response(
    status: int,
    type_: str,
    title: str,
    detail: str = "",
    errors: list[FieldError] | None = None,
    instance: str | None = None,
    extensions: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"type": TYPE_BASE + type_, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = [{"pointer": e.pointer, "detail": e.detail} for e in errors]
    body.update(extensions or {})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _pointer(loc: tuple[Any, ...]) -> str:
    """Pydantic's ``loc`` (``("body", "items", "3")``) as a JSON pointer (``/body/items/3``)."""
    parts = [str(p).replace("~", "~0").replace("/", "~1") for p in loc]
    return "/" + "/".join(parts)


def validation_errors(errors: list[dict[str, Any]] | Any) -> list[FieldError]:
    return [FieldError(_pointer(tuple(e.get("loc", ()))), e.get("msg", "invalid")) for e in errors]


def integrity_problem(exc: DBAPIError) -> DomainError | None:
    """Translate a constraint violation into the domain error registered for that constraint."""
    orig = exc.orig
    if not isinstance(orig, pg_errors.Error):
        return None
    name = orig.diag.constraint_name
    if name and name in CONSTRAINT_ERRORS:
        return CONSTRAINT_ERRORS[name]()
    if isinstance(orig, pg_errors.UniqueViolation | pg_errors.ExclusionViolation):
        return Conflict(detail="The resource conflicts with an existing one.")
    if isinstance(orig, pg_errors.ForeignKeyViolation):
        return InvalidPayload(detail="A referenced resource does not exist.")
    if isinstance(orig, pg_errors.CheckViolation | pg_errors.DataError | pg_errors.NotNullViolation):
        return InvalidPayload(detail=re.sub(r"\s+", " ", orig.diag.message_primary or "invalid value"))
    return None


def register_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return problem_response(
            exc.status, exc.type, exc.title, exc.detail, exc.errors, request.url.path, exc.extensions
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(
            422,
            InvalidPayload.type,
            InvalidPayload.title,
            "See `errors` for each offending field.",
            validation_errors(exc.errors()),
            request.url.path,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = {404: "Resource not found", 405: "Method not allowed"}.get(exc.status_code, str(exc.detail))
        return problem_response(
            exc.status_code,
            re.sub(r"[^a-z]+", "-", title.lower()).strip("-"),
            title,
            str(exc.detail),
            instance=request.url.path,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(IntegrityError)
    @app.exception_handler(DBAPIError)
    async def _integrity(request: Request, exc: DBAPIError) -> JSONResponse:
        error = integrity_problem(exc)
        if error is None:
            return await _unexpected(request, exc)
        return await _domain(request, error)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error", extra={"path": request.url.path})
        return problem_response(500, "internal-error", "Internal server error", instance=request.url.path)
