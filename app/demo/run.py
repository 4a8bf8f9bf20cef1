"""Load the demo (if the database is empty), queue the T2 analysis and say where to look."""

import time
from dataclasses import dataclass

from rich.console import Console
from rich.progress import Progress, TaskID
from sqlalchemy.engine import URL

from analysis.spec import Template
from app.analyses import service as analysis_service
from app.analyses.schemas import AnalysisCreate
from app.auth.principal import SYSTEM
from app.db.engine import build_engine, build_sessionmaker
from app.demo import loader


@dataclass(frozen=True)
class DemoOutcome:
    loaded: bool
    run_id: str | None


def load_and_queue(
    url: URL, console: Console, *, force: bool = False, size: loader.DemoSize = loader.DemoSize()
) -> DemoOutcome:
    engine = build_engine(url, pool_size=2)
    make_session = build_sessionmaker(engine)
    try:
        with make_session() as session:
            empty = loader.is_empty(session)
        if not empty and not force:
            console.print("database not empty: demo study not loaded (it only goes into an empty database)")
            return DemoOutcome(False, None)
        started = time.perf_counter()
        with Progress(console=console, transient=False) as progress:
            tasks: dict[str, TaskID] = {}

            def advance(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = progress.add_task(f"demo study: {stage}", total=total)
                progress.update(tasks[stage], completed=done, total=total)

            summary = loader.load(make_session, size=size, progress=advance)
        console.print(
            f"demo study loaded ({loader.DEMO_NAME}): {summary.sites} sites, {summary.case_managers} case "
            f"managers, {summary.patients} patients, {summary.occasions} occasions, {summary.measurements} "
            f"ratings and measures in {time.perf_counter() - started:.1f} s"
        )
        with make_session.begin() as session:
            run, _ = analysis_service.request(session, SYSTEM, AnalysisCreate(template=Template.T2))
        return DemoOutcome(True, str(run.id))
    finally:
        engine.dispose()


def wait_and_print(
    url: URL, run_id: str, console: Console, where: str | None = None, timeout: float = 600
) -> None:
    """Block until the run finished (a worker must be running) and print its model table."""
    from analysis.result import ModelResult
    from app.models import AnalysisRun

    engine = build_engine(url, pool_size=1)
    deadline = time.monotonic() + timeout
    try:
        with console.status("fitting T2 (queued for a worker)…"):
            while time.monotonic() < deadline:
                with build_sessionmaker(engine)() as session:
                    run = session.get(AnalysisRun, run_id)
                    if run is not None and run.status.value in ("succeeded", "failed"):
                        break
                time.sleep(0.5)
        if run is None or run.result is None:
            console.print(f"[red]analysis {run_id} did not succeed[/]: {run.error if run else 'missing'}")
            return
        if where:
            console.print(f"T2 analysis of the demo study finished: {where}")
        console.print(ModelResult.from_dict(run.result).table(), highlight=False, markup=False)
    finally:
        engine.dispose()
