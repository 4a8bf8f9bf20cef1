"""POST → 202 → worker → succeeded; cache; dataset round trip; identical to the library on the export."""

import io
import uuid

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from analysis.fit import fit_model
from analysis.result import ModelResult
from analysis.spec import ModelSpec
from app.auth.principal import Principal
from app.core import disclosure
from app.models.enums import Role
from tests.analyses.conftest import Study
from tests.factories import auth

pytestmark = pytest.mark.commits
URL = "/api/v1/analyses"


def test_request_run_cache_and_dataset(client: TestClient, study: Study, drain) -> None:  # type: ignore[no-untyped-def]
    key = auth(study.keys.researcher)
    r = client.post(URL, json={"template": "T2"}, headers=key)
    assert r.status_code == 202, r.text
    run = r.json()
    assert r.headers["location"].endswith(f"{URL}/{run['id']}")
    assert run["status"] == "queued"
    assert not run["cached"]
    assert run["dataset_rows"] > 0

    drain()
    done = client.get(f"{URL}/{run['id']}", headers=auth(study.keys.admin)).json()  # nothing suppressed
    seen = client.get(f"{URL}/{run['id']}", headers=key).json()  # small cells suppressed for researchers
    researcher = Principal(key_id=uuid.uuid4(), role=Role.researcher, site_id=None)
    assert seen == disclosure.protect(researcher, done)
    assert done["suppressed"] == []
    assert done["status"] == "succeeded", done["error"]
    assert done["attempts"] == 1
    assert done["library_versions"]["statsmodels"]
    assert done["result"]["template"] == "T2"
    assert done["instrument_versions"]["wai-sr"] == {"2006": run["dataset_rows"]}

    again = client.post(URL, json={"template": "T2"}, headers=key)
    assert again.status_code == 200
    assert again.json()["cached"]
    assert again.json()["id"] == run["id"]

    csv = client.get(f"{URL}/{run['id']}/dataset", headers=key)
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.headers["x-excluded-withdrawn"] == "0"
    pq = client.get(f"{URL}/{run['id']}/dataset", headers={**key, "Accept": "application/vnd.apache.parquet"})
    assert pq.headers["content-type"] == "application/vnd.apache.parquet"
    frame_pq = pd.read_parquet(io.BytesIO(pq.content))
    frame_csv = pd.read_csv(io.BytesIO(csv.content))
    pd.testing.assert_frame_equal(frame_csv, frame_pq, check_dtype=False)
    assert frame_pq["patient_id"].str.match(r"^P-[0-9a-f]{16}$").all()

    spec = ModelSpec.from_dict(done["spec"]["model"])
    direct = fit_model(frame_pq, spec).to_dict()
    stored = ModelResult.from_dict(done["result"]).to_dict()
    direct["provenance"]["versions"] = stored["provenance"]["versions"]
    assert direct == stored
    direct_csv = fit_model(frame_csv, spec).to_dict()
    assert direct_csv["models"] == stored["models"]

    listed = client.get(URL, headers=key).json()
    assert [i["id"] for i in listed["items"]] == [run["id"]]
