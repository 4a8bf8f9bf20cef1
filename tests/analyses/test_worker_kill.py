"""A worker killed (SIGKILL) in the middle of a fit: the run is retried by another worker, once, not lost."""

import os
import signal
import subprocess
import sys
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from tests.analyses.conftest import Study
from tests.factories import auth

pytestmark = [pytest.mark.commits, pytest.mark.slow]


def _worker(database_url: URL) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DYADSTUDY_DATABASE_URL": database_url.render_as_string(hide_password=False),
        "DYADSTUDY_WORKER_HEARTBEAT_SECONDS": "0.5",
        "DYADSTUDY_WORKER_STALLED_SECONDS": "2",
        "DYADSTUDY_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], env=env)


def _state(engine: Engine, run_id: str) -> tuple[str, int]:
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT status, attempts FROM analysis_runs WHERE id = :i"), {"i": run_id}
        ).one()
    return row[0], row[1]


def _wait(engine: Engine, run_id: str, statuses: set[str], timeout: float) -> tuple[str, int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = _state(engine, run_id)
        if state[0] in statuses:
            return state
        time.sleep(0.01)
    raise AssertionError(f"run {run_id} still {_state(engine, run_id)} after {timeout}s")


def test_killed_worker_mid_fit_is_retried(
    client: TestClient, study: Study, committed: Engine, database_url: URL
) -> None:
    r = client.post("/api/v1/analyses", json={"template": "T5"}, headers=auth(study.keys.researcher))
    assert r.status_code == 202, r.text
    run_id = r.json()["id"]

    first = _worker(database_url)
    try:
        assert _wait(committed, run_id, {"running", "succeeded", "failed"}, 60) == ("running", 1)
        first.send_signal(signal.SIGKILL)  # mid-fit: no chance to clean up
        first.wait(10)
    finally:
        first.kill()
    time.sleep(0.5)
    assert _state(committed, run_id) == ("running", 1)  # interrupted, not finished

    second = _worker(database_url)
    try:
        status, attempts = _wait(committed, run_id, {"succeeded", "failed"}, 90)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(30)
    assert (status, attempts) == ("succeeded", 2)
    with committed.connect() as conn:
        jobs = conn.execute(text("SELECT status::text, attempts FROM procrastinate_jobs")).all()
    assert [tuple(j) for j in jobs] == [("succeeded", 2)]  # one job, two attempts, done once
