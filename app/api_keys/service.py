import secrets
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from app.api_keys.repository import ApiKeyRepository
from app.api_keys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyRead
from app.auth.principal import Principal, hash_key
from app.core.errors import Conflict
from app.core.pagination import PageParams
from app.models import ApiKey
from app.models.enums import AuditAction
from app.sites.repository import SiteRepository

KEY_PREFIX = "dys_"


def create(session: Session, principal: Principal, data: ApiKeyCreate) -> ApiKeyCreated:
    if data.site_id is not None:
        SiteRepository(session, principal).get(data.site_id)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKeyRepository(session, principal).add(
        ApiKey(
            label=data.label, role=data.role, site_id=data.site_id, key_hash=hash_key(key), prefix=key[:12]
        ),
        AuditAction.key_create,
    )
    return ApiKeyCreated(**ApiKeyRead.model_validate(row).model_dump(), key=key)


def list_(session: Session, principal: Principal, params: PageParams) -> Sequence[ApiKey]:
    repo = ApiKeyRepository(session, principal)
    return repo.page(repo.select(), params)


def revoke(session: Session, principal: Principal, key_id: uuid.UUID) -> ApiKey:
    repo = ApiKeyRepository(session, principal)
    row = repo.get(key_id, for_update=True)
    if row.revoked_at is not None:
        raise Conflict(detail="The key is already revoked.")
    return repo.update(row, {"revoked_at": datetime.now(UTC)}, AuditAction.key_revoke)
