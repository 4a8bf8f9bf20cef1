"""Export queries (site-scoped through ``scope``, consent-filtered, current active versions only)."""

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, distinct, func, not_, select

from app.auth.principal import Principal
from app.consent.repository import excluded_patient_ids
from app.core.scoping import scope
from app.datasets.sql import ID_PREFIX, compile_sql, pseudonym_sql
from app.exports.dictionary import ExportName
from app.instruments.definition import InstrumentKind
from app.models import Measurement
from app.models.enums import MeasurementStatus


def measures(
    principal: Principal,
    name: ExportName,
    *,
    excluded: bool,
    site_id: uuid.UUID | None = None,
    instrument: str | None = None,
    rater: str | None = None,
    rated_from: date | None = None,
    rated_to: date | None = None,
) -> Select[Any]:
    m = Measurement
    kind = InstrumentKind.ALLIANCE if name is ExportName.alliance_ratings else InstrumentKind.OUTCOME
    stmt = select(m).where(and_(m.is_current, m.status == MeasurementStatus.active, m.kind == kind))
    for column, value in ((m.site_id, site_id), (m.instrument_code, instrument), (m.rater, rater)):
        if value is not None:
            stmt = stmt.where(column == value)
    if rated_from is not None:
        stmt = stmt.where(m.rated_on >= rated_from)
    if rated_to is not None:
        stmt = stmt.where(m.rated_on <= rated_to)
    in_excluded = m.patient_id.in_(excluded_patient_ids())
    return scope(stmt.where(in_excluded if excluded else not_(in_excluded)), principal, m.site_id)


def measures_query(stmt: Select[Any], name: ExportName, key: bytes | None) -> str:
    """Export columns for ``stmt`` (data dictionary order); ids re-keyed with ``key`` unless identifiable."""
    ident = key is None
    ids = [("site_id", "m.site_id"), ("patient_id", "m.patient_id")]
    if name is ExportName.alliance_ratings:
        ids += [("dyad_id", "m.dyad_id"), ("cm_id", "d.case_manager_id")]
    cols = [f"{pseudonym_sql(expr, ID_PREFIX[n], key)} AS {n}" for n, expr in ids]
    cols += [
        "m.instrument_code AS instrument",
        "m.instrument_version",
        "m.rater",
        "m.rated_on - p.enrolled_on AS days_since_enrolment",
    ]
    join = ""
    if name is ExportName.alliance_ratings:
        cols.append("m.rated_on - d.started_on AS days_since_dyad_start")
        join = "JOIN dyads d ON d.id = m.dyad_id"
    cols += ["m.total", "m.n_valid", "m.prorated"]
    if ident:
        cols += ["m.rated_on", "p.study_id"]
    return (
        f"SELECT {', '.join(cols)} FROM ({compile_sql(stmt)}) m "
        f"JOIN patients p ON p.id = m.patient_id {join} ORDER BY m.site_id, m.patient_id, m.rated_on, m.id"
    )


def excluded_count(stmt: Select[Any]) -> str:
    inner = stmt.subquery()
    return compile_sql(select(func.count(distinct(inner.c.patient_id))))
