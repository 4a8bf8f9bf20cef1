"""Hand-built measurement rows for extraction tests (inserted directly: these tests are about reading)."""

import hashlib
import uuid
from datetime import date, timedelta

from sqlalchemy.orm import Session

from analysis.simulate import simulate_study
from app.auth.principal import SYSTEM
from app.dyads import service as dyad_service
from app.dyads.schemas import DyadRead, TransferCreate
from app.instruments.definition import InstrumentKind, RaterRole
from app.models import Dyad, Measurement, Patient
from app.models.base import new_id
from app.models.enums import MeasurementStatus
from tests.factories import make_case_manager, make_dyad, make_patient, make_site

VERSIONS = {"wai-sr": "2006", "wai-sr-t": "2020", "honos": "1998", "k10": "au-2001"}
COPIED = (  # what a correction keeps from the version it supersedes
    "record_id",
    "kind",
    "site_id",
    "patient_id",
    "dyad_id",
    "case_manager_id",
    "instrument_code",
    "instrument_version",
    "rater",
    "rated_on",
    "n_valid",
    "prorated",
    "created_by",
)


def add_measurement(
    db: Session,
    patient: Patient,
    code: str,
    on: date,
    total: float,
    *,
    dyad: Dyad | DyadRead | None = None,
    rater: RaterRole | None = None,
) -> Measurement:
    kind = InstrumentKind.ALLIANCE if code.startswith("wai") else InstrumentKind.OUTCOME
    if kind is InstrumentKind.ALLIANCE and rater is None:
        rater = RaterRole.CASE_MANAGER if code == "wai-sr-t" else RaterRole.PATIENT
    rid = new_id()
    row = Measurement(
        id=rid,
        record_id=rid,
        version=1,
        is_current=True,
        status=MeasurementStatus.active,
        kind=kind,
        site_id=patient.site_id,
        patient_id=patient.id,
        dyad_id=dyad.id if dyad else None,
        case_manager_id=dyad.case_manager_id if dyad else None,
        instrument_code=code,
        instrument_version=VERSIONS.get(code, "1"),
        rater=rater,
        rated_on=on,
        scores={"total": total},
        total=total,
        n_valid=12,
        prorated=False,
        natural_key=hashlib.sha256(rid.bytes).digest(),
        created_by=uuid.UUID(int=0),
    )
    db.add(row)
    db.flush()
    return row


def correct(db: Session, old: Measurement, total: float | None, *, error: bool = False) -> Measurement:
    """A correction: a new current version (or an entered-in-error marker) superseding ``old``."""
    old.is_current = False
    db.flush()
    new = Measurement(
        **{c: getattr(old, c) for c in COPIED},
        id=new_id(),
        version=old.version + 1,
        is_current=True,
        supersedes_id=old.id,
        status=MeasurementStatus.entered_in_error if error else MeasurementStatus.active,
        reason="correction",
        scores={"total": total if total is not None else old.total},
        total=total if total is not None else old.total,
        natural_key=hashlib.sha256(new_id().bytes).digest(),
    )
    db.add(new)
    db.flush()
    return new


def load_simulated(
    db: Session, *, n_cm: int = 10, patients_per_cm: int = 3, waves: int = 4, seed: int = 1
) -> int:
    """A small simulated study (analysis.simulate) stored as dyads and measurements; returns the row count.

    A transfer starts the new dyad 10 days after the last occasion with the previous case manager; each
    dyad's occasions fall ``time`` months after its start.
    """
    frame, _ = simulate_study(n_cm=n_cm, patients_per_cm=patients_per_cm, waves=waves, seed=seed, n_sites=2)
    sites = {s: make_site(db) for s in sorted(frame["site_id"].unique())}
    cms = {
        cm: make_case_manager(db, sites[site])
        for cm, site in frame.groupby("cm_id")["site_id"].first().items()
    }
    start = date(2021, 2, 1)
    for _, rows in frame.groupby("patient_id", sort=True):
        patient = make_patient(db, sites[rows["site_id"].iloc[0]], birth_year=1970, sex="male")
        dyad: Dyad | DyadRead | None = None
        last_day = start
        for _, d in rows.groupby("dyad_id", sort=False):
            cm = cms[d["cm_id"].iloc[0]]
            if dyad is None:
                dyad_start = start + timedelta(days=int(d.index.min()) % 7)
                dyad = make_dyad(db, patient, cm, dyad_start)
            else:
                dyad_start = last_day + timedelta(days=10)
                transfer = TransferCreate(case_manager_id=cm.id, on=dyad_start)
                dyad = dyad_service.transfer(db, SYSTEM, patient.id, transfer).started
            values = d[["time", "A_p", "A_c", "y"]].to_numpy(dtype=float)
            for time, a_p, a_c, y in values:
                on = dyad_start + timedelta(days=round(time * 30.4375))
                add_measurement(db, patient, "wai-sr", on, a_p, dyad=dyad)
                add_measurement(db, patient, "wai-sr-t", on + timedelta(days=3), a_c, dyad=dyad)
                add_measurement(db, patient, "honos", on + timedelta(days=5), y)
                last_day = on
    return len(frame)
