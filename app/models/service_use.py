import uuid
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, IdMixin, str_enum
from app.models.enums import MeasurementStatus


class ServiceUseWindow(IdMixin, Base):
    """Service use over a period (admissions, bed days, ED presentations) with its exposure (days at risk).

    Versioned like measurements: ``record_id`` is the identity, one current version per record.
    """

    __tablename__ = "service_use_windows"
    __table_args__ = (
        ForeignKeyConstraint(
            ["patient_id", "site_id"],
            ["patients.id", "patients.site_id"],
            name="fk_service_use_windows__patient_site",
        ),
        UniqueConstraint("record_id", "version"),
        CheckConstraint("window_end >= window_start", name="window_order"),
        CheckConstraint(
            "days_at_risk >= 0 AND days_at_risk <= window_end - window_start + 1", name="exposure"
        ),
        CheckConstraint(
            "n_admissions >= 0 AND bed_days >= 0 AND n_ed_presentations >= 0", name="counts_not_negative"
        ),
        CheckConstraint("(version = 1) = (reason IS NULL)", name="reason_for_correction"),
        Index(
            "ux_service_use_windows__current", "record_id", unique=True, postgresql_where=text("is_current")
        ),
        Index(
            "ux_service_use_windows__natural_key",
            "natural_key",
            unique=True,
            postgresql_where=text("is_current AND status = 'active'"),
        ),
    )

    record_id: Mapped[uuid.UUID]
    version: Mapped[int] = mapped_column(SmallInteger)
    is_current: Mapped[bool]
    supersedes_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("service_use_windows.id"))
    status: Mapped[MeasurementStatus] = mapped_column(str_enum(MeasurementStatus, "measurement_status"))
    reason: Mapped[str | None] = mapped_column(Text)
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"), index=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(index=True)
    window_start: Mapped[date] = mapped_column(Date)
    window_end: Mapped[date] = mapped_column(Date)
    days_at_risk: Mapped[int] = mapped_column(Integer)
    n_admissions: Mapped[int] = mapped_column(Integer)
    bed_days: Mapped[int] = mapped_column(Integer)
    n_ed_presentations: Mapped[int] = mapped_column(Integer)
    source: Mapped[str | None] = mapped_column(String(200))
    extracted_on: Mapped[date | None] = mapped_column(Date)
    natural_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_by: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
