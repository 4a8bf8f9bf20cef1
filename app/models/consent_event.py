import uuid
from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, IdMixin, TimestampMixin, str_enum
from app.models.enums import ConsentStatus, WithdrawalLevel


class ConsentEvent(IdMixin, TimestampMixin, Base):
    """A consent or withdrawal as recorded; never changed. The newest event per patient is in force."""

    __tablename__ = "consent_events"
    __table_args__ = (
        CheckConstraint(
            "(status = 'withdrawn') = (withdrawal_level IS NOT NULL)", name="withdrawal_has_level"
        ),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"), index=True)
    status: Mapped[ConsentStatus] = mapped_column(str_enum(ConsentStatus, "consent_status"))
    effective_on: Mapped[date] = mapped_column(Date)
    form_version: Mapped[str | None] = mapped_column(String(64))
    data_collection: Mapped[bool]
    linkage: Mapped[bool]
    future_use: Mapped[bool]
    withdrawal_level: Mapped[WithdrawalLevel | None] = mapped_column(
        str_enum(WithdrawalLevel, "withdrawal_level")
    )
    reason: Mapped[str | None] = mapped_column(Text)
