"""Queue tasks (procrastinate). Sync functions: procrastinate runs them in a thread, off the event loop."""

import uuid

from procrastinate import JobContext

from app.analyses.queue import QUEUE, RUN_TASK, queue_app
from app.analyses.runner import execute_run


@queue_app.task(name=RUN_TASK, queue=QUEUE, pass_context=True)
def run_analysis(context: JobContext, run_id: str) -> None:
    execute_run(context.additional_context["sessionmaker"], uuid.UUID(run_id))
