import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from app.auth.principal import Reader
from app.core import disclosure
from app.core.types import IsoDate
from app.db.engine import DbSession
from app.exports import service
from app.exports.dictionary import DICTIONARY, DatasetDictionary, ExportName
from app.instruments.definition import RaterRole

router = APIRouter(prefix="/exports", tags=["exports"])
PARQUET = "application/vnd.apache.parquet"


@router.get("/dictionary", response_model=list[DatasetDictionary])
def data_dictionary(principal: Reader) -> object:
    """Every column of every export: name, type, meaning, and whether it is in identifiable exports only."""
    return list(DICTIONARY.values())


@router.get(
    "/{name}",
    responses={200: {"content": {"text/csv": {}, PARQUET: {}}, "description": "The export, streamed"}},
)
def export(
    name: ExportName,
    request: Request,
    session: DbSession,
    principal: Reader,
    format: Literal["csv", "parquet"] | None = None,  # noqa: A002
    site_id: uuid.UUID | None = None,
    instrument: Annotated[str | None, Query(max_length=32)] = None,
    rater: RaterRole | None = None,
    rated_from: IsoDate | None = None,
    rated_to: IsoDate | None = None,
    identifiable: bool = False,
) -> StreamingResponse:
    """Stream an export as CSV (default) or Parquet (`format=parquet` or
    `Accept: application/vnd.apache.parquet`). De-identified unless `identifiable=true` (admin and clinic
    keys only): ids re-keyed per export, dates as days since enrolment, no free text. Patients who withdrew
    with `exclude_data` are left out (`X-Excluded-Withdrawn`)."""
    accept = request.headers.get("accept", "")
    fmt = format or ("parquet" if PARQUET in accept or "application/x-parquet" in accept else "csv")
    filters = service.Filters(site_id, instrument, rater, rated_from, rated_to)
    prepared = service.prepare(session, principal, name, filters, identifiable=identifiable, fmt=fmt)
    return StreamingResponse(
        service.stream(request.app.state.engine, prepared, fmt),
        media_type=PARQUET if fmt == "parquet" else "text/csv; charset=utf-8",
        headers={
            "X-Excluded-Withdrawn": disclosure.header(principal, prepared.n_excluded_withdrawn),
            "X-Deidentified": str(not prepared.identifiable).lower(),
            "Content-Disposition": f'attachment; filename="{name.value}.{fmt}"',
        },
    )
