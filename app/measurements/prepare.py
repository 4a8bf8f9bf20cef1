"""Turn one validated row into the column values of a first version: resolve, check the rater, score.

Pure apart from the resolver's in-memory look-ups; raises domain errors with pointers relative to the row.
"""

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from app.core.errors import FieldError, InvalidPayload
from app.instruments import service as instruments
from app.instruments.definition import InstrumentDefinition, InstrumentKind, RaterRole
from app.instruments.registry import Entry
from app.instruments.scoring import ItemValidationError, ScoreResult, score
from app.measurements.references import Resolver, Row, Subject
from app.measurements.schemas import AllianceRatingCreate, Number
from app.models.base import new_id
from app.models.enums import MeasurementStatus


class InvalidItems(InvalidPayload):
    type, title = "invalid-items", "The responses cannot be scored"


class WrongKind(InvalidPayload):
    type, title = "wrong-instrument-kind", "The instrument is of another kind"


def instrument(session: Session, ref: str) -> Entry:
    code, _, version = ref.partition("@")
    return instruments.resolve(session, code, version or None)


def scored(
    definition: InstrumentDefinition, items: dict[str, Number | None] | None, value: Number | None
) -> ScoreResult:
    try:
        return score(definition, items, value)
    except ItemValidationError as exc:
        errors = [FieldError(p.pointer, f"{p.type.value}: {p.message}") for p in exc.problems]
        raise InvalidItems(
            detail=f"{len(errors)} problem(s) with the responses to {exc.code}.", errors=errors
        ) from None


def natural_key(
    kind: InstrumentKind,
    subject: uuid.UUID,
    code: str,
    rater: RaterRole | None,
    rated_on: Any,
    items: dict[str, Number | None] | None,
    value: Number | None,
) -> bytes:
    """Who (dyad for ratings, patient for outcomes), what, by whom, when and which answers (4 == 4.0)."""
    canonical = None if items is None else {k: None if v is None else float(v) for k, v in items.items()}
    parts = [kind.value, str(subject), code, rater.value if rater else None, rated_on.isoformat()]
    payload = json.dumps([*parts, canonical, None if value is None else float(value)], sort_keys=True)
    return hashlib.sha256(payload.encode()).digest()


def score_columns(result: ScoreResult) -> dict[str, Any]:
    total = result.scales["total"]
    return {
        "scores": {name: s.model_dump() for name, s in result.scales.items()},
        "total": result.total,
        "n_valid": total.n_valid,
        "prorated": any(s.prorated for s in result.scales.values()),
    }


def check_rater(definition: InstrumentDefinition, rater: RaterRole | None) -> None:
    if rater is not None and rater not in definition.raters:
        allowed = ", ".join(r.value for r in definition.raters)
        raise InvalidPayload(
            detail=f"{definition.code} is not rated by {rater.value} (allowed: {allowed}).",
            errors=[FieldError("/rater", f"not allowed by {definition.code}; allowed: {allowed}")],
        )


def prepare(session: Session, resolver: Resolver, row: Row, created_by: uuid.UUID) -> dict[str, Any]:
    """Column values of the first version of ``row`` (raises a domain error naming the offending fields)."""
    entry = instrument(session, row.instrument)
    definition = entry.definition
    alliance = isinstance(row, AllianceRatingCreate)
    expected = InstrumentKind.ALLIANCE if alliance else InstrumentKind.OUTCOME
    if definition.kind is not expected:
        raise WrongKind(
            detail=f"{definition.code} is an {definition.kind.value} instrument, not {expected.value}.",
            errors=[FieldError("/instrument", f"not an {expected.value} instrument")],
        )
    check_rater(definition, row.rater)
    value = None if isinstance(row, AllianceRatingCreate) else row.score
    result = scored(definition, row.items, value)
    subject: Subject = (
        resolver.alliance(row) if isinstance(row, AllianceRatingCreate) else resolver.outcome(row)
    )
    record_id = new_id()
    key_subject = subject.dyad_id if alliance and subject.dyad_id else subject.patient_id
    return {
        "id": record_id,
        "record_id": record_id,
        "version": 1,
        "is_current": True,
        "supersedes_id": None,
        "status": MeasurementStatus.active,
        "reason": None,
        "kind": expected,
        "site_id": subject.site_id,
        "patient_id": subject.patient_id,
        "dyad_id": subject.dyad_id,
        "case_manager_id": subject.case_manager_id,
        "instrument_code": definition.code,
        "instrument_version": definition.version,
        "rater": row.rater,
        "rated_on": row.rated_on,
        "occasion": row.occasion,
        "items": row.items,
        "score_input": None if value is None else float(value),
        **score_columns(result),
        "natural_key": natural_key(
            expected, key_subject, definition.code, row.rater, row.rated_on, row.items, value
        ),
        "created_by": created_by,
        "created_at": datetime.now(UTC),
    }
