"""CSV import: read a layout into administrations, then ingest them exactly as POST /submissions does."""

from typing import Any

from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.core.errors import DomainError, InvalidPayload, PayloadTooLarge
from app.imports.layouts import Administration, Layout, read
from app.instruments.definition import InstrumentKind
from app.measurements.prepare import instrument
from app.submissions import service as submissions
from app.submissions.schemas import MAX_ROWS, RowProblem, RowResult, RowStatus, SubmissionResult


def _row(session: Session, admin: Administration) -> dict[str, Any] | DomainError:
    if admin.problems:
        return InvalidPayload(detail="The CSV lines do not form one administration.", errors=admin.problems)
    ref = admin.fields.get("instrument")
    if not ref:
        return InvalidPayload(detail="No instrument: add an instrument column or ?instrument=.")
    try:
        definition = instrument(session, ref).definition
    except DomainError as exc:
        return exc
    row: dict[str, Any] = dict(admin.fields)
    if definition.kind is InstrumentKind.ALLIANCE:
        row["type"] = "alliance_rating"
        row["items"] = admin.items
    else:
        row["type"] = "outcome_measure"
        if admin.score is not None:
            row["score"] = admin.score
        if admin.items or admin.score is None:
            row["items"] = admin.items
    return row


def import_csv(
    session: Session, principal: Principal, body: bytes, layout: Layout, instrument_ref: str | None
) -> SubmissionResult:
    administrations = read(body, layout, instrument_ref)
    if not administrations:
        raise InvalidPayload(detail="The CSV has no data lines.")
    if len(administrations) > MAX_ROWS:
        raise PayloadTooLarge(detail=f"At most {MAX_ROWS} administrations per import; split the file.")
    rows = [_row(session, a) for a in administrations]
    good = [(i, r) for i, r in enumerate(rows) if isinstance(r, dict)]
    result = submissions.ingest(
        session, principal, [r for _, r in good], pointer=lambda k: f"/csv/rows/{good[k][0]}"
    )
    results: list[RowResult] = []
    by_index = {good[r.index][0]: r for r in result.results}
    for i, row in enumerate(rows):
        if isinstance(row, DomainError):
            problem = RowProblem(
                type=row.type,
                title=row.title,
                status=row.status,
                detail=row.detail or None,
                errors=[{"pointer": f"/csv/rows/{i}" + e.pointer, "detail": e.detail} for e in row.errors],
            )
            results.append(RowResult(index=i, status=RowStatus.error, problem=problem))
        else:
            results.append(by_index[i].model_copy(update={"index": i}))
        results[-1].lines = administrations[i].lines
    return SubmissionResult(
        created=sum(r.status is RowStatus.created for r in results),
        duplicate=sum(r.status is RowStatus.duplicate for r in results),
        error=sum(r.status is RowStatus.error for r in results),
        results=results,
    )
