"""The versioned REST API: every domain router, mounted under /api/v1."""

from fastapi import APIRouter

from app.api_keys.router import router as api_keys
from app.audit.router import router as audit_events
from app.case_managers.router import router as case_managers
from app.consent.router import router as consent
from app.dyads.router import router as dyads
from app.patients.router import router as patients
from app.sites.router import router as sites

api_router = APIRouter(prefix="/api/v1")
for router in (sites, case_managers, patients, consent, dyads, api_keys, audit_events):
    api_router.include_router(router)
