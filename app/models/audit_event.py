import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, LargeBinary, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, IdMixin, str_enum
from app.models.enums import AuditAction, Role


class AuditEvent(IdMixin, Base):
    """One audited change. Append-only and hash-chained: ``seq``, ``prev_hash`` and ``hash`` are set by a
    database trigger under a lock (see migration 0002), and UPDATE/DELETE/TRUNCATE are refused."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events__entity", "entity", "entity_id"),)

    seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    occurred_at: Mapped[datetime] = mapped_column(server_default=func.clock_timestamp(), index=True)
    actor_key_id: Mapped[uuid.UUID] = mapped_column(index=True)
    actor_role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    actor_site_id: Mapped[uuid.UUID | None]
    action: Mapped[AuditAction] = mapped_column(str_enum(AuditAction, "audit_action"))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[uuid.UUID | None]
    site_id: Mapped[uuid.UUID | None]
    changes: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    reason: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))
