import uuid

from fastapi import APIRouter, status

from app.api_keys import service
from app.api_keys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyRead
from app.auth.principal import Admin
from app.core.pagination import Page, PageQuery, make_page
from app.db.engine import DbSession

router = APIRouter(prefix="/api-keys", tags=["api keys"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ApiKeyCreated)
def create_api_key(data: ApiKeyCreate, session: DbSession, principal: Admin) -> object:
    """Create a key. The response is the only time the key itself is shown."""
    return service.create(session, principal, data)


@router.get("", response_model=Page[ApiKeyRead])
def list_api_keys(session: DbSession, principal: Admin, page: PageQuery) -> object:
    return make_page(service.list_(session, principal, page), page, ApiKeyRead)


@router.post("/{key_id}/revoke", response_model=ApiKeyRead)
def revoke_api_key(key_id: uuid.UUID, session: DbSession, principal: Admin) -> object:
    return service.revoke(session, principal, key_id)
