import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from app.auth.principal import IdentifiedReader, Writer
from app.case_managers import service
from app.case_managers.schemas import CaseManagerCreate, CaseManagerRead, CaseManagerUpdate
from app.core.pagination import Page, PageQuery, make_page
from app.db.engine import DbSession
from app.idempotency.service import IdempotencyDep

router = APIRouter(prefix="/case-managers", tags=["case managers"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CaseManagerRead)
def create_case_manager(
    data: CaseManagerCreate, session: DbSession, principal: Writer, idem: IdempotencyDep
) -> object:
    return idem.run(
        session, principal, 201, lambda: service.create(session, principal, data), CaseManagerRead
    )


@router.get("", response_model=Page[CaseManagerRead])
def list_case_managers(
    session: DbSession,
    principal: IdentifiedReader,
    page: PageQuery,
    site_id: uuid.UUID | None = None,
    code: Annotated[str | None, Query(max_length=32)] = None,
) -> object:
    return make_page(service.list_(session, principal, page, site_id, code), page, CaseManagerRead)


@router.get("/{case_manager_id}", response_model=CaseManagerRead)
def get_case_manager(case_manager_id: uuid.UUID, session: DbSession, principal: IdentifiedReader) -> object:
    return service.get(session, principal, case_manager_id)


@router.patch("/{case_manager_id}", response_model=CaseManagerRead)
def update_case_manager(
    case_manager_id: uuid.UUID, data: CaseManagerUpdate, session: DbSession, principal: Writer
) -> object:
    return service.update(session, principal, case_manager_id, data)
