"""POST/GET /alliance-ratings: scoring, addressing, errors as problems."""

from fastapi.testclient import TestClient

from tests.factories import Keys, auth
from tests.measurements.conftest import Study, items

URL = "/api/v1/alliance-ratings"
WAI = items(5, 4, 3, 2, 1, 5, 4, 3, 2, 1, 5, 4)


class TestCreate:
    def test_by_dyad_scores_and_flags(self, client: TestClient, keys: Keys, study: Study) -> None:
        body = {
            "dyad_id": str(study.dyad.id),
            "instrument": "wai-sr",
            "rater": "patient",
            "rated_on": "2021-03-01",
            "items": WAI,
        }
        r = client.post(URL, json=body, headers=auth(keys.clinic_a))
        assert r.status_code == 201, r.text
        data = r.json()
        assert data["instrument"] == "wai-sr"
        assert data["instrument_version"] == "2006"
        assert data["scores"]["task"]["value"] == 3.5
        assert data["total"] == 39 / 12
        assert data["n_valid"] == 12
        assert data["prorated"] is False
        assert data["patient_id"] == str(study.patient.id)
        assert data["case_manager_id"] == str(study.cm.id)
        assert data["flags"]["previous_id"] is None
        got = client.get(f"{URL}/{data['id']}", headers=auth(keys.clinic_a))
        assert got.status_code == 200
        assert got.json()["items"] == WAI

    def test_by_codes_with_clinic_key(self, client: TestClient, keys: Keys, study: Study) -> None:
        body = {
            "patient_code": "P-TEST01",
            "case_manager_code": "CM01",
            "instrument": "srs",
            "rater": "patient",
            "rated_on": "2021-03-01",
            "items": items(9.5, 9.1, 8.8, 9.0),
        }
        r = client.post(URL, json=body, headers=auth(keys.clinic_a))
        assert r.status_code == 201, r.text
        assert r.json()["dyad_id"] == str(study.dyad.id)
        assert r.json()["total"] == 36.4

    def test_by_codes_with_admin_needs_site(self, client: TestClient, keys: Keys, study: Study) -> None:
        body = {
            "patient_code": "P-TEST01",
            "case_manager_code": "CM01",
            "instrument": "srs",
            "rater": "patient",
            "rated_on": "2021-03-01",
            "items": items(9, 9, 9, 9),
        }
        r = client.post(URL, json=body, headers=auth(keys.admin))
        assert r.status_code == 422
        assert r.json()["errors"][0]["pointer"] == "/body/site_id"
        r = client.post(URL, json={**body, "site_code": study.site.code}, headers=auth(keys.admin))
        assert r.status_code == 201, r.text

    def test_by_ids_finds_the_active_dyad(self, client: TestClient, keys: Keys, study: Study) -> None:
        body = {
            "patient_id": str(study.patient.id),
            "case_manager_id": str(study.cm.id),
            "instrument": "star-c",
            "rater": "case_manager",
            "rated_on": "2021-03-01",
            "items": items(*[3] * 12),
        }
        r = client.post(URL, json=body, headers=auth(keys.admin))
        assert r.status_code == 201, r.text
        assert r.json()["total"] == 36
        before = client.post(URL, json={**body, "rated_on": "2021-01-15"}, headers=auth(keys.admin))
        assert before.status_code == 422
        assert before.json()["errors"][0]["pointer"] == "/body/rated_on"

    def test_dyad_period_is_checked(self, client: TestClient, keys: Keys, study: Study) -> None:
        body = {
            "dyad_id": str(study.dyad.id),
            "instrument": "srs",
            "rater": "patient",
            "rated_on": "2020-12-31",
            "items": items(9, 9, 9, 9),
        }
        r = client.post(URL, json=body, headers=auth(keys.admin))
        assert r.status_code == 422
        assert r.json()["errors"][0]["pointer"] == "/body/rated_on"

    def test_rater_must_be_allowed(self, client: TestClient, keys: Keys, study: Study) -> None:
        body = {
            "dyad_id": str(study.dyad.id),
            "instrument": "wai-sr",
            "rater": "case_manager",
            "rated_on": "2021-03-01",
            "items": WAI,
        }
        r = client.post(URL, json=body, headers=auth(keys.admin))
        assert r.status_code == 422
        assert r.json()["errors"][0]["pointer"] == "/body/rater"

    def test_item_problems_point_at_each_item(self, client: TestClient, keys: Keys, study: Study) -> None:
        bad = {**WAI, "3": 9, "5": 2.5, "13": 1}
        body = {
            "dyad_id": str(study.dyad.id),
            "instrument": "wai-sr",
            "rater": "patient",
            "rated_on": "2021-03-01",
            "items": bad,
        }
        r = client.post(URL, json=body, headers=auth(keys.admin))
        assert r.status_code == 422, r.text
        assert r.headers["content-type"] == "application/problem+json"
        pointers = sorted(e["pointer"] for e in r.json()["errors"])
        assert pointers == ["/body/items/13", "/body/items/3", "/body/items/5"]

    def test_too_many_missing(self, client: TestClient, keys: Keys, study: Study) -> None:
        body = {
            "dyad_id": str(study.dyad.id),
            "instrument": "srs",
            "rater": "patient",
            "rated_on": "2021-03-01",
            "items": items(9, 9, 9, None),
        }
        r = client.post(URL, json=body, headers=auth(keys.admin))
        assert r.status_code == 422
        assert r.json()["errors"][0]["pointer"] == "/body/items"

    def test_outcome_instrument_is_refused(self, client: TestClient, keys: Keys, study: Study) -> None:
        body = {
            "dyad_id": str(study.dyad.id),
            "instrument": "ors",
            "rater": "patient",
            "rated_on": "2021-03-01",
            "items": items(9, 9, 9, 9),
        }
        r = client.post(URL, json=body, headers=auth(keys.admin))
        assert r.status_code == 422
        assert r.json()["errors"][0]["pointer"] == "/body/instrument"

    def test_unknown_instrument(self, client: TestClient, keys: Keys, study: Study) -> None:
        body = {
            "dyad_id": str(study.dyad.id),
            "instrument": "wai-sr@1999",
            "rater": "patient",
            "rated_on": "2021-03-01",
            "items": WAI,
        }
        r = client.post(URL, json=body, headers=auth(keys.admin))
        assert r.status_code == 404
        assert r.json()["type"].endswith("unknown-instrument")

    def test_natural_duplicate_is_409_with_existing_id(
        self, client: TestClient, keys: Keys, study: Study
    ) -> None:
        body = {
            "dyad_id": str(study.dyad.id),
            "instrument": "wai-sr",
            "rater": "patient",
            "rated_on": "2021-03-01",
            "items": WAI,
        }
        first = client.post(URL, json=body, headers=auth(keys.admin))
        floats = {k: float(v) for k, v in WAI.items()}  # 4 == 4.0
        again = client.post(URL, json={**body, "items": floats, "occasion": "x"}, headers=auth(keys.admin))
        assert again.status_code == 409
        assert again.json()["existing_id"] == first.json()["id"]
        listed = client.get(f"{URL}?dyad_id={study.dyad.id}", headers=auth(keys.admin)).json()
        assert len(listed["items"]) == 1

    def test_scoping_and_roles(self, client: TestClient, keys: Keys, study: Study) -> None:
        body = {
            "dyad_id": str(study.dyad.id),
            "instrument": "srs",
            "rater": "patient",
            "rated_on": "2021-03-01",
            "items": items(9, 9, 9, 9),
        }
        assert client.post(URL, json=body, headers=auth(keys.clinic_b)).status_code == 404
        assert client.post(URL, json=body, headers=auth(keys.researcher)).status_code == 403
        created = client.post(URL, json=body, headers=auth(keys.clinic_a)).json()
        assert client.get(f"{URL}/{created['id']}", headers=auth(keys.clinic_b)).status_code == 404
        assert client.get(f"{URL}/{created['id']}", headers=auth(keys.researcher)).status_code == 403
        assert client.get(URL, headers=auth(keys.clinic_b)).json()["items"] == []


class TestNo500:
    def test_malformed_and_wrong_types(self, client: TestClient, keys: Keys, study: Study) -> None:
        h = {**auth(keys.admin), "content-type": "application/json"}
        assert client.post(URL, content=b"{not json", headers=h).status_code == 422
        assert client.post(URL, content=b"[]", headers=h).status_code == 422
        base = {
            "dyad_id": str(study.dyad.id),
            "instrument": "srs",
            "rater": "patient",
            "rated_on": "2021-03-01",
        }
        for bad in (
            {"items": {"1": "9"}},
            {"items": {"1": True}},
            {"items": [9, 9, 9, 9]},
            {"items": {"1": 1e400}},
            {"items": {"x" * 50: 1}},
            {"items": items(9, 9, 9, 9), "rater": "doctor"},
            {"items": items(9, 9, 9, 9), "rated_on": "3021-01-01"},
            {"items": items(9, 9, 9, 9), "instrument": "SRS; drop table"},
            {"items": items(9, 9, 9, 9), "extra": 1},
            {"items": {"0": 1, "-1": 2, "01": 3, "1.5": 4}},
            {"items": items(-0.0001, 10.0001, 5.05, float("nan"))},
        ):
            r = client.post(URL, content=__import__("json").dumps({**base, **bad}), headers=h)
            assert r.status_code == 422, (bad, r.text)
