"""The demo study: a simulated multi-site study loaded through the same services clinics use.

Everything is created by the domain services (sites, case managers, patients, dyads and transfers, alliance
ratings and outcome measures from item responses) as the system principal, so it is validated, scored and
audited exactly like clinic data. Sites are named "DEMO — synthetic …": nobody can mistake it for real data.
"""

import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from analysis.simulate import simulate_study
from app.auth.principal import SYSTEM
from app.case_managers import service as cm_service
from app.case_managers.schemas import CaseManagerCreate
from app.demo.items import items_for
from app.dyads import service as dyad_service
from app.dyads.schemas import DyadCreate, DyadRead, TransferCreate
from app.measurements import service as measurement_service
from app.measurements.schemas import AllianceRatingCreate, OutcomeMeasureCreate
from app.models import Dyad, Site
from app.models.enums import DiagnosisGroup, Discipline, Sex
from app.patients import service as patient_service
from app.patients.schemas import PatientCreate
from app.sites import service as site_service
from app.sites.schemas import SiteCreate

DEMO_NAME = "DEMO — synthetic"
DEMO_SEED = 2026
STUDY_START = date(2023, 1, 2)
MONTH = 30.4375


@dataclass(frozen=True)
class DemoSummary:
    sites: int
    case_managers: int
    patients: int
    occasions: int


def is_empty(session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(Site))


def simulated(seed: int = DEMO_SEED) -> pd.DataFrame:
    """~40 CMs × 10 patients × 6 waves over 4 sites, 3-monthly, with transfers, dropout and missed waves."""
    frame, _ = simulate_study(n_cm=40, patients_per_cm=10, waves=6, seed=seed, n_sites=4, transfer=0.08)
    return frame


def load(
    make_session: sessionmaker[Session],
    *,
    seed: int = DEMO_SEED,
    progress: Callable[[int, int], None] | None = None,
) -> DemoSummary:
    """Load the demo study (commits per patient batch). Call only on an empty database."""
    frame = simulated(seed)
    rng = np.random.default_rng(seed)
    with make_session.begin() as session:
        sites = {
            code: site_service.create(
                session, SYSTEM, SiteCreate(code=f"DEMO-{code}", name=f"{DEMO_NAME} site {code[1:]}")
            ).id
            for code in sorted(frame["site_id"].unique())
        }
        cms = {
            cm: cm_service.create(
                session,
                SYSTEM,
                CaseManagerCreate(
                    site_id=sites[site],
                    code=f"DEMO-{cm}",
                    discipline=list(Discipline)[int(rng.integers(0, 5))],
                    started_on=date(2018, 1, 1),
                ),
            ).id
            for cm, site in frame.groupby("cm_id")["site_id"].first().items()
        }
    patients = list(frame.groupby("patient_id", sort=True))
    for start in range(0, len(patients), 25):
        with make_session.begin() as session:
            for _, rows in patients[start : start + 25]:
                _load_patient(session, rows, sites, cms, rng)
        if progress:
            progress(min(start + 25, len(patients)), len(patients))
    return DemoSummary(len(sites), len(cms), len(patients), len(frame))


def _load_patient(
    session: Session,
    rows: pd.DataFrame,
    sites: dict[Hashable, uuid.UUID],
    cms: dict[Hashable, uuid.UUID],
    rng: np.random.Generator,
) -> None:
    site_id = sites[rows["site_id"].iloc[0]]
    enrolled = STUDY_START + timedelta(days=int(rng.integers(0, 180)))
    patient = patient_service.create(
        session,
        SYSTEM,
        PatientCreate(
            site_id=site_id,
            enrolled_on=enrolled,
            birth_year=int(rng.integers(1950, 2002)),
            sex=[Sex.female, Sex.male][int(rng.integers(0, 2))],
            diagnosis_group=list(DiagnosisGroup)[int(rng.integers(0, 4))],
        ),
    )
    dyad_start = enrolled + timedelta(days=7)
    last_day = dyad_start
    dyad: Dyad | DyadRead
    for n, (_, episode) in enumerate(rows.groupby("dyad_id", sort=False)):
        cm_id = cms[episode["cm_id"].iloc[0]]
        if n == 0:
            dyad = dyad_service.create(
                session,
                SYSTEM,
                DyadCreate(patient_id=patient.id, case_manager_id=cm_id, started_on=dyad_start),
            )
        else:  # a transfer: the new dyad starts one wave after the last occasion with the previous CM
            dyad_start = last_day + timedelta(days=91)
            dyad = dyad_service.transfer(
                session,
                SYSTEM,
                patient.id,
                TransferCreate(case_manager_id=cm_id, on=dyad_start),
            ).started
        for r in episode.itertuples():
            on = dyad_start + timedelta(days=round(float(r.time) * MONTH))  # type: ignore[arg-type]
            _occasion(session, patient.id, dyad.id, on, r, rng)
            last_day = on


def _occasion(
    session: Session, patient_id: object, dyad_id: object, on: date, r: object, rng: np.random.Generator
) -> None:
    label = f"wave {int(r.occasion)}"  # type: ignore[attr-defined]
    create = measurement_service.create
    create(
        session,
        SYSTEM,
        AllianceRatingCreate(
            dyad_id=dyad_id, instrument="wai-sr", rater="patient", rated_on=on, occasion=label,  # type: ignore[arg-type]
            items=items_for(float(r.A_p), 12, 1, 5, mean=True, rng=rng),  # type: ignore[attr-defined]
        ),
    )  # fmt: skip
    create(
        session,
        SYSTEM,
        AllianceRatingCreate(
            dyad_id=dyad_id, instrument="wai-sr-t", rater="case_manager", rated_on=on + timedelta(days=2),  # type: ignore[arg-type]
            occasion=label, items=items_for(float(r.A_c), 12, 1, 5, mean=True, rng=rng),  # type: ignore[attr-defined]
        ),
    )  # fmt: skip
    create(
        session,
        SYSTEM,
        OutcomeMeasureCreate(
            patient_id=patient_id, instrument="honos", rater="case_manager", rated_on=on + timedelta(days=2),  # type: ignore[arg-type]
            occasion=label, items=items_for(float(r.y), 12, 0, 4, mean=False, rng=rng),  # type: ignore[attr-defined]
        ),
    )  # fmt: skip
    create(
        session,
        SYSTEM,
        OutcomeMeasureCreate(
            patient_id=patient_id, instrument="k10", rater="patient", rated_on=on, occasion=label,  # type: ignore[arg-type]
            items=items_for(float(r.y_k10), 10, 1, 5, mean=False, rng=rng),  # type: ignore[attr-defined]
        ),
    )  # fmt: skip
