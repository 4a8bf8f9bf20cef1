"""Keyset (cursor) pagination over time-ordered UUIDv7 ids: ``?limit=&cursor=`` → ``{items, next_cursor}``."""

import base64
import binascii
import uuid
from collections.abc import Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute

from app.core.errors import FieldError, InvalidPayload

MAX_LIMIT = 500
T = TypeVar("T", bound=BaseModel)


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class PageParams(BaseModel):
    limit: int
    after: uuid.UUID | None


def encode_cursor(last_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(last_id.bytes).decode().rstrip("=")


def decode_cursor(cursor: str) -> uuid.UUID:
    try:
        return uuid.UUID(bytes=base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        raise InvalidPayload(
            detail="Invalid cursor.", errors=[FieldError("/query/cursor", "not a cursor from next_cursor")]
        ) from None


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> PageParams:
    return PageParams(limit=limit, after=decode_cursor(cursor) if cursor else None)


PageQuery = Annotated[PageParams, Depends(page_params)]


def keyset(stmt: Select[Any], id_column: InstrumentedAttribute[uuid.UUID], params: PageParams) -> Select[Any]:
    """Restrict and order a statement for one page (fetches one extra row to know if there is a next page)."""
    if params.after is not None:
        stmt = stmt.where(id_column > params.after)
    return stmt.order_by(id_column).limit(params.limit + 1)


def make_page(rows: Sequence[Any], params: PageParams, read: type[T]) -> Page[T]:
    has_more = len(rows) > params.limit
    rows = rows[: params.limit]
    items = [read.model_validate(r) for r in rows]
    return Page[T](items=items, next_cursor=encode_cursor(rows[-1].id) if has_more else None)
