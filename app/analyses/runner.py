"""Fit one queued run (called by the worker task, in a worker thread — never in a request or event loop)."""

import logging
import uuid

from sqlalchemy.orm import Session, sessionmaker

from analysis.errors import AnalysisError
from analysis.fit import fit_model
from analysis.spec import ModelSpec
from app.analyses import datasets
from app.analyses.repository import RunStateRepository
from app.models.analysis_run import RunStatus

logger = logging.getLogger("dyadstudy.analyses")


def execute_run(make_session: sessionmaker[Session], run_id: uuid.UUID) -> RunStatus | None:
    """Claim, fit and store the run. Safe to call again after a crash (the attempt counter decides who
    may write the outcome), and a no-op for a run that is already finished."""
    with make_session.begin() as session:
        run = RunStateRepository(session).claim(run_id)
        if run is None:
            return None
        attempt, data, spec_dict = run.attempts, run.dataset, run.spec["model"]
    logger.info("analysis started", extra={"run_id": str(run_id), "attempt": attempt})
    try:
        result = fit_model(datasets.from_parquet(data), ModelSpec.from_dict(spec_dict))
    except AnalysisError as exc:
        values: dict[str, object] = {"status": RunStatus.failed, "error": str(exc)}
    except Exception as exc:  # a fit must end in a stored state, whatever the library raised
        logger.exception("analysis crashed", extra={"run_id": str(run_id)})
        values = {"status": RunStatus.failed, "error": f"internal error: {type(exc).__name__}: {exc}"}
    else:
        values = {
            "status": RunStatus.succeeded,
            "result": result.to_dict(),
            "library_versions": result.provenance.versions,
            "error": None,
        }
    with make_session.begin() as session:
        stored = RunStateRepository(session).finish(run_id, attempt, **values)
    status = values["status"] if stored else None
    logger.info("analysis finished", extra={"run_id": str(run_id), "status": str(status), "attempt": attempt})
    return status  # type: ignore[return-value]
