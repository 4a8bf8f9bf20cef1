"""A small world of records owned by site A (and a key for every role), built in the test's session.

Marker strings (site code and name, case manager code, study id) are random and long enough that finding one
in a response body means the record's data was disclosed.
"""

import uuid
from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy.orm import Session

from app.analyses import datasets
from app.api_keys import service as key_service
from app.api_keys.schemas import ApiKeyCreate
from app.auth.principal import SYSTEM
from app.instruments.definition import RaterRole
from app.measurements import service as measurement_service
from app.measurements.schemas import AllianceRatingCreate, OutcomeMeasureCreate
from app.models import CaseManager, Dyad, Patient, Site
from app.models.analysis_run import AnalysisRun, RunStatus
from app.models.enums import Role
from app.service_use import service as service_use_service
from app.service_use.schemas import ServiceUseCreate
from tests.factories import Keys, make_case_manager, make_dyad, make_keys, make_patient


@dataclass
class World:
    keys: Keys
    site: Site  # site A: owns everything below
    cm: CaseManager
    cm2: CaseManager  # target of transfers
    patient: Patient  # has an open dyad with `cm`
    patient2: Patient  # has no dyad (for opening one)
    dyad: Dyad
    rating_id: uuid.UUID  # an alliance rating in `dyad`
    measure_id: uuid.UUID  # an outcome measure of `patient`
    window_id: uuid.UUID  # a service-use window of `patient`
    run_id: uuid.UUID  # an analysis run a clinic of site A asked for
    spare_key_id: uuid.UUID  # a clinic key of site A nobody uses (for revoking)
    markers: tuple[str, ...]  # strings that only site A's data contains

    @property
    def site_a_ids(self) -> tuple[str, ...]:
        return tuple(
            str(i)
            for i in (self.site.id, self.cm.id, self.cm2.id, self.patient.id, self.patient2.id, self.dyad.id)
        )


def _site_run(db: Session, site_id: uuid.UUID, patient_id: uuid.UUID) -> AnalysisRun:
    """A finished-looking run of site A's data (as a clinic key of site A would have asked for)."""
    frame = pd.DataFrame({"patient_id": ["p1"], "alliance": [40.0], "y": [20.0]})
    run = AnalysisRun(
        status=RunStatus.queued,
        template="T1",
        spec={},
        spec_hash="0" * 64,
        site_id=site_id,
        requested_by=uuid.uuid4(),
        requester_role=Role.clinic,
        dataset=datasets.to_parquet(frame),
        dataset_sha256="0" * 64,
        dataset_rows=1,
        patient_keys={"p1": str(patient_id)},
        n_excluded_withdrawn=0,
        instrument_versions={},
        seed=1,
    )
    db.add(run)
    db.flush()
    return run


def build_world(db: Session) -> World:
    tag = uuid.uuid4().hex[:10].upper()
    keys = make_keys(db)
    site = keys.site_a
    site.code, site.name = f"SA-{tag}", f"Site A {tag}"
    cm = make_case_manager(db, site, code=f"CMA-{tag}")
    cm2 = make_case_manager(db, site, code=f"CMB-{tag}")
    patient = make_patient(db, site, study_id=f"PA-{tag}", birth_year=1961)
    patient2 = make_patient(db, site, study_id=f"PB-{tag}", birth_year=1962)
    dyad = make_dyad(db, patient, cm, started_on=date(2021, 2, 1))
    rating = measurement_service.create(
        db,
        SYSTEM,
        AllianceRatingCreate(
            dyad_id=dyad.id,
            instrument="srs",
            rater=RaterRole.PATIENT,
            rated_on=date(2021, 3, 1),
            items={"1": 9, "2": 9, "3": 9, "4": 9},
        ),
    )
    measure = measurement_service.create(
        db,
        SYSTEM,
        OutcomeMeasureCreate(patient_id=patient.id, instrument="gaf", rated_on=date(2021, 3, 1), score=55),
    )
    window = service_use_service.create(
        db,
        SYSTEM,
        ServiceUseCreate(
            patient_id=patient.id, window_start=date(2021, 1, 1), window_end=date(2021, 3, 31), n_admissions=1
        ),
    )
    spare = key_service.create(
        db, SYSTEM, ApiKeyCreate(label=f"spare-{tag}", role=Role.clinic, site_id=site.id)
    )
    run = _site_run(db, site.id, patient.id)
    db.commit()  # releases the test's savepoint: a refused request's rollback must not take the world with it
    markers = (site.code, site.name, cm.code, cm2.code, patient.study_id, patient2.study_id, spare.prefix)
    return World(
        keys,
        site,
        cm,
        cm2,
        patient,
        patient2,
        dyad,
        rating.id,
        measure.id,
        window.id,
        run.id,
        spare.id,
        markers,
    )
