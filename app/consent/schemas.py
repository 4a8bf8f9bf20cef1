import uuid
from datetime import date, datetime

from pydantic import Field

from app.core.schemas import InputSchema, ReadSchema
from app.core.types import StudyDate
from app.models.enums import ConsentStatus, WithdrawalLevel


class ConsentCreate(InputSchema):
    effective_on: StudyDate
    form_version: str | None = Field(default=None, max_length=64)
    data_collection: bool = True
    linkage: bool = False
    future_use: bool = False


class WithdrawalCreate(InputSchema):
    level: WithdrawalLevel
    effective_on: StudyDate
    reason: str | None = Field(default=None, max_length=2000)


class ConsentRead(ReadSchema):
    id: uuid.UUID
    patient_id: uuid.UUID
    status: ConsentStatus
    effective_on: date
    form_version: str | None
    data_collection: bool
    linkage: bool
    future_use: bool
    withdrawal_level: WithdrawalLevel | None
    created_at: datetime


class ConsentState(ReadSchema):
    """The current consent (the newest event) and every event before it."""

    current: ConsentRead | None
    history: list[ConsentRead]
