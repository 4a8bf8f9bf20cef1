import uuid
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import or_
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.case_managers.repository import CaseManagerRepository
from app.core.errors import Conflict, FieldError, InvalidPayload
from app.core.pagination import PageParams
from app.dyads.repository import DyadRepository
from app.dyads.schemas import DyadCreate, DyadEnd, TransferCreate, TransferRead
from app.models import Dyad
from app.models.enums import AuditAction
from app.patients.repository import PatientRepository


def create(session: Session, principal: Principal, data: DyadCreate) -> Dyad:
    patient = PatientRepository(session, principal).get(data.patient_id)
    cm = CaseManagerRepository(session, principal).get(data.case_manager_id)
    if cm.site_id != patient.site_id:
        raise InvalidPayload(
            detail="The patient and the case manager must belong to the same site.",
            errors=[FieldError("/body/case_manager_id", "case manager is at another site")],
        )
    return DyadRepository(session, principal).add(Dyad(**data.model_dump(), site_id=patient.site_id))


def get(session: Session, principal: Principal, dyad_id: uuid.UUID) -> Dyad:
    return DyadRepository(session, principal).get(dyad_id)


def list_(
    session: Session,
    principal: Principal,
    params: PageParams,
    *,
    site_id: uuid.UUID | None,
    patient_id: uuid.UUID | None,
    case_manager_id: uuid.UUID | None,
    active_on: date | None,
) -> Sequence[Dyad]:
    repo = DyadRepository(session, principal)
    stmt = repo.select()
    if site_id is not None:
        stmt = stmt.where(Dyad.site_id == site_id)
    if patient_id is not None:
        stmt = stmt.where(Dyad.patient_id == patient_id)
    if case_manager_id is not None:
        stmt = stmt.where(Dyad.case_manager_id == case_manager_id)
    if active_on is not None:
        stmt = stmt.where(
            Dyad.started_on <= active_on, or_(Dyad.ended_on.is_(None), Dyad.ended_on >= active_on)
        )
    return repo.page(stmt, params)


def end(session: Session, principal: Principal, dyad_id: uuid.UUID, data: DyadEnd) -> Dyad:
    repo = DyadRepository(session, principal)
    dyad = repo.get(dyad_id, for_update=True)
    if dyad.ended_on is not None:
        raise Conflict(detail=f"The dyad already ended on {dyad.ended_on.isoformat()}.")
    if data.ended_on < dyad.started_on:
        raise InvalidPayload(
            detail="ended_on must not be before the dyad's start.",
            errors=[FieldError("/body/ended_on", f"before started_on {dyad.started_on.isoformat()}")],
        )
    return repo.update(dyad, data.model_dump(), AuditAction.end)


def transfer(
    session: Session, principal: Principal, patient_id: uuid.UUID, data: TransferCreate
) -> TransferRead:
    """End the open dyad and open the next one in the caller's transaction: both happen or neither."""
    patient = PatientRepository(session, principal).get(patient_id)
    repo = DyadRepository(session, principal)
    current = repo.open_for_patient(patient.id)
    if current is None:
        raise Conflict(detail="The patient has no open dyad to transfer from; open one with POST /dyads.")
    if current.case_manager_id == data.case_manager_id:
        raise InvalidPayload(
            detail="The patient is already with this case manager.",
            errors=[FieldError("/body/case_manager_id", "same as the current case manager")],
        )
    if data.on <= current.started_on:
        raise InvalidPayload(
            detail="A transfer must come after the current dyad's first day.",
            errors=[FieldError("/body/on", f"not after {current.started_on.isoformat()}")],
        )
    repo.update(
        current,
        {"ended_on": data.on - timedelta(days=1), "end_reason": data.end_reason},
        AuditAction.transfer,
    )
    started = create(
        session,
        principal,
        DyadCreate(patient_id=patient.id, case_manager_id=data.case_manager_id, started_on=data.on),
    )
    return TransferRead.model_validate({"ended": current, "started": started})
