"""POST /submissions: per-row results, valid rows stored beside failing ones, duplicates, limits."""

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import AuditEvent, Measurement
from tests.factories import Keys, auth
from tests.measurements.conftest import Study, items

URL = "/api/v1/submissions"


def rating(study: Study, day: int, values: tuple[float, ...] = (9, 9, 9, 9)) -> dict[str, object]:
    return {
        "type": "alliance_rating",
        "dyad_id": str(study.dyad.id),
        "instrument": "srs",
        "rater": "patient",
        "rated_on": f"2021-03-{day:02d}",
        "items": items(*values),
    }


def outcome(study: Study, day: int) -> dict[str, object]:
    return {
        "type": "outcome_measure",
        "patient_code": "P-TEST01",
        "instrument": "k10",
        "rated_on": f"2021-03-{day:02d}",
        "items": items(*[2] * 10),
    }


def test_mixed_rows_with_errors_and_duplicates(
    client: TestClient, keys: Keys, study: Study, db: Session
) -> None:
    first = client.post(
        "/api/v1/alliance-ratings", json={**rating(study, 1), "type": None} | {}, headers=auth(keys.clinic_a)
    )
    assert first.status_code == 422  # `type` is not a field of the single endpoint
    rows = [
        rating(study, 2),
        outcome(study, 2),
        rating(study, 3, (9, 9, 99, 9)),  # out of range
        {"type": "alliance_rating", "rated_on": "bad"},  # schema errors
        rating(study, 2),  # duplicate within the batch
        {"type": "nope"},
        "not an object",
        outcome(study, 4) | {"patient_code": "P-NOPE"},
    ]
    r = client.post(URL, json={"rows": rows}, headers=auth(keys.clinic_a))
    assert r.status_code == 200, r.text
    data = r.json()
    statuses = [x["status"] for x in data["results"]]
    assert statuses == ["created", "created", "error", "error", "duplicate", "error", "error", "error"]
    assert (data["created"], data["duplicate"], data["error"]) == (2, 1, 5)
    results = data["results"]
    assert results[4]["id"] == results[0]["id"]
    assert results[2]["problem"]["errors"][0]["pointer"] == "/body/rows/2/items/3"
    assert results[2]["problem"]["status"] == 422
    assert any(e["pointer"].startswith("/body/rows/3/") for e in results[3]["problem"]["errors"])
    assert results[7]["problem"]["status"] == 404
    assert results[7]["problem"]["errors"][0]["pointer"] == "/body/rows/7/patient_code"
    assert db.scalar(select(func.count()).select_from(Measurement)) == 2
    created_ids = {uuid.UUID(results[0]["id"]), uuid.UUID(results[1]["id"])}
    events = db.scalars(select(AuditEvent).where(AuditEvent.entity_id.in_(created_ids))).all()
    assert {(e.entity_id, e.action) for e in events} == {(i, "create") for i in created_ids}
    again = client.post(URL, json={"rows": rows[:2]}, headers=auth(keys.clinic_a)).json()
    assert [x["status"] for x in again["results"]] == ["duplicate", "duplicate"]
    assert [x["id"] for x in again["results"]] == [results[0]["id"], results[1]["id"]]


def test_limits(client: TestClient, keys: Keys, study: Study) -> None:
    assert client.post(URL, json={"rows": []}, headers=auth(keys.admin)).status_code == 422
    too_many = {"rows": [{"type": "alliance_rating"}] * 5001}
    assert client.post(URL, json=too_many, headers=auth(keys.admin)).status_code in (413, 422)
    assert (
        client.post(URL, json={"rows": [rating(study, 1)]}, headers=auth(keys.researcher)).status_code == 403
    )
    assert client.post(URL, json=[rating(study, 1)], headers=auth(keys.admin)).status_code == 422


def test_five_thousand_rows(client: TestClient, keys: Keys, study: Study, db: Session) -> None:
    rows = [
        {
            "type": "alliance_rating",
            "dyad_id": str(study.dyad.id),
            "instrument": "wai-sr",
            "rater": "patient",
            "rated_on": f"{2022 + n // 365}-01-01",
            "occasion": str(n),
            "items": items(*[(n + k) % 5 + 1 for k in range(12)]),
        }
        for n in range(5000)
    ]
    r = client.post(URL, json={"rows": rows}, headers=auth(keys.admin))
    assert r.status_code == 200, r.text[:500]
    data = r.json()
    assert data["created"] + data["duplicate"] == 5000
    assert db.scalar(select(func.count()).select_from(Measurement)) == data["created"]


def test_clinic_cannot_submit_for_another_site(client: TestClient, keys: Keys, study: Study) -> None:
    r = client.post(URL, json={"rows": [rating(study, 1)]}, headers=auth(keys.clinic_b)).json()
    assert r["results"][0]["problem"]["status"] == 404


def test_row_type_of_the_wrong_json_type_is_a_row_error(client: TestClient, keys: Keys) -> None:
    """Found by the fuzzer: a non-string `type` was a 500."""
    answer = client.post("/api/v1/submissions", json={"rows": [{"type": []}]}, headers=auth(keys.admin))
    assert answer.status_code == 200, answer.text
    assert answer.json()["results"][0]["status"] == "error"
