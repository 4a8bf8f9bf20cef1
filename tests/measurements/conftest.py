"""Fixtures for the measurement tests: a site with a patient in a dyad, and clean registry caches."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy.orm import Session

from app.instruments.registry import registry
from app.models import CaseManager, Dyad, Patient, Site
from tests.factories import Keys, make_case_manager, make_dyad, make_patient


@pytest.fixture(autouse=True)
def fresh_registry() -> Iterator[None]:
    """Definitions registered inside a rolled-back test must not outlive it in the in-process cache."""
    registry.invalidate()
    yield
    registry.invalidate()


@dataclass
class Study:
    site: Site
    patient: Patient
    cm: CaseManager
    dyad: Dyad


@pytest.fixture
def study(db: Session, keys: Keys) -> Study:
    site = keys.site_a
    patient = make_patient(db, site, study_id="P-TEST01")
    cm = make_case_manager(db, site, code="CM01")
    dyad = make_dyad(db, patient, cm, started_on=date(2021, 2, 1))
    db.commit()  # to the outer test transaction's savepoint: a failing request must not roll the fixture back
    return Study(site, patient, cm, dyad)


def items(*values: float | int | None) -> dict[str, float | int | None]:
    return {str(i): v for i, v in enumerate(values, start=1)}
