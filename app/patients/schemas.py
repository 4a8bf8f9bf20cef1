import uuid
from datetime import date, datetime
from typing import ClassVar

from app.core.schemas import InputSchema, ReadSchema, UpdateSchema
from app.core.types import BirthYear, Code, StudyDate
from app.models.enums import DiagnosisGroup, Sex


class PatientCreate(InputSchema):
    site_id: uuid.UUID | None = None  # defaults to a clinic key's own site
    study_id: Code | None = None  # generated (random, not derivable) when absent
    birth_year: BirthYear | None = None
    sex: Sex | None = None
    diagnosis_group: DiagnosisGroup | None = None
    enrolled_on: StudyDate


class PatientUpdate(UpdateSchema):
    nullable: ClassVar[frozenset[str]] = frozenset({"birth_year", "sex", "diagnosis_group"})

    birth_year: BirthYear | None = None
    sex: Sex | None = None
    diagnosis_group: DiagnosisGroup | None = None
    enrolled_on: StudyDate | None = None


class PatientRead(ReadSchema):
    id: uuid.UUID
    site_id: uuid.UUID
    study_id: str
    birth_year: int | None
    sex: Sex | None
    diagnosis_group: DiagnosisGroup | None
    enrolled_on: date
    created_at: datetime
