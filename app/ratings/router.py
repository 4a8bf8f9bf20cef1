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
    AllianceRatingCreate,
    CorrectionCreate,
    MeasurementCreated,
    MeasurementRead,
)

router = APIRouter(prefix="/alliance-ratings", tags=["alliance ratings"])
KIND = InstrumentKind.ALLIANCE
PROBLEMS: dict[int | str, dict[str, object]] = {
    404: {"description": "Patient, case manager, dyad or instrument not found"},
    409: {"description": "Natural duplicate (`existing_id`), or consent withdrawn"},
    422: {"description": "Invalid payload or responses (a pointer per offending item)"},
}


@router.post("", status_code=status.HTTP_201_CREATED, response_model=MeasurementCreated, responses=PROBLEMS)
def create_alliance_rating(
    data: AllianceRatingCreate, session: DbSession, principal: Writer, idem: IdempotencyDep
) -> object:
    """Score and store a rating; the response carries the derived scores and change flags."""
    return idem.run(session, principal, 201, lambda: service.create(session, principal, data))


@router.get("", response_model=Page[MeasurementRead])
def list_alliance_ratings(
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


@router.get("/{rating_id}", response_model=MeasurementRead)
def get_alliance_rating(rating_id: uuid.UUID, session: DbSession, principal: IdentifiedReader) -> object:
    """The current version."""
    return service.get(session, principal, rating_id, KIND)


@router.get("/{rating_id}/history", response_model=list[MeasurementRead])
def get_alliance_rating_history(
    rating_id: uuid.UUID, session: DbSession, principal: IdentifiedReader
) -> object:
    """Every version, oldest first."""
    return service.history(session, principal, rating_id, KIND)


@router.post(
    "/{rating_id}/corrections",
    status_code=status.HTTP_201_CREATED,
    response_model=MeasurementCreated,
    responses=PROBLEMS,
)
def correct_alliance_rating(
    rating_id: uuid.UUID, data: CorrectionCreate, session: DbSession, principal: Writer, idem: IdempotencyDep
) -> object:
    """Add a corrected version (or mark entered in error); the reason is required and audited."""
    return idem.run(
        session, principal, 201, lambda: service.correct(session, principal, rating_id, KIND, data)
    )
