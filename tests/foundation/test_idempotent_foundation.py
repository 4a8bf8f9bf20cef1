"""Idempotency-Key on the foundation POSTs (issue 6): sites, case managers, patients, dyads, transfer, end.

A retry with the same key replays the first answer (``Idempotent-Replayed: true``) and stores nothing new: no
second record and no second audit event. The same key with another body is refused (422).
"""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import AuditEvent, CaseManager, Dyad, Patient, Site
from tests.factories import Keys, auth, make_case_manager, make_dyad, make_patient

V1 = "/api/v1"
Request = tuple[str, dict[str, Any], int, dict[str, Any]]  # path, body, status, other body


def _requests(db: Session, keys: Keys) -> dict[str, Request]:
    site = keys.site_a
    cm, cm2 = make_case_manager(db, site), make_case_manager(db, site)
    patient, patient2, patient3 = (make_patient(db, site) for _ in range(3))
    make_dyad(db, patient, cm)  # the open dyad that the transfer ends
    ending = make_dyad(db, patient3, cm)
    db.commit()
    s = str(site.id)
    return {
        "site": (f"{V1}/sites", {"code": "IDEM-1", "name": "Idem"}, 201, {"code": "IDEM-2", "name": "Idem"}),
        "case manager": (
            f"{V1}/case-managers",
            {"site_id": s, "code": "CM-IDEM", "discipline": "nursing", "started_on": "2020-01-01"},
            201,
            {"site_id": s, "code": "CM-IDEM2", "discipline": "nursing", "started_on": "2020-01-01"},
        ),
        "patient": (
            f"{V1}/patients",
            {"site_id": s, "enrolled_on": "2021-01-01"},
            201,
            {"site_id": s, "enrolled_on": "2021-01-02"},
        ),
        "dyad": (
            f"{V1}/dyads",
            {"patient_id": str(patient2.id), "case_manager_id": str(cm.id), "started_on": "2021-03-01"},
            201,
            {"patient_id": str(patient2.id), "case_manager_id": str(cm.id), "started_on": "2021-03-02"},
        ),
        "transfer": (
            f"{V1}/patients/{patient.id}/transfer",
            {"case_manager_id": str(cm2.id), "on": "2021-06-01"},
            201,
            {"case_manager_id": str(cm2.id), "on": "2021-06-02"},
        ),
        "end": (
            f"{V1}/dyads/{ending.id}/end",
            {"ended_on": "2021-12-31", "end_reason": "discharge"},
            200,
            {"ended_on": "2021-12-30", "end_reason": "discharge"},
        ),
    }


def _count(db: Session, model: Any) -> int:
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


def _counts(db: Session) -> Callable[[], tuple[int, ...]]:
    return lambda: tuple(_count(db, m) for m in (Site, CaseManager, Patient, Dyad, AuditEvent))


@pytest.mark.parametrize("what", ["site", "case manager", "patient", "dyad", "transfer", "end"])
def test_retry_replays_and_stores_nothing_new(what: str, client: TestClient, db: Session, keys: Keys) -> None:
    path, body, status, other = _requests(db, keys)[what]
    h = {**auth(keys.admin), "Idempotency-Key": f"foundation-{what.replace(' ', '-')}"}
    first = client.post(path, json=body, headers=h)
    assert first.status_code == status, first.text
    assert "idempotent-replayed" not in first.headers
    counts = _counts(db)
    stored = counts()

    again = client.post(path, json=body, headers=h)
    assert again.status_code == status
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert counts() == stored, "a retry stored something (a record or an audit event)"

    reused = client.post(path, json=other, headers=h)
    assert reused.status_code == 422
    assert reused.json()["type"].endswith("idempotency-key-reused")
    assert counts() == stored
