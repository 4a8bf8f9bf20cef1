"""Batch ingest: validate and score every row in Python, then bulk-insert the good ones.

One request is one transaction; rows go to the database in chunks of ``CHUNK`` with one multi-row
``INSERT … ON CONFLICT DO NOTHING RETURNING`` each, inside a savepoint. If a chunk still fails in the database
(it should not: everything was checked before), that chunk is retried row by row, each in its own savepoint,
so good rows are stored and the bad one is reported. A row is written whole or not at all.
"""

from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.consent.service import ConsentWithdrawn
from app.core.errors import DomainError, InvalidPayload, at
from app.core.problems import TYPE_BASE, integrity_problem, validation_errors
from app.measurements.prepare import prepare
from app.measurements.references import Resolver
from app.measurements.repository import MeasurementRepository, ReferenceRepository
from app.measurements.service import created_event
from app.submissions.schemas import (
    AllianceRow,
    OutcomeRow,
    RowProblem,
    RowResult,
    RowStatus,
    SubmissionResult,
    SubmissionRow,
)

CHUNK = 1000
_MODELS: dict[object, type[BaseModel]] = {"alliance_rating": AllianceRow, "outcome_measure": OutcomeRow}
_ROW = TypeAdapter[Any](SubmissionRow)


def _validate(raw: Any) -> Any:
    """By the row's ``type`` (so error locations do not carry the union's tag), else via the tagged union."""
    tag = raw.get("type") if isinstance(raw, dict) else None
    model = _MODELS.get(tag) if isinstance(tag, str) else None
    return model.model_validate(raw) if model is not None else _ROW.validate_python(raw)


def _problem(error: DomainError) -> RowProblem:
    return RowProblem(
        type=TYPE_BASE + error.type,
        title=error.title,
        status=error.status,
        detail=error.detail or None,
        errors=[{"pointer": e.pointer, "detail": e.detail} for e in error.errors],
    )


def ingest(
    session: Session,
    principal: Principal,
    raw_rows: Sequence[Any],
    pointer: Callable[[int], str] = lambda i: f"/body/rows/{i}",
) -> SubmissionResult:
    results: dict[int, RowResult] = {}
    parsed: list[tuple[int, Any]] = []
    for i, raw in enumerate(raw_rows):
        try:
            parsed.append((i, _validate(raw)))
        except ValidationError as exc:
            errors = [type(e)(pointer(i) + e.pointer, e.detail) for e in validation_errors(exc.errors())]
            results[i] = RowResult(index=i, status=RowStatus.error, problem=_problem(InvalidPayload(
                detail="See `errors` for each offending field.", errors=errors)))  # fmt: skip

    resolver = Resolver(session, principal)
    resolver.prefetch([row for _, row in parsed])
    prepared: list[tuple[int, dict[str, Any]]] = []
    for i, row in parsed:
        try:
            with at(pointer(i)):
                prepared.append((i, prepare(session, resolver, row, principal.key_id)))
        except DomainError as exc:
            results[i] = RowResult(index=i, status=RowStatus.error, problem=_problem(exc))

    stopped = ReferenceRepository(session, principal).collection_stopped(
        {v["patient_id"] for _, v in prepared}
    )
    first_of: dict[bytes, int] = {}
    to_insert: list[tuple[int, dict[str, Any]]] = []
    for i, values in prepared:
        event = stopped.get(values["patient_id"])
        if event is not None:
            refusal = ConsentWithdrawn(
                detail=f"The patient withdrew consent on {event.effective_on.isoformat()}."
            )
            results[i] = RowResult(index=i, status=RowStatus.error, problem=_problem(refusal))
        elif values["natural_key"] in first_of:
            results[i] = RowResult(index=i, status=RowStatus.duplicate)  # id filled in below
        else:
            first_of[values["natural_key"]] = i
            to_insert.append((i, values))

    repo = MeasurementRepository(session, principal)
    stored: dict[bytes, Any] = {}
    for start in range(0, len(to_insert), CHUNK):
        stored.update(
            _insert_chunk(session, principal, repo, to_insert[start : start + CHUNK], results, pointer)
        )
    keys_by_index = {i: v["natural_key"] for i, v in prepared}
    missing = {keys_by_index[i] for i, r in results.items() if r.status is RowStatus.duplicate}
    missing |= {v["natural_key"] for i, v in to_insert if i not in results and v["natural_key"] not in stored}
    existing = repo.existing_by_natural_key(missing) if missing else {}
    events = []
    for i, values in to_insert:
        if i in results:
            continue
        key = values["natural_key"]
        if key in stored:
            results[i] = RowResult(index=i, status=RowStatus.created, id=stored[key])
            events.append(created_event(principal, values))
        else:
            results[i] = RowResult(index=i, status=RowStatus.duplicate, id=existing.get(key))
    repo.insert_audit_events(events)
    for i, result in results.items():
        if result.status is RowStatus.duplicate and result.id is None:
            key = keys_by_index[i]
            result.id = stored.get(key) or existing.get(key)
    ordered = [results[i] for i in sorted(results)]
    counts = {s: sum(1 for r in ordered if r.status is s) for s in RowStatus}
    return SubmissionResult(
        created=counts[RowStatus.created],
        duplicate=counts[RowStatus.duplicate],
        error=counts[RowStatus.error],
        results=ordered,
    )


def _insert_chunk(
    session: Session,
    principal: Principal,
    repo: MeasurementRepository,
    chunk: list[tuple[int, dict[str, Any]]],
    results: dict[int, RowResult],
    pointer: Callable[[int], str],
) -> dict[bytes, Any]:
    try:
        with session.begin_nested():
            return repo.insert_new([values for _, values in chunk])
    except DBAPIError:
        pass
    stored: dict[bytes, Any] = {}
    for i, values in chunk:
        try:
            with session.begin_nested():
                stored.update(repo.insert_new([values]))
        except DBAPIError as exc:
            error = integrity_problem(exc) or InvalidPayload(detail="The row was refused by the database.")
            error.errors = [
                type(e)(pointer(i) + e.pointer.removeprefix("/body"), e.detail) for e in error.errors
            ]
            results[i] = RowResult(index=i, status=RowStatus.error, problem=_problem(error))
    return stored
