"""A patient's feedback view: dyads, alliance series per instrument and rater, outcome series, with flags."""

import uuid
from collections import defaultdict

from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.dyads.schemas import DyadRead
from app.instruments.change import ChangeFlags, Crossing, ReliableChangeClass, assess_change
from app.instruments.definition import InstrumentKind, RaterRole
from app.measurements.prepare import instrument
from app.measurements.repository import MeasurementRepository, ReferenceRepository
from app.models import Measurement
from app.patients.repository import PatientRepository
from app.timeline.schemas import Series, Timeline, TimelinePoint


def flag_names(change: ChangeFlags) -> list[str]:
    names = []
    if change.reliable_change in (ReliableChangeClass.IMPROVEMENT, ReliableChangeClass.DETERIORATION):
        names.append(change.reliable_change.value)
    for cutoff in change.cutoffs:
        if cutoff.in_range:
            names.append(f"in_{cutoff.name}")
        if cutoff.crossing in (Crossing.INTO, Crossing.OUT_OF):
            names.append(f"{cutoff.crossing.value}_{cutoff.name}")
    if change.alliance_drop is not None and change.alliance_drop.flagged:
        names.append("alliance_drop")
    return names


def _series(
    session: Session, kind: InstrumentKind, code: str, rater: RaterRole | None, rows: list[Measurement]
) -> Series:
    points = []
    previous: Measurement | None = None
    for m in rows:
        definition = instrument(session, f"{m.instrument_code}@{m.instrument_version}").definition
        comparable = (
            previous is not None
            and previous.instrument_version == m.instrument_version
            and (kind is InstrumentKind.OUTCOME or previous.dyad_id == m.dyad_id)  # alliance: within a dyad
        )
        before = previous.total if comparable and previous is not None else None
        change = assess_change(definition, m.total, before)
        points.append(
            TimelinePoint(
                id=m.record_id,
                rated_on=m.rated_on,
                occasion=m.occasion,
                instrument_version=m.instrument_version,
                dyad_id=m.dyad_id,
                total=m.total,
                scores={name: s["value"] for name, s in m.scores.items()},
                prorated=m.prorated,
                change=change,
                flags=flag_names(change),
            )
        )
        previous = m
    return Series(kind=kind, instrument=code, rater=rater, points=points)


def timeline(session: Session, principal: Principal, patient_id: uuid.UUID) -> Timeline:
    patient = PatientRepository(session, principal).get(patient_id)
    dyads = ReferenceRepository(session, principal).dyads([], [patient.id])
    groups: dict[tuple[InstrumentKind, str, RaterRole | None], list[Measurement]] = defaultdict(list)
    for m in MeasurementRepository(session, principal).series(patient.id):
        groups[(m.kind, m.instrument_code, m.rater)].append(m)
    ordered = sorted(groups.items(), key=lambda g: (g[0][0], g[0][1], g[0][2] or ""))
    series = [_series(session, kind, code, rater, rows) for (kind, code, rater), rows in ordered]
    return Timeline(
        patient_id=patient.id,
        dyads=[DyadRead.model_validate(d) for d in sorted(dyads, key=lambda d: d.started_on)],
        alliance=[s for s in series if s.kind is InstrumentKind.ALLIANCE],
        outcomes=[s for s in series if s.kind is InstrumentKind.OUTCOME],
    )
