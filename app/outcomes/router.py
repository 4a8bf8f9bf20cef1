import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from app.auth.principal import IdentifiedReader, Writer
from app.core.pagination import Page, PageQuery
from app.core.types import IsoDate
from app.db.engine import DbSession
from app.idempotency.service import IdempotencyDep
from app.instruments.definition import InstrumentKind, RaterRole
from app.measurements import service
from app.measurements.schemas import (
    CorrectionCreate,
    MeasurementCreated,
    MeasurementRead,
    OutcomeMeasureCreate,
)

router = APIRouter(prefix="/outcome-measures", tags=["outcome measures"])
KIND = InstrumentKind.OUTCOME
PROBLEMS: dict[int | str, dict[str, object]] = {
    404: {"description": "Patient, case manager, dyad or instrument not found"},
    409: {"description": "Natural duplicate (`existing_id`), or consent withdrawn"},
    422: {"description": "Invalid payload or responses (a pointer per offending item)"},
}


@router.post("", status_code=status.HTTP_201_CREATED, response_model=MeasurementCreated, responses=PROBLEMS)
def create_outcome_measure(
    data: OutcomeMeasureCreate, session: DbSession, principal: Writer, idem: IdempotencyDep
) -> object:
    """Score and store a measure (`score` for single-score instruments such as GAF), with change flags."""
    return idem.run(session, principal, 201, lambda: service.create(session, principal, data))


@router.get("", response_model=Page[MeasurementRead])
def list_outcome_measures(
    session: DbSession,
    principal: IdentifiedReader,
    page: PageQuery,
    site_id: uuid.UUID | None = None,
    patient_id: uuid.UUID | None = None,
    case_manager_id: uuid.UUID | None = None,
    dyad_id: uuid.UUID | None = None,
    instrument: Annotated[str | None, Query(max_length=32)] = None,
    rater: RaterRole | None = None,
    rated_from: IsoDate | None = None,
    rated_to: IsoDate | None = None,
    include_entered_in_error: bool = False,
) -> object:
    return service.list_(
        session,
        principal,
        page,
        KIND,
        site_id=site_id,
        patient_id=patient_id,
        case_manager_id=case_manager_id,
        dyad_id=dyad_id,
        instrument=instrument,
        rater=rater,
        rated_from=rated_from,
        rated_to=rated_to,
        include_entered_in_error=include_entered_in_error,
    )


@router.get("/{measure_id}", response_model=MeasurementRead)
def get_outcome_measure(measure_id: uuid.UUID, session: DbSession, principal: IdentifiedReader) -> object:
    """The current version."""
    return service.get(session, principal, measure_id, KIND)


@router.get("/{measure_id}/history", response_model=list[MeasurementRead])
def get_outcome_measure_history(
    measure_id: uuid.UUID, session: DbSession, principal: IdentifiedReader
) -> object:
    """Every version, oldest first."""
    return service.history(session, principal, measure_id, KIND)


@router.post(
    "/{measure_id}/corrections",
    status_code=status.HTTP_201_CREATED,
    response_model=MeasurementCreated,
    responses=PROBLEMS,
)
def correct_outcome_measure(
    measure_id: uuid.UUID, data: CorrectionCreate, session: DbSession, principal: Writer, idem: IdempotencyDep
) -> object:
    """Add a corrected version (or mark entered in error); the reason is required and audited."""
    return idem.run(
        session, principal, 201, lambda: service.correct(session, principal, measure_id, KIND, data)
    )
