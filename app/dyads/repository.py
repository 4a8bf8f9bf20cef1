import uuid
from datetime import date

from sqlalchemy import or_

from app.core.repository import ScopedRepository
from app.models import Dyad


class DyadRepository(ScopedRepository[Dyad]):
    model = Dyad
    not_found = "Dyad not found."

    def open_for_patient(self, patient_id: uuid.UUID) -> Dyad | None:
        stmt = self.select().where(Dyad.patient_id == patient_id, Dyad.ended_on.is_(None)).with_for_update()
        return self.session.scalar(stmt)

    def active_on(self, patient_id: uuid.UUID, case_manager_id: uuid.UUID | None, on: date) -> Dyad | None:
        stmt = self.select().where(
            Dyad.patient_id == patient_id,
            Dyad.started_on <= on,
            or_(Dyad.ended_on.is_(None), Dyad.ended_on >= on),
        )
        if case_manager_id is not None:
            stmt = stmt.where(Dyad.case_manager_id == case_manager_id)
        return self.session.scalar(stmt)
