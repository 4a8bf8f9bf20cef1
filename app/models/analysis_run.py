import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, SmallInteger, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, IdMixin, TimestampMixin, str_enum
from app.models.enums import Role
from app.models.measurement import Measurement


class RunStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


class AnalysisRun(IdMixin, TimestampMixin, Base):
    """One requested model fit and everything needed to reproduce it.

    The data set is extracted and frozen when the run is requested (``dataset``: de-identified Parquet,
    exactly the frame the model is fitted to); a worker fits it later (procrastinate job ``job_id``).
    ``spec_hash`` + ``dataset_sha256`` (+ the clinic scope ``site_id``) is the cache key: an equal request
    on unchanged data returns the existing run instead of fitting again.
    """

    __tablename__ = "analysis_runs"
    __table_args__ = (Index("ix_analysis_runs__cache_key", "spec_hash", "dataset_sha256"),)

    status: Mapped[RunStatus] = mapped_column(str_enum(RunStatus, "run_status"))
    template: Mapped[str] = mapped_column(String(8))
    spec: Mapped[dict[str, Any]] = mapped_column(JSONB)
    spec_hash: Mapped[str] = mapped_column(String(64))
    site_id: Mapped[uuid.UUID | None] = mapped_column(index=True)  # set for runs a clinic key asked for
    requested_by: Mapped[uuid.UUID] = mapped_column(index=True)
    requester_role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    dataset: Mapped[bytes] = mapped_column(LargeBinary)
    dataset_sha256: Mapped[str] = mapped_column(String(64))
    dataset_rows: Mapped[int] = mapped_column(Integer)
    patient_keys: Mapped[dict[str, str]] = mapped_column(JSONB)  # pseudonym -> patient id (never exported)
    n_excluded_withdrawn: Mapped[int] = mapped_column(Integer)
    instrument_versions: Mapped[dict[str, Any]] = mapped_column(JSONB)
    library_versions: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    seed: Mapped[int] = mapped_column(Integer)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    job_id: Mapped[int | None] = mapped_column(BigInteger)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


# Extraction support (app/datasets/sql.py): the other rater's rating nearest in date within a dyad.
Index(
    "ix_measurements__dyad_series",
    Measurement.dyad_id,
    Measurement.instrument_code,
    Measurement.rated_on,
)
