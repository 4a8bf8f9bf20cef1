import uuid
from collections.abc import Sequence

from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.case_managers.repository import CaseManagerRepository
from app.case_managers.schemas import CaseManagerCreate, CaseManagerUpdate
from app.core.pagination import PageParams
from app.core.scoping import default_site
from app.models import CaseManager


def create(session: Session, principal: Principal, data: CaseManagerCreate) -> CaseManager:
    site_id = default_site(principal, data.site_id)
    return CaseManagerRepository(session, principal).add(
        CaseManager(**data.model_dump(exclude={"site_id"}), site_id=site_id)
    )


def get(session: Session, principal: Principal, cm_id: uuid.UUID) -> CaseManager:
    return CaseManagerRepository(session, principal).get(cm_id)


def list_(
    session: Session,
    principal: Principal,
    params: PageParams,
    site_id: uuid.UUID | None,
    code: str | None,
) -> Sequence[CaseManager]:
    repo = CaseManagerRepository(session, principal)
    stmt = repo.select()
    if site_id is not None:
        stmt = stmt.where(CaseManager.site_id == site_id)
    if code is not None:
        stmt = stmt.where(CaseManager.code == code)
    return repo.page(stmt, params)


def update(session: Session, principal: Principal, cm_id: uuid.UUID, data: CaseManagerUpdate) -> CaseManager:
    repo = CaseManagerRepository(session, principal)
    return repo.update(repo.get(cm_id, for_update=True), data.model_dump(exclude_unset=True))
