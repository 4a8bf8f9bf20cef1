"""Research access (issue 6): researcher keys see pseudonymous data only, and small cells are suppressed.

The authorisation matrix checks who gets which status on every route; these tests check what the refusal
says, what the de-identified routes hand out, and the small-cell rule (``app.core.disclosure``).
"""

import uuid
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.analyses import datasets
from app.auth.principal import Principal, require_identified_reader
from app.core import disclosure
from app.exports import service as export_service
from app.exports.dictionary import DICTIONARY, ExportName
from app.models.analysis_run import AnalysisRun, RunStatus
from app.models.enums import Role
from tests.factories import Keys, auth
from tests.security.problems import assert_problem

V1 = "/api/v1"
RESEARCHER = Principal(key_id=uuid.uuid4(), role=Role.researcher, site_id=None)
ADMIN = Principal(key_id=uuid.uuid4(), role=Role.admin, site_id=None)


def test_researcher_refusal_points_to_the_deidentified_routes(client: TestClient, keys: Keys) -> None:
    r = client.get(f"{V1}/patients", headers=auth(keys.researcher))
    assert_problem(r, 403)
    body = r.json()
    assert body["type"].endswith("pseudonymous-access-only")
    assert "/api/v1/exports" in body["detail"]
    assert "/api/v1/analyses" in body["detail"]
    assert body["see"] == ["/api/v1/exports", "/api/v1/analyses"]
    for path in ("/sites", "/instruments", "/whoami", "/analyses", "/exports/dictionary"):
        assert client.get(V1 + path, headers=auth(keys.researcher)).status_code == 200, path


def test_one_policy_guards_every_identified_read(app: FastAPI) -> None:
    """Every GET under the operational prefixes depends on the one policy (a new route cannot forget)."""
    identified_prefixes = (
        "/api/v1/patients",
        "/api/v1/case-managers",
        "/api/v1/dyads",
        "/api/v1/alliance-ratings",
        "/api/v1/outcome-measures",
        "/api/v1/service-use",
    )
    checked = 0
    for context in iter_route_contexts(app.routes):
        methods, path = getattr(context, "methods", None) or set(), getattr(context, "path", "")
        if "GET" not in methods or not path.startswith(identified_prefixes):
            continue
        route = context.route
        assert isinstance(route, APIRoute)
        calls = {d.call for d in route.dependant.dependencies}
        assert require_identified_reader in calls, f"GET {path} is readable by researcher keys"
        checked += 1
    assert checked >= 16


@pytest.mark.parametrize("name", list(ExportName))
def test_deidentified_exports_carry_no_dates_study_ids_or_free_text(name: ExportName) -> None:
    deidentified = export_service.schema(name, identifiable=False)
    for f in deidentified:
        assert not pa.types.is_temporal(f.type), f"{name}: {f.name} is a date"
    names = set(deidentified.names)
    if "occasion" in names:  # the occasion's number within the dyad, not the free-text label
        assert pa.types.is_integer(deidentified.field("occasion").type)
    assert not names & {"rated_on", "study_id", "reason", "items", "notes", "birth_year"}
    assert all(not pa.types.is_string(f.type) or f.name.endswith("_id") or f.name in
               {"instrument", "instrument_version", "rater"} for f in deidentified)  # fmt: skip
    documented = {c.name for c in DICTIONARY[name].columns if not c.identifiable_only}
    assert names == documented


def test_researcher_cannot_ask_for_identifiable_exports(client: TestClient, keys: Keys) -> None:
    r = client.get(f"{V1}/exports/outcome-measures?identifiable=true", headers=auth(keys.researcher))
    assert_problem(r, 403)


# small cells


def test_counts_of_one_to_four_are_suppressed_for_researchers() -> None:
    resource = {
        "dataset_rows": 4,
        "n_excluded_withdrawn": 0,
        "result": {
            "sample": {
                "n_sites": 2,
                "n_cms": 3,
                "n_patients": 12,
                "n_dyads": 5,
                "n_occasions": 40,
                "occasions_per_dyad": [1.0, 4.5, 8.0],
                "dyads_per_cm": [5.0, 6.0, 9.0],
                "n_patients_changed_cm": 1,
            },
            "models": [{"fit": {"n_obs": 40, "n_groups": 2, "n_params": 4}}],
            "caveats": ["3 case managers have fewer than 5 dyads; their means are noisy.", "12 patients"],
            "spec": {"n_boot": 3},
        },
    }
    seen = disclosure.protect(RESEARCHER, resource)
    sample = seen["result"]["sample"]
    assert seen["dataset_rows"] is None
    assert seen["n_excluded_withdrawn"] == 0  # zero is not a cell
    assert (sample["n_sites"], sample["n_cms"], sample["n_patients"], sample["n_dyads"]) == (2, None, 12, 5)
    assert sample["occasions_per_dyad"] == [None, None, 8.0]
    assert sample["dyads_per_cm"] == [5.0, 6.0, 9.0]
    assert sample["n_patients_changed_cm"] is None
    assert seen["result"]["models"][0]["fit"] == {"n_obs": 40, "n_groups": None, "n_params": 4}
    assert seen["result"]["caveats"][0].startswith("<5 case managers have fewer than 5 dyads")
    assert seen["result"]["caveats"][1] == "12 patients"
    assert seen["result"]["spec"] == {"n_boot": 3}
    assert sorted(seen["suppressed"]) == sorted(
        [
            "/dataset_rows",
            "/result/sample/n_cms",
            "/result/sample/occasions_per_dyad/0",
            "/result/sample/occasions_per_dyad/1",
            "/result/sample/n_patients_changed_cm",
            "/result/models/0/fit/n_groups",
        ]
    )
    assert disclosure.protect(ADMIN, resource) == {**resource, "suppressed": []}
    assert disclosure.header(RESEARCHER, 3) == "<5"
    assert disclosure.header(RESEARCHER, 0) == "0"
    assert disclosure.header(RESEARCHER, 5) == "5"
    assert disclosure.header(ADMIN, 3) == "3"


def _run(db: Session, keys: Keys, result: dict[str, Any]) -> AnalysisRun:
    frame = pd.DataFrame({"patient_id": ["p1"], "alliance": [40.0], "y": [20.0]})
    run = AnalysisRun(
        status=RunStatus.succeeded,
        template="T1",
        spec={},
        spec_hash="1" * 64,
        site_id=None,
        requested_by=uuid.uuid4(),
        requester_role=Role.researcher,
        dataset=datasets.to_parquet(frame),
        dataset_sha256="1" * 64,
        dataset_rows=3,
        patient_keys={"p1": str(uuid.uuid4())},
        n_excluded_withdrawn=2,
        instrument_versions={},
        result=result,
        seed=1,
        attempts=1,
    )
    db.add(run)
    db.commit()
    return run


def test_analysis_runs_suppress_small_counts_for_researchers_only(
    client: TestClient, db: Session, keys: Keys
) -> None:
    run = _run(db, keys, {"sample": {"n_patients": 3, "n_occasions": 30}})
    researcher, admin = auth(keys.researcher), auth(keys.admin)

    seen = client.get(f"{V1}/analyses/{run.id}", headers=researcher).json()
    assert (seen["dataset_rows"], seen["n_excluded_withdrawn"]) == (None, None)
    assert seen["result"]["sample"] == {"n_patients": None, "n_occasions": 30}
    assert sorted(seen["suppressed"]) == [
        "/dataset_rows",
        "/n_excluded_withdrawn",
        "/result/sample/n_patients",
    ]
    listed = client.get(f"{V1}/analyses", headers=researcher).json()["items"]
    assert [(i["dataset_rows"], i["suppressed"]) for i in listed if i["id"] == str(run.id)] == [
        (None, ["/dataset_rows", "/n_excluded_withdrawn"])
    ]

    full = client.get(f"{V1}/analyses/{run.id}", headers=admin).json()
    assert (full["dataset_rows"], full["n_excluded_withdrawn"], full["suppressed"]) == (3, 2, [])
    assert full["result"]["sample"]["n_patients"] == 3
