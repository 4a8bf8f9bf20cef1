from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from app.analyses.worker import run_worker
from tests.analyses.data import load_simulated
from tests.factories import Keys, make_keys

QUEUE_TABLES = (
    "procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs, procrastinate_workers"
)


def clear_queue(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {QUEUE_TABLES} RESTART IDENTITY CASCADE"))


@dataclass
class Study:
    keys: Keys
    rows: int


@pytest.fixture
def study(committed: Engine) -> Iterator[Study]:
    """Committed keys and a small simulated study (workers use their own connections)."""
    clear_queue(committed)
    with Session(committed, expire_on_commit=False) as s:
        keys = make_keys(s)
        rows = load_simulated(s)
        s.commit()
    yield Study(keys=keys, rows=rows)
    clear_queue(committed)


@pytest.fixture
def drain(database_url: URL):  # type: ignore[no-untyped-def]
    """Run an in-process worker until the queue is empty."""

    def _drain() -> None:
        run_worker(database_url, wait=False, install_signal_handlers=False, heartbeat_seconds=0.5)

    return _drain
