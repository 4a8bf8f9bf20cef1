import uuid

from fastapi import APIRouter, status

from app.auth.principal import IdentifiedReader, Writer
from app.consent import service
from app.consent.schemas import ConsentCreate, ConsentRead, ConsentState, WithdrawalCreate
from app.db.engine import DbSession

router = APIRouter(prefix="/patients/{patient_id}", tags=["consent"])


@router.get("/consent", response_model=ConsentState)
def get_consent(patient_id: uuid.UUID, session: DbSession, principal: IdentifiedReader) -> object:
    return service.state(session, principal, patient_id)


@router.post("/consent", status_code=status.HTTP_201_CREATED, response_model=ConsentRead)
def record_consent(
    patient_id: uuid.UUID, data: ConsentCreate, session: DbSession, principal: Writer
) -> object:
    return service.give(session, principal, patient_id, data)


@router.post("/withdrawal", status_code=status.HTTP_201_CREATED, response_model=ConsentRead)
def withdraw_consent(
    patient_id: uuid.UUID, data: WithdrawalCreate, session: DbSession, principal: Writer
) -> object:
    """Withdraw: `stop_collection` refuses new data; `stop_linkage` also stops linkage; `exclude_data` also
    excludes the patient's data from every analysis and export built afterwards."""
    return service.withdraw(session, principal, patient_id, data)
