import uuid
from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, IdMixin, TimestampMixin, str_enum
from app.models.enums import Discipline


class CaseManager(IdMixin, TimestampMixin, Base):
    """A case manager, known only by a pseudonymous code that is unique within the site."""

    __tablename__ = "case_managers"
    __table_args__ = (
        UniqueConstraint("site_id", "code"),
        UniqueConstraint("id", "site_id"),  # target of the dyads' same-site foreign key
        CheckConstraint("left_on IS NULL OR left_on >= started_on", name="employment_period"),
    )

    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    discipline: Mapped[Discipline] = mapped_column(str_enum(Discipline, "discipline"))
    started_on: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)
