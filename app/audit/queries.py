"""Reading the audit trail (admin only) and verifying its hash chain."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.audit.repository import AuditRepository
from app.auth.principal import Principal
from app.core.pagination import PageParams
from app.models import AuditEvent


def list_(
    session: Session,
    principal: Principal,
    params: PageParams,
    *,
    entity: str | None,
    entity_id: uuid.UUID | None,
    actor_key_id: uuid.UUID | None,
    since: datetime | None,
    until: datetime | None,
) -> Sequence[AuditEvent]:
    repo = AuditRepository(session, principal)
    stmt = repo.select()
    if entity is not None:
        stmt = stmt.where(AuditEvent.entity == entity)
    if entity_id is not None:
        stmt = stmt.where(AuditEvent.entity_id == entity_id)
    if actor_key_id is not None:
        stmt = stmt.where(AuditEvent.actor_key_id == actor_key_id)
    if since is not None:
        stmt = stmt.where(AuditEvent.occurred_at >= since)
    if until is not None:
        stmt = stmt.where(AuditEvent.occurred_at < until)
    return repo.page(stmt, params)


@dataclass(frozen=True)
class ChainReport:
    events: int
    broken_at: list[int]

    @property
    def intact(self) -> bool:
        return not self.broken_at


def verify(session: Session, principal: Principal) -> ChainReport:
    repo = AuditRepository(session, principal)
    return ChainReport(events=repo.count(), broken_at=[row.seq for row in repo.chain_breaks()])
