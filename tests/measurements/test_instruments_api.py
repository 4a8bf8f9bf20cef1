"""The instrument registry over HTTP: list, read, register new versions (admin), data dictionary."""

from fastapi.testclient import TestClient

from app.instruments.builtin import get_builtin, list_builtins
from tests.factories import Keys, auth
from tests.measurements.conftest import Study, items

URL = "/api/v1/instruments"


def test_list_and_get(client: TestClient, keys: Keys) -> None:
    listed = client.get(URL, headers=auth(keys.researcher))
    assert listed.status_code == 200
    assert {i["code"] for i in listed.json()} == {d.code for d in list_builtins()}
    alliance = client.get(f"{URL}?kind=alliance", headers=auth(keys.researcher)).json()
    assert {i["code"] for i in alliance} == {"wai-sr", "wai-sr-t", "srs", "haq-ii", "star-p", "star-c"}
    honos = client.get(f"{URL}/honos", headers=auth(keys.clinic_a)).json()
    assert honos["version"] == "1998"
    assert honos["builtin"]
    assert honos["latest"]
    assert honos["definition"]["special_codes"] == {"9": "not_known"}
    assert client.get(f"{URL}/nope", headers=auth(keys.admin)).status_code == 404
    assert client.get(URL).status_code == 401


def test_register_new_version_and_use_it(client: TestClient, keys: Keys, study: Study) -> None:
    base = get_builtin("srs").model_dump(mode="json")
    custom = {**base, "code": "srs-local", "version": "1"}
    assert client.post(URL, json=custom, headers=auth(keys.clinic_a)).status_code == 403
    r = client.post(URL, json=custom, headers=auth(keys.admin))
    assert r.status_code == 201, r.text
    assert client.post(URL, json=custom, headers=auth(keys.admin)).status_code == 409  # immutable
    v2 = {**custom, "version": "2", "cutoffs": [], "alliance_drop": {**base["alliance_drop"], "below": 30}}
    assert client.post(URL, json=v2, headers=auth(keys.admin)).status_code == 201
    got = client.get(f"{URL}/srs-local", headers=auth(keys.admin)).json()
    assert got["version"] == "2"
    assert got["latest"]
    assert client.get(f"{URL}/srs-local?version=1", headers=auth(keys.admin)).json()["latest"] is False
    rating = {
        "dyad_id": str(study.dyad.id),
        "rater": "patient",
        "rated_on": "2021-03-01",
        "items": items(9, 9, 9, 9),
    }
    r = client.post(
        "/api/v1/alliance-ratings", json={**rating, "instrument": "srs-local"}, headers=auth(keys.admin)
    )
    assert r.status_code == 201, r.text
    assert r.json()["instrument_version"] == "2"
    pinned = {**rating, "instrument": "srs-local@1", "rated_on": "2021-03-02"}
    r = client.post("/api/v1/alliance-ratings", json=pinned, headers=auth(keys.admin))
    assert r.json()["instrument_version"] == "1"


def test_invalid_definitions_are_422(client: TestClient, keys: Keys) -> None:
    base = get_builtin("k10").model_dump(mode="json")
    for bad in (
        {**base, "code": "Bad Code"},
        {**base, "code": "k10x", "scales": {"total": [1, 99]}},
        {**base, "code": "k10y", "item_wording": {"1": "no"}},
        {"code": "k10z"},
    ):
        assert client.post(URL, json=bad, headers=auth(keys.admin)).status_code == 422


def test_data_dictionary(client: TestClient, keys: Keys) -> None:
    r = client.get(f"{URL}/honos/data-dictionary", headers=auth(keys.clinic_a))
    assert r.status_code == 200
    wide = [c["name"] for c in r.json()["wide"]]
    assert wide[-12:] == [f"item_{i}" for i in range(1, 13)]
    assert "patient_study_id" in wide
    assert "rated_on" in wide
    assert r.json()["wide"][-1]["special_codes"] == {"9": "not_known"}
    long = [c["name"] for c in r.json()["long"]]
    assert long[-2:] == ["item", "value"]
    gaf = client.get(f"{URL}/gaf/data-dictionary", headers=auth(keys.clinic_a)).json()
    assert gaf["wide"][-1]["name"] == "score"
