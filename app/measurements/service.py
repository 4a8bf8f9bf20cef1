"""Create, correct and read measurements. Services only flush; the request's session commits."""

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth.principal import Principal
from app.consent.service import ensure_collection_allowed
from app.core.errors import Conflict, FieldError, InvalidPayload, at
from app.core.middleware import request_id_var
from app.core.pagination import Page, PageParams, encode_cursor
from app.instruments.change import assess_change
from app.instruments.definition import InstrumentKind
from app.measurements.prepare import instrument, natural_key, prepare, score_columns, scored
from app.measurements.references import Resolver, Row
from app.measurements.repository import MeasurementRepository
from app.measurements.schemas import (
    AllianceRatingCreate,
    CorrectionCreate,
    Flags,
    MeasurementCreated,
    MeasurementRead,
)
from app.models import AuditEvent, Measurement
from app.models.base import new_id
from app.models.enums import AuditAction, MeasurementStatus

ENTITY = "measurements"


class DuplicateMeasurement(Conflict):
    type, title = "duplicate-measurement", "An identical measurement is already stored"


def created_event(principal: Principal, values: dict[str, Any]) -> AuditEvent:
    """The audit event of a created measurement, for bulk insertion (as ``audit.record`` would build it)."""
    return AuditEvent(
        id=new_id(),
        actor_key_id=principal.key_id,
        actor_role=principal.role,
        actor_site_id=principal.site_id,
        action=AuditAction.create,
        entity=ENTITY,
        entity_id=values["record_id"],
        site_id=values["site_id"],
        changes=to_jsonable_python(created_changes(values)),
        reason=None,
        request_id=request_id_var.get(),
    )


def created_changes(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "instrument": f"{values['instrument_code']}@{values['instrument_version']}",
        "patient_id": values["patient_id"],
        "dyad_id": values["dyad_id"],
        "rater": values["rater"],
        "rated_on": values["rated_on"],
        "items": values["items"],
        "score": values["score_input"],
        "total": values["total"],
    }


def audit_created(session: Session, principal: Principal, values: dict[str, Any]) -> None:
    audit.record(
        session, principal, AuditAction.create, ENTITY, values["record_id"], site_id=values["site_id"],
        changes=created_changes(values),
    )  # fmt: skip


def flags(session: Session, principal: Principal, m: Measurement) -> Flags:
    definition = instrument(session, f"{m.instrument_code}@{m.instrument_version}").definition
    previous = MeasurementRepository(session, principal).previous(m)
    comparable = previous is not None and previous.instrument_version == m.instrument_version
    change = assess_change(definition, m.total, previous.total if previous and comparable else None)
    return Flags(
        previous_id=previous.record_id if previous and comparable else None,
        previous_rated_on=previous.rated_on if previous and comparable else None,
        change=change,
    )


def with_flags(session: Session, principal: Principal, m: Measurement) -> MeasurementCreated:
    read = MeasurementRead.model_validate(m)
    return MeasurementCreated.model_validate({**read.model_dump(), "flags": flags(session, principal, m)})


def create(session: Session, principal: Principal, row: Row) -> MeasurementCreated:
    """Store one rating or measure (201), or refuse a natural duplicate (409 naming the existing id)."""
    resolver = Resolver(session, principal)
    with at("/body"):
        resolver.prefetch([row])
        values = prepare(session, resolver, row, principal.key_id)
    ensure_collection_allowed(session, values["patient_id"])
    repo = MeasurementRepository(session, principal)
    stored = repo.insert_new([values])
    if not stored:
        existing = repo.existing_by_natural_key([values["natural_key"]]).get(values["natural_key"])
        raise DuplicateMeasurement(
            detail="The same answers for the same subject, instrument, rater and date are already stored.",
            extensions={"existing_id": str(existing) if existing else None},
        )
    audit_created(session, principal, values)
    return with_flags(session, principal, Measurement(**values))


def get(session: Session, principal: Principal, record_id: uuid.UUID, kind: InstrumentKind) -> Measurement:
    return MeasurementRepository(session, principal).current(record_id, kind)


def history(
    session: Session, principal: Principal, record_id: uuid.UUID, kind: InstrumentKind
) -> Sequence[Measurement]:
    return MeasurementRepository(session, principal).history(record_id, kind)


def list_(
    session: Session,
    principal: Principal,
    params: PageParams,
    kind: InstrumentKind,
    *,
    site_id: uuid.UUID | None = None,
    patient_id: uuid.UUID | None = None,
    case_manager_id: uuid.UUID | None = None,
    dyad_id: uuid.UUID | None = None,
    instrument: str | None = None,
    rater: str | None = None,
    rated_from: date | None = None,
    rated_to: date | None = None,
    include_entered_in_error: bool = False,
) -> Page[MeasurementRead]:
    repo = MeasurementRepository(session, principal)
    stmt = repo.select(kind).where(Measurement.is_current)
    filters = {
        Measurement.site_id: site_id,
        Measurement.patient_id: patient_id,
        Measurement.case_manager_id: case_manager_id,
        Measurement.dyad_id: dyad_id,
        Measurement.instrument_code: instrument,
        Measurement.rater: rater,
    }
    for column, value in filters.items():
        if value is not None:
            stmt = stmt.where(column == value)
    if rated_from is not None:
        stmt = stmt.where(Measurement.rated_on >= rated_from)
    if rated_to is not None:
        stmt = stmt.where(Measurement.rated_on <= rated_to)
    if not include_entered_in_error:
        stmt = stmt.where(Measurement.status == MeasurementStatus.active)
    rows = repo.page(stmt, params)
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    return Page[MeasurementRead](
        items=[MeasurementRead.model_validate(r) for r in rows],
        next_cursor=encode_cursor(rows[-1].record_id) if more else None,
    )


def correct(
    session: Session, principal: Principal, record_id: uuid.UUID, kind: InstrumentKind, data: CorrectionCreate
) -> MeasurementCreated:
    """Add a version (never overwrite): new answers and/or date, or entered-in-error; a reason is required."""
    repo = MeasurementRepository(session, principal)
    old = repo.current(record_id, kind, for_update=True)
    answers_given = data.items is not None or data.score is not None
    if data.status is MeasurementStatus.active and not (answers_given or data.rated_on or data.occasion):
        raise InvalidPayload(
            detail="A correction changes items, score, rated_on or occasion, or marks entered_in_error.",
            errors=[FieldError("/body/items", "nothing to correct")],
        )
    items = data.items if answers_given else old.items
    value = data.score if answers_given else old.score_input
    rated_on = data.rated_on or old.rated_on
    with at("/body"):
        definition = instrument(session, f"{old.instrument_code}@{old.instrument_version}").definition
        result = scored(definition, items, value)
        if old.kind is InstrumentKind.ALLIANCE and data.rated_on is not None:
            resolver = Resolver(session, principal)
            probe = AllianceRatingCreate(
                dyad_id=old.dyad_id,
                instrument=old.instrument_code,
                rater=old.rater,
                rated_on=rated_on,
                items={},
            )
            resolver.prefetch([probe])
            resolver.alliance(probe)  # the new date must lie in the dyad's period
    subject = old.dyad_id if old.kind is InstrumentKind.ALLIANCE and old.dyad_id else old.patient_id
    values: dict[str, Any] = {c.key: getattr(old, c.key) for c in Measurement.__table__.columns}
    values.update(
        id=new_id(),
        version=old.version + 1,
        is_current=True,
        supersedes_id=old.id,
        status=data.status,
        reason=data.reason,
        rated_on=rated_on,
        occasion=data.occasion if data.occasion is not None else old.occasion,
        items=items,
        score_input=None if value is None else float(value),
        natural_key=natural_key(old.kind, subject, old.instrument_code, old.rater, rated_on, items, value),
        created_by=principal.key_id,
        created_at=datetime.now(UTC),
        **score_columns(result),
    )
    repo.supersede(old.id)
    repo.insert_version(values)
    audit.record(
        session,
        principal,
        AuditAction.correct,
        ENTITY,
        old.record_id,
        site_id=old.site_id,
        changes={
            "version": {"old": old.version, "new": values["version"]},
            "status": {"old": old.status, "new": data.status},
            "items": {"old": old.items, "new": items},
            "score": {"old": old.score_input, "new": values["score_input"]},
            "rated_on": {"old": old.rated_on, "new": rated_on},
            "total": {"old": old.total, "new": values["total"]},
        },
        reason=data.reason,
    )
    return with_flags(session, principal, Measurement(**values))
