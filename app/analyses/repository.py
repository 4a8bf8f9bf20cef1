import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from app.core.repository import ScopedRepository
from app.models import AnalysisRun
from app.models.analysis_run import RunStatus


class AnalysisRunRepository(ScopedRepository[AnalysisRun]):
    model = AnalysisRun
    not_found = "Analysis not found."

    def lock_cache_key(self, key: str) -> None:
        """Serialise equal requests (so two at once cannot both miss the cache)."""
        self.session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": key})

    def cached(self, spec_hash: str, dataset_sha256: str, site_id: uuid.UUID | None) -> AnalysisRun | None:
        """An equal run on identical data that succeeded, or is still on its way (failed runs are retried)."""
        stmt = (
            self.select()
            .where(
                AnalysisRun.spec_hash == spec_hash,
                AnalysisRun.dataset_sha256 == dataset_sha256,
                AnalysisRun.site_id.is_(None) if site_id is None else AnalysisRun.site_id == site_id,
                AnalysisRun.status != RunStatus.failed,
            )
            .order_by(AnalysisRun.id.desc())
            .limit(1)
        )
        return self.session.scalar(stmt)

    def insert(self, run: AnalysisRun) -> AnalysisRun:
        """Insert without the generic audit snapshot (it would copy the data set into the audit trail);
        the service records one ``analysis_request`` event instead."""
        self.session.add(run)
        self.session.flush()
        return run


class RunStateRepository:
    """Worker-side state changes (the system acting on its own runs; no caller to scope by)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def claim(self, run_id: uuid.UUID) -> AnalysisRun | None:
        """Mark a queued (or interrupted running) run as running, counting the attempt."""
        run = self.session.scalar(select(AnalysisRun).where(AnalysisRun.id == run_id).with_for_update())
        if run is None or run.status in (RunStatus.succeeded, RunStatus.failed):
            return None
        run.status = RunStatus.running
        run.attempts += 1
        run.started_at = datetime.now(UTC)
        self.session.flush()
        return run

    def finish(self, run_id: uuid.UUID, attempt: int, **values: Any) -> bool:
        """Store the outcome of attempt ``attempt``; refused if another attempt has taken over meanwhile."""
        result = self.session.execute(
            update(AnalysisRun)
            .where(
                AnalysisRun.id == run_id,
                AnalysisRun.status == RunStatus.running,
                AnalysisRun.attempts == attempt,
            )
            .values(finished_at=datetime.now(UTC), **values)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
