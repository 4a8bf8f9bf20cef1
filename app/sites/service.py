import uuid
from collections.abc import Sequence

from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.core.pagination import PageParams
from app.models import Site
from app.sites.repository import SiteRepository
from app.sites.schemas import SiteCreate, SiteUpdate


def create(session: Session, principal: Principal, data: SiteCreate) -> Site:
    return SiteRepository(session, principal).add(Site(**data.model_dump()))


def get(session: Session, principal: Principal, site_id: uuid.UUID) -> Site:
    return SiteRepository(session, principal).get(site_id)


def list_(session: Session, principal: Principal, params: PageParams, code: str | None) -> Sequence[Site]:
    repo = SiteRepository(session, principal)
    stmt = repo.select()
    if code is not None:
        stmt = stmt.where(Site.code == code)
    return repo.page(stmt, params)


def update(session: Session, principal: Principal, site_id: uuid.UUID, data: SiteUpdate) -> Site:
    repo = SiteRepository(session, principal)
    return repo.update(repo.get(site_id, for_update=True), data.model_dump(exclude_unset=True))
