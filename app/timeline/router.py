import uuid

from fastapi import APIRouter

from app.auth.principal import IdentifiedReader
from app.db.engine import DbSession
from app.timeline import service
from app.timeline.schemas import Timeline

router = APIRouter(prefix="/patients", tags=["timeline"])


@router.get("/{patient_id}/timeline", response_model=Timeline)
def get_timeline(patient_id: uuid.UUID, session: DbSession, principal: IdentifiedReader) -> object:
    """Dyads, alliance series (per instrument and rater) and outcome series in date order, each point with its
    flags against the previous one: reliable improvement/deterioration, cut-off crossings, alliance drop."""
    return service.timeline(session, principal, patient_id)
