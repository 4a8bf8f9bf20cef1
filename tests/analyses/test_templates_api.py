"""Issue 5 "done when": every template, run through the API with a researcher key on a (small) demo study
loaded through the service, gives exactly the result of the analysis library on the run's exported data
set."""

import io
import uuid
from collections.abc import Iterator

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from analysis.fit import fit_model
from analysis.spec import ModelSpec, Template
from app.auth.principal import Principal
from app.core import disclosure
from app.db.engine import build_sessionmaker
from app.demo import loader
from app.models.enums import Role
from tests.analyses.conftest import clear_queue
from tests.factories import auth, make_key

pytestmark = [pytest.mark.commits, pytest.mark.slow]
URL = "/api/v1/analyses"
SMALL = loader.DemoSize(n_cm=12, patients_per_cm=4, waves=5, n_sites=2)  # ~200 occasions, ~800 measures
PARQUET = {"Accept": "application/vnd.apache.parquet"}
RESEARCHER = Principal(key_id=uuid.uuid4(), role=Role.researcher, site_id=None)


@pytest.fixture
def researcher(committed: Engine) -> Iterator[dict[str, str]]:
    """A small demo study loaded by the demo loader (services and batch submissions) and a researcher key."""
    clear_queue(committed)
    summary = loader.load(build_sessionmaker(committed), size=SMALL)
    assert summary.measurements == 4 * summary.occasions
    with Session(committed) as s:
        key = make_key(s, Role.researcher)
        s.commit()
    yield auth(key)
    clear_queue(committed)


def test_every_template_through_the_api_equals_the_library_on_the_export(
    client: TestClient,
    researcher: dict[str, str],
    drain,  # type: ignore[no-untyped-def]
) -> None:
    runs = {}
    for template in Template:
        r = client.post(URL, json={"template": template.value}, headers=researcher)
        assert r.status_code == 202, r.text
        runs[template] = r.json()["id"]
    drain()

    for template, run_id in runs.items():
        run = client.get(f"{URL}/{run_id}", headers=researcher).json()
        assert run["status"] == "succeeded", (template, run["error"])
        exported = client.get(f"{URL}/{run_id}/dataset", headers={**researcher, **PARQUET})
        assert exported.status_code == 200
        frame = pd.read_parquet(io.BytesIO(exported.content))
        as_csv = client.get(f"{URL}/{run_id}/dataset", headers=researcher)
        frame_csv = pd.read_csv(io.BytesIO(as_csv.content))
        pd.testing.assert_frame_equal(frame_csv, frame, check_dtype=False, check_exact=True)
        assert exported.headers["x-dataset-sha256"] == run["dataset_sha256"]
        assert len(frame) == run["dataset_rows"]

        direct = fit_model(frame, ModelSpec.from_dict(run["spec"]["model"])).to_dict()
        assert direct["template"] == template.value
        assert disclosure.protect(RESEARCHER, {"result": direct})["result"] == run["result"], template
