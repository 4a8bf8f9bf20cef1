"""POST /outcome-measures: every built-in instrument through the API, special codes, change flags."""

import pytest
from fastapi.testclient import TestClient

from app.instruments.builtin import list_builtins
from app.instruments.definition import InstrumentDefinition, InstrumentKind, ResponseType
from tests.factories import Keys, auth
from tests.measurements.conftest import Study, items

OUTCOMES = "/api/v1/outcome-measures"
RATINGS = "/api/v1/alliance-ratings"


def mid_items(d: InstrumentDefinition) -> dict[str, float | int | None]:
    mid = (d.response.min + d.response.max) / 2
    value = int(mid) if d.response.integral else round(mid, 1)
    return items(*[value] * d.n_items)


@pytest.mark.parametrize("definition", list_builtins(), ids=lambda d: d.code)
def test_every_builtin_through_the_api(
    client: TestClient, keys: Keys, study: Study, definition: InstrumentDefinition
) -> None:
    body: dict[str, object] = {
        "instrument": definition.code,
        "rated_on": "2021-03-01",
        "rater": definition.raters[0].value,
    }
    if definition.response.type is ResponseType.SINGLE_SCORE:
        body["score"] = 55
    else:
        body["items"] = mid_items(definition)
    if definition.kind is InstrumentKind.ALLIANCE:
        url, body["dyad_id"] = RATINGS, str(study.dyad.id)
    else:
        url, body["patient_id"] = OUTCOMES, str(study.patient.id)
    r = client.post(url, json=body, headers=auth(keys.clinic_a))
    assert r.status_code == 201, r.text
    data = r.json()
    assert data["instrument_version"] == definition.version
    assert set(data["scores"]) == set(definition.scales)
    assert data["n_valid"] == definition.n_items
    assert data["kind"] == definition.kind.value


def honos(*values: int) -> dict[str, float | int | None]:
    return items(*values)


class TestOutcomes:
    def test_honos_special_code_counts_as_missing(self, client: TestClient, keys: Keys, study: Study) -> None:
        body = {
            "patient_id": str(study.patient.id),
            "instrument": "honos",
            "rated_on": "2021-03-01",
            "items": honos(2, 2, 2, 2, 2, 2, 2, 2, 9, 2, 2, 2),
        }
        r = client.post(OUTCOMES, json=body, headers=auth(keys.admin))
        assert r.status_code == 201, r.text
        data = r.json()
        assert data["total"] == 22
        assert data["n_valid"] == 11
        assert data["scores"]["social"]["prorated"] is True
        assert data["scores"]["social"]["value"] == 8
        assert data["items"]["9"] == 9  # raw responses are stored as given
        assert data["dyad_id"] == str(study.dyad.id)  # the dyad active on the date, for analysis

    def test_reliable_improvement_and_cutoff_crossing(
        self, client: TestClient, keys: Keys, study: Study
    ) -> None:
        base = {"patient_code": "P-TEST01", "instrument": "honos", "rater": "case_manager"}
        first = client.post(
            OUTCOMES,
            json={**base, "rated_on": "2021-03-01", "items": honos(*[2] * 12)},
            headers=auth(keys.clinic_a),
        )
        assert first.status_code == 201, first.text
        assert first.json()["flags"]["change"]["cutoffs"][0]["in_range"] is True  # 24 >= 11
        second = client.post(
            OUTCOMES,
            json={**base, "rated_on": "2021-06-01", "items": honos(*[0] * 12)},
            headers=auth(keys.clinic_a),
        )
        flags = second.json()["flags"]
        assert flags["previous_id"] == first.json()["id"]
        assert flags["change"]["reliable_change"] == "reliable_improvement"
        assert flags["change"]["cutoffs"][0]["crossing"] == "out_of"
        assert flags["change"]["clinical_significance"] == "recovered"

    def test_gaf_takes_a_score(self, client: TestClient, keys: Keys, study: Study) -> None:
        base = {"patient_id": str(study.patient.id), "instrument": "gaf", "rated_on": "2021-03-01"}
        assert (
            client.post(OUTCOMES, json={**base, "score": 61}, headers=auth(keys.admin)).json()["total"] == 61
        )
        r = client.post(OUTCOMES, json={**base, "items": {"1": 50}}, headers=auth(keys.admin))
        assert r.status_code == 422
        assert {e["pointer"] for e in r.json()["errors"]} >= {"/body/items", "/body/score"}
        r = client.post(OUTCOMES, json={**base, "score": 101}, headers=auth(keys.admin))
        assert r.status_code == 422
        assert r.json()["errors"][0]["pointer"] == "/body/score"

    def test_alliance_instrument_is_refused(self, client: TestClient, keys: Keys, study: Study) -> None:
        body = {
            "patient_id": str(study.patient.id),
            "instrument": "srs",
            "rated_on": "2021-03-01",
            "items": items(9, 9, 9, 9),
        }
        r = client.post(OUTCOMES, json=body, headers=auth(keys.admin))
        assert r.status_code == 422
        assert r.json()["type"].endswith("wrong-instrument-kind")

    def test_unknown_patient(self, client: TestClient, keys: Keys, study: Study) -> None:
        body = {
            "patient_code": "P-NOPE",
            "instrument": "k10",
            "rated_on": "2021-03-01",
            "items": items(*[2] * 10),
        }
        r = client.post(OUTCOMES, json=body, headers=auth(keys.clinic_a))
        assert r.status_code == 404
        assert r.json()["errors"][0]["pointer"] == "/body/patient_code"

    def test_list_filters(self, client: TestClient, keys: Keys, study: Study) -> None:
        for day, instrument in (("2021-03-01", "k10"), ("2021-04-01", "k10"), ("2021-05-01", "lsp-16")):
            n = 10 if instrument == "k10" else 16
            body = {
                "patient_id": str(study.patient.id),
                "instrument": instrument,
                "rated_on": day,
                "items": items(*[1] * n),
            }
            assert client.post(OUTCOMES, json=body, headers=auth(keys.admin)).status_code == 201
        h = auth(keys.admin)
        got = client.get(f"{OUTCOMES}?patient_id={study.patient.id}&instrument=k10", headers=h).json()
        assert [m["rated_on"] for m in got["items"]] == ["2021-03-01", "2021-04-01"]
        got = client.get(f"{OUTCOMES}?site_id={study.site.id}&rated_from=2021-04-01", headers=h).json()
        assert len(got["items"]) == 2
        page1 = client.get(f"{OUTCOMES}?patient_id={study.patient.id}&limit=2", headers=h).json()
        page2 = client.get(
            f"{OUTCOMES}?patient_id={study.patient.id}&limit=2&cursor={page1['next_cursor']}", headers=h
        ).json()
        assert len(page1["items"]) == 2
        assert len(page2["items"]) == 1
        assert page2["next_cursor"] is None
        assert client.get(f"{RATINGS}?patient_id={study.patient.id}", headers=h).json()["items"] == []
