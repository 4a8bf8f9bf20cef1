import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from app.auth.principal import IdentifiedReader, Writer
from app.core.pagination import Page, PageQuery, make_page
from app.db.engine import DbSession
from app.dyads import service as dyad_service
from app.dyads.schemas import TransferCreate, TransferRead
from app.idempotency.service import IdempotencyDep
from app.patients import service
from app.patients.schemas import PatientCreate, PatientRead, PatientUpdate

router = APIRouter(prefix="/patients", tags=["patients"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PatientRead)
def create_patient(
    data: PatientCreate, session: DbSession, principal: Writer, idem: IdempotencyDep
) -> object:
    return idem.run(session, principal, 201, lambda: service.create(session, principal, data), PatientRead)


@router.get("", response_model=Page[PatientRead])
def list_patients(
    session: DbSession,
    principal: IdentifiedReader,
    page: PageQuery,
    site_id: uuid.UUID | None = None,
    study_id: Annotated[str | None, Query(max_length=32)] = None,
) -> object:
    return make_page(service.list_(session, principal, page, site_id, study_id), page, PatientRead)


@router.get("/{patient_id}", response_model=PatientRead)
def get_patient(patient_id: uuid.UUID, session: DbSession, principal: IdentifiedReader) -> object:
    return service.get(session, principal, patient_id)


@router.patch("/{patient_id}", response_model=PatientRead)
def update_patient(
    patient_id: uuid.UUID, data: PatientUpdate, session: DbSession, principal: Writer
) -> object:
    return service.update(session, principal, patient_id, data)


@router.post("/{patient_id}/transfer", status_code=status.HTTP_201_CREATED, response_model=TransferRead)
def transfer_patient(
    patient_id: uuid.UUID, data: TransferCreate, session: DbSession, principal: Writer, idem: IdempotencyDep
) -> object:
    """End the patient's open dyad the day before `on` and open one with the new case manager from `on`."""
    return idem.run(
        session,
        principal,
        201,
        lambda: dyad_service.transfer(session, principal, patient_id, data),
        TransferRead,
    )
