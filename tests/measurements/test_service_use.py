"""Service-use windows: counts over a period with exposure, versioned, consent-checked and audited."""

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AuditEvent
from tests.factories import Keys, auth, make_patient

URL = "/api/v1/service-use"


def window(patient_id: str, **fields: object) -> dict[str, object]:
    return {"patient_id": patient_id, "window_start": "2021-01-01", "window_end": "2021-03-31", **fields}


def test_create_defaults_exposure_to_the_whole_window_and_audits(
    client: TestClient, keys: Keys, db: Session
) -> None:
    patient = make_patient(db, keys.site_a)
    created = client.post(
        URL, json=window(str(patient.id), n_admissions=2, bed_days=9), headers=auth(keys.admin)
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["days_at_risk"], body["n_admissions"], body["bed_days"], body["version"]) == (90, 2, 9, 1)
    events = db.scalars(select(AuditEvent).where(AuditEvent.entity_id == body["id"])).all()
    assert [e.action.value for e in events] == ["create"]
    assert events[0].changes["n_admissions"] == 2


def test_clinic_addresses_the_patient_by_study_id(client: TestClient, keys: Keys, db: Session) -> None:
    patient = make_patient(db, keys.site_a, study_id="P-SERVICE1")
    body = {"patient_code": "P-SERVICE1", "window_start": "2021-01-01", "window_end": "2021-01-31"}
    created = client.post(URL, json=body, headers=auth(keys.clinic_a))
    assert created.status_code == 201, created.text
    assert created.json()["patient_id"] == str(patient.id)
    assert client.post(URL, json=body, headers=auth(keys.clinic_b)).status_code == 404


def test_identical_window_is_a_duplicate_naming_the_stored_one(
    client: TestClient, keys: Keys, db: Session
) -> None:
    patient = make_patient(db, keys.site_a)
    first = client.post(URL, json=window(str(patient.id), n_admissions=1), headers=auth(keys.admin))
    again = client.post(URL, json=window(str(patient.id), n_admissions=1), headers=auth(keys.admin))
    assert again.status_code == 409
    assert again.json()["existing_id"] == first.json()["id"]


def test_impossible_windows_are_refused_with_the_field_named(
    client: TestClient, keys: Keys, db: Session
) -> None:
    patient = make_patient(db, keys.site_a)
    for bad in (
        {"window_end": "2020-12-31"},
        {"days_at_risk": 91},
        {"bed_days": 100},
        {"n_admissions": -1},
    ):
        answer = client.post(URL, json={**window(str(patient.id)), **bad}, headers=auth(keys.admin))
        assert answer.status_code == 422, (bad, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["errors"]


def test_correction_adds_a_version_and_keeps_history(client: TestClient, keys: Keys, db: Session) -> None:
    patient = make_patient(db, keys.site_a)
    created = client.post(URL, json=window(str(patient.id), n_admissions=1), headers=auth(keys.admin)).json()
    fixed = client.post(
        f"{URL}/{created['id']}/corrections",
        json={**window(str(patient.id), n_admissions=3), "reason": "late linkage data"}
        | {"patient_id": None},
        headers=auth(keys.admin),
    )
    assert fixed.status_code == 422  # a correction restates counts only; the patient is not changeable
    fixed = client.post(
        f"{URL}/{created['id']}/corrections",
        json={
            "window_start": "2021-01-01",
            "window_end": "2021-03-31",
            "n_admissions": 3,
            "reason": "late data",
        },
        headers=auth(keys.admin),
    )
    assert fixed.status_code == 201, fixed.text
    assert (fixed.json()["id"], fixed.json()["version"], fixed.json()["n_admissions"]) == (
        created["id"],
        2,
        3,
    )
    current = client.get(f"{URL}/{created['id']}", headers=auth(keys.admin)).json()
    assert current["n_admissions"] == 3
    history = client.get(f"{URL}/{created['id']}/history", headers=auth(keys.admin)).json()
    assert [(v["version"], v["n_admissions"], v["reason"]) for v in history] == [
        (1, 1, None),
        (2, 3, "late data"),
    ]


def test_withdrawn_patient_gets_no_new_windows(client: TestClient, keys: Keys, db: Session) -> None:
    patient = make_patient(db, keys.site_a)
    withdrawal = {"level": "stop_collection", "effective_on": "2021-05-01"}
    assert (
        client.post(
            f"/api/v1/patients/{patient.id}/withdrawal", json=withdrawal, headers=auth(keys.admin)
        ).status_code
        == 201
    )
    refused = client.post(URL, json=window(str(patient.id)), headers=auth(keys.admin))
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("consent-withdrawn")


def test_list_filters_by_patient_and_overlap(client: TestClient, keys: Keys, db: Session) -> None:
    patient = make_patient(db, keys.site_a)
    other = make_patient(db, keys.site_a)
    for p, start, end in (
        (patient, "2021-01-01", "2021-03-31"),
        (patient, "2021-04-01", "2021-06-30"),
        (other, "2021-01-01", "2021-03-31"),
    ):
        body = {"patient_id": str(p.id), "window_start": start, "window_end": end}
        assert client.post(URL, json=body, headers=auth(keys.admin)).status_code == 201
    listed = client.get(
        URL, params={"patient_id": str(patient.id), "overlaps_from": "2021-05-01"}, headers=auth(keys.admin)
    ).json()
    assert [(w["window_start"], w["window_end"]) for w in listed["items"]] == [("2021-04-01", "2021-06-30")]
