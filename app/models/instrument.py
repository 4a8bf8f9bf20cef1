import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import String, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.instruments.definition import InstrumentKind
from app.models.base import Base, IdMixin, str_enum


class Instrument(IdMixin, Base):
    """One immutable instrument definition version (structure and scoring rules, never item wording).

    Rows are never updated or deleted (trigger, see migration 0003): a change is a new ``version``.
    """

    __tablename__ = "instruments"
    __table_args__ = (UniqueConstraint("code", "version"),)

    code: Mapped[str] = mapped_column(String(32))
    version: Mapped[str] = mapped_column(String(32))
    kind: Mapped[InstrumentKind] = mapped_column(str_enum(InstrumentKind, "instrument_kind"))
    definition: Mapped[dict[str, Any]] = mapped_column(JSONB)
    builtin: Mapped[bool]
    created_by: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
