from fastapi import APIRouter

from app.auth.principal import Writer
from app.db.engine import DbSession
from app.idempotency.service import IdempotencyDep
from app.submissions import service
from app.submissions.schemas import SubmissionCreate, SubmissionResult

router = APIRouter(prefix="/submissions", tags=["submissions"])


@router.post(
    "",
    response_model=SubmissionResult,
    responses={413: {"description": "Body too large"}, 422: {"description": "Not a list of 1-5,000 rows"}},
)
def submit(data: SubmissionCreate, session: DbSession, principal: Writer, idem: IdempotencyDep) -> object:
    """Store up to 5,000 ratings and measures; answers per row: created, duplicate (with the stored id) or
    error (with a problem whose pointers start at ``/body/rows/{index}``). Valid rows are stored even when
    others fail."""
    return idem.run(session, principal, 200, lambda: service.ingest(session, principal, data.rows))
