"""The foundation's end-to-end story, as a clinic system would drive it over HTTP."""

from fastapi.testclient import TestClient

from tests.factories import Keys, auth


def test_site_case_manager_patient_dyad_transfer_and_overlap(client: TestClient, keys: Keys) -> None:
    admin = auth(keys.admin)
    site = client.post("/api/v1/sites", json={"code": "BNE-NORTH", "name": "Brisbane North"}, headers=admin)
    assert site.status_code == 201, site.text
    site_id = site.json()["id"]
    cms = [
        client.post(
            "/api/v1/case-managers",
            json={"site_id": site_id, "code": code, "discipline": "nursing", "started_on": "2020-01-01"},
            headers=admin,
        ).json()["id"]
        for code in ("CM01", "CM02")
    ]
    patient = client.post(
        "/api/v1/patients", json={"site_id": site_id, "enrolled_on": "2021-01-01"}, headers=admin
    ).json()
    assert patient["study_id"].startswith("P-")
    dyad = client.post(
        "/api/v1/dyads",
        json={"patient_id": patient["id"], "case_manager_id": cms[0], "started_on": "2021-01-05"},
        headers=admin,
    )
    assert dyad.status_code == 201, dyad.text

    moved = client.post(
        f"/api/v1/patients/{patient['id']}/transfer",
        json={"case_manager_id": cms[1], "on": "2021-06-01"},
        headers=admin,
    )
    assert moved.status_code == 201, moved.text
    assert moved.json()["ended"]["ended_on"] == "2021-05-31"
    assert moved.json()["ended"]["end_reason"] == "transfer"
    assert moved.json()["started"]["case_manager_id"] == cms[1]

    overlap = client.post(
        "/api/v1/dyads",
        json={"patient_id": patient["id"], "case_manager_id": cms[0], "started_on": "2021-07-01"},
        headers=admin,
    )
    assert overlap.status_code == 409
    assert overlap.headers["content-type"] == "application/problem+json"
    assert overlap.json()["errors"][0]["pointer"] == "/body/started_on"

    active = client.get(
        f"/api/v1/dyads?patient_id={patient['id']}&active_on=2021-05-31", headers=admin
    ).json()
    assert [d["case_manager_id"] for d in active["items"]] == [cms[0]]

    by_code = client.get(f"/api/v1/patients?site_id={site_id}&study_id={patient['study_id']}", headers=admin)
    assert [p["id"] for p in by_code.json()["items"]] == [patient["id"]]
    cm_by_code = client.get(f"/api/v1/case-managers?site_id={site_id}&code=CM02", headers=admin)
    assert [c["id"] for c in cm_by_code.json()["items"]] == [cms[1]]

    hidden = client.get(f"/api/v1/patients/{patient['id']}", headers=auth(keys.clinic_b))
    assert hidden.status_code == 404
