import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.instruments.definition import InstrumentKind, RaterRole
from app.models.base import Base, IdMixin, str_enum
from app.models.enums import MeasurementStatus

CURRENT_ACTIVE = text("is_current AND status = 'active'")


class Measurement(IdMixin, Base):
    """One version of a scored administration of an instrument: an alliance rating or an outcome measure.

    Corrections never overwrite: every version is a row. ``record_id`` is the stable identity the API exposes
    (the id of the first version); exactly one version per record is current (partial unique index), and a
    current, active version's natural key (who, what, when, which answers) is unique, so duplicates cannot be
    stored twice even by concurrent requests. Rows are never deleted (trigger, see migration 0003).
    """

    __tablename__ = "measurements"
    __table_args__ = (
        ForeignKeyConstraint(
            ["patient_id", "site_id"],
            ["patients.id", "patients.site_id"],
            name="fk_measurements__patient_site",
        ),
        ForeignKeyConstraint(
            ["instrument_code", "instrument_version"],
            ["instruments.code", "instruments.version"],
            name="fk_measurements__instrument",
        ),
        UniqueConstraint("record_id", "version"),
        CheckConstraint(
            "kind <> 'alliance' OR (dyad_id IS NOT NULL AND rater IS NOT NULL)", name="alliance_dyad"
        ),
        CheckConstraint("(version = 1) = (reason IS NULL)", name="reason_for_correction"),
        CheckConstraint("(version = 1) = (supersedes_id IS NULL)", name="supersedes_for_correction"),
        Index("ux_measurements__current", "record_id", unique=True, postgresql_where=text("is_current")),
        Index("ux_measurements__natural_key", "natural_key", unique=True, postgresql_where=CURRENT_ACTIVE),
        Index("ix_measurements__patient_series", "patient_id", "instrument_code", "rated_on"),
    )

    record_id: Mapped[uuid.UUID]
    version: Mapped[int] = mapped_column(SmallInteger)
    is_current: Mapped[bool]
    supersedes_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("measurements.id"))
    status: Mapped[MeasurementStatus] = mapped_column(str_enum(MeasurementStatus, "measurement_status"))
    reason: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[InstrumentKind] = mapped_column(str_enum(InstrumentKind, "instrument_kind"))
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"), index=True)
    patient_id: Mapped[uuid.UUID]
    dyad_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("dyads.id"), index=True)
    case_manager_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("case_managers.id"), index=True)
    instrument_code: Mapped[str] = mapped_column(String(32))
    instrument_version: Mapped[str] = mapped_column(String(32))
    rater: Mapped[RaterRole | None] = mapped_column(str_enum(RaterRole, "rater_role"))
    rated_on: Mapped[date] = mapped_column(Date)
    occasion: Mapped[str | None] = mapped_column(String(64))
    items: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    score_input: Mapped[float | None] = mapped_column(Float)
    scores: Mapped[dict[str, Any]] = mapped_column(JSONB)
    total: Mapped[float] = mapped_column(Float)
    n_valid: Mapped[int] = mapped_column(SmallInteger)
    prorated: Mapped[bool]
    natural_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_by: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
