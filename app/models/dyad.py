import uuid
from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, ForeignKeyConstraint, func, literal_column
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, IdMixin, TimestampMixin, str_enum
from app.models.enums import EndReason


class Dyad(IdMixin, TimestampMixin, Base):
    """One patient assigned to one case manager over a period (``ended_on`` inclusive; null while open).

    The database enforces: same site (composite foreign keys through ``site_id``), no two dyads of one
    patient covering the same date (exclusion constraint), ``ended_on >= started_on``, and - by trigger,
    see the migration - the period lying within the case manager's employment and after enrolment.
    """

    __tablename__ = "dyads"
    __table_args__ = (
        ForeignKeyConstraint(
            ["patient_id", "site_id"],
            ["patients.id", "patients.site_id"],
            name="fk_dyads__patient_site",
        ),
        ForeignKeyConstraint(
            ["case_manager_id", "site_id"],
            ["case_managers.id", "case_managers.site_id"],
            name="fk_dyads__case_manager_site",
        ),
        CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="period_order"),
        CheckConstraint("(ended_on IS NULL) = (end_reason IS NULL)", name="end_reason_when_ended"),
        ExcludeConstraint(
            ("patient_id", "="),
            (func.daterange(literal_column("started_on"), literal_column("ended_on"), "[]"), "&&"),
            name="excl_dyads__patient_period",
            using="gist",
        ),
    )

    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"), index=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(index=True)
    case_manager_id: Mapped[uuid.UUID] = mapped_column(index=True)
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[EndReason | None] = mapped_column(str_enum(EndReason, "end_reason"))
