"""GET /patients/{id}/timeline: date-ordered series with reliable change, cut-offs and alliance drops."""

from fastapi.testclient import TestClient

from tests.factories import Keys, auth
from tests.measurements.conftest import Study, items


def post(client: TestClient, keys: Keys, url: str, body: dict[str, object]) -> None:
    r = client.post(url, json=body, headers=auth(keys.clinic_a))
    assert r.status_code == 201, r.text


def test_timeline_flags(client: TestClient, keys: Keys, study: Study) -> None:
    srs = {"dyad_id": str(study.dyad.id), "instrument": "srs", "rater": "patient"}
    # out of order on purpose: the timeline sorts by date
    for day, values in (
        ("2021-03-15", (9.5, 9.5, 9.0, 9.0)),
        ("2021-03-01", (9.5, 9.5, 9.5, 9.5)),
        ("2021-03-29", (9.0, 9.0, 8.5, 8.5)),
    ):
        post(client, keys, "/api/v1/alliance-ratings", {**srs, "rated_on": day, "items": items(*values)})
    star = {"dyad_id": str(study.dyad.id), "instrument": "star-c", "rater": "case_manager"}
    post(
        client,
        keys,
        "/api/v1/alliance-ratings",
        {**star, "rated_on": "2021-03-01", "items": items(*[3] * 12)},
    )
    honos = {"patient_id": str(study.patient.id), "instrument": "honos", "rater": "case_manager"}
    for day, v in (("2021-03-01", 2), ("2021-06-01", 1), ("2021-09-01", 0)):
        post(client, keys, "/api/v1/outcome-measures", {**honos, "rated_on": day, "items": items(*[v] * 12)})

    r = client.get(f"/api/v1/patients/{study.patient.id}/timeline", headers=auth(keys.clinic_a))
    assert r.status_code == 200, r.text
    data = r.json()
    assert [d["id"] for d in data["dyads"]] == [str(study.dyad.id)]
    by_rater = {(s["instrument"], s["rater"]): s for s in data["alliance"]}
    assert set(by_rater) == {("srs", "patient"), ("star-c", "case_manager")}
    points = by_rater[("srs", "patient")]["points"]
    assert [p["rated_on"] for p in points] == ["2021-03-01", "2021-03-15", "2021-03-29"]
    assert [p["total"] for p in points] == [38, 37, 35]
    assert points[0]["flags"] == []
    assert points[1]["flags"] == ["alliance_drop"]  # fell by 1
    assert "alliance_drop" in points[2]["flags"]
    assert "into_alliance_concern" in points[2]["flags"]  # below 36
    (outcome,) = data["outcomes"]
    assert [p["total"] for p in outcome["points"]] == [24, 12, 0]
    assert "reliable_improvement" in outcome["points"][1]["flags"]  # 12 >= 8
    assert "out_of_clinical" in outcome["points"][2]["flags"]  # 12 -> 0 crosses 11
    assert "into_remission" in outcome["points"][2]["flags"]
    assert (
        client.get(f"/api/v1/patients/{study.patient.id}/timeline", headers=auth(keys.clinic_b)).status_code
        == 404
    )
