import uuid
from datetime import datetime
from typing import Any

from app.core.schemas import ReadSchema
from app.models.enums import AuditAction, Role


class AuditEventRead(ReadSchema):
    id: uuid.UUID
    seq: int | None
    occurred_at: datetime
    actor_key_id: uuid.UUID
    actor_role: Role
    actor_site_id: uuid.UUID | None
    action: AuditAction
    entity: str
    entity_id: uuid.UUID | None
    site_id: uuid.UUID | None
    changes: dict[str, Any]
    reason: str | None
    request_id: str | None
