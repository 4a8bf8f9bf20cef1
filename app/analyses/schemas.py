import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from analysis.spec import AllianceRater, Template
from app.core.schemas import InputSchema, ReadSchema
from app.core.types import Code, StudyDate
from app.models.analysis_run import RunStatus

COVARIATES = ("age", "female", "days_since_enrolment", "y_gap_days")


class InstrumentRef(InputSchema):
    code: Code
    version: str | None = Field(default=None, max_length=32, description="None: every stored version")


class AnalysisFilters(InputSchema):
    site_ids: list[uuid.UUID] | None = Field(default=None, max_length=200)
    rated_from: StudyDate | None = None
    rated_to: StudyDate | None = None


class AnalysisCreate(InputSchema):
    """A model spec: template, instruments, rater, matching window, filters and the library's options."""

    template: Template
    outcome: InstrumentRef = InstrumentRef(code="honos")
    alliance_rater: AllianceRater = AllianceRater.PATIENT
    patient_alliance: InstrumentRef = InstrumentRef(code="wai-sr")
    case_manager_alliance: InstrumentRef = InstrumentRef(code="wai-sr-t")
    window_days: int | None = Field(default=None, ge=0, le=365, description="± days; default from settings")
    filters: AnalysisFilters = AnalysisFilters()
    options: dict[str, Any] = Field(
        default_factory=dict,
        description="Other `analysis.spec.ModelSpec` fields (time_metric, covariates, reml, lag, seed, ...). "
        f"Covariates available: {', '.join(COVARIATES)}.",
    )


class AnalysisSummary(ReadSchema):
    id: uuid.UUID
    status: RunStatus
    template: str
    site_id: uuid.UUID | None
    dataset_sha256: str
    dataset_rows: int | None = Field(description="null when suppressed (see `suppressed`)")
    n_excluded_withdrawn: int | None = Field(description="null when suppressed (see `suppressed`)")
    seed: int
    attempts: int
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    suppressed: list[str] = Field(
        default_factory=list,
        description="JSON pointers of counts of 1-4 withheld from this key (small-cell suppression: "
        "`app.core.disclosure`); their values are null",
    )


class AnalysisRead(AnalysisSummary):
    spec: dict[str, Any]
    instrument_versions: dict[str, Any]
    library_versions: dict[str, Any] | None
    result: dict[str, Any] | None
    cached: bool = Field(
        default=False, description="True when an equal earlier run on unchanged data is returned"
    )
