import uuid
from datetime import date, datetime

from pydantic import model_validator

from app.core.schemas import InputSchema, ReadSchema
from app.core.types import StudyDate
from app.models.enums import EndReason


class DyadCreate(InputSchema):
    patient_id: uuid.UUID
    case_manager_id: uuid.UUID
    started_on: StudyDate
    ended_on: StudyDate | None = None
    end_reason: EndReason | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "DyadCreate":
        if (self.ended_on is None) != (self.end_reason is None):
            raise ValueError("ended_on and end_reason go together")
        if self.ended_on is not None and self.ended_on < self.started_on:
            raise ValueError("ended_on must not be before started_on")
        return self


class DyadEnd(InputSchema):
    ended_on: StudyDate
    end_reason: EndReason


class TransferCreate(InputSchema):
    case_manager_id: uuid.UUID
    on: StudyDate  # first day with the new case manager; the open dyad ends the day before
    end_reason: EndReason = EndReason.transfer


class DyadRead(ReadSchema):
    id: uuid.UUID
    site_id: uuid.UUID
    patient_id: uuid.UUID
    case_manager_id: uuid.UUID
    started_on: date
    ended_on: date | None
    end_reason: EndReason | None
    created_at: datetime


class TransferRead(ReadSchema):
    ended: DyadRead
    started: DyadRead
