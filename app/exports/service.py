"""Exports: decide what the caller gets (scope, de-identification, consent), audit it, stream it."""

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pyarrow as pa
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.audit.service import record
from app.auth.principal import Principal
from app.core.errors import Forbidden
from app.datasets import repository as dataset_repository
from app.datasets.params import ExtractionParams
from app.datasets.service import FRAME_SCHEMA
from app.datasets.sql import excluded_count_query, occasions_query
from app.exports import sql
from app.exports.dictionary import ExportName
from app.exports.stream import csv_to_parquet, rebuffer
from app.models.enums import AuditAction, Role

_IDS = [("site_id", pa.string()), ("patient_id", pa.string())]
_TAIL = [
    ("instrument", pa.string()),
    ("instrument_version", pa.string()),
    ("rater", pa.string()),
    ("days_since_enrolment", pa.int32()),
]
_SCORES = [("total", pa.float64()), ("n_valid", pa.int16()), ("prorated", pa.bool_())]


def schema(name: ExportName, identifiable: bool) -> pa.Schema:
    if name is ExportName.occasions:
        return FRAME_SCHEMA
    fields = list(_IDS)
    if name is ExportName.alliance_ratings:
        fields += [("dyad_id", pa.string()), ("cm_id", pa.string())]
    fields += _TAIL
    if name is ExportName.alliance_ratings:
        fields.append(("days_since_dyad_start", pa.int32()))
    fields += _SCORES
    if identifiable:
        fields += [("rated_on", pa.date32()), ("study_id", pa.string())]
    return pa.schema(fields)


@dataclass(frozen=True)
class Filters:
    site_id: uuid.UUID | None = None
    instrument: str | None = None
    rater: str | None = None
    rated_from: date | None = None
    rated_to: date | None = None


@dataclass(frozen=True)
class PreparedExport:
    query: str
    n_excluded_withdrawn: int
    identifiable: bool
    schema: pa.Schema


def prepare(
    session: Session,
    principal: Principal,
    name: ExportName,
    filters: Filters,
    *,
    identifiable: bool,
    fmt: str,
) -> PreparedExport:
    """Build the export's query in the request transaction and audit it (who, what, filters, excluded)."""
    if identifiable and principal.role is Role.researcher:
        raise Forbidden(detail="Researcher keys get de-identified exports only.")
    key = (
        None if identifiable else os.urandom(32)
    )  # a fresh salt per export: pseudonyms do not link across exports
    if name is ExportName.occasions:
        params = ExtractionParams(
            site_ids=(filters.site_id,) if filters.site_id else None,
            rated_from=filters.rated_from,
            rated_to=filters.rated_to,
        )
        query = occasions_query(principal, params, key)
        count_query = excluded_count_query(principal, params)
    else:
        kw = vars(filters)
        query = sql.measures_query(sql.measures(principal, name, excluded=False, **kw), name, key)
        count_query = sql.excluded_count(sql.measures(principal, name, excluded=True, **kw))
    excluded = int(dataset_repository.scalar(session, count_query) or 0)
    record(
        session,
        principal,
        AuditAction.export,
        "exports",
        None,
        site_id=principal.site_id,
        changes={
            "export": name.value,
            "format": fmt,
            "identifiable": identifiable,
            "filters": {k: v for k, v in vars(filters).items() if v is not None},
            "n_excluded_withdrawn": excluded,
        },
    )
    return PreparedExport(query, excluded, identifiable, schema(name, identifiable))


def stream(engine: Engine, export: PreparedExport, fmt: str) -> Iterator[bytes]:
    """Rows straight from ``COPY … TO STDOUT`` on a connection of its own (the request's session has
    committed by the time the body is sent); memory stays at about one chunk / one row group."""
    with Session(engine) as session, session.begin():
        session.connection().exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        dataset_repository.use_sort_memory(session)
        chunks = dataset_repository.copy_chunks(session, export.query)
        yield from (csv_to_parquet(chunks, export.schema) if fmt == "parquet" else rebuffer(chunks))
