"""The PostgreSQL job queue (procrastinate): task registry, connectors, deferring inside our transaction."""

import contextlib
from collections.abc import Iterator
from typing import Any

import psycopg
from procrastinate import App, PsycopgConnector, SyncPsycopgConnector
from procrastinate.manager import JobManager
from procrastinate.tasks import configure_task
from sqlalchemy.engine import URL

QUEUE = "analyses"
RUN_TASK = "run_analysis"

# Tasks register on this app (``app.analyses.tasks``); each use binds it to a real connector.
queue_app = App(connector=SyncPsycopgConnector(), import_paths=["app.analyses.tasks"])


def libpq_uri(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@contextlib.contextmanager
def worker_app(url: URL) -> Iterator[App]:
    """The queue app connected to ``url`` for the duration of the block (workers)."""
    with queue_app.replace_connector(PsycopgConnector(conninfo=libpq_uri(url))) as bound:
        bound.perform_import_paths()
        yield bound


class TransactionConnector(SyncPsycopgConnector):
    """Runs procrastinate's queries on a connection we already hold, inside its open transaction.

    A job deferred this way is committed (or rolled back) together with the run row that describes it: a
    queued run can neither lose its job nor leave a job without a run.
    """

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        super().__init__()
        self._connection = connection

    def open(self, pool: Any = None) -> None:  # nothing to open: the connection is borrowed
        return None

    def close(self) -> None:
        return None

    def execute_query(self, query: Any, **arguments: Any) -> None:
        self._connection.execute(query, self._wrap_json(arguments))

    def execute_query_one(self, query: Any, **arguments: Any) -> dict[str, Any]:
        return self.execute_query_one_with_connection(self._connection, query, **arguments)

    def execute_query_all(self, query: Any, **arguments: Any) -> list[dict[str, Any]]:
        return self.execute_query_all_with_connection(self._connection, query, **arguments)


def defer_run(connection: psycopg.Connection[Any], run_id: str) -> int:
    """Queue the fit of ``run_id`` in the caller's transaction; returns the job id."""
    manager = JobManager(TransactionConnector(connection))
    return int(configure_task(name=RUN_TASK, job_manager=manager, queue=QUEUE).defer(run_id=run_id))
