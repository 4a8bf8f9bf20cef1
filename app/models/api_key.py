import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, IdMixin, TimestampMixin, str_enum
from app.models.enums import Role


class ApiKey(IdMixin, TimestampMixin, Base):
    """An API key: only its SHA-256 digest is stored; the key itself is shown once, at creation."""

    __tablename__ = "api_keys"
    __table_args__ = (CheckConstraint("(role = 'clinic') = (site_id IS NOT NULL)", name="clinic_has_site"),)

    label: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    site_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sites.id"))
    key_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    revoked_at: Mapped[datetime | None]
