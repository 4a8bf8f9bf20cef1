import uuid
from datetime import date, datetime
from typing import ClassVar

from pydantic import model_validator

from app.core.schemas import InputSchema, ReadSchema, UpdateSchema
from app.core.types import Code, StudyDate
from app.models.enums import Discipline


class CaseManagerCreate(InputSchema):
    site_id: uuid.UUID | None = None  # defaults to a clinic key's own site
    code: Code
    discipline: Discipline
    started_on: StudyDate
    left_on: StudyDate | None = None

    @model_validator(mode="after")
    def _period(self) -> "CaseManagerCreate":
        if self.left_on is not None and self.left_on < self.started_on:
            raise ValueError("left_on must not be before started_on")
        return self


class CaseManagerUpdate(UpdateSchema):
    nullable: ClassVar[frozenset[str]] = frozenset({"left_on"})

    code: Code | None = None
    discipline: Discipline | None = None
    started_on: StudyDate | None = None
    left_on: StudyDate | None = None


class CaseManagerRead(ReadSchema):
    id: uuid.UUID
    site_id: uuid.UUID
    code: str
    discipline: Discipline
    started_on: date
    left_on: date | None
    created_at: datetime
