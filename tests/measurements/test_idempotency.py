"""Idempotency-Key: replays, reuse with another body, and concurrent twins over real commits."""

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.models import IdempotencyKey, Measurement
from app.models.enums import Role
from tests.factories import Keys, auth, make_case_manager, make_dyad, make_key, make_patient, make_site
from tests.measurements.conftest import Study, items

URL = "/api/v1/alliance-ratings"


def body(study: Study, values: tuple[float, ...] = (9, 9, 9, 9)) -> dict[str, object]:
    return {
        "dyad_id": str(study.dyad.id),
        "instrument": "srs",
        "rater": "patient",
        "rated_on": "2021-03-01",
        "items": items(*values),
    }


def test_retry_replays_the_first_response(client: TestClient, keys: Keys, study: Study, db: Session) -> None:
    h = {**auth(keys.clinic_a), "Idempotency-Key": "abc-123"}
    first = client.post(URL, json=body(study), headers=h)
    assert first.status_code == 201, first.text
    # same body, other key order and whitespace: still the same request
    raw = json.dumps(dict(reversed(list(body(study).items()))), indent=2)
    again = client.post(URL, content=raw, headers={**h, "content-type": "application/json"})
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert db.scalar(select(func.count()).select_from(Measurement)) == 1


def test_same_key_other_body_is_refused(client: TestClient, keys: Keys, study: Study) -> None:
    h = {**auth(keys.clinic_a), "Idempotency-Key": "k1"}
    assert client.post(URL, json=body(study), headers=h).status_code == 201
    r = client.post(URL, json=body(study, (8, 8, 8, 8)), headers=h)
    assert r.status_code == 422
    assert r.json()["type"].endswith("idempotency-key-reused")
    r = client.post("/api/v1/outcome-measures", json=body(study), headers=h)
    assert r.status_code == 422


def test_keys_are_per_api_key_and_failures_are_not_remembered(
    client: TestClient, keys: Keys, study: Study
) -> None:
    h = {"Idempotency-Key": "shared"}
    bad = {**body(study), "items": items(99, 9, 9, 9)}
    assert client.post(URL, json=bad, headers={**auth(keys.clinic_a), **h}).status_code == 422
    assert client.post(URL, json=body(study), headers={**auth(keys.clinic_a), **h}).status_code == 201
    other = client.post(URL, json=body(study), headers={**auth(keys.admin), **h})
    assert other.status_code == 409  # its own key space: not a replay, so the natural duplicate shows


def test_invalid_key_header(client: TestClient, keys: Keys, study: Study) -> None:
    for key in ("x" * 256, "with space"):
        r = client.post(URL, json=body(study), headers={**auth(keys.admin), "Idempotency-Key": key})
        assert r.status_code == 422


@pytest.mark.commits
def test_concurrent_twins_store_one_result(client: TestClient, committed: Engine) -> None:
    with Session(committed, expire_on_commit=False) as db:
        site = make_site(db)
        patient = make_patient(db, site)
        cm = make_case_manager(db, site)
        dyad = make_dyad(db, patient, cm, started_on=date(2021, 2, 1))
        key = make_key(db, Role.clinic, site)
        db.commit()
    payload = {
        "dyad_id": str(dyad.id),
        "instrument": "wai-sr",
        "rater": "patient",
        "rated_on": "2021-03-01",
        "items": items(*[4] * 12),
    }
    idem = {**auth(key), "Idempotency-Key": str(uuid.uuid4())}
    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda _: client.post(URL, json=payload, headers=idem), range(16)))
    assert {r.status_code for r in responses} == {201}, [r.text for r in responses if r.status_code != 201]
    assert len({r.json()["id"] for r in responses}) == 1
    # without a key, concurrent natural duplicates still store one row (unique index), the rest get 409
    payload2 = {**payload, "rated_on": "2021-03-02"}
    with ThreadPoolExecutor(8) as pool:
        plain = list(pool.map(lambda _: client.post(URL, json=payload2, headers=auth(key)), range(16)))
    assert sorted(r.status_code for r in plain) == [201] + [409] * 15
    with Session(committed) as db:
        assert db.scalar(select(func.count()).select_from(Measurement)) == 2
        assert db.scalar(select(func.count()).select_from(IdempotencyKey)) == 1
