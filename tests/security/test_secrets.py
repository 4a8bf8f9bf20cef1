"""Secrets and identifiers (issue 6): keys are stored hashed; nothing secret or identifying reaches the logs.

Every log record of a representative session (every logger, including SQLAlchemy's and uvicorn's, at DEBUG) is
rendered with the production formatter and searched for API keys, key digests and patient identifiers.
"""

import hashlib
import logging
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.core.logging import JsonFormatter, configure_logging
from tests.factories import Keys, auth

CLIENT_SIDE = ("httpx", "httpcore")  # the test client's own loggers: not the service's logs
BIRTH_YEAR = 1937
PINNED = ("sqlalchemy", "sqlalchemy.engine", "sqlalchemy.pool", "uvicorn", "uvicorn.error", "dyadstudy")


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """The service's logging as configured with ``DYADSTUDY_LOG_LEVEL=DEBUG``, captured.

    Requested before ``db``: a SQLAlchemy connection decides whether to log when it is opened.
    """
    root = logging.getLogger()
    saved = root.handlers[:], root.level, {name: logging.getLogger(name).level for name in PINNED}
    configure_logging("DEBUG")
    root.addHandler(caplog.handler)
    yield caplog
    root.handlers[:], root.level = saved[0], saved[1]
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


def _rendered(caplog: pytest.LogCaptureFixture) -> str:
    formatter = JsonFormatter()
    return "\n".join(formatter.format(r) for r in caplog.records if not r.name.startswith(CLIENT_SIDE))


def test_no_key_digest_or_patient_identifier_is_logged(
    debug_logs: pytest.LogCaptureFixture, client: TestClient, keys: Keys
) -> None:
    admin = auth(keys.admin)
    site = client.post("/api/v1/sites", json={"code": "LOG-SITE", "name": "Logging"}, headers=admin).json()
    new_key = client.post(
        "/api/v1/api-keys", json={"label": "logged?", "role": "clinic", "site_id": site["id"]}, headers=admin
    ).json()
    clinic = auth(new_key["key"])
    cms = [
        client.post(
            "/api/v1/case-managers",
            json={"code": code, "discipline": "nursing", "started_on": "2020-01-01"},
            headers=clinic,
        ).json()
        for code in ("CM-LOG-1", "CM-LOG-2")
    ]
    patient = client.post(
        "/api/v1/patients",
        json={
            "study_id": "SECRET-STUDY-ID",
            "birth_year": BIRTH_YEAR,
            "sex": "female",
            "enrolled_on": "2021-01-01",
        },
        headers=clinic,
    ).json()
    generated = client.post(
        "/api/v1/patients", json={"birth_year": BIRTH_YEAR, "enrolled_on": "2021-01-01"}, headers=clinic
    ).json()
    dyad = {"patient_id": patient["id"], "case_manager_id": cms[0]["id"], "started_on": "2021-02-01"}
    assert client.post("/api/v1/dyads", json=dyad, headers=clinic).status_code == 201
    assert client.post("/api/v1/dyads", json=dyad, headers=clinic).status_code == 409  # constraint violation
    duplicate = {"study_id": "SECRET-STUDY-ID", "enrolled_on": "2021-01-01"}
    assert client.post("/api/v1/patients", json=duplicate, headers=clinic).status_code == 409
    transfer = {"case_manager_id": cms[1]["id"], "on": "2021-06-01"}
    assert (
        client.post(f"/api/v1/patients/{patient['id']}/transfer", json=transfer, headers=clinic).status_code
        == 201
    )
    found = client.get("/api/v1/patients", params={"study_id": "SECRET-STUDY-ID"}, headers=clinic).json()
    assert [p["id"] for p in found["items"]] == [patient["id"]]
    assert client.patch(
        f"/api/v1/patients/{patient['id']}", json={"birth_year": 1938}, headers=clinic
    ).is_success
    assert client.get(f"/api/v1/patients/{patient['id']}", headers=auth(keys.clinic_b)).status_code == 404
    assert client.get("/api/v1/patients", headers=auth(new_key["key"] + "x")).status_code == 401
    assert client.post(f"/api/v1/api-keys/{new_key['id']}/revoke", headers=admin).is_success
    assert client.get("/api/v1/patients", headers=clinic).status_code == 401

    logs = _rendered(debug_logs)
    assert '"logger": "dyadstudy.access"' in logs, "the access log was not captured"
    assert "INSERT INTO patients" in logs, "SQL logging was not on: the test would prove nothing"
    secrets = {
        "admin key": keys.admin,
        "clinic key": keys.clinic_b,
        "created key": new_key["key"],
        "created key digest (hex)": hashlib.sha256(new_key["key"].encode()).hexdigest(),
        "admin key digest (hex)": hashlib.sha256(keys.admin.encode()).hexdigest(),
        "created key digest (bytes)": repr(hashlib.sha256(new_key["key"].encode()).digest())[2:-1],
        "study id": "SECRET-STUDY-ID",
        "generated study id": generated["study_id"],
        "case manager code": "CM-LOG-1",
    }
    leaked = [name for name, secret in secrets.items() if secret in logs]
    assert not leaked, f"found in the logs: {leaked}"
    assert not re.search(r"(?<![\w.:-])193[78](?![\w.:-])", logs), "a birth year reached the logs"


def test_keys_are_stored_as_digests_only(client: TestClient, keys: Keys, db: Session) -> None:
    created = client.post(
        "/api/v1/api-keys", json={"label": "hashed?", "role": "researcher"}, headers=auth(keys.admin)
    )
    key = created.json()["key"]
    row = (
        db.execute(text("SELECT * FROM api_keys WHERE id = :id"), {"id": created.json()["id"]})
        .mappings()
        .one()
    )
    assert row["key_hash"] == hashlib.sha256(key.encode()).digest()
    stored = " ".join(str(v) for v in row.values())
    assert key not in stored
    assert key[12:] not in stored  # only the short, non-secret display prefix is kept
    assert row["prefix"] == key[:12]
    audit = db.execute(
        text("SELECT changes::text FROM audit_events WHERE entity_id = :id"), {"id": created.json()["id"]}
    ).scalar_one()
    assert key not in audit
    assert "key_hash" not in audit
    listed = client.get("/api/v1/api-keys", headers=auth(keys.admin)).text
    assert key not in listed
    assert "key_hash" not in listed
