import uuid
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from app.core.schemas import InputSchema
from app.measurements.schemas import AllianceRatingCreate, OutcomeMeasureCreate

MAX_ROWS = 5000


class AllianceRow(AllianceRatingCreate):
    type: Literal["alliance_rating"]


class OutcomeRow(OutcomeMeasureCreate):
    type: Literal["outcome_measure"]


SubmissionRow = Annotated[AllianceRow | OutcomeRow, Field(discriminator="type")]


class SubmissionCreate(InputSchema):
    """Up to 5,000 ratings and measures, each validated on its own (one bad row spoils nothing else): rows
    are ``{"type": "alliance_rating", …}`` as for POST /alliance-ratings or ``{"type": "outcome_measure", …}``
    as for POST /outcome-measures."""

    rows: Annotated[list[Any], Field(min_length=1, max_length=MAX_ROWS)]


class RowStatus(StrEnum):
    created = "created"
    duplicate = "duplicate"
    error = "error"


class RowProblem(BaseModel):
    type: str
    title: str
    status: int
    detail: str | None = None
    errors: list[dict[str, str]] = Field(default_factory=list)


class RowResult(BaseModel):
    index: int
    status: RowStatus
    id: uuid.UUID | None = None
    problem: RowProblem | None = None
    lines: list[int] | None = None  # CSV imports: the file's line numbers behind this row


class SubmissionResult(BaseModel):
    created: int
    duplicate: int
    error: int
    results: list[RowResult]
