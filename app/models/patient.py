import uuid
from datetime import date

from sqlalchemy import Date, ForeignKey, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, IdMixin, TimestampMixin, str_enum
from app.models.enums import DiagnosisGroup, Sex


class Patient(IdMixin, TimestampMixin, Base):
    """A patient, known only by a random study id that is unique within the site."""

    __tablename__ = "patients"
    __table_args__ = (
        UniqueConstraint("site_id", "study_id"),
        UniqueConstraint("id", "site_id"),  # target of the dyads' same-site foreign key
    )

    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"), index=True)
    study_id: Mapped[str] = mapped_column(String(32))
    birth_year: Mapped[int | None] = mapped_column(SmallInteger)
    sex: Mapped[Sex | None] = mapped_column(str_enum(Sex, "sex"))
    diagnosis_group: Mapped[DiagnosisGroup | None] = mapped_column(
        str_enum(DiagnosisGroup, "diagnosis_group")
    )
    enrolled_on: Mapped[date] = mapped_column(Date)
