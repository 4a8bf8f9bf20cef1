"""POST /imports: wide and long CSV layouts, per-administration results with line numbers."""

from fastapi.testclient import TestClient

from tests.factories import Keys, auth
from tests.measurements.conftest import Study

URL = "/api/v1/imports"


def post_csv(client: TestClient, key: str, text: str, **params: str) -> dict:
    h = {**auth(key), "content-type": "text/csv"}
    r = client.post(URL, content=text.encode(), params=params, headers=h)
    assert r.status_code == 200, r.text
    return r.json()


def test_wide_layout(client: TestClient, keys: Keys, study: Study) -> None:
    header = "patient_study_id,rated_on,occasion,rater," + ",".join(f"item_{i}" for i in range(1, 13))
    lines = [
        header,
        "P-TEST01,2021-03-01,baseline,case_manager,2,2,2,2,2,2,2,2,9,2,2,2",
        "P-TEST01,2021-06-01,w12,case_manager,1,1,1,1,1,1,1,1,1,1,1,",
        "P-TEST01,2021-09-01,w24,case_manager,1,1,7,1,1,1,1,1,1,1,1,1",
        "P-NOPE,2021-09-01,w24,case_manager,1,1,1,1,1,1,1,1,1,1,1,1",
        "P-TEST01,2021-03-01,baseline,case_manager,2,2,2,2,2,2,2,2,9,2,2,2",
        "P-TEST01,2021-12-01,w36,case_manager,x,1,1,1,1,1,1,1,1,1,1,1",
    ]
    data = post_csv(client, keys.clinic_a, "\n".join(lines) + "\n", instrument="honos")
    statuses = [r["status"] for r in data["results"]]
    assert statuses == ["created", "created", "error", "error", "duplicate", "error"]
    assert [r["lines"] for r in data["results"]] == [[2], [3], [4], [5], [6], [7]]
    assert data["results"][2]["problem"]["errors"][0]["pointer"] == "/csv/rows/2/items/3"
    assert data["results"][3]["problem"]["status"] == 404
    assert data["results"][5]["problem"]["errors"][0]["pointer"].startswith("/csv/rows/5/items/1")
    assert data["results"][4]["id"] == data["results"][0]["id"]


def test_long_layout_alliance(client: TestClient, keys: Keys, study: Study) -> None:
    lines = ["instrument,patient_study_id,case_manager_code,rater,rated_on,item,value"]
    for i, v in enumerate((9.1, 9.2, 9.3, 9.4), start=1):
        lines.append(f"srs,P-TEST01,CM01,patient,2021-03-01,{i},{v}")
    lines.append("srs,P-TEST01,CM01,patient,2021-03-08,1,9")
    lines.append("srs,P-TEST01,CM01,patient,2021-03-08,1,8")  # repeated item
    data = post_csv(client, keys.clinic_a, "\n".join(lines), layout="long")
    first, second = data["results"]
    assert first["status"] == "created"
    assert first["lines"] == [2, 3, 4, 5]
    assert second["status"] == "error"
    got = client.get(f"/api/v1/alliance-ratings/{first['id']}", headers=auth(keys.clinic_a)).json()
    assert got["total"] == 37.0


def test_gaf_score_and_multipart(client: TestClient, keys: Keys, study: Study) -> None:
    text = "instrument,patient_id,rated_on,score\ngaf," + str(study.patient.id) + ",2021-03-01,55\n"
    r = client.post(URL, files={"file": ("gaf.csv", text, "text/csv")}, headers=auth(keys.admin))
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 1


def test_malformed_files(client: TestClient, keys: Keys, study: Study) -> None:
    h = {**auth(keys.admin), "content-type": "text/csv"}
    for body in (
        b"",
        b"\xff\xfe\x00bad",
        b"nope,cols\n1,2\n",
        b"patient_id,rated_on\n",
        b'instrument,"unterminated\n',
    ):
        r = client.post(URL, content=body, headers=h)
        assert r.status_code == 422, (body, r.text)
    r = client.post(URL, content=b"instrument,rated_on\nk10,2021-01-01,extra\n", headers=h)
    assert r.status_code == 200
    assert r.json()["results"][0]["status"] == "error"
    assert (
        client.post(
            URL, content=b"x", headers={**auth(keys.researcher), "content-type": "text/csv"}
        ).status_code
        == 403
    )
    huge = "instrument,patient_id,rated_on,score\n" + "gaf,x,2021-01-01,1\n" * 5001
    assert client.post(URL, content=huge.encode(), headers=h).status_code == 413
