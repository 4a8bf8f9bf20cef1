"""No data lost (issue 6): thousands of submissions from concurrent clients against the real server, which is
killed (SIGKILL, no clean-up) once in the middle and restarted on the same port.

Every submission carries its own ``Idempotency-Key``; a client retries on connection errors and 5xx with the
same key until it gets an answer. Afterwards the database must hold every acknowledged submission exactly
once (by the id the server returned), nothing unacknowledged, no duplicate from a retry, and nothing
half-written: each measurement has its audit event, each idempotency record is complete and names only stored
rows, and the audit hash chain is intact. The figures are printed (run with ``-s``) and written to
``.data/no-data-lost.json``.
"""

import json
import os
import random
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from app.audit.queries import verify
from app.auth.principal import SYSTEM
from app.config import PROJECT_ROOT
from app.models.enums import Role
from tests.factories import make_key

pytestmark = [pytest.mark.commits]

V1 = "/api/v1"
N_DYADS = 24
N_SINGLE = int(os.environ.get("NO_DATA_LOST_SINGLE", "1600"))  # single POSTs (ratings and measures)
N_BATCHES = int(os.environ.get("NO_DATA_LOST_BATCHES", "40"))  # POST /submissions, BATCH_ROWS rows each
BATCH_ROWS = 35
CLIENTS = 8
KILL_AT = 0.4  # fraction of submissions acknowledged when the server is killed
DEADLINE_S = 150.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    env: dict[str, str]
    port: int
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [str(PROJECT_ROOT / ".venv" / "bin" / "dyadstudy"), "serve", "--port", str(self.port)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"server exited: {self.log.read_text()[-3000:]}"
            try:
                if httpx.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"server did not start: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@dataclass
class Job:
    key: str  # Idempotency-Key
    path: str
    body: dict[str, Any]
    rows: int  # submissions in it


@dataclass
class Outcome:
    status: int
    ids: list[str]  # the stored ids the answer names (one per submission)
    replayed: bool


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    acknowledged_rows: int = 0
    attempts: int = 0
    retries: int = 0
    retry_reasons: Counter[str] = field(default_factory=Counter)
    confirmations: int = 0  # acknowledged requests sent again on purpose (a client that missed the answer)


def _study(server: Server, admin: str) -> list[tuple[str, str]]:
    """A site, case managers, patients and open dyads through the API: (patient id, dyad id) pairs."""
    with httpx.Client(base_url=server.base, headers={"Authorization": f"Bearer {admin}"}, timeout=30) as c:
        site = c.post(f"{V1}/sites", json={"code": "NDL", "name": "No data lost"}).raise_for_status().json()
        cms = [
            c.post(
                f"{V1}/case-managers",
                json={
                    "site_id": site["id"],
                    "code": f"NDL-CM{i}",
                    "discipline": "nursing",
                    "started_on": "2020-01-01",
                },
            )
            .raise_for_status()
            .json()["id"]
            for i in range(4)
        ]
        pairs = []
        for i in range(N_DYADS):
            patient = c.post(f"{V1}/patients", json={"site_id": site["id"], "enrolled_on": "2021-01-15"})
            pid = patient.raise_for_status().json()["id"]
            dyad = c.post(
                f"{V1}/dyads",
                json={"patient_id": pid, "case_manager_id": cms[i % len(cms)], "started_on": "2021-02-01"},
            )
            pairs.append((pid, dyad.raise_for_status().json()["id"]))
    return pairs


def _jobs(pairs: list[tuple[str, str]]) -> list[Job]:
    """Every submission distinct (its own natural key): per dyad, alliance and outcome dates count up."""
    rng = random.Random(6)
    next_day: Counter[tuple[int, str]] = Counter()

    def row(n: int) -> dict[str, Any]:
        d = n % len(pairs)
        patient_id, dyad_id = pairs[d]
        kind = "alliance_rating" if (n // len(pairs)) % 2 else "outcome_measure"
        next_day[d, kind] += 1
        on = (date(2021, 3, 1) + timedelta(days=next_day[d, kind])).isoformat()
        if kind == "alliance_rating":
            items = {str(i): rng.randint(0, 10) for i in range(1, 5)}
            return {"type": kind, "dyad_id": dyad_id, "instrument": "srs", "rater": "patient"} | {
                "rated_on": on,
                "items": items,
            }
        return {"type": kind, "patient_id": patient_id, "instrument": "gaf"} | {
            "rated_on": on,
            "score": rng.randint(20, 90),
        }

    jobs: list[Job] = []
    n = 0
    for _ in range(N_SINGLE):
        body = row(n)
        n += 1
        path = "/alliance-ratings" if body.pop("type") == "alliance_rating" else "/outcome-measures"
        jobs.append(Job(f"ndl-{uuid.uuid4()}", V1 + path, body, 1))
    for _ in range(N_BATCHES):
        rows = [row(n + i) for i in range(BATCH_ROWS)]
        n += BATCH_ROWS
        jobs.append(Job(f"ndl-{uuid.uuid4()}", V1 + "/submissions", {"rows": rows}, BATCH_ROWS))
    rng.shuffle(jobs)
    return jobs


def _ids(job: Job, response: httpx.Response) -> list[str]:
    body = response.json()
    if job.path.endswith("/submissions"):
        assert body["error"] == 0, body
        return [r["id"] for r in body["results"]]
    return [body["id"]]


def _send(client: httpx.Client, job: Job, tally: Tally, deadline: float) -> Outcome:
    """Until answered: connection errors and 5xx are retried with the same key (backing off a little)."""
    pause = 0.02
    while True:
        assert time.monotonic() < deadline, f"{job.key} unanswered at the deadline"
        with tally.lock:
            tally.attempts += 1
        try:
            r = client.post(job.path, json=job.body, headers={"Idempotency-Key": job.key})
        except httpx.TransportError as exc:
            reason = type(exc).__name__
        else:
            if r.status_code < 500:
                assert r.status_code in (200, 201), f"{job.path}: {r.status_code} {r.text}"
                return Outcome(r.status_code, _ids(job, r), r.headers.get("idempotent-replayed") == "true")
            reason = f"HTTP {r.status_code}"
        with tally.lock:
            tally.retries += 1
            tally.retry_reasons[reason] += 1
        time.sleep(pause)
        pause = min(pause * 2, 0.5)


def _fire(server: Server, key: str, jobs: list[Job], tally: Tally) -> None:
    queue = iter(jobs)
    queue_lock = threading.Lock()
    deadline = time.monotonic() + DEADLINE_S
    failures: list[BaseException] = []

    def client() -> None:
        rng = random.Random()
        limits = httpx.Limits(max_keepalive_connections=1)
        with httpx.Client(
            base_url=server.base, headers={"Authorization": f"Bearer {key}"}, timeout=30, limits=limits
        ) as c:
            while True:
                with queue_lock:
                    job = next(queue, None)
                if job is None:
                    return
                try:
                    outcome = _send(c, job, tally, deadline)
                    if rng.random() < 0.03:  # as if the answer had been lost: the same request again
                        again = _send(c, job, tally, deadline)
                        assert again.replayed, (job.key, again)
                        assert again.ids == outcome.ids, (job.key, outcome, again)
                        with tally.lock:
                            tally.confirmations += 1
                except BaseException as exc:  # noqa: BLE001 - reported by the main thread
                    failures.append(exc)
                    return
                with tally.lock:
                    tally.outcomes[job.key] = outcome
                    tally.acknowledged_rows += job.rows

    threads = [threading.Thread(target=client, daemon=True) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    total = sum(j.rows for j in jobs)
    while tally.acknowledged_rows < KILL_AT * total and any(t.is_alive() for t in threads):
        time.sleep(0.01)
    server.kill()  # mid-stream: requests in flight are cut off, committed or not
    server.start()
    for t in threads:
        t.join(DEADLINE_S)
    if failures:
        raise failures[0]


def test_no_acknowledged_submission_is_lost_or_doubled(
    committed: Engine, database_url: URL, tmp_path: Path
) -> None:
    with Session(committed) as session:
        admin = make_key(session, Role.admin, label="no-data-lost")
        session.commit()
    env = {
        **os.environ,
        "DYADSTUDY_DATABASE_URL": database_url.render_as_string(hide_password=False),
        "DYADSTUDY_RATE_LIMIT": "",
        "DYADSTUDY_WORKER_IN_SERVE": "false",
        "DYADSTUDY_DEMO_ON_START": "false",
        "DYADSTUDY_MIGRATE_ON_START": "false",
        "DYADSTUDY_LOG_LEVEL": "WARNING",
    }
    server = Server(env, _free_port(), tmp_path / "server.log")
    started = time.monotonic()
    server.start()
    try:
        jobs = _jobs(_study(server, admin))
        tally = Tally()
        _fire(server, admin, jobs, tally)
    finally:
        server.stop()
    elapsed = time.monotonic() - started

    sent = sum(j.rows for j in jobs)
    acknowledged = {i for o in tally.outcomes.values() for i in o.ids}
    assert len(tally.outcomes) == len(jobs), "every request was eventually answered"
    assert len(acknowledged) == tally.acknowledged_rows == sent, "one distinct id per submission"

    with committed.connect() as conn:
        measurements = conn.execute(
            text("SELECT record_id::text, version, is_current, natural_key FROM measurements")
        ).all()
        audited = Counter(
            conn.execute(
                text(
                    "SELECT entity_id::text FROM audit_events"
                    " WHERE entity = 'measurements' AND action = 'create'"
                )
            ).scalars()
        )
        idem = conn.execute(
            text("SELECT key, status_code, response_body FROM idempotency_keys WHERE key LIKE 'ndl-%'")
        ).all()
    stored = Counter(m.record_id for m in measurements)
    figures = {
        "requests": len(jobs),
        "sent": sent,
        "acknowledged": len(acknowledged),
        "stored": len(stored),
        "attempts": tally.attempts,
        "retries": tally.retries,
        "retry_reasons": dict(tally.retry_reasons),
        "replayed_after_retry": sum(o.replayed for o in tally.outcomes.values()),
        "deliberate_repeats": tally.confirmations,
        "restarts": server.starts - 1,
        "seconds": round(elapsed, 1),
    }
    print("\nno data lost:", json.dumps(figures))
    (PROJECT_ROOT / ".data").mkdir(exist_ok=True)
    (PROJECT_ROOT / ".data" / "no-data-lost.json").write_text(json.dumps(figures, indent=2))

    # exactly once: the stored rows are the acknowledged ones, one version each, no natural duplicate
    assert set(stored) == acknowledged, (
        f"lost: {len(acknowledged - set(stored))}, unacknowledged: {len(set(stored) - acknowledged)}"
    )
    assert all(m.version == 1 and m.is_current for m in measurements)
    assert max(stored.values()) == 1
    assert len({bytes(m.natural_key) for m in measurements}) == len(measurements)
    # nothing half-written: one creation event per measurement, none for anything else
    assert audited == Counter(acknowledged), "a measurement without its audit event (or an extra event)"
    # idempotency records: one per request, complete, naming exactly what was stored
    assert len(idem) == len(jobs)
    by_key = {row.key: row for row in idem}
    for job in jobs:
        row = by_key[job.key]
        assert row.status_code == tally.outcomes[job.key].status
        body = row.response_body
        named = [r["id"] for r in body["results"]] if "results" in body else [body["id"]]
        assert named == tally.outcomes[job.key].ids
    # the audit trail's hash chain survived the kill
    with Session(committed) as session:
        report = verify(session, SYSTEM)
    assert report.intact, report.broken_at[:10]
    assert server.starts == 2
