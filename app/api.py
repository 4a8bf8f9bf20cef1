"""The versioned REST API: every domain router, mounted under /api/v1."""

from fastapi import APIRouter

from app.analyses.router import router as analyses
from app.api_keys.router import router as api_keys
from app.audit.router import router as audit_events
from app.auth.router import router as whoami
from app.case_managers.router import router as case_managers
from app.consent.router import router as consent
from app.dyads.router import router as dyads
from app.exports.router import router as exports
from app.imports.router import router as imports
from app.instruments.router import router as instruments
from app.outcomes.router import router as outcome_measures
from app.patients.router import router as patients
from app.ratings.router import router as alliance_ratings
from app.service_use.router import router as service_use
from app.sites.router import router as sites
from app.submissions.router import router as submissions
from app.timeline.router import router as timeline

api_router = APIRouter(prefix="/api/v1")
for router in (
    sites,
    case_managers,
    patients,
    consent,
    dyads,
    api_keys,
    audit_events,
    whoami,
    instruments,
    alliance_ratings,
    outcome_measures,
    service_use,
    submissions,
    imports,
    timeline,
    analyses,
    exports,
):
    api_router.include_router(router)
