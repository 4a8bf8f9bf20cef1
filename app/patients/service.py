import uuid
from collections.abc import Sequence

from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.core.pagination import PageParams
from app.core.scoping import default_site
from app.models import Patient
from app.patients.repository import PatientRepository
from app.patients.schemas import PatientCreate, PatientUpdate
from app.patients.study_ids import new_study_id


def create(session: Session, principal: Principal, data: PatientCreate) -> Patient:
    site_id = default_site(principal, data.site_id)
    fields = data.model_dump(exclude={"site_id", "study_id"})
    patient = Patient(**fields, site_id=site_id, study_id=data.study_id or new_study_id())
    return PatientRepository(session, principal).add(patient)


def get(session: Session, principal: Principal, patient_id: uuid.UUID) -> Patient:
    return PatientRepository(session, principal).get(patient_id)


def list_(
    session: Session,
    principal: Principal,
    params: PageParams,
    site_id: uuid.UUID | None,
    study_id: str | None,
) -> Sequence[Patient]:
    repo = PatientRepository(session, principal)
    stmt = repo.select()
    if site_id is not None:
        stmt = stmt.where(Patient.site_id == site_id)
    if study_id is not None:
        stmt = stmt.where(Patient.study_id == study_id)
    return repo.page(stmt, params)


def update(session: Session, principal: Principal, patient_id: uuid.UUID, data: PatientUpdate) -> Patient:
    repo = PatientRepository(session, principal)
    return repo.update(repo.get(patient_id, for_update=True), data.model_dump(exclude_unset=True))
