"""The demo study: a simulated multi-site study loaded through the same services clinics use.

Sites, case managers, patients, dyads and transfers are created by their domain services; the alliance ratings
and outcome measures go in as item responses through the batch submission service
(``app.submissions.service.ingest``, behind ``POST /api/v1/submissions``), ``SUBMISSION_ROWS`` rows per
submission, exactly as a clinic's upload would. Everything is done as the system principal, so it is
validated, scored and audited like clinic data. Sites are named "DEMO — synthetic …": nobody can mistake it
for real data.
"""

import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

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
from app.dyads.schemas import DyadCreate, TransferCreate
from app.models import Site
from app.models.enums import DiagnosisGroup, Discipline, Sex
from app.patients import service as patient_service
from app.patients.schemas import PatientCreate
from app.sites import service as site_service
from app.sites.schemas import SiteCreate
from app.submissions import service as submission_service

DEMO_NAME = "DEMO — synthetic"
DEMO_SEED = 2026
STUDY_START = date(2023, 1, 2)
MONTH = 30.4375
PATIENT_BATCH = 100  # patients (and their dyads) per transaction
SUBMISSION_ROWS = 5000  # measurement rows per submission (the API's maximum)

Progress = Callable[[str, int, int], None]  # (stage, done, total)
Row = dict[str, Any]


@dataclass(frozen=True)
class DemoSize:
    """~40 CMs × 10 patients × 6 waves over 4 sites by default; tests load a smaller one."""

    n_cm: int = 40
    patients_per_cm: int = 10
    waves: int = 6
    n_sites: int = 4


@dataclass(frozen=True)
class DemoSummary:
    sites: int
    case_managers: int
    patients: int
    occasions: int
    measurements: int


class DemoLoadError(RuntimeError):
    """A simulated row was refused by the submission service (a bug in the demo or in the service)."""


def is_empty(session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(Site))


def simulated(seed: int = DEMO_SEED, size: DemoSize = DemoSize()) -> pd.DataFrame:
    """3-monthly waves with transfers, dropout and missed waves."""
    frame, _ = simulate_study(
        n_cm=size.n_cm,
        patients_per_cm=size.patients_per_cm,
        waves=size.waves,
        seed=seed,
        n_sites=size.n_sites,
        transfer=0.08,
    )
    return frame


def load(
    make_session: sessionmaker[Session],
    *,
    seed: int = DEMO_SEED,
    size: DemoSize = DemoSize(),
    progress: Progress | None = None,
) -> DemoSummary:
    """Load the demo study (one transaction per patient batch and per submission). Empty database only."""
    frame = simulated(seed, size)
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
    rows: list[Row] = []
    created = 0
    for start in range(0, len(patients), PATIENT_BATCH):
        with make_session.begin() as session:
            for _, occasions in patients[start : start + PATIENT_BATCH]:
                rows += _load_patient(session, occasions, sites, cms, rng)
        if progress:
            progress("patients and dyads", min(start + PATIENT_BATCH, len(patients)), len(patients))
    for start in range(0, len(rows), SUBMISSION_ROWS):
        with make_session.begin() as session:
            result = submission_service.ingest(session, SYSTEM, rows[start : start + SUBMISSION_ROWS])
        if result.error:
            refused = next(r for r in result.results if r.problem is not None)
            raise DemoLoadError(
                f"{result.error} demo rows refused, e.g. row {start + refused.index}: {refused}"
            )
        created += result.created
        if progress:
            progress("ratings and measures", min(start + SUBMISSION_ROWS, len(rows)), len(rows))
    return DemoSummary(len(sites), len(cms), len(patients), len(frame), created)


def _load_patient(
    session: Session,
    occasions: pd.DataFrame,
    sites: dict[Hashable, uuid.UUID],
    cms: dict[Hashable, uuid.UUID],
    rng: np.random.Generator,
) -> list[Row]:
    """Create the patient and their dyads (transfers included); return their measurement rows."""
    enrolled = STUDY_START + timedelta(days=int(rng.integers(0, 180)))
    patient = patient_service.create(
        session,
        SYSTEM,
        PatientCreate(
            site_id=sites[occasions["site_id"].iloc[0]],
            enrolled_on=enrolled,
            birth_year=int(rng.integers(1950, 2002)),
            sex=[Sex.female, Sex.male][int(rng.integers(0, 2))],
            diagnosis_group=list(DiagnosisGroup)[int(rng.integers(0, 4))],
        ),
    )
    dyad_start = enrolled + timedelta(days=7)
    last_day = dyad_start
    rows: list[Row] = []
    for n, (_, episode) in enumerate(occasions.groupby("dyad_id", sort=False)):
        cm_id = cms[episode["cm_id"].iloc[0]]
        if n == 0:
            dyad_id = dyad_service.create(
                session,
                SYSTEM,
                DyadCreate(patient_id=patient.id, case_manager_id=cm_id, started_on=dyad_start),
            ).id
        else:  # a transfer: the new dyad starts one wave after the last occasion with the previous CM
            dyad_start = last_day + timedelta(days=91)
            transfer = TransferCreate(case_manager_id=cm_id, on=dyad_start)
            dyad_id = dyad_service.transfer(session, SYSTEM, patient.id, transfer).started.id
        values = episode[["occasion", "time", "A_p", "A_c", "y", "y_k10"]].to_numpy(dtype=float)
        for occasion, time, a_p, a_c, y, y_k10 in values:
            on = dyad_start + timedelta(days=round(time * MONTH))
            scores = {"A_p": a_p, "A_c": a_c, "y": y, "y_k10": y_k10}
            rows += _occasion_rows(patient.id, dyad_id, on, f"wave {int(occasion)}", scores, rng)
            last_day = on
    return rows


def _occasion_rows(
    patient_id: uuid.UUID,
    dyad_id: uuid.UUID,
    on: date,
    label: str,
    scores: dict[str, float],
    rng: np.random.Generator,
) -> list[Row]:
    """One wave as submission rows: WAI-SR (patient), WAI-SR-T (CM), HoNOS (CM) and K10 (patient)."""
    first = {"rated_on": on.isoformat(), "occasion": label}
    later = {"rated_on": (on + timedelta(days=2)).isoformat(), "occasion": label}
    dyad, patient = {"dyad_id": str(dyad_id)}, {"patient_id": str(patient_id)}
    return [
        {"type": "alliance_rating", **dyad, **first, "instrument": "wai-sr", "rater": "patient",
         "items": items_for(scores["A_p"], 12, 1, 5, mean=True, rng=rng)},
        {"type": "alliance_rating", **dyad, **later, "instrument": "wai-sr-t", "rater": "case_manager",
         "items": items_for(scores["A_c"], 12, 1, 5, mean=True, rng=rng)},
        {"type": "outcome_measure", **patient, **later, "instrument": "honos", "rater": "case_manager",
         "items": items_for(scores["y"], 12, 0, 4, mean=False, rng=rng)},
        {"type": "outcome_measure", **patient, **first, "instrument": "k10", "rater": "patient",
         "items": items_for(scores["y_k10"], 10, 1, 5, mean=False, rng=rng)},
    ]  # fmt: skip
