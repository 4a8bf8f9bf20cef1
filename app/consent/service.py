"""Consent and withdrawal (governance §6): recorded as immutable events; the newest one is in force."""

import uuid

from sqlalchemy.orm import Session

from app.auth.principal import SYSTEM, Principal
from app.consent.repository import ConsentRepository
from app.consent.schemas import ConsentCreate, ConsentState, WithdrawalCreate
from app.core.errors import Conflict
from app.models import ConsentEvent
from app.models.enums import AuditAction, ConsentStatus, WithdrawalLevel
from app.patients.repository import PatientRepository

LEVEL_ORDER = list(WithdrawalLevel)


class ConsentWithdrawn(Conflict):
    type, title = "consent-withdrawn", "The patient has withdrawn consent"


def state(session: Session, principal: Principal, patient_id: uuid.UUID) -> ConsentState:
    PatientRepository(session, principal).get(patient_id)
    history = ConsentRepository(session, principal).history(patient_id)
    return ConsentState.model_validate({"current": history[0] if history else None, "history": history})


def give(session: Session, principal: Principal, patient_id: uuid.UUID, data: ConsentCreate) -> ConsentEvent:
    patient = PatientRepository(session, principal).get(patient_id, for_update=True)
    current = ConsentRepository(session, principal).current(patient.id)
    if current is not None and current.status is ConsentStatus.withdrawn:
        raise Conflict(detail="Consent was withdrawn; re-consent is a new enrolment, not an update.")
    event = ConsentEvent(
        patient_id=patient.id, site_id=patient.site_id, status=ConsentStatus.consented, **data.model_dump()
    )
    return ConsentRepository(session, principal).add(event, AuditAction.consent)


def withdraw(
    session: Session, principal: Principal, patient_id: uuid.UUID, data: WithdrawalCreate
) -> ConsentEvent:
    """Record a withdrawal. Levels only escalate; nothing already collected is destroyed here."""
    patient = PatientRepository(session, principal).get(patient_id, for_update=True)
    repo = ConsentRepository(session, principal)
    current = repo.current(patient.id)
    previous_level = current.withdrawal_level if current is not None else None
    if previous_level is not None and LEVEL_ORDER.index(data.level) <= LEVEL_ORDER.index(previous_level):
        raise Conflict(detail=f"Already withdrawn at level {previous_level.value}.")
    event = ConsentEvent(
        patient_id=patient.id,
        site_id=patient.site_id,
        status=ConsentStatus.withdrawn,
        effective_on=data.effective_on,
        form_version=current.form_version if current else None,
        data_collection=False,
        linkage=current.linkage and data.level is WithdrawalLevel.stop_collection if current else False,
        future_use=current.future_use and data.level is not WithdrawalLevel.exclude_data
        if current
        else False,
        withdrawal_level=data.level,
        reason=data.reason,
    )
    return repo.add(event, AuditAction.withdraw)


def ensure_collection_allowed(session: Session, patient_id: uuid.UUID) -> None:
    """Refuse new data for a patient who has withdrawn (409, type consent-withdrawn)."""
    current = ConsentRepository(session, SYSTEM).current(patient_id)
    if current is not None and not current.data_collection:
        raise ConsentWithdrawn(
            detail=f"The patient withdrew consent on {current.effective_on.isoformat()} "
            f"({current.withdrawal_level.value if current.withdrawal_level else 'no data collection'}); "
            "no new data may be recorded."
        )
