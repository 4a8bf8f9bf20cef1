"""Extraction: window matching, corrections, consent exclusion, site scope, pseudonyms."""

import math
from datetime import date

import pytest
from sqlalchemy.orm import Session

from app.auth.principal import SYSTEM, Principal
from app.consent import service as consent_service
from app.consent.schemas import WithdrawalCreate
from app.datasets import service
from app.datasets.params import ExtractionParams
from app.datasets.sql import pseudonym
from app.dyads import service as dyad_service
from app.dyads.schemas import TransferCreate
from app.instruments.definition import RaterRole
from app.models.enums import Role, WithdrawalLevel
from tests.analyses.data import add_measurement, correct
from tests.factories import make_case_manager, make_dyad, make_patient, make_site

D = date


@pytest.fixture
def study(db: Session) -> dict[str, object]:
    site_a, site_b = make_site(db), make_site(db)
    cm1, cm2, cm3 = (
        make_case_manager(db, site_a),
        make_case_manager(db, site_a),
        make_case_manager(db, site_b),
    )
    p1 = make_patient(db, site_a, birth_year=1980, sex="female")
    d1 = make_dyad(db, p1, cm1, D(2021, 2, 1))
    d2 = dyad_service.transfer(
        db, SYSTEM, p1.id, TransferCreate(case_manager_id=cm2.id, on=D(2021, 8, 1))
    ).started
    add_measurement(db, p1, "wai-sr", D(2021, 2, 10), 3.0, dyad=d1)
    add_measurement(db, p1, "wai-sr", D(2021, 5, 10), 3.5, dyad=d1)
    add_measurement(db, p1, "wai-sr", D(2021, 8, 15), 4.0, dyad=d2)
    add_measurement(db, p1, "wai-sr-t", D(2021, 2, 20), 3.2, dyad=d1)
    add_measurement(db, p1, "wai-sr-t", D(2021, 7, 1), 2.0, dyad=d1)  # 52 days from 05-10: outside ±45
    add_measurement(db, p1, "honos", D(2021, 2, 1), 20)  # 9 days before 02-10: nearest
    add_measurement(db, p1, "honos", D(2021, 2, 25), 18)  # 15 days after
    wrong = add_measurement(db, p1, "honos", D(2021, 5, 1), 15)
    correct(db, wrong, 14)  # the corrected value counts, never the superseded one
    in_error = add_measurement(db, p1, "honos", D(2021, 8, 20), 9)
    correct(db, in_error, None, error=True)  # entered in error: no outcome for the 08-15 occasion
    add_measurement(db, p1, "honos", D(2021, 10, 20), 7)  # 66 days away: outside the window
    p2 = make_patient(db, site_a)
    d3 = make_dyad(db, p2, cm1)
    add_measurement(db, p2, "wai-sr", D(2021, 3, 1), 4.5, dyad=d3)
    consent_service.withdraw(
        db, SYSTEM, p2.id, WithdrawalCreate(level=WithdrawalLevel.exclude_data, effective_on=D(2022, 1, 1))
    )
    p3 = make_patient(db, site_b)
    d4 = make_dyad(db, p3, cm3)
    add_measurement(db, p3, "wai-sr", D(2021, 3, 1), 2.5, dyad=d4)
    return {"site_a": site_a, "site_b": site_b, "p1": p1, "d1": d1, "d2": d2, "cm1": cm1, "cm2": cm2}


def test_window_matching_corrections_and_consent(db: Session, study: dict) -> None:
    params = ExtractionParams(site_ids=(study["site_a"].id,))
    out = service.extract(db, SYSTEM, params)
    f = out.frame
    assert out.n_excluded_withdrawn == 1
    assert list(f["patient_id"].unique()) == [str(study["p1"].id)]
    assert list(f["dyad_id"]) == [str(study["d1"].id)] * 2 + [str(study["d2"].id)]
    assert list(f["cm_id"]) == [str(study["cm1"].id)] * 2 + [str(study["cm2"].id)]
    assert list(f["occasion"]) == [0, 1, 0]
    assert f["time"].tolist() == pytest.approx([9 / 30.4375, 98 / 30.4375, 14 / 30.4375])
    assert f["A_p"].tolist() == [3.0, 3.5, 4.0]
    assert f["A_c"].tolist()[0] == 3.2
    assert math.isnan(f["A_c"][1])
    assert math.isnan(f["A_c"][2])
    assert f["y"].tolist()[:2] == [20.0, 14.0]
    assert math.isnan(f["y"][2])
    assert f["y_gap_days"].tolist()[:2] == [-9.0, -9.0]
    assert f["female"].tolist() == [1.0, 1.0, 1.0]
    assert f["age"].tolist() == [41.0, 41.0, 41.0]


def test_case_manager_rater_anchor_and_wider_window(db: Session, study: dict) -> None:
    params = ExtractionParams(
        anchor_rater=RaterRole.CASE_MANAGER, window_days=60, site_ids=(study["site_a"].id,)
    )
    f = service.extract(db, SYSTEM, params).frame
    assert f["A_c"].tolist() == [3.2, 2.0]
    assert f["A_p"].tolist() == [3.0, 3.5]  # 07-01 is 52 days from 05-10: inside ±60


def test_clinic_sees_only_its_site(db: Session, study: dict) -> None:
    clinic_b = Principal(key_id=SYSTEM.key_id, role=Role.clinic, site_id=study["site_b"].id)
    f = service.extract(db, clinic_b, ExtractionParams()).frame
    assert f["A_p"].tolist() == [2.5]
    f_all = service.extract(db, SYSTEM, ExtractionParams()).frame
    assert sorted(f_all["A_p"].tolist()) == [2.5, 3.0, 3.5, 4.0]


def test_pseudonyms_are_hmac_and_match_python(db: Session, study: dict) -> None:
    key = b"k" * 32
    f = service.extract(db, SYSTEM, ExtractionParams(site_ids=(study["site_a"].id,)), key=key).frame
    assert set(f["patient_id"]) == {pseudonym(str(study["p1"].id), "P", key)}
    assert f["dyad_id"].str.startswith("D-").all()
    assert f["cm_id"].str.startswith("CM-").all()
