"""All ORM models, in one place (imported by Alembic's env.py for autogenerate)."""

from app.models.analysis_run import AnalysisRun, RunStatus
from app.models.api_key import ApiKey
from app.models.audit_event import AuditEvent
from app.models.base import Base
from app.models.case_manager import CaseManager
from app.models.consent_event import ConsentEvent
from app.models.dyad import Dyad
from app.models.idempotency_key import IdempotencyKey
from app.models.instrument import Instrument
from app.models.measurement import Measurement
from app.models.patient import Patient
from app.models.service_use import ServiceUseWindow
from app.models.site import Site

__all__ = [
    "AnalysisRun",
    "ApiKey",
    "AuditEvent",
    "Base",
    "CaseManager",
    "ConsentEvent",
    "Dyad",
    "IdempotencyKey",
    "Instrument",
    "Measurement",
    "Patient",
    "RunStatus",
    "ServiceUseWindow",
    "Site",
]
