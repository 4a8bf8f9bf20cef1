"""The `dyadstudy` command line."""

import os
import threading
from typing import Annotated
from uuid import UUID

import typer
import uvicorn
from rich.console import Console

from app.config import get_settings
from app.db.url import resolve_database_url

cli = typer.Typer(help="dyadstudy: alliance and outcome data collection and analysis.", no_args_is_help=True)
console = Console(soft_wrap=True)  # URLs and keys stay on one line when piped


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address")] = None,
    port: Annotated[int | None, typer.Option(help="Port")] = None,
    demo: Annotated[bool, typer.Option(help="Load the demo study into an empty database")] = True,
    worker: Annotated[bool, typer.Option(help="Also run an analysis worker (subprocess)")] = True,
) -> None:
    """Start the database if embedded, migrate, print where to look, and serve the API."""
    from app.db.migrate import upgrade
    from app.main import create_app

    settings = get_settings()
    url = resolve_database_url(settings)
    if settings.migrate_on_start:
        upgrade(url)
    host, port = host or settings.host, port or settings.port
    console.print(
        f"[bold]dyadstudy[/] serving on http://{host}:{port}  (API docs: http://{host}:{port}/docs)"
    )
    if settings.database_url is None:
        from app.bootstrap import ensure_local_admin_key

        key_file = settings.data_dir / "admin.key"
        key = ensure_local_admin_key(url, key_file)
        console.print(
            f"admin key (embedded set-up, kept in {key_file}): {key}", highlight=False, soft_wrap=True
        )
    worker_process = None
    if worker and settings.worker_in_serve:
        from app.analyses.worker import spawn_worker_process

        worker_process = spawn_worker_process()
        console.print(f"analysis worker running (pid {worker_process.pid})")
    if demo and settings.demo_on_start:
        from app.demo.run import load_and_queue, wait_and_print

        outcome = load_and_queue(url, console)
        if outcome.run_id:
            where = f"http://{host}:{port}/api/v1/analyses/{outcome.run_id}"
            console.print(f"T2 analysis of the demo study queued: {where}")
            if worker_process is not None:  # say when it is done, and show the model table
                threading.Thread(
                    target=wait_and_print, args=(url, outcome.run_id, console, where), daemon=True
                ).start()
    app = create_app(settings.model_copy(update={"migrate_on_start": False}), database_url=url)
    try:
        uvicorn.run(app, host=host, port=port, log_config=None)
    finally:
        if worker_process is not None:
            worker_process.terminate()
            worker_process.wait(timeout=30)


@cli.command("worker")
def worker_command(
    concurrency: Annotated[int, typer.Option(help="Jobs at once in this process")] = 1,
) -> None:
    """Serve the analysis queue. Run as many as you like, on any machines sharing the database."""
    from app.analyses.worker import run_worker
    from app.db.migrate import upgrade

    settings = get_settings()
    url = resolve_database_url(settings)
    upgrade(url)
    console.print(f"analysis worker (pid {os.getpid()}) waiting for jobs")
    run_worker(
        url,
        concurrency=concurrency,
        heartbeat_seconds=settings.worker_heartbeat_seconds,
        stalled_seconds=settings.worker_stalled_seconds,
    )


@cli.command("demo")
def demo_command(
    force: Annotated[bool, typer.Option(help="Load even if the database is not empty")] = False,
) -> None:
    """Load the demo study (empty database only), fit T2 with a worker and print the model table."""
    from app.analyses.worker import spawn_worker_process
    from app.db.migrate import upgrade
    from app.demo.run import load_and_queue, wait_and_print

    settings = get_settings()
    url = resolve_database_url(settings)
    upgrade(url)
    outcome = load_and_queue(url, console, force=force)
    if outcome.run_id is None:
        return
    console.print(f"T2 analysis queued: /api/v1/analyses/{outcome.run_id}")
    process = spawn_worker_process()
    try:
        wait_and_print(url, outcome.run_id, console)
    finally:
        process.terminate()
        process.wait(timeout=30)


@cli.command()
def migrate() -> None:
    """Bring the database schema to the latest revision (alembic upgrade head)."""
    from app.db.migrate import upgrade

    upgrade(resolve_database_url(get_settings()))
    console.print("schema at head")


@cli.command("create-key")
def create_key(
    role: Annotated[str, typer.Option(help="admin, clinic or researcher")] = "admin",
    label: Annotated[str, typer.Option(help="Who or what the key is for")] = "bootstrap",
    site_id: Annotated[UUID | None, typer.Option(help="Site of a clinic key")] = None,
) -> None:
    """Create an API key and print it (shown once)."""
    from app.bootstrap import create_key_directly

    key = create_key_directly(resolve_database_url(get_settings()), role, label, site_id)
    console.print(key, soft_wrap=True, highlight=False)


audit_cli = typer.Typer(help="The audit trail.")
cli.add_typer(audit_cli, name="audit")


@audit_cli.command("verify")
def audit_verify() -> None:
    """Recompute the audit trail's hash chain; exit 1 if any event was altered, removed or inserted."""
    from app.audit.queries import verify
    from app.auth.principal import SYSTEM
    from app.db.engine import build_engine, build_sessionmaker

    engine = build_engine(resolve_database_url(get_settings()), pool_size=1)
    with build_sessionmaker(engine)() as session:
        report = verify(session, SYSTEM)
    engine.dispose()
    if report.intact:
        console.print(f"audit chain intact: {report.events} events")
        return
    broken = report.broken_at
    console.print(f"[red]audit chain broken[/] at seq {broken[:20]} ({len(broken)} events)")
    raise typer.Exit(1)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
