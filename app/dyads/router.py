import uuid

from fastapi import APIRouter, status

from app.auth.principal import IdentifiedReader, Writer
from app.core.pagination import Page, PageQuery, make_page
from app.core.types import StudyDate
from app.db.engine import DbSession
from app.dyads import service
from app.dyads.schemas import DyadCreate, DyadEnd, DyadRead
from app.idempotency.service import IdempotencyDep

router = APIRouter(prefix="/dyads", tags=["dyads"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=DyadRead)
def create_dyad(data: DyadCreate, session: DbSession, principal: Writer, idem: IdempotencyDep) -> object:
    return idem.run(session, principal, 201, lambda: service.create(session, principal, data), DyadRead)


@router.get("", response_model=Page[DyadRead])
def list_dyads(
    session: DbSession,
    principal: IdentifiedReader,
    page: PageQuery,
    site_id: uuid.UUID | None = None,
    patient_id: uuid.UUID | None = None,
    case_manager_id: uuid.UUID | None = None,
    active_on: StudyDate | None = None,
) -> object:
    rows = service.list_(
        session,
        principal,
        page,
        site_id=site_id,
        patient_id=patient_id,
        case_manager_id=case_manager_id,
        active_on=active_on,
    )
    return make_page(rows, page, DyadRead)


@router.get("/{dyad_id}", response_model=DyadRead)
def get_dyad(dyad_id: uuid.UUID, session: DbSession, principal: IdentifiedReader) -> object:
    return service.get(session, principal, dyad_id)


@router.post("/{dyad_id}/end", response_model=DyadRead)
def end_dyad(
    dyad_id: uuid.UUID, data: DyadEnd, session: DbSession, principal: Writer, idem: IdempotencyDep
) -> object:
    return idem.run(session, principal, 200, lambda: service.end(session, principal, dyad_id, data), DyadRead)
