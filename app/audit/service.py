"""Write audit events in the caller's transaction: a change and its audit event commit or vanish together."""

import uuid
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.core.middleware import request_id_var
from app.models import AuditEvent
from app.models.base import Base
from app.models.enums import AuditAction

NEVER_AUDITED = frozenset({"key_hash", "created_at", "modified_at"})


def record(
    session: Session,
    principal: Principal,
    action: AuditAction,
    entity: str,
    entity_id: uuid.UUID | None,
    *,
    site_id: uuid.UUID | None = None,
    changes: dict[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    """Queue one audit event; it is inserted with the transaction's other writes (no flush of its own)."""
    session.add(
        AuditEvent(
            actor_key_id=principal.key_id,
            actor_role=principal.role,
            actor_site_id=principal.site_id,
            action=action,
            entity=entity,
            entity_id=entity_id,
            site_id=site_id,
            changes=to_jsonable_python(changes or {}),
            reason=reason,
            request_id=request_id_var.get(),
        )
    )


def snapshot(obj: Base) -> dict[str, Any]:
    """The audited column values of an ORM object."""
    return {
        attr.key: getattr(obj, attr.key)
        for attr in inspect(obj).mapper.column_attrs
        if attr.key not in NEVER_AUDITED
    }


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """``{field: {"old": …, "new": …}}`` for every field whose value changed."""
    return {k: {"old": before.get(k), "new": v} for k, v in after.items() if before.get(k) != v}


def record_change(
    session: Session,
    principal: Principal,
    action: AuditAction,
    obj: Base,
    before: dict[str, Any],
    reason: str | None = None,
) -> None:
    after = snapshot(obj)
    record(
        session,
        principal,
        action,
        obj.__tablename__,
        getattr(obj, "id", None),
        site_id=getattr(obj, "site_id", None),
        changes=diff(before, after),
        reason=reason,
    )
