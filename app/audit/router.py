import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from app.audit import queries
from app.audit.schemas import AuditEventRead
from app.auth.principal import Admin
from app.core.pagination import Page, PageQuery, make_page
from app.core.types import IsoDateTime
from app.db.engine import DbSession

router = APIRouter(prefix="/audit-events", tags=["audit"])


@router.get("", response_model=Page[AuditEventRead])
def list_audit_events(
    session: DbSession,
    principal: Admin,
    page: PageQuery,
    entity: Annotated[str | None, Query(max_length=64)] = None,
    entity_id: uuid.UUID | None = None,
    actor_key_id: uuid.UUID | None = None,
    since: IsoDateTime | None = None,
    until: IsoDateTime | None = None,
) -> object:
    rows = queries.list_(
        session,
        principal,
        page,
        entity=entity,
        entity_id=entity_id,
        actor_key_id=actor_key_id,
        since=since,
        until=until,
    )
    return make_page(rows, page, AuditEventRead)
