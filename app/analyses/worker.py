"""`dyadstudy worker`: serve the analysis queue. Any number of these, on any machines sharing the database.

Each job is fetched by exactly one worker (``SELECT … FOR UPDATE SKIP LOCKED`` inside procrastinate). Workers
send heartbeats; a worker that dies mid-fit (SIGKILL, power loss) stops sending them, and every live worker
periodically re-queues the jobs of workers silent for longer than ``stalled_seconds`` — so an interrupted
fit is retried by another worker instead of staying "running" for ever.
"""

import asyncio
import contextlib
import logging
import os
import subprocess
import sys

from procrastinate import App, exceptions
from sqlalchemy.engine import URL

from app.analyses.queue import QUEUE, worker_app
from app.db.engine import build_engine, build_sessionmaker

logger = logging.getLogger("dyadstudy.worker")


async def requeue_stalled(app: App, stalled_seconds: float) -> int:
    """Put the jobs of silent workers back in the queue; returns how many were re-queued."""
    n = 0
    for job in await app.job_manager.get_stalled_jobs(queue=QUEUE, seconds_since_heartbeat=stalled_seconds):
        try:
            await app.job_manager.retry_job(job)
        except exceptions.ConnectorException:  # another worker re-queued it first
            continue
        logger.warning("re-queued stalled job", extra={"job_id": job.id})
        n += 1
    return n


async def _requeue_loop(app: App, stalled_seconds: float) -> None:
    while True:
        try:
            await requeue_stalled(app, stalled_seconds)
        except Exception:  # keep sweeping; a transient DB error must not stop the worker
            logger.exception("stalled-job sweep failed")
        await asyncio.sleep(max(stalled_seconds / 2, 0.2))


async def run_worker_async(
    url: URL,
    *,
    concurrency: int = 1,
    wait: bool = True,
    heartbeat_seconds: float = 2.0,
    stalled_seconds: float = 10.0,
    install_signal_handlers: bool = True,
    name: str = "dyadstudy-worker",
) -> None:
    engine = build_engine(url, pool_size=concurrency + 1)
    try:
        with worker_app(url) as app:
            async with app.open_async():
                await requeue_stalled(app, stalled_seconds)
                sweeper = asyncio.create_task(_requeue_loop(app, stalled_seconds)) if wait else None
                try:
                    await app.run_worker_async(
                        queues=[QUEUE],
                        name=name,
                        concurrency=concurrency,
                        wait=wait,
                        update_heartbeat_interval=heartbeat_seconds,
                        stalled_worker_timeout=stalled_seconds,
                        install_signal_handlers=install_signal_handlers,
                        additional_context={"sessionmaker": build_sessionmaker(engine)},
                    )
                finally:
                    if sweeper is not None:
                        sweeper.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await sweeper
    finally:
        engine.dispose()


def run_worker(url: URL, **options: object) -> None:
    asyncio.run(run_worker_async(url, **options))  # type: ignore[arg-type]


def spawn_worker_process(env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """`dyadstudy worker` as a child process (used by `serve` and `demo`: one command does everything,
    and a fit never competes with the API for the interpreter)."""
    return subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], env={**os.environ, **(env or {})})
