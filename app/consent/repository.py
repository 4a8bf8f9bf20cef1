import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import distinct_on

from app.core.repository import ScopedRepository
from app.models import ConsentEvent
from app.models.enums import WithdrawalLevel


class ConsentRepository(ScopedRepository[ConsentEvent]):
    model = ConsentEvent
    not_found = "Consent record not found."

    def history(self, patient_id: uuid.UUID) -> Sequence[ConsentEvent]:
        stmt = self.select().where(ConsentEvent.patient_id == patient_id).order_by(ConsentEvent.id.desc())
        return self.session.scalars(stmt).all()

    def current(self, patient_id: uuid.UUID) -> ConsentEvent | None:
        stmt = (
            self.select()
            .where(ConsentEvent.patient_id == patient_id)
            .order_by(ConsentEvent.id.desc())
            .limit(1)
        )
        return self.session.scalar(stmt)


def excluded_patient_ids() -> Select[Any]:
    """Patients whose current consent excludes their data from analyses and exports built from now on.

    A subquery for the extraction and export queries (not site-scoped itself: it only ever narrows).
    """
    latest = (
        select(ConsentEvent.patient_id, ConsentEvent.withdrawal_level)
        .ext(distinct_on(ConsentEvent.patient_id))
        .order_by(ConsentEvent.patient_id, ConsentEvent.id.desc())
        .subquery()
    )
    return select(latest.c.patient_id).where(latest.c.withdrawal_level == WithdrawalLevel.exclude_data)
