"""Service-use windows (instruments.md §2.5): counts over a period with their exposure, versioned like
measurements (corrections add a version; nothing is overwritten)."""

import hashlib
import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth.principal import Principal
from app.consent.service import ensure_collection_allowed
from app.core.errors import Conflict, at
from app.core.pagination import Page, PageParams, encode_cursor
from app.measurements.references import Resolver
from app.models import ServiceUseWindow
from app.models.base import new_id
from app.models.enums import AuditAction, MeasurementStatus
from app.service_use.repository import ServiceUseRepository
from app.service_use.schemas import ServiceUseCorrection, ServiceUseCreate, ServiceUseRead

ENTITY = "service_use_windows"
COUNTS = ("window_start", "window_end", "days_at_risk", "n_admissions", "bed_days", "n_ed_presentations")


class DuplicateWindow(Conflict):
    type, title = "duplicate-service-use", "An identical service-use window is already stored"


def natural_key(patient_id: uuid.UUID, values: dict[str, Any]) -> bytes:
    payload = json.dumps([str(patient_id), *(str(values[c]) for c in COUNTS)])
    return hashlib.sha256(payload.encode()).digest()


def _store(repo: ServiceUseRepository, values: dict[str, Any]) -> None:
    if not repo.insert_version(values):
        existing = repo.existing(values["natural_key"])
        raise DuplicateWindow(
            detail="The same patient, period and counts are already stored.",
            extensions={"existing_id": str(existing) if existing else None},
        )


def create(session: Session, principal: Principal, data: ServiceUseCreate) -> ServiceUseRead:
    resolver = Resolver(session, principal)
    with at("/body"):
        resolver.prefetch([data])
        patient_id, site_id = resolver.patient(data)
    ensure_collection_allowed(session, patient_id)
    counts = {**data.model_dump(include=set(COUNTS)), "days_at_risk": data.exposure()}
    record_id = new_id()
    values = {
        "id": record_id,
        "record_id": record_id,
        "version": 1,
        "is_current": True,
        "supersedes_id": None,
        "status": MeasurementStatus.active,
        "reason": None,
        "site_id": site_id,
        "patient_id": patient_id,
        **counts,
        "source": data.source,
        "extracted_on": data.extracted_on,
        "natural_key": natural_key(patient_id, counts),
        "created_by": principal.key_id,
        "created_at": datetime.now(UTC),
    }
    repo = ServiceUseRepository(session, principal)
    _store(repo, values)
    audit.record(session, principal, AuditAction.create, ENTITY, record_id, site_id=site_id, changes=counts)
    return ServiceUseRead.model_validate(ServiceUseWindow(**values))


def correct(
    session: Session, principal: Principal, record_id: uuid.UUID, data: ServiceUseCorrection
) -> ServiceUseRead:
    repo = ServiceUseRepository(session, principal)
    old = repo.current(record_id, for_update=True)
    counts = {**data.model_dump(include=set(COUNTS)), "days_at_risk": data.exposure()}
    values = {c.key: getattr(old, c.key) for c in ServiceUseWindow.__table__.columns}
    values.update(
        counts,
        id=new_id(),
        version=old.version + 1,
        supersedes_id=old.id,
        status=data.status,
        reason=data.reason,
        natural_key=natural_key(old.patient_id, counts),
        created_by=principal.key_id,
        created_at=datetime.now(UTC),
    )
    repo.supersede(old.id)
    _store(repo, values)
    changes = {c: {"old": getattr(old, c), "new": values[c]} for c in (*COUNTS, "status")}
    audit.record(
        session, principal, AuditAction.correct, ENTITY, record_id, site_id=old.site_id, changes=changes,
        reason=data.reason,
    )  # fmt: skip
    return ServiceUseRead.model_validate(ServiceUseWindow(**values))


def get(session: Session, principal: Principal, record_id: uuid.UUID) -> ServiceUseWindow:
    return ServiceUseRepository(session, principal).current(record_id)


def history(session: Session, principal: Principal, record_id: uuid.UUID) -> list[ServiceUseWindow]:
    return list(ServiceUseRepository(session, principal).history(record_id))


def list_(
    session: Session,
    principal: Principal,
    params: PageParams,
    *,
    site_id: uuid.UUID | None,
    patient_id: uuid.UUID | None,
    overlaps_from: date | None,
    overlaps_to: date | None,
) -> Page[ServiceUseRead]:
    repo = ServiceUseRepository(session, principal)
    stmt = repo.select().where(
        ServiceUseWindow.is_current, ServiceUseWindow.status == MeasurementStatus.active
    )
    if site_id is not None:
        stmt = stmt.where(ServiceUseWindow.site_id == site_id)
    if patient_id is not None:
        stmt = stmt.where(ServiceUseWindow.patient_id == patient_id)
    if overlaps_from is not None:
        stmt = stmt.where(ServiceUseWindow.window_end >= overlaps_from)
    if overlaps_to is not None:
        stmt = stmt.where(ServiceUseWindow.window_start <= overlaps_to)
    rows = repo.page(stmt, params)
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    return Page[ServiceUseRead](
        items=[ServiceUseRead.model_validate(r) for r in rows],
        next_cursor=encode_cursor(rows[-1].record_id) if more else None,
    )
