import uuid
from datetime import datetime

from app.core.schemas import InputSchema, ReadSchema, UpdateSchema
from app.core.types import Code, Name


class SiteCreate(InputSchema):
    code: Code
    name: Name


class SiteUpdate(UpdateSchema):
    code: Code | None = None
    name: Name | None = None


class SiteRead(ReadSchema):
    id: uuid.UUID
    code: str
    name: str
    created_at: datetime
