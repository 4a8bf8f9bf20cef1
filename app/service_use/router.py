import uuid

from fastapi import APIRouter, status

from app.auth.principal import IdentifiedReader, Writer
from app.core.pagination import Page, PageQuery
from app.core.types import IsoDate
from app.db.engine import DbSession
from app.idempotency.service import IdempotencyDep
from app.service_use import service
from app.service_use.schemas import ServiceUseCorrection, ServiceUseCreate, ServiceUseRead

router = APIRouter(prefix="/service-use", tags=["service use"])
PROBLEMS: dict[int | str, dict[str, object]] = {
    404: {"description": "Patient or window not found"},
    409: {"description": "Natural duplicate (`existing_id`), or consent withdrawn"},
    422: {"description": "Invalid payload"},
}


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ServiceUseRead, responses=PROBLEMS)
def create_service_use(
    data: ServiceUseCreate, session: DbSession, principal: Writer, idem: IdempotencyDep
) -> object:
    """Admissions, bed days and ED presentations over a window, with days at risk (the exposure)."""
    return idem.run(session, principal, 201, lambda: service.create(session, principal, data))


@router.get("", response_model=Page[ServiceUseRead])
def list_service_use(
    session: DbSession,
    principal: IdentifiedReader,
    page: PageQuery,
    site_id: uuid.UUID | None = None,
    patient_id: uuid.UUID | None = None,
    overlaps_from: IsoDate | None = None,
    overlaps_to: IsoDate | None = None,
) -> object:
    return service.list_(
        session,
        principal,
        page,
        site_id=site_id,
        patient_id=patient_id,
        overlaps_from=overlaps_from,
        overlaps_to=overlaps_to,
    )


@router.get("/{window_id}", response_model=ServiceUseRead, responses=PROBLEMS)
def get_service_use(window_id: uuid.UUID, session: DbSession, principal: IdentifiedReader) -> object:
    return service.get(session, principal, window_id)


@router.get("/{window_id}/history", response_model=list[ServiceUseRead], responses=PROBLEMS)
def service_use_history(window_id: uuid.UUID, session: DbSession, principal: IdentifiedReader) -> object:
    return service.history(session, principal, window_id)


@router.post("/{window_id}/corrections", status_code=status.HTTP_201_CREATED, response_model=ServiceUseRead)
def correct_service_use(
    window_id: uuid.UUID,
    data: ServiceUseCorrection,
    session: DbSession,
    principal: Writer,
    idem: IdempotencyDep,
) -> object:
    """A new version (all counts restated) with a required reason; `entered_in_error` withdraws it."""
    return idem.run(session, principal, 201, lambda: service.correct(session, principal, window_id, data))
