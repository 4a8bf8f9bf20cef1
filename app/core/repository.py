"""Repository base: all SQL lives in repositories, and every read goes through the site scope."""

import uuid
from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.audit.service import record_change, snapshot
from app.auth.principal import Principal
from app.core.errors import NotFound
from app.core.pagination import PageParams, keyset
from app.core.scoping import scope
from app.models.base import Base
from app.models.enums import AuditAction

M = TypeVar("M", bound=Base)


class ScopedRepository(Generic[M]):
    model: ClassVar[type[Any]]
    not_found: ClassVar[str] = "Resource not found."

    def __init__(self, session: Session, principal: Principal) -> None:
        self.session = session
        self.principal = principal

    def site_column(self) -> Any:
        return self.model.site_id

    def select(self) -> Select[M]:
        return scope(select(self.model), self.principal, self.site_column())

    def get(self, id_: uuid.UUID, *, for_update: bool = False) -> M:
        stmt = self.select().where(self.model.id == id_)
        if for_update:
            stmt = stmt.with_for_update()
        obj = self.session.scalar(stmt)
        if obj is None:
            raise NotFound(detail=self.not_found)
        return obj

    def page(self, stmt: Select[M], params: PageParams) -> Sequence[M]:
        return self.session.scalars(keyset(stmt, self.model.id, params)).all()

    def add(self, obj: M, action: AuditAction = AuditAction.create) -> M:
        """Insert and audit (every create goes through here, so every create is audited)."""
        self.session.add(obj)
        self.session.flush()
        record_change(self.session, self.principal, action, obj, {})
        return obj

    def update(
        self,
        obj: M,
        changes: dict[str, Any],
        action: AuditAction = AuditAction.update,
        reason: str | None = None,
    ) -> M:
        """Apply ``changes``, flush and audit the old and new values."""
        before = snapshot(obj)
        for name, value in changes.items():
            setattr(obj, name, value)
        self.session.flush()
        record_change(self.session, self.principal, action, obj, before, reason)
        return obj
