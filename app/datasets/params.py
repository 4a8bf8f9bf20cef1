"""What to extract: instruments, raters, matching window, filters (shared by runs and exports)."""

import uuid
from dataclasses import dataclass, field
from datetime import date

from app.instruments.definition import RaterRole

DEFAULT_WINDOW_DAYS = 45
RATER_COLUMN = {RaterRole.PATIENT: "A_p", RaterRole.CASE_MANAGER: "A_c"}


@dataclass(frozen=True)
class InstrumentChoice:
    code: str
    version: str | None = None  # None: every stored version (the versions used are reported)


@dataclass(frozen=True)
class ExtractionParams:
    """Occasions are the *anchor* rater's current alliance ratings (see :mod:`app.datasets.sql`)."""

    anchor_rater: RaterRole = RaterRole.PATIENT
    alliance: dict[RaterRole, InstrumentChoice] = field(
        default_factory=lambda: {
            RaterRole.PATIENT: InstrumentChoice("wai-sr"),
            RaterRole.CASE_MANAGER: InstrumentChoice("wai-sr-t"),
        }
    )
    outcome: InstrumentChoice = InstrumentChoice("honos")
    window_days: int = DEFAULT_WINDOW_DAYS
    site_ids: tuple[uuid.UUID, ...] | None = None
    rated_from: date | None = None
    rated_to: date | None = None

    @property
    def partner_rater(self) -> RaterRole:
        return RaterRole.CASE_MANAGER if self.anchor_rater is RaterRole.PATIENT else RaterRole.PATIENT
