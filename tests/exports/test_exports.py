"""Streaming exports: de-identification, consent exclusion, formats, scope, audit, data dictionary."""

import io
from datetime import date

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from app.auth.principal import SYSTEM
from app.consent import service as consent_service
from app.consent.schemas import WithdrawalCreate
from app.exports.dictionary import DICTIONARY, ExportName
from app.models import Measurement, Patient, Site
from app.models.enums import AuditAction, Role, WithdrawalLevel
from tests.analyses.conftest import Study
from tests.factories import auth, make_key

pytestmark = pytest.mark.commits
V1 = "/api/v1/exports"


def _csv(r) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    assert r.status_code == 200, r.text
    return pd.read_csv(io.BytesIO(r.content))


def test_deidentified_streamed_exports_exclude_withdrawn(
    client: TestClient, study: Study, committed: Engine
) -> None:
    with Session(committed, expire_on_commit=False) as s:
        patient = s.scalars(select(Patient).order_by(Patient.id)).first()
        assert patient is not None
        alliance = select(func.count()).select_from(Measurement).where(Measurement.kind == "alliance")
        n_alliance = s.execute(alliance).scalar_one()
        mine = s.execute(alliance.where(Measurement.patient_id == patient.id)).scalar_one()
        consent_service.withdraw(
            s,
            SYSTEM,
            patient.id,
            WithdrawalCreate(level=WithdrawalLevel.exclude_data, effective_on=date(2024, 1, 1)),
        )
        s.commit()
    key = auth(study.keys.researcher)
    r = client.get(f"{V1}/alliance-ratings", headers=key)
    first = _csv(r)
    assert r.headers["x-excluded-withdrawn"] == "<5"  # one patient: a small cell, suppressed for researchers
    assert r.headers["x-deidentified"] == "true"
    assert len(first) == n_alliance - mine
    assert list(first.columns) == [
        c.name for c in DICTIONARY[ExportName.alliance_ratings].columns if not c.identifiable_only
    ]
    assert first["patient_id"].str.match(r"^P-[0-9a-f]{16}$").all()
    assert str(patient.id) not in r.text
    assert "rated_on" not in first.columns
    second = _csv(client.get(f"{V1}/alliance-ratings", headers=key))
    assert set(first["patient_id"]).isdisjoint(second["patient_id"])  # re-keyed per export

    pq = client.get(f"{V1}/outcome-measures", headers={**key, "Accept": "application/vnd.apache.parquet"})
    assert pq.status_code == 200
    assert pq.headers["content-type"] == "application/vnd.apache.parquet"
    outcomes = pd.read_parquet(io.BytesIO(pq.content))
    assert len(outcomes) > 0
    assert outcomes["total"].notna().all()

    occ = _csv(client.get(f"{V1}/occasions", headers=key))
    assert {"A_p", "A_c", "y", "time"} <= set(occ.columns)
    occ_pq = pd.read_parquet(io.BytesIO(client.get(f"{V1}/occasions?format=parquet", headers=key).content))
    assert len(occ_pq) == len(occ)

    with committed.connect() as conn:
        n = conn.execute(
            text("SELECT count(*) FROM audit_events WHERE action = :a"), {"a": AuditAction.export.value}
        ).scalar_one()
    assert n == 5


def test_identifiable_exports_and_roles(client: TestClient, study: Study, committed: Engine) -> None:
    r = client.get(f"{V1}/alliance-ratings?identifiable=true", headers=auth(study.keys.researcher))
    assert r.status_code == 403
    admin = _csv(client.get(f"{V1}/alliance-ratings?identifiable=true", headers=auth(study.keys.admin)))
    assert {"rated_on", "study_id"} <= set(admin.columns)
    with Session(committed) as s:
        site_id = s.scalars(select(Patient.site_id).order_by(Patient.id)).first()
        site = s.get(Site, site_id)
        clinic = make_key(s, Role.clinic, site)
        s.commit()
    own = _csv(client.get(f"{V1}/alliance-ratings?identifiable=true", headers=auth(clinic)))
    assert set(own["site_id"]) == {str(site_id)}
    assert len(own) < len(admin)
    other = _csv(client.get(f"{V1}/alliance-ratings", headers=auth(study.keys.clinic_a)))
    assert len(other) == 0


def test_data_dictionary(client: TestClient, study: Study) -> None:
    r = client.get(f"{V1}/dictionary", headers=auth(study.keys.researcher))
    assert r.status_code == 200
    assert {d["name"] for d in r.json()} == {e.value for e in ExportName}
