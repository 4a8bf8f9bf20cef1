"""Instrument registry: read the stored definitions, register new ones (admin), describe CSV columns."""

from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth.principal import Principal
from app.core.errors import Conflict, FieldError, NotFound
from app.instruments.definition import InstrumentDefinition, InstrumentKind, ResponseType
from app.instruments.registry import Entry, registry
from app.instruments.repository import InstrumentRepository
from app.instruments.schemas import DataDictionary, DictionaryColumn, InstrumentRead, InstrumentSummary
from app.models import Instrument
from app.models.enums import AuditAction


class UnknownInstrument(NotFound):
    type, title = "unknown-instrument", "Unknown instrument"


def resolve(session: Session, code: str, version: str | None = None) -> Entry:
    entry = registry.find(session, code, version)
    if entry is None:
        what = f"{code}@{version}" if version else code
        raise UnknownInstrument(detail=f"No instrument {what} is registered.")
    return entry


def list_(session: Session, kind: InstrumentKind | None = None) -> list[InstrumentSummary]:
    versions: dict[str, list[str]] = {}
    for entry in registry.entries(session):
        versions.setdefault(entry.definition.code, []).append(entry.definition.version)
    summaries = []
    for code in sorted(versions):
        latest = resolve(session, code)
        d = latest.definition
        if kind is not None and d.kind is not kind:
            continue
        summaries.append(
            InstrumentSummary(
                code=code,
                version=d.version,
                kind=d.kind,
                name=d.name,
                raters=list(d.raters),
                versions=versions[code],
                builtin=latest.builtin,
            )
        )
    return summaries


def get(session: Session, code: str, version: str | None = None) -> InstrumentRead:
    entry = resolve(session, code, version)
    d = entry.definition
    row = InstrumentRepository(session).get(d.code, d.version)
    if row is None:  # cached but rolled back meanwhile
        registry.invalidate()
        raise UnknownInstrument(detail=f"No instrument {d.code}@{d.version} is registered.")
    return _read(row, latest=registry.latest_version(session, code) == d.version)


def _read(row: Instrument, latest: bool) -> InstrumentRead:
    return InstrumentRead(
        code=row.code,
        version=row.version,
        kind=row.kind,
        builtin=row.builtin,
        latest=latest,
        created_at=row.created_at,
        definition=row.definition,
    )


def register(session: Session, principal: Principal, data: InstrumentDefinition) -> InstrumentRead:
    """Store a new definition version; an existing (code, version) is never replaced (immutable)."""
    repo = InstrumentRepository(session)
    if repo.exists(data.code, data.version):
        raise Conflict(
            detail=f"{data.code}@{data.version} exists; definitions are immutable, register a new version.",
            errors=[FieldError("/body/version", "version already registered")],
        )
    row = repo.add(
        Instrument(
            code=data.code,
            version=data.version,
            kind=data.kind,
            definition=data.model_dump(mode="json"),
            builtin=False,
            created_by=principal.key_id,
        )
    )
    session.refresh(row, ["created_at"])
    audit.record(
        session,
        principal,
        AuditAction.create,
        "instruments",
        row.id,
        changes={"code": row.code, "version": row.version, "kind": row.kind},
    )
    registry.invalidate()
    return _read(row, latest=True)


COMMON = [
    DictionaryColumn(
        name="instrument",
        required=False,
        type="string",
        description="code or code@version (optional when ?instrument= is given)",
    ),
    DictionaryColumn(
        name="site_code",
        required=False,
        type="string",
        description="site code (admin keys; clinic keys use their own site)",
    ),
    DictionaryColumn(
        name="patient_study_id",
        required=True,
        type="string",
        description="the patient's study id at the site (or column patient_id with the UUID)",
    ),
    DictionaryColumn(name="rated_on", required=True, type="date", description="YYYY-MM-DD"),
    DictionaryColumn(
        name="occasion", required=False, type="string", description="free label, e.g. baseline, w6"
    ),
]


def data_dictionary(session: Session, code: str, version: str | None = None) -> DataDictionary:
    d = resolve(session, code, version).definition
    columns = list(COMMON)
    raters = [r.value for r in d.raters]
    if d.kind is InstrumentKind.ALLIANCE:
        columns.append(
            DictionaryColumn(
                name="case_manager_code",
                required=True,
                type="string",
                description="the case manager's code at the site (or case_manager_id, or dyad_id)",
            )
        )
    else:
        columns.append(
            DictionaryColumn(
                name="case_manager_code",
                required=False,
                type="string",
                description="the rating case manager's code (optional)",
            )
        )
    columns.append(
        DictionaryColumn(
            name="rater",
            required=d.kind is InstrumentKind.ALLIANCE,
            type="enum",
            description="who rated",
            allowed=raters,
        )
    )
    specials = {str(k): v for k, v in d.special_codes.items()} or None
    response = d.response
    if response.type is ResponseType.SINGLE_SCORE:
        item_columns = [
            DictionaryColumn(
                name="score",
                required=True,
                type="integer" if response.integral else "number",
                description="the single score",
                min=response.min,
                max=response.max,
                special_codes=specials,
            )
        ]
    else:
        item_columns = [
            DictionaryColumn(
                name=f"item_{i}",
                required=False,
                type="integer" if response.integral else "number",
                description=f"item {i}; empty = missing",
                min=response.min,
                max=response.max,
                special_codes=specials,
            )
            for i in range(1, d.n_items + 1)
        ]
    long_columns = [
        *columns,
        DictionaryColumn(
            name="item",
            required=True,
            type="string",
            description=f"item number 1..{d.n_items}"
            if response.type is not ResponseType.SINGLE_SCORE
            else "'score'",
        ),
        DictionaryColumn(
            name="value",
            required=True,
            type="number",
            description="the response; rows sharing patient, rater, date, occasion form one administration",
            min=response.min,
            max=response.max,
            special_codes=specials,
        ),
    ]
    notes = [
        f"missing-item rule for {name}: {rule.model_dump(exclude_none=True)}"
        for name, rule in d.missing.items()
    ]
    return DataDictionary(
        instrument=d.code,
        version=d.version,
        kind=d.kind,
        wide=[*columns, *item_columns],
        long=long_columns,
        notes=notes,
    )
