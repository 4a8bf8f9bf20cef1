import uuid
from datetime import datetime

from pydantic import model_validator

from app.core.schemas import InputSchema, ReadSchema
from app.core.types import Label
from app.models.enums import Role


class ApiKeyCreate(InputSchema):
    label: Label
    role: Role
    site_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _site_for_clinic(self) -> "ApiKeyCreate":
        if (self.role is Role.clinic) != (self.site_id is not None):
            raise ValueError("a clinic key needs site_id; admin and researcher keys must not have one")
        return self


class ApiKeyRead(ReadSchema):
    id: uuid.UUID
    label: str
    role: Role
    site_id: uuid.UUID | None
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    key: str  # shown once; only its hash is stored
