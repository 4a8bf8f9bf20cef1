"""All SQL of the measurements table and the bulk look-ups that feed it; every read goes through the scope."""

import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Row, Select, Table, or_, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.auth.principal import Principal
from app.core.errors import NotFound
from app.core.pagination import PageParams, keyset
from app.core.scoping import scope
from app.instruments.definition import InstrumentKind
from app.models import AuditEvent, CaseManager, ConsentEvent, Dyad, Measurement, Patient, Site

TABLE = cast(Table, Measurement.__table__)
INSERT_COLUMNS = (
    ("id", "uuid"), ("record_id", "uuid"), ("version", "smallint"), ("is_current", "boolean"),
    ("supersedes_id", "uuid"), ("status", "text"), ("reason", "text"), ("kind", "text"), ("site_id", "uuid"),
    ("patient_id", "uuid"), ("dyad_id", "uuid"), ("case_manager_id", "uuid"), ("instrument_code", "text"),
    ("instrument_version", "text"), ("rater", "text"), ("rated_on", "date"), ("occasion", "text"),
    ("items", "jsonb"), ("score_input", "float8"), ("scores", "jsonb"), ("total", "float8"),
    ("n_valid", "smallint"), ("prorated", "boolean"), ("natural_key", "bytea"), ("created_by", "uuid"),
    ("created_at", "timestamptz"),
)  # fmt: skip


def _from_json_rows(table: str, columns: tuple[tuple[str, str], ...]) -> str:
    """``INSERT … SELECT`` from one JSON array parameter: every row travels inside a single ``jsonb`` value
    that PostgreSQL unpacks in C (``jsonb_to_recordset``). Per-column array parameters cost more: psycopg
    escapes every quote of every JSON value in Python to build text arrays."""
    names = ", ".join(n for n, _ in columns)
    record = ", ".join(f"{n} {t}" for n, t in columns)
    source = f"jsonb_to_recordset(CAST(:rows AS jsonb)) AS r({record})"
    return f"INSERT INTO {table} ({names}) SELECT {names} FROM {source}"


INSERT_NEW = text(
    _from_json_rows("measurements", INSERT_COLUMNS)
    + " ON CONFLICT (natural_key) WHERE is_current AND status = 'active' DO NOTHING"
    " RETURNING natural_key, record_id"
)

AUDIT_COLUMNS = (
    ("id", "uuid"), ("actor_key_id", "uuid"), ("actor_role", "text"), ("actor_site_id", "uuid"),
    ("action", "text"), ("entity", "text"), ("entity_id", "uuid"), ("site_id", "uuid"), ("changes", "jsonb"),
    ("reason", "text"), ("request_id", "text"),
)  # fmt: skip
INSERT_AUDIT = text(_from_json_rows("audit_events", AUDIT_COLUMNS))


def _json_value(value: Any) -> Any:
    """JSON for the values json.dumps does not know; bytea in PostgreSQL's hex input form."""
    if isinstance(value, bytes):
        return "\\x" + value.hex()
    if isinstance(value, uuid.UUID | date | datetime):
        return str(value) if isinstance(value, uuid.UUID) else value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _rows_json(rows: Iterable[dict[str, Any]], columns: tuple[tuple[str, str], ...]) -> str:
    return json.dumps([{n: row[n] for n, _ in columns} for row in rows], default=_json_value)


class MeasurementRepository:
    def __init__(self, session: Session, principal: Principal) -> None:
        self.session = session
        self.principal = principal

    def select(self, kind: InstrumentKind | None = None) -> Select[Measurement]:
        stmt = scope(select(Measurement), self.principal, Measurement.site_id)
        return stmt.where(Measurement.kind == kind) if kind is not None else stmt

    def current(
        self, record_id: uuid.UUID, kind: InstrumentKind | None, *, for_update: bool = False
    ) -> Measurement:
        stmt = self.select(kind).where(Measurement.record_id == record_id, Measurement.is_current)
        if for_update:
            stmt = stmt.with_for_update()
        found = self.session.scalar(stmt)
        if found is None:
            raise NotFound(detail="Measurement not found.")
        return found

    def history(self, record_id: uuid.UUID, kind: InstrumentKind | None) -> Sequence[Measurement]:
        stmt = self.select(kind).where(Measurement.record_id == record_id).order_by(Measurement.version)
        rows = self.session.scalars(stmt).all()
        if not rows:
            raise NotFound(detail="Measurement not found.")
        return rows

    def page(self, stmt: Select[Measurement], params: PageParams) -> Sequence[Measurement]:
        return self.session.scalars(keyset(stmt, Measurement.record_id, params)).all()

    def series(self, patient_id: uuid.UUID) -> Sequence[Measurement]:
        """The patient's current, active measurements in date order (for the timeline)."""
        stmt = self.select().where(
            Measurement.patient_id == patient_id, Measurement.is_current, Measurement.status == "active"
        )
        return self.session.scalars(stmt.order_by(Measurement.rated_on, Measurement.record_id)).all()

    def previous(self, m: Measurement) -> Row[uuid.UUID, date, str, float] | None:
        """The last current, active measure of the same series dated before ``m``: only the columns the change
        flags need (``record_id, rated_on, instrument_version, total``), not the whole row with its JSON."""
        columns = (
            Measurement.record_id,
            Measurement.rated_on,
            Measurement.instrument_version,
            Measurement.total,
        )
        stmt = scope(select(*columns), self.principal, Measurement.site_id).where(
            Measurement.kind == m.kind,
            Measurement.patient_id == m.patient_id,
            Measurement.instrument_code == m.instrument_code,
            Measurement.is_current,
            Measurement.status == "active",
            Measurement.rated_on < m.rated_on,
        )
        if m.kind is InstrumentKind.ALLIANCE:
            stmt = stmt.where(Measurement.rater == m.rater, Measurement.dyad_id == m.dyad_id)
        stmt = stmt.order_by(Measurement.rated_on.desc(), Measurement.record_id.desc()).limit(1)
        return self.session.execute(stmt).first()

    def insert_new(self, rows: list[dict[str, Any]]) -> dict[bytes, uuid.UUID]:
        """Insert first versions, skipping natural duplicates; returns {natural_key: record_id} stored.

        One statement however many rows: each column travels as one array parameter and ``unnest`` turns
        them back into rows (no per-row placeholders to parse or plan).
        """
        if not rows:
            return {}
        result = self.session.execute(INSERT_NEW, {"rows": _rows_json(rows, INSERT_COLUMNS)})
        return {key: record_id for key, record_id in result.all()}

    def insert_audit_events(self, events: list[AuditEvent]) -> None:
        """Bulk-append audit events as ``audit.record`` builds them (the chain trigger runs per row)."""
        if events:
            values = ({name: getattr(e, name) for name, _ in AUDIT_COLUMNS} for e in events)
            self.session.execute(INSERT_AUDIT, {"rows": _rows_json(values, AUDIT_COLUMNS)})

    def existing_by_natural_key(self, keys: Iterable[bytes]) -> dict[bytes, uuid.UUID]:
        stmt = self.select().where(
            Measurement.natural_key.in_(list(keys)), Measurement.is_current, Measurement.status == "active"
        )
        return {m.natural_key: m.record_id for m in self.session.scalars(stmt).all()}

    def supersede(self, version_id: uuid.UUID) -> None:
        self.session.execute(update(TABLE).where(TABLE.c.id == version_id).values(is_current=False))

    def insert_version(self, row: dict[str, Any]) -> None:
        self.session.execute(insert(TABLE), [row])


class ReferenceRepository:
    """Bulk look-ups of the sites, patients, case managers and dyads that measurements name (scoped)."""

    def __init__(self, session: Session, principal: Principal) -> None:
        self.session = session
        self.principal = principal

    def sites_by_code(self, codes: Iterable[str]) -> dict[str, uuid.UUID]:
        stmt = scope(select(Site), self.principal, Site.id).where(Site.code.in_(list(codes)))
        return {site.code: site.id for site in self.session.scalars(stmt).all()}

    def patients(
        self, ids: Iterable[uuid.UUID], codes: Iterable[tuple[uuid.UUID, str]]
    ) -> Sequence[tuple[uuid.UUID, uuid.UUID, str]]:
        """``(id, site_id, study_id)`` of the patients named by id or by ``(site_id, study_id)``."""
        return self._by_id_or_code(Patient.id, Patient.site_id, Patient.study_id, ids, codes)

    def case_managers(
        self, ids: Iterable[uuid.UUID], codes: Iterable[tuple[uuid.UUID, str]]
    ) -> Sequence[tuple[uuid.UUID, uuid.UUID, str]]:
        """``(id, site_id, code)`` of the case managers named by id or by ``(site_id, code)``."""
        return self._by_id_or_code(CaseManager.id, CaseManager.site_id, CaseManager.code, ids, codes)

    def _by_id_or_code(
        self,
        id_: InstrumentedAttribute[uuid.UUID],
        site: InstrumentedAttribute[uuid.UUID],
        code: InstrumentedAttribute[str],
        ids: Iterable[uuid.UUID],
        codes: Iterable[tuple[uuid.UUID, str]],
    ) -> Sequence[tuple[uuid.UUID, uuid.UUID, str]]:
        ids, codes = list(ids), list(codes)
        conditions = []
        if ids:
            conditions.append(id_.in_(ids))
        if codes:
            conditions.append(tuple_(site, code).in_(codes))
        if not conditions:
            return []
        stmt = scope(select(id_, site, code), self.principal, site).where(or_(*conditions))
        return [(row[0], row[1], row[2]) for row in self.session.execute(stmt).all()]

    def dyads(self, ids: Iterable[uuid.UUID], patient_ids: Iterable[uuid.UUID]) -> Sequence[Dyad]:
        ids, patient_ids = list(ids), list(patient_ids)
        conditions = []
        if ids:
            conditions.append(Dyad.id.in_(ids))
        if patient_ids:
            conditions.append(Dyad.patient_id.in_(patient_ids))
        if not conditions:
            return []
        stmt = scope(select(Dyad), self.principal, Dyad.site_id).where(or_(*conditions))
        return self.session.scalars(stmt).all()

    def collection_stopped(self, patient_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, ConsentEvent]:
        """Patients whose newest consent event stops data collection (bulk twin of the consent check)."""
        patient_ids = list(patient_ids)
        if not patient_ids:
            return {}
        latest = scope(
            select(ConsentEvent).ext(distinct_on(ConsentEvent.patient_id)),
            self.principal,
            ConsentEvent.site_id,
        ).where(ConsentEvent.patient_id.in_(patient_ids))
        latest = latest.order_by(ConsentEvent.patient_id, ConsentEvent.id.desc())
        events = self.session.scalars(latest).all()
        return {e.patient_id: e for e in events if not e.data_collection}
