import uuid
from datetime import date, datetime
from typing import Annotated, Any, Self

from pydantic import ConfigDict, Field, PlainValidator, StringConstraints, WithJsonSchema, model_validator

from app.core.schemas import InputSchema, ReadSchema
from app.core.types import Code, StudyDate
from app.instruments.change import ChangeFlags
from app.instruments.definition import InstrumentKind, RaterRole
from app.models.enums import MeasurementStatus

InstrumentRef = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,31}(@[A-Za-z0-9][A-Za-z0-9._-]{0,31})?$")
]
ItemKey = Annotated[str, StringConstraints(min_length=1, max_length=8)]


def _number(value: object) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number")
    return value


# One check (and one error per offending item) instead of a union's error per member.
Number = Annotated[int | float, PlainValidator(_number), WithJsonSchema({"type": "number"})]
Items = Annotated[dict[ItemKey, Number | None], Field(max_length=200)]
Occasion = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Reason = Annotated[str, StringConstraints(min_length=3, max_length=2000)]


class SubjectRef(InputSchema):
    """Who a measurement is about, by id or site-scoped code (site: clinic key's, site_id or site_code)."""

    site_id: uuid.UUID | None = None
    site_code: Code | None = None
    patient_id: uuid.UUID | None = None
    patient_code: Code | None = Field(default=None, description="the patient's study_id at the site")
    case_manager_id: uuid.UUID | None = None
    case_manager_code: Code | None = None

    @model_validator(mode="after")
    def _one_way_each(self) -> Self:
        for a, b in (
            ("site_id", "site_code"),
            ("patient_id", "patient_code"),
            ("case_manager_id", "case_manager_code"),
        ):
            if getattr(self, a) is not None and getattr(self, b) is not None:
                raise ValueError(f"give {a} or {b}, not both")
        return self


class AllianceRatingCreate(SubjectRef):
    """A rating of the alliance within a dyad: by ``dyad_id``, or by patient and case manager (the dyad active
    on ``rated_on`` is found)."""

    dyad_id: uuid.UUID | None = None
    instrument: InstrumentRef = Field(description="instrument code, or code@version (latest version if none)")
    rater: RaterRole
    rated_on: StudyDate
    occasion: Occasion | None = None
    items: Items

    @model_validator(mode="after")
    def _dyad_given(self) -> Self:
        by_pair = (self.patient_id or self.patient_code) and (self.case_manager_id or self.case_manager_code)
        if self.dyad_id is None and not by_pair:
            raise ValueError("give dyad_id, or the patient and the case manager (by id or code)")
        return self


class OutcomeMeasureCreate(SubjectRef):
    """An outcome measure of a patient: ``items``, or ``score`` for a single-score instrument such as GAF."""

    instrument: InstrumentRef
    rated_on: StudyDate
    rater: RaterRole | None = None
    occasion: Occasion | None = None
    items: Items | None = None
    score: Number | None = None

    @model_validator(mode="after")
    def _patient_given(self) -> Self:
        if self.patient_id is None and self.patient_code is None:
            raise ValueError("give patient_id or patient_code")
        return self


class CorrectionCreate(InputSchema):
    """A new version of a measurement; ``status: entered_in_error`` withdraws it (items may be omitted)."""

    reason: Reason
    status: MeasurementStatus = MeasurementStatus.active
    items: Items | None = None
    score: Number | None = None
    rated_on: StudyDate | None = None
    occasion: Occasion | None = None


class ScaleScoreRead(ReadSchema):
    value: float | None
    n_valid: int
    n_items: int
    prorated: bool
    valid: bool
    item_mean: float | None


class MeasurementRead(ReadSchema):
    model_config = ConfigDict(from_attributes=True, populate_by_name=True)

    id: uuid.UUID = Field(
        validation_alias="record_id", description="the measurement (stable across versions)"
    )
    version_id: uuid.UUID = Field(validation_alias="id", description="this version's row")
    version: int
    status: MeasurementStatus
    kind: InstrumentKind
    site_id: uuid.UUID
    patient_id: uuid.UUID
    dyad_id: uuid.UUID | None
    case_manager_id: uuid.UUID | None
    instrument: str = Field(validation_alias="instrument_code")
    instrument_version: str
    rater: RaterRole | None
    rated_on: date
    occasion: str | None
    items: dict[str, Any] | None
    score: float | None = Field(validation_alias="score_input")
    scores: dict[str, ScaleScoreRead]
    total: float
    n_valid: int
    prorated: bool
    reason: str | None
    created_at: datetime


class Flags(ReadSchema):
    """Change against the previous current measure of the same instrument version (same rater and dyad for
    alliance ratings): reliable change, cut-offs, bands, alliance drop."""

    previous_id: uuid.UUID | None
    previous_rated_on: date | None
    change: ChangeFlags


class MeasurementCreated(MeasurementRead):
    flags: Flags
