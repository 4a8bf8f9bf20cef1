"""All SQL of service-use windows; every read goes through the site scope."""

import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Select, Table, select, update
from sqlalchemy.dialects.postgresql import insert

from app.core.errors import NotFound
from app.core.pagination import PageParams, keyset
from app.core.repository import ScopedRepository
from app.core.scoping import scope
from app.models import ServiceUseWindow

TABLE = cast(Table, ServiceUseWindow.__table__)


class ServiceUseRepository(ScopedRepository[ServiceUseWindow]):
    model = ServiceUseWindow
    not_found = "Service-use window not found."

    def select(self) -> Select[ServiceUseWindow]:
        return scope(select(ServiceUseWindow), self.principal, ServiceUseWindow.site_id)

    def current(self, record_id: uuid.UUID, *, for_update: bool = False) -> ServiceUseWindow:
        stmt = self.select().where(ServiceUseWindow.record_id == record_id, ServiceUseWindow.is_current)
        found = self.session.scalar(stmt.with_for_update() if for_update else stmt)
        if found is None:
            raise NotFound(detail=self.not_found)
        return found

    def history(self, record_id: uuid.UUID) -> Sequence[ServiceUseWindow]:
        stmt = self.select().where(ServiceUseWindow.record_id == record_id).order_by(ServiceUseWindow.version)
        rows = self.session.scalars(stmt).all()
        if not rows:
            raise NotFound(detail=self.not_found)
        return rows

    def page(self, stmt: Select[ServiceUseWindow], params: PageParams) -> Sequence[ServiceUseWindow]:
        return self.session.scalars(keyset(stmt, ServiceUseWindow.record_id, params)).all()

    def insert_version(self, values: dict[str, Any]) -> bool:
        """Insert one version; False when an identical current window exists (natural duplicate)."""
        stmt = (
            insert(TABLE)
            .values(values)
            .on_conflict_do_nothing(
                index_elements=["natural_key"], index_where=TABLE.c.is_current & (TABLE.c.status == "active")
            )
            .returning(TABLE.c.id)
        )
        return self.session.execute(stmt).first() is not None

    def existing(self, natural_key: bytes) -> uuid.UUID | None:
        stmt = self.select().where(
            ServiceUseWindow.natural_key == natural_key,
            ServiceUseWindow.is_current,
            ServiceUseWindow.status == "active",
        )
        found = self.session.scalar(stmt)
        return found.record_id if found else None

    def supersede(self, version_id: uuid.UUID) -> None:
        self.session.execute(update(TABLE).where(TABLE.c.id == version_id).values(is_current=False))
