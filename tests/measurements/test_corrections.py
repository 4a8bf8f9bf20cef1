"""Corrections add versions; reads show the current one; history shows all; entered-in-error is a version."""

from fastapi.testclient import TestClient

from tests.factories import Keys, auth
from tests.measurements.conftest import Study, items

URL = "/api/v1/alliance-ratings"


def create(client: TestClient, keys: Keys, study: Study, values: tuple[float, ...] = (9, 9, 9, 9)) -> dict:
    body = {
        "dyad_id": str(study.dyad.id),
        "instrument": "srs",
        "rater": "patient",
        "rated_on": "2021-03-01",
        "items": items(*values),
    }
    r = client.post(URL, json=body, headers=auth(keys.clinic_a))
    assert r.status_code == 201, r.text
    return r.json()


def test_correction_versions_and_history(client: TestClient, keys: Keys, study: Study) -> None:
    first = create(client, keys, study)
    fix = {"items": items(9, 9, 9, 8), "reason": "transcription error on item 4"}
    r = client.post(f"{URL}/{first['id']}/corrections", json=fix, headers=auth(keys.clinic_a))
    assert r.status_code == 201, r.text
    assert r.json()["id"] == first["id"]
    assert r.json()["version"] == 2
    assert r.json()["total"] == 35
    current = client.get(f"{URL}/{first['id']}", headers=auth(keys.clinic_a)).json()
    assert current["version"] == 2
    assert current["reason"] == fix["reason"]
    history = client.get(f"{URL}/{first['id']}/history", headers=auth(keys.clinic_a)).json()
    assert [(h["version"], h["total"]) for h in history] == [(1, 36), (2, 35)]
    assert history[0]["version_id"] != history[1]["version_id"]
    listed = client.get(f"{URL}?dyad_id={study.dyad.id}", headers=auth(keys.admin)).json()["items"]
    assert [m["version"] for m in listed] == [2]
    audit = client.get(f"/api/v1/audit-events?entity_id={first['id']}", headers=auth(keys.admin))
    if audit.status_code == 200:
        assert {"create", "correct"} <= {e["action"] for e in audit.json()["items"]}


def test_reason_required_and_validated(client: TestClient, keys: Keys, study: Study) -> None:
    first = create(client, keys, study)
    url = f"{URL}/{first['id']}/corrections"
    assert client.post(url, json={"items": items(9, 9, 9, 8)}, headers=auth(keys.admin)).status_code == 422
    r = client.post(url, json={"items": items(9, 9, 9, 11), "reason": "typo fix"}, headers=auth(keys.admin))
    assert r.status_code == 422
    assert r.json()["errors"][0]["pointer"] == "/body/items/4"
    r = client.post(url, json={"reason": "nothing at all"}, headers=auth(keys.admin))
    assert r.status_code == 422
    r = client.post(url, json={"rated_on": "2020-01-01", "reason": "wrong date"}, headers=auth(keys.admin))
    assert r.status_code == 422
    assert r.json()["errors"][0]["pointer"] == "/body/rated_on"
    assert (
        client.post(url, json={"reason": "x", "items": {}}, headers=auth(keys.researcher)).status_code == 403
    )
    gone = {"reason": "abc", "status": "entered_in_error"}
    assert (
        client.post(f"{URL}/{study.dyad.id}/corrections", json=gone, headers=auth(keys.admin)).status_code
        == 404
    )


def test_entered_in_error_frees_the_natural_key(client: TestClient, keys: Keys, study: Study) -> None:
    first = create(client, keys, study)
    gone = {"status": "entered_in_error", "reason": "wrong patient"}
    r = client.post(f"{URL}/{first['id']}/corrections", json=gone, headers=auth(keys.admin))
    assert r.status_code == 201
    assert r.json()["status"] == "entered_in_error"
    assert client.get(f"{URL}?dyad_id={study.dyad.id}", headers=auth(keys.admin)).json()["items"] == []
    with_error = client.get(
        f"{URL}?dyad_id={study.dyad.id}&include_entered_in_error=true", headers=auth(keys.admin)
    )
    assert len(with_error.json()["items"]) == 1
    again = create(client, keys, study)
    assert again["id"] != first["id"]


def test_correction_into_a_duplicate_is_409(client: TestClient, keys: Keys, study: Study) -> None:
    create(client, keys, study, (9, 9, 9, 9))
    other = create(client, keys, study, (8, 8, 8, 8))
    r = client.post(
        f"{URL}/{other['id']}/corrections",
        json={"items": items(9, 9, 9, 9), "reason": "retype"},
        headers=auth(keys.admin),
    )
    assert r.status_code == 409
