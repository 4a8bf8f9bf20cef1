import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from app.auth.principal import Admin, Reader
from app.core.pagination import Page, PageQuery, make_page
from app.db.engine import DbSession
from app.idempotency.service import IdempotencyDep
from app.sites import service
from app.sites.schemas import SiteCreate, SiteRead, SiteUpdate

router = APIRouter(prefix="/sites", tags=["sites"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=SiteRead)
def create_site(data: SiteCreate, session: DbSession, principal: Admin, idem: IdempotencyDep) -> object:
    return idem.run(session, principal, 201, lambda: service.create(session, principal, data), SiteRead)


@router.get("", response_model=Page[SiteRead])
def list_sites(
    session: DbSession,
    principal: Reader,
    page: PageQuery,
    code: Annotated[str | None, Query(max_length=32)] = None,
) -> object:
    return make_page(service.list_(session, principal, page, code), page, SiteRead)


@router.get("/{site_id}", response_model=SiteRead)
def get_site(site_id: uuid.UUID, session: DbSession, principal: Reader) -> object:
    return service.get(session, principal, site_id)


@router.patch("/{site_id}", response_model=SiteRead)
def update_site(site_id: uuid.UUID, data: SiteUpdate, session: DbSession, principal: Admin) -> object:
    return service.update(session, principal, site_id, data)
