"""The REST resource of one measurement kind: alliance ratings and outcome measures share it (built twice)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from app.auth.principal import IdentifiedReader, Writer
from app.core.pagination import Page, PageQuery
from app.core.types import IsoDate
from app.db.engine import DbSession
from app.idempotency.service import IdempotencyDep
from app.instruments.definition import InstrumentKind, RaterRole
from app.measurements import service
from app.measurements.schemas import (
    AllianceRatingCreate,
    CorrectionCreate,
    MeasurementCreated,
    MeasurementRead,
    OutcomeMeasureCreate,
)

PROBLEMS: dict[int | str, dict[str, object]] = {
    404: {"description": "Patient, case manager, dyad or instrument not found"},
    409: {"description": "Natural duplicate (`existing_id`), or consent withdrawn"},
    422: {"description": "Invalid payload or responses (a pointer per offending item)"},
}


def measurement_router(
    kind: InstrumentKind,
    prefix: str,
    noun: str,
    create_schema: type[AllianceRatingCreate] | type[OutcomeMeasureCreate],
    create_doc: str,
) -> APIRouter:
    """Create (scored, with change flags), list, read, history and corrections for one ``kind``."""
    router = APIRouter(prefix=prefix, tags=[noun.replace("_", " ") + "s"])

    @router.post(
        "",
        name=f"create_{noun}",
        status_code=status.HTTP_201_CREATED,
        response_model=MeasurementCreated,
        responses=PROBLEMS,
        description=create_doc,
    )
    def create(data: create_schema, session: DbSession, principal: Writer, idem: IdempotencyDep) -> object:  # type: ignore[valid-type]
        return idem.run(session, principal, 201, lambda: service.create(session, principal, data))

    @router.get("", name=f"list_{noun}s", response_model=Page[MeasurementRead])
    def list_(
        session: DbSession,
        principal: IdentifiedReader,
        page: PageQuery,
        site_id: uuid.UUID | None = None,
        patient_id: uuid.UUID | None = None,
        case_manager_id: uuid.UUID | None = None,
        dyad_id: uuid.UUID | None = None,
        instrument: Annotated[str | None, Query(max_length=32)] = None,
        rater: RaterRole | None = None,
        rated_from: IsoDate | None = None,
        rated_to: IsoDate | None = None,
        include_entered_in_error: bool = False,
    ) -> object:
        return service.list_(
            session,
            principal,
            page,
            kind,
            site_id=site_id,
            patient_id=patient_id,
            case_manager_id=case_manager_id,
            dyad_id=dyad_id,
            instrument=instrument,
            rater=rater,
            rated_from=rated_from,
            rated_to=rated_to,
            include_entered_in_error=include_entered_in_error,
        )

    @router.get(
        "/{record_id}", name=f"get_{noun}", response_model=MeasurementRead, description="The current version."
    )
    def get(record_id: uuid.UUID, session: DbSession, principal: IdentifiedReader) -> object:
        return service.get(session, principal, record_id, kind)

    @router.get(
        "/{record_id}/history",
        name=f"get_{noun}_history",
        response_model=list[MeasurementRead],
        description="Every version, oldest first.",
    )
    def history(record_id: uuid.UUID, session: DbSession, principal: IdentifiedReader) -> object:
        return service.history(session, principal, record_id, kind)

    @router.post(
        "/{record_id}/corrections",
        name=f"correct_{noun}",
        status_code=status.HTTP_201_CREATED,
        response_model=MeasurementCreated,
        responses=PROBLEMS,
        description="Add a corrected version (or mark entered in error); the reason is required and audited.",
    )
    def correct(
        record_id: uuid.UUID,
        data: CorrectionCreate,
        session: DbSession,
        principal: Writer,
        idem: IdempotencyDep,
    ) -> object:
        return idem.run(
            session, principal, 201, lambda: service.correct(session, principal, record_id, kind, data)
        )

    return router
