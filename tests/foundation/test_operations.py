"""Operations (issue 2): migrations, probes, the CLI, and the dyad constraint under concurrent requests."""

import os
import threading
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from alembic import command
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings, get_settings
from app.db.migrate import alembic_config, downgrade, heads, upgrade
from app.db.url import to_psycopg_url
from app.main import create_app
from app.models import ApiKey
from tests.factories import auth, make_case_manager, make_keys, make_patient


@pytest.fixture
def scratch_url(server_uri: str) -> Iterator[URL]:
    """An empty database of its own on the test server, dropped afterwards."""
    name = f"dyadstudy_scratch_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(server_uri, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield to_psycopg_url(server_uri).set(database=name)
    with psycopg.connect(server_uri, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _public_objects(url: URL) -> dict[str, int]:
    uri = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(uri) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        ).fetchone()
        functions = conn.execute(
            """SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
               WHERE n.nspname = 'public'
                 AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')"""
        ).fetchone()
    return {"tables": tables[0] if tables else -1, "functions": functions[0] if functions else -1}


class TestMigrations:
    def test_single_head(self, scratch_url: URL) -> None:
        assert len(heads(scratch_url)) == 1, heads(scratch_url)

    def test_upgrade_downgrade_upgrade_and_no_drift(self, scratch_url: URL) -> None:
        upgrade(scratch_url)
        command.check(alembic_config(scratch_url))  # models and migrations agree (raises on drift)
        assert _public_objects(scratch_url)["tables"] >= 7
        downgrade(scratch_url, "base")
        assert _public_objects(scratch_url) == {
            "tables": 0,
            "functions": 0,
        }  # downgrade leaves nothing behind
        upgrade(scratch_url)
        command.check(alembic_config(scratch_url))


class TestProbes:
    def test_healthz_and_readyz(self, client: TestClient) -> None:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert (ready.status_code, ready.json()) == (200, {"status": "ready"})

    def test_readyz_when_the_schema_is_behind(self, scratch_url: URL) -> None:
        upgrade(scratch_url, "0001")
        app = create_app(Settings(database_url=None, migrate_on_start=False, rate_limit=None), scratch_url)
        with TestClient(app) as client:
            assert client.get("/healthz").status_code == 200
            behind = client.get("/readyz")
        assert (behind.status_code, behind.json()["database"]) == (503, "schema not at head")

    def test_readyz_when_the_database_is_unreachable(self, database_url: URL) -> None:
        missing = database_url.set(database=f"missing_{uuid.uuid4().hex[:8]}")
        app = create_app(Settings(database_url=None, migrate_on_start=False, rate_limit=None), missing)
        with TestClient(app) as client:
            down = client.get("/readyz")
        assert (down.status_code, down.json()["database"]) == (503, "unreachable")


@pytest.mark.commits
class TestCli:
    @pytest.fixture
    def env(self, database_url: URL, committed: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
        monkeypatch.setenv("DYADSTUDY_DATABASE_URL", database_url.render_as_string(hide_password=False))
        get_settings.cache_clear()
        yield
        get_settings.cache_clear()

    def test_create_key_prints_a_working_key_once(
        self, env: None, client: TestClient, committed: Engine
    ) -> None:
        result = CliRunner().invoke(cli, ["create-key", "--role", "admin", "--label", "bootstrap"])
        assert result.exit_code == 0, result.output
        key = result.output.strip()
        assert key.startswith("dys_")
        assert client.get("/api/v1/sites", headers=auth(key)).status_code == 200
        with Session(committed) as session:
            labels = session.scalars(select(ApiKey.label)).all()
        assert labels == ["bootstrap"]

    def test_create_clinic_key_and_refusals(self, env: None, client: TestClient, committed: Engine) -> None:
        with Session(committed, expire_on_commit=False) as session:
            site_id = make_keys(session).site_a.id
            session.commit()
        ok = CliRunner().invoke(cli, ["create-key", "--role", "clinic", "--site-id", str(site_id)])
        assert ok.exit_code == 0, ok.output
        assert client.get(f"/api/v1/sites/{site_id}", headers=auth(ok.output.strip())).status_code == 200
        assert CliRunner().invoke(cli, ["create-key", "--role", "clinic"]).exit_code != 0  # no site
        assert CliRunner().invoke(cli, ["create-key", "--role", "root"]).exit_code != 0

    def test_audit_verify(self, env: None, committed: Engine) -> None:
        with Session(committed) as session:
            make_keys(session)
            session.commit()
        result = CliRunner().invoke(cli, ["audit", "verify"])
        assert result.exit_code == 0, result.output
        assert "intact" in result.output


@pytest.mark.commits
def test_concurrent_overlapping_dyads_one_201_one_409(
    app: FastAPI, client: TestClient, committed: Engine
) -> None:
    """Two simultaneous requests opening overlapping dyads for one patient: exactly one wins, per patient."""
    rounds = 8
    with Session(committed, expire_on_commit=False) as session:
        keys = make_keys(session)
        cms = [make_case_manager(session, keys.site_a) for _ in range(2)]
        patients = [make_patient(session, keys.site_a) for _ in range(rounds)]
        session.commit()
        patient_ids = [str(p.id) for p in patients]
        cm_ids = [str(c.id) for c in cms]
    headers = auth(keys.admin)
    for patient_id in patient_ids:
        barrier = threading.Barrier(2)
        statuses: list[int] = []

        def open_dyad(
            cm_id: str, started_on: str, patient_id: str, barrier: threading.Barrier, statuses: list[int]
        ) -> None:
            body = {"patient_id": patient_id, "case_manager_id": cm_id, "started_on": started_on}
            barrier.wait()
            response = client.post("/api/v1/dyads", json=body, headers=headers)
            statuses.append(response.status_code)
            if response.status_code == 409:
                assert response.headers["content-type"] == "application/problem+json"

        threads = [
            threading.Thread(target=open_dyad, args=(cm_ids[0], "2021-03-01", patient_id, barrier, statuses)),
            threading.Thread(target=open_dyad, args=(cm_ids[1], "2021-04-01", patient_id, barrier, statuses)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(statuses) == [201, 409], statuses
    listed = client.get(
        "/api/v1/dyads", params={"site_id": str(keys.site_a.id), "limit": 500}, headers=headers
    )
    assert sorted(d["patient_id"] for d in listed.json()["items"]) == sorted(patient_ids)  # one dyad each
