import uuid
from datetime import date

from pydantic import BaseModel

from app.dyads.schemas import DyadRead
from app.instruments.change import ChangeFlags
from app.instruments.definition import InstrumentKind, RaterRole


class TimelinePoint(BaseModel):
    id: uuid.UUID
    rated_on: date
    occasion: str | None
    instrument_version: str
    dyad_id: uuid.UUID | None
    total: float
    scores: dict[str, float | None]
    prorated: bool
    change: ChangeFlags | None  # against the previous point of the series (same definition version)
    flags: list[str]  # short names of what fired: reliable_improvement, into_clinical, alliance_drop, …


class Series(BaseModel):
    kind: InstrumentKind
    instrument: str
    rater: RaterRole | None
    points: list[TimelinePoint]


class Timeline(BaseModel):
    patient_id: uuid.UUID
    dyads: list[DyadRead]
    alliance: list[Series]
    outcomes: list[Series]
