import uuid
from datetime import date, datetime
from typing import Annotated, Self

from pydantic import Field, StringConstraints, model_validator

from app.core.schemas import InputSchema, ReadSchema
from app.core.types import StudyDate
from app.measurements.schemas import Reason, SubjectRef
from app.models.enums import MeasurementStatus

Count = Annotated[int, Field(ge=0, le=100_000)]


class _Window(InputSchema):
    window_start: StudyDate
    window_end: StudyDate
    days_at_risk: Count | None = Field(
        default=None, description="exposure: days in the window not already in hospital (default: all days)"
    )
    n_admissions: Count = 0
    bed_days: Count = 0
    n_ed_presentations: Count = 0

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.window_end < self.window_start:
            raise ValueError("window_end must not be before window_start")
        length = (self.window_end - self.window_start).days + 1
        if self.days_at_risk is not None and self.days_at_risk > length:
            raise ValueError(f"days_at_risk exceeds the window's {length} days")
        if self.bed_days > length:
            raise ValueError(f"bed_days exceeds the window's {length} days")
        return self

    def exposure(self) -> int:
        if self.days_at_risk is not None:
            return self.days_at_risk
        return (self.window_end - self.window_start).days + 1


class ServiceUseCreate(SubjectRef, _Window):
    """Service use of a patient over a period (admissions, bed days, ED presentations) with its exposure."""

    source: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = Field(
        default=None, description="data source, e.g. the linked administrative collection"
    )
    extracted_on: StudyDate | None = None

    @model_validator(mode="after")
    def _patient_given(self) -> Self:
        if self.patient_id is None and self.patient_code is None:
            raise ValueError("give patient_id or patient_code")
        return self


class ServiceUseCorrection(_Window):
    """A new version of a window (all counts restated), or ``status: entered_in_error``."""

    reason: Reason
    status: MeasurementStatus = MeasurementStatus.active


class ServiceUseRead(ReadSchema):
    id: uuid.UUID = Field(validation_alias="record_id", description="the window (stable across versions)")
    version_id: uuid.UUID = Field(validation_alias="id")
    version: int
    status: MeasurementStatus
    site_id: uuid.UUID
    patient_id: uuid.UUID
    window_start: date
    window_end: date
    days_at_risk: int
    n_admissions: int
    bed_days: int
    n_ed_presentations: int
    source: str | None
    extracted_on: date | None
    reason: str | None
    created_at: datetime
